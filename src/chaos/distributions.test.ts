import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom } from '../testing/seeded-random';
import { distributions, type LatencyDistribution } from './distributions';

const N = 20_000;

function samples(d: LatencyDistribution, seed: number, n = N): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => d.sample(r));
}
const meanOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs: readonly number[]): number => {
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
/** The sample mean is within 6 standard errors (about 2e-9 per check for a normal sample mean: random seeds must not make CI flaky) of the distribution's mean. */
function expectMean(d: LatencyDistribution, xs: readonly number[]): void {
  const se = sdOf(xs) / Math.sqrt(xs.length);
  expect(Math.abs(meanOf(xs) - d.mean)).toBeLessThanOrEqual(6 * se + 1e-9);
}
/** Every sample is finite and within [min, max] (one assertion: expect() per sample is slow). */
function expectBounds(d: LatencyDistribution, xs: readonly number[]): void {
  expect(xs.filter((x) => !(Number.isFinite(x) && x >= d.min && x <= d.max))).toEqual([]);
}

describe('distributions', () => {
  it('fixed: always the value', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer(), (ms, seed) => {
        const d = distributions.fixed(ms);
        expect(new Set(samples(d, seed, 50))).toEqual(new Set([ms]));
        expect(d.mean).toBe(ms);
      }),
    );
  });

  it('property: uniform stays in [min, max) and has mean (min + max) / 2', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer(), (a, w, seed) => {
        const d = distributions.uniform(a, a + w);
        const xs = samples(d, seed, 4_000);
        expectBounds(d, xs);
        if (w > 0) expect(xs.filter((x) => x >= a + w)).toEqual([]);
        expect(d.mean).toBe(a + w / 2);
        expectMean(d, xs);
      }),
      { numRuns: 30 },
    );
  });

  it('property: normal has the given mean and standard deviation when clamping is negligible', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 5_000 }), fc.integer(), (sd, offset, seed) => {
        const mean = 6 * sd + offset; // 6 sigma above 0: clamping never matters
        const d = distributions.normal({ mean, stdDev: sd });
        const xs = samples(d, seed);
        expectBounds(d, xs);
        expect(d.mean).toBeCloseTo(mean, 6);
        expectMean(d, xs);
        if (sd > 0) expect(Math.abs(sdOf(xs) / sd - 1)).toBeLessThan(0.05);
      }),
      { numRuns: 20 },
    );
  });

  it('property: clamped normal stays within [min, max] and matches its (censored) mean', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer(),
        (mean, sd, lo, width, seed) => {
          const d = distributions.normal({ mean, stdDev: sd, min: lo, max: lo + width });
          const xs = samples(d, seed);
          expectBounds(d, xs);
          // the closed-form mean uses an erf approximation good to ~1e-7 of the range
          const se = sdOf(xs) / Math.sqrt(xs.length);
          expect(Math.abs(meanOf(xs) - d.mean)).toBeLessThanOrEqual(6 * se + 1e-3 * width);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('property: lognormal by median and p99 has that median and p99', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000 }), fc.double({ min: 1, max: 20, noNaN: true }), fc.integer(), (median, ratio, seed) => {
        const p99 = median * ratio;
        const d = distributions.lognormal({ median, p99 });
        const xs = samples(d, seed, 40_000);
        expectBounds(d, xs);
        expect(Math.abs(quantile(xs, 0.5) / median - 1)).toBeLessThan(0.05);
        expect(Math.abs(quantile(xs, 0.99) / p99 - 1)).toBeLessThan(0.12);
        expect(d.mean).toBeGreaterThanOrEqual(median * (1 - 1e-12));
      }),
      { numRuns: 15 },
    );
  });

  it('property: lognormal (mu, sigma) capped by max has the censored mean and never exceeds max', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 6, noNaN: true }), fc.double({ min: 0, max: 1.5, noNaN: true }), fc.integer(), (mu, sigma, seed) => {
        const max = Math.exp(mu + sigma); // the 84th percentile: a cap that bites
        const d = distributions.lognormal({ mu, sigma, max });
        const xs = samples(d, seed);
        expectBounds(d, xs);
        const se = sdOf(xs) / Math.sqrt(xs.length);
        expect(Math.abs(meanOf(xs) - d.mean)).toBeLessThanOrEqual(6 * se + 1e-4 * max);
      }),
      { numRuns: 20 },
    );
  });

  it('lognormal uncapped mean is exp(mu + sigma²/2)', () => {
    const d = distributions.lognormal({ mu: 4, sigma: 0.5 });
    expect(d.mean).toBeCloseTo(Math.exp(4 + 0.125), 9);
    expectMean(d, samples(d, 7, 60_000));
  });

  it('property: empirical picks only given samples, each about equally often, with their mean', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 20 }), fc.integer(), (values, seed) => {
        const d = distributions.empirical(values);
        const xs = samples(d, seed, 5_000);
        expectBounds(d, xs);
        expect(xs.filter((x) => !values.includes(x))).toEqual([]);
        expect(d.mean).toBeCloseTo(meanOf(values), 9);
        expectMean(d, xs);
      }),
      { numRuns: 30 },
    );
  });

  it('never returns a negative or non-finite delay, even with an adversarial random', () => {
    const extremes = [0, Number.MIN_VALUE, 0.5, 1 - Number.EPSILON];
    const ds = [
      distributions.uniform(0, 10),
      distributions.normal({ mean: 1, stdDev: 100 }),
      distributions.lognormal({ mu: 700, sigma: 10 }),
      distributions.lognormal({ median: 1, p99: 1e9, max: 5 }),
      distributions.empirical([1, 2, 3]),
    ];
    for (const d of ds) {
      for (const a of extremes) {
        for (const b of extremes) {
          let i = 0;
          const x = d.sample(() => (i++ % 2 === 0 ? a : b));
          expect(Number.isFinite(x) && x >= 0).toBe(true);
        }
      }
    }
  });

  it('validates parameters, naming each bad one', () => {
    expect(() => distributions.fixed(-1)).toThrow(/ms/);
    expect(() => distributions.uniform(10, 5)).toThrow(/max.*≥ min/);
    expect(() => distributions.uniform(Number.NaN, 5)).toThrow(/min/);
    expect(() => distributions.normal({ mean: 10, stdDev: -1 })).toThrow(/stdDev/);
    expect(() => distributions.normal({ mean: 10, stdDev: 1, min: 5, max: 2 })).toThrow(/max/);
    expect(() => distributions.lognormal({ median: 100, p99: 50 })).toThrow(/p99/);
    expect(() => distributions.lognormal({ median: 0, p99: 50 })).toThrow(/median/);
    expect(() => distributions.lognormal({ mu: 1 } as never)).toThrow(/sigma/);
    expect(() => distributions.empirical([])).toThrow(/samples/);
    expect(() => distributions.empirical([1, -2])).toThrow(/samples/);
  });
});
