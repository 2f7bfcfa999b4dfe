/**
 * A retry budget shared by many retry policies: over a sliding window, retries may add
 * at most `ratio` of the calls as extra load, plus a small floor so that low-traffic
 * services can still retry. The idea of gRPC retry throttling, Envoy's retry budgets and
 * Finagle's `RetryBudget`: when a dependency is down, every caller failing and retrying
 * multiplies the load exactly when it can least take it (a retry storm); a budget caps
 * the multiplication.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../core/clock';
import { rules, validateOptions } from '../core/validation';

/**
 * Options of {@link retryBudget}.
 *
 * @example
 * ```ts
 * const budget = retryBudget({ ratio: 0.1, minPerSecond: 2, window: 30_000 });
 * ```
 */
export interface RetryBudgetOptions {
  /**
   * Retries allowed per call over the window: `0.2` lets retries add at most 20 % load.
   * @defaultValue `0.2`
   */
  readonly ratio?: number | undefined;
  /**
   * Retries per second allowed whatever the traffic (the floor), so that a quiet service
   * can still retry: the window allows `minPerSecond × window / 1000` retries on top of
   * the ratio. @defaultValue `10`
   */
  readonly minPerSecond?: number | undefined;
  /** Length of the sliding window in ms (kept as 10 buckets). @defaultValue `10000` */
  readonly window?: number | undefined;
  /** The clock the window follows. Use the same clock as the policies sharing the budget. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/**
 * What a {@link RetryBudget} holds right now.
 *
 * @example
 * ```ts
 * const { calls, retries, available } = budget.stats;
 * ```
 */
export interface RetryBudgetStats {
  /** Calls recorded in the window. */
  readonly calls: number;
  /** Retries granted in the window. */
  readonly retries: number;
  /** Retries the budget would still grant now. */
  readonly available: number;
}

/** @internal */
export const RETRY_BUDGET_DEFAULTS = { ratio: 0.2, minPerSecond: 10, window: 10_000 } as const;

/** @internal Number of buckets of the sliding window. */
export const BUDGET_BUCKETS = 10;

/** Tolerance for floating-point products such as `0.7 × 10`. */
const EPSILON = 1e-9;

const schema = {
  ratio: rules.number(0),
  minPerSecond: rules.number(0),
  window: rules.duration(1),
  clock: rules.clock(),
};

/**
 * A sliding-window retry budget. Create it with {@link retryBudget} and pass it to any
 * number of `retry()` policies (and pipelines): they share its allowance.
 *
 * The window is `BUDGET_BUCKETS` (10) buckets of `window / 10` ms each; it slides one bucket
 * at a time. A retry is granted only when, counting the buckets in the window,
 * `retries + 1 ≤ ratio × calls + minPerSecond × window / 1000`. Memory is fixed (two
 * arrays of 10 numbers); recording a call or asking for a retry is O(1).
 *
 * @example
 * ```ts
 * const budget = retryBudget({ ratio: 0.1, minPerSecond: 5 });
 * const a = retry({ budget });
 * const b = retry({ budget, maxAttempts: 5 });
 * ```
 */
export class RetryBudget {
  /** Retries allowed per call. */
  readonly ratio: number;
  /** The floor, in retries per second. */
  readonly minPerSecond: number;
  /** Window length (ms). */
  readonly window: number;
  /** The clock of the window. */
  readonly clock: Clock;
  private readonly width: number;
  private readonly floor: number;
  private readonly callCounts = new Array<number>(BUDGET_BUCKETS).fill(0);
  private readonly retryCounts = new Array<number>(BUDGET_BUCKETS).fill(0);
  private calls = 0;
  private retries = 0;
  /** Index (time / width) of the newest bucket. */
  private epoch: number;

  /** @internal Use {@link retryBudget}. */
  constructor(options?: RetryBudgetOptions) {
    const o = validateOptions<RetryBudgetOptions>('retryBudget', options, schema);
    this.ratio = o.ratio ?? RETRY_BUDGET_DEFAULTS.ratio;
    this.minPerSecond = o.minPerSecond ?? RETRY_BUDGET_DEFAULTS.minPerSecond;
    this.window = o.window ?? RETRY_BUDGET_DEFAULTS.window;
    this.clock = o.clock ?? systemClock;
    this.width = this.window / BUDGET_BUCKETS;
    this.floor = (this.minPerSecond * this.window) / 1000;
    this.epoch = Math.floor(this.clock.now() / this.width);
  }

  /** Counts one call (retry policies call this once per `execute`, before the first attempt). */
  recordCall(): void {
    const i = this.slide();
    this.callCounts[i] = (this.callCounts[i] as number) + 1;
    this.calls++;
  }

  /** Grants one retry and counts it, or returns `false` when the budget is spent. */
  tryRetry(): boolean {
    const i = this.slide();
    if (this.retries + 1 > this.ratio * this.calls + this.floor + EPSILON) return false;
    this.retryCounts[i] = (this.retryCounts[i] as number) + 1;
    this.retries++;
    return true;
  }

  /** The window's counts now. */
  get stats(): RetryBudgetStats {
    this.slide();
    const available = Math.max(0, Math.floor(this.ratio * this.calls + this.floor + EPSILON) - this.retries);
    return { calls: this.calls, retries: this.retries, available };
  }

  /** Drops the buckets that left the window; returns the current bucket's index. */
  private slide(): number {
    const now = Math.floor(this.clock.now() / this.width);
    let epoch = this.epoch;
    // Stryker disable next-line EqualityOperator: when now equals epoch the body slides 0 buckets and sets epoch to the value it has
    if (now > epoch) {
      // Stryker disable next-line EqualityOperator: when now - epoch equals BUDGET_BUCKETS both branches give BUDGET_BUCKETS steps
      const steps = now - epoch >= BUDGET_BUCKETS ? BUDGET_BUCKETS : now - epoch;
      for (let k = 0; k < steps; k++) {
        epoch++;
        const j = bucketOf(epoch);
        this.calls -= this.callCounts[j] as number;
        this.retries -= this.retryCounts[j] as number;
        this.callCounts[j] = 0;
        this.retryCounts[j] = 0;
      }
      this.epoch = epoch = now;
    }
    return bucketOf(epoch);
  }
}

function bucketOf(epoch: number): number {
  const i = epoch % BUDGET_BUCKETS;
  return i < 0 ? i + BUDGET_BUCKETS : i;
}

/**
 * Creates a {@link RetryBudget} to share between retry policies, so that an outage cannot
 * turn into a retry storm.
 *
 * @example
 * ```ts
 * const budget = retryBudget({ ratio: 0.2, minPerSecond: 10, window: 10_000 });
 * const login = retry({ maxAttempts: 3, budget });
 * const shop = retry({ maxAttempts: 4, budget });
 * ```
 */
export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  return new RetryBudget(options);
}
