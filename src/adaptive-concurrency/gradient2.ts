/**
 * The `'gradient2'` algorithm, after the description of Netflix concurrency-limits'
 * Gradient2: once per window, `gradient = clamp(tolerance × noLoad / latency, 0.5, 1)` and
 * `limit ← limit × (1 − smoothing) + (limit × gradient + queueSize) × smoothing`.
 *
 * - While latency stays within `tolerance` × the no-load latency the gradient is 1 and the
 *   limit grows by `smoothing × queueSize` per window (√limit by default), so it probes for
 *   more capacity without overshooting.
 * - Beyond it the gradient falls below 1 and the limit shrinks (by at most half per window,
 *   before smoothing), so a dependency that starts queueing is backed off within a few round
 *   trips. At equilibrium the dependency holds about `queueSize` extra calls.
 * - A window in which fewer than half of the limit were in flight does not move the limit
 *   (nothing was learned about the limit itself).
 * - It reacts to latency only: a failure counts through its latency (a timeout is slow), and
 *   a failure faster than the no-load latency is left out of the window's latency.
 *
 * Unlike Netflix's Gradient2, the latency it compares with is the estimator's no-load latency,
 * not an exponential average of every sample: that average follows the limiter's own
 * queueing and lets the limit drift up under sustained load (see docs/adaptive-concurrency.md).
 *
 * @packageDocumentation
 */
import { rules, type Schema } from '../core/validation';
import { appLimited, type LimitRule, type RuleStep, type WindowStats } from './algorithm';

/**
 * Tuning of the `'gradient2'` algorithm (`algorithm: { kind: 'gradient2', … }`).
 *
 * @example
 * ```ts
 * const db = adaptiveConcurrency({
 *   algorithm: { kind: 'gradient2', tolerance: 2, smoothing: 0.1 },
 *   initialLimit: 20, minLimit: 4, maxLimit: 200,
 * });
 * ```
 */
export interface Gradient2Options {
  /** Selects this algorithm. */
  readonly kind: 'gradient2';
  /**
   * How much slower than the no-load latency calls may get before the limit shrinks: a finite
   * number ≥ 1. `1.5` lets the dependency's latency grow by half under load.
   * @defaultValue `1.5`
   */
  readonly tolerance?: number | undefined;
  /**
   * How far each window moves the limit toward its new value: a finite number > 0 and ≤ 1.
   * Smaller is steadier and slower.
   * @defaultValue `0.2`
   */
  readonly smoothing?: number | undefined;
  /**
   * Extra calls allowed to queue in the dependency, which is also how much the limit may grow
   * per window (before smoothing): a finite number ≥ 0.
   * @defaultValue `√limit`
   */
  readonly queueSize?: number | undefined;
}

/**
 * Default values of {@link Gradient2Options}.
 *
 * @example
 * ```ts
 * gradient2Defaults.tolerance; // 1.5
 * ```
 */
export const gradient2Defaults = {
  /** Default of {@link Gradient2Options.tolerance}. */
  tolerance: 1.5,
  /** Default of {@link Gradient2Options.smoothing}. */
  smoothing: 0.2,
} as const;

/** @internal */
export const gradient2Schema: Schema = {
  kind: rules.required(rules.oneOf(['gradient2'])),
  tolerance: rules.number(1),
  smoothing: rules.number(0, 1, { exclusiveMin: true }),
  queueSize: rules.number(0),
};

/** The smallest gradient of one window: the limit at most halves per window (before smoothing). */
const MIN_GRADIENT = 0.5;

/** @internal The `'gradient2'` rule. */
export class Gradient2Rule implements LimitRule {
  readonly name = 'gradient2' as const;
  readonly usesNoLoad = true;
  readonly slowAfter = Number.POSITIVE_INFINITY;
  readonly tolerance: number;
  readonly smoothing: number;
  readonly queueSize: number | undefined;

  constructor(options: Partial<Gradient2Options> | undefined) {
    this.tolerance = options?.tolerance ?? gradient2Defaults.tolerance;
    this.smoothing = options?.smoothing ?? gradient2Defaults.smoothing;
    this.queueSize = options?.queueSize;
  }

  next(limit: number, window: WindowStats, noLoad: number): RuleStep {
    const latency = window.latency;
    if (!(latency > 0) || !(noLoad > 0) || appLimited(limit, window)) return { limit, cut: false };
    const gradient = Math.max(MIN_GRADIENT, Math.min(1, (this.tolerance * noLoad) / latency));
    const target = limit * gradient + (this.queueSize ?? Math.sqrt(limit));
    return { limit: limit * (1 - this.smoothing) + target * this.smoothing, cut: gradient < 1 };
  }

  describe(): Record<string, unknown> {
    return { tolerance: this.tolerance, smoothing: this.smoothing, queueSize: this.queueSize ?? 'sqrt(limit)' };
  }
}
