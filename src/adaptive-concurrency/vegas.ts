/**
 * The `'vegas'` algorithm, after TCP Vegas and Netflix concurrency-limits' VegasLimit: once
 * per window it estimates how many of the calls in flight are waiting in the dependency's
 * queue rather than being served, `queue = limit × (1 − noLoad / latency)`, and with
 * `step = max(1, log10(limit))`:
 *
 * - `queue ≤ step` (hardly any queueing): the limit grows by `beta × step`;
 * - `queue < alpha × step`: it grows by `step`;
 * - `queue > beta × step`: it shrinks by `step`;
 * - otherwise it holds;
 * - a window with a drop (a failure `handle` counts) shrinks it by `step`.
 *
 * The move is then smoothed: `limit ← limit × (1 − smoothing) + proposal × smoothing`. It
 * keeps between `alpha` and `beta` (× step) calls queued in the dependency: a lower latency
 * than `'gradient2'` at the same load, and it grows quickly while there is no queue.
 *
 * @packageDocumentation
 */
import { rules, type Schema } from '../core/validation';
import { appLimited, logStep, type LimitRule, type RuleStep, type WindowStats } from './algorithm';

/**
 * Tuning of the `'vegas'` algorithm (`algorithm: { kind: 'vegas', … }`).
 *
 * @example
 * ```ts
 * const cache = adaptiveConcurrency({
 *   algorithm: { kind: 'vegas', alpha: 2, beta: 4 },
 *   initialLimit: 16, minLimit: 2, maxLimit: 256,
 * });
 * ```
 */
export interface VegasOptions {
  /** Selects this algorithm. */
  readonly kind: 'vegas';
  /**
   * Below `alpha × step` estimated queued calls the limit grows: a finite number > 0.
   * @defaultValue `3`
   */
  readonly alpha?: number | undefined;
  /**
   * Above `beta × step` estimated queued calls the limit shrinks: a finite number > `alpha`.
   * @defaultValue `6`
   */
  readonly beta?: number | undefined;
  /**
   * How far each window moves the limit toward the proposal: a finite number > 0 and ≤ 1.
   * @defaultValue `1`
   */
  readonly smoothing?: number | undefined;
}

/**
 * Default values of {@link VegasOptions}.
 *
 * @example
 * ```ts
 * vegasDefaults.beta; // 6
 * ```
 */
export const vegasDefaults = {
  /** Default of {@link VegasOptions.alpha}. */
  alpha: 3,
  /** Default of {@link VegasOptions.beta}. */
  beta: 6,
  /** Default of {@link VegasOptions.smoothing}. */
  smoothing: 1,
} as const;

/** @internal */
export const vegasSchema: Schema = {
  kind: rules.required(rules.oneOf(['vegas'])),
  alpha: rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true }),
  beta: rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true }),
  smoothing: rules.number(0, 1, { exclusiveMin: true }),
};

/** @internal The `'vegas'` rule. */
export class VegasRule implements LimitRule {
  readonly name = 'vegas' as const;
  readonly usesNoLoad = true;
  readonly slowAfter = Number.POSITIVE_INFINITY;
  readonly alpha: number;
  readonly beta: number;
  readonly smoothing: number;

  constructor(options: Partial<VegasOptions> | undefined) {
    this.alpha = options?.alpha ?? vegasDefaults.alpha;
    this.beta = options?.beta ?? vegasDefaults.beta;
    this.smoothing = options?.smoothing ?? vegasDefaults.smoothing;
  }

  next(limit: number, window: WindowStats, noLoad: number): RuleStep {
    const step = logStep(limit);
    if (window.drops > 0) return this.toward(limit, limit - step, false);
    const latency = window.latency;
    if (!(latency > 0) || !(noLoad > 0) || appLimited(limit, window)) return { limit, cut: false };
    const queue = limit * (1 - noLoad / latency);
    if (queue <= step) return this.toward(limit, limit + this.beta * step, false);
    if (queue < this.alpha * step) return this.toward(limit, limit + step, false);
    if (queue > this.beta * step) return this.toward(limit, limit - step, true);
    return { limit, cut: false };
  }

  private toward(limit: number, proposal: number, cut: boolean): RuleStep {
    return { limit: limit * (1 - this.smoothing) + proposal * this.smoothing, cut };
  }

  describe(): Record<string, unknown> {
    return { alpha: this.alpha, beta: this.beta, smoothing: this.smoothing };
  }
}
