/**
 * OpenTelemetry adapter: creates instruments on any object shaped like
 * `@opentelemetry/api`'s `Meter` and reports breakwater's metrics through them.
 * Typed structurally: breakwater does not depend on `@opentelemetry/api`.
 *
 * Counters and gauges are asynchronous instruments (observable counters, up-down counters
 * and gauges) read from the aggregator in one batch callback per collection; the call
 * duration is a synchronous histogram recorded as calls settle. Names follow
 * OpenTelemetry's conventions: `resilience.*`, units in UCUM (`s`, `1`, `{call}`).
 *
 * @packageDocumentation
 */
import type { Subscription } from '../core/events';
import type { Metrics } from './aggregator';
import { METRIC_HELP, MetricNames } from './names';
import type { CallRecord, MetricSample } from './snapshot';

/** Attribute values as OpenTelemetry accepts them. */
export type OpenTelemetryAttributes = Record<string, string>;

/** An asynchronous instrument (opaque to the adapter). */
export type OpenTelemetryObservable = object;

/** A synchronous histogram. */
export interface OpenTelemetryHistogram {
  /** Records one value. */
  record(value: number, attributes?: OpenTelemetryAttributes): void;
}

/** Instrument options (`@opentelemetry/api` `MetricOptions`). */
export interface OpenTelemetryInstrumentOptions {
  /** Description. */
  readonly description?: string;
  /** UCUM unit. */
  readonly unit?: string;
  /** Aggregation advice (bucket boundaries for histograms). */
  readonly advice?: {
    /** Upper bounds of the histogram buckets, ascending, in the instrument's unit. */
    readonly explicitBucketBoundaries?: number[];
  };
}

/** What a batch observable callback receives. */
export interface OpenTelemetryBatchResult {
  /** Reports one value of an asynchronous instrument. */
  observe(observable: OpenTelemetryObservable, value: number, attributes?: OpenTelemetryAttributes): void;
}

/** The parts of `@opentelemetry/api`'s `Meter` the adapter uses. */
export interface OpenTelemetryMeter {
  /** Creates an asynchronous counter. */
  createObservableCounter(name: string, options?: OpenTelemetryInstrumentOptions): OpenTelemetryObservable;
  /** Creates an asynchronous up-down counter. */
  createObservableUpDownCounter(name: string, options?: OpenTelemetryInstrumentOptions): OpenTelemetryObservable;
  /** Creates an asynchronous gauge. */
  createObservableGauge(name: string, options?: OpenTelemetryInstrumentOptions): OpenTelemetryObservable;
  /** Creates a synchronous histogram. */
  createHistogram(name: string, options?: OpenTelemetryInstrumentOptions): OpenTelemetryHistogram;
  /** Registers one callback that reports several asynchronous instruments. */
  addBatchObservableCallback(callback: (result: OpenTelemetryBatchResult) => void, observables: OpenTelemetryObservable[]): void;
  /** Removes a callback added by `addBatchObservableCallback`. */
  removeBatchObservableCallback(callback: (result: OpenTelemetryBatchResult) => void, observables: OpenTelemetryObservable[]): void;
}

type InstrumentKind = 'counter' | 'updowncounter' | 'gauge';

/** OpenTelemetry instrument names, keyed like {@link MetricNames}. */
export const OpenTelemetryNames = {
  /** Observable counter (`{call}`) of {@link MetricNames.calls}: calls by `resilience.outcome`. */
  calls: 'resilience.calls',
  /**
   * Observable counter (`{call}`) of {@link MetricNames.callRejections}: calls refused by a
   * breaker, bulkhead or rate limiter (`resilience.policy`), whatever their final outcome, by `resilience.reason`.
   */
  callRejections: 'resilience.call.rejections',
  /** Histogram (`s`) of {@link MetricNames.callDuration}: durations of calls that settle after registration, with `resilience.outcome`. */
  callDuration: 'resilience.call.duration',
  /** Observable gauge (`1`) of {@link MetricNames.availability}: share of good calls over the availability window. */
  availability: 'resilience.availability',
  /** Observable counter (`{retry}`) of {@link MetricNames.retries}: retries scheduled. */
  retries: 'resilience.retries',
  /** Observable counter (`{call}`) of {@link MetricNames.retryGiveUps}: calls a retry gave up on after handling a failure, by `resilience.reason`. */
  retryGiveUps: 'resilience.retry.give_ups',
  /** Observable counter (`{retry}`) of {@link MetricNames.retryBudgetExhausted}: retries refused by an empty budget. */
  retryBudgetExhausted: 'resilience.retry.budget_exhausted',
  /** Observable counter (`{timeout}`) of {@link MetricNames.timeouts}: deadlines that passed. */
  timeouts: 'resilience.timeouts',
  /** Observable counter (`{call}`) of {@link MetricNames.fallbacks}: fallback tiers run, by `resilience.fallback.tier`. */
  fallbacks: 'resilience.fallbacks',
  /** Observable counter (`{call}`) of {@link MetricNames.fallbacksExhausted}: calls where every fallback tier failed. */
  fallbacksExhausted: 'resilience.fallback.exhausted',
  /** Observable counter (`{injection}`) of {@link MetricNames.chaosInjections}: faults injected, by `resilience.chaos.fault` and `resilience.chaos.fault_kind`. */
  chaosInjections: 'resilience.chaos.injections',
  /** Observable gauge (`1`) of {@link MetricNames.circuitState}: 1 for the current `resilience.state`, 0 for the others. */
  circuitState: 'resilience.circuit.state',
  /** Observable counter (`s`) of {@link MetricNames.circuitStateSeconds}: time spent in each `resilience.state`. */
  circuitStateSeconds: 'resilience.circuit.time_in_state',
  /** Observable counter (`{opening}`) of {@link MetricNames.circuitOpenings}: openings by `resilience.reason`. */
  circuitOpenings: 'resilience.circuit.openings',
  /** Observable counter (`{episode}`) of {@link MetricNames.circuitRecoveries}: half-open episodes by `resilience.result`. */
  circuitRecoveries: 'resilience.circuit.recoveries',
  /** Observable gauge (`s`) of {@link MetricNames.circuitMttr}: mean time to recovery. */
  circuitMttr: 'resilience.circuit.mttr',
  /** Observable gauge (`s`) of {@link MetricNames.circuitMtbf}: mean time between the starts of outages. */
  circuitMtbf: 'resilience.circuit.mtbf',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.bulkheadActive}: calls running in a bulkhead. */
  bulkheadActive: 'resilience.bulkhead.active',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.bulkheadQueued}: calls waiting in a bulkhead queue. */
  bulkheadQueued: 'resilience.bulkhead.queued',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.bulkheadMaxConcurrent}: a bulkhead's concurrency limit. */
  bulkheadMaxConcurrent: 'resilience.bulkhead.max_concurrent',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.bulkheadMaxQueue}: a bulkhead's queue limit. */
  bulkheadMaxQueue: 'resilience.bulkhead.max_queue',
  /** Observable counter (`{call}`) of {@link MetricNames.rateLimiterAdmitted}: calls a rate limiter (`resilience.policy`) admitted. */
  rateLimiterAdmitted: 'resilience.rate_limiter.admitted',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.rateLimiterQueued}: calls waiting for their slot in a rate limiter. */
  rateLimiterQueued: 'resilience.rate_limiter.queued',
  /** Observable counter (`{hedge}`) of {@link MetricNames.hedges}: hedges started, by `resilience.hedge.attempt` and `resilience.hedge.trigger`. */
  hedges: 'resilience.hedging.hedges',
  /** Observable counter (`{call}`) of {@link MetricNames.hedgeWins}: hedged calls by the winning `resilience.hedge.attempt`. */
  hedgeWins: 'resilience.hedging.wins',
  /** Observable counter (`{attempt}`) of {@link MetricNames.hedgeLosersCancelled}: attempts aborted because another settled the call. */
  hedgeLosersCancelled: 'resilience.hedging.losers_cancelled',
  /** Observable counter (`{hedge}`) of {@link MetricNames.hedgeBudgetExhausted}: hedges refused by an empty budget. */
  hedgeBudgetExhausted: 'resilience.hedging.budget_exhausted',
  /** Observable gauge (`{call}`) of {@link MetricNames.adaptiveLimit}: the current adaptive concurrency limit. */
  adaptiveLimit: 'resilience.adaptive_concurrency.limit',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.adaptiveInFlight}: calls running under an adaptive limit. */
  adaptiveInFlight: 'resilience.adaptive_concurrency.in_flight',
  /** Observable up-down counter (`{call}`) of {@link MetricNames.adaptiveQueued}: calls waiting for a slot of an adaptive limit. */
  adaptiveQueued: 'resilience.adaptive_concurrency.queued',
  /** Observable counter (`{change}`) of {@link MetricNames.adaptiveLimitChanges}: limit changes by `resilience.direction`. */
  adaptiveLimitChanges: 'resilience.adaptive_concurrency.limit_changes',
  /** Observable counter (`{event}`) of {@link MetricNames.seriesDropped}: events counted under `_other`, by `resilience.limit`. */
  seriesDropped: 'resilience.metrics.dropped',
} as const satisfies Record<keyof typeof MetricNames, string>;

/** Instrument kind and UCUM unit of each asynchronous instrument. */
const INSTRUMENTS: Readonly<Record<Exclude<keyof typeof MetricNames, 'callDuration'>, readonly [InstrumentKind, string]>> = {
  calls: ['counter', '{call}'],
  callRejections: ['counter', '{call}'],
  availability: ['gauge', '1'],
  retries: ['counter', '{retry}'],
  retryGiveUps: ['counter', '{call}'],
  retryBudgetExhausted: ['counter', '{retry}'],
  timeouts: ['counter', '{timeout}'],
  fallbacks: ['counter', '{call}'],
  fallbacksExhausted: ['counter', '{call}'],
  chaosInjections: ['counter', '{injection}'],
  circuitState: ['gauge', '1'],
  circuitStateSeconds: ['counter', 's'],
  circuitOpenings: ['counter', '{opening}'],
  circuitRecoveries: ['counter', '{episode}'],
  circuitMttr: ['gauge', 's'],
  circuitMtbf: ['gauge', 's'],
  bulkheadActive: ['updowncounter', '{call}'],
  bulkheadQueued: ['updowncounter', '{call}'],
  bulkheadMaxConcurrent: ['updowncounter', '{call}'],
  bulkheadMaxQueue: ['updowncounter', '{call}'],
  rateLimiterAdmitted: ['counter', '{call}'],
  rateLimiterQueued: ['updowncounter', '{call}'],
  hedges: ['counter', '{hedge}'],
  hedgeWins: ['counter', '{call}'],
  hedgeLosersCancelled: ['counter', '{attempt}'],
  hedgeBudgetExhausted: ['counter', '{hedge}'],
  adaptiveLimit: ['gauge', '{call}'],
  adaptiveInFlight: ['updowncounter', '{call}'],
  adaptiveQueued: ['updowncounter', '{call}'],
  adaptiveLimitChanges: ['counter', '{change}'],
  seriesDropped: ['counter', '{event}'],
};

/** OpenTelemetry attribute keys of breakwater's own labels; call labels keep their names. */
export const OpenTelemetryAttributeKeys: Readonly<Record<string, string>> = {
  pipeline: 'resilience.pipeline',
  policy: 'resilience.policy',
  operation: 'resilience.operation',
  outcome: 'resilience.outcome',
  reason: 'resilience.reason',
  state: 'resilience.state',
  result: 'resilience.result',
  tier: 'resilience.fallback.tier',
  fault: 'resilience.chaos.fault',
  fault_kind: 'resilience.chaos.fault_kind',
  limit: 'resilience.limit',
  attempt: 'resilience.hedge.attempt',
  trigger: 'resilience.hedge.trigger',
  direction: 'resilience.direction',
};

function attributes(labels: Readonly<Record<string, string>>): OpenTelemetryAttributes {
  const out: OpenTelemetryAttributes = {};
  for (const k of Object.keys(labels)) {
    const v = labels[k] as string;
    // An empty pipeline means "ran alone": leave the attribute out.
    if (k === 'pipeline' && v === '') continue;
    out[Object.prototype.hasOwnProperty.call(OpenTelemetryAttributeKeys, k) ? (OpenTelemetryAttributeKeys as Record<string, string>)[k] as string : k] = v;
  }
  return out;
}

function describe(key: keyof typeof MetricNames): string {
  return METRIC_HELP[MetricNames[key]][1];
}

/**
 * Creates breakwater's instruments on `meter` and reports the aggregator's values at
 * every collection. Returns a {@link Subscription}: `dispose()` unregisters the callback
 * and stops recording durations.
 *
 * The duration histogram (`resilience.call.duration`, seconds, attributes including
 * `resilience.outcome`) records the calls that settle after registration.
 *
 * @example
 * ```ts
 * import { metrics as otel } from '@opentelemetry/api';
 * registerOpenTelemetry(metrics, otel.getMeter('game-server'));
 * ```
 */
export function registerOpenTelemetry(metrics: Metrics, meter: OpenTelemetryMeter): Subscription {
  if (typeof meter !== 'object' || meter === null || typeof meter.createObservableCounter !== 'function') {
    throw new TypeError('registerOpenTelemetry() expects an OpenTelemetry Meter');
  }
  const byPromName = new Map<string, OpenTelemetryObservable>();
  const observables: OpenTelemetryObservable[] = [];
  for (const key of Object.keys(INSTRUMENTS) as (keyof typeof INSTRUMENTS)[]) {
    const [kind, unit] = INSTRUMENTS[key];
    const options = { description: describe(key), unit };
    const name = OpenTelemetryNames[key];
    const instrument =
      kind === 'counter'
        ? meter.createObservableCounter(name, options)
        : kind === 'updowncounter'
          ? meter.createObservableUpDownCounter(name, options)
          : meter.createObservableGauge(name, options);
    byPromName.set(MetricNames[key], instrument);
    observables.push(instrument);
  }
  const histogram = meter.createHistogram(OpenTelemetryNames.callDuration, {
    description: describe('callDuration'),
    unit: 's',
    advice: { explicitBucketBoundaries: metrics.durationBuckets() },
  });
  const callback = (result: OpenTelemetryBatchResult): void => {
    for (const family of metrics.collect()) {
      const instrument = byPromName.get(family.name);
      // Stryker disable next-line ConditionalExpression: the only histogram family (call duration) has no observable instrument, so `instrument === undefined` already skips it
      if (instrument === undefined || family.type === 'histogram') continue;
      for (const s of family.samples as readonly MetricSample[]) result.observe(instrument, s.value, attributes(s.labels));
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  const calls = metrics.onCall((c: CallRecord) => {
    histogram.record(c.duration / 1000, attributes({ pipeline: c.pipeline, policy: c.policy, operation: c.operation, ...c.labels, outcome: c.outcome }));
  });
  let active = true;
  return {
    dispose: () => {
      if (!active) return;
      active = false;
      calls.dispose();
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
