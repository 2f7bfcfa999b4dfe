// The distinct-count estimator's rules: exact up to its cap, never changed by a repeated
// key, and past the cap within the documented bound of the true count.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DISTINCT_RELATIVE_ERROR, DistinctCounter, hash53 } from './distinct-count';

/** `n` distinct keys shaped like real user ids: a prefix, then numbers from `offset` on with a stride. */
const keys = (prefix: string, n: number, offset: number, stride: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${offset + i * stride}`);

describe('DistinctCounter', () => {
  it('is exact up to exactUpTo distinct keys, whatever the repetitions', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 300 }), fc.integer({ min: 300, max: 1_000 }), (xs, cap) => {
        const c = new DistinctCounter(cap);
        for (const x of xs) c.add(x);
        for (const x of xs) c.add(x); // again: nothing changes
        expect(c.count()).toBe(new Set(xs).size);
        expect(c.estimated).toBe(false);
      }),
    );
  });

  it('past the cap, estimates within 5 standard errors (4 %) of the true count, and counts a repeated key once', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8 }),
        fc.integer({ min: 50, max: 60_000 }),
        fc.nat({ max: 1_000_000 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 100 }),
        (prefix, n, offset, stride, cap) => {
          const c = new DistinctCounter(cap);
          const ks = keys(`${prefix}:`, n, offset, stride);
          for (const k of ks) c.add(k);
          const once = c.count();
          for (let i = 0; i < ks.length; i += 3) c.add(ks[i] as string);
          expect(c.count()).toBe(once);
          if (n <= cap) expect(once).toBe(n);
          else {
            expect(c.estimated).toBe(true);
            expect(Math.abs(once - n) / n).toBeLessThanOrEqual(5 * DISTINCT_RELATIVE_ERROR);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('has the documented standard error: the root mean square of the relative error over many sets is within 0.81 % ± 25 %', () => {
    let sq = 0;
    const runs = 40;
    for (let r = 0; r < runs; r++) {
      const c = new DistinctCounter(0);
      const n = 20_000;
      for (const k of keys(`run${r}-player-`, n, 0, 1)) c.add(k);
      sq += ((c.count() - n) / n) ** 2;
    }
    const rms = Math.sqrt(sq / runs);
    expect(rms).toBeGreaterThan(0.75 * DISTINCT_RELATIVE_ERROR);
    expect(rms).toBeLessThan(1.25 * DISTINCT_RELATIVE_ERROR);
  });

  it('counts nothing as 0, exact or estimated', () => {
    expect(new DistinctCounter().count()).toBe(0);
    expect(new DistinctCounter(0).count()).toBe(0);
  });

  it('hashes to exact integers below 2^53, different for near keys', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const h = hash53(s);
        expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
        expect(hash53(`${s}x`)).not.toBe(h);
      }),
    );
  });
});
