/**
 * Events of the Redis coordinator: the connection's state (`down`, `up`), messages ignored
 * by the codec (`message-rejected`) and failed background operations (`error`).
 *
 * @packageDocumentation
 */
import type { MessageRejection } from './codec';

/** Fields of every coordinator event. */
interface CoordinatorEventBase {
  readonly kind: 'redis-coordinator';
  /** Clock time (ms) of the event. */
  readonly time: number;
}

/** The connection was lost (closed, reconnecting, or a command failed without a server reply). */
export interface CoordinatorDownEvent extends CoordinatorEventBase {
  readonly type: 'down';
  /** What showed it, e.g. `'connection closed'`, `'reconnecting'`, or the failed command's error message. */
  readonly reason: string;
}

/** The connection is back (the client is ready again, or a command answered). */
export interface CoordinatorUpEvent extends CoordinatorEventBase {
  readonly type: 'up';
}

/** A pub/sub message was ignored: oversized, malformed or foreign. It reached no handler. */
export interface MessageRejectedEvent extends CoordinatorEventBase {
  readonly type: 'message-rejected';
  /** The full channel name. */
  readonly channel: string;
  /** Why. */
  readonly reason: MessageRejection;
  /** Its size (bytes, or UTF-16 units when that alone proved it oversized). */
  readonly size: number;
}

/** A background operation failed (subscribing, unsubscribing, making the subscriber connection). */
export interface CoordinatorErrorEvent extends CoordinatorEventBase {
  readonly type: 'error';
  /** What failed. */
  readonly operation: 'subscribe' | 'unsubscribe' | 'duplicate';
  /** The error. */
  readonly error: unknown;
}

/** @internal An event without the fields the coordinator stamps. */
export type CoordinatorEventPayload = RedisCoordinatorEvent extends infer E ? (E extends RedisCoordinatorEvent ? Omit<E, 'kind' | 'time'> : never) : never;

/** Every event of a {@link RedisCoordinator}. */
export type RedisCoordinatorEvent = CoordinatorDownEvent | CoordinatorUpEvent | MessageRejectedEvent | CoordinatorErrorEvent;

/**
 * Names of the coordinator's events.
 *
 * @example
 * ```ts
 * coordinator.on(RedisCoordinatorEvents.down, (e) => log.warn(`redis down: ${e.reason}`));
 * ```
 */
export const RedisCoordinatorEvents = {
  /** {@link CoordinatorDownEvent} */
  down: 'down',
  /** {@link CoordinatorUpEvent} */
  up: 'up',
  /** {@link MessageRejectedEvent} */
  messageRejected: 'message-rejected',
  /** {@link CoordinatorErrorEvent} */
  error: 'error',
} as const;

