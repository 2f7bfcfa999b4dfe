/**
 * Events of the timeout policy.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

/**
 * Names of the timeout policy's events.
 *
 * @example
 * ```ts
 * policy.on(TimeoutEvents.timeout, (e) => log.warn(`${e.operation} timed out after ${e.effective} ms`));
 * ```
 */
export const TimeoutEvents = {
  /** {@link TimeoutExpiredEvent}: a call reached its deadline. */
  timeout: 'timeout',
} as const;

/**
 * A call reached its deadline: the signal aborted and (aggressive strategy) the call
 * rejected with a `TimeoutError`. Also emitted when a call enters the policy with its
 * deadline already past (it is then rejected without running, `effective` 0).
 */
export interface TimeoutExpiredEvent extends ResilienceEvent {
  readonly kind: 'timeout';
  readonly type: 'timeout';
  /** The policy's configured duration (ms). */
  readonly duration: number;
  /** The time (ms) the call was actually allowed after nesting under enclosing deadlines. */
  readonly effective: number;
}

/**
 * Every event the timeout policy emits.
 *
 * @example
 * ```ts
 * const onTimeout = (e: TimeoutEvent) => metrics.increment('timeouts', { policy: e.policy });
 * ```
 */
export type TimeoutEvent = TimeoutExpiredEvent;
