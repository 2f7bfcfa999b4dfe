/**
 * breakwater: resilience policies and in-process chaos engineering.
 *
 * Every export is listed by name.
 *
 * @packageDocumentation
 */
export { systemClock, type Clock } from './core/clock';
export { systemRandom, type Random } from './core/random';
export { ExecutionContext, currentContext, type ExecuteOptions, type Labels } from './core/context';
export { success, failure, type Outcome } from './core/outcome';
export { Emitter, ExecutionEvents, type ExecutedEvent, type Listener, type ResilienceEvent, type Subscription } from './core/events';
export { type ErrorClass, type ErrorFilter, type HandleOptions, type ResultFilter } from './core/classify';
export {
  Pipeline,
  Policy,
  isPolicy,
  pipeline,
  type EventOf,
  type EventOfType,
  type PipelineOptions,
  type PolicyDescription,
} from './core/policy';
export {
  BrokenCircuitError,
  BulkheadRejectedError,
  ChaosInjectedError,
  ErrorCodes,
  ExecutionRejectedError,
  FallbackExhaustedError,
  OptionsValidationError,
  ResilienceError,
  TimeoutError,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isChaosInjectedError,
  isExecutionRejectedError,
  isFallbackExhaustedError,
  isOptionsValidationError,
  isResilienceError,
  isTimeoutError,
  type ErrorCode,
  type RejectingCircuitState,
  type ValidationIssue,
} from './core/errors';
export {
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitBreakerEvents,
  circuitBreakerDefaults,
  isCircuitBreakerSnapshot,
  type CircuitBreakerEvent,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type CircuitBreakerStats,
  type CircuitClosedEvent,
  type CircuitCloseReason,
  type CircuitFailureEvent,
  type CircuitHalfOpenedEvent,
  type CircuitOpenedEvent,
  type CircuitOpenReason,
  type CircuitRejectedEvent,
  type CircuitState,
  type CircuitSuccessEvent,
  type CircuitWindowSnapshot,
  type CountWindowOptions,
  type HalfOpenOptions,
  type RecoveryTimeout,
  type TimeWindowOptions,
} from './circuit-breaker';
export {
  timeout,
  TimeoutPolicy,
  TimeoutEvents,
  type TimeoutOptions,
  type TimeoutStrategy,
  type TimeoutEvent,
  type TimeoutExpiredEvent,
} from './timeout';
export {
  fallback,
  FallbackPolicy,
  lastKnownGood,
  LastKnownGood,
  FallbackEvents,
  type FallbackOptions,
  type FallbackTier,
  type FallbackFunction,
  type LastKnownGoodOptions,
  type FallbackEvent,
  type FallbackTierEvent,
  type FallbackExhaustedEvent,
} from './fallback';
export {
  retry,
  RetryPolicy,
  RetryEvents,
  Backoff,
  exponentialBackoff,
  linearBackoff,
  constantBackoff,
  RetryBudget,
  retryBudget,
  type RetryOptions,
  type RetryInfo,
  type BackoffFunction,
  type RetryAfterFunction,
  type RetryEvent,
  type RetryAttemptEvent,
  type GiveUpEvent,
  type GiveUpReason,
  type BudgetExhaustedEvent,
  type BackoffKind,
  type BackoffOptions,
  type DelayBounds,
  type JitterKind,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from './retry';
export {
  bulkhead,
  BulkheadPolicy,
  PartitionedBulkheadPolicy,
  BulkheadEvents,
  bulkheadDefaults,
  type BulkheadOptions,
  type PartitionedBulkheadOptions,
  type BulkheadStats,
  type PartitionedBulkheadStats,
  type OccupiedSlots,
  type BulkheadEvent,
  type BulkheadQueuedEvent,
  type BulkheadRejectedEvent,
  type BulkheadRejectionReason,
} from './bulkhead';
