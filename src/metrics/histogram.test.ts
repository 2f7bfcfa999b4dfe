import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../core/errors';
import { LogHistogram } from './histogram';

/** Exact nearest-rank quantile. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
  return sorted[rank - 1] as number;
}

const options = fc.record({
  min: fc.double({ min: 0.01, max: 100, noNaN: true }),
  ratio: fc.double({ min: 2, max: 1e6, noNaN: true }),
  bucketsPerDoubling: fc.integer({ min: 1, max: 16 }),
});

describe('LogHistogram', () => {
  it('has geometric bounds from min to the first bound ≥ max', () => {
    const h = new LogHistogram({ min: 1, max: 60_000, bucketsPerDoubling: 4 });
    expect(h.bounds[0]).toBe(1);
    expect(h.bounds[4]).toBe(2);
    expect(h.bounds.at(-1)).toBe(65_536);
    expect(h.bounds.at(-2)).toBeLessThan(60_000);
    expect(h.exportedBuckets().map((b) => b.le)).toEqual(Array.from({ length: 17 }, (_, k) => 2 ** k));
  });

  it('property: bucketOf(v) is the bucket with bounds[i-1] < v ≤ bounds[i]', () => {
    fc.assert(
      fc.property(options, fc.double({ min: 0, max: 1e9, noNaN: true }), (o, v) => {
        const h = new LogHistogram({ min: o.min, max: o.min * o.ratio, bucketsPerDoubling: o.bucketsPerDoubling });
        const i = h.bucketOf(v);
        const b = h.bounds;
        if (i > 0) expect(v).toBeGreaterThan(b[i - 1] as number);
        if (i < b.length) expect(v).toBeLessThanOrEqual(b[i] as number);
        else expect(v).toBeGreaterThan(b.at(-1) as number);
      }),
    );
  });

  it('property: a value exactly on a bound lands in that bound’s bucket (Prometheus le semantics)', () => {
    fc.assert(
      fc.property(options, fc.nat(), (o, n) => {
        const h = new LogHistogram({ min: o.min, max: o.min * o.ratio, bucketsPerDoubling: o.bucketsPerDoubling });
        const i = n % h.bounds.length;
        expect(h.bucketOf(h.bounds[i] as number)).toBe(i);
      }),
    );
  });

  it('property: quantiles are within one bucket ratio of the exact nearest-rank quantile', () => {
    fc.assert(
      fc.property(
        options,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (o, unit, q) => {
          const max = o.min * o.ratio;
          const h = new LogHistogram({ min: o.min, max, bucketsPerDoubling: o.bucketsPerDoubling });
          // Values spread log-uniformly over [min, max].
          const values = unit.map((u) => o.min * o.ratio ** u);
          for (const v of values) h.record(v);
          const exact = exactQuantile(values, q);
          const est = h.quantile(q) as number;
          const g = 2 ** (1 / o.bucketsPerDoubling) * (1 + 1e-9);
          expect(est / exact).toBeLessThanOrEqual(g);
          expect(exact / est).toBeLessThanOrEqual(g);
        },
      ),
    );
  });

  it('property: count, sum, min, max are exact, buckets cumulative, quantiles monotone in q', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 200_000, noNaN: true }), { maxLength: 100 }), (values) => {
        const h = new LogHistogram();
        for (const v of values) h.record(v);
        const s = h.snapshot();
        expect(s.count).toBe(values.length);
        expect(s.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
        expect(s.min).toBe(values.length === 0 ? undefined : Math.min(...values));
        expect(s.max).toBe(values.length === 0 ? undefined : Math.max(...values));
        const buckets = h.exportedBuckets();
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.count).toBeGreaterThanOrEqual(buckets[i - 1]!.count);
        for (const b of buckets) expect(b.count).toBe(values.filter((v) => v <= b.le).length);
        if (values.length > 0) {
          expect(s.p50!).toBeLessThanOrEqual(s.p90!);
          expect(s.p90!).toBeLessThanOrEqual(s.p99!);
          expect(s.p99!).toBeLessThanOrEqual(s.max!);
          expect(s.p50!).toBeGreaterThanOrEqual(s.min!);
        }
      }),
    );
  });

  it('memory is fixed: the number of buckets does not depend on the number of values', () => {
    const h = new LogHistogram();
    const n = h.bounds.length;
    for (let i = 0; i < 10_000; i++) h.record(i * 7.3);
    expect(h.bounds.length).toBe(n);
    expect(h.bucketCount(n + 1)).toBe(0);
    expect(h.count).toBe(10_000);
  });

  it('is empty-safe and ignores NaN; negative values count as 0', () => {
    const h = new LogHistogram();
    expect(h.snapshot()).toEqual({ count: 0, sum: 0, min: undefined, max: undefined, mean: undefined, p50: undefined, p90: undefined, p99: undefined });
    h.record(Number.NaN);
    expect(h.count).toBe(0);
    h.record(-5);
    expect(h.snapshot().min).toBe(0);
    expect(h.quantile(2)).toBeUndefined();
  });

  it('rejects bad options, naming every field', () => {
    const bad = (o: unknown): string => {
      try {
        new LogHistogram(o as never);
      } catch (e) {
        expect(isOptionsValidationError(e)).toBe(true);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad({ min: 0, bucketsPerDoubling: 0, typo: 1 })).toMatch(/`min`.*`bucketsPerDoubling`.*typo|typo.*`min`/s);
    expect(bad({ min: 10, max: 5 })).toMatch(/`max`/);
    expect(bad({ min: 1e-12, max: 1e12, bucketsPerDoubling: 32 })).toMatch(/bucketsPerDoubling/);
    expect(bad({ max: Number.POSITIVE_INFINITY })).toMatch(/`max`/);
  });
});
