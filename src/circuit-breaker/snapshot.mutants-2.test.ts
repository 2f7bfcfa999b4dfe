/**
 * Rules of the breaker snapshot that the mutation run (issue #23) found unpinned: a window
 * of an unknown kind is rejected even with the fields of a time window, a snapshot is an
 * object (a function carrying every field is not one), and probe successes are kept only
 * in a half-open snapshot.
 */
import { describe, expect, it } from 'vitest';
import { isCircuitBreakerSnapshot, snapshotOf, type CircuitBreakerSnapshot } from './snapshot';

const good: CircuitBreakerSnapshot = {
  version: 1,
  state: 'closed',
  openedFor: 0,
  recoveryTimeout: 0,
  consecutiveOpens: 0,
  consecutiveFailures: 0,
  probeSuccesses: 0,
  window: null,
};

describe('isCircuitBreakerSnapshot: shapes', () => {
  it('rejects a window whose kind is neither count nor time, even with the fields of a time window', () => {
    const timeFields = { duration: 1_000, buckets: 1, counts: [[1, 0, 0]] };
    expect(isCircuitBreakerSnapshot({ ...good, window: { kind: 'time', ...timeFields } })).toBe(true);
    expect(isCircuitBreakerSnapshot({ ...good, window: { kind: 'sliding', ...timeFields } })).toBe(false);
    expect(isCircuitBreakerSnapshot({ ...good, window: timeFields })).toBe(false);
  });

  it('rejects a function that carries every field of a valid snapshot', () => {
    const fn = Object.assign(() => undefined, good);
    expect(isCircuitBreakerSnapshot({ ...good })).toBe(true);
    expect(isCircuitBreakerSnapshot(fn)).toBe(false);
  });
});

describe('snapshotOf: probe successes', () => {
  it('keeps them only in a half-open snapshot', () => {
    const rule = { consecutiveFailures: 0, window: null };
    expect(snapshotOf('half-open', 0, 0, 1, 2, rule).probeSuccesses).toBe(2);
    for (const state of ['closed', 'open', 'isolated'] as const) expect(snapshotOf(state, 5, 10, 1, 2, rule).probeSuccesses).toBe(0);
  });
});
