/**
 * What a circuit breaker's `stats` getter reports.
 *
 * @packageDocumentation
 */
import type { CircuitState } from './events';
import type { CircuitFleetStats, FleetLink } from './fleet-link';
import type { ProbePermits } from './probe-permits';
import type { TripRule } from './trip-rule';

/**
 * What a breaker's `stats` getter reports: the state and the trip rule's counts at the
 * instant of reading. Reading it has no side effect.
 *
 * @example
 * ```ts
 * const { state, failureRate, calls } = breaker.stats;
 * log.info(`payments breaker ${state}: ${(failureRate * 100).toFixed(1)} % of ${calls} calls failed`);
 * ```
 */
export interface CircuitBreakerStats {
  /** The state at the instant of reading (a due half-open counts, as in the breaker's `state`). */
  readonly state: CircuitState;
  /** The trip rule: `consecutive` failures, or a `count` or `time` window. */
  readonly rule: 'consecutive' | 'count' | 'time';
  /** Consecutive failures counted in closed state (consecutive rule; 0 with a window). */
  readonly consecutiveFailures: number;
  /** Calls in the window (0 for the consecutive rule). */
  readonly calls: number;
  /** Failed calls in the window. */
  readonly failures: number;
  /** Slow calls in the window (failed or not). */
  readonly slowCalls: number;
  /** `failures / calls`, 0 when the window is empty. */
  readonly failureRate: number;
  /** `slowCalls / calls`, 0 when the window is empty. */
  readonly slowCallRate: number;
  /** Opens since the breaker last closed. */
  readonly consecutiveOpens: number;
  /** Probes holding a permit right now (half-open only). */
  readonly activeProbes: number;
  /** Probes that succeeded in the current half-open period. */
  readonly probeSuccesses: number;
  /** A fleet-aware breaker's view of its fleet (absent without `coordinator`). */
  readonly fleet?: CircuitFleetStats;
}

/** @internal The stats of a breaker in state `state` at `now`. */
export function statsOf(state: CircuitState, rule: TripRule, probes: ProbePermits, opens: number, now: number, fleet: FleetLink | undefined): CircuitBreakerStats {
  const { consecutiveFailures, calls, failures, slowCalls } = rule.counts(now);
  return {
    state,
    rule: rule.kind,
    consecutiveFailures,
    calls,
    failures,
    slowCalls,
    failureRate: calls === 0 ? 0 : failures / calls,
    slowCallRate: calls === 0 ? 0 : slowCalls / calls,
    consecutiveOpens: opens,
    // Stryker disable next-line ConditionalExpression: outside half-open no permit is held (every transition resets them), so active() is 0 there too
    activeProbes: state === 'half-open' ? probes.active(now) : 0,
    probeSuccesses: probes.successes,
    ...(fleet === undefined ? {} : { fleet: fleet.stats(now) }),
  };
}
