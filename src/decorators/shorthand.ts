/**
 * Shorthand decorators: `@retry(opts)`, `@circuitBreaker(opts)`, `@timeout(ms)`,
 * `@bulkhead(opts)`, `@rateLimit(opts)`, `@fallback(opts)`, `@hedging(opts)`,
 * `@adaptiveConcurrency(opts)`. Each validates its options when the class is
 * defined and makes one policy per decorated method (or per method and instance with
 * `scope: 'instance'`), like `@resilient(() => policy)`; stacked, they fuse into one
 * pipeline with the top decorator outermost. Each takes `scope` and `operation`
 * ({@link DecoratorOptions}) next to the policy's own options, and names its policy
 * `'Class.method'` (e.g. `'ProfileDb.get'`) unless the options give a `name`.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, isOptionsValidationError, type ValidationIssue } from '../core/errors';
import type { Policy } from '../core/policy';
import { collectIssues, isPlainObject, rules } from '../core/validation';
import {
  adaptiveConcurrency as adaptiveConcurrencyPolicy,
  type AdaptiveConcurrencyOptions,
  type PartitionedAdaptiveConcurrencyOptions,
} from '../adaptive-concurrency/index';
import { bulkhead as bulkheadPolicy, type BulkheadOptions } from '../bulkhead/index';
import { circuitBreaker as circuitBreakerPolicy, type CircuitBreakerOptions } from '../circuit-breaker/index';
import { fallback as fallbackPolicy, type FallbackOptions } from '../fallback/index';
import { hedging as hedgingPolicy, type HedgingOptions } from '../hedging/index';
import { rateLimiter as rateLimiterPolicy, type PartitionedRateLimiterOptions, type RateLimiterOptions } from '../rate-limiter/index';
import { retry as retryPolicy, type RetryOptions } from '../retry/index';
import { timeout as timeoutPolicy, type TimeoutOptions } from '../timeout/index';
import { makeDecorator, type DecoratorOptions, type PolicyScope, type ResilientDecorator } from './resilient';

const decoratorRules = { scope: rules.oneOf(['shared', 'instance']), operation: rules.string() };

/**
 * Splits `scope` and `operation` off the options, makes one policy now (so bad options
 * throw when the class is defined, all in one error) and returns the decorator.
 * `make(input, name)` makes a policy named `name` unless the input names it.
 */
function shorthand<I>(what: string, input: I, make: (input: I, name: string | undefined) => Policy): ResilientDecorator {
  let scope: PolicyScope = 'shared';
  let operation: string | undefined;
  let policyInput = input;
  const issues: ValidationIssue[] = [];
  if (isPlainObject(input) && ('scope' in input || 'operation' in input)) {
    const { scope: s, operation: o, ...rest } = input as Record<string, unknown>;
    collectIssues({ scope: s, operation: o }, decoratorRules, '', issues);
    if (issues.length === 0) {
      if (s !== undefined) scope = s as PolicyScope;
      operation = o as string | undefined;
    }
    policyInput = rest as I;
  }
  // Made now only to validate the options when the class is defined: the policies the
  // method runs through are made later, named after the method's class and name.
  try {
    make(policyInput, undefined);
  } catch (error) {
    if (issues.length > 0 && isOptionsValidationError(error)) throw new OptionsValidationError(what, [...issues, ...error.issues]);
    throw error;
  }
  if (issues.length > 0) throw new OptionsValidationError(what, issues);
  return makeDecorator((_self, name) => make(policyInput, name), { scope, operation }, what);
}

/** The options with `name` defaulted to `name` (the decorated method's `'Class.method'`). */
function named<O extends { readonly name?: string | undefined }>(options: O | undefined, name: string | undefined): O | undefined {
  if (name === undefined || (options !== undefined && options.name !== undefined)) return options;
  return { ...options, name } as O;
}

/**
 * Retries the decorated method (see `retry()` in `breakwater`). Inside the method,
 * `currentContext()?.attempt` is the attempt number.
 *
 * @param options - retry options (`name` defaults to `'Class.method'`), plus `scope` and
 *   `operation` ({@link DecoratorOptions}).
 * @example
 * ```ts
 * class Leaderboard {
 *   @retry({ maxAttempts: 3, delay: 100 })
 *   async top(n: number): Promise<Entry[]> { return redis.top(n); }
 * }
 * ```
 */
export function retry<T = unknown>(options?: RetryOptions<T> & DecoratorOptions): ResilientDecorator {
  return shorthand('@retry', options as RetryOptions<T> | undefined, (o, name) => retryPolicy(named(o, name)));
}

/**
 * Guards the decorated method with a circuit breaker (see `circuitBreaker()` in
 * `breakwater`). Shared by every instance by default: one breaker per dependency.
 *
 * @param options - circuit breaker options (`name` defaults to `'Class.method'`, so two
 *   classes' methods get two breakers in metrics), plus `scope` and `operation`.
 * @example
 * ```ts
 * class Payments {
 *   @circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 })
 *   async charge(orderId: string): Promise<Receipt> { return gateway.charge(orderId); }
 * }
 * ```
 */
export function circuitBreaker<T = unknown>(options?: CircuitBreakerOptions<T> & DecoratorOptions): ResilientDecorator {
  return shorthand('@circuitBreaker', options as CircuitBreakerOptions<T> | undefined, (o, name) => circuitBreakerPolicy(named(o, name)));
}

/**
 * Bounds the decorated method's duration (see `timeout()` in `breakwater`). Read the
 * signal with `currentContext()?.signal` at the start of the method to stop work on time.
 *
 * @param durationOrOptions - milliseconds, or timeout options (`name` defaults to
 *   `'Class.method'`), plus `scope` and `operation`.
 * @example
 * ```ts
 * class Profiles {
 *   @timeout(2_000)
 *   async load(id: string): Promise<Profile> {
 *     const signal = currentContext()?.signal;
 *     return fetchProfile(id, { signal });
 *   }
 * }
 * ```
 */
export function timeout(durationOrOptions: number | (TimeoutOptions & DecoratorOptions)): ResilientDecorator {
  return shorthand('@timeout', durationOrOptions as number | TimeoutOptions, (o, name) =>
    timeoutPolicy(named<TimeoutOptions>(typeof o === 'number' ? { duration: o } : o, name) as TimeoutOptions),
  );
}

/**
 * Limits the decorated method's concurrency (see `bulkhead()` in `breakwater`). Shared
 * by every instance by default; `scope: 'instance'` gives each instance its own slots.
 *
 * @param options - bulkhead options (or `maxConcurrent` as a number; `name` defaults to
 *   `'Class.method'`), plus `scope` and `operation`.
 * @example
 * ```ts
 * class Matchmaking {
 *   @bulkhead({ maxConcurrent: 8, maxQueue: 32 })
 *   async findMatch(playerId: string): Promise<Match> { return mm.find(playerId); }
 * }
 * ```
 */
export function bulkhead(options: number | (BulkheadOptions & DecoratorOptions)): ResilientDecorator {
  return shorthand('@bulkhead', options as number | BulkheadOptions, (o, name) =>
    bulkheadPolicy(named<BulkheadOptions>(typeof o === 'number' ? { maxConcurrent: o } : o, name) as BulkheadOptions),
  );
}

/**
 * Rate-limits the decorated method (see `rateLimiter()` in `breakwater`): `rate` calls per
 * `per` ms, shared by every instance by default; with a `key`, one limit per key (a
 * partitioned limiter). A call over the limit rejects with `RateLimitedError`, or waits up
 * to `maxWait`.
 *
 * @param options - rate limiter options (or `rate` per second as a number; `name` defaults
 *   to `'Class.method'`), optionally `key` and `maxPartitions` for one limit per key, plus
 *   `scope` and `operation`.
 * @example
 * ```ts
 * class Shop {
 *   @rateLimit({ rate: 1, per: 2_000, burst: 3, key: (ctx) => ctx.labels.player ?? 'anonymous' })
 *   async purchase(item: string): Promise<Receipt> { return payments.charge(item); }
 * }
 * ```
 */
export function rateLimit(
  options: number | ((RateLimiterOptions | PartitionedRateLimiterOptions) & DecoratorOptions),
): ResilientDecorator {
  return shorthand('@rateLimit', options as number | RateLimiterOptions, (o, name) => {
    const opts = named<RateLimiterOptions>(typeof o === 'number' ? { rate: o } : o, name) as RateLimiterOptions | PartitionedRateLimiterOptions;
    return 'key' in opts ? rateLimiterPolicy.partitioned(opts) : rateLimiterPolicy(opts);
  });
}

/**
 * Falls back when the decorated method fails (see `fallback()` in `breakwater`).
 *
 * @param options - fallback options (`tiers`, `handle`…; `name` defaults to
 *   `'Class.method'`), plus `scope` and `operation`.
 * @example
 * ```ts
 * class Shop {
 *   @fallback({ tiers: [() => cachedCatalog()] })
 *   async catalog(): Promise<Item[]> { return api.catalog(); }
 * }
 * ```
 */
export function fallback<T = unknown>(options: FallbackOptions<T> & DecoratorOptions): ResilientDecorator {
  return shorthand('@fallback', options as FallbackOptions<T>, (o, name) => fallbackPolicy<T>(named(o, name) as FallbackOptions<T>));
}

/**
 * Hedges the decorated method (see `hedging()` in `breakwater`): when an attempt has not
 * answered after `delay` ms (or failed, in fallback mode), the method is called again, up to
 * `maxHedgedAttempts` extra times (default `1`); the first success wins and the others'
 * signals abort. Hedge idempotent reads only. Inside the method, `currentContext()` is the
 * attempt's own context: read its `signal` to stop a losing attempt, its `attempt` to pick
 * a replica. Shared by every instance by default (one latency window per method).
 *
 * @param options - hedging options (`delay` required; `name` defaults to `'Class.method'`),
 *   plus `scope` and `operation` ({@link DecoratorOptions}).
 * @example
 * ```ts
 * class Leaderboard {
 *   @hedging({ delay: { percentile: 95, max: 200 } })
 *   async top(n: number): Promise<Entry[]> {
 *     const ctx = currentContext();
 *     return replicas[(ctx?.attempt ?? 1) - 1].top(n, { signal: ctx?.signal });
 *   }
 * }
 * ```
 */
export function hedging<T = unknown>(options: HedgingOptions<T> & DecoratorOptions): ResilientDecorator {
  return shorthand('@hedging', options as HedgingOptions<T>, (o, name) => hedgingPolicy<T>(named(o, name) as HedgingOptions<T>));
}

/**
 * Limits the decorated method's concurrency with a limit that moves with measured latency
 * (see `adaptiveConcurrency()` in `breakwater`; `algorithm` defaults to `'gradient2'`);
 * calls over it wait in a queue of `maxQueue` (default `0`) or reject with
 * `ConcurrencyLimitedError`. With a `key`, one limit per key (a partitioned limit). Shared by
 * every instance by default: one limit per dependency.
 *
 * @param options - adaptive concurrency options (`initialLimit`, `minLimit`, `maxLimit`
 *   required; `name` defaults to `'Class.method'`), optionally `key` and `maxPartitions`,
 *   plus `scope` and `operation`.
 * @example
 * ```ts
 * class PlayerDb {
 *   @adaptiveConcurrency({ initialLimit: 20, minLimit: 4, maxLimit: 200, maxQueue: 50 })
 *   async load(id: string): Promise<Player> { return pool.query(sql, [id]); }
 * }
 * ```
 */
export function adaptiveConcurrency<T = unknown>(
  options: (AdaptiveConcurrencyOptions<T> | PartitionedAdaptiveConcurrencyOptions<T>) & DecoratorOptions,
): ResilientDecorator {
  return shorthand('@adaptiveConcurrency', options as AdaptiveConcurrencyOptions<T>, (o, name) => {
    const opts = named(o, name) as AdaptiveConcurrencyOptions<T> | PartitionedAdaptiveConcurrencyOptions<T>;
    // A JS caller's missing or odd options: the plain policy's validation error names them.
    if (!isPlainObject(opts)) return adaptiveConcurrencyPolicy<T>((opts ?? {}) as never);
    return 'key' in opts ? adaptiveConcurrencyPolicy.partitioned<T>(opts as PartitionedAdaptiveConcurrencyOptions<T>) : adaptiveConcurrencyPolicy<T>(opts);
  });
}
