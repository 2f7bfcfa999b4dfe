/**
 * `breakwater/redis`: fleet coordination on Redis. One {@link RedisCoordinator} per process
 * over your ioredis or node-redis client; the fleet rate limit, the fleet-aware breaker and
 * fleet chaos build on it.
 *
 * @packageDocumentation
 */
export { RedisCoordinator, redisCoordinator, type RedisCoordinatorOptions } from './coordinator';
export {
  RedisCoordinatorEvents,
  type CoordinatorDownEvent,
  type CoordinatorErrorEvent,
  type CoordinatorUpEvent,
  type MessageRejectedEvent,
  type RedisCoordinatorEvent,
} from './events';
export type { FleetMessageHandler, FleetSubscription } from './pubsub';
export type { IoPipelineLike, IoRedisLike, NodeRedisLike, RedisClientLike } from './client';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  MESSAGE_VERSION,
  decodeMessage,
  encodeMessage,
  type DecodeResult,
  type FleetMessage,
  type MessageRejection,
} from './codec';
export { RedisRateLimitStore } from './rate-limit-store';
export {
  RedisRateLimitStoreEvents,
  redisRateLimitStoreDefaults,
  type DegradedReason,
  type RedisRateLimitStoreEvent,
  type RedisRateLimitStoreOptions,
  type RedisRateLimitStoreStats,
  type StoreDegradedEvent,
  type StoreErrorMode,
  type StoreRecoveredEvent,
} from './rate-limit-options';
export {
  RedisBreakerFleet,
  redisBreakerFleet,
  redisBreakerFleetDefaults,
  type BreakerMessageIgnoredEvent,
  type RedisBreakerFleetEvent,
  type RedisBreakerFleetOptions,
} from './fleet-breaker';
export { RedisChaosFleet, redisChaosFleet, type RedisChaosFleetOptions } from './fleet-chaos';
export {
  FleetChaosEvents,
  type ChaosFleetMemberView,
  type FleetChaosEvent,
  type FleetErrorEvent,
  type FleetHaltedEvent,
  type FleetHoldEvent,
  type FleetMemberEvent,
  type FleetMemberLeftEvent,
  type FleetMessageIgnoredEvent,
  type FleetSwitchedEvent,
} from './fleet-chaos-events';
export type { HaltFlag } from './fleet-chaos-messages';
