/**
 * The adaptive concurrency limit: a concurrency limit that moves with measured latency
 * (`'gradient2'`, `'aimd'`, `'vegas'`), plain or partitioned per key.
 *
 * @packageDocumentation
 */
export {
  AdaptiveConcurrencyPolicy,
  PartitionedAdaptiveConcurrencyPolicy,
  adaptiveConcurrency,
  type AdaptiveConcurrencyStats,
  type PartitionedAdaptiveConcurrencyStats,
} from './adaptive-concurrency';
export type { AdaptiveAlgorithmName } from './algorithm';
export { aimdDefaults, type AimdOptions } from './aimd';
export { gradient2Defaults, type Gradient2Options } from './gradient2';
export { vegasDefaults, type VegasOptions } from './vegas';
export { ConcurrencyLimitedError, isConcurrencyLimitedError, type ConcurrencyLimitReason } from './errors';
export {
  AdaptiveConcurrencyEvents,
  type AdaptiveConcurrencyEvent,
  type AdaptiveLimitChangedEvent,
  type AdaptiveLimitQueuedEvent,
  type AdaptiveLimitRejectedEvent,
} from './events';
export {
  adaptiveConcurrencyDefaults,
  type AdaptiveAlgorithmOptions,
  type AdaptiveConcurrencyOptions,
  type PartitionedAdaptiveConcurrencyOptions,
} from './options';
