/**
 * Rules of the `'aimd'` algorithm that the other tests leave unpinned (issue #23, mutation
 * testing): it never compares latency with a no-load latency, so its limit is never probed
 * (admission stays at the whole limit), and its `backoffRatio` must lie strictly between 0
 * and 1.
 */
import { describe, expect, it } from 'vitest';
import { OptionsValidationError } from '../core/errors';
import { adaptiveConcurrency } from './adaptive-concurrency';
import { AimdRule } from './aimd';
import { LimitEstimator } from './estimator';

describe('aimd', () => {
  it('never probes: after the windows at which a delay-based algorithm would, admission is still the whole limit', () => {
    const e = new LimitEstimator(new AimdRule({ kind: 'aimd' }), 1, 100, 10);
    for (let window = 0; window < 4; window++) {
      // a full window of calls that used the whole limit, without a drop: +1 each
      const size = Math.max(10, e.limit);
      for (let i = 0; i < size; i++) e.sample(5, e.limit, false);
      expect(e.probing).toBe(false);
      expect(e.admissionLimit).toBe(e.limit);
    }
    expect(e.limit).toBe(14);
  });

  it('refuses a backoffRatio of 0 (it must be > 0), and accepts one just above it', () => {
    const valid = { initialLimit: 10, minLimit: 1, maxLimit: 100 };
    expect(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'aimd', backoffRatio: 0 } })).toThrow(OptionsValidationError);
    expect(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'aimd', backoffRatio: 0.01 } })).not.toThrow();
  });
});
