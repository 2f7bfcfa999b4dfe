/**
 * The names of the metrics: metric and label names, call outcomes, circuit states and the
 * help text of every family. Dashboards, alert rules and the exporters read them here.
 *
 * @packageDocumentation
 */

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
   * `rejected`) or a rate limiter (its `limited` events), counted from the refusing
   * policy's own event whatever the call's final outcome (a fallback may have answered it,
   * a retry may have tried again). `policy` is the refusing policy, `pipeline` and
   * `operation` the call's; labelled by `reason` (`circuit-open`, `circuit-half-open`,
   * `circuit-isolated`, `bulkhead-full`, `bulkhead-queue-timeout`, `rate-limited-rate`,
   * `rate-limited-queue-full`, `rate-limited-deadline`, `rate-limited-max-partitions`,
   * `concurrency-limited-full`, `concurrency-limited-queue-timeout`,
   * `concurrency-limited-max-partitions`).
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
  /**
   * Counter: calls a rate limiter admitted (at once, or after waiting for their slot with
   * `maxWait`), from its `admitted` events. `policy` is the limiter, `pipeline` and
   * `operation` the call's. Its refusals are in {@link MetricNames.callRejections} with
   * `reason="rate-limited-…"`, so `admitted / (admitted + limited)` is the admission ratio.
   */
  rateLimiterAdmitted: 'resilience_rate_limiter_admitted_total',
  /** Gauge: calls waiting for their reserved slot in a rate limiter (over every key of a partitioned one), read live. */
  rateLimiterQueued: 'resilience_rate_limiter_queued',
  /**
   * Counter: hedges started by hedging policies, labelled by `attempt` (2 for the first
   * hedge) and `trigger` (`delay`: no answer within the hedging delay; `failure`: an attempt
   * failed). `hedges / calls` of the same series is the extra load hedging adds.
   */
  hedges: 'resilience_hedges_total',
  /** Counter: hedged calls (those that started a hedge) by the `attempt` whose success settled them (`1`: the first attempt won after all). */
  hedgeWins: 'resilience_hedge_wins_total',
  /** Counter: attempts of hedged calls aborted because another attempt settled the call first. */
  hedgeLosersCancelled: 'resilience_hedge_losers_cancelled_total',
  /** Counter: hedges refused because the hedging budget was empty. */
  hedgeBudgetExhausted: 'resilience_hedge_budget_exhausted_total',
  /** Gauge: the current limit of an adaptive concurrency policy (absent for a partitioned one: each partition has its own), read live. */
  adaptiveLimit: 'resilience_adaptive_concurrency_limit',
  /** Gauge: calls running under an adaptive concurrency limit (over every partition of a partitioned one), read live. */
  adaptiveInFlight: 'resilience_adaptive_concurrency_in_flight',
  /** Gauge: calls waiting for a slot of an adaptive concurrency limit (over every partition), read live. */
  adaptiveQueued: 'resilience_adaptive_concurrency_queued',
  /**
   * Counter: times an adaptive concurrency limit moved, labelled by `direction` (`up` or
   * `down`); `pipeline` and `operation` are those of the call that closed the sampling window.
   * Its refusals are in {@link MetricNames.callRejections} with `reason="concurrency-limited-…"`.
   */
  adaptiveLimitChanges: 'resilience_adaptive_concurrency_limit_changes_total',
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
  /** A circuit breaker state: a `CircuitState`. */
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
  /** The attempt of a hedged call (1 for the first, 2 for the first hedge). */
  attempt: 'attempt',
  /** Why a hedge started: `delay` or `failure`. */
  trigger: 'trigger',
  /** Which way an adaptive concurrency limit moved: `up` or `down`. */
  direction: 'direction',
} as const;


/** The kinds of metric family, as in the Prometheus exposition format. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Help texts of every family, keyed by Prometheus name. @internal */
export const METRIC_HELP: Readonly<Record<(typeof MetricNames)[keyof typeof MetricNames], readonly [MetricType, string]>> = {
  resilience_calls_total: ['counter', 'Calls executed through a policy or pipeline, by outcome.'],
  resilience_call_rejections_total: ['counter', 'Calls refused by a circuit breaker, bulkhead or rate limiter (whatever their final outcome), by refusing policy and reason.'],
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
  resilience_rate_limiter_admitted_total: ['counter', 'Calls a rate limiter admitted, at once or after waiting for their slot.'],
  resilience_rate_limiter_queued: ['gauge', 'Calls waiting for their reserved slot in a rate limiter.'],
  resilience_hedges_total: ['counter', 'Hedges started by hedging policies, by attempt and trigger.'],
  resilience_hedge_wins_total: ['counter', 'Hedged calls by the attempt whose success settled them.'],
  resilience_hedge_losers_cancelled_total: ['counter', 'Attempts of hedged calls aborted because another attempt settled the call first.'],
  resilience_hedge_budget_exhausted_total: ['counter', 'Hedges refused because the hedging budget was empty.'],
  resilience_adaptive_concurrency_limit: ['gauge', 'Current limit of an adaptive concurrency policy.'],
  resilience_adaptive_concurrency_in_flight: ['gauge', 'Calls running under an adaptive concurrency limit.'],
  resilience_adaptive_concurrency_queued: ['gauge', 'Calls waiting for a slot of an adaptive concurrency limit.'],
  resilience_adaptive_concurrency_limit_changes_total: ['counter', 'Times an adaptive concurrency limit moved, by direction (up or down).'],
  resilience_metrics_series_dropped_total: ['counter', 'Events counted under the value "_other" because a cardinality cap was reached.'],
};


/**
 * Prometheus names of the chaos experiment metrics (`createExperimentMetrics`): the state
 * of each experiment, its verdicts, time to detect and MTTR, its blast radius and the SLO
 * budget it burns. Labelled by `experiment` (its name); the alert rules of
 * `docs/ops/alerts.yml` read them.
 *
 * @example
 * ```ts
 * const failed = `${ExperimentMetricNames.lastVerdict}{verdict=~"fail|halted"} == 1`;
 * ```
 */
export const ExperimentMetricNames = {
  /** Gauge: 1 for the experiment's current `phase` (`idle` between runs, `baseline`, `ramp`, `inject`, `recovery`), 0 for the others. */
  phase: 'resilience_experiment_phase',
  /** Counter: runs that ended, by `verdict` (`pass`, `fail`, `halted`, `aborted`, `skipped`). */
  runs: 'resilience_experiment_runs_total',
  /** Gauge: 1 for the `verdict` of the last run that ended, 0 for the others. */
  lastVerdict: 'resilience_experiment_last_verdict',
  /** Gauge: time to detect of the last run, in seconds; absent when nothing was detected. */
  timeToDetect: 'resilience_experiment_time_to_detect_seconds',
  /** Gauge: MTTR of the last run (faults off to steady state back), in seconds; absent when it did not recover. */
  mttr: 'resilience_experiment_mttr_seconds',
  /** Gauge: distinct users of the run's calls (live during a run, then the last run's), by `scope` (`under_fault`, `overall`); needs `load.userKey`. */
  users: 'resilience_experiment_users',
  /** Gauge: distinct users with a failed or degraded call, by `scope`; needs `load.userKey`. */
  affectedUsers: 'resilience_experiment_affected_users',
  /** Gauge: failed or degraded calls, by `scope`. */
  affectedCalls: 'resilience_experiment_affected_calls',
  /** Gauge: distinct operations with a failed or degraded call, by `scope`. */
  affectedOperations: 'resilience_experiment_affected_operations',
  /** Gauge: the objective (0–1) of each declared SLO, by `operation`. */
  sloObjective: 'resilience_experiment_slo_objective_ratio',
  /**
   * Gauge: an SLO's burn rate (error rate / (1 − objective)), by `operation` and `scope`:
   * `window` (the last evaluation window, only while the experiment runs), `under_fault`,
   * `overall` (so far, then the last run's) and `peak` (the highest window so far).
   */
  sloBurnRate: 'resilience_experiment_slo_burn_rate',
  /** Gauge: share of an SLO window's error budget the run consumed, by `operation` and `scope` (`under_fault`, `overall`). */
  sloBudgetConsumed: 'resilience_experiment_slo_budget_consumed_ratio',
} as const;

/**
 * Label names of the {@link ExperimentMetricNames} families (besides `operation`, as in {@link MetricLabels}).
 *
 * @example
 * ```ts
 * const live = `${ExperimentMetricNames.sloBurnRate}{${ExperimentMetricLabels.scope}="window"}`;
 * ```
 */
export const ExperimentMetricLabels = {
  /** The experiment's name (`_other` past `maxExperiments`). */
  experiment: 'experiment',
  /** A phase, or `idle`. */
  phase: 'phase',
  /** A verdict. */
  verdict: 'verdict',
  /** What a number covers: `under_fault`, `overall`, `window` or `peak`. */
  scope: 'scope',
} as const;

/** Help texts of the experiment families, keyed by Prometheus name. @internal */
export const EXPERIMENT_METRIC_HELP: Readonly<Record<(typeof ExperimentMetricNames)[keyof typeof ExperimentMetricNames], readonly [MetricType, string]>> = {
  resilience_experiment_phase: ['gauge', 'Chaos experiment phase: 1 for the current phase (idle between runs), 0 for the others.'],
  resilience_experiment_runs_total: ['counter', 'Chaos experiment runs that ended, by verdict.'],
  resilience_experiment_last_verdict: ['gauge', 'Verdict of the last run of a chaos experiment: 1 for its verdict, 0 for the others.'],
  resilience_experiment_time_to_detect_seconds: ['gauge', 'Time from faults on to the first detection, in the last run of a chaos experiment.'],
  resilience_experiment_mttr_seconds: ['gauge', 'Time from faults off to the steady state back, in the last run of a chaos experiment.'],
  resilience_experiment_users: ['gauge', 'Distinct users of the calls of a chaos experiment run, by scope.'],
  resilience_experiment_affected_users: ['gauge', 'Distinct users with a failed or degraded call in a chaos experiment run, by scope.'],
  resilience_experiment_affected_calls: ['gauge', 'Failed or degraded calls of a chaos experiment run, by scope.'],
  resilience_experiment_affected_operations: ['gauge', 'Distinct operations with a failed or degraded call in a chaos experiment run, by scope.'],
  resilience_experiment_slo_objective_ratio: ['gauge', 'Objective of an SLO declared by a chaos experiment.'],
  resilience_experiment_slo_burn_rate: ['gauge', 'Error budget burn rate of an SLO during a chaos experiment, by scope (window, under_fault, overall, peak).'],
  resilience_experiment_slo_budget_consumed_ratio: ['gauge', 'Share of an SLO window error budget consumed by a chaos experiment run, by scope.'],
};
