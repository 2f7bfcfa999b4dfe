/**
 * Events of the circuit breaker: one per state transition (`opened`, `half-opened`,
 * `closed`), one per rejected call (`rejected`) and one per counted call (`success`,
 * `failure`).
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

import type { CircuitState, RejectingCircuitState } from '../core/circuit-states';

export type { CircuitState };

/** Why a breaker opened. */
export type CircuitOpenReason = 'failures' | 'failure-rate' | 'slow-call-rate' | 'probe-failed' | 'isolated';

/** Why a breaker closed. */
export type CircuitCloseReason = 'probes-succeeded' | 'reset';

interface CircuitBreakerEventBase extends ResilienceEvent {
  readonly kind: 'circuit-breaker';
}

/** The breaker opened (or was isolated). */
export interface CircuitOpenedEvent extends CircuitBreakerEventBase {
  readonly type: 'opened';
  /** What tripped it: `failures` (consecutive), `failure-rate`, `slow-call-rate`, `probe-failed` or `isolated` (by hand). */
  readonly reason: CircuitOpenReason;
  /** The state it left. */
  readonly from: CircuitState;
  /** Milliseconds until it admits a probe (`Infinity` when isolated). */
  readonly retryAfter: number;
}

/** The breaker turned half-open: the next calls are probes. */
export interface CircuitHalfOpenedEvent extends CircuitBreakerEventBase {
  readonly type: 'half-opened';
}

/** The breaker closed. */
export interface CircuitClosedEvent extends CircuitBreakerEventBase {
  readonly type: 'closed';
  /** `probes-succeeded` (enough probes succeeded) or `reset` (by hand). */
  readonly reason: CircuitCloseReason;
  /** The state it left. */
  readonly from: CircuitState;
}

/** A call was rejected without running. */
export interface CircuitRejectedEvent extends CircuitBreakerEventBase {
  readonly type: 'rejected';
  /** The state that rejected it. */
  readonly state: RejectingCircuitState;
  /** Milliseconds until a probe will be admitted (see `BrokenCircuitError.retryAfter`). */
  readonly retryAfter: number;
}

/** A call the breaker counted as a success finished. */
export interface CircuitSuccessEvent extends CircuitBreakerEventBase {
  readonly type: 'success';
  /** Milliseconds the call took. */
  readonly duration: number;
  /** Whether it took at least `slowCallDuration`. */
  readonly slow: boolean;
}

/** A call the breaker counted as a failure finished. */
export interface CircuitFailureEvent extends CircuitBreakerEventBase {
  readonly type: 'failure';
  /** Milliseconds the call took. */
  readonly duration: number;
  /** Whether it took at least `slowCallDuration`. */
  readonly slow: boolean;
  /** The error, or `undefined` when `handleResult` flagged a returned value. */
  readonly error: unknown;
  /** The flagged value, when `handleResult` flagged one. */
  readonly result?: unknown;
}

/** Every event a circuit breaker emits. */
export type CircuitBreakerEvent =
  | CircuitOpenedEvent
  | CircuitHalfOpenedEvent
  | CircuitClosedEvent
  | CircuitRejectedEvent
  | CircuitSuccessEvent
  | CircuitFailureEvent;

/**
 * Names of the circuit breaker's events.
 *
 * @example
 * ```ts
 * breaker.on(CircuitBreakerEvents.opened, (e) => log.warn(`${e.policy} opened (${e.reason})`));
 * ```
 */
export const CircuitBreakerEvents = {
  /** {@link CircuitOpenedEvent} */
  opened: 'opened',
  /** {@link CircuitHalfOpenedEvent} */
  halfOpened: 'half-opened',
  /** {@link CircuitClosedEvent} */
  closed: 'closed',
  /** {@link CircuitRejectedEvent} */
  rejected: 'rejected',
  /** {@link CircuitSuccessEvent} */
  success: 'success',
  /** {@link CircuitFailureEvent} */
  failure: 'failure',
} as const;
