/**
 * The `lastKnownGood` tier: stale-if-error for one operation (and key).
 *
 * @packageDocumentation
 */
import type { ExecutionContext } from '../core/context';
import { ResilienceError, withoutStack } from '../core/errors';
import { reportInternalError } from '../core/report';
import { validateOptions } from '../core/validation';
import { lastKnownGoodDefaults, lastKnownGoodSchema, type LastKnownGoodOptions } from './options';

const BRAND = Symbol.for('breakwater.lastKnownGood');

interface Stored {
  readonly value: unknown;
  readonly at: number;
}

/** @internal What a lookup found. */
export type LookupResult = { readonly hit: true; readonly value: unknown } | { readonly hit: false; readonly error: unknown };

/**
 * A fallback tier that serves the last successful value of the same operation (and key)
 * if it is younger than `maxAge`: stale-if-error. Build it with {@link lastKnownGood} and
 * put it in a fallback's `tiers`; that fallback then records every successful result of
 * the call it protects. Memory is bounded: at most `maxEntries` values, least recently
 * used dropped first.
 *
 * One instance may serve several fallbacks: values are stored per `ctx.operation` and key.
 *
 * @example
 * ```ts
 * const cache = lastKnownGood({ maxAge: 60_000 });
 * const leaderboard = fallback({ tiers: [cache, []] });
 * ```
 */
export class LastKnownGood {
  /** How old (ms) a value may be and still be served. */
  readonly maxAge: number;
  /** The most values kept. */
  readonly maxEntries: number;
  /** @internal */
  readonly [BRAND] = true;
  private readonly keyFn: ((ctx: ExecutionContext) => string) | undefined;
  /** Insertion order = recency order: the first key is the least recently used. */
  private readonly store = new Map<string, Stored>();

  /** @internal Use {@link lastKnownGood}. */
  constructor(options: LastKnownGoodOptions) {
    this.maxAge = options.maxAge;
    this.maxEntries = options.maxEntries ?? lastKnownGoodDefaults.maxEntries;
    this.keyFn = options.key;
  }

  /**
   * Number of values stored (expired ones included until they are looked up or evicted).
   *
   * @example
   * ```ts
   * gauge.set(cache.size);
   * ```
   */
  get size(): number {
    return this.store.size;
  }

  /**
   * Drops every stored value (after a deploy that changes the value shape, say).
   *
   * @example
   * ```ts
   * cache.clear();
   * ```
   */
  clear(): void {
    this.store.clear();
  }

  /** @internal The storage key of a call, or `undefined` when the key function throws or returns a non-string. */
  keyOf(ctx: ExecutionContext): string | undefined {
    const fn = this.keyFn;
    if (fn === undefined) return ctx.operation;
    let k: unknown;
    try {
      k = fn(ctx);
    } catch (error) {
      reportInternalError(error, 'lastKnownGood key');
      return undefined;
    }
    return typeof k === 'string' ? `${ctx.operation}\u0000${k}` : undefined;
  }

  /** @internal Records a successful value of the call `ctx` at time `now`. */
  record(ctx: ExecutionContext, value: unknown, now: number): void {
    const key = this.keyOf(ctx);
    if (key === undefined) return;
    const store = this.store;
    store.delete(key);
    store.set(key, { value, at: now });
    if (store.size > this.maxEntries) {
      const oldest = store.keys().next();
      if (oldest.done !== true) store.delete(oldest.value);
    }
  }

  /** @internal Looks up a value for the call `ctx` at time `now`. */
  lookup(ctx: ExecutionContext, now: number): LookupResult {
    const key = this.keyOf(ctx);
    const stored = key === undefined ? undefined : this.store.get(key);
    if (key !== undefined && stored !== undefined) {
      this.store.delete(key);
      if (now - stored.at < this.maxAge) {
        this.store.set(key, stored); // most recently used now
        return { hit: true, value: stored.value };
      }
    }
    const what = key === undefined ? 'no key for this call' : stored === undefined ? 'no value stored' : 'the stored value is too old';
    return {
      hit: false,
      error: withoutStack(
        () => new ResilienceError(`lastKnownGood: nothing to serve for operation "${ctx.operation}" (${what}; maxAge ${this.maxAge} ms)`),
      ),
    };
  }
}

/** @internal True for a {@link LastKnownGood} (from any copy of the package). */
export function isLastKnownGood(value: unknown): value is LastKnownGood {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/**
 * Creates a {@link LastKnownGood} tier: serve the last good value of this operation (and
 * key) when the call fails, if it is younger than `maxAge` (stale-if-error). When there is
 * none, the tier fails and the next tier runs.
 *
 * @throws OptionsValidationError when an option is invalid.
 *
 * @example
 * ```ts
 * const profiles = fallback({
 *   tiers: [lastKnownGood({ maxAge: 10 * 60_000, key: (ctx) => ctx.labels['player'] ?? '' }), guestProfile],
 * });
 * await profiles.execute(() => api.profile(id), { operation: 'profile.get', labels: { player: id } });
 * ```
 */
export function lastKnownGood(options: LastKnownGoodOptions): LastKnownGood {
  const input = options === undefined ? {} : options;
  return new LastKnownGood(validateOptions<LastKnownGoodOptions>('lastKnownGood', input, lastKnownGoodSchema));
}
