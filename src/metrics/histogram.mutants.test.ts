/**
 * Pins the rules of histogram.ts that the broader tests in histogram.test.ts leave loose:
 * option validation messages (`max` must be strictly above `min`, the 2048-bucket cap),
 * the bucket count when `max` is an exact bound, `(bounds[i-1], bounds[i]]` bucket
 * membership at floating-point edges, constant-cost bucket lookup, the nearest-rank
 * quantile (rank at exact multiples, bucket choice, geometric interpolation inside a
 * bucket, linear interpolation in the first bucket, clamping), `q < 0` rejection, the
 * mean, and the exported Prometheus buckets.
 */
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../core/errors';
import { LogHistogram, type HistogramOptions } from './histogram';

/** The message of the options error thrown for `options`. */
function messageOf(options: HistogramOptions): string {
  try {
    new LogHistogram(options);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('LogHistogram options validation', () => {
  it('rejects max equal to min, with a message naming the subject, the field and the min', () => {
    expect(messageOf({ min: 5, max: 5 })).toBe('Invalid histogram options: expected `max` to be a number > `min` (5), got 5');
    expect(messageOf({ min: 10, max: 5 })).toBe('Invalid histogram options: expected `max` to be a number > `min` (10), got 5');
  });

  it('rejects more than 2048 buckets, naming bucketsPerDoubling and the limit', () => {
    expect(messageOf({ min: 1e-12, max: 1e12, bucketsPerDoubling: 32 })).toBe(
      'Invalid histogram options: expected `bucketsPerDoubling` to be small enough that log2(max / min) · bucketsPerDoubling ≤ 2048 buckets, got 32',
    );
  });

  it('accepts exactly 2048 buckets (2^64 range at 32 per doubling): 2049 bounds up to max', () => {
    const h = new LogHistogram({ min: 1, max: 2 ** 64, bucketsPerDoubling: 32 });
    expect(h.bounds).toHaveLength(2049);
    expect(h.bounds.at(-1)).toBe(2 ** 64);
  });
});

describe('LogHistogram bounds and buckets', () => {
  it('when max is exactly a bound, that bound is the last one (no extra bucket above max)', () => {
    const h = new LogHistogram({ min: 1, max: 1024, bucketsPerDoubling: 4 });
    expect(h.bounds).toHaveLength(41);
    expect(h.bounds.at(-1)).toBe(1024);
    expect(h.bucketOf(1024)).toBe(40);
    expect(h.bucketOf(1025)).toBe(41); // overflow bucket
  });

  it('a value just above a bound goes to the next bucket even when log2 rounds onto the bound', () => {
    const h = new LogHistogram({ min: 1, max: 1000, bucketsPerDoubling: 1 });
    expect(h.bounds).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
    const justAbove16 = 16 * (1 + Number.EPSILON); // 16.000000000000004
    expect(justAbove16).toBeGreaterThan(16);
    expect(h.bucketOf(16)).toBe(4);
    expect(h.bucketOf(justAbove16)).toBe(5);
    expect(h.bucketOf(64 * (1 + Number.EPSILON))).toBe(7);
    h.record(justAbove16);
    expect(h.bucketCount(4)).toBe(0);
    expect(h.bucketCount(5)).toBe(1);
  });

  it('a value on a bound whose log2 estimate overshoots stays in that bound’s bucket', () => {
    const h = new LogHistogram({ min: 1, max: 60_000, bucketsPerDoubling: 4 });
    const sqrt2 = h.bounds[2] as number; // 2^(2/4)
    expect(h.bucketOf(sqrt2)).toBe(2);
    expect(h.bucketOf(h.bounds[7] as number)).toBe(7);
  });

  it('finding a bucket reads a constant number of bounds, whatever the number of buckets', () => {
    const h = new LogHistogram({ min: 1, max: 2 ** 64, bucketsPerDoubling: 32 });
    let reads = 0;
    const counted = new Proxy(h.bounds, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^-?\d+$/.test(prop)) reads++;
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    Object.defineProperty(h, 'bounds', { value: counted });
    let worst = 0;
    for (const i of [100, 500, 1000, 1500, 2000, 2048]) {
      for (const v of [counted[i] as number, (counted[i] as number) * (1 + Number.EPSILON), (counted[i] as number) * 0.999]) {
        reads = 0;
        h.bucketOf(v);
        worst = Math.max(worst, reads);
      }
    }
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('exports one cumulative bucket per doubling and nothing for the overflow bucket', () => {
    const h = new LogHistogram({ min: 1, max: 8, bucketsPerDoubling: 1 });
    expect(h.bounds).toEqual([1, 2, 4, 8]);
    for (const v of [0.5, 2, 3, 8, 100, 200]) h.record(v);
    expect(h.exportedBuckets()).toEqual([
      { le: 1, count: 1 },
      { le: 2, count: 2 },
      { le: 4, count: 3 },
      { le: 8, count: 4 },
    ]);
    expect(h.count).toBe(6);
  });
});

describe('LogHistogram quantiles and snapshot', () => {
  it('rejects q < 0 (and q > 1) even when non-empty', () => {
    const h = new LogHistogram();
    h.record(10);
    expect(h.quantile(-0.1)).toBeUndefined();
    expect(h.quantile(-1)).toBeUndefined();
    expect(h.quantile(1.5)).toBeUndefined();
    expect(h.quantile(Number.NaN)).toBeUndefined();
    expect(h.quantile(0)).toBe(10);
  });

  it('uses the nearest rank: q · count exactly an integer selects that rank, not the next', () => {
    const h = new LogHistogram({ min: 1, max: 60_000, bucketsPerDoubling: 4 });
    h.record(8);
    h.record(1024);
    // rank = 0.5 · 2 = 1 → the bucket of 8, whose upper bound is 8 itself.
    expect(h.quantile(0.5)).toBeCloseTo(8, 9);
    expect(h.quantile(0.51)).toBe(1024);
    expect(h.snapshot().p50).toBeCloseTo(8, 9);
  });

  it('interpolates geometrically inside a bucket (j > 0) between its bounds', () => {
    const h = new LogHistogram({ min: 1, max: 60_000, bucketsPerDoubling: 4 });
    h.record(5);
    h.record(5.5); // both in (2^2.25, 2^2.5]
    expect(h.bucketOf(5)).toBe(10);
    expect(h.bucketOf(5.5)).toBe(10);
    // rank 1 of 2 in the bucket → halfway in log scale: 2^2.375 (linear would give 5.2068).
    expect(h.quantile(0.5)).toBeCloseTo(2 ** 2.375, 10);
  });

  it('the fraction inside a bucket counts only the observations of that bucket', () => {
    const h = new LogHistogram({ min: 1, max: 60_000, bucketsPerDoubling: 4 });
    h.record(1.5); // bucket 3
    h.record(5); // bucket 10
    h.record(5.5); // bucket 10
    // rank ceil(0.5 · 3) = 2: first of the two in bucket 10 → f = (2 - 1) / 2.
    expect(h.quantile(0.5)).toBeCloseTo(2 ** 2.375, 10);
    expect(h.quantile(1 / 3)).toBeCloseTo(2 ** 0.75, 12); // upper bound of bucket 3
    expect(h.quantile(1)).toBe(5.5);
  });

  it('interpolates linearly from 0 in the first bucket, clamped to the observed range', () => {
    const h = new LogHistogram({ min: 1, max: 60_000, bucketsPerDoubling: 4 });
    h.record(0.1);
    h.record(0.9);
    // rank 1 of 2 in bucket [0, 1] → 0 + (1 - 0) · 0.5.
    expect(h.quantile(0.5)).toBe(0.5);
    expect(h.quantile(0.01)).toBe(0.5);
    expect(h.quantile(1)).toBe(0.9);
    const s = h.snapshot();
    expect(s.p90).toBe(0.9);
  });

  it('the snapshot mean is sum / count', () => {
    const h = new LogHistogram();
    for (const v of [2, 4, 9]) h.record(v);
    const s = h.snapshot();
    expect(s.count).toBe(3);
    expect(s.sum).toBe(15);
    expect(s.mean).toBe(5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
  });
});
