/**
 * What the aggregator knows, as plain data: the snapshot types returned by
 * `Metrics.snapshot()`, the call records given to `Metrics.onCall()` listeners, and the
 * metric families the exporters render.
 *
 * @packageDocumentation
 */
import type { Labels } from '../core/context';
import type { HistogramSnapshot } from './histogram';
import type { CircuitState } from '../core/circuit-states';
import type { CallOutcome } from './names';

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
 * Rejections made by one policy (a circuit breaker, a bulkhead, a rate limiter…) for one
 * pipeline, operation and label set, counted from its `rejected` (a rate limiter's
 * `limited`) events whatever the call's final outcome. `policy` is the refusing policy.
 */
export interface RejectionSeriesSnapshot extends SeriesKey {
  /**
   * Rejections by reason: `circuit-open`, `circuit-half-open`, `circuit-isolated`,
   * `bulkhead-full`, `bulkhead-queue-timeout`, `rate-limited-rate`, `rate-limited-queue-full`,
   * `rate-limited-deadline`, `rate-limited-max-partitions`.
   */
  readonly reasons: Readonly<Record<string, number>>;
  /** Every rejection of this series. */
  readonly total: number;
}

/**
 * Admissions of one rate limiter for one pipeline, operation and label set, counted from
 * its `admitted` events. `policy` is the limiter. Its refusals are in
 * {@link MetricsSnapshot.rejections} (reasons `rate-limited-…`).
 *
 * @example
 * ```ts
 * const purchases = metrics.snapshot().admissions.find((a) => a.policy === 'shop.purchase');
 * console.log(`${purchases?.admitted ?? 0} purchases admitted`);
 * ```
 */
export interface AdmissionSeriesSnapshot extends SeriesKey {
  /** Calls admitted, at once or after waiting for their slot (`maxWait`). */
  readonly admitted: number;
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

/**
 * One hedge count: hedges of attempt `attempt` started for `trigger`.
 *
 * @example
 * ```ts
 * const h: HedgeCount = { attempt: 2, trigger: 'delay', count: 12 };
 * ```
 */
export interface HedgeCount {
  /** The attempt that started (2 for the first hedge). */
  readonly attempt: number;
  /** Why it started: `'delay'` (no answer within the hedging delay) or `'failure'` (an attempt failed). */
  readonly trigger: string;
  /** Hedges started. */
  readonly count: number;
}

/**
 * What one hedging policy did for one pipeline, operation and label set, counted from its
 * `hedge`, `hedge-won`, `hedge-losers-cancelled` and `hedge-budget-exhausted` events. Calls
 * whose first attempt answered before any hedge leave no trace here (their policy emits
 * nothing): compare with the calls of the series to get the share of hedged calls.
 *
 * @example
 * ```ts
 * const reads = metrics.snapshot().hedging.find((h) => h.policy === 'leaderboard.hedge');
 * const extra = reads?.hedges.reduce((n, h) => n + h.count, 0) ?? 0;
 * ```
 */
export interface HedgingSeriesSnapshot extends SeriesKey {
  /** Hedges started, by attempt and trigger, in the order first seen. */
  readonly hedges: readonly HedgeCount[];
  /** Hedged calls by the attempt whose success settled them (`'1'`: the first attempt won after all). */
  readonly wins: Readonly<Record<string, number>>;
  /** Attempts aborted because another attempt settled the call first (the losers). */
  readonly losersCancelled: number;
  /** Hedges the hedging budget refused. */
  readonly budgetExhausted: number;
}

/**
 * How often one adaptive concurrency limit moved, for one pipeline, operation and label set
 * (those of the call that closed the sampling window), from its `limit-changed` events.
 *
 * @example
 * ```ts
 * const db = metrics.snapshot().limitChanges.find((c) => c.policy === 'db');
 * console.log(`limit rose ${db?.increases ?? 0} times, fell ${db?.decreases ?? 0} times`);
 * ```
 */
export interface LimitChangeSeriesSnapshot extends SeriesKey {
  /** Changes to a higher limit. */
  readonly increases: number;
  /** Changes to a lower limit. */
  readonly decreases: number;
}

/**
 * One adaptive concurrency limit, read live (its `stats`). For a partitioned limit, `limit`
 * is `undefined` (each partition has its own) and the counts are totals over its live
 * partitions.
 *
 * @example
 * ```ts
 * const db = metrics.snapshot().concurrencyLimits.find((c) => c.name === 'db');
 * if (db !== undefined && db.inFlight >= (db.limit ?? Infinity)) log.info('db at its limit');
 * ```
 */
export interface ConcurrencyLimitSnapshot {
  /** Name of the adaptive concurrency policy. */
  readonly name: string;
  /** The current limit; `undefined` for a partitioned limit. */
  readonly limit: number | undefined;
  /** Calls running. */
  readonly inFlight: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
}

/** One circuit breaker. Durations in ms. */
export interface BreakerSnapshot {
  /** Breaker name. */
  readonly name: string;
  /** Current state (read live from the breaker when it was observed directly or in a pipeline). */
  readonly state: CircuitState;
  /** Time spent in each state since first seen, the current state up to now. */
  readonly timeInState: Readonly<Record<CircuitState, number>>;
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

/**
 * One rate limiter, read live (its `queued` getter).
 *
 * @example
 * ```ts
 * const partner = metrics.snapshot().rateLimiters.find((r) => r.name === 'payment-partner');
 * if ((partner?.queued ?? 0) > 50) log.warn('partner quota backlog');
 * ```
 */
export interface RateLimiterSnapshot {
  /** Rate limiter name. */
  readonly name: string;
  /** Calls waiting for their reserved slot (over every key of a partitioned limiter). */
  readonly queued: number;
}

/** Everything the aggregator knows, as plain data (durations in ms). */
export interface MetricsSnapshot {
  /** Clock time of the snapshot. */
  readonly time: number;
  /** Calls by executing policy/pipeline, operation and label set. */
  readonly calls: readonly CallSeriesSnapshot[];
  /** Rejections by refusing policy (breaker, bulkhead, rate limiter), pipeline, operation and label set. */
  readonly rejections: readonly RejectionSeriesSnapshot[];
  /** Calls admitted by rate limiters, by limiter, pipeline, operation and label set. */
  readonly admissions: readonly AdmissionSeriesSnapshot[];
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
  /** Rate limiters (only those observed live). */
  readonly rateLimiters: readonly RateLimiterSnapshot[];
  /** Hedging policies, by policy, pipeline, operation and label set. */
  readonly hedging: readonly HedgingSeriesSnapshot[];
  /** Changes of adaptive concurrency limits, by policy, pipeline, operation and label set. */
  readonly limitChanges: readonly LimitChangeSeriesSnapshot[];
  /** Adaptive concurrency limits (only those observed live). */
  readonly concurrencyLimits: readonly ConcurrencyLimitSnapshot[];
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
