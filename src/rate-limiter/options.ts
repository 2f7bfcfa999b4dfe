/**
 * Options of the rate limiter policies, their defaults and validation schemas.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { ValidationIssue } from '../core/errors';
import { rules, type Schema } from '../core/validation';
import type { RateLimitStore } from './store';

/**
 * The admission algorithm of a rate limiter.
 *
 * - `'gcra'` (default): the generic cell rate algorithm, a token bucket without a timer.
 *   Sustained `rate` per `per` ms with bursts of up to `burst`; one number of state per key.
 * - `'sliding-window'`: at most `rate` calls (cost units) in any window of `per` ms, no
 *   burst beyond that. For partner quotas stated "N per window". State per key: the times
 *   of the admissions still inside the window (up to `rate` of them).
 */
export type RateLimitAlgorithm = 'gcra' | 'sliding-window';

/**
 * The cost of a call through the policy: a constant, or a function of the call.
 *
 * @example
 * ```ts
 * const cost: CostOption = (ctx) => Number(ctx.labels.quantity ?? '1');
 * ```
 */
export type CostOption = number | ((ctx: ExecutionContext) => number);

/**
 * Options of {@link rateLimiter}.
 *
 * @example
 * ```ts
 * const options: RateLimiterOptions = { name: 'chat', rate: 5, per: 1_000, burst: 10 };
 * const chat = rateLimiter(options);
 * ```
 */
export interface RateLimiterOptions {
  /** Sustained rate: how many cost units are admitted per `per` ms. Required: a finite number > 0 (an integer for `'sliding-window'`). */
  readonly rate: number;
  /** The period (ms) of `rate`. A finite duration > 0. @defaultValue `1000` */
  readonly per?: number | undefined;
  /**
   * GCRA only: how many cost units may be admitted at once after an idle period (the bucket
   * size). An integer ≥ 1. `'sliding-window'` has no burst beyond `rate` and rejects this option.
   * @defaultValue `rate` (rounded up to an integer)
   */
  readonly burst?: number | undefined;
  /**
   * Cost of a call through the policy, in units of `rate`: a constant, or a function of the
   * call (a bulk purchase costs its quantity). An integer ≥ 1; a function that throws or
   * returns something else rejects the call with that error (a `RangeError`) without running it.
   * @defaultValue `1`
   */
  readonly cost?: CostOption | undefined;
  /** The algorithm. @defaultValue `'gcra'` */
  readonly algorithm?: RateLimitAlgorithm | undefined;
  /**
   * Longest time (ms) a call over the limit may wait for its turn instead of being rejected.
   * A waiting call holds its reserved slot; waiters run in arrival order. `0` rejects at
   * once. A finite duration ≥ 0.
   * @defaultValue `0`
   */
  readonly maxWait?: number | undefined;
  /**
   * Most calls waiting at once (per key, for a partitioned limiter). An integer ≥ 0, or
   * `Infinity`. Only meaningful with `maxWait > 0`.
   * @defaultValue `Infinity`
   */
  readonly maxQueue?: number | undefined;
  /** Name used in events, metrics and errors. @defaultValue `'rate-limiter'` */
  readonly name?: string | undefined;
  /** Clock for admissions, waits and event times. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /**
   * Where the state of each key lives: one atomic `consume` decides one call. The default is
   * a fresh in-memory store on this limiter's clock (see {@link memoryRateLimitStore}); the
   * fleet store (Redis) plugs in here.
   * @defaultValue a new in-memory store
   */
  readonly store?: RateLimitStore | undefined;
}

/**
 * Options of {@link rateLimiter.partitioned}: the limits apply to each key separately.
 *
 * @example
 * ```ts
 * const perPlayer = rateLimiter.partitioned({ key: (ctx) => ctx.labels.player ?? 'anonymous', rate: 2, per: 1_000 });
 * ```
 */
export interface PartitionedRateLimiterOptions extends RateLimiterOptions {
  /**
   * Picks the key of a call (player, IP, tenant). A key function that throws (or returns a
   * non-string) rejects the call with that error (a `TypeError` for a non-string) without running it.
   */
  readonly key: (ctx: ExecutionContext) => string;
  /**
   * Most keys alive at once in the default in-memory store. A key whose state is back to
   * "full" is dropped (it is equivalent to an absent key), so only keys that spent part of
   * their budget recently count. A call with a new key beyond this rejects with
   * `RateLimitedError` (`reason: 'max-partitions'`). Give the bound to your own store
   * instead when you pass `store`.
   * @defaultValue `Infinity`
   */
  readonly maxPartitions?: number | undefined;
}

/**
 * Default values of the optional rate limiter options.
 *
 * @example
 * ```ts
 * rateLimiterDefaults.per; // 1000: rate is per second
 * ```
 */
export const rateLimiterDefaults = {
  /** Default of {@link RateLimiterOptions.per} (ms). */
  per: 1_000,
  /** Default of {@link RateLimiterOptions.algorithm}. */
  algorithm: 'gcra',
  /** Default of {@link RateLimiterOptions.maxWait} (ms): reject at once. */
  maxWait: 0,
  /** Default of {@link RateLimiterOptions.maxQueue}: no bound on waiters (`maxWait` bounds them in time). */
  maxQueue: Number.POSITIVE_INFINITY,
  /** Default of {@link RateLimiterOptions.name}. */
  name: 'rate-limiter',
  /** Default of {@link PartitionedRateLimiterOptions.maxPartitions}. */
  maxPartitions: Number.POSITIVE_INFINITY,
} as const;

const storeRule = {
  expected: 'a rate limit store (an object with a consume function)',
  check: (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as { consume?: unknown }).consume === 'function',
};

/** @internal */
export const rateLimiterSchema: Schema = {
  rate: rules.required(rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true })),
  per: rules.duration(0, { exclusiveMin: true }),
  burst: rules.integer(1),
  algorithm: rules.oneOf(['gcra', 'sliding-window']),
  cost: rules.anyOf(rules.integer(1), rules.func()),
  maxWait: rules.duration(0),
  maxQueue: rules.integer(0, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
  name: rules.string(),
  clock: rules.clock(),
  store: storeRule,
};

/** @internal */
export const partitionedRateLimiterSchema: Schema = {
  ...rateLimiterSchema,
  key: rules.required(rules.func('a function (ctx) => string')),
  maxPartitions: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
};

/** @internal Cross-field checks. */
export function rateLimiterIssues(o: PartitionedRateLimiterOptions | RateLimiterOptions, issues: ValidationIssue[]): void {
  if (o.algorithm === 'sliding-window') {
    if (!Number.isInteger(o.rate)) issues.push({ path: 'rate', value: o.rate, expected: "an integer ≥ 1 with algorithm 'sliding-window'" });
    if (o.burst !== undefined) issues.push({ path: 'burst', value: o.burst, expected: "absent with algorithm 'sliding-window' (it has no burst beyond rate)" });
  }
  if ('maxPartitions' in o && o.maxPartitions !== undefined && o.store !== undefined) {
    issues.push({ path: 'maxPartitions', value: o.maxPartitions, expected: 'absent when `store` is given (bound your store instead)' });
  }
}
