/**
 * Rules of the `'vegas'` step that the property tests leave unpinned (issue #23, mutation
 * testing): which band an estimated queue exactly on a boundary falls in (`queue ≤ step`
 * grows by `beta × step`, `queue = alpha × step` and `queue = beta × step` hold), that only a
 * shrink for a long queue is a latency cut, and that a window without a usable latency or
 * no-load latency leaves the limit alone. With the limits used here (≤ 10) the step is 1, and
 * the defaults are alpha 3, beta 6, smoothing 1 (no smoothing). And, as it compares latency
 * with the no-load latency, the estimator probes for that latency under a vegas limit.
 */
import { describe, expect, it } from 'vitest';
import type { WindowStats } from './algorithm';
import { LimitEstimator } from './estimator';
import { VegasRule } from './vegas';

/** A window in which the whole limit was in flight (not app-limited), with this mean latency. */
function used(limit: number, latency: number): WindowStats {
  return { latency, meanInFlight: limit, maxInFlight: limit, drops: 0, samples: 10 };
}

describe('vegas step on the boundaries of its bands (queue = limit × (1 − noLoad / latency), step 1)', () => {
  const rule = new VegasRule({ kind: 'vegas' });

  it('an estimated queue of exactly one step is "hardly any queueing": the limit grows by beta × step', () => {
    // 4 × (1 − 3 / 4) = 1
    expect(rule.next(4, used(4, 4), 3)).toEqual({ limit: 10, cut: false });
  });

  it('a queue between one step and alpha × step grows the limit by one step, and is no cut', () => {
    // 6 × (1 − 1 / 1.5) ≈ 2
    expect(rule.next(6, used(6, 1.5), 1)).toEqual({ limit: 7, cut: false });
  });

  it('a queue of exactly alpha × step holds the limit', () => {
    // 6 × (1 − 1 / 2) = 3
    expect(rule.next(6, used(6, 2), 1)).toEqual({ limit: 6, cut: false });
  });

  it('a queue of exactly beta × step holds the limit; only a longer one shrinks it, as a latency cut', () => {
    // 8 × (1 − 1 / 4) = 6
    expect(rule.next(8, used(8, 4), 1)).toEqual({ limit: 8, cut: false });
    // 8 × (1 − 1 / 8) = 7
    expect(rule.next(8, used(8, 8), 1)).toEqual({ limit: 7, cut: true });
  });

  it('holds the limit when the window has no latency above 0, or no no-load latency above 0 is known', () => {
    expect(rule.next(10, used(10, 0), 1)).toEqual({ limit: 10, cut: false });
    expect(rule.next(10, used(10, Number.NaN), 1)).toEqual({ limit: 10, cut: false });
    expect(rule.next(10, used(10, 5), 0)).toEqual({ limit: 10, cut: false });
    expect(rule.next(10, used(10, 5), Number.NaN)).toEqual({ limit: 10, cut: false });
  });
});

describe('vegas under the estimator', () => {
  it('is probed for the no-load latency: at the first checkpoint (window 2), under load, admission falls to half the limit', () => {
    const e = new LimitEstimator(new VegasRule({ kind: 'vegas' }), 1, 100, 10);
    for (let window = 0; window < 2; window++) {
      expect(e.probing).toBe(false);
      const size = Math.max(10, e.limit);
      for (let i = 0; i < size; i++) e.sample(5, e.limit, false);
    }
    expect(e.probing).toBe(true);
    expect(e.admissionLimit).toBe(Math.floor(e.limit / 2));
  });
});
