/**
 * Rules of the `'vegas'` step that the other tests leave unpinned (issue #23, mutation
 * testing): with a limit of 100 the step is log10(100) = 2, and the bands and moves scale
 * with it: a queue of at most one step grows the limit by `beta × step`, a queue below
 * `alpha × step` grows it by one step. Defaults: alpha 3, beta 6, smoothing 1.
 */
import { describe, expect, it } from 'vitest';
import type { WindowStats } from './algorithm';
import { VegasRule } from './vegas';

/** A window in which the whole limit was in flight (not app-limited), with this mean latency. */
function used(limit: number, latency: number): WindowStats {
  return { latency, meanInFlight: limit, maxInFlight: limit, drops: 0, samples: 100 };
}

describe('vegas step with a step of 2 (limit 100)', () => {
  const rule = new VegasRule({ kind: 'vegas' });

  it('no queue (latency = no-load latency): grows by beta × step = 12', () => {
    expect(rule.next(100, used(100, 5), 5)).toEqual({ limit: 112, cut: false });
  });

  it('a queue of 4 (above one step, below alpha × step = 6): grows by one step, 2', () => {
    // 100 × (1 − 96 / 100) ≈ 4
    expect(rule.next(100, used(100, 100), 96)).toEqual({ limit: 102, cut: false });
  });

  it('a queue of 10 (between alpha × step = 6 and beta × step = 12): holds', () => {
    // 100 × (1 − 90 / 100) ≈ 10
    expect(rule.next(100, used(100, 100), 90)).toEqual({ limit: 100, cut: false });
  });
});
