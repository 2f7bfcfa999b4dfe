/**
 * Events of the hedging policy. Every event is built only when someone listens.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

/**
 * Why a hedge started: its delay passed with no answer, or an attempt failed.
 *
 * @example
 * ```ts
 * const onFailure = (trigger: HedgeTrigger): boolean => trigger === 'failure';
 * ```
 */
export type HedgeTrigger = 'delay' | 'failure';

/**
 * A hedge started: attempt `attempt` (2 or more) of the call is running next to the others.
 *
 * @example
 * ```ts
 * policy.on('hedge', (e) => log.info(`${e.operation}: attempt ${e.attempt} after ${e.trigger === 'delay' ? `${e.delay} ms` : 'a failure'}`));
 * ```
 */
export interface HedgeStartedEvent extends ResilienceEvent {
  readonly kind: 'hedging';
  readonly type: 'hedge';
  /** The attempt that started (2 for the first hedge). */
  readonly attempt: number;
  /** `'delay'`: no attempt answered within `delay` ms; `'failure'`: an attempt failed (fallback mode). */
  readonly trigger: HedgeTrigger;
  /** The delay (ms) that passed, for a `'delay'` trigger; `0` for a `'failure'`. */
  readonly delay: number;
  /** The failure that triggered it (an error), for a `'failure'` trigger. */
  readonly error?: unknown;
  /** The result that `handleResult` flagged, when a result triggered it. */
  readonly result?: unknown;
}

/**
 * A hedged call (one that started at least one hedge) got its answer: attempt `attempt`
 * succeeded first. Calls whose first attempt answered before any hedge emit nothing.
 *
 * @example
 * ```ts
 * policy.on('hedge-won', (e) => metrics.increment('hedge_won', { attempt: String(e.attempt) }));
 * ```
 */
export interface HedgeWonEvent extends ResilienceEvent {
  readonly kind: 'hedging';
  readonly type: 'hedge-won';
  /** The attempt whose success settled the call (1: the first attempt won after all). */
  readonly attempt: number;
  /** How many attempts the call started. */
  readonly attempts: number;
}

/**
 * Attempts still running when the call got its outcome were aborted: their `ctx.signal`
 * aborted with an `AbortError`, and whatever they answer later is ignored. Not emitted when
 * the caller or an enclosing timeout cancels the call (every attempt is aborted then, but none lost).
 *
 * @example
 * ```ts
 * policy.on('hedge-losers-cancelled', (e) => log.debug(`attempts ${e.losers.join(', ')} cancelled, attempt ${e.winner} answered`));
 * ```
 */
export interface HedgeLosersCancelledEvent extends ResilienceEvent {
  readonly kind: 'hedging';
  readonly type: 'hedge-losers-cancelled';
  /** The attempt whose outcome settled the call. */
  readonly winner: number;
  /** The attempts that were aborted, in starting order. */
  readonly losers: readonly number[];
}

/**
 * The budget refused a hedge: attempt `attempt` did not start, and the call hedges no more
 * (it goes on with the attempts already running).
 *
 * @example
 * ```ts
 * policy.on('hedge-budget-exhausted', (e) => log.warn(`${e.policy}: no budget for attempt ${e.attempt}`));
 * ```
 */
export interface HedgeBudgetExhaustedEvent extends ResilienceEvent {
  readonly kind: 'hedging';
  readonly type: 'hedge-budget-exhausted';
  /** The attempt that would have started. */
  readonly attempt: number;
}

/**
 * Every event a hedging policy emits.
 *
 * @example
 * ```ts
 * const onHedging = (e: HedgingEvent) => metrics.increment(`hedging.${e.type}`, { policy: e.policy });
 * ```
 */
export type HedgingEvent = HedgeStartedEvent | HedgeWonEvent | HedgeLosersCancelledEvent | HedgeBudgetExhaustedEvent;

/**
 * Names of the hedging events.
 *
 * @example
 * ```ts
 * policy.on(HedgingEvents.won, (e) => log.info(`won by attempt ${e.attempt} of ${e.attempts}`));
 * ```
 */
export const HedgingEvents = {
  /** {@link HedgeStartedEvent} */
  hedge: 'hedge',
  /** {@link HedgeWonEvent} */
  won: 'hedge-won',
  /** {@link HedgeLosersCancelledEvent} */
  losersCancelled: 'hedge-losers-cancelled',
  /** {@link HedgeBudgetExhaustedEvent} */
  budgetExhausted: 'hedge-budget-exhausted',
} as const;
