/**
 * Options of the fallback policy and of the `lastKnownGood` tier, their defaults and their
 * validation schemas.
 *
 * @packageDocumentation
 */
import type { HandleOptions } from '../core/classify';
import { handleRules } from '../core/classify';
import type { Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { rules, type Schema } from '../core/validation';
import type { LastKnownGood } from './last-known-good';

/**
 * A tier function: produces a replacement value from the context and the call's failure
 * (the error, or the result that `handleResult` flagged). It may return a promise; if it
 * throws or rejects, the next tier runs.
 *
 * @example
 * ```ts
 * const fromReplica: FallbackFunction<Profile> = (ctx, failure) => replica.profile(id, { signal: ctx.signal });
 * ```
 */
export type FallbackFunction<T> = (ctx: ExecutionContext, failure: unknown) => T | PromiseLike<T>;

/**
 * One tier of a fallback: a {@link FallbackFunction}, a {@link LastKnownGood} cache, or a
 * constant value (anything else; to return a function as a constant, wrap it:
 * `() => myFunction`).
 *
 * @example
 * ```ts
 * const tiers: FallbackTier<string[]>[] = [(ctx) => mirror.friends(ctx.signal), lastKnownGood({ maxAge: 60_000 }), []];
 * ```
 */
export type FallbackTier<T> = FallbackFunction<T> | LastKnownGood | T;

/**
 * Options of {@link fallback}.
 *
 * @typeParam T - the value type the tiers produce (the protected call's value type).
 *
 * @example
 * ```ts
 * const prices = fallback<Price[]>({
 *   tiers: [lastKnownGood({ maxAge: 60_000 }), (ctx) => mirror.prices(ctx.signal), []],
 *   handle: (e) => !(e instanceof ValidationError),
 * });
 * ```
 */
export interface FallbackOptions<T = unknown> extends HandleOptions<T> {
  /**
   * The tiers, tried in order after a handled failure until one succeeds. At least one.
   */
  readonly tiers: readonly FallbackTier<T>[];
  /** Name used in events, metrics, errors and `describe()`. @defaultValue `'fallback'` */
  readonly name?: string | undefined;
  /** The clock events and `lastKnownGood` ages are read from. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
}

/** @internal Defaults of {@link FallbackOptions}. */
export const fallbackDefaults = {
  name: 'fallback',
} as const;

/** @internal Validation schema of {@link FallbackOptions}. */
export const fallbackSchema: Schema = {
  tiers: rules.required(rules.arrayOf(rules.any('a function, a lastKnownGood() tier or a constant'), { minLength: 1 })),
  handle: handleRules.handle,
  handleResult: handleRules.handleResult,
  name: rules.string(),
  clock: rules.clock(),
};

/**
 * Options of {@link lastKnownGood}.
 *
 * @example
 * ```ts
 * const cached = lastKnownGood({ maxAge: 5 * 60_000, key: (ctx) => ctx.labels['player'] ?? '', maxEntries: 10_000 });
 * ```
 */
export interface LastKnownGoodOptions {
  /**
   * How old (ms, since it was recorded) a value may be and still be served: a duration
   * > 0, or `Infinity` to serve any stored value.
   */
  readonly maxAge: number;
  /**
   * Splits the values of one operation by a key (a player id, a region…). Values are stored
   * per `ctx.operation` and key. A key function that throws means "neither record nor
   * serve". @defaultValue one value per operation
   */
  readonly key?: ((ctx: ExecutionContext) => string) | undefined;
  /**
   * The most values kept; beyond it the least recently used one is dropped.
   * @defaultValue 1000
   */
  readonly maxEntries?: number | undefined;
}

/** @internal Defaults of {@link LastKnownGoodOptions}. */
export const lastKnownGoodDefaults = {
  maxEntries: 1000,
} as const;

/** @internal Validation schema of {@link LastKnownGoodOptions}. */
export const lastKnownGoodSchema: Schema = {
  maxAge: rules.required(rules.duration(0, { exclusiveMin: true, allowInfinity: true })),
  key: rules.func('a function of the context returning a string'),
  maxEntries: rules.integer(1),
};
