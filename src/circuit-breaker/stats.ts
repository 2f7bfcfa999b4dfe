/**
 * What a circuit breaker's `stats` getter reports.
 *
 * @packageDocumentation
 */
import type { CircuitState } from './events';

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
}
