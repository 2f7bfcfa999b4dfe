/**
 * Rules of the trip rules (trip-rule.ts) that the mutation run (issue #23) found unpinned:
 * clear() forgets a consecutive count, expire(now) alone drops what left a time window, a
 * time window is restored only from a snapshot of the same duration, and without a
 * slow-call duration no slow-call rate is set (a window of outcomes marked slow never trips).
 */
import { describe, expect, it } from 'vitest';
import type { CircuitBreakerSnapshot } from './snapshot';
import { ConsecutiveFailuresRule, createTripRule, TimeWindowRule } from './trip-rule';

const INF = Number.POSITIVE_INFINITY;

const closedWith = (window: CircuitBreakerSnapshot['window']): CircuitBreakerSnapshot => ({
  version: 1,
  state: 'closed',
  openedFor: 0,
  recoveryTimeout: 0,
  consecutiveOpens: 0,
  consecutiveFailures: 0,
  probeSuccesses: 0,
  window,
});

describe('trip rules: forgetting and expiring', () => {
  it('clear() forgets the consecutive count: the next failures count from zero', () => {
    const rule = new ConsecutiveFailuresRule(3);
    rule.record(true);
    rule.record(true);
    rule.clear();
    expect(rule.counts()).toEqual({ consecutiveFailures: 0, calls: 0, failures: 0, slowCalls: 0 });
    expect(rule.record(true)).toBeUndefined();
    expect(rule.record(true)).toBeUndefined();
    expect(rule.record(true)).toBe('failures');
  });

  it('expire(now) alone drops the outcomes that left a time window at now', () => {
    const rule = new TimeWindowRule(1_000, 10, 1, 0.5, INF, INF);
    rule.record(true, false, 0);
    rule.record(false, false, 500);
    rule.expire(999);
    expect([rule.window.calls, rule.window.failures]).toEqual([2, 1]);
    rule.expire(1_000);
    expect([rule.window.calls, rule.window.failures]).toEqual([1, 0]);
  });
});

describe('trip rules: restoring a time window', () => {
  it('loads counts only from a snapshot of the same duration (same bucket count is not enough)', () => {
    const saved = new TimeWindowRule(1_000, 10, 1, 0.5, INF, INF);
    saved.record(true, false, 100);
    const snapshot = closedWith(saved.snapshot(200).window);
    const longer = new TimeWindowRule(2_000, 10, 1, 0.5, INF, INF);
    longer.restore(snapshot, 200);
    expect(longer.counts(200).calls).toBe(0);
    const same = new TimeWindowRule(1_000, 10, 1, 0.5, INF, INF);
    same.restore(snapshot, 200);
    expect(same.counts(200)).toEqual({ consecutiveFailures: 0, calls: 1, failures: 1, slowCalls: 0 });
  });
});

describe('trip rules: no slow-call rate without a slow-call duration', () => {
  it('a window rule built without slowCallDuration never trips on slow outcomes', () => {
    for (const window of [{ kind: 'count', size: 2 }, { kind: 'time', duration: 1_000 }] as const) {
      const rule = createTripRule({ window, minimumThroughput: 2 });
      expect(rule.record(false, true, 0)).toBeUndefined();
      expect(rule.record(false, true, 0)).toBeUndefined();
      expect(rule.counts(0)).toMatchObject({ calls: 2, failures: 0, slowCalls: 2 });
    }
  });
});
