/**
 * Options, defaults and events of the fleet rate-limit store.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { rules, type Schema } from '../core/validation';

/**
 * What the store does with a decision while Redis is unreachable or slower than
 * `storeTimeout`:
 *
 * - `'local'` (default): decide in this process with a share of the limit (`localShare`);
 * - `'allow'`: admit every call (fail open: the dependency is protected by other means);
 * - `'deny'`: refuse every call (fail closed: a hard partner quota).
 */
export type StoreErrorMode = 'local' | 'allow' | 'deny';

/**
 * Options of {@link RedisCoordinator.rateLimitStore}.
 *
 * @example
 * ```ts
 * const options: RedisRateLimitStoreOptions = { name: 'partner', localBatch: 10, storeTimeout: 25, localShare: 1 / 3 };
 * ```
 */
export interface RedisRateLimitStoreOptions {
  /**
   * The limit's name in its Redis keys (`<prefix>:{rl:<name>:<key>}`): every instance whose
   * limiter uses a store of this name shares one budget per key. Give each limit its own
   * name; 1–128 characters.
   * @defaultValue `'default'`
   */
  readonly name?: string | undefined;
  /**
   * Cost units this process holds from Redis to spend locally (`1`: no batching, every
   * decision is a round trip). With `N > 1`, the store keeps up to `N` tokens per key taken
   * from the shared budget: a call spends them without a round trip; when fewer than `N / 2`
   * are left, one background take tops them up to `N` (as many as are free); a call that
   * finds too few waits for the take in flight (one per key per process), then decides
   * from what it brought. Tokens unspent `localBatchTtl` ms after their take are dropped
   * (Redis counted them: the fleet admits less, never more). Calls that may wait
   * (`maxWait > 0`) are not batched.
   *
   * Overshoot bound: each instance holds at most `N` unspent tokens, so over any window
   * the fleet admits at most `instances · N` cost units more than the limit allows
   * (GCRA or sliding window). Size it as about `2 ×` the decisions one instance makes per
   * round-trip time, and check `instances · N` against the overshoot you accept.
   * An integer ≥ 1.
   * @defaultValue `1`
   */
  readonly localBatch?: number | undefined;
  /** How long (ms) the tokens of a local batch may be spent after they were taken. A duration > 0. @defaultValue `100` */
  readonly localBatchTtl?: number | undefined;
  /** What to decide while Redis is unreachable or slow. @defaultValue `'local'` */
  readonly onStoreError?: StoreErrorMode | undefined;
  /**
   * Longest time (ms) a decision waits for Redis. Past it, the call is decided as
   * `onStoreError` says, the store switches to local decisions (event `degraded`) and
   * goes back to Redis once a background probe answers in time (event `recovered`).
   * A duration > 0.
   * @defaultValue `50`
   */
  readonly storeTimeout?: number | undefined;
  /**
   * The fraction of the limit (rate and burst) this process applies alone while Redis is
   * unreachable, with `onStoreError: 'local'`: about `1 / instances` for a fleet behind a
   * round-robin balancer (the fleet then stays near the limit), `1` when each key's calls
   * reach one instance (sticky sessions). A number in (0, 1].
   * @defaultValue `1 / (instances seen by the coordinator's fleet tracking)`, `1` before the first answer
   */
  readonly localShare?: number | undefined;
  /** Shortest time (ms) between two background probes of Redis while degraded. A duration > 0. @defaultValue `250` */
  readonly probeInterval?: number | undefined;
  /** Clock of local decisions (batches, refusals, the degraded limit) and of `storeTimeout`. @defaultValue the coordinator's clock */
  readonly clock?: Clock | undefined;
}

/**
 * Defaults of {@link RedisRateLimitStoreOptions}.
 *
 * @example
 * ```ts
 * redisRateLimitStoreDefaults.storeTimeout; // 50
 * ```
 */
export const redisRateLimitStoreDefaults = {
  /** Default of {@link RedisRateLimitStoreOptions.name}. */
  name: 'default',
  /** Default of {@link RedisRateLimitStoreOptions.localBatch}: no batching. */
  localBatch: 1,
  /** Default of {@link RedisRateLimitStoreOptions.localBatchTtl} (ms). */
  localBatchTtl: 100,
  /** Default of {@link RedisRateLimitStoreOptions.onStoreError}. */
  onStoreError: 'local',
  /** Default of {@link RedisRateLimitStoreOptions.storeTimeout} (ms). */
  storeTimeout: 50,
  /** Default of {@link RedisRateLimitStoreOptions.probeInterval} (ms). */
  probeInterval: 250,
} as const;

/** @internal */
export const redisRateLimitStoreSchema: Schema = {
  name: { expected: 'a string of 1–128 characters', check: (v) => typeof v === 'string' && v.length >= 1 && v.length <= 128 },
  localBatch: rules.integer(1, 1_000_000),
  localBatchTtl: rules.duration(0, { exclusiveMin: true }),
  onStoreError: rules.oneOf(['local', 'allow', 'deny']),
  storeTimeout: rules.duration(0, { exclusiveMin: true }),
  localShare: { expected: 'a number > 0 and ≤ 1', check: (v) => typeof v === 'number' && v > 0 && v <= 1 },
  probeInterval: rules.duration(0, { exclusiveMin: true }),
  clock: rules.clock(),
};

/** Why the store stopped asking Redis. */
export type DegradedReason = 'timeout' | 'error' | 'connection-down' | 'bad-reply';

/** The store decides locally from now on (as `onStoreError` says) until Redis answers a probe in time. */
export interface StoreDegradedEvent {
  readonly kind: 'redis-rate-limit-store';
  readonly type: 'degraded';
  /** The store's name. */
  readonly store: string;
  /** What happened. */
  readonly reason: DegradedReason;
  /** The error, for `'error'`; `undefined` otherwise. */
  readonly error: unknown;
  /** Store clock time (ms). */
  readonly time: number;
}

/** Redis answered a probe in time: decisions go to Redis again. */
export interface StoreRecoveredEvent {
  readonly kind: 'redis-rate-limit-store';
  readonly type: 'recovered';
  /** The store's name. */
  readonly store: string;
  /** How long (ms) the store decided locally. */
  readonly downtime: number;
  /** Decisions made without Redis meanwhile. */
  readonly localDecisions: number;
  /** Store clock time (ms). */
  readonly time: number;
}

/** Every event of a {@link RedisRateLimitStore}. */
export type RedisRateLimitStoreEvent = StoreDegradedEvent | StoreRecoveredEvent;

/**
 * Names of the fleet rate-limit store's events.
 *
 * @example
 * ```ts
 * store.on(RedisRateLimitStoreEvents.degraded, (e) => log.warn(`rate limit ${e.store} local: ${e.reason}`));
 * ```
 */
export const RedisRateLimitStoreEvents = {
  /** {@link StoreDegradedEvent} */
  degraded: 'degraded',
  /** {@link StoreRecoveredEvent} */
  recovered: 'recovered',
} as const;

/**
 * Counters of a {@link RedisRateLimitStore} since it was made.
 *
 * @example
 * ```ts
 * const { roundTrips, batchHits } = store.stats;
 * ```
 */
export interface RedisRateLimitStoreStats {
  /** Decisions sent to Redis (answered, failed or timed out). */
  readonly roundTrips: number;
  /** Calls admitted from a local batch, without a round trip. */
  readonly batchHits: number;
  /** Calls refused without a round trip: Redis refused an equal or smaller cost moments before, and that refusal still holds. */
  readonly cachedRefusals: number;
  /** Calls decided as `onStoreError` says (Redis unreachable, slow, or answering garbage). */
  readonly localDecisions: number;
}
