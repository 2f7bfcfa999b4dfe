/**
 * Events of the circuit breaker: one per state transition (`opened`, `half-opened`,
 * `closed`), one per rejected call (`rejected`) and one per counted call (`success`,
 * `failure`); a fleet-aware breaker adds `fleet-synced` and `fleet-degraded`.
 *
 * @packageDocumentation
 */
import type { EventPayload, ResilienceEvent } from '../core/events';
import type { Outcome } from '../core/outcome';

import type { CircuitState, RejectingCircuitState } from '../core/circuit-states';

export type { CircuitState };

/**
 * Why a breaker opened: its own calls (`failures`, `failure-rate`, `slow-call-rate`,
 * `probe-failed`), by hand (`isolated`), or by its fleet (`fleet`: `quorum` instances report
 * it open, or the fleet's probe failed on another instance).
 */
export type CircuitOpenReason = 'failures' | 'failure-rate' | 'slow-call-rate' | 'probe-failed' | 'isolated' | 'fleet';

/**
 * Why a breaker closed: its own probes succeeded (`probes-succeeded`), by hand (`reset`), or
 * the fleet's probe succeeded on another instance (`fleet`).
 */
export type CircuitCloseReason = 'probes-succeeded' | 'reset' | 'fleet';

interface CircuitBreakerEventBase extends ResilienceEvent {
  readonly kind: 'circuit-breaker';
}

/** The breaker opened (or was isolated). */
export interface CircuitOpenedEvent extends CircuitBreakerEventBase {
  readonly type: 'opened';
  /** What tripped it: `failures` (consecutive), `failure-rate`, `slow-call-rate`, `probe-failed`, `isolated` (by hand) or `fleet`. */
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
  /** `probes-succeeded` (enough probes succeeded), `reset` (by hand) or `fleet` (the fleet's probe succeeded elsewhere). */
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

/**
 * A fleet-aware breaker has the fleet's picture: after joining (`restored: false`) or after
 * the fleet was unreachable (`restored: true`, a resync: the breaker follows the fleet again).
 *
 * @example
 * ```ts
 * breaker.on('fleet-synced', (e) => log.info(`payments: ${e.open} of ${e.instances} instances report the gateway down`));
 * ```
 */
export interface CircuitFleetSyncedEvent extends CircuitBreakerEventBase {
  readonly type: 'fleet-synced';
  /** Live instances of this breaker, this one included. */
  readonly instances: number;
  /** Live instances whose own breaker is open, this one included. */
  readonly open: number;
  /** True after a loss of the fleet (`fleet-degraded`), false on joining. */
  readonly restored: boolean;
}

/**
 * A fleet-aware breaker lost its fleet (the coordinator's connection dropped, a command
 * failed or timed out): it works alone (its own trip rule, its own probes) until
 * `fleet-synced`.
 *
 * @example
 * ```ts
 * breaker.on('fleet-degraded', (e) => log.warn({ err: e.error }, 'payments breaker works alone'));
 * ```
 */
export interface CircuitFleetDegradedEvent extends CircuitBreakerEventBase {
  readonly type: 'fleet-degraded';
  /** What the coordinator reported. */
  readonly error: unknown;
}

/** Every event a circuit breaker emits. */
export type CircuitBreakerEvent =
  | CircuitOpenedEvent
  | CircuitHalfOpenedEvent
  | CircuitClosedEvent
  | CircuitRejectedEvent
  | CircuitSuccessEvent
  | CircuitFailureEvent
  | CircuitFleetSyncedEvent
  | CircuitFleetDegradedEvent;

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
  /** {@link CircuitFleetSyncedEvent} */
  fleetSynced: 'fleet-synced',
  /** {@link CircuitFleetDegradedEvent} */
  fleetDegraded: 'fleet-degraded',
} as const;

/** @internal The `success` / `failure` event of a counted call that ended with `o`. */
export function outcomePayload(o: Outcome, failed: boolean, duration: number, slow: boolean): EventPayload<CircuitBreakerEvent> {
  if (!failed) return { type: 'success', duration, slow };
  return o.ok ? { type: 'failure', duration, slow, error: undefined, result: o.value } : { type: 'failure', duration, slow, error: o.error };
}
