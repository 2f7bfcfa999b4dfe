/**
 * Events of the retry policy.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

/** Why a retry policy stopped retrying and let the last outcome through. */
export type GiveUpReason =
  /** `maxAttempts` attempts were made. */
  | 'max-attempts'
  /** The next retry would have started after `maxDuration`. */
  | 'max-duration'
  /** The next retry would have started at or after the call's deadline. */
  | 'deadline'
  /** The shared {@link RetryBudget} had no retry left. */
  | 'budget'
  /**
   * The failure is not retried: `handle` / `handleResult` did not select it, or
   * `retryAfter` / a backoff function / a rejection's pushback declined (a negative delay,
   * or more than `maxDelay`).
   */
  | 'not-handled'
  /**
   * A retry was rejected by a policy inside the retry (an open circuit, a full bulkhead:
   * an `ExecutionRejectedError`), and `retryRejections` is off.
   */
  | 'rejected'
  /** The caller cancelled the call (or an enclosing timeout expired), during an attempt or a sleep. */
  | 'aborted';

/**
 * Emitted after a failed attempt, when the policy is about to sleep `delay` ms and try again.
 *
 * @example
 * ```ts
 * policy.on('retry', (e) => log.info(`attempt ${e.attempt} failed; next in ${e.delay} ms`));
 * ```
 */
export interface RetryAttemptEvent extends ResilienceEvent {
  readonly kind: 'retry';
  readonly type: 'retry';
  /** The attempt that just failed (1-based). */
  readonly attempt: number;
  /** Milliseconds the policy sleeps before the next attempt. */
  readonly delay: number;
  /** The error of the failed attempt; `undefined` when a handled *result* failed it. */
  readonly error: unknown;
  /** The result that `handleResult` flagged, when a result failed the attempt. */
  readonly result?: unknown;
}

/**
 * Emitted when the policy stops retrying a call after it retried at least once, or decided
 * that a handled failure is not retried (`maxAttempts`, a deadline, the budget…); the
 * last outcome then leaves the policy unchanged.
 *
 * A call whose **first** attempt fails with a failure the policy does not handle — not
 * selected by `handle` / `handleResult`, an execution rejection (open circuit, full
 * bulkhead) while `retryRejections` is off, or the caller's own cancellation — emits no
 * `give-up`: the policy never considered retrying it. So `give-up` counts calls on which
 * retrying was tried or wanted, not every failure that passed through.
 *
 * @example
 * ```ts
 * policy.on('give-up', (e) => log.warn(`gave up after ${e.attempts} attempt(s): ${e.reason}`));
 * ```
 */
export interface GiveUpEvent extends ResilienceEvent {
  readonly kind: 'retry';
  readonly type: 'give-up';
  /** Attempts made, including the first. */
  readonly attempts: number;
  /** Why the policy stopped. */
  readonly reason: GiveUpReason;
  /**
   * The error the call settles with (for `'aborted'` during a sleep: the abort reason);
   * `undefined` when a handled result ends the call.
   */
  readonly error: unknown;
  /** The result that `handleResult` flagged, when a result ended the call. */
  readonly result?: unknown;
}

/** Emitted when the shared {@link RetryBudget} refuses a retry (followed by `give-up` with reason `'budget'`). */
export interface BudgetExhaustedEvent extends ResilienceEvent {
  readonly kind: 'retry';
  readonly type: 'budget-exhausted';
  /** The attempt that just failed and would have been retried. */
  readonly attempt: number;
}

/** Every event a retry policy emits. */
export type RetryEvent = RetryAttemptEvent | GiveUpEvent | BudgetExhaustedEvent;

/**
 * Names of the retry events.
 *
 * @example
 * ```ts
 * policy.on(RetryEvents.giveUp, (e) => metrics.increment(`retry.give_up.${e.reason}`));
 * ```
 */
export const RetryEvents = {
  /** {@link RetryAttemptEvent} */
  retry: 'retry',
  /** {@link GiveUpEvent} */
  giveUp: 'give-up',
  /** {@link BudgetExhaustedEvent} */
  budgetExhausted: 'budget-exhausted',
} as const;
