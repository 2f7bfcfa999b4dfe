/**
 * The names the tracing policy writes: span attributes, span event names and outcomes. One
 * table, documented in docs/tracing.md; the attribute keys match those of breakwater's
 * OpenTelemetry metrics (`resilience.*`), so a trace and a metric series of the same call
 * carry the same keys.
 *
 * @packageDocumentation
 */

/**
 * How a call ended, on the call span's {@link TracingAttributes.outcome}: the first that
 * applies of `cancelled` (the caller aborted), `fallback` (a fallback tier answered),
 * `success`, `injected` (failed with a chaos fault in the call), `rejected` (an open
 * circuit, a full bulkhead, a rate limit), `timeout`, `failure`. The same values as the
 * metrics' `resilience.outcome`.
 *
 * @example
 * ```ts
 * const failed = (o: TracedCallOutcome) => o !== 'success' && o !== 'fallback' && o !== 'cancelled';
 * ```
 */
export type TracedCallOutcome = 'success' | 'fallback' | 'failure' | 'rejected' | 'timeout' | 'injected' | 'cancelled';

/**
 * How one attempt ended, on the attempt span's {@link TracingAttributes.outcome}: the call
 * outcomes but `fallback`, plus `lost` (a hedge whose call another attempt answered first).
 *
 * @example
 * ```ts
 * const wasted = (o: TracedAttemptOutcome) => o === 'lost';
 * ```
 */
export type TracedAttemptOutcome = 'success' | 'failure' | 'rejected' | 'timeout' | 'injected' | 'cancelled' | 'lost';

/**
 * The attribute keys the tracing policy sets, on the call span (C), the attempt spans (A)
 * and span events (E). Use them in queries and tests rather than the literal strings.
 *
 * | key | on | value |
 * | --- | --- | --- |
 * | `resilience.pipeline` | C | the pipeline's name (absent when the policies ran without one) |
 * | `resilience.operation` | C | the call's operation key |
 * | `resilience.label.<name>` | C | the call labels listed in `labelKeys` |
 * | `resilience.outcome` | C, A | a {@link TracedCallOutcome} (C) or {@link TracedAttemptOutcome} (A) |
 * | `resilience.attempts` | C | attempts the call made |
 * | `resilience.attempt` | A, E | the attempt's number (1-based) |
 * | `resilience.attempt.abandoned` | A | true when the call stopped waiting for the attempt's function |
 * | `resilience.fallback` | C | true when a fallback tier answered |
 * | `resilience.fallback.tier` | C, E | the tier (0-based) that answered (C) or that runs (E) |
 * | `resilience.chaos.injected` | C, A | true when a chaos fault was injected into the call (C) or this attempt (A) |
 * | `resilience.chaos.fault` | A, E | the fault's name |
 * | `resilience.chaos.fault_kind` | A, E | `error`, `latency`, `outcome`, `behavior`, `hang`, `exhaustion` or `flapping` |
 * | `resilience.hedge.trigger` | A, E | why a hedge started: `delay` or `failure` |
 * | `resilience.policy` | E | the policy that emitted the event |
 * | `resilience.reason` | E | why: a give-up, opening, closing, rejection or rate-limit reason |
 * | `resilience.state` | E | a breaker's state: the rejecting state, or the state it left |
 * | `resilience.delay` | E | ms: a retry's sleep, an injected delay, a hedge's delay, a rate-limit wait |
 * | `resilience.retry_after` | E | ms until a breaker admits a probe or a rate limit admits the call |
 * | `resilience.partition` | E | a partitioned bulkhead's or rate limiter's key |
 * | `resilience.timeout` | E | a timeout's configured duration (ms) |
 * | `resilience.timeout.effective` | E | the time (ms) the call was allowed after nesting |
 * | `error.type` | C, A, E | the failure's `code` (breakwater errors, Node system errors), else its class name |
 *
 * @example
 * ```ts
 * const call = exporter.getFinishedSpans().find((s) => s.attributes[TracingAttributes.operation] === 'lobby.find');
 * console.log(call?.attributes[TracingAttributes.outcome], call?.attributes[TracingAttributes.attempts]);
 * ```
 */
export const TracingAttributes = {
  /** `resilience.pipeline`: the pipeline's name (call span; absent for a policy run alone). */
  pipeline: 'resilience.pipeline',
  /** `resilience.operation`: the operation key (call span). */
  operation: 'resilience.operation',
  /** `resilience.label.`: prefix of the call labels listed in `labelKeys` (call span). */
  labelPrefix: 'resilience.label.',
  /** `resilience.outcome`: a {@link TracedCallOutcome} (call span) or {@link TracedAttemptOutcome} (attempt span). */
  outcome: 'resilience.outcome',
  /** `resilience.attempts`: attempts the call made (call span). */
  attempts: 'resilience.attempts',
  /** `resilience.attempt`: the attempt's number, 1-based (attempt span, retry and hedge events). */
  attempt: 'resilience.attempt',
  /** `resilience.attempt.abandoned`: true when the call stopped waiting for the attempt's function (attempt span). */
  abandoned: 'resilience.attempt.abandoned',
  /** `resilience.fallback`: true when a fallback tier answered (call span). */
  fallback: 'resilience.fallback',
  /** `resilience.fallback.tier`: the 0-based tier that answered (call span) or that runs (fallback event). */
  fallbackTier: 'resilience.fallback.tier',
  /** `resilience.chaos.injected`: true when a chaos fault was injected into the call (call span) or this attempt (attempt span). */
  injected: 'resilience.chaos.injected',
  /** `resilience.chaos.fault`: the injected fault's name (attempt span, chaos event). */
  fault: 'resilience.chaos.fault',
  /** `resilience.chaos.fault_kind`: what the fault injected (attempt span, chaos event). */
  faultKind: 'resilience.chaos.fault_kind',
  /** `resilience.hedge.trigger`: `delay` or `failure` (hedge attempt span, hedge event). */
  hedgeTrigger: 'resilience.hedge.trigger',
  /** `resilience.policy`: the policy that emitted the event (span events). */
  policy: 'resilience.policy',
  /** `resilience.reason`: a give-up, opening, closing, rejection or rate-limit reason (span events). */
  reason: 'resilience.reason',
  /** `resilience.state`: a breaker's rejecting state, or the state it left (span events). */
  state: 'resilience.state',
  /** `resilience.delay`: ms of a retry's sleep, an injected delay, a hedge's delay or a rate-limit wait (span events). */
  delay: 'resilience.delay',
  /** `resilience.retry_after`: ms until a breaker admits a probe or a rate limit admits the call (span events). */
  retryAfter: 'resilience.retry_after',
  /** `resilience.partition`: the key of a partitioned bulkhead or rate limiter (span events). */
  partition: 'resilience.partition',
  /** `resilience.timeout`: a timeout's configured duration in ms (timeout event). */
  timeout: 'resilience.timeout',
  /** `resilience.timeout.effective`: the ms the call was allowed after nesting under enclosing deadlines (timeout event). */
  timeoutEffective: 'resilience.timeout.effective',
  /** `error.type` (OpenTelemetry semantic conventions): the failure's `code`, else its class name. */
  errorType: 'error.type',
} as const;

/**
 * The names of the span events the tracing policy adds. Events that belong to one attempt
 * (rejections, queueing, timeouts, injected faults) go on that attempt's span while it is
 * open, else on the call span; the others go on the call span.
 *
 * @example
 * ```ts
 * const retries = callSpan.events.filter((e) => e.name === TracingEvents.retry).length;
 * ```
 */
export const TracingEvents = {
  /** Call span: an attempt failed and the retry sleeps `resilience.delay` ms before the next. */
  retry: 'resilience.retry',
  /** Call span: the retry stopped retrying (`resilience.reason`). */
  giveUp: 'resilience.retry.give_up',
  /** Call span: the retry budget refused a retry. */
  retryBudgetExhausted: 'resilience.retry.budget_exhausted',
  /** Call span: a breaker opened (`resilience.reason`, the state it left in `resilience.state`). */
  circuitOpened: 'resilience.circuit.opened',
  /** Call span: a breaker turned half-open. */
  circuitHalfOpened: 'resilience.circuit.half_opened',
  /** Call span: a breaker closed (`resilience.reason`). */
  circuitClosed: 'resilience.circuit.closed',
  /** Attempt span: a breaker rejected the attempt (`resilience.state`, `resilience.retry_after`). */
  circuitRejected: 'resilience.circuit.rejected',
  /** Attempt span: the attempt waits in a bulkhead's queue. */
  bulkheadQueued: 'resilience.bulkhead.queued',
  /** Attempt span: a bulkhead rejected the attempt (`resilience.reason`: `full` or `queue-timeout`). */
  bulkheadRejected: 'resilience.bulkhead.rejected',
  /** Attempt span: a rate limiter made the attempt wait `resilience.delay` ms. */
  rateLimitQueued: 'resilience.rate_limiter.queued',
  /** Attempt span: a rate limiter refused the attempt (`resilience.reason`, `resilience.retry_after`). */
  rateLimited: 'resilience.rate_limiter.limited',
  /** Attempt span: an adaptive concurrency limit queued the attempt. */
  concurrencyQueued: 'resilience.concurrency_limit.queued',
  /** Attempt span: an adaptive concurrency limit refused the attempt (`resilience.reason`). */
  concurrencyRejected: 'resilience.concurrency_limit.rejected',
  /** Attempt span (call span for a timeout around the retries): a deadline passed. */
  timeout: 'resilience.timeout',
  /** Call span: fallback tier `resilience.fallback.tier` is about to run. */
  fallback: 'resilience.fallback',
  /** Call span: the call and every fallback tier failed. */
  fallbackExhausted: 'resilience.fallback.exhausted',
  /** Attempt span: a chaos fault was injected (`resilience.chaos.fault`, `resilience.chaos.fault_kind`). */
  chaosInjected: 'resilience.chaos.injected',
  /** Call span: a hedge (attempt `resilience.attempt`) started. */
  hedge: 'resilience.hedge',
  /** Call span: attempt `resilience.attempt` answered a hedged call. */
  hedgeWon: 'resilience.hedge.won',
  /** Call span: the hedging budget refused a hedge. */
  hedgeBudgetExhausted: 'resilience.hedge.budget_exhausted',
} as const;
