/**
 * The rules of chaos/distributions.ts that its other tests leave loose, read directly:
 * - a normal with `stdDev` 0 has its (clamped) mean as `mean`, even when the mean sits on
 *   a bound (no 0/0);
 * - a normal pinned to the single point [m, m] (any `stdDev`) has `mean` exactly m: the
 *   standard normal cdf at 0 comes from one branch only;
 * - a latency option accepts a number or an object with a `sample` function, and
 *   nothing else: not `null`, not a function carrying `sample`, not an object whose
 *   `sample` is not a function.
 */
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../core/errors';
import { latencyInjection } from './call-faults';
import { distributions, isLatencyDistribution } from './distributions';

/** A `random` whose Box–Muller draw is negative: sqrt(-2 ln 0.5) * cos(π). */
const half = (): number => 0.5;

function latencyIssues(latency: unknown): readonly { path: string }[] {
  try {
    latencyInjection({ latency } as never);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as { issues: readonly { path: string }[] }).issues;
  }
  return [];
}

describe('distributions: normal mean', () => {
  it('with stdDev 0 is the clamped mean, also when the mean sits on a bound', () => {
    expect(distributions.normal({ mean: 0, stdDev: 0 }).mean).toBe(0);
    expect(distributions.normal({ mean: 40, stdDev: 0, min: 40 }).mean).toBe(40);
    expect(distributions.normal({ mean: 40, stdDev: 0, min: 10, max: 40 }).mean).toBe(40);
    expect(distributions.normal({ mean: 40, stdDev: 0, min: 50 }).mean).toBe(50);
    expect(distributions.normal({ mean: 40, stdDev: 0, max: 30 }).mean).toBe(30);
  });

  it('pinned to the single point [m, m] is exactly m, whatever the stdDev', () => {
    for (const m of [1, 10, 123.456, 999.999]) {
      for (const stdDev of [1, 2, 10, 50]) {
        const d = distributions.normal({ mean: m, stdDev, min: m, max: m });
        expect(d.sample(half)).toBe(m);
        expect(d.mean).toBe(m);
      }
    }
  });
});

describe('latency option: a number or a distribution, nothing else', () => {
  const sample = (): number => 5;
  const describeIt = (): Record<string, unknown> => ({ kind: 'custom' });

  it('accepts numbers, distributions and any object with a sample function', () => {
    expect(latencyIssues(0)).toEqual([]);
    expect(latencyIssues(distributions.fixed(5))).toEqual([]);
    expect(latencyIssues({ kind: 'custom', mean: 5, min: 5, max: 5, sample, describe: describeIt })).toEqual([]);
    expect(isLatencyDistribution(distributions.uniform(1, 2))).toBe(true);
    expect(isLatencyDistribution({ sample })).toBe(true);
  });

  it('rejects null, without throwing anything but the validation error', () => {
    expect(isLatencyDistribution(null)).toBe(false);
    expect(latencyIssues(null).map((i) => i.path)).toEqual(['latency']);
  });

  it('rejects a function, even one carrying a sample function', () => {
    const fn = Object.assign(() => 5, { kind: 'custom', mean: 5, min: 5, max: 5, sample, describe: describeIt });
    expect(isLatencyDistribution(fn)).toBe(false);
    expect(latencyIssues(fn).map((i) => i.path)).toEqual(['latency']);
  });

  it('rejects an object whose sample is not a function, or that has none', () => {
    for (const value of [{ sample: 5 }, { sample: { sample } }, {}, { kind: 'fixed', mean: 5, min: 5, max: 5, describe: describeIt }]) {
      expect(isLatencyDistribution(value)).toBe(false);
      expect(latencyIssues(value).map((i) => i.path)).toEqual(['latency']);
    }
  });

  it('rejects other values: bad numbers, strings, booleans, undefined', () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5', true]) {
      expect(isLatencyDistribution(value)).toBe(false);
      expect(latencyIssues(value).map((i) => i.path)).toEqual(['latency']);
    }
    expect(isLatencyDistribution(undefined)).toBe(false);
    expect(latencyIssues(undefined).map((i) => i.path)).toEqual(['latency']);
  });
});
