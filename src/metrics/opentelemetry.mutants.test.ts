/**
 * Rules of `registerOpenTelemetry` pinned with a recording fake Meter:
 * - anything that is not a Meter-shaped object is refused with a TypeError and a clear message;
 * - bulkhead, rate-limiter queue and adaptive in-flight/queued gauges become up-down counters,
 *   ratios and point-in-time values become gauges, totals become counters (names, units, descriptions);
 * - only an empty `pipeline` label is dropped: an empty operation is reported as `''`;
 * - `dispose()` unregisters the batch callback once and stops recording durations; a second call is a no-op.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import {
  registerOpenTelemetry,
  type OpenTelemetryAttributes,
  type OpenTelemetryBatchResult,
  type OpenTelemetryInstrumentOptions,
  type OpenTelemetryMeter,
} from './opentelemetry';
import { events } from '../../test/support/metrics-fixtures';

type Kind = 'counter' | 'updowncounter' | 'gauge';
interface Instrument {
  readonly kind: Kind;
  readonly name: string;
  readonly options: OpenTelemetryInstrumentOptions | undefined;
}
type Callback = (result: OpenTelemetryBatchResult) => void;

function fakeMeter() {
  const instruments: Instrument[] = [];
  const recorded: { value: number; attributes: OpenTelemetryAttributes | undefined }[] = [];
  const histograms: { name: string; options: OpenTelemetryInstrumentOptions | undefined }[] = [];
  const added: { callback: Callback; observables: object[] }[] = [];
  const removed: { callback: Callback; observables: object[] }[] = [];
  const make = (kind: Kind) => (name: string, options?: OpenTelemetryInstrumentOptions): object => {
    const i: Instrument = { kind, name, options };
    instruments.push(i);
    return i;
  };
  const meter: OpenTelemetryMeter = {
    createObservableCounter: make('counter'),
    createObservableUpDownCounter: make('updowncounter'),
    createObservableGauge: make('gauge'),
    createHistogram: (name, options) => {
      histograms.push({ name, options });
      return { record: (value, attributes) => void recorded.push({ value, attributes }) };
    },
    addBatchObservableCallback: (callback, observables) => void added.push({ callback, observables }),
    removeBatchObservableCallback: (callback, observables) => void removed.push({ callback, observables }),
  };
  /** Runs the registered callback once, as a collection would. */
  const collect = (): { name: string; value: number; attributes: OpenTelemetryAttributes | undefined }[] => {
    const out: { name: string; value: number; attributes: OpenTelemetryAttributes | undefined }[] = [];
    for (const a of added) a.callback({ observe: (o, value, attributes) => void out.push({ name: (o as Instrument).name, value, attributes }) });
    return out;
  };
  return { meter, instruments, histograms, recorded, added, removed, collect };
}

const MESSAGE = 'registerOpenTelemetry() expects an OpenTelemetry Meter';

describe('registerOpenTelemetry (pinned rules)', () => {
  it('refuses anything that is not a Meter-shaped object, with a clear TypeError', () => {
    const m = createMetrics({ clock: new VirtualClock() });
    const { meter } = fakeMeter();
    const asFunction = Object.assign(() => undefined, meter);
    for (const bad of [undefined, null, 42, 'meter', {}, { createObservableCounter: 'no' }, asFunction]) {
      expect(() => registerOpenTelemetry(m, bad as never)).toThrow(new TypeError(MESSAGE));
    }
  });

  it('creates each instrument with its kind, unit and description, and one batch callback over all of them', () => {
    const m = createMetrics({ clock: new VirtualClock() });
    const f = fakeMeter();
    registerOpenTelemetry(m, f.meter);
    const of = (kind: Kind) => f.instruments.filter((i) => i.kind === kind).map((i) => i.name);
    expect(of('updowncounter')).toEqual([
      'resilience.bulkhead.active',
      'resilience.bulkhead.queued',
      'resilience.bulkhead.max_concurrent',
      'resilience.bulkhead.max_queue',
      'resilience.rate_limiter.queued',
      'resilience.adaptive_concurrency.in_flight',
      'resilience.adaptive_concurrency.queued',
    ]);
    expect(of('gauge')).toEqual([
      'resilience.availability',
      'resilience.circuit.state',
      'resilience.circuit.mttr',
      'resilience.circuit.mtbf',
      'resilience.adaptive_concurrency.limit',
    ]);
    expect(of('counter')).toHaveLength(19);
    expect(of('counter')).toContain('resilience.calls');
    const byName = new Map(f.instruments.map((i) => [i.name, i]));
    expect(byName.get('resilience.bulkhead.active')?.options).toEqual({ description: 'Calls running in a bulkhead.', unit: '{call}' });
    expect(byName.get('resilience.rate_limiter.queued')?.options).toEqual({
      description: 'Calls waiting for their reserved slot in a rate limiter.',
      unit: '{call}',
    });
    expect(byName.get('resilience.availability')?.options).toEqual({
      description: 'Share of calls that succeeded (directly or by fallback) over the sliding availability window.',
      unit: '1',
    });
    expect(byName.get('resilience.calls')?.options).toEqual({ description: 'Calls executed through a policy or pipeline, by outcome.', unit: '{call}' });
    expect(f.histograms).toEqual([
      {
        name: 'resilience.call.duration',
        options: { description: 'Duration of calls through a policy or pipeline.', unit: 's', advice: { explicitBucketBoundaries: m.durationBuckets() } },
      },
    ]);
    expect(f.added).toHaveLength(1);
    expect(f.added[0]?.observables).toEqual(f.instruments);
    expect(f.added[0]?.observables).toHaveLength(31);
  });

  it('drops only an empty pipeline: an empty operation is still reported', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const f = fakeMeter();
    registerOpenTelemetry(m, f.meter);
    m.record(events(clock, { policy: 'solo', operation: '' }).executed({ duration: 250 }));
    const expected = { 'resilience.policy': 'solo', 'resilience.operation': '' };
    expect(f.recorded).toEqual([{ value: 0.25, attributes: { ...expected, 'resilience.outcome': 'success' } }]);
    const calls = f.collect().filter((o) => o.name === 'resilience.calls' && o.value > 0);
    expect(calls).toEqual([{ name: 'resilience.calls', value: 1, attributes: { ...expected, 'resilience.outcome': 'success' } }]);
  });

  it('dispose() unregisters the batch callback exactly once and stops recording durations', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const f = fakeMeter();
    const sub = registerOpenTelemetry(m, f.meter);
    m.record(events(clock).executed({ duration: 40 }));
    expect(f.recorded.map((r) => r.value)).toEqual([0.04]);
    sub.dispose();
    expect(f.removed).toEqual([{ callback: f.added[0]?.callback, observables: f.added[0]?.observables }]);
    expect(f.removed[0]?.callback).toBe(f.added[0]?.callback);
    expect(f.removed[0]?.observables).toBe(f.added[0]?.observables);
    sub.dispose();
    expect(f.removed).toHaveLength(1);
    m.record(events(clock).executed({ duration: 40 }));
    expect(f.recorded).toHaveLength(1);
  });
});
