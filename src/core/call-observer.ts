/**
 * The seam through which a policy watches one call from inside: every event the call's
 * policies emit, and every run of the user's function (each attempt, each hedge). The
 * tracing policy is its user: it opens a span per call and a child span per attempt, and
 * runs the function inside the attempt's span so the function's own spans nest under it.
 *
 * A call has at most one observer. While any call is observed, every policy builds its
 * events (`Link.listening` is true), so observing costs only the calls of the periods in
 * which some call is observed; with no observed call it costs one counter read per event
 * site.
 *
 * @packageDocumentation
 */
import type { ExecutionContext } from './context';
import { listenersChanged, type ResilienceEvent } from './events';

/**
 * @internal Watches one call. Its methods must not throw (a throw is reported and ignored,
 * except from `attempt`, where it counts as the function's own synchronous throw).
 */
export interface CallObserver {
  /** An event of one of the call's policies, after the policies' own listeners heard it. */
  event(event: ResilienceEvent, ctx: ExecutionContext): void;
  /**
   * One run of the user's function, for the view `ctx` (its `attempt` and `signal` are that
   * run's). Must call `run(ctx)` exactly once, synchronously, and return what it returns, or
   * a thenable that forwards it (calling its `then` once); it may wrap the call in a context
   * of its own and watch the result.
   */
  attempt(ctx: ExecutionContext, run: (ctx: ExecutionContext) => unknown): unknown;
}

let observed = 0;

/** @internal True while at least one call is observed: policies then build their events. */
export function observing(): boolean {
  return observed > 0;
}

/**
 * @internal Makes `observer` watch the call of `ctx` (its whole call, whichever view is
 * given) from now on. Returns the function that ends the observation; call it once the call
 * has settled (it is idempotent). Returns `undefined`, and changes nothing, when the call
 * already has an observer (a tracing policy nested in another: the outer one sees it all).
 */
export function observeCall(ctx: ExecutionContext, observer: CallObserver): (() => void) | undefined {
  const call = ctx.call;
  if (call.observer !== undefined) return undefined;
  call.observer = observer;
  if (observed++ === 0) listenersChanged();
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    if (--observed === 0) listenersChanged();
    // Stryker disable next-line ConditionalExpression: equivalent for `true` — while this observation is active nobody can set another observer on the call (`false`, the `!==` mutant's twin, is killed by call-observer.mutants.test.ts)
    if (call.observer === observer) call.observer = undefined;
  };
}
