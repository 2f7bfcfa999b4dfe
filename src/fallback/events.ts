/**
 * Events of the fallback policy.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

/**
 * Names of the fallback policy's events.
 *
 * @example
 * ```ts
 * policy.on(FallbackEvents.fallback, (e) => log.info(`tier ${e.tier} after`, e.failure));
 * policy.on(FallbackEvents.exhausted, (e) => log.error(`all ${e.errors.length - 1} tiers failed`));
 * ```
 */
export const FallbackEvents = {
  /** {@link FallbackTierEvent}: a tier is about to run. */
  fallback: 'fallback',
  /** {@link FallbackExhaustedEvent}: the call and every tier failed. */
  exhausted: 'exhausted',
} as const;

/** A tier is about to run. */
export interface FallbackTierEvent extends ResilienceEvent {
  readonly kind: 'fallback';
  readonly type: 'fallback';
  /** 0-based index of the tier about to run. */
  readonly tier: number;
  /**
   * The failure that made this tier run: the call's failure for tier 0, the failure of
   * tier `tier - 1` after that. For a result flagged by `handleResult`, that result.
   */
  readonly failure: unknown;
}

/** The call and every tier failed; the call rejects with a `FallbackExhaustedError`. */
export interface FallbackExhaustedEvent extends ResilienceEvent {
  readonly kind: 'fallback';
  readonly type: 'exhausted';
  /** The call's failure, then each tier's failure, in order (the error's `errors`). */
  readonly errors: readonly unknown[];
}

/**
 * Every event the fallback policy emits.
 *
 * @example
 * ```ts
 * const onFallback = (e: FallbackEvent) => { if (e.type === 'fallback') metrics.increment('fallbacks', { tier: String(e.tier) }); };
 * ```
 */
export type FallbackEvent = FallbackTierEvent | FallbackExhaustedEvent;
