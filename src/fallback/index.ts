/**
 * The tiered fallback policy and the `lastKnownGood` tier.
 *
 * @packageDocumentation
 */
export { fallback, FallbackPolicy, type TierValue, type Widened } from './fallback';
export { lastKnownGood, LastKnownGood } from './last-known-good';
export { type FallbackFunction, type FallbackOptions, type FallbackTier, type LastKnownGoodOptions } from './options';
export { FallbackEvents, type FallbackEvent, type FallbackExhaustedEvent, type FallbackTierEvent } from './events';
