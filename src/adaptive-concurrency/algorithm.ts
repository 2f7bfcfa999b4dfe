/**
 * What every limit algorithm sees and answers. The estimator (`estimator.ts`) gathers the
 * samples of one window (about one round trip of the calls in flight), keeps the no-load
 * latency, and asks the algorithm for the next limit once per window; the algorithms
 * (`gradient2.ts`, `aimd.ts`, `vegas.ts`) are pure arithmetic on that summary.
 *
 * @packageDocumentation
 */

/**
 * The name of a limit algorithm:
 *
 * - `'gradient2'` (default): delay-based; compares the window's latency with the no-load
 *   latency and keeps the limit where latency is about `tolerance` × the no-load latency.
 * - `'aimd'`: loss-based; adds 1 per window without failures, multiplies by `backoffRatio`
 *   after a window with a failure (or a sample slower than `latencyThreshold`).
 * - `'vegas'`: delay-based; estimates how many calls wait in the dependency's queue and keeps
 *   that between `alpha` and `beta` (× log10 of the limit).
 *
 * @example
 * ```ts
 * const algorithm: AdaptiveAlgorithmName = latencyIsNoisy ? 'aimd' : 'gradient2';
 * ```
 */
export type AdaptiveAlgorithmName = 'gradient2' | 'aimd' | 'vegas';

/** The algorithm names, in documentation order. */
export const ALGORITHM_NAMES: readonly AdaptiveAlgorithmName[] = ['gradient2', 'aimd', 'vegas'];

/** @internal What one sampling window measured. */
export interface WindowStats {
  /** Mean latency (ms) of the window's latency samples; `NaN` when it has none (only fast failures). */
  readonly latency: number;
  /** Mean number of calls in flight when the latency samples were admitted (themselves included); `NaN` when none. */
  readonly meanInFlight: number;
  /** Most calls in flight at the admission of any sample of the window (itself included). */
  readonly maxInFlight: number;
  /** Samples that were drops: failures `handle` counts, and samples slower than the rule's `slowAfter`. */
  readonly drops: number;
  /** Every sample of the window (latency samples and fast failures). */
  readonly samples: number;
}

/** @internal The next limit an algorithm proposes, and whether it lowers it because of latency. */
export interface RuleStep {
  /** The proposed limit (a real number; the estimator clamps it to [minLimit, maxLimit]). */
  readonly limit: number;
  /**
   * True when the proposal lowers the limit because latency is high compared with the no-load
   * latency (not because of a drop). The estimator uses these windows to tell its own queueing
   * apart from a dependency that became slower for everyone.
   */
  readonly cut: boolean;
}

/** @internal One algorithm: pure arithmetic over window summaries. */
export interface LimitRule {
  /** The algorithm's name. */
  readonly name: AdaptiveAlgorithmName;
  /** A sample slower than this (ms) counts as a drop (`Infinity`: none does). */
  readonly slowAfter: number;
  /** Whether the rule compares latency with the no-load latency (only then does the estimator probe for it). */
  readonly usesNoLoad: boolean;
  /** The next limit after a window. `noLoad` is the estimated no-load latency (`NaN` when unknown). */
  next(limit: number, window: WindowStats, noLoad: number): RuleStep;
  /** The algorithm's settings, for `describe()`. */
  describe(): Record<string, unknown>;
}

/** @internal True when a window shows the caller did not use the limit (fewer than half of it in flight). */
export function appLimited(limit: number, window: WindowStats): boolean {
  return window.maxInFlight * 2 < limit;
}

/** @internal `max(1, log10(limit))`: the step of `'vegas'`, which grows slowly with the limit. */
export function logStep(limit: number): number {
  return Math.max(1, Math.log10(limit));
}
