/**
 * Options of the timeout policy, their defaults and their validation schema.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { rules, type Schema } from '../core/validation';

/**
 * What a timeout does at its deadline.
 *
 * - `'aggressive'`: the call rejects with a `TimeoutError` at once and the context's
 *   signal aborts; whatever the function does later is ignored.
 * - `'cooperative'`: the signal aborts, and the call settles when the function does: with
 *   its value if it still succeeds, with a `TimeoutError` (whose `cause` is the function's
 *   error) if it fails.
 *
 * @example
 * ```ts
 * const strategy: TimeoutStrategy = process.env.STRICT ? 'aggressive' : 'cooperative';
 * ```
 */
export type TimeoutStrategy = 'aggressive' | 'cooperative';

/**
 * Options of {@link timeout}.
 *
 * @example
 * ```ts
 * const t = timeout({ duration: 2_000, strategy: 'cooperative', name: 'db-timeout' });
 * ```
 */
export interface TimeoutOptions {
  /**
   * Milliseconds the call may take, counted from when it enters the policy: a finite
   * number > 0 and ≤ 2 147 483 647 (the largest delay a host timer supports). An
   * enclosing deadline that comes sooner wins.
   */
  readonly duration: number;
  /** What happens at the deadline (see {@link TimeoutStrategy}). @defaultValue `'aggressive'` */
  readonly strategy?: TimeoutStrategy | undefined;
  /** Name used in events, metrics and `describe()`. @defaultValue `'timeout'` */
  readonly name?: string | undefined;
  /** The clock the deadline is measured on. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
}

/** @internal The largest delay (ms) host timers accept (2^31 - 1). */
export const MAX_TIMEOUT_DURATION = 2_147_483_647;

/** @internal Defaults of {@link TimeoutOptions}. */
export const timeoutDefaults = {
  strategy: 'aggressive',
  name: 'timeout',
} as const satisfies Partial<TimeoutOptions>;

const durationRule = rules.duration(0, { exclusiveMin: true });

/** @internal Validation schema of {@link TimeoutOptions}. */
export const timeoutSchema: Schema = {
  duration: rules.required({
    expected: `a duration in ms > 0 and ≤ ${MAX_TIMEOUT_DURATION}`,
    check: (v) => durationRule.check(v) && (v as number) <= MAX_TIMEOUT_DURATION,
  }),
  strategy: rules.oneOf<TimeoutStrategy>(['aggressive', 'cooperative']),
  name: rules.string(),
  clock: rules.clock(),
};
