/**
 * Options of the hedging policy, their defaults and their validation.
 *
 * @packageDocumentation
 */
import type { HandleOptions } from '../core/classify';
import { handleRules } from '../core/classify';
import { sameClock, systemClock, type Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { OptionsValidationError, type ValidationIssue } from '../core/errors';
import { collectIssues, isPlainObject, rules, type Rule, type Schema } from '../core/validation';

/**
 * What a delay function learns about the hedge it times.
 *
 * @example
 * ```ts
 * const delay = (info: HedgingDelayInfo): number => (info.context.labels['tier'] === 'vip' ? 20 : 50) * (info.attempt - 1);
 * ```
 */
export interface HedgingDelayInfo {
  /** The attempt the delay leads to (2 for the first hedge). */
  readonly attempt: number;
  /** The call's context (labels, operation, deadline, properties…). */
  readonly context: ExecutionContext;
}

/**
 * A delay function: returns how long (ms) to wait for the running attempts before starting
 * attempt `info.attempt`. `0` starts it at once, `Infinity` never on time (only on a
 * failure). A function that throws or returns a negative number or `NaN` is reported
 * (see `onCallbackError`) and that hedge then waits for a failure only (`Infinity`).
 *
 * @example
 * ```ts
 * const later: HedgingDelayFunction = ({ attempt }) => 25 * (attempt - 1); // 25 ms, then 50 ms
 * ```
 */
export type HedgingDelayFunction = (info: HedgingDelayInfo) => number;

/**
 * An adaptive delay: a percentile of the recent latency of the calls' first attempts, so
 * that only the slow tail is hedged.
 *
 * The policy keeps the last `window` latencies of its calls' **first** attempts (fixed
 * memory, whatever the traffic): the time each took to answer (success or failure), or,
 * when a hedge won, the time it had run when it was cancelled (a lower bound: it was at
 * least that slow). Execution rejections (the first attempt never reached the dependency)
 * and calls cancelled by their caller or an enclosing timeout add nothing.
 *
 * **Warm-up**: until `minSamples` latencies are known, the delay is `warmUpDelay`
 * (by default `max`, itself `Infinity` by default: no hedge on time until the policy has
 * seen enough calls to know what "slow" means; failures still start hedges).
 *
 * @example
 * ```ts
 * const p95: AdaptiveHedgingDelay = { percentile: 95, window: 500, min: 5, max: 500 };
 * ```
 */
export interface AdaptiveHedgingDelay {
  /** The percentile (0 < p < 100) of recent latency after which a hedge starts, e.g. `95`. */
  readonly percentile: number;
  /** How many recent latencies are kept. An integer from 1 to 100 000. @defaultValue `500` */
  readonly window?: number | undefined;
  /**
   * Latencies needed before the percentile is used (an integer from 1 to `window`).
   * @defaultValue `min(window, max(10, ⌈100 / (100 − percentile)⌉))`: 20 for p95, 100 for p99
   */
  readonly minSamples?: number | undefined;
  /** The delay (ms) while fewer than `minSamples` latencies are known. @defaultValue `max` */
  readonly warmUpDelay?: number | undefined;
  /** The least delay (ms): the percentile is raised to it. @defaultValue `0` */
  readonly min?: number | undefined;
  /** The greatest delay (ms): the percentile is capped to it. @defaultValue `Infinity` */
  readonly max?: number | undefined;
}

/**
 * How long the running attempts get before the next one starts: a number of ms (`0` starts
 * every attempt at once, `Infinity` hedges on failures only), a {@link HedgingDelayFunction},
 * or an {@link AdaptiveHedgingDelay}.
 *
 * @example
 * ```ts
 * const fixed: HedgingDelay = 30;
 * const adaptive: HedgingDelay = { percentile: 95 };
 * const fallbackOnly: HedgingDelay = Infinity;
 * ```
 */
export type HedgingDelay = number | HedgingDelayFunction | AdaptiveHedgingDelay;

/**
 * A budget that caps the extra attempts hedging adds: `recordCall()` counts each call,
 * `tryRetry()` grants (and counts) one extra attempt or refuses it. A `retryBudget()` from
 * breakwater is one (at most `ratio` extra attempts per call over a sliding window, plus a
 * small floor), and sharing one between the retry and the hedging of a dependency caps
 * their extra load together.
 *
 * @example
 * ```ts
 * const budget: HedgingBudget = retryBudget({ ratio: 0.1, minPerSecond: 1 });
 * ```
 */
export interface HedgingBudget {
  /** Counts one call (the policy calls it once per call it runs). */
  recordCall(): void;
  /** Grants and counts one extra attempt, or returns `false` when the budget is spent. */
  tryRetry(): boolean;
  /** The clock of the budget's window: the policy's clock. */
  readonly clock: Clock;
}

/**
 * Options of {@link hedging}.
 *
 * @typeParam T - the result type that `handleResult` inspects.
 *
 * @example
 * ```ts
 * const options: HedgingOptions<Response> = {
 *   name: 'leaderboard-read',
 *   delay: { percentile: 95, max: 200 },
 *   maxHedgedAttempts: 1,
 *   handleResult: (res) => res.status >= 500,
 * };
 * const policy = hedging(options);
 * ```
 */
export interface HedgingOptions<T = unknown> extends HandleOptions<T> {
  /** How long the running attempts get before the next one starts (see {@link HedgingDelay}). Required. */
  readonly delay: HedgingDelay;
  /**
   * Extra attempts at most, besides the first: a call runs at most `1 + maxHedgedAttempts`
   * attempts. An integer from 0 to 10 (`0` turns hedging off).
   * @defaultValue `1`
   */
  readonly maxHedgedAttempts?: number | undefined;
  /**
   * A budget shared with other policies that caps the extra attempts (see
   * {@link HedgingBudget}); a hedge it refuses is not started, and the call hedges no more.
   * @defaultValue none
   */
  readonly budget?: HedgingBudget | undefined;
  /** Name used in events, metrics and `describe()`. @defaultValue `'hedging'` */
  readonly name?: string | undefined;
  /** Clock for the delays and the latencies of an adaptive delay. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
}

/**
 * Default values of the optional hedging options.
 *
 * @example
 * ```ts
 * hedgingDefaults.maxHedgedAttempts; // 1
 * ```
 */
export const hedgingDefaults = {
  /** Default of {@link HedgingOptions.name}. */
  name: 'hedging',
  /** Default of {@link HedgingOptions.maxHedgedAttempts}. */
  maxHedgedAttempts: 1,
  /** Default of {@link AdaptiveHedgingDelay.window} (latencies kept). */
  window: 500,
  /** Default of {@link AdaptiveHedgingDelay.min} (ms). */
  min: 0,
  /** Default of {@link AdaptiveHedgingDelay.max} (ms). */
  max: Number.POSITIVE_INFINITY,
} as const;

/** @internal The largest `maxHedgedAttempts` (as Polly's). */
export const MAX_HEDGED_ATTEMPTS = 10;
/** @internal The largest adaptive `window`. */
export const MAX_WINDOW = 100_000;

/** @internal The default `minSamples` of an adaptive delay. */
export function defaultMinSamples(percentile: number, window: number): number {
  return Math.min(window, Math.max(10, Math.ceil(100 / (100 - percentile) - 1e-9)));
}

const delayRule: Rule = {
  expected: 'a duration in ms ≥ 0 (or Infinity), a function (info) => ms, or an adaptive delay { percentile, … }',
  // Stryker disable next-line ConditionalExpression: equivalent — NaN >= 0 is already false, so the NaN check never decides alone
  check: (v) => (typeof v === 'number' && v >= 0 && !Number.isNaN(v)) || typeof v === 'function' || isPlainObject(v),
};

const budgetRule: Rule = {
  expected: 'a budget (from retryBudget(): an object with recordCall and tryRetry functions)',
  check: (v) =>
    typeof v === 'object' &&
    // Stryker disable next-line ConditionalExpression: equivalent — for null the next read throws, and collectIssues counts a throwing check as a refusal
    v !== null &&
    typeof (v as { recordCall?: unknown }).recordCall === 'function' &&
    typeof (v as { tryRetry?: unknown }).tryRetry === 'function',
};

/** @internal Validation schema of {@link HedgingOptions}. */
export const hedgingSchema: Schema = {
  delay: rules.required(delayRule),
  maxHedgedAttempts: rules.integer(0, MAX_HEDGED_ATTEMPTS),
  budget: budgetRule,
  name: rules.string(),
  clock: rules.clock(),
  ...handleRules,
};

/** @internal Validation schema of {@link AdaptiveHedgingDelay}. */
export const adaptiveDelaySchema: Schema = {
  percentile: rules.required({ expected: 'a number > 0 and < 100', check: (v) => typeof v === 'number' && v > 0 && v < 100 }),
  window: rules.integer(1, MAX_WINDOW),
  minSamples: rules.integer(1, MAX_WINDOW),
  warmUpDelay: rules.duration(0, { allowInfinity: true }),
  min: rules.duration(0),
  max: rules.duration(0, { allowInfinity: true }),
};

/** Cross-field checks, once every field is well-formed. */
function hedgingIssues(o: HedgingOptions<never>, issues: ValidationIssue[]): void {
  const d = o.delay;
  if (isPlainObject(d)) {
    const a = d as AdaptiveHedgingDelay;
    const window = a.window ?? hedgingDefaults.window;
    // Stryker disable next-line ConditionalExpression: equivalent — undefined > window is false, so the undefined check never decides alone
    if (a.minSamples !== undefined && a.minSamples > window) {
      issues.push({ path: 'delay.minSamples', value: a.minSamples, expected: `an integer from 1 to \`window\` (${window})` });
    }
    // Stryker disable next-line ConditionalExpression: equivalent — a comparison with undefined is false, so the undefined checks never decide alone
    if (a.min !== undefined && a.max !== undefined && a.min > a.max) {
      issues.push({ path: 'delay.min', value: a.min, expected: `≤ \`max\` (${a.max})` });
    }
  }
  if (o.budget !== undefined && o.budget.clock !== undefined && !sameClock(o.budget.clock, o.clock ?? systemClock)) {
    issues.push({ path: 'budget', value: o.budget, expected: "a budget on the policy's clock (pass the same `clock` to both)" });
  }
}

/**
 * @internal Validates hedging options: every field, the fields of an adaptive delay, then
 * the cross-field rules; one {@link OptionsValidationError} names every bad field.
 */
export function validateHedgingOptions(input: unknown): HedgingOptions<never> {
  const issues: ValidationIssue[] = [];
  // `hedging()` without options still names the missing `delay`.
  collectIssues(input ?? {}, hedgingSchema, '', issues);
  const delay = isPlainObject(input) ? input['delay'] : undefined;
  if (isPlainObject(delay)) collectIssues(delay, adaptiveDelaySchema, 'delay.', issues);
  const options = (input ?? {}) as HedgingOptions<never>;
  if (issues.length === 0) hedgingIssues(options, issues);
  if (issues.length > 0) throw new OptionsValidationError('hedging', issues);
  return options;
}
