/**
 * The `'aimd'` algorithm (additive increase, multiplicative decrease), after TCP's loss-based
 * congestion control and Netflix concurrency-limits' AIMDLimit: once per window, a window
 * with a drop multiplies the limit by `backoffRatio`; a window without one in which the limit
 * was used (at least half of it in flight) adds 1.
 *
 * A drop is a failure that `handle` counts (by default every error, caller cancellations
 * never) or a sample slower than `latencyThreshold`. One window backs off once, however many
 * drops it holds, so a burst of timeouts within one round trip is one signal, not twenty.
 * It ignores latency below the threshold: use it when the dependency tells you it is
 * overloaded (errors, 429/503, timeouts) rather than by slowing down.
 *
 * @packageDocumentation
 */
import { rules, type Schema } from '../core/validation';
import { appLimited, type LimitRule, type RuleStep, type WindowStats } from './algorithm';

/**
 * Tuning of the `'aimd'` algorithm (`algorithm: { kind: 'aimd', … }`).
 *
 * @example
 * ```ts
 * const gateway = adaptiveConcurrency({
 *   algorithm: { kind: 'aimd', backoffRatio: 0.75, latencyThreshold: 800 },
 *   initialLimit: 10, minLimit: 1, maxLimit: 100,
 * });
 * ```
 */
export interface AimdOptions {
  /** Selects this algorithm. */
  readonly kind: 'aimd';
  /**
   * What a window with a drop multiplies the limit by: a finite number > 0 and < 1.
   * @defaultValue `0.9`
   */
  readonly backoffRatio?: number | undefined;
  /**
   * A sample slower than this (ms) counts as a drop, as a failure would: a duration > 0, or
   * `Infinity` for failures only.
   * @defaultValue `Infinity`
   */
  readonly latencyThreshold?: number | undefined;
}

/**
 * Default values of {@link AimdOptions}.
 *
 * @example
 * ```ts
 * aimdDefaults.backoffRatio; // 0.9
 * ```
 */
export const aimdDefaults = {
  /** Default of {@link AimdOptions.backoffRatio}. */
  backoffRatio: 0.9,
  /** Default of {@link AimdOptions.latencyThreshold} (ms): only failures are drops. */
  latencyThreshold: Number.POSITIVE_INFINITY,
} as const;

/** @internal */
export const aimdSchema: Schema = {
  kind: rules.required(rules.oneOf(['aimd'])),
  backoffRatio: {
    expected: 'a finite number > 0 and < 1',
    check: (v) => typeof v === 'number' && v > 0 && v < 1,
  },
  latencyThreshold: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
};

/** @internal The `'aimd'` rule. */
export class AimdRule implements LimitRule {
  readonly name = 'aimd' as const;
  readonly usesNoLoad = false;
  readonly backoffRatio: number;
  readonly slowAfter: number;

  constructor(options: Partial<AimdOptions> | undefined) {
    this.backoffRatio = options?.backoffRatio ?? aimdDefaults.backoffRatio;
    this.slowAfter = options?.latencyThreshold ?? aimdDefaults.latencyThreshold;
  }

  next(limit: number, window: WindowStats): RuleStep {
    if (window.drops > 0) return { limit: limit * this.backoffRatio, cut: false };
    if (appLimited(limit, window)) return { limit, cut: false };
    return { limit: limit + 1, cut: false };
  }

  describe(): Record<string, unknown> {
    return { backoffRatio: this.backoffRatio, latencyThreshold: this.slowAfter };
  }
}
