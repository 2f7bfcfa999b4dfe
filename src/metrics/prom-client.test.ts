import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { MetricNames } from './names';
import { registerPromClient } from './prom-client';
import { events, populate } from '../../test/support/metrics-fixtures';

async function setup(): Promise<{ m: ReturnType<typeof createMetrics>; clock: VirtualClock }> {
  const clock = new VirtualClock();
  const m = createMetrics({ clock });
  await populate(m, clock);
  return { m, clock };
}

describe('registerPromClient', () => {
  it("puts our metrics, with the right values, in a prom-client Registry's output", async () => {
    const { m, clock } = await setup();
    const registry = new Registry();
    const own = new Counter({ name: 'app_requests_total', help: 'Requests.', registers: [registry] });
    own.inc(3);
    registerPromClient(m, registry);
    const text = await registry.metrics();
    expect(text).toContain('app_requests_total 3');
    expect(text).toContain('# TYPE resilience_calls_total counter');
    expect(text).toContain('resilience_calls_total{pipeline="payments",policy="payments",operation="payment.charge",outcome="success"} 2');
    expect(text).toContain('resilience_call_rejections_total{pipeline="payments",policy="gateway",operation="payment.charge",reason="circuit-open"} 1');
    expect(text).toContain('resilience_call_duration_seconds_bucket{pipeline="payments",policy="payments",operation="payment.charge",le="0.016"} 6');
    expect(text).toContain('resilience_call_duration_seconds_bucket{pipeline="payments",policy="payments",operation="payment.charge",le="+Inf"} 9');
    expect(text).toContain('resilience_call_duration_seconds_count{pipeline="payments",policy="payments",operation="payment.charge"} 9');
    expect(text).toContain('resilience_circuit_mttr_seconds{policy="gateway"} 12');
    expect(text).toContain('resilience_circuit_state_seconds_total{policy="gateway",state="closed"} 8');
    expect(text).toContain('resilience_retries_total{pipeline="payments",policy="retry",operation="payment.charge"} 2');
    expect(text).toContain('resilience_chaos_injections_total{pipeline="payments",policy="chaos",operation="payment.charge",fault="gateway-down",fault_kind="error"} 1');
    // Values are read at scrape time.
    await clock.advance(4_000);
    m.record(events(clock, { policy: 'payments', pipeline: 'payments', operation: 'payment.charge' }).executed());
    const later = await registry.metrics();
    expect(later).toContain('resilience_calls_total{pipeline="payments",policy="payments",operation="payment.charge",outcome="success"} 3');
    expect(later).toContain('resilience_circuit_state_seconds_total{policy="gateway",state="closed"} 12');
    // JSON view agrees.
    const json = await registry.getMetricsAsJSON();
    const mttr = json.find((f) => f.name === MetricNames.circuitMttr) as unknown as { values: { value: number }[] };
    expect(mttr.values[0]?.value).toBe(12);
  });

  it('works with an OpenMetrics registry (counter names keep a single _total), and disposes there too', async () => {
    const { m } = await setup();
    // prom-client's typings omit the constructor's content-type parameter.
    const OpenMetricsRegistry = Registry as unknown as new (contentType: string) => Registry;
    const registry = new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
    const sub = registerPromClient(m, registry);
    const text = await registry.metrics();
    expect(text).toContain('resilience_calls_total{pipeline="payments",policy="payments",operation="payment.charge",outcome="success"} 2');
    expect(text).not.toContain('_total_total');
    expect(text).toContain('# TYPE resilience_calls counter');
    // The exposition drops `_total` from counter family names; dispose() still finds every metric.
    sub.dispose();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
    expect(await registry.metrics()).not.toContain('resilience_');
  });

  it('dispose() removes the collectors; a name clash throws', async () => {
    const { m } = await setup();
    const registry = new Registry();
    const sub = registerPromClient(m, registry);
    expect(registry.getSingleMetric(MetricNames.calls)).toBeDefined();
    expect(() => registerPromClient(m, registry)).toThrow(/already been registered/);
    sub.dispose();
    expect(registry.getSingleMetric(MetricNames.calls)).toBeUndefined();
    expect(await registry.metrics()).not.toContain('resilience_');
    expect(() => registerPromClient(m, {} as never)).toThrow(TypeError);
  });
});
