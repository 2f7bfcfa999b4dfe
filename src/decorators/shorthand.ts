/**
 * Shorthand decorators: `@retry(opts)`, `@circuitBreaker(opts)`, `@timeout(ms)`,
 * `@bulkhead(opts)`, `@fallback(opts)`. Each validates its options when the class is
 * defined and makes one policy per decorated method (or per method and instance with
 * `scope: 'instance'`), like `@resilient(() => policy)`; stacked, they fuse into one
 * pipeline with the top decorator outermost.
 *
 * @packageDocumentation
 */
import type { Policy } from '../core/policy';
import { isPlainObject, rules, validateOptions } from '../core/validation';
import { bulkhead as bulkheadPolicy, type BulkheadOptions } from '../bulkhead/index';
import { circuitBreaker as circuitBreakerPolicy, type CircuitBreakerOptions } from '../circuit-breaker/index';
import { fallback as fallbackPolicy, type FallbackOptions } from '../fallback/index';
import { retry as retryPolicy, type RetryOptions } from '../retry/index';
import { timeout as timeoutPolicy, type TimeoutOptions } from '../timeout/index';
import { makeDecorator, type PolicyScope, type ResilientDecorator, type ScopeOption } from './resilient';

const scopeRule = { scope: rules.oneOf(['shared', 'instance']) };

/**
 * Splits `scope` off the options, makes one policy now (so bad options throw when the
 * class is defined) and returns the decorator.
 */
function shorthand<I>(what: string, input: I, make: (input: I) => Policy): ResilientDecorator {
  let scope: PolicyScope = 'shared';
  let policyInput = input;
  if (isPlainObject(input) && 'scope' in input) {
    const { scope: s, ...rest } = input as Record<string, unknown>;
    validateOptions(what, { scope: s }, scopeRule);
    if (s !== undefined) scope = s as PolicyScope;
    policyInput = rest as I;
  }
  // Made now so bad options throw when the class is defined; handed to the first method
  // (or instance) that needs a policy, fresh ones after that.
  let spare: Policy | undefined = make(policyInput);
  const factory = (): Policy => {
    const p = spare ?? make(policyInput);
    spare = undefined;
    return p;
  };
  return makeDecorator(factory, { scope }, what);
}

/**
 * Retries the decorated method (see `retry()` in `breakwater`). Inside the method,
 * `currentContext()?.attempt` is the attempt number.
 *
 * @param options - retry options, plus `scope` (`'shared'` by default, or `'instance'`).
 * @example
 * ```ts
 * class Leaderboard {
 *   @retry({ maxAttempts: 3, delay: 100 })
 *   async top(n: number): Promise<Entry[]> { return redis.top(n); }
 * }
 * ```
 */
export function retry<T = unknown>(options?: RetryOptions<T> & ScopeOption): ResilientDecorator {
  return shorthand('@retry', options, (o) => retryPolicy(o));
}

/**
 * Guards the decorated method with a circuit breaker (see `circuitBreaker()` in
 * `breakwater`). Shared by every instance by default: one breaker per dependency.
 *
 * @param options - circuit breaker options, plus `scope`.
 * @example
 * ```ts
 * class Payments {
 *   @circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 })
 *   async charge(orderId: string): Promise<Receipt> { return gateway.charge(orderId); }
 * }
 * ```
 */
export function circuitBreaker<T = unknown>(options?: CircuitBreakerOptions<T> & ScopeOption): ResilientDecorator {
  return shorthand('@circuitBreaker', options, (o) => circuitBreakerPolicy(o));
}

/**
 * Bounds the decorated method's duration (see `timeout()` in `breakwater`). Read the
 * signal with `currentContext()?.signal` at the start of the method to stop work on time.
 *
 * @param durationOrOptions - milliseconds, or timeout options (plus `scope`).
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
export function timeout(durationOrOptions: number | (TimeoutOptions & ScopeOption)): ResilientDecorator {
  return shorthand('@timeout', durationOrOptions, (o) => timeoutPolicy(o));
}

/**
 * Limits the decorated method's concurrency (see `bulkhead()` in `breakwater`). Shared
 * by every instance by default; `scope: 'instance'` gives each instance its own slots.
 *
 * @param options - bulkhead options (or `maxConcurrent` as a number), plus `scope`.
 * @example
 * ```ts
 * class Matchmaking {
 *   @bulkhead({ maxConcurrent: 8, maxQueue: 32 })
 *   async findMatch(playerId: string): Promise<Match> { return mm.find(playerId); }
 * }
 * ```
 */
export function bulkhead(options: number | (BulkheadOptions & ScopeOption)): ResilientDecorator {
  return shorthand('@bulkhead', options, (o) => bulkheadPolicy(o));
}

/**
 * Falls back when the decorated method fails (see `fallback()` in `breakwater`).
 *
 * @param options - fallback options (`tiers`, `handle`…), plus `scope`.
 * @example
 * ```ts
 * class Shop {
 *   @fallback({ tiers: [() => cachedCatalog()] })
 *   async catalog(): Promise<Item[]> { return api.catalog(); }
 * }
 * ```
 */
export function fallback<T = unknown>(options: FallbackOptions<T> & ScopeOption): ResilientDecorator {
  return shorthand('@fallback', options, (o) => fallbackPolicy<T>(o));
}
