/**
 * Time, as the library sees it. Every policy takes a `clock` option; the default wraps the
 * platform's monotonic time and timers, looked up lazily (so fake timers installed after
 * import still apply). Tests pass a `VirtualClock` from `breakwater/testing`.
 *
 * @packageDocumentation
 */

/**
 * A source of time and one-shot timers. Times are milliseconds on a monotonic scale whose
 * origin does not matter: the library only ever subtracts them.
 *
 * A handle returned by `setTimeout` may have `ref()` / `unref()` methods (as Node's do);
 * when it has, the library uses them to let an idle process exit.
 *
 * @example
 * ```ts
 * const fixed: Clock = { now: () => 0, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) };
 * ```
 */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number;
  /** Calls `callback` once, `ms` milliseconds from now. Returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer made by this clock's `setTimeout`. Unknown or spent handles are ignored. */
  clearTimeout(handle: unknown): void;
}

interface PerformanceLike {
  now(): number;
}

const SYSTEM_CLOCK_BRAND = Symbol.for('breakwater.systemClock');

/**
 * The platform clock: `performance.now()` (monotonic, falls back to `Date.now()`) and the
 * global `setTimeout` / `clearTimeout`, each looked up when called.
 */
export const systemClock: Clock = Object.defineProperty<Clock>({
  now(): number {
    const perf = (globalThis as { performance?: PerformanceLike }).performance;
    return perf !== undefined ? perf.now() : Date.now();
  },
  setTimeout(callback: () => void, ms: number): unknown {
    return globalThis.setTimeout(callback, ms);
  },
  clearTimeout(handle: unknown): void {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
}, SYSTEM_CLOCK_BRAND, { value: true });

/**
 * @internal True for the system clock of this or another copy of the package (the ESM and
 * CJS builds each have one; both are the same platform time).
 */
export function isSystemClock(clock: Clock): boolean {
  return (clock as { [SYSTEM_CLOCK_BRAND]?: unknown })[SYSTEM_CLOCK_BRAND] === true;
}

/** @internal True when `a` and `b` are one time source. */
export function sameClock(a: Clock, b: Clock): boolean {
  return a === b || (isSystemClock(a) && isSystemClock(b));
}

/** @internal Calls `unref()` on a timer handle when it has one (Node); returns whether it did. */
export function unrefTimer(handle: unknown): boolean {
  if (typeof handle === 'object' && handle !== null && typeof (handle as { unref?: unknown }).unref === 'function') {
    (handle as { unref(): void }).unref();
    return true;
  }
  return false;
}

/** @internal Calls `ref()` on a timer handle when it has one. */
export function refTimer(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && typeof (handle as { ref?: unknown }).ref === 'function') {
    (handle as { ref(): void }).ref();
  }
}

/** @internal Does this handle support ref/unref? */
export function canUnref(handle: unknown): boolean {
  return (
    typeof handle === 'object' &&
    handle !== null &&
    typeof (handle as { unref?: unknown }).unref === 'function' &&
    typeof (handle as { ref?: unknown }).ref === 'function'
  );
}
