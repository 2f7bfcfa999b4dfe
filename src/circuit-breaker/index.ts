/**
 * The circuit breaker policy.
 *
 * @packageDocumentation
 */
export { circuitBreaker, CircuitBreakerPolicy, type CircuitBreakerStats } from './circuit-breaker';
export {
  circuitBreakerDefaults,
  type CircuitBreakerOptions,
  type CountWindowOptions,
  type HalfOpenOptions,
  type RecoveryTimeout,
  type TimeWindowOptions,
} from './options';
export {
  CircuitBreakerEvents,
  type CircuitBreakerEvent,
  type CircuitClosedEvent,
  type CircuitCloseReason,
  type CircuitFailureEvent,
  type CircuitHalfOpenedEvent,
  type CircuitOpenedEvent,
  type CircuitOpenReason,
  type CircuitRejectedEvent,
  type CircuitState,
  type CircuitSuccessEvent,
} from './events';
export { isCircuitBreakerSnapshot, type CircuitBreakerSnapshot, type CircuitWindowSnapshot } from './snapshot';
