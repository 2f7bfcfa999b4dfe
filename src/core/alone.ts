/**
 * The promise-native path of a call: what a policy uses when it runs a call on its own
 * (not inside a pipeline of several) and nobody listens to its events.
 *
 * The continuation-passing chain (`chain.ts`) composes any number of strategies with one
 * promise per call, but each strategy allocates its continuation, and the caller's promise
 * is settled through a resolver. A lone policy can do better: an `async` method that
 * awaits the function and decides on its outcome costs one async frame, as the cheapest
 * hand-written wrapper does. The paths it cannot take promise-natively (a retry's sleep,
 * a fallback's tiers, a queued bulkhead) continue in the chain from where they are, through
 * {@link continueChain}, so every rule lives in one place.
 *
 * A policy offers the path by overriding `Policy.runAlone`, which returns `undefined` when
 * this call cannot take it (a breaker that is not closed, a full bulkhead): the call then
 * runs through the chain as usual.
 *
 * @packageDocumentation
 */
import { callWithContext, type ExecutionContext } from './context';
import type { Done, Outcome } from './outcome';

/**
 * @internal Runs the call's function in the view `ctx`, through the call's observer if it
 * has one; returns what the function returns and throws what it throws synchronously.
 */
export function callFunction(ctx: ExecutionContext): unknown {
  const observer = ctx.call.observer;
  return observer === undefined ? callWithContext(ctx, ctx.call.fn as (ctx: ExecutionContext) => unknown) : observer.attempt(ctx, runFunction);
}

/** Runs the call's function in the view `ctx` (what an observer's `attempt` calls). */
function runFunction(ctx: ExecutionContext): unknown {
  return callWithContext(ctx, ctx.call.fn as (ctx: ExecutionContext) => unknown);
}

/**
 * @internal The whole call when nothing is left to decide after the function: awaits it,
 * disposes of the call, and settles with its value or error.
 */
export async function awaitFunction(ctx: ExecutionContext): Promise<unknown> {
  let value: unknown;
  try {
    value = await callFunction(ctx);
  } catch (error) {
    ctx.dispose();
    throw error;
  }
  ctx.dispose();
  return value;
}

/**
 * @internal Continues a call in the chain from an async path: `start(done)` runs the rest
 * (a retry's next attempts, a fallback's tiers) and the promise resolves with the outcome
 * handed to `done` (never rejects: a throw from `start` becomes a failed outcome).
 */
export function continueChain(start: (done: Done) => void): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    try {
      start(resolve);
    } catch (error) {
      resolve({ ok: false, error });
    }
  });
}

/** @internal The value of a successful outcome, or its error thrown: the end of an async path. */
export function unwrap(o: Outcome): unknown {
  if (o.ok) return o.value;
  throw o.error;
}
