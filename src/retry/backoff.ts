/**
 * Backoff as an immutable value: how long to wait before each retry, with jitter.
 *
 * A {@link Backoff} is frozen and pure: given the retry number, the previous delay and a
 * random number it always gives the same delay, so it can be tested alone and shared by
 * any number of policies.
 *
 * @packageDocumentation
 */
import type { Random } from '../core/random';
import { systemRandom } from '../core/random';
import { rules, validateOptions } from '../core/validation';

/** How the base delay grows from one retry to the next. */
export type BackoffKind = 'exponential' | 'linear' | 'constant';

/**
 * How the base delay is randomised (see docs/retry.md for the table):
 *
 * - `'none'`: exactly the base delay.
 * - `'full'`: uniform in [0, base) — AWS's recommendation, and the default.
 * - `'equal'`: uniform in [base/2, base).
 * - `'decorrelated'`: uniform in [delay, min(maxDelay, 3 × previous delay)] (AWS
 *   "decorrelated jitter"); exponential backoff only.
 */
export type JitterKind = 'none' | 'full' | 'equal' | 'decorrelated';

/**
 * Options of {@link exponentialBackoff}, {@link linearBackoff} and {@link constantBackoff}.
 *
 * @example
 * ```ts
 * const b = exponentialBackoff({ delay: 100, factor: 3, maxDelay: 10_000, jitter: 'equal' });
 * ```
 */
export interface BackoffOptions {
  /** Base delay of the first retry, in ms. @defaultValue `200` */
  readonly delay?: number | undefined;
  /** Growth factor per retry (exponential only; ≥ 1). @defaultValue `2` */
  readonly factor?: number | undefined;
  /** Upper bound of every delay, jitter included, in ms (≥ `delay`). @defaultValue `30000` */
  readonly maxDelay?: number | undefined;
  /** Jitter kind. @defaultValue `'full'` */
  readonly jitter?: JitterKind | undefined;
}

/** Lower and upper bound of a delay (both inclusive). */
export interface DelayBounds {
  /** Smallest possible delay, in ms. */
  readonly min: number;
  /** Largest possible delay, in ms. */
  readonly max: number;
}

/** @internal Defaults shared with the retry options. */
export const BACKOFF_DEFAULTS = {
  delay: 200,
  factor: 2,
  maxDelay: 30_000,
  jitter: 'full',
} as const satisfies Required<BackoffOptions>;

/** @internal Multiplier of decorrelated jitter (AWS: `sleep = min(cap, random(base, sleep * 3))`). */
export const DECORRELATED_MULTIPLIER = 3;

const JITTER_KINDS: readonly JitterKind[] = ['none', 'full', 'equal', 'decorrelated'];

/** @internal Validation rules of the backoff fields (shared with retry's options). */
export const backoffRules = {
  delay: rules.duration(),
  factor: rules.number(1),
  maxDelay: rules.duration(),
  jitter: rules.oneOf(JITTER_KINDS),
};

/** @internal Cross-field checks shared with retry's options. */
export function backoffIssues(
  kind: BackoffKind,
  o: BackoffOptions,
  issues: { path: string; value: unknown; expected: string }[],
): void {
  const delay = o.delay ?? BACKOFF_DEFAULTS.delay;
  if (o.maxDelay !== undefined && o.maxDelay < delay) {
    issues.push({ path: 'maxDelay', value: o.maxDelay, expected: `≥ \`delay\` (${delay})` });
  }
  if (o.factor !== undefined && (kind !== 'exponential' || o.jitter === 'decorrelated')) {
    issues.push({
      path: 'factor',
      value: o.factor,
      expected:
        kind !== 'exponential'
          ? 'absent: `factor` applies only to exponential backoff'
          : "absent: decorrelated jitter grows by its own factor (3)",
    });
  }
  if (o.jitter === 'decorrelated' && kind !== 'exponential') {
    issues.push({ path: 'jitter', value: o.jitter, expected: "'none', 'full' or 'equal' (decorrelated jitter needs exponential backoff)" });
  }
}

/**
 * An immutable backoff: a base delay that grows per retry (`exponential`, `linear` or
 * `constant`), capped at `maxDelay`, then randomised by a jitter kind.
 *
 * Retry numbers are 1-based: `retry = 1` is the wait after the first attempt failed.
 *
 * @example
 * ```ts
 * const b = exponentialBackoff({ delay: 100, maxDelay: 5_000, jitter: 'equal' });
 * b.base(3);            // 400
 * b.bounds(3, 0);       // { min: 200, max: 400 }
 * b.next(3, 0, () => 0.5); // 300
 * ```
 */
export class Backoff {
  /** How the base delay grows. */
  readonly kind: BackoffKind;
  /** Base delay of the first retry (ms). */
  readonly delay: number;
  /** Growth factor (exponential only; 1 for the others). */
  readonly factor: number;
  /** Upper bound of every delay (ms). */
  readonly maxDelay: number;
  /** Jitter kind. */
  readonly jitter: JitterKind;

  /** @internal Use {@link exponentialBackoff}, {@link linearBackoff} or {@link constantBackoff}. */
  constructor(kind: BackoffKind, options: BackoffOptions | undefined) {
    const o = validateOptions<BackoffOptions>(`${kind} backoff`, options, backoffRules, (v, issues) =>
      backoffIssues(kind, v, issues),
    );
    this.kind = kind;
    this.delay = o.delay ?? BACKOFF_DEFAULTS.delay;
    this.factor = kind === 'exponential' ? (o.factor ?? BACKOFF_DEFAULTS.factor) : 1;
    this.maxDelay = o.maxDelay ?? Math.max(BACKOFF_DEFAULTS.maxDelay, this.delay);
    this.jitter = o.jitter ?? BACKOFF_DEFAULTS.jitter;
    Object.freeze(this);
  }

  /** The delay before jitter for retry number `retry` (1-based), capped at `maxDelay`. */
  base(retry: number): number {
    const d = this.delay;
    if (d === 0) return 0;
    let b: number;
    if (this.kind === 'exponential') b = d * Math.pow(this.factor, retry - 1);
    else if (this.kind === 'linear') b = d * retry;
    else b = d;
    // Stryker disable next-line EqualityOperator: when b equals maxDelay either branch gives the same delay
    return b < this.maxDelay ? b : this.maxDelay;
  }

  /**
   * The range a delay of retry `retry` lies in, given the previous delay actually used
   * (`0` before the first retry; only decorrelated jitter looks at it).
   */
  bounds(retry: number, previousDelay: number): DelayBounds {
    switch (this.jitter) {
      case 'none': {
        const b = this.base(retry);
        return { min: b, max: b };
      }
      case 'full':
        return { min: 0, max: this.base(retry) };
      case 'equal': {
        const b = this.base(retry);
        return { min: b / 2, max: b };
      }
      case 'decorrelated': {
        const lo = Math.min(this.delay, this.maxDelay);
        return { min: lo, max: this.decorrelatedHigh(previousDelay) };
      }
    }
  }

  /**
   * The delay of retry `retry`: `random()` picks a point of {@link Backoff.bounds}.
   * `previousDelay` is the delay used before the previous attempt (0 for the first retry).
   */
  next(retry: number, previousDelay: number, random: Random = systemRandom): number {
    const jitter = this.jitter;
    if (jitter === 'none') return this.base(retry);
    let r = random();
    // A block, not next-line comments: a comment above the `else if` is not the leading comment
    // of that `if` (the parser gives it to `r = 0;`), so Stryker did not apply it there.
    // Stryker disable EqualityOperator: with > a random 0 is set to 0 (only a -0 would lose its sign, and a -0 ms sleep is a 0 ms sleep); with >= a random 1 is set to 1
    if (!(r >= 0)) r = 0;
    else if (r > 1) r = 1;
    // Stryker restore EqualityOperator
    if (jitter === 'full') return r * this.base(retry);
    // The clamps below only guard against floating-point rounding (tiny or huge values).
    if (jitter === 'equal') {
      const b = this.base(retry);
      const half = b / 2;
      const d = half + r * half;
      // Stryker disable next-line EqualityOperator: when d equals b either branch gives the same delay
      return d < b ? d : b;
    }
    const lo = this.delay;
    const hi = this.decorrelatedHigh(previousDelay);
    const d = lo + r * (hi - lo);
    // Stryker disable next-line EqualityOperator: when d equals hi either branch gives the same delay
    return d < hi ? d : hi;
  }

  /**
   * The first `count` delays this backoff gives with `random` (each fed the one before):
   * handy to see or test a configuration.
   *
   * @example
   * ```ts
   * exponentialBackoff({ delay: 100, jitter: 'none' }).preview(4); // [100, 200, 400, 800]
   * ```
   */
  preview(count: number, random: Random = systemRandom): number[] {
    const out: number[] = [];
    let previous = 0;
    for (let i = 1; i <= count; i++) {
      previous = this.next(i, previous, random);
      out.push(previous);
    }
    return out;
  }

  /** A copy with some fields changed (validated like the factories' options). */
  with(changes: BackoffOptions): Backoff {
    // The factories' rules first: a value that is not a plain object (fields on a prototype)
    // is refused, as the factories refuse it, rather than half read by the spread below.
    validateOptions<BackoffOptions>(`${this.kind} backoff`, changes, backoffRules);
    const own: BackoffOptions = { ...changes };
    const jitter = own.jitter ?? this.jitter;
    const keepFactor = this.kind === 'exponential' && jitter !== 'decorrelated' && own.factor === undefined;
    return new Backoff(this.kind, {
      delay: this.delay,
      maxDelay: this.maxDelay,
      jitter: this.jitter,
      ...(keepFactor ? { factor: this.factor } : {}),
      ...own,
    });
  }

  /**
   * This backoff's settings as plain data: `kind` names the factory, the other fields are
   * its resolved options. `factor` is always present (`1` for linear and constant
   * backoff), but the factories reject a `factor` for linear and constant backoff and with
   * decorrelated jitter: leave it out when rebuilding those.
   */
  toJSON(): {
    /** How the base delay grows (see {@link Backoff.kind}). */
    kind: BackoffKind;
    /** Base delay of the first retry, in ms. */
    delay: number;
    /** Growth factor per retry (`1` unless exponential). */
    factor: number;
    /** Upper bound of every delay, in ms. */
    maxDelay: number;
    /** Jitter kind. */
    jitter: JitterKind;
  } {
    return { kind: this.kind, delay: this.delay, factor: this.factor, maxDelay: this.maxDelay, jitter: this.jitter };
  }

  private decorrelatedHigh(previousDelay: number): number {
    // Stryker disable next-line EqualityOperator: when the two are equal either one is the larger
    const prev = previousDelay > this.delay ? previousDelay : this.delay;
    const hi = prev * DECORRELATED_MULTIPLIER;
    // Stryker disable next-line EqualityOperator: when hi equals maxDelay either branch gives the same bound
    return hi < this.maxDelay ? hi : this.maxDelay;
  }
}

/**
 * Exponential backoff: `delay × factor^(retry-1)`, capped at `maxDelay`, then jittered.
 *
 * @example
 * ```ts
 * retry({ backoff: exponentialBackoff({ delay: 100, factor: 3, maxDelay: 10_000, jitter: 'full' }) });
 * ```
 */
export function exponentialBackoff(options?: BackoffOptions): Backoff {
  return new Backoff('exponential', options);
}

/**
 * Linear backoff: `delay × retry`, capped at `maxDelay`, then jittered.
 *
 * @example
 * ```ts
 * linearBackoff({ delay: 500, jitter: 'equal' }).preview(3); // ≈ [375, 750, 1125] ± jitter
 * ```
 */
export function linearBackoff(options?: Omit<BackoffOptions, 'factor'>): Backoff {
  return new Backoff('linear', options);
}

/**
 * Constant backoff: `delay` every time, then jittered.
 *
 * @example
 * ```ts
 * constantBackoff({ delay: 1_000, jitter: 'none' }).preview(3); // [1000, 1000, 1000]
 * ```
 */
export function constantBackoff(options?: Omit<BackoffOptions, 'factor'>): Backoff {
  return new Backoff('constant', options);
}
