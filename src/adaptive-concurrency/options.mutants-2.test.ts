/**
 * Rules of the adaptive concurrency options that the other tests leave unpinned (issue #23,
 * mutation testing): missing options (`undefined`, `null`) are reported as missing limits; an
 * algorithm object that is not a plain object is refused as a whole, its tuning unchecked; the
 * cross checks (minLimit ≤ initialLimit ≤ maxLimit, vegas's beta > alpha) compare only fields
 * that are valid on their own, so each bad field is reported once, for what it is; and only
 * vegas compares beta with alpha.
 */
import { describe, expect, it } from 'vitest';
import { issuesOf } from '../../test/support/fresh-module';
import { adaptiveConcurrency } from './adaptive-concurrency';
import type { AdaptiveConcurrencyOptions } from './options';

/** The issues (path and expected) of refusing `options`. */
function refused(options: unknown): { path: string; expected: string }[] {
  return issuesOf(() => adaptiveConcurrency(options as AdaptiveConcurrencyOptions)).map(({ path, expected }) => ({ path, expected }));
}

const limits = { initialLimit: 10, minLimit: 1, maxLimit: 100 } as const;

describe('adaptiveConcurrency options', () => {
  it('reports `undefined` or `null` options as the three missing limits', () => {
    const missing = [
      { path: 'initialLimit', expected: 'an integer ≥ 1' },
      { path: 'minLimit', expected: 'an integer ≥ 1' },
      { path: 'maxLimit', expected: 'an integer ≥ 1' },
    ];
    expect(refused(undefined)).toEqual(missing);
    expect(refused(null)).toEqual(missing);
  });

  it('refuses an algorithm object that is not a plain object as a whole, without checking its tuning', () => {
    const tuned = new (class {
      readonly kind = 'aimd';
      readonly backoffRatio = 5;
    })();
    expect(refused({ ...limits, algorithm: tuned })).toEqual([
      { path: 'algorithm', expected: "one of 'gradient2', 'aimd', 'vegas', or an object { kind: one of them, …tuning }" },
    ]);
  });

  it('compares the limits with each other only when each is a valid limit on its own', () => {
    expect(refused({ initialLimit: 2, minLimit: 1, maxLimit: 1 })).toEqual([{ path: 'initialLimit', expected: 'an integer ≤ maxLimit (1)' }]);
    expect(refused({ initialLimit: 0, minLimit: 1, maxLimit: 10 })).toEqual([{ path: 'initialLimit', expected: 'an integer ≥ 1' }]);
    expect(refused({ initialLimit: 2, minLimit: 2.5, maxLimit: 2 })).toEqual([{ path: 'minLimit', expected: 'an integer ≥ 1' }]);
    expect(refused({ initialLimit: 1, minLimit: 1, maxLimit: 0.5 })).toEqual([{ path: 'maxLimit', expected: 'an integer ≥ 1' }]);
    expect(refused({ initialLimit: 3, minLimit: 1, maxLimit: 2.5 })).toEqual([{ path: 'maxLimit', expected: 'an integer ≥ 1' }]);
  });

  it('vegas: compares beta with alpha only when alpha is a number above 0 and beta a finite number', () => {
    expect(refused({ ...limits, algorithm: { kind: 'vegas', alpha: 0, beta: 0 } })).toEqual([
      { path: 'algorithm.alpha', expected: 'a finite number > 0' },
      { path: 'algorithm.beta', expected: 'a finite number > 0' },
    ]);
    expect(refused({ ...limits, algorithm: { kind: 'vegas', alpha: '5', beta: 4 } })).toEqual([{ path: 'algorithm.alpha', expected: 'a finite number > 0' }]);
    expect(refused({ ...limits, algorithm: { kind: 'vegas', alpha: 3, beta: Number.NEGATIVE_INFINITY } })).toEqual([
      { path: 'algorithm.beta', expected: 'a finite number > 0' },
    ]);
  });

  it('compares beta with alpha for vegas only: another algorithm given a beta is told it has no such option', () => {
    expect(refused({ ...limits, algorithm: { kind: 'aimd', beta: 1 } })).toEqual([{ path: 'algorithm.beta', expected: 'not present (unknown option)' }]);
  });
});
