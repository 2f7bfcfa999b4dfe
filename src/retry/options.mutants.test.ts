/**
 * Rules of the retry options that the mutation run (issue #23) found unpinned: what each
 * cross-field issue says (checked paths alone left the wording free), and which fields a
 * backoff function or a Backoff value takes over.
 */
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { exponentialBackoff } from './backoff';
import { retryBudget } from './budget';
import type { RetryOptions } from './options';
import { retry } from './retry';

function issuesOf(options: unknown): readonly ValidationIssue[] {
  try {
    retry(options as RetryOptions);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as { issues: readonly ValidationIssue[] }).issues;
  }
  throw new Error('expected retry() to reject the options');
}

describe('retry options: what each cross-field issue says', () => {
  it('an unbounded maxAttempts needs maxDuration', () => {
    expect(issuesOf({ maxAttempts: Number.POSITIVE_INFINITY })).toEqual([
      { path: 'maxAttempts', value: Number.POSITIVE_INFINITY, expected: 'finite unless `maxDuration` is set' },
    ]);
  });

  it('a backoff function takes over delay, factor and jitter, but not maxDelay', () => {
    const fn = (): number => 5;
    expect(issuesOf({ backoff: fn, delay: 1, factor: 2, jitter: 'none' })).toEqual([
      { path: 'delay', value: 1, expected: 'absent when `backoff` is a function' },
      { path: 'factor', value: 2, expected: 'absent when `backoff` is a function' },
      { path: 'jitter', value: 'none', expected: 'absent when `backoff` is a function' },
    ]);
    expect(retry({ backoff: fn, maxDelay: 40 }).maxDelay).toBe(40);
  });

  it('a Backoff value takes over maxDelay as well', () => {
    const b = exponentialBackoff({ delay: 10, maxDelay: 90 });
    expect(issuesOf({ backoff: b, delay: 1, factor: 2, jitter: 'none', maxDelay: 80 })).toEqual(
      [
        ['delay', 1],
        ['factor', 2],
        ['jitter', 'none'],
        ['maxDelay', 80],
      ].map(([path, value]) => ({ path, value, expected: 'absent when `backoff` is a Backoff value' })),
    );
    expect(retry({ backoff: b }).maxDelay).toBe(90);
  });

  it('a budget on another clock than the policy', () => {
    const budget = retryBudget();
    expect(issuesOf({ clock: new VirtualClock(), budget })).toEqual([
      { path: 'budget', value: budget, expected: "a RetryBudget on the policy's clock (pass the same `clock` to both)" },
    ]);
  });

  it('a named backoff kind validates its own fields through the retry options', () => {
    expect(issuesOf({ backoff: 'constant', factor: 3 })).toEqual([
      { path: 'factor', value: 3, expected: 'absent: `factor` applies only to exponential backoff' },
    ]);
    expect(retry({ backoff: 'linear', delay: 100, maxDelay: 100, jitter: 'none' }).backoff).toMatchObject({ kind: 'linear', factor: 1, maxDelay: 100 });
  });

  it('the default backoff is exponential: decorrelated jitter is accepted without a backoff option', () => {
    expect(retry({ jitter: 'decorrelated' }).backoff).toMatchObject({ kind: 'exponential', jitter: 'decorrelated' });
  });
});
