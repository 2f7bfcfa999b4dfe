/**
 * The metrics aggregator: listens to the events of policies and pipelines and keeps, with
 * fixed memory per series, the numbers an on-call team watches: calls by outcome, call
 * duration percentiles, retries and give-ups, circuit state, time in each state, MTTR,
 * MTBF and recovery rate of each breaker, bulkhead occupancy, chaos injections and
 * availability over a sliding window.
 *
 * Nothing runs in the background: counters move when events arrive, time-based values
 * (time in state, the availability window) are computed from the clock when read.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../core/clock';
import { EMPTY_LABELS, type Labels } from '../core/context';
import {
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isChaosInjectedError,
  isExecutionRejectedError,
  isTimeoutError,
} from '../core/errors';
import { Emitter, type ExecutedEvent, type Listener, type ResilienceEvent, type Subscription } from '../core/events';
import { rules, validateOptions } from '../core/validation';
import { renderPrometheus } from './prometheus';
import { checkHistogramOptions, histogramSchema, LogHistogram, type HistogramOptions, type HistogramSnapshot } from './histogram';

/** How a call ended, as counted by `resilience_calls_total{outcome}`. */
export type CallOutcome = 'success' | 'fallback' | 'failure' | 'rejected' | 'timeout' | 'injected' | 'cancelled';

/**
 * Every {@link CallOutcome}, in exposition order. A call gets exactly one outcome, the
 * first that applies: `cancelled` (the caller aborted), `fallback` (resolved by a fallback
 * tier), `success`, `injected` (failed with a chaos fault in the call), `rejected`
 * (an `ExecutionRejectedError`: open circuit, full bulkhead), `timeout` (a
 * `TimeoutError`), `failure` (anything else).
 */
export const CallOutcomes: readonly CallOutcome[] = ['success', 'fallback', 'failure', 'rejected', 'timeout', 'injected', 'cancelled'];

/** States of a circuit breaker. */
export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/** Every {@link CircuitStateName}. */
export const CircuitStateNames: readonly CircuitStateName[] = ['closed', 'open', 'half-open', 'isolated'];

/** Value used for an operation or label value that exceeded the cardinality caps. */
export const OVERFLOW_VALUE = '_other';

/**
 * Prometheus names of every metric (OpenTelemetry names are in `OpenTelemetryNames`).
 * Dashboards and alert rules should use these.
 *
 * @example
 * ```ts
 * const query = `rate(${MetricNames.calls}{outcome="timeout"}[5m])`;
 * ```
 */
export const MetricNames = {
  /** Counter: calls executed through a policy or pipeline, labelled by `outcome` (a {@link CallOutcome}). */
  calls: 'resilience_calls_total',
  /**
   * Counter: calls refused by a circuit breaker, a bulkhead (or any policy that emits
   * `rejected`), counted from the refusing policy's own event whatever the call's final
   * outcome (a fallback may have answered it, a retry may have tried again). `policy` is
   * the refusing policy, `pipeline` and `operation` the call's; labelled by `reason`
   * (`circuit-open`, `circuit-half-open`, `circuit-isolated`, `bulkhead-full`,
   * `bulkhead-queue-timeout`).
   */
  callRejections: 'resilience_call_rejections_total',
  /** Histogram: duration of calls through a policy or pipeline, in seconds. */
  callDuration: 'resilience_call_duration_seconds',
  /** Gauge: share (0 to 1) of calls that succeeded, directly or by fallback, over the availability window. */
  availability: 'resilience_availability_ratio',
  /** Counter: retries scheduled by retry policies. */
  retries: 'resilience_retries_total',
  /**
   * Counter: calls a retry policy gave up on after handling at least one failure, labelled
   * by `reason` (`max-attempts`, `budget`, `rejected`…). Failures retry never considered
   * (not handled on the first attempt) are not give-ups.
   */
  retryGiveUps: 'resilience_retry_give_ups_total',
  /** Counter: retries refused because the retry budget was empty. */
  retryBudgetExhausted: 'resilience_retry_budget_exhausted_total',
  /** Counter: deadlines of timeout policies that passed. */
  timeouts: 'resilience_timeouts_total',
  /** Counter: fallback tiers run, labelled by `tier` (0-based index). */
  fallbacks: 'resilience_fallbacks_total',
  /** Counter: calls where the call and every fallback tier failed. */
  fallbacksExhausted: 'resilience_fallbacks_exhausted_total',
  /** Counter: faults injected by chaos policies, labelled by `fault` and `fault_kind`. */
  chaosInjections: 'resilience_chaos_injections_total',
  /** Gauge: circuit breaker state, labelled by `state`: 1 for the current state, 0 for the others. */
  circuitState: 'resilience_circuit_state',
  /** Counter: seconds a circuit breaker spent in each `state`. */
  circuitStateSeconds: 'resilience_circuit_state_seconds_total',
  /** Counter: times a circuit breaker opened or was isolated, labelled by `reason`. */
  circuitOpenings: 'resilience_circuit_openings_total',
  /** Counter: half-open episodes of a circuit breaker, labelled by `result` (`closed` or `reopened`). */
  circuitRecoveries: 'resilience_circuit_recoveries_total',
  /** Gauge: mean time to recovery of a circuit breaker (leaving `closed` to `closed` again), in seconds. */
  circuitMttr: 'resilience_circuit_mttr_seconds',
  /** Gauge: mean time between the starts of consecutive outages of a circuit breaker, in seconds. */
  circuitMtbf: 'resilience_circuit_mtbf_seconds',
  /** Gauge: calls running in a bulkhead (slots held by `occupy()` included). */
  bulkheadActive: 'resilience_bulkhead_active',
  /** Gauge: calls waiting in a bulkhead's queue. */
  bulkheadQueued: 'resilience_bulkhead_queued',
  /** Gauge: concurrency limit (`maxConcurrent`) of a bulkhead. */
  bulkheadMaxConcurrent: 'resilience_bulkhead_max_concurrent',
  /** Gauge: queue limit (`maxQueue`) of a bulkhead. */
  bulkheadMaxQueue: 'resilience_bulkhead_max_queue',
  /** Counter: events counted under `_other` because a cardinality cap was reached, labelled by `limit` (`operations` or `label_sets`). */
  seriesDropped: 'resilience_metrics_series_dropped_total',
} as const;

/** Label names the library itself uses; `labelKeys` may not reuse them. */
export const MetricLabels = {
  /** Name of the pipeline the policy ran in (`""` when it ran alone). */
  pipeline: 'pipeline',
  /** Name of the policy or pipeline (for breaker and bulkhead metrics: of the breaker or bulkhead). */
  policy: 'policy',
  /** Operation key of the call (`_other` past `maxOperations`). */
  operation: 'operation',
  /** How a call ended: a {@link CallOutcome}. */
  outcome: 'outcome',
  /** Why: rejection reason, retry give-up reason, or circuit opening reason. */
  reason: 'reason',
  /** A circuit breaker state: a {@link CircuitStateName}. */
  state: 'state',
  /** How a half-open episode ended: `closed` or `reopened`. */
  result: 'result',
  /** 0-based index of a fallback tier. */
  tier: 'tier',
  /** Name of a chaos fault. */
  fault: 'fault',
  /** Kind of a chaos fault (`error`, `latency`…). */
  faultKind: 'fault_kind',
  /** Which cardinality cap was reached: `operations` or `label_sets`. */
  limit: 'limit',
} as const;

const RESERVED_LABELS = new Set<string>([...Object.values(MetricLabels), 'le', 'quantile']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Clock used to read time-based values (time in state, availability window). Use the policies' clock. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /** Length of the availability window in ms. @defaultValue `300_000` (5 minutes) */
  readonly availabilityWindow?: number | undefined;
  /**
   * Number of buckets of the availability window: the window slides one bucket
   * (`availabilityWindow / availabilityBuckets` ms) at a time. @defaultValue `10`
   */
  readonly availabilityBuckets?: number | undefined;
  /**
   * Most distinct operations kept; further operations are counted under `_other` and in
   * `resilience_metrics_series_dropped_total{limit="operations"}`. @defaultValue `100`
   */
  readonly maxOperations?: number | undefined;
  /**
   * Most distinct label sets (combinations of the `labelKeys` values) kept; further ones
   * are counted with every value `_other` and in
   * `resilience_metrics_series_dropped_total{limit="label_sets"}`. @defaultValue `100`
   */
  readonly maxLabelSets?: number | undefined;
  /**
   * Which call labels (`execute(fn, { labels })`) become metric labels. Opt-in, because
   * labels such as user ids would explode cardinality. Missing labels count as `""`.
   * @defaultValue `[]`
   */
  readonly labelKeys?: readonly string[] | undefined;
  /** Buckets of the call-duration histograms. @defaultValue `{ min: 1, max: 60_000, bucketsPerDoubling: 4 }` */
  readonly histogram?: HistogramOptions | undefined;
}

const metricsSchema = {
  clock: rules.clock(),
  availabilityWindow: rules.duration(0, { exclusiveMin: true }),
  availabilityBuckets: rules.integer(1, 10_000),
  maxOperations: rules.integer(1, 1_000_000),
  maxLabelSets: rules.integer(1, 1_000_000),
  labelKeys: rules.arrayOf(rules.string()),
  histogram: rules.object(histogramSchema),
};

/** Labels identifying a call series. */
export interface SeriesKey {
  /** Pipeline name (`''` when the policy ran alone). */
  readonly pipeline: string;
  /** Name of the policy or pipeline. */
  readonly policy: string;
  /** Operation key (or `_other` past `maxOperations`). */
  readonly operation: string;
  /** Values of the `labelKeys` (empty when none are configured). */
  readonly labels: Labels;
}

/** Calls executed by one policy or pipeline for one operation and label set. */
export interface CallSeriesSnapshot extends SeriesKey {
  /** Calls by outcome. */
  readonly outcomes: Readonly<Record<CallOutcome, number>>;
  /** Total calls. */
  readonly total: number;
  /**
   * Calls of this series that **ended** rejected, by reason (`circuit-open`,
   * `bulkhead-full`…): the `rejected` outcome broken down. Rejections a fallback answered
   * are not here; {@link MetricsSnapshot.rejections} counts every rejection by the policy
   * that made it.
   */
  readonly rejections: Readonly<Record<string, number>>;
  /** Call duration statistics (ms), cancelled calls included. */
  readonly duration: HistogramSnapshot;
  /**
   * Share of calls in the availability window that succeeded (success or fallback);
   * cancelled calls do not count. `undefined` when the window holds no call.
   */
  readonly availability: number | undefined;
  /** The window's counts behind `availability`. */
  readonly window: {
    /** Calls in the window that succeeded, directly or by fallback. */
    readonly good: number;
    /** Calls in the window, cancelled calls excepted. */
    readonly total: number;
  };
}

/** Retries of one retry policy. */
export interface RetrySeriesSnapshot extends SeriesKey {
  /** Retries scheduled. */
  readonly retries: number;
  /** Calls the retry gave up on, by reason (`max-attempts`, `budget`…). */
  readonly giveUps: Readonly<Record<string, number>>;
  /** Retries refused because the retry budget was empty. */
  readonly budgetExhausted: number;
}

/**
 * Rejections made by one policy (a circuit breaker, a bulkhead…) for one pipeline,
 * operation and label set, counted from its `rejected` events whatever the call's final
 * outcome. `policy` is the refusing policy.
 */
export interface RejectionSeriesSnapshot extends SeriesKey {
  /** Rejections by reason: `circuit-open`, `circuit-half-open`, `circuit-isolated`, `bulkhead-full`, `bulkhead-queue-timeout`. */
  readonly reasons: Readonly<Record<string, number>>;
  /** Every rejection of this series. */
  readonly total: number;
}

/** Timeouts of one timeout policy. */
export interface TimeoutSeriesSnapshot extends SeriesKey {
  /** Deadlines that passed. */
  readonly timeouts: number;
}

/** Fallback use of one fallback policy. */
export interface FallbackSeriesSnapshot extends SeriesKey {
  /** Fallback tiers run, by 0-based tier index. */
  readonly tiers: Readonly<Record<string, number>>;
  /** Calls where every tier failed. */
  readonly exhausted: number;
}

/** Injections of one chaos fault. */
export interface InjectionSeriesSnapshot extends SeriesKey {
  /** Fault name. */
  readonly fault: string;
  /** Fault kind (`error`, `latency`…). */
  readonly faultKind: string;
  /** Injections. */
  readonly injections: number;
}

/** One circuit breaker. Durations in ms. */
export interface BreakerSnapshot {
  /** Breaker name. */
  readonly name: string;
  /** Current state (read live from the breaker when it was observed directly or in a pipeline). */
  readonly state: CircuitStateName;
  /** Time spent in each state since first seen, the current state up to now. */
  readonly timeInState: Readonly<Record<CircuitStateName, number>>;
  /** Openings (closed→open, half-open→open, →isolated), by reason. */
  readonly openings: Readonly<Record<string, number>>;
  /** Outages: times the breaker left `closed`. */
  readonly outages: number;
  /** Mean time to recovery: mean time from leaving `closed` to being `closed` again. `undefined` before the first recovery. */
  readonly mttr: number | undefined;
  /** Mean time between failures: mean time between the starts of consecutive outages. `undefined` before the second outage. */
  readonly mtbf: number | undefined;
  /** Half-open episodes that ended closed. */
  readonly recoveries: number;
  /** Half-open episodes that ended open again (a probe failed). */
  readonly failedRecoveries: number;
  /** `recoveries / (recoveries + failedRecoveries)`, `undefined` before the first episode ends. */
  readonly recoveryRate: number | undefined;
}

/** One bulkhead, read live. */
export interface BulkheadSnapshot {
  /** Bulkhead name. */
  readonly name: string;
  /** Calls running. */
  readonly active: number;
  /** Calls waiting. */
  readonly queued: number;
  /** Concurrency limit. */
  readonly maxConcurrent: number;
  /** Queue limit. */
  readonly maxQueue: number;
}

/** Everything the aggregator knows, as plain data (durations in ms). */
export interface MetricsSnapshot {
  /** Clock time of the snapshot. */
  readonly time: number;
  /** Calls by executing policy/pipeline, operation and label set. */
  readonly calls: readonly CallSeriesSnapshot[];
  /** Rejections by refusing policy (breaker, bulkhead), pipeline, operation and label set. */
  readonly rejections: readonly RejectionSeriesSnapshot[];
  /** Retry policies. */
  readonly retries: readonly RetrySeriesSnapshot[];
  /** Timeout policies. */
  readonly timeouts: readonly TimeoutSeriesSnapshot[];
  /** Fallback policies. */
  readonly fallbacks: readonly FallbackSeriesSnapshot[];
  /** Chaos faults. */
  readonly injections: readonly InjectionSeriesSnapshot[];
  /** Circuit breakers. */
  readonly breakers: readonly BreakerSnapshot[];
  /** Bulkheads (only those observed live). */
  readonly bulkheads: readonly BulkheadSnapshot[];
  /** Events counted under `_other` because a cardinality cap was reached. */
  readonly dropped: {
    /** Events whose operation was counted as `_other` (past `maxOperations`). */
    readonly operations: number;
    /** Events whose label values were counted as `_other` (past `maxLabelSets`). */
    readonly labelSets: number;
  };
}

/** One settled call, as given to {@link Metrics.onCall} listeners. */
export interface CallRecord extends SeriesKey {
  /** How it ended. */
  readonly outcome: CallOutcome;
  /** Rejection reason when `outcome` is `rejected`. */
  readonly reason: string | undefined;
  /** Duration in ms. */
  readonly duration: number;
  /** Clock time when it settled. */
  readonly time: number;
}

/** The kinds of metric family, as in the Prometheus exposition format. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One value with its labels. */
export interface MetricSample {
  /** Label names and values. */
  readonly labels: Readonly<Record<string, string>>;
  /** The value (base units: seconds, ratios in 0..1). */
  readonly value: number;
}

/** One histogram series (seconds). */
export interface HistogramSample {
  /** Label names and values. */
  readonly labels: Readonly<Record<string, string>>;
  /** Cumulative counts at upper bounds `le` (seconds), ascending, without `+Inf`. */
  readonly buckets: readonly {
    /** Upper bound of the bucket, in seconds. */
    readonly le: number;
    /** Observations ≤ `le` (cumulative). */
    readonly count: number;
  }[];
  /** Sum of observations (seconds). */
  readonly sum: number;
  /** Number of observations (the `+Inf` bucket). */
  readonly count: number;
}

/** A metric family: what the exporters render. */
export type MetricFamily =
  | {
      /** Prometheus name of the metric (one of {@link MetricNames}). */
      readonly name: string;
      /** One-line description (the `# HELP` text). */
      readonly help: string;
      /** `'counter'` or `'gauge'`. */
      readonly type: 'counter' | 'gauge';
      /** One value per label set. */
      readonly samples: readonly MetricSample[];
    }
  | {
      /** Prometheus name of the metric (one of {@link MetricNames}). */
      readonly name: string;
      /** One-line description (the `# HELP` text). */
      readonly help: string;
      /** `'histogram'`. */
      readonly type: 'histogram';
      /** One histogram per label set. */
      readonly samples: readonly HistogramSample[];
    };

/** Help texts of every family, keyed by Prometheus name. @internal */
export const METRIC_HELP: Readonly<Record<(typeof MetricNames)[keyof typeof MetricNames], readonly [MetricType, string]>> = {
  resilience_calls_total: ['counter', 'Calls executed through a policy or pipeline, by outcome.'],
  resilience_call_rejections_total: ['counter', 'Calls refused by a circuit breaker or bulkhead (whatever their final outcome), by refusing policy and reason.'],
  resilience_call_duration_seconds: ['histogram', 'Duration of calls through a policy or pipeline.'],
  resilience_availability_ratio: ['gauge', 'Share of calls that succeeded (directly or by fallback) over the sliding availability window.'],
  resilience_retries_total: ['counter', 'Retries scheduled by retry policies.'],
  resilience_retry_give_ups_total: ['counter', 'Calls a retry policy gave up on after handling a failure, by reason.'],
  resilience_retry_budget_exhausted_total: ['counter', 'Retries refused because the retry budget was empty.'],
  resilience_timeouts_total: ['counter', 'Deadlines of timeout policies that passed.'],
  resilience_fallbacks_total: ['counter', 'Fallback tiers run, by 0-based tier index.'],
  resilience_fallbacks_exhausted_total: ['counter', 'Calls where the call and every fallback tier failed.'],
  resilience_chaos_injections_total: ['counter', 'Faults injected by chaos policies, by fault.'],
  resilience_circuit_state: ['gauge', 'Circuit breaker state: 1 for the current state, 0 for the others.'],
  resilience_circuit_state_seconds_total: ['counter', 'Time a circuit breaker spent in each state.'],
  resilience_circuit_openings_total: ['counter', 'Times a circuit breaker opened or was isolated, by reason.'],
  resilience_circuit_recoveries_total: ['counter', 'Half-open episodes of a circuit breaker, by result (closed or reopened).'],
  resilience_circuit_mttr_seconds: ['gauge', 'Mean time from a circuit breaker leaving closed to being closed again.'],
  resilience_circuit_mtbf_seconds: ['gauge', 'Mean time between the starts of consecutive outages of a circuit breaker.'],
  resilience_bulkhead_active: ['gauge', 'Calls running in a bulkhead.'],
  resilience_bulkhead_queued: ['gauge', 'Calls waiting in a bulkhead queue.'],
  resilience_bulkhead_max_concurrent: ['gauge', 'Concurrency limit of a bulkhead.'],
  resilience_bulkhead_max_queue: ['gauge', 'Queue limit of a bulkhead.'],
  resilience_metrics_series_dropped_total: ['counter', 'Events counted under the value "_other" because a cardinality cap was reached.'],
};

// ---------------------------------------------------------------------------------------
// Structural views of live policies (metrics imports no policy folder).

interface EventSource {
  readonly kind?: unknown;
  readonly name?: unknown;
  onEvent(listener: (event: ResilienceEvent) => void): Subscription;
}

interface LiveBreaker {
  readonly name: string;
  readonly state: unknown;
}

interface BulkheadStats {
  readonly active: number;
  readonly queued: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
}

interface LiveBulkhead {
  readonly name: string;
  readonly stats: unknown;
}

/**
 * What {@link Metrics.observe} accepts: any breakwater policy or pipeline (anything with
 * `onEvent`). Pipelines are walked through `policies` to find breakers (`state`) and
 * bulkheads (`stats`) whose live values become gauges.
 */
export interface Observable {
  /** Subscribes to every event. */
  onEvent(listener: (event: ResilienceEvent) => void): Subscription;
}

function isCircuitState(v: unknown): v is CircuitStateName {
  return v === 'closed' || v === 'open' || v === 'half-open' || v === 'isolated';
}

function readStats(b: LiveBulkhead): BulkheadStats | undefined {
  let s: unknown;
  try {
    s = b.stats;
  } catch {
    return undefined;
  }
  if (typeof s !== 'object' || s === null) return undefined;
  const r = s as Record<string, unknown>;
  const num = (k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : 0);
  if (typeof r['active'] !== 'number') return undefined;
  return { active: num('active'), queued: num('queued'), maxConcurrent: num('maxConcurrent'), maxQueue: num('maxQueue') };
}

function readState(b: LiveBreaker): CircuitStateName | undefined {
  try {
    const s = b.state;
    return isCircuitState(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Internal state.

/** Sliding window of (good, total) counts in `size` buckets of `width` ms. */
class AvailabilityWindow {
  private readonly good: Float64Array;
  private readonly total: Float64Array;
  private readonly epochs: Float64Array;
  constructor(
    private readonly width: number,
    private readonly size: number,
  ) {
    this.good = new Float64Array(size);
    this.total = new Float64Array(size);
    this.epochs = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  }
  record(time: number, ok: boolean): void {
    const e = Math.floor(time / this.width);
    const slot = ((e % this.size) + this.size) % this.size;
    if (this.epochs[slot] !== e) {
      // A late event for an epoch already overwritten is dropped (it fell out of the window).
      if ((this.epochs[slot] as number) > e) return;
      this.epochs[slot] = e;
      this.good[slot] = 0;
      this.total[slot] = 0;
    }
    this.total[slot] = (this.total[slot] as number) + 1;
    if (ok) this.good[slot] = (this.good[slot] as number) + 1;
  }
  read(now: number): { good: number; total: number } {
    const e = Math.floor(now / this.width);
    let good = 0;
    let total = 0;
    for (let i = 0; i < this.size; i++) {
      const ep = this.epochs[i] as number;
      if (ep > e - this.size && ep <= e) {
        good += this.good[i] as number;
        total += this.total[i] as number;
      }
    }
    return { good, total };
  }
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function toRecord<K extends string>(map: Map<K, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of map) out[k] = v;
  return out;
}

class Series {
  // calls
  executed = false;
  readonly outcomes = new Float64Array(CallOutcomes.length);
  readonly rejections = new Map<string, number>();
  duration: LogHistogram | undefined = undefined;
  // rejections made by this policy (breaker, bulkhead), by reason
  readonly rejected = new Map<string, number>();
  window: AvailabilityWindow | undefined = undefined;
  // retry
  retrySeen = false;
  retries = 0;
  readonly giveUps = new Map<string, number>();
  budgetExhausted = 0;
  // timeout
  timeouts = 0;
  // fallback
  fallbackSeen = false;
  readonly tiers = new Map<string, number>();
  fallbackExhausted = 0;
  // chaos: key fault + '\u0000' + kind
  readonly injections = new Map<string, number>();

  constructor(readonly key: SeriesKey) {}
}

class Breaker {
  state: CircuitStateName;
  since: number;
  readonly time: Record<CircuitStateName, number> = { closed: 0, open: 0, 'half-open': 0, isolated: 0 };
  readonly openings = new Map<string, number>();
  outages = 0;
  outageStart: number | undefined = undefined;
  lastOutageStart: number | undefined = undefined;
  mttrSum = 0;
  mttrCount = 0;
  mtbfSum = 0;
  mtbfCount = 0;
  recovered = 0;
  reopened = 0;
  live: LiveBreaker | undefined = undefined;

  constructor(
    readonly name: string,
    state: CircuitStateName,
    since: number,
  ) {
    this.state = state;
    this.since = since;
  }

  transition(to: CircuitStateName, time: number, reason: string | undefined): void {
    const from = this.state;
    const opening = to === 'open' || to === 'isolated';
    if (from === to && !opening) return;
    if (time > this.since) {
      this.time[from] += time - this.since;
      this.since = time;
    }
    if (opening) {
      bump(this.openings, reason ?? (to === 'isolated' ? 'isolated' : 'unknown'));
      if (from === 'half-open' && to === 'open') this.reopened++;
    }
    if (from === 'closed' && to !== 'closed') {
      this.outages++;
      if (this.lastOutageStart !== undefined) {
        this.mtbfSum += time - this.lastOutageStart;
        this.mtbfCount++;
      }
      this.lastOutageStart = time;
      this.outageStart = time;
    } else if (to === 'closed') {
      if (from === 'half-open') this.recovered++;
      if (this.outageStart !== undefined) {
        this.mttrSum += time - this.outageStart;
        this.mttrCount++;
        this.outageStart = undefined;
      }
    }
    this.state = to;
  }
}

interface LiveBulkheadEntry {
  readonly source: LiveBulkhead;
  refs: number;
}

/**
 * An event aggregator. Create it with {@link createMetrics}.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * const sub = metrics.observe(payments);
 * // …
 * console.log(metrics.snapshot().breakers[0]?.mttr);
 * sub.dispose();
 * ```
 */
export class Metrics {
  /** The clock used for time-based values. */
  readonly clock: Clock;
  /** The call labels that become metric labels. */
  readonly labelKeys: readonly string[];
  private readonly windowWidth: number;
  private readonly windowSize: number;
  private readonly maxOperations: number;
  private readonly maxLabelSets: number;
  private readonly histogramOptions: HistogramOptions;
  private readonly series = new Map<string, Series>();
  private readonly operations = new Set<string>();
  private readonly labelSets = new Map<string, Labels>();
  private readonly breakers = new Map<string, Breaker>();
  private readonly bulkheads = new Map<string, LiveBulkheadEntry>();
  private readonly calls = new Emitter<CallRecord>();
  private droppedOperations = 0;
  private droppedLabelSets = 0;
  private readonly recent: (ResilienceEvent | undefined)[] = new Array<ResilienceEvent | undefined>(8).fill(undefined);
  private recentAt = 0;
  private readonly listener: (event: ResilienceEvent) => void;

  /** @internal Use {@link createMetrics}. */
  constructor(options: MetricsOptions = {}) {
    const o = validateOptions<MetricsOptions>('metrics', options, metricsSchema, (opts, issues) => {
      if (opts.histogram !== undefined) checkHistogramOptions(opts.histogram, issues, 'histogram.');
      const seen = new Set<string>();
      (opts.labelKeys ?? []).forEach((k, i) => {
        if (!LABEL_NAME.test(k) || k.startsWith('__')) {
          issues.push({ path: `labelKeys[${i}]`, value: k, expected: 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)' });
        } else if (RESERVED_LABELS.has(k)) {
          issues.push({ path: `labelKeys[${i}]`, value: k, expected: `a label name other than ${[...RESERVED_LABELS].join(', ')}` });
        } else if (seen.has(k)) {
          issues.push({ path: `labelKeys[${i}]`, value: k, expected: 'a label name not listed twice' });
        }
        seen.add(k);
      });
    });
    this.clock = o.clock ?? systemClock;
    const window = o.availabilityWindow ?? 300_000;
    this.windowSize = o.availabilityBuckets ?? 10;
    this.windowWidth = window / this.windowSize;
    this.maxOperations = o.maxOperations ?? 100;
    this.maxLabelSets = o.maxLabelSets ?? 100;
    this.labelKeys = [...(o.labelKeys ?? [])];
    this.histogramOptions = o.histogram ?? {};
    // Validate the histogram bounds now rather than on the first call.
    new LogHistogram(this.histogramOptions);
    this.listener = (event) => this.handle(event);
  }

  /**
   * Subscribes to every event of `target` (a policy or a pipeline) and registers the
   * breakers and bulkheads found in it (walking `policies` recursively) for live gauges.
   * Returns a {@link Subscription}: `dispose()` removes the listener and the live gauges;
   * the numbers counted so far stay.
   *
   * Observing the same events through two targets (a pipeline and one of its policies)
   * counts each event once.
   */
  observe(target: Observable): Subscription {
    const source = target as unknown as EventSource;
    if (typeof source !== 'object' || source === null || typeof source.onEvent !== 'function') {
      throw new TypeError('metrics.observe() expects a policy or pipeline (an object with onEvent)');
    }
    const breakers: LiveBreaker[] = [];
    const bulkheads: LiveBulkhead[] = [];
    this.walk(source, breakers, bulkheads, new Set());
    const now = this.clock.now();
    for (const b of breakers) {
      const state = readState(b) ?? 'closed';
      let entry = this.breakers.get(b.name);
      if (entry === undefined) {
        entry = new Breaker(b.name, state, now);
        this.breakers.set(b.name, entry);
      }
      entry.live = b;
    }
    for (const b of bulkheads) {
      const entry = this.bulkheads.get(b.name);
      // One live source per name (two series with the same labels would be invalid).
      if (entry === undefined) this.bulkheads.set(b.name, { source: b, refs: 1 });
      else if (entry.source === b) entry.refs++;
    }
    // Breakers emit manual transitions (isolate, reset) to their own listeners only, so
    // listen to them directly too; events heard twice are counted once (see handle()).
    const subs = [source.onEvent(this.listener)];
    for (const b of breakers) {
      if (b !== (source as unknown) && typeof (b as Partial<EventSource>).onEvent === 'function') {
        subs.push((b as unknown as EventSource).onEvent(this.listener));
      }
    }
    let active = true;
    return {
      dispose: () => {
        if (!active) return;
        active = false;
        for (const sub of subs) sub.dispose();
        for (const b of breakers) {
          const entry = this.breakers.get(b.name);
          if (entry !== undefined && entry.live === b) entry.live = undefined;
        }
        for (const b of bulkheads) {
          const entry = this.bulkheads.get(b.name);
          if (entry !== undefined && entry.source === b && --entry.refs === 0) this.bulkheads.delete(b.name);
        }
      },
    };
  }

  private walk(node: unknown, breakers: LiveBreaker[], bulkheads: LiveBulkhead[], seen: Set<unknown>): void {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    const n = node as { kind?: unknown; name?: unknown; policies?: unknown; state?: unknown; stats?: unknown };
    if (typeof n.name === 'string') {
      if ('state' in n && (n.kind === 'circuit-breaker' || isCircuitState(readState(n as LiveBreaker)))) {
        breakers.push(n as LiveBreaker);
      } else if ('stats' in n && readStats(n as LiveBulkhead) !== undefined) {
        bulkheads.push(n as LiveBulkhead);
      }
    }
    if (Array.isArray(n.policies)) for (const p of n.policies) this.walk(p, breakers, bulkheads, seen);
  }

  /**
   * Feeds one event in by hand (what `observe()` does for each event). Useful for events
   * that reach you some other way, and in tests.
   */
  record(event: ResilienceEvent): void {
    this.handle(event);
  }

  /**
   * Listens to every call counted in `resilience_calls_total` (used by the OpenTelemetry
   * adapter to record its duration histogram).
   */
  onCall(listener: Listener<CallRecord>): Subscription {
    return this.calls.on(listener);
  }

  private handle(event: ResilienceEvent): void {
    // A pipeline and its policies deliver the same event object one after the other:
    // remember the last few events and count each once.
    const recent = this.recent;
    for (let i = 0; i < recent.length; i++) if (recent[i] === event) return;
    recent[this.recentAt] = event;
    this.recentAt = (this.recentAt + 1) % recent.length;
    switch (event.kind) {
      case 'execution':
        if (event.type === 'executed') this.onExecuted(event as ExecutedEvent);
        break;
      case 'circuit-breaker':
        if (event.type === 'rejected') this.onRejected(event);
        else this.onBreaker(event);
        break;
      case 'retry': {
        const s = this.seriesOf(event);
        s.retrySeen = true;
        if (event.type === 'retry') s.retries++;
        else if (event.type === 'give-up') bump(s.giveUps, str((event as { reason?: unknown }).reason, 'unknown'));
        else if (event.type === 'budget-exhausted') s.budgetExhausted++;
        break;
      }
      case 'timeout':
        if (event.type === 'timeout') this.seriesOf(event).timeouts++;
        break;
      case 'fallback': {
        const s = this.seriesOf(event);
        s.fallbackSeen = true;
        if (event.type === 'fallback') bump(s.tiers, String((event as { tier?: unknown }).tier ?? 0));
        else if (event.type === 'exhausted') s.fallbackExhausted++;
        break;
      }
      case 'chaos':
        if (event.type === 'injected') {
          const e = event as { fault?: unknown; faultKind?: unknown };
          bump(this.seriesOf(event).injections, `${str(e.fault, 'unknown')}\u0000${str(e.faultKind, 'unknown')}`);
        }
        break;
      default:
        // Bulkheads, and any other policy that refuses calls (a rate limiter).
        if (event.type === 'rejected') this.onRejected(event);
        break;
    }
  }

  /**
   * A policy refused a call. Counted here, from the refusing policy's own event, and not
   * from the `executed` event: a call a fallback answered has no rejection as its final
   * error, and a call that ended rejected was counted here already.
   */
  private onRejected(e: ResilienceEvent): void {
    bump(this.seriesOf(e).rejected, rejectionEventReason(e));
  }

  private onExecuted(e: ExecutedEvent): void {
    const s = this.seriesOf(e);
    const outcome = classify(e);
    const reason = outcome === 'rejected' ? rejectionReason(e.error) : undefined;
    s.executed = true;
    const i = CallOutcomes.indexOf(outcome);
    s.outcomes[i] = (s.outcomes[i] as number) + 1;
    if (reason !== undefined) bump(s.rejections, reason);
    (s.duration ??= new LogHistogram(this.histogramOptions)).record(e.duration);
    if (outcome !== 'cancelled') {
      (s.window ??= new AvailabilityWindow(this.windowWidth, this.windowSize)).record(e.time, outcome === 'success' || outcome === 'fallback');
    }
    if (this.calls.size > 0) {
      this.calls.emit({ ...s.key, outcome, reason, duration: e.duration, time: e.time });
    }
  }

  private onBreaker(e: ResilienceEvent): void {
    let to: CircuitStateName;
    let reason: string | undefined;
    if (e.type === 'opened') {
      reason = str((e as { reason?: unknown }).reason, 'unknown');
      to = reason === 'isolated' ? 'isolated' : 'open';
    } else if (e.type === 'half-opened') to = 'half-open';
    else if (e.type === 'closed') to = 'closed';
    else return;
    let b = this.breakers.get(e.policy);
    if (b === undefined) {
      const from = (e as { from?: unknown }).from;
      b = new Breaker(e.policy, isCircuitState(from) ? from : 'closed', e.time);
      this.breakers.set(e.policy, b);
    }
    b.transition(to, e.time, reason);
  }

  private seriesOf(e: ResilienceEvent): Series {
    let operation = e.operation;
    if (!this.operations.has(operation)) {
      if (this.operations.size < this.maxOperations) this.operations.add(operation);
      else {
        operation = OVERFLOW_VALUE;
        this.droppedOperations++;
      }
    }
    let labelKey = '';
    let labels = EMPTY_LABELS;
    const keys = this.labelKeys;
    if (keys.length > 0) {
      const values = keys.map((k) => e.labels[k] ?? '');
      labelKey = values.join('\u0001');
      const known = this.labelSets.get(labelKey);
      if (known !== undefined) labels = known;
      else if (this.labelSets.size < this.maxLabelSets) {
        labels = Object.freeze(Object.fromEntries(keys.map((k, i) => [k, values[i] as string])));
        this.labelSets.set(labelKey, labels);
      } else {
        this.droppedLabelSets++;
        // The same key as a real label set whose values are all `_other`: one series.
        labelKey = keys.map(() => OVERFLOW_VALUE).join('\u0001');
        labels = this.labelSets.get(labelKey) ?? Object.freeze(Object.fromEntries(keys.map((k) => [k, OVERFLOW_VALUE])));
      }
    }
    const pipeline = e.pipeline ?? '';
    const key = `${pipeline}\u0000${e.policy}\u0000${operation}\u0000${labelKey}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = new Series({ pipeline, policy: e.policy, operation, labels });
      this.series.set(key, s);
    }
    return s;
  }

  /** Everything counted so far, as plain data. Durations in ms. */
  snapshot(): MetricsSnapshot {
    const now = this.clock.now();
    const calls: CallSeriesSnapshot[] = [];
    const rejections: RejectionSeriesSnapshot[] = [];
    const retries: RetrySeriesSnapshot[] = [];
    const timeouts: TimeoutSeriesSnapshot[] = [];
    const fallbacks: FallbackSeriesSnapshot[] = [];
    const injections: InjectionSeriesSnapshot[] = [];
    for (const s of this.series.values()) {
      const k = s.key;
      if (s.executed) {
        const outcomes = {} as Record<CallOutcome, number>;
        let total = 0;
        CallOutcomes.forEach((o, i) => {
          outcomes[o] = s.outcomes[i] as number;
          total += s.outcomes[i] as number;
        });
        const window = s.window?.read(now) ?? { good: 0, total: 0 };
        calls.push({
          ...k,
          outcomes,
          total,
          rejections: toRecord(s.rejections),
          duration: (s.duration as LogHistogram).snapshot(),
          availability: window.total > 0 ? window.good / window.total : undefined,
          window,
        });
      }
      if (s.rejected.size > 0) {
        let total = 0;
        for (const n of s.rejected.values()) total += n;
        rejections.push({ ...k, reasons: toRecord(s.rejected), total });
      }
      if (s.retrySeen) retries.push({ ...k, retries: s.retries, giveUps: toRecord(s.giveUps), budgetExhausted: s.budgetExhausted });
      if (s.timeouts > 0) timeouts.push({ ...k, timeouts: s.timeouts });
      if (s.fallbackSeen) fallbacks.push({ ...k, tiers: toRecord(s.tiers), exhausted: s.fallbackExhausted });
      for (const [fk, n] of s.injections) {
        const [fault, faultKind] = fk.split('\u0000') as [string, string];
        injections.push({ ...k, fault, faultKind, injections: n });
      }
    }
    const breakers: BreakerSnapshot[] = [];
    for (const b of this.breakers.values()) {
      const state = (b.live !== undefined ? readState(b.live) : undefined) ?? b.state;
      const timeInState = { ...b.time };
      if (now > b.since) timeInState[b.state] += now - b.since;
      const episodes = b.recovered + b.reopened;
      breakers.push({
        name: b.name,
        state,
        timeInState,
        openings: toRecord(b.openings),
        outages: b.outages,
        mttr: b.mttrCount > 0 ? b.mttrSum / b.mttrCount : undefined,
        mtbf: b.mtbfCount > 0 ? b.mtbfSum / b.mtbfCount : undefined,
        recoveries: b.recovered,
        failedRecoveries: b.reopened,
        recoveryRate: episodes > 0 ? b.recovered / episodes : undefined,
      });
    }
    const bulkheads: BulkheadSnapshot[] = [];
    for (const [name, entry] of this.bulkheads) {
      const stats = readStats(entry.source);
      if (stats !== undefined) bulkheads.push({ name, ...stats });
    }
    return {
      time: now,
      calls,
      rejections,
      retries,
      timeouts,
      fallbacks,
      injections,
      breakers,
      bulkheads,
      dropped: { operations: this.droppedOperations, labelSets: this.droppedLabelSets },
    };
  }

  /** Upper bounds (seconds) of the exported call-duration histogram buckets, without `+Inf`. */
  durationBuckets(): number[] {
    return new LogHistogram(this.histogramOptions).exportedBuckets().map((b) => b.le / 1000);
  }

  /**
   * The metrics in the Prometheus text exposition format (version 0.0.4), valid for
   * `promtool check metrics`. Serve it with `createMetricsHandler(metrics)`.
   */
  toPrometheus(): string {
    return renderPrometheus(this.collect());
  }

  /**
   * Every metric as families of samples in base units (seconds, ratios), named as in
   * {@link MetricNames}: what the Prometheus, prom-client and OpenTelemetry exporters
   * render. Families without samples are included (empty).
   */
  collect(): MetricFamily[] {
    const snap = this.snapshot();
    const out = new Map<string, MetricSample[] | HistogramSample[]>();
    for (const name of Object.values(MetricNames)) out.set(name, []);
    const add = (name: string, labels: Record<string, string>, value: number): void => {
      (out.get(name) as MetricSample[]).push({ labels, value });
    };
    const base = (k: SeriesKey): Record<string, string> => ({ pipeline: k.pipeline, policy: k.policy, operation: k.operation, ...k.labels });
    for (const c of snap.calls) {
      const l = base(c);
      for (const o of CallOutcomes) add(MetricNames.calls, { ...l, outcome: o }, c.outcomes[o]);
      if (c.availability !== undefined) add(MetricNames.availability, l, c.availability);
    }
    for (const s of this.series.values()) {
      if (!s.executed || s.duration === undefined) continue;
      (out.get(MetricNames.callDuration) as HistogramSample[]).push({
        labels: base(s.key),
        buckets: s.duration.exportedBuckets().map((b) => ({ le: b.le / 1000, count: b.count })),
        sum: s.duration.sum / 1000,
        count: s.duration.count,
      });
    }
    for (const r of snap.rejections) {
      const l = base(r);
      for (const [reason, n] of Object.entries(r.reasons)) add(MetricNames.callRejections, { ...l, reason }, n);
    }
    for (const r of snap.retries) {
      const l = base(r);
      add(MetricNames.retries, l, r.retries);
      for (const [reason, n] of Object.entries(r.giveUps)) add(MetricNames.retryGiveUps, { ...l, reason }, n);
      if (r.budgetExhausted > 0) add(MetricNames.retryBudgetExhausted, l, r.budgetExhausted);
    }
    for (const t of snap.timeouts) add(MetricNames.timeouts, base(t), t.timeouts);
    for (const f of snap.fallbacks) {
      const l = base(f);
      for (const [tier, n] of Object.entries(f.tiers)) add(MetricNames.fallbacks, { ...l, tier }, n);
      if (f.exhausted > 0) add(MetricNames.fallbacksExhausted, l, f.exhausted);
    }
    for (const i of snap.injections) add(MetricNames.chaosInjections, { ...base(i), fault: i.fault, fault_kind: i.faultKind }, i.injections);
    for (const b of snap.breakers) {
      const policy = b.name;
      for (const st of CircuitStateNames) {
        add(MetricNames.circuitState, { policy, state: st }, b.state === st ? 1 : 0);
        add(MetricNames.circuitStateSeconds, { policy, state: st }, b.timeInState[st] / 1000);
      }
      for (const [reason, n] of Object.entries(b.openings)) add(MetricNames.circuitOpenings, { policy, reason }, n);
      add(MetricNames.circuitRecoveries, { policy, result: 'closed' }, b.recoveries);
      add(MetricNames.circuitRecoveries, { policy, result: 'reopened' }, b.failedRecoveries);
      if (b.mttr !== undefined) add(MetricNames.circuitMttr, { policy }, b.mttr / 1000);
      if (b.mtbf !== undefined) add(MetricNames.circuitMtbf, { policy }, b.mtbf / 1000);
    }
    for (const b of snap.bulkheads) {
      const policy = b.name;
      add(MetricNames.bulkheadActive, { policy }, b.active);
      add(MetricNames.bulkheadQueued, { policy }, b.queued);
      add(MetricNames.bulkheadMaxConcurrent, { policy }, b.maxConcurrent);
      add(MetricNames.bulkheadMaxQueue, { policy }, b.maxQueue);
    }
    add(MetricNames.seriesDropped, { limit: 'operations' }, snap.dropped.operations);
    add(MetricNames.seriesDropped, { limit: 'label_sets' }, snap.dropped.labelSets);
    const families: MetricFamily[] = [];
    for (const [name, samples] of out) {
      const [type, help] = METRIC_HELP[name as keyof typeof METRIC_HELP];
      families.push({ name, help, type, samples } as MetricFamily);
    }
    return families;
  }
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.length > 0 ? v : fallback;
}

/** @internal The single outcome of an executed call (see {@link CallOutcomes}). */
export function classify(e: ExecutedEvent): CallOutcome {
  if (e.cancelled) return 'cancelled';
  if (e.ok) return e.fallback ? 'fallback' : 'success';
  if (e.injected || isChaosInjectedError(e.error)) return 'injected';
  if (isExecutionRejectedError(e.error)) return 'rejected';
  if (isTimeoutError(e.error)) return 'timeout';
  return 'failure';
}

/**
 * @internal The reason label of a `rejected` event: `circuit-<state>` for a breaker,
 * `bulkhead-<reason>` for a bulkhead; for another policy its `reason` field, else its kind.
 */
export function rejectionEventReason(e: ResilienceEvent): string {
  const f = e as { state?: unknown; reason?: unknown };
  if (e.kind === 'circuit-breaker') return `circuit-${str(f.state, 'open')}`;
  if (e.kind === 'bulkhead') return `bulkhead-${str(f.reason, 'full')}`;
  return str(f.reason, str(e.kind, 'other'));
}

/** @internal The reason label of a rejection: `circuit-open`, `bulkhead-full`… */
export function rejectionReason(error: unknown): string {
  if (isBrokenCircuitError(error)) return `circuit-${error.state}`;
  if (isBulkheadRejectedError(error)) return `bulkhead-${error.reason}`;
  return 'other';
}

/**
 * Creates a metrics aggregator. Observe policies or pipelines with `observe()`, then read
 * `snapshot()`, `toPrometheus()` (from `breakwater/metrics`) or attach an adapter.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ availabilityWindow: 60_000, labelKeys: ['region'] });
 * metrics.observe(payments);
 * const { calls, breakers } = metrics.snapshot();
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new Metrics(options);
}
