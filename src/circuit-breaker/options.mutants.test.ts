/**
 * Rules of the circuit breaker's options that the mutation run (issue #23) found unpinned:
 * what each cross-field issue says, the inclusive `minimumThroughput ≤ window.size` bound,
 * and the defaults each trip rule derives.
 */
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';
import type { CircuitBreakerOptions } from './options';

function issuesOf(options: unknown): readonly ValidationIssue[] {
  try {
    circuitBreaker(options as CircuitBreakerOptions);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as { issues: readonly ValidationIssue[] }).issues;
  }
  throw new Error('expected circuitBreaker() to reject the options');
}

describe('circuit breaker options: what each cross-field issue says', () => {
  it('rate options without a window', () => {
    expect(issuesOf({ minimumThroughput: 3, failureRateThreshold: 0.5, slowCallDuration: 10, slowCallRateThreshold: 0.2 })).toEqual(
      ['minimumThroughput', 'failureRateThreshold', 'slowCallDuration', 'slowCallRateThreshold'].map((path, i) => ({
        path,
        value: [3, 0.5, 10, 0.2][i],
        expected: 'given only together with `window`',
      })),
    );
  });

  it('failureThreshold with a window, a slow-call rate without a slow-call duration', () => {
    expect(issuesOf({ window: { kind: 'count', size: 5 }, failureThreshold: 3, slowCallRateThreshold: 0.5 })).toEqual([
      { path: 'failureThreshold', value: 3, expected: 'absent when `window` is given (use `failureRateThreshold`)' },
      { path: 'slowCallRateThreshold', value: 0.5, expected: 'given only together with `slowCallDuration`' },
    ]);
  });

  it('a count window: size required, no duration or buckets, minimumThroughput at most its size', () => {
    expect(issuesOf({ window: { kind: 'count', duration: 5, buckets: 2 } })).toEqual([
      { path: 'window.size', value: undefined, expected: 'an integer ≥ 1 (required by a count window)' },
      { path: 'window.duration', value: 5, expected: 'absent in a count window' },
      { path: 'window.buckets', value: 2, expected: 'absent in a count window' },
    ]);
    expect(issuesOf({ window: { kind: 'count', size: 5 }, minimumThroughput: 6 })).toEqual([
      { path: 'minimumThroughput', value: 6, expected: '≤ window.size (5)' },
    ]);
    expect(() => circuitBreaker({ window: { kind: 'count', size: 5 }, minimumThroughput: 5 })).not.toThrow();
  });

  it('a time window: duration required, no size', () => {
    expect(issuesOf({ window: { kind: 'time', size: 4 } })).toEqual([
      { path: 'window.duration', value: undefined, expected: 'a duration in ms > 0 (required by a time window)' },
      { path: 'window.size', value: 4, expected: 'absent in a time window' },
    ]);
  });

  it('quorum without a coordinator', () => {
    expect(issuesOf({ quorum: 2 })).toEqual([{ path: 'quorum', value: 2, expected: 'given only together with `coordinator`' }]);
  });
});

describe('circuit breaker options: derived defaults', () => {
  it('a count window trips from min(10, size) calls; a time window from 10', () => {
    expect(circuitBreaker({ window: { kind: 'count', size: 20 } }).describe().options).toMatchObject({ minimumThroughput: 10 });
    expect(circuitBreaker({ window: { kind: 'count', size: 3 } }).describe().options).toMatchObject({ minimumThroughput: 3 });
    expect(circuitBreaker({ window: { kind: 'time', duration: 100 } }).describe().options).toMatchObject({ minimumThroughput: 10 });
  });

  it('a slow-call duration brings a slow-call rate of 100 % unless given, and both are described', () => {
    expect(circuitBreaker({ window: { kind: 'count', size: 4 }, slowCallDuration: 250 }).describe().options).toEqual({
      window: { kind: 'count', size: 4 },
      minimumThroughput: 4,
      failureRateThreshold: 0.5,
      slowCallDuration: 250,
      slowCallRateThreshold: 1,
      recoveryTimeout: 60_000,
      halfOpen: { maxProbes: 1, successThreshold: 1, probeTimeout: 60_000 },
    });
  });

  it('with the default 100 % slow-call rate, one fast call among slow ones keeps it closed; all slow opens it', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, window: { kind: 'count', size: 3 }, slowCallDuration: 10, failureRateThreshold: 1 });
    const slowCall = async (): Promise<void> => {
      const p = breaker.execute(() => new Promise((r) => clock.setTimeout(() => r(1), 10)));
      await clock.advance(10);
      await p;
    };
    await slowCall();
    await breaker.execute(() => 'fast');
    await slowCall();
    expect(breaker.state).toBe('closed');
    await slowCall();
    expect(breaker.state).toBe('closed'); // the window holds fast, slow, slow
    await slowCall();
    expect(breaker.state).toBe('open'); // slow, slow, slow: 100 %
  });

  it('an anonymous recoveryTimeout function is described as such', () => {
    const anonymous = (() => () => 1_000)();
    expect(circuitBreaker({ recoveryTimeout: anonymous }).describe().options).toMatchObject({ recoveryTimeout: 'function (anonymous)' });
  });
});
