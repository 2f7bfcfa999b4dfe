/**
 * The bulkhead policy: a concurrency limit with a bounded FIFO queue, plain or partitioned
 * per key.
 *
 * @packageDocumentation
 */
export {
  BulkheadPolicy,
  PartitionedBulkheadPolicy,
  bulkhead,
  type BulkheadStats,
  type OccupiedSlots,
  type PartitionedBulkheadStats,
} from './bulkhead';
export {
  BulkheadEvents,
  type BulkheadEvent,
  type BulkheadQueuedEvent,
  type BulkheadRejectedEvent,
  type BulkheadRejectionReason,
} from './events';
export { bulkheadDefaults, type BulkheadOptions, type PartitionedBulkheadOptions } from './options';
