import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { exponentialBackoff } from './backoff';
import { retryBudget } from './budget';
import type { RetryOptions } from './options';
import { retry } from './retry';

function issues(options: unknown): ValidationIssue[] {
  try {
    retry(options as RetryOptions);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return [...(e as { issues: ValidationIssue[] }).issues];
  }
  throw new Error('expected retry() to reject the options');
}

describe('retry options validation', () => {
  const clock = new VirtualClock();
  const bad: [string, Record<string, unknown>, string][] = [
    ['empty name', { name: '' }, 'name'],
    ['name not a string', { name: 5 }, 'name'],
    ['clock without timers', { clock: { now: () => 0 } }, 'clock'],
    ['random not a function', { random: 0.5 }, 'random'],
    ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts'],
    ['maxAttempts fractional', { maxAttempts: 2.5 }, 'maxAttempts'],
    ['maxAttempts NaN', { maxAttempts: Number.NaN }, 'maxAttempts'],
    ['maxAttempts Infinity without maxDuration', { maxAttempts: Number.POSITIVE_INFINITY }, 'maxAttempts'],
    ['unknown backoff kind', { backoff: 'fibonacci' }, 'backoff'],
    ['backoff object that is not a Backoff', { backoff: { delay: 5 } }, 'backoff'],
    ['negative delay', { delay: -1 }, 'delay'],
    ['Infinity delay', { delay: Number.POSITIVE_INFINITY }, 'delay'],
    ['factor below 1', { factor: 0.9 }, 'factor'],
    ['factor NaN', { factor: Number.NaN }, 'factor'],
    ['factor with linear backoff', { backoff: 'linear', factor: 2 }, 'factor'],
    ['factor with decorrelated jitter', { factor: 2, jitter: 'decorrelated' }, 'factor'],
    ['decorrelated jitter with constant backoff', { backoff: 'constant', jitter: 'decorrelated' }, 'jitter'],
    ['maxDelay below delay', { delay: 500, maxDelay: 100 }, 'maxDelay'],
    ['negative maxDelay', { maxDelay: -5 }, 'maxDelay'],
    ['unknown jitter', { jitter: 'half' }, 'jitter'],
    ['delay with a backoff function', { backoff: () => 5, delay: 10 }, 'delay'],
    ['jitter with a backoff function', { backoff: () => 5, jitter: 'full' }, 'jitter'],
    ['maxDelay with a Backoff value', { backoff: exponentialBackoff(), maxDelay: 10 }, 'maxDelay'],
    ['factor with a Backoff value', { backoff: exponentialBackoff(), factor: 3 }, 'factor'],
    ['handle not a function or classes', { handle: 'TypeError' }, 'handle'],
    ['handle empty array', { handle: [] }, 'handle'],
    ['handleResult not a function', { handleResult: 503 }, 'handleResult'],
    ['retryAfter not a function', { retryAfter: 1000 }, 'retryAfter'],
    ['maxDuration 0', { maxDuration: 0 }, 'maxDuration'],
    ['maxDuration negative', { maxDuration: -1 }, 'maxDuration'],
    ['maxDuration Infinity', { maxDuration: Number.POSITIVE_INFINITY }, 'maxDuration'],
    ['budget not a RetryBudget', { budget: { ratio: 0.2 } }, 'budget'],
    ['budget on another clock', { clock, budget: retryBudget() }, 'budget'],
    ['unknown key', { retries: 3 }, 'retries'],
  ];
  it.each(bad)('rejects %s', (_name, options, path) => {
    expect(issues(options).map((i) => i.path)).toEqual([path]);
  });

  it('reports every bad field in one error, worded for a human', () => {
    let message = '';
    try {
      retry({ maxAttempts: 0, delay: -1, jitter: 'x' as never, mystery: 1 } as RetryOptions);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('expected `maxAttempts` to be an integer ≥ 1');
    expect(message).toContain('got 0');
    expect(message).toContain('`delay`');
    expect(message).toContain('`jitter`');
    expect(message).toContain('unknown option `mystery`');
  });

  it('accepts the documented combinations', () => {
    expect(() => retry()).not.toThrow();
    expect(() => retry({ maxAttempts: Number.POSITIVE_INFINITY, maxDuration: 10_000 })).not.toThrow();
    expect(() => retry({ backoff: () => 100, maxDelay: 50 })).not.toThrow();
    expect(() => retry({ backoff: exponentialBackoff({ delay: 5 }) })).not.toThrow();
    expect(() => retry({ backoff: 'linear', delay: 0, jitter: 'equal' })).not.toThrow();
    expect(() => retry({ delay: 60_000 })).not.toThrow(); // maxDelay defaults to at least delay
    expect(() => retry({ clock, budget: retryBudget({ clock }) })).not.toThrow();
    expect(() => retry({ handle: [TypeError, RangeError], handleResult: () => false, retryAfter: () => undefined })).not.toThrow();
  });
});
