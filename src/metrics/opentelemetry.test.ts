import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { Meter } from '@opentelemetry/api';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { registerOpenTelemetry, type OpenTelemetryMeter } from './opentelemetry';
import { events, populate } from '../../test/support/metrics-fixtures';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function sdk(): { meter: Meter; exporter: InMemoryMetricExporter; reader: PeriodicExportingMetricReader } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A very long interval: exports happen only when the test calls forceFlush(). The export
  // timeout is generous so a loaded CI machine does not fail the flush.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000_000_000, exportTimeoutMillis: 15_000 });
  const provider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => provider.shutdown());
  return { meter: provider.getMeter('breakwater-test'), exporter, reader };
}

async function exported(reader: PeriodicExportingMetricReader, exporter: InMemoryMetricExporter): Promise<Map<string, MetricData>> {
  await reader.forceFlush();
  const batches = exporter.getMetrics();
  const last = batches.at(-1);
  const out = new Map<string, MetricData>();
  for (const scope of last?.scopeMetrics ?? []) for (const m of scope.metrics) out.set(m.descriptor.name, m);
  return out;
}

function point(data: MetricData | undefined, attrs: Record<string, string>): number | undefined {
  const p = (data?.dataPoints as DataPoint<number>[] | undefined)?.find((d) => Object.entries(attrs).every(([k, v]) => d.attributes[k] === v));
  return p?.value;
}

describe('registerOpenTelemetry', () => {
  it('is typed to accept a real @opentelemetry/api Meter', () => {
    expectTypeOf<Meter>().toMatchTypeOf<OpenTelemetryMeter>();
  });

  it('reports counters, gauges and the duration histogram to an SDK MeterProvider', async () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const { meter, exporter, reader } = sdk();
    registerOpenTelemetry(m, meter);
    await populate(m, clock);
    // Durations are recorded as calls settle after registration.
    const e = events(clock, { policy: 'payments', pipeline: 'payments', operation: 'payment.charge' });
    m.record(e.executed({ duration: 40 }));
    m.record(e.executed({ duration: 3, ok: false, error: new Error('x') }));
    const data = await exported(reader, exporter);

    const calls = data.get('resilience.calls');
    expect(calls?.descriptor.unit).toBe('{call}');
    expect(calls?.dataPointType).toBe(DataPointType.SUM);
    const charge = { 'resilience.pipeline': 'payments', 'resilience.policy': 'payments', 'resilience.operation': 'payment.charge' };
    expect(point(calls, { ...charge, 'resilience.outcome': 'success' })).toBe(3);
    expect(point(calls, { ...charge, 'resilience.outcome': 'failure' })).toBe(2);
    expect(point(data.get('resilience.call.rejections'), { ...charge, 'resilience.policy': 'pool', 'resilience.reason': 'bulkhead-full' })).toBe(1);
    expect(point(data.get('resilience.retries'), { 'resilience.policy': 'retry' })).toBe(2);
    expect(point(data.get('resilience.retry.give_ups'), { 'resilience.reason': 'max-attempts' })).toBe(1);
    expect(point(data.get('resilience.chaos.injections'), { 'resilience.chaos.fault': 'gateway-down', 'resilience.chaos.fault_kind': 'error' })).toBe(1);

    const mttr = data.get('resilience.circuit.mttr');
    expect(mttr?.descriptor.unit).toBe('s');
    expect(mttr?.dataPointType).toBe(DataPointType.GAUGE);
    expect(point(mttr, { 'resilience.policy': 'gateway' })).toBe(12);
    expect(point(data.get('resilience.circuit.time_in_state'), { 'resilience.policy': 'gateway', 'resilience.state': 'open' })).toBe(10);
    expect(point(data.get('resilience.circuit.state'), { 'resilience.policy': 'gateway', 'resilience.state': 'closed' })).toBe(1);
    expect(point(data.get('resilience.circuit.recoveries'), { 'resilience.result': 'reopened' })).toBe(1);
    const availability = data.get('resilience.availability');
    expect(availability?.descriptor.unit).toBe('1');
    expect(point(availability, charge)).toBe(4 / 10);

    const duration = data.get('resilience.call.duration');
    expect(duration?.descriptor.unit).toBe('s');
    expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const ok = (duration?.dataPoints as DataPoint<Histogram>[]).find((d) => d.attributes['resilience.outcome'] === 'success');
    expect(ok?.value.count).toBe(3); // 12 ms and 250 ms from populate(), then 40 ms
    expect(ok?.value.sum).toBeCloseTo(0.302, 12);
    expect(ok?.value.min).toBe(0.012);
    expect(ok?.value.max).toBe(0.25);
    expect(ok?.value.buckets.boundaries).toEqual(m.durationBuckets());
    expect(ok?.attributes).toEqual({ ...charge, 'resilience.outcome': 'success' });
    // A call that ran alone has no pipeline attribute.
    m.record(events(clock, { policy: 'solo' }).executed());
    const again = await exported(reader, exporter);
    const solo = (again.get('resilience.calls')?.dataPoints as DataPoint<number>[]).find((d) => d.attributes['resilience.policy'] === 'solo');
    expect(solo?.attributes['resilience.pipeline']).toBeUndefined();
  });

  it('dispose() stops reporting (cumulative values freeze)', async () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const { meter, exporter, reader } = sdk();
    const sub = registerOpenTelemetry(m, meter);
    m.record(events(clock).executed());
    expect(point((await exported(reader, exporter)).get('resilience.calls'), { 'resilience.outcome': 'success' })).toBe(1);
    sub.dispose();
    sub.dispose();
    m.record(events(clock).executed());
    const after = await exported(reader, exporter);
    expect(m.snapshot().calls[0]?.outcomes.success).toBe(2);
    expect(point(after.get('resilience.calls'), { 'resilience.outcome': 'success' })).toBe(1);
    const hist = after.get('resilience.call.duration')?.dataPoints as DataPoint<Histogram>[];
    expect(hist[0]?.value.count).toBe(1);
    expect(() => registerOpenTelemetry(m, {} as never)).toThrow(TypeError);
  });
});
