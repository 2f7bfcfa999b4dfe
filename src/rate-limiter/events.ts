/**
 * Events of the rate limiter policies (plain and partitioned), per the shared event contract.
 * Every event is built only when someone listens.
 *
 * @packageDocumentation
 */
import type { RateLimitReason } from '../core/errors';
import type { ResilienceEvent } from '../core/events';

export type { RateLimitReason } from '../core/errors';

/** A call was refused with `RateLimitedError`. */
export interface RateLimitedEvent extends ResilienceEvent {
  readonly kind: 'rate-limiter';
  readonly type: 'limited';
  /** Why the call was refused. */
  readonly reason: RateLimitReason;
  /** The key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** The error's `retryAfter` (ms). */
  readonly retryAfter: number;
  /** The call's cost. */
  readonly cost: number;
}

/** A call over the limit reserved a later slot and waits for it (only with `maxWait > 0`). */
export interface RateLimitQueuedEvent extends ResilienceEvent {
  readonly kind: 'rate-limiter';
  readonly type: 'queued';
  /** The key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** How long (ms) the call will wait. */
  readonly delay: number;
  /** Calls waiting (for this key), this one included. */
  readonly queued: number;
}

/** A call was admitted (at once, or after its wait). */
export interface RateLimitAdmittedEvent extends ResilienceEvent {
  readonly kind: 'rate-limiter';
  readonly type: 'admitted';
  /** The key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** Cost units that could still be admitted at once, as the store answered. */
  readonly remaining: number;
  /** How long (ms) the call waited (0 when admitted at once). */
  readonly waited: number;
}

/** Every event a rate limiter emits. */
export type RateLimiterEvent = RateLimitedEvent | RateLimitQueuedEvent | RateLimitAdmittedEvent;

/**
 * Names of the rate limiter events.
 *
 * @example
 * ```ts
 * limiter.on(RateLimiterEvents.limited, (e) => log.warn(`${e.policy} limited ${e.partition} (${e.reason})`));
 * ```
 */
export const RateLimiterEvents = {
  /** {@link RateLimitedEvent} */
  limited: 'limited',
  /** {@link RateLimitQueuedEvent} */
  queued: 'queued',
  /** {@link RateLimitAdmittedEvent} */
  admitted: 'admitted',
} as const;
