/**
 * Retry: backoff with jitter, server pushback, deadlines and a shared retry budget.
 *
 * @packageDocumentation
 */
export { retry, RetryPolicy } from './retry';
export { RetryEvents, type BudgetExhaustedEvent, type GiveUpEvent, type GiveUpReason, type RetryAttemptEvent, type RetryEvent } from './events';
export type { BackoffFunction, RetryAfterFunction, RetryInfo, RetryOptions } from './options';
export {
  Backoff,
  constantBackoff,
  exponentialBackoff,
  linearBackoff,
  type BackoffKind,
  type BackoffOptions,
  type DelayBounds,
  type JitterKind,
} from './backoff';
export { RetryBudget, retryBudget, type RetryBudgetOptions, type RetryBudgetStats } from './budget';
