/**
 * The one abort-aware wait every policy uses (retry sleeps, chaos latency, hangs): a
 * timer-service entry plus a subscription to the call's cancellation scope, both removed
 * the moment either fires.
 *
 * @packageDocumentation
 */
import type { ExecutionContext } from './context';
import { timerServiceFor } from './timer-service';

/** @internal How a wait ended. */
export type WaitEnd = { readonly aborted: false } | { readonly aborted: true; readonly reason: unknown };

const ELAPSED: WaitEnd = { aborted: false };

/**
 * @internal Waits `delay` ms on the call's clock, or until the call's current scope aborts
 * (caller abort or enclosing timeout), whichever comes first; `then` runs once, in the same
 * tick as the abort. `Infinity` waits for the abort only (a hang). Returns a cancel function
 * that drops both without calling `then`.
 */
export function waitFor(ctx: ExecutionContext, delay: number, then: (end: WaitEnd) => void): () => void {
  const scope = ctx.scope;
  if (scope.aborted) {
    then({ aborted: true, reason: scope.reason });
    return noop;
  }
  let finished = false;
  let unsubscribe: () => void = noop;
  let entry: { cancel(): void } | undefined;
  const finish = (end: WaitEnd): void => {
    if (finished) return;
    finished = true;
    unsubscribe();
    entry?.cancel();
    then(end);
  };
  unsubscribe = scope.subscribe((reason) => finish({ aborted: true, reason }));
  if (!finished && scope.aborted) finish({ aborted: true, reason: scope.reason });
  if (finished) return noop;
  if (delay !== Number.POSITIVE_INFINITY) {
    entry = timerServiceFor(ctx.clock).schedule(ctx.clock.now() + Math.max(0, delay), () => finish(ELAPSED));
  }
  return () => {
    // Stryker disable next-line ConditionalExpression: equivalent for `false` — after the wait ended, unsubscribing and cancelling the entry again change nothing (both are idempotent)
    if (finished) return;
    finished = true;
    unsubscribe();
    entry?.cancel();
  };
}

function noop(): void {}
