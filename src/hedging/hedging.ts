/**
 * The hedging policy: when the first attempt of a call has not answered after a delay, a
 * second one starts beside it (then a third…); the first success wins and the others are
 * aborted. It trades a little extra load for a much shorter latency tail.
 *
 * Cost when the first attempt answers before the delay: one clock read, one timer-service
 * entry (scheduled and cancelled), one child cancellation scope and its view (no
 * `AbortController` unless the function reads `ctx.signal`), and the call's small state.
 *
 * @packageDocumentation
 */
import { compileClassifier, errorPredicate, type Classifier, type ResultFilter } from '../core/classify';
import { systemClock, type Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { isExecutionRejectedError } from '../core/errors';
import type { Done } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { reportInternalError } from '../core/report';
import { timerServiceFor, type TimerService } from '../core/timer-service';
import type { HedgingEvent } from './events';
import { HedgedCall } from './hedged-call';
import { LatencyWindow } from './latency-window';
import {
  defaultMinSamples,
  hedgingDefaults,
  validateHedgingOptions,
  type AdaptiveHedgingDelay,
  type HedgingBudget,
  type HedgingDelay,
  type HedgingDelayFunction,
  type HedgingOptions,
} from './options';

/** The settings of an adaptive delay, defaults applied. */
interface Adaptive {
  readonly percentile: number;
  readonly window: number;
  readonly minSamples: number;
  readonly warmUpDelay: number;
  readonly min: number;
  readonly max: number;
}

function adaptiveSettings(a: AdaptiveHedgingDelay): Adaptive {
  const window = a.window ?? hedgingDefaults.window;
  const max = a.max ?? hedgingDefaults.max;
  return {
    percentile: a.percentile,
    window,
    minSamples: a.minSamples ?? defaultMinSamples(a.percentile, window),
    warmUpDelay: a.warmUpDelay ?? max,
    min: a.min ?? hedgingDefaults.min,
    max,
  };
}

/**
 * A hedging policy. Create it with {@link hedging}.
 *
 * @example
 * ```ts
 * const policy = hedging({ delay: 30 });
 * policy.on('hedge', (e) => console.log(`attempt ${e.attempt} started (${e.trigger})`));
 * const top = await policy.execute((ctx) => leaderboard.top(10, { signal: ctx.signal }));
 * ```
 */
export class HedgingPolicy extends StrategyPolicy<HedgingEvent> {
  /** Extra attempts at most, besides the first. */
  readonly maxHedgedAttempts: number;
  /** The `delay` option, as given. */
  readonly delay: HedgingDelay;
  /** The budget that caps the extra attempts, if any. */
  readonly budget: HedgingBudget | undefined;
  /** @internal Attempts at most: `1 + maxHedgedAttempts`. */
  readonly maxAttempts: number;
  /** @internal */
  readonly classifier: Classifier;
  /** @internal True when `handleResult` may flag a value as a failure. */
  readonly inspectsResults: boolean;
  /** @internal The latencies behind an adaptive delay. */
  readonly window: LatencyWindow | undefined;
  private readonly fixed: number | undefined;
  private readonly delayFunction: HedgingDelayFunction | undefined;
  private readonly adaptive: Adaptive | undefined;
  private readonly described: Record<string, unknown>;
  private serviceClock: Clock | undefined = undefined;
  private service: TimerService | undefined = undefined;

  /** @internal Use {@link hedging}. */
  constructor(options: HedgingOptions<never>) {
    const o = validateHedgingOptions(options);
    const d = o.delay;
    const adaptive = typeof d === 'object' ? adaptiveSettings(d) : undefined;
    super({
      kind: 'hedging',
      name: o.name ?? hedgingDefaults.name,
      clock: o.clock ?? systemClock,
      keepsTime: o.budget !== undefined || adaptive !== undefined,
    });
    this.maxHedgedAttempts = o.maxHedgedAttempts ?? hedgingDefaults.maxHedgedAttempts;
    this.maxAttempts = 1 + this.maxHedgedAttempts;
    this.delay = d;
    this.budget = o.budget;
    this.fixed = typeof d === 'number' ? d : undefined;
    this.delayFunction = typeof d === 'function' ? d : undefined;
    this.adaptive = adaptive;
    this.window = adaptive === undefined ? undefined : new LatencyWindow(adaptive.window, adaptive.percentile);
    this.inspectsResults = o.handleResult !== undefined;
    // Execution rejections never count as failures: each ends only its own attempt.
    const handle = o.handle === undefined ? undefined : errorPredicate(o.handle);
    this.classifier = compileClassifier(
      { handleResult: o.handleResult as ResultFilter<never> | undefined },
      handle === undefined ? (e) => !isExecutionRejectedError(e) : (e) => !isExecutionRejectedError(e) && handle(e),
    );
    this.described = {
      maxHedgedAttempts: this.maxHedgedAttempts,
      delay: typeof d === 'function' ? `function ${d.name || '(anonymous)'}` : (adaptive ?? d),
      handle: o.handle === undefined ? 'every error' : 'custom',
      handleResult: o.handleResult === undefined ? 'none' : 'custom',
      budget: this.budget === undefined ? 'none' : describeBudget(this.budget),
    };
  }

  /**
   * The delay (ms) a call starting now would wait before its first hedge: the `delay`
   * number, the adaptive delay (the percentile of the recent latencies, clamped to
   * `[min, max]`, or `warmUpDelay` while warming up), or `undefined` for a delay function.
   *
   * @example
   * ```ts
   * setInterval(() => gauge.set(policy.currentDelay ?? Number.NaN), 10_000);
   * ```
   */
  get currentDelay(): number | undefined {
    if (this.fixed !== undefined) return this.fixed;
    return this.adaptive === undefined ? undefined : this.adaptiveDelay();
  }

  /** @internal The delay before attempt `attempt` of the call `ctx`. */
  delayFor(attempt: number, ctx: ExecutionContext): number {
    const fixed = this.fixed;
    if (fixed !== undefined) return fixed;
    const fn = this.delayFunction;
    if (fn === undefined) return this.adaptiveDelay();
    let d: unknown;
    try {
      d = fn({ attempt, context: ctx });
    } catch (error) {
      reportInternalError(error, `hedging "${this.name}" delay`);
      return Number.POSITIVE_INFINITY;
    }
    if (typeof d !== 'number' || !(d >= 0)) {
      reportInternalError(new TypeError(`the delay function returned ${String(d)}, not a number ≥ 0`), `hedging "${this.name}" delay`);
      return Number.POSITIVE_INFINITY;
    }
    return d;
  }

  private adaptiveDelay(): number {
    const a = this.adaptive as Adaptive;
    const w = this.window as LatencyWindow;
    if (w.samples < a.minSamples) return a.warmUpDelay;
    const p = w.value() as number;
    // Stryker disable next-line EqualityOperator: equivalent for `<=` and `>=` — a percentile equal to min (or max) is returned either way, as itself or as that bound
    return p < a.min ? a.min : p > a.max ? a.max : p;
  }

  /** @internal The timer service of `clock` (cached for the policy's usual clock). */
  timers(clock: Clock): TimerService {
    // Stryker disable next-line ConditionalExpression: equivalent — timerServiceFor returns the one service of a clock, so asking again changes nothing
    if (clock !== this.serviceClock) {
      this.service = timerServiceFor(clock);
      this.serviceClock = clock;
    }
    return this.service as TimerService;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (this.budget !== undefined) this.budget.recordCall();
    new HedgedCall(this, ctx, link, done).start();
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    return this.described;
  }
}

function describeBudget(b: HedgingBudget): Record<string, unknown> | string {
  const { ratio, minPerSecond, window } = b as { ratio?: unknown; minPerSecond?: unknown; window?: unknown };
  return typeof ratio === 'number' ? { ratio, minPerSecond, window } : 'custom';
}

/**
 * Creates a hedging policy: when a call's first attempt has not answered after `delay` ms,
 * a second attempt starts beside it, and so on up to `1 + maxHedgedAttempts` attempts; the
 * first success wins and every other attempt's `ctx.signal` aborts at once. See
 * {@link HedgingOptions} for every option and docs/hedging.md for the guide.
 *
 * Hedge **idempotent reads only**: every attempt may reach the dependency.
 *
 * - `delay`: a number of ms (`0`: every attempt at once; `Infinity`: on failures only), a
 *   function of the attempt and the context, or adaptive `{ percentile: 95 }`.
 * - A failure the policy handles (`handle` / `handleResult`; every error by default) starts
 *   the next attempt at once (fallback mode). A success, or a failure it does not handle,
 *   is the call's answer. An execution rejection (open circuit, full bulkhead) ends only its
 *   own attempt and never starts one.
 * - When every attempt has failed, the call fails with the **last** outcome, unchanged (as
 *   retry does): the latest word of the dependency. A last result that `handleResult`
 *   flagged resolves the call.
 * - Each attempt gets its own view of the context: `ctx.attempt` is its number (1 for the
 *   first), `ctx.signal` its own signal. Route attempts to replicas with it, or with
 *   {@link hedgedActions}.
 * - An abort of the call (the caller's signal, an enclosing timeout) aborts every attempt
 *   and settles the call at once with the abort reason.
 * - A `budget` (a `retryBudget()`) caps the extra attempts over a window.
 *
 * @throws OptionsValidationError when an option is invalid.
 *
 * @example
 * ```ts
 * const reads = hedging({ name: 'leaderboard', delay: { percentile: 95, max: 250 }, budget: retryBudget({ ratio: 0.1 }) });
 * const top = await reads.execute((ctx) => leaderboard.top(10, { signal: ctx.signal }));
 * ```
 */
export function hedging<T = unknown>(options: HedgingOptions<T>): HedgingPolicy {
  return new HedgingPolicy(options as unknown as HedgingOptions<never>);
}

/**
 * An action generator for hedged calls: a function for `execute()` that runs `actions[0]`
 * for the first attempt, `actions[1]` for the second, and so on (the last one for every
 * attempt past the list). Send hedges to a replica or another region this way; each action
 * receives its attempt's own context (its signal, its `attempt`).
 *
 * @example
 * ```ts
 * const read = hedgedActions(
 *   (ctx) => primary.get(key, { signal: ctx.signal }),
 *   (ctx) => replica.get(key, { signal: ctx.signal }),
 * );
 * const value = await hedging({ delay: 20 }).execute(read);
 * ```
 */
export function hedgedActions<T>(
  ...actions: readonly [(ctx: ExecutionContext) => T | PromiseLike<T>, ...((ctx: ExecutionContext) => T | PromiseLike<T>)[]]
): (ctx: ExecutionContext) => T | PromiseLike<T> {
  const list = [...actions];
  const bad = list.findIndex((a) => typeof a !== 'function');
  if (list.length === 0 || bad >= 0) {
    throw new TypeError(`hedgedActions() expects one or more functions, got ${list.length === 0 ? 'none' : typeof list[bad]}`);
  }
  const n = list.length;
  return (ctx) => (list[Math.min(Math.max(ctx.attempt, 1), n) - 1] as (ctx: ExecutionContext) => T | PromiseLike<T>)(ctx);
}
