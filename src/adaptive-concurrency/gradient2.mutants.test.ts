/**
 * Rules of the `'gradient2'` step that the property tests leave unpinned (issue #23, mutation
 * testing): a window without a usable latency or no-load latency leaves the limit alone, and
 * a `queueSize` option replaces √limit as the growth per window (before smoothing).
 */
import { describe, expect, it } from 'vitest';
import type { WindowStats } from './algorithm';
import { Gradient2Rule } from './gradient2';

/** A window in which the whole limit was in flight (not app-limited), with this mean latency. */
function used(limit: number, latency: number): WindowStats {
  return { latency, meanInFlight: limit, maxInFlight: limit, drops: 0, samples: 10 };
}

describe('gradient2 step', () => {
  it('holds the limit when the window has no latency above 0, or no no-load latency above 0 is known', () => {
    const rule = new Gradient2Rule({ kind: 'gradient2' });
    expect(rule.next(16, used(16, 0), 1)).toEqual({ limit: 16, cut: false });
    expect(rule.next(16, used(16, Number.NaN), 1)).toEqual({ limit: 16, cut: false });
    expect(rule.next(16, used(16, 5), 0)).toEqual({ limit: 16, cut: false });
    expect(rule.next(16, used(16, 5), Number.NaN)).toEqual({ limit: 16, cut: false });
  });

  it('grows by smoothing × queueSize per window within tolerance when queueSize is set, and says so in describe()', () => {
    const rule = new Gradient2Rule({ kind: 'gradient2', smoothing: 0.5, queueSize: 2 });
    // within tolerance: gradient 1, target 16 + 2, halfway there
    expect(rule.next(16, used(16, 10), 10)).toEqual({ limit: 17, cut: false });
    expect(rule.describe()).toEqual({ tolerance: 1.5, smoothing: 0.5, queueSize: 2 });
    expect(new Gradient2Rule({ kind: 'gradient2', queueSize: 0 }).next(16, used(16, 10), 10)).toEqual({ limit: 16, cut: false });
  });

  it('grows by smoothing × √limit without queueSize, and describes that default as sqrt(limit)', () => {
    const rule = new Gradient2Rule({ kind: 'gradient2', smoothing: 0.5 });
    expect(rule.next(16, used(16, 10), 10)).toEqual({ limit: 18, cut: false });
    expect(rule.describe()).toEqual({ tolerance: 1.5, smoothing: 0.5, queueSize: 'sqrt(limit)' });
  });
});
