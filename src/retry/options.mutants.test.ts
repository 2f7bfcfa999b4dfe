/**
 * Rules of the retry options that the mutation run (issue #23) found unpinned: what each
 * cross-field issue says (checked paths alone left the wording free), and which fields a
 * backoff function or a Backoff value takes over. The schema and the defaults are built when
 * `options.ts` loads, so the last block imports the policy anew (`vi.resetModules()`) and
 * checks each rule and default on that copy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, messageOf } from '../../test/support/fresh-module';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { exponentialBackoff } from './backoff';
import { retryBudget } from './budget';
import type { RetryOptions } from './options';
import { retry } from './retry';
import type * as RetryModule from './retry';

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

  it("the retry's own issues and its backoff's come in one error that names the retry options", () => {
    let error: unknown;
    try {
      retry({ maxAttempts: Number.POSITIVE_INFINITY, backoff: 'constant', factor: 3 });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(/^Invalid retry options: /);
    expect((error as { issues: readonly ValidationIssue[] }).issues.map((i) => i.path)).toEqual(['maxAttempts', 'factor']);
  });

  it('the default backoff is exponential: decorrelated jitter is accepted without a backoff option', () => {
    expect(retry({ jitter: 'decorrelated' }).backoff).toMatchObject({ kind: 'exponential', jitter: 'decorrelated' });
  });
});

/** The retry module, loaded again so that the option schemas, the defaults and the backoff kinds are built in this test. */
async function fresh(): Promise<typeof RetryModule> {
  return freshModule<typeof RetryModule>(() => import('./retry'));
}

describe('retry options (schema and defaults of a fresh load)', () => {
  it('the defaults: named retry, 3 attempts, exponential 200 ms × 2 up to 30 s with full jitter, rejections not retried', async () => {
    const { retry: freshRetry } = await fresh();
    const p = freshRetry();
    expect(p.name).toBe('retry');
    expect(p.retryRejections).toBe(false);
    expect(p.describe()).toEqual({
      kind: 'retry',
      name: 'retry',
      options: {
        maxAttempts: 3,
        backoff: { kind: 'exponential', delay: 200, factor: 2, maxDelay: 30_000, jitter: 'full' },
        maxDelay: 30_000,
        handle: 'every error',
        retryRejections: false,
        handleResult: 'none',
        retryAfter: 'none',
        maxDuration: Number.POSITIVE_INFINITY,
        budget: 'none',
      },
    });
  });

  it('accepts each named backoff kind, a function and a Backoff value', async () => {
    const { retry: freshRetry } = await fresh();
    const { linearBackoff } = await import('./backoff');
    for (const kind of ['exponential', 'linear', 'constant'] as const) {
      expect(freshRetry({ backoff: kind, delay: 10, jitter: 'none' }).backoff).toMatchObject({ kind, delay: 10 });
    }
    expect(freshRetry({ backoff: () => 5 }).describe().options).toMatchObject({ backoff: 'function backoff' });
    const b = linearBackoff({ delay: 7 });
    expect(freshRetry({ backoff: b }).backoff).toBe(b);
  });

  it('says what each field expects, every bad field in one message', async () => {
    const { retry: freshRetry } = await fresh();
    expect(
      messageOf(() =>
        freshRetry({
          name: '',
          random: 0.5,
          maxAttempts: 0,
          backoff: 'fibonacci',
          delay: -1,
          factor: 0.5,
          maxDelay: -2,
          jitter: 'half',
          retryAfter: 1_000,
          maxDuration: 0,
          budget: { ratio: 0.2 },
          retryRejections: 'yes',
        } as unknown as RetryOptions),
      ),
    ).toBe(
      'Invalid retry options: ' +
        [
          'expected `name` to be a non-empty string, got ""',
          'expected `random` to be a function returning a number in [0, 1), got 0.5',
          'expected `maxAttempts` to be an integer ≥ 1 (or Infinity), got 0',
          "expected `backoff` to be 'exponential', 'linear', 'constant', a function or a Backoff (from exponentialBackoff()…), got \"fibonacci\"",
          'expected `delay` to be a duration in ms ≥ 0, got -1',
          'expected `factor` to be a finite number ≥ 1, got 0.5',
          'expected `maxDelay` to be a duration in ms ≥ 0, got -2',
          'expected `jitter` to be one of "none", "full", "equal", "decorrelated", got "half"',
          'expected `retryAfter` to be a function, got 1000',
          'expected `maxDuration` to be a duration in ms > 0, got 0',
          'expected `budget` to be a RetryBudget (from retryBudget()), got {"ratio":0.2}',
          'expected `retryRejections` to be a boolean, got "yes"',
        ].join('; '),
    );
  });

  it('accepts an unbounded maxAttempts together with maxDuration', async () => {
    const { retry: freshRetry } = await fresh();
    const p = freshRetry({ maxAttempts: Number.POSITIVE_INFINITY, maxDuration: 1_000 });
    expect(p.maxAttempts).toBe(Number.POSITIVE_INFINITY);
    expect(p.maxDuration).toBe(1_000);
  });

  it('property: a maxDuration is accepted exactly when it is a finite number > 0', async () => {
    const { retry: freshRetry } = await fresh();
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, Number.MIN_VALUE, Number.POSITIVE_INFINITY)), (d) => {
        const make = (): unknown => freshRetry({ maxDuration: d });
        if (d > 0 && Number.isFinite(d)) expect(make).not.toThrow();
        else expect(messageOf(make)).toMatch(/^Invalid retry options: expected `maxDuration` to be a duration in ms > 0, got /);
      }),
    );
  });

  it('accepts a budget on the policy clock, and refuses an unknown key', async () => {
    const { retry: freshRetry } = await fresh();
    const { retryBudget: freshBudget } = await import('./budget');
    const budget = freshBudget();
    expect(freshRetry({ budget }).budget).toBe(budget);
    expect(messageOf(() => freshRetry({ retries: 3 } as RetryOptions))).toBe('Invalid retry options: unknown option `retries`');
  });
});
