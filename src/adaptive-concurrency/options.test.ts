import { describe, expect, it } from 'vitest';
import { OptionsValidationError } from '../core/errors';
import { adaptiveConcurrency } from './adaptive-concurrency';
import type { AdaptiveConcurrencyOptions, PartitionedAdaptiveConcurrencyOptions } from './options';

const valid = { initialLimit: 10, minLimit: 1, maxLimit: 100 } as const;

function issuesOf(make: () => unknown): { path: string; expected: string }[] {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsValidationError);
    return (error as OptionsValidationError).issues.map(({ path, expected }) => ({ path, expected }));
  }
  throw new Error('expected an OptionsValidationError');
}

describe('adaptiveConcurrency options', () => {
  it('accepts every documented option', () => {
    expect(() =>
      adaptiveConcurrency({
        ...valid,
        name: 'db',
        algorithm: { kind: 'gradient2', tolerance: 2, smoothing: 0.5, queueSize: 4 },
        maxQueue: Number.POSITIVE_INFINITY,
        queueTimeout: 250,
        handle: Error,
        handleResult: () => false,
      }),
    ).not.toThrow();
    expect(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'aimd', backoffRatio: 0.5, latencyThreshold: Number.POSITIVE_INFINITY } })).not.toThrow();
    expect(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'vegas', alpha: 1, beta: 2, smoothing: 1 } })).not.toThrow();
    expect(() => adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1 })).not.toThrow();
  });

  it('requires the three limits', () => {
    expect(issuesOf(() => adaptiveConcurrency({} as AdaptiveConcurrencyOptions))).toEqual([
      { path: 'initialLimit', expected: 'an integer ≥ 1' },
      { path: 'minLimit', expected: 'an integer ≥ 1' },
      { path: 'maxLimit', expected: 'an integer ≥ 1' },
    ]);
  });

  it('names every bad field in one error, with its value and what it must be', () => {
    let error: unknown;
    try {
      adaptiveConcurrency({
        initialLimit: 2.5,
        minLimit: 0,
        maxLimit: -1,
        maxQueue: -1,
        queueTimeout: 0,
        name: '',
        algorithm: 'reno',
        clock: {},
        handle: 'oops',
        maxInflight: 3,
      } as unknown as AdaptiveConcurrencyOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionsValidationError);
    const e = error as OptionsValidationError;
    expect(e.issues.map((i) => i.path)).toEqual(['maxInflight', 'initialLimit', 'minLimit', 'maxLimit', 'algorithm', 'maxQueue', 'queueTimeout', 'name', 'clock', 'handle']);
    expect(e.message).toContain('unknown option `maxInflight`');
    expect(e.message).toContain('expected `initialLimit` to be an integer ≥ 1, got 2.5');
    expect(e.message).toContain("expected `algorithm` to be one of 'gradient2', 'aimd', 'vegas', or an object { kind: one of them, …tuning }, got \"reno\"");
    expect(e.message).toContain('expected `queueTimeout` to be a duration in ms > 0 (or Infinity), got 0');
    expect(e.message.startsWith('Invalid adaptiveConcurrency options: ')).toBe(true);
  });

  it('checks the algorithm tuning by its kind, unknown keys included, together with the other fields', () => {
    expect(
      issuesOf(() =>
        adaptiveConcurrency({
          ...valid,
          maxQueue: 1.5,
          algorithm: { kind: 'gradient2', tolerance: 0.5, smoothing: 0, queueSize: -1, backoffRatio: 0.5 } as never,
        }),
      ),
    ).toEqual([
      { path: 'maxQueue', expected: 'an integer ≥ 0 (or Infinity)' },
      { path: 'algorithm.backoffRatio', expected: 'not present (unknown option)' },
      { path: 'algorithm.tolerance', expected: 'a finite number ≥ 1' },
      { path: 'algorithm.smoothing', expected: 'a finite number > 0 and ≤ 1' },
      { path: 'algorithm.queueSize', expected: 'a finite number ≥ 0' },
    ]);
    expect(issuesOf(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'aimd', backoffRatio: 1, latencyThreshold: 0 } }))).toEqual([
      { path: 'algorithm.backoffRatio', expected: 'a finite number > 0 and < 1' },
      { path: 'algorithm.latencyThreshold', expected: 'a duration in ms > 0 (or Infinity)' },
    ]);
    expect(issuesOf(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'vegas', alpha: 4, beta: 4 } }))).toEqual([
      { path: 'algorithm.beta', expected: 'a finite number > alpha (4)' },
    ]);
    expect(issuesOf(() => adaptiveConcurrency({ ...valid, algorithm: { kind: 'vegas', alpha: 7 } }))).toEqual([
      { path: 'algorithm.beta', expected: 'a finite number > alpha (7)' },
    ]);
    expect(issuesOf(() => adaptiveConcurrency({ ...valid, algorithm: { tolerance: 2 } as never }))).toEqual([
      { path: 'algorithm', expected: "one of 'gradient2', 'aimd', 'vegas', or an object { kind: one of them, …tuning }" },
    ]);
  });

  it('keeps minLimit ≤ initialLimit ≤ maxLimit', () => {
    expect(issuesOf(() => adaptiveConcurrency({ initialLimit: 5, minLimit: 10, maxLimit: 8 }))).toEqual([
      { path: 'maxLimit', expected: 'an integer ≥ minLimit (10)' },
    ]);
    expect(issuesOf(() => adaptiveConcurrency({ initialLimit: 5, minLimit: 6, maxLimit: 8 }))).toEqual([
      { path: 'initialLimit', expected: 'an integer ≥ minLimit (6)' },
    ]);
    expect(issuesOf(() => adaptiveConcurrency({ initialLimit: 9, minLimit: 6, maxLimit: 8 }))).toEqual([
      { path: 'initialLimit', expected: 'an integer ≤ maxLimit (8)' },
    ]);
  });

  it('partitioned: requires key, checks maxPartitions, and names itself in the error', () => {
    let error: unknown;
    try {
      adaptiveConcurrency.partitioned({ ...valid, maxPartitions: 0 } as unknown as PartitionedAdaptiveConcurrencyOptions);
    } catch (e) {
      error = e;
    }
    expect((error as OptionsValidationError).message.startsWith('Invalid adaptiveConcurrency.partitioned options: ')).toBe(true);
    expect((error as OptionsValidationError).issues.map((i) => i.path)).toEqual(['key', 'maxPartitions']);
  });

  it('rejects a non-object', () => {
    expect(issuesOf(() => adaptiveConcurrency(5 as never))).toEqual([{ path: '(options)', expected: 'a plain object' }]);
  });
});
