/**
 * The circuit breaker policy.
 *
 * @packageDocumentation
 */
export { circuitBreaker, CircuitBreakerPolicy } from './circuit-breaker';
export type { CircuitBreakerStats } from './stats';
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
  type CircuitFleetDegradedEvent,
  type CircuitFleetSyncedEvent,
  type CircuitHalfOpenedEvent,
  type CircuitOpenedEvent,
  type CircuitOpenReason,
  type CircuitRejectedEvent,
  type CircuitState,
  type CircuitSuccessEvent,
} from './events';
export { isCircuitBreakerSnapshot, type CircuitBreakerSnapshot, type CircuitWindowSnapshot } from './snapshot';
export {
  isBreakerFleetReport,
  requiredReports,
  type BreakerFleet,
  type BreakerFleetMember,
  type BreakerFleetPeer,
  type BreakerFleetReport,
  type BreakerFleetState,
  type FleetQuorum,
} from './fleet';
export type { CircuitFleetStats, FleetStatus } from './fleet-link';
