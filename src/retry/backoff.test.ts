import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../core/errors';
import { Backoff, constantBackoff, exponentialBackoff, linearBackoff, type BackoffKind, type BackoffOptions, type JitterKind } from './backoff';
import { backoffConfig } from '../../test/support/retry-helpers';

function make(kind: BackoffKind, options: BackoffOptions): Backoff {
  return kind === 'exponential' ? exponentialBackoff(options) : kind === 'linear' ? linearBackoff(options) : constantBackoff(options);
}

describe('Backoff', () => {
  it('grows exponentially, linearly or not at all, capped at maxDelay', () => {
    expect(exponentialBackoff({ delay: 100, jitter: 'none' }).preview(5)).toEqual([100, 200, 400, 800, 1600]);
    expect(exponentialBackoff({ delay: 100, factor: 3, maxDelay: 1000, jitter: 'none' }).preview(4)).toEqual([100, 300, 900, 1000]);
    expect(linearBackoff({ delay: 250, maxDelay: 600, jitter: 'none' }).preview(4)).toEqual([250, 500, 600, 600]);
    expect(constantBackoff({ delay: 70, jitter: 'none' }).preview(3)).toEqual([70, 70, 70]);
  });

  it('has the documented defaults (exponential 200 ms ×2, max 30 s, full jitter)', () => {
    const b = exponentialBackoff();
    expect(b.toJSON()).toEqual({ kind: 'exponential', delay: 200, factor: 2, maxDelay: 30_000, jitter: 'full' });
    expect(exponentialBackoff({ delay: 60_000 }).maxDelay).toBe(60_000);
  });

  it('never overflows: huge retry numbers stay at maxDelay, a zero delay stays 0', () => {
    const b = exponentialBackoff({ delay: 100, factor: 10, maxDelay: 5_000, jitter: 'none' });
    expect(b.base(10_000)).toBe(5_000);
    expect(exponentialBackoff({ delay: 0, factor: 10, jitter: 'none' }).base(10_000)).toBe(0);
  });

  it('applies each jitter formula', () => {
    const half = (): number => 0.5;
    expect(exponentialBackoff({ delay: 100, jitter: 'full' }).next(3, 0, half)).toBe(200);
    expect(exponentialBackoff({ delay: 100, jitter: 'equal' }).next(3, 0, half)).toBe(300);
    expect(exponentialBackoff({ delay: 100, jitter: 'none' }).next(3, 0, half)).toBe(400);
    // decorrelated: uniform in [delay, 3 × previous], previous = delay before the first retry
    expect(exponentialBackoff({ delay: 100, jitter: 'decorrelated' }).next(1, 0, half)).toBe(200);
    expect(exponentialBackoff({ delay: 100, jitter: 'decorrelated' }).next(2, 1000, half)).toBe(1550);
    expect(exponentialBackoff({ delay: 100, maxDelay: 500, jitter: 'decorrelated' }).next(2, 1000, () => 0.99)).toBe(496);
  });

  it('stays within bounds for subnormal and huge delays (rounding)', () => {
    const tiny = exponentialBackoff({ delay: 1.5e-323, maxDelay: 1.5e-323, factor: 1, jitter: 'equal' });
    expect(tiny.next(1, 0, () => 0.99)).toBeLessThanOrEqual(1.5e-323);
    const huge = exponentialBackoff({ delay: 1e300, maxDelay: 1.7e308, jitter: 'decorrelated' });
    const { min, max } = huge.bounds(2, 5e307);
    const d = huge.next(2, 5e307, () => 1);
    expect(d).toBeGreaterThanOrEqual(min);
    expect(d).toBeLessThanOrEqual(max);
  });

  it('clamps a misbehaving random source into [0, 1]', () => {
    const b = exponentialBackoff({ delay: 100, jitter: 'full' });
    expect(b.next(1, 0, () => Number.NaN)).toBe(0);
    expect(b.next(1, 0, () => -3)).toBe(0);
    expect(b.next(1, 0, () => 7)).toBe(100);
  });

  it('property: every delay lies within its jitter bounds, and bounds within [0, maxDelay]', () => {
    fc.assert(
      fc.property(backoffConfig, fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 40 }), ({ kind, options }, rs) => {
        const b = make(kind, options);
        let previous = 0;
        rs.forEach((r, i) => {
          const retry = i + 1;
          const { min, max } = b.bounds(retry, previous);
          const d = b.next(retry, previous, () => r);
          expect(min).toBeGreaterThanOrEqual(0);
          expect(max).toBeLessThanOrEqual(b.maxDelay);
          expect(d).toBeGreaterThanOrEqual(min);
          expect(d).toBeLessThanOrEqual(max);
          if (b.jitter === 'none') expect(d).toBe(b.base(retry));
          if (b.jitter === 'full' || b.jitter === 'equal') expect(max).toBe(b.base(retry));
          if (b.jitter === 'equal') expect(min).toBe(b.base(retry) / 2);
          if (b.jitter === 'decorrelated') {
            expect(min).toBe(b.delay);
            expect(max).toBe(Math.min(b.maxDelay, 3 * Math.max(b.delay, previous)));
          }
          previous = d;
        });
      }),
    );
  });

  it('property: base delays never decrease with the retry number and never exceed maxDelay', () => {
    fc.assert(
      fc.property(backoffConfig, fc.integer({ min: 1, max: 2_000 }), ({ kind, options }, n) => {
        const b = make(kind, options);
        expect(b.base(n + 1)).toBeGreaterThanOrEqual(b.base(n));
        expect(b.base(n)).toBeLessThanOrEqual(b.maxDelay);
        expect(Number.isFinite(b.base(n))).toBe(true);
      }),
    );
  });

  it('is immutable; with() returns a new validated value', () => {
    const b = exponentialBackoff({ delay: 100, jitter: 'none' });
    expect(Object.isFrozen(b)).toBe(true);
    expect(() => {
      (b as { delay: number }).delay = 5;
    }).toThrow(TypeError);
    const c = b.with({ delay: 50, factor: 3 });
    expect(c).not.toBe(b);
    expect(b.preview(2)).toEqual([100, 200]);
    expect(c.preview(2)).toEqual([50, 150]);
    expect(b.with({ jitter: 'decorrelated' }).jitter).toBe('decorrelated');
    expect(() => b.with({ maxDelay: 10 })).toThrow(/maxDelay/);
    expect(() => linearBackoff().with({ factor: 2 })).toThrow(/factor/);
  });

  describe('validation', () => {
    const bad: [string, () => unknown, string][] = [
      ['delay negative', () => exponentialBackoff({ delay: -1 }), 'delay'],
      ['delay NaN', () => exponentialBackoff({ delay: Number.NaN }), 'delay'],
      ['delay Infinity', () => exponentialBackoff({ delay: Number.POSITIVE_INFINITY }), 'delay'],
      ['factor below 1', () => exponentialBackoff({ factor: 0.5 }), 'factor'],
      ['factor Infinity', () => exponentialBackoff({ factor: Number.POSITIVE_INFINITY }), 'factor'],
      ['maxDelay below delay', () => exponentialBackoff({ delay: 100, maxDelay: 99 }), 'maxDelay'],
      ['maxDelay NaN', () => exponentialBackoff({ maxDelay: Number.NaN }), 'maxDelay'],
      ['unknown jitter', () => exponentialBackoff({ jitter: 'some' as JitterKind }), 'jitter'],
      ['factor on linear', () => linearBackoff({ factor: 2 } as BackoffOptions), 'factor'],
      ['factor on constant', () => constantBackoff({ factor: 2 } as BackoffOptions), 'factor'],
      ['factor with decorrelated', () => exponentialBackoff({ factor: 2, jitter: 'decorrelated' }), 'factor'],
      ['decorrelated on linear', () => linearBackoff({ jitter: 'decorrelated' }), 'jitter'],
      ['unknown key', () => exponentialBackoff({ dealy: 5 } as BackoffOptions), 'dealy'],
    ];
    it.each(bad)('rejects %s', (_name, fn, path) => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(isOptionsValidationError(error)).toBe(true);
      expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(path);
    });
  });
});
