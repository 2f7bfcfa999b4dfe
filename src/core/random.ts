/**
 * Chance, as the library sees it: a function returning a number in [0, 1). Policies that
 * use chance (jitter, fault rates) take a `random` option; the default calls
 * `Math.random` when used. Tests pass `seededRandom(seed)` from `breakwater/testing`.
 *
 * @packageDocumentation
 */

/**
 * A source of uniformly distributed numbers in [0, 1).
 *
 * @example
 * ```ts
 * const alwaysLow: Random = () => 0.01;
 * ```
 */
export type Random = () => number;

/** The platform's `Math.random`, looked up on each call. */
export const systemRandom: Random = () => Math.random();
