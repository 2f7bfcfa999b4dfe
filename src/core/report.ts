/**
 * The one rule for errors thrown by user callbacks (event listeners, `handle` and
 * `handleResult` predicates, `retryAfter`, backoff and key functions, chaos predicates,
 * experiment rollbacks and load functions, a clock that throws): the library never lets
 * such an error break a call or leave a promise unsettled, and never swallows it silently.
 * Each one is reported here, with the name of the callback, then the library goes on as
 * the callback's documentation says (a predicate that throws answers "no", a listener that
 * throws does not stop the others).
 *
 * With no handler registered, reports go to `console.error`; with one or more, to them.
 *
 * @packageDocumentation
 */
import type { Subscription } from './events';

/**
 * Receives an error thrown by a user callback. `source` names the callback, e.g.
 * `'an event listener'`, `'retry handle'`, `'circuit breaker "gateway" recoveryTimeout'`.
 */
export type CallbackErrorHandler = (error: unknown, source: string) => void;

let handlers: readonly CallbackErrorHandler[] = [];

/**
 * Routes errors thrown by user callbacks to `handler` (instead of `console.error`) until
 * the returned subscription is disposed. Several handlers may be registered; a handler
 * that throws is ignored.
 *
 * @example
 * ```ts
 * const sub = onCallbackError((error, source) => log.warn({ err: error, source }, 'breakwater callback failed'));
 * // …on shutdown:
 * sub.dispose();
 * ```
 */
export function onCallbackError(handler: CallbackErrorHandler): Subscription {
  if (typeof handler !== 'function') throw new TypeError(`onCallbackError() expects a function, got ${typeof handler}`);
  handlers = [...handlers, handler];
  let active = true;
  return {
    dispose: () => {
      if (!active) return;
      active = false;
      const i = handlers.indexOf(handler);
      if (i >= 0) handlers = [...handlers.slice(0, i), ...handlers.slice(i + 1)];
    },
  };
}

/** @internal Reports an error thrown by a user callback (see the module's rule). */
export function reportInternalError(error: unknown, what = 'an internal callback'): void {
  const hs = handlers;
  if (hs.length === 0) {
    const c = (globalThis as { console?: { error(...args: unknown[]): void } }).console;
    c?.error(`[breakwater] ${what} threw:`, error);
    return;
  }
  for (let i = 0; i < hs.length; i++) {
    try {
      (hs[i] as CallbackErrorHandler)(error, what);
    } catch {
      // A failing error handler has nowhere left to report to.
    }
  }
}
