/**
 * The rate limiter policy: GCRA or sliding window, plain or partitioned per key, with a
 * decision API (`tryAcquire`) and a pluggable store.
 *
 * @packageDocumentation
 */
export { PartitionedRateLimiterPolicy, RateLimiterPolicy, rateLimiter } from './rate-limiter';
export {
  RateLimiterEvents,
  type RateLimitAdmittedEvent,
  type RateLimitedEvent,
  type RateLimiterEvent,
  type RateLimitQueuedEvent,
  type RateLimitReason,
} from './events';
export {
  rateLimiterDefaults,
  type CostOption,
  type PartitionedRateLimiterOptions,
  type RateLimitAlgorithm,
  type RateLimiterOptions,
} from './options';
export {
  MemoryRateLimitStore,
  memoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitDecision,
  type RateLimitRule,
  type RateLimitStore,
  type StoreDecision,
} from './store';
