/**
 * Events of the bulkhead policies (plain and partitioned), per the shared event contract.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

/** Why a bulkhead rejected a call. */
export type BulkheadRejectionReason = 'full' | 'queue-timeout';

/**
 * A call was refused: every running slot and queue place was taken (`'full'`; also a new
 * partition beyond `maxPartitions`), or the call waited in the queue longer than
 * `queueTimeout` (`'queue-timeout'`). A caller that aborts while queued gets no event: its
 * call rejects with the abort reason.
 */
export interface BulkheadRejectedEvent extends ResilienceEvent {
  readonly kind: 'bulkhead';
  readonly type: 'rejected';
  /** Why the call was refused. */
  readonly reason: BulkheadRejectionReason;
  /** Partition key, for a partitioned bulkhead; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** Running calls (and occupied slots) of the bulkhead or partition when it refused. */
  readonly active: number;
  /** Waiting calls of the bulkhead or partition when it refused (a timed-out waiter has already left). */
  readonly queued: number;
}

/** A call found every slot taken and joined the queue. */
export interface BulkheadQueuedEvent extends ResilienceEvent {
  readonly kind: 'bulkhead';
  readonly type: 'queued';
  /** Partition key, for a partitioned bulkhead; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** Waiting calls of the bulkhead or partition, this one included. */
  readonly queued: number;
}

/** Every event a bulkhead emits. */
export type BulkheadEvent = BulkheadRejectedEvent | BulkheadQueuedEvent;

/**
 * Names of the bulkhead events.
 *
 * @example
 * ```ts
 * pool.on(BulkheadEvents.rejected, (e) => log.warn(`${e.policy} rejected (${e.reason})`));
 * ```
 */
export const BulkheadEvents = {
  /** {@link BulkheadRejectedEvent} */
  rejected: 'rejected',
  /** {@link BulkheadQueuedEvent} */
  queued: 'queued',
} as const;
