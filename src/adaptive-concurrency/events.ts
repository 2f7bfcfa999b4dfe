/**
 * Events of the adaptive concurrency limit (plain and partitioned), per the shared event
 * contract. Every event is built only when someone listens.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';
import type { ConcurrencyLimitReason } from './errors';

export type { ConcurrencyLimitReason } from './errors';

/**
 * The concurrency limit moved to another whole number. Emitted at most once per sampling
 * window (about one round trip of the calls in flight), from the completion of the call that
 * closed the window: `operation` and `labels` are that call's.
 */
export interface AdaptiveLimitChangedEvent extends ResilienceEvent {
  readonly kind: 'adaptive-concurrency';
  readonly type: 'limit-changed';
  /** The limit before. */
  readonly previous: number;
  /** The limit now. */
  readonly limit: number;
  /** The partition key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** Mean latency (ms) of the window's samples; `NaN` when the window held only fast failures. */
  readonly latency: number;
  /** The estimated no-load latency (ms) the algorithm compares with; `NaN` before the first window with a latency. */
  readonly noLoadLatency: number;
  /** Calls in flight when the window closed. */
  readonly inFlight: number;
}

/** A call was refused with `ConcurrencyLimitedError`. */
export interface AdaptiveLimitRejectedEvent extends ResilienceEvent {
  readonly kind: 'adaptive-concurrency';
  readonly type: 'rejected';
  /** Why the call was refused. */
  readonly reason: ConcurrencyLimitReason;
  /** The partition key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** The limit when it refused (`0` for `'max-partitions'`). */
  readonly limit: number;
  /** Calls in flight when it refused. */
  readonly inFlight: number;
  /** Calls waiting when it refused (a timed-out waiter has already left). */
  readonly queued: number;
}

/** A call found the limit reached and joined the queue (only with `maxQueue > 0`). */
export interface AdaptiveLimitQueuedEvent extends ResilienceEvent {
  readonly kind: 'adaptive-concurrency';
  readonly type: 'queued';
  /** The partition key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** Calls waiting, this one included. */
  readonly queued: number;
}

/** Every event an adaptive concurrency limit emits. */
export type AdaptiveConcurrencyEvent = AdaptiveLimitChangedEvent | AdaptiveLimitRejectedEvent | AdaptiveLimitQueuedEvent;

/**
 * Names of the adaptive concurrency events.
 *
 * @example
 * ```ts
 * db.on(AdaptiveConcurrencyEvents.limitChanged, (e) => gauge.set(e.limit));
 * db.on(AdaptiveConcurrencyEvents.rejected, (e) => log.warn(`${e.policy} shed a call (${e.reason}, limit ${e.limit})`));
 * ```
 */
export const AdaptiveConcurrencyEvents = {
  /** {@link AdaptiveLimitChangedEvent} */
  limitChanged: 'limit-changed',
  /** {@link AdaptiveLimitRejectedEvent} */
  rejected: 'rejected',
  /** {@link AdaptiveLimitQueuedEvent} */
  queued: 'queued',
} as const;
