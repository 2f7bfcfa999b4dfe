/**
 * Counting the latency-aware policies: hedges started, won, cancelled and refused by the
 * budget (hedging), and the limit changes and refusals of an adaptive concurrency limit.
 * The aggregator dispatches their events here and reads their snapshots back.
 *
 * @packageDocumentation
 */
import type { AdaptiveConcurrencyEvent } from '../adaptive-concurrency/events';
import type { HedgingEvent } from '../hedging/events';
import { bump, str, toRecord } from './counts';
import type { Series } from './series';
import type { HedgeCount, HedgingSeriesSnapshot, LimitChangeSeriesSnapshot } from './snapshot';

/** @internal A whole attempt number as a label value; `'0'` for anything else (a foreign copy's malformed event). */
function attemptLabel(v: unknown): string {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : '0';
}

/** @internal Counts one hedging event in its series. */
export function countHedging(s: Series, e: HedgingEvent): void {
  switch (e.type) {
    case 'hedge':
      s.hedgingSeen = true;
      bump(s.hedges, `${attemptLabel(e.attempt)}\u0000${str(e.trigger, 'delay')}`);
      break;
    case 'hedge-won':
      s.hedgingSeen = true;
      bump(s.hedgeWins, attemptLabel(e.attempt));
      break;
    case 'hedge-losers-cancelled':
      s.hedgingSeen = true;
      s.hedgeLosersCancelled += Array.isArray(e.losers) ? e.losers.length : 0;
      break;
    case 'hedge-budget-exhausted':
      s.hedgingSeen = true;
      s.hedgeBudgetExhausted++;
      break;
    // Stryker disable next-line ConditionalExpression: the last case of the switch; emptying it changes nothing (no case follows)
    default:
      break;
  }
}

/**
 * @internal Counts one adaptive concurrency event: a limit change by direction, or a
 * refusal (returned as its rejection reason, `concurrency-limited-<reason>`, for the
 * aggregator's rejections). Queued events count nothing (the queue is a live gauge).
 */
export function countAdaptive(s: () => Series, e: AdaptiveConcurrencyEvent): string | undefined {
  if (e.type === 'rejected') return `concurrency-limited-${str(e.reason, 'full')}`;
  if (e.type === 'limit-changed' && typeof e.limit === 'number' && typeof e.previous === 'number' && e.limit !== e.previous) {
    bump(s().limitChanges, e.limit > e.previous ? 'up' : 'down');
  }
  return undefined;
}

/** @internal The hedging counts of a series, `undefined` when it saw no hedging event. */
export function hedgingOf(s: Series): HedgingSeriesSnapshot | undefined {
  if (!s.hedgingSeen) return undefined;
  const hedges: HedgeCount[] = [];
  for (const [k, count] of s.hedges) {
    const [attempt, trigger] = k.split('\u0000') as [string, string];
    hedges.push({ attempt: Number(attempt), trigger, count });
  }
  return { ...s.key, hedges, wins: toRecord(s.hedgeWins), losersCancelled: s.hedgeLosersCancelled, budgetExhausted: s.hedgeBudgetExhausted };
}

/** @internal The limit changes of a series, `undefined` when it saw none. */
export function limitChangesOf(s: Series): LimitChangeSeriesSnapshot | undefined {
  if (s.limitChanges.size === 0) return undefined;
  return { ...s.key, increases: s.limitChanges.get('up') ?? 0, decreases: s.limitChanges.get('down') ?? 0 };
}
