/**
 * Rules of the breaker snapshot check that the mutation run (issue #23) found unpinned:
 * each field's bound, one field wrong at a time, and the edges that are valid (zeros, a
 * bucket whose every call failed and was slow, every outcome code).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';
import { isCircuitBreakerSnapshot, type CircuitBreakerSnapshot } from './snapshot';

const good: CircuitBreakerSnapshot = {
  version: 1,
  state: 'open',
  openedFor: 10,
  recoveryTimeout: 100,
  consecutiveOpens: 1,
  consecutiveFailures: 0,
  probeSuccesses: 0,
  window: null,
};
const countWindow = { kind: 'count', size: 4, outcomes: [0, 1, 2, 3] } as const;
const timeWindow = { kind: 'time', duration: 1_000, buckets: 2, counts: [[3, 3, 3], [0, 0, 0]] } as const;

describe('isCircuitBreakerSnapshot', () => {
  it('accepts the edges: zero durations and counts, every outcome code, a bucket whose calls all failed and were slow', () => {
    for (const s of [
      good,
      { ...good, openedFor: 0, recoveryTimeout: 0, consecutiveOpens: 0 },
      { ...good, state: 'closed', consecutiveFailures: 4 },
      { ...good, state: 'half-open', probeSuccesses: 2 },
      { ...good, state: 'isolated' },
      { ...good, window: countWindow },
      { ...good, window: { kind: 'count', size: 0, outcomes: [] } },
      { ...good, window: timeWindow },
      { ...good, window: { ...timeWindow, duration: 0.5, buckets: 0, counts: [] } },
    ]) {
      expect(isCircuitBreakerSnapshot(s)).toBe(true);
    }
  });

  const bad: [string, unknown][] = [
    ['not an object', 'open'],
    ['version missing', { ...good, version: undefined }],
    ['state not a string', { ...good, state: 1 }],
    ['openedFor NaN', { ...good, openedFor: Number.NaN }],
    ['openedFor Infinity', { ...good, openedFor: Number.POSITIVE_INFINITY }],
    ['openedFor a string', { ...good, openedFor: '10' }],
    ['recoveryTimeout negative', { ...good, recoveryTimeout: -1 }],
    ['recoveryTimeout Infinity', { ...good, recoveryTimeout: Number.POSITIVE_INFINITY }],
    ['consecutiveOpens negative', { ...good, consecutiveOpens: -1 }],
    ['consecutiveFailures fractional', { ...good, consecutiveFailures: 0.5 }],
    ['consecutiveFailures negative', { ...good, consecutiveFailures: -2 }],
    ['probeSuccesses fractional', { ...good, probeSuccesses: 1.5 }],
    ['probeSuccesses a string', { ...good, probeSuccesses: '1' }],
    ['window undefined', { ...good, window: undefined }],
    ['window a string', { ...good, window: 'count' }],
    ['count window: size negative', { ...good, window: { ...countWindow, size: -1 } }],
    ['count window: outcomes not an array', { ...good, window: { ...countWindow, outcomes: '0123' } }],
    ['count window: outcome -1', { ...good, window: { ...countWindow, outcomes: [-1] } }],
    ['count window: outcome a string', { ...good, window: { ...countWindow, outcomes: ['1'] } }],
    ['time window: duration negative', { ...good, window: { ...timeWindow, duration: -1 } }],
    ['time window: duration Infinity', { ...good, window: { ...timeWindow, duration: Number.POSITIVE_INFINITY } }],
    ['time window: buckets fractional', { ...good, window: { ...timeWindow, buckets: 1.5 } }],
    ['time window: counts not an array', { ...good, window: { ...timeWindow, counts: {} } }],
    ['time window: a bucket not an array', { ...good, window: { ...timeWindow, counts: ['3,3,3'] } }],
    ['time window: a bucket of two numbers', { ...good, window: { ...timeWindow, counts: [[3, 3]] } }],
    ['time window: a bucket of four numbers', { ...good, window: { ...timeWindow, counts: [[3, 3, 3, 3]] } }],
    ['time window: a negative count', { ...good, window: { ...timeWindow, counts: [[3, -1, 0]] } }],
    ['time window: more failures than calls', { ...good, window: { ...timeWindow, counts: [[3, 4, 0]] } }],
    ['time window: more slow calls than calls', { ...good, window: { ...timeWindow, counts: [[3, 0, 4]] } }],
  ];
  it.each(bad)('rejects a snapshot with %s', (_what, s) => {
    expect(isCircuitBreakerSnapshot(s)).toBe(false);
  });
});

describe('snapshot()', () => {
  const fail = (): never => {
    throw new Error('boom');
  };

  it('carries the open time and recovery timeout only while open, probe successes only while half-open', async () => {
    const clock = new VirtualClock(5_000);
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100, halfOpen: { successThreshold: 2 } });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await clock.advance(30);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedFor: 30, recoveryTimeout: 100, consecutiveOpens: 1, probeSuccesses: 0 });
    await clock.advance(70);
    await breaker.execute(() => 'probe');
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', openedFor: 0, recoveryTimeout: 0, probeSuccesses: 1 });
    await breaker.execute(() => 'probe');
    expect(breaker.snapshot()).toEqual({
      version: 1,
      state: 'closed',
      openedFor: 0,
      recoveryTimeout: 0,
      consecutiveOpens: 0,
      consecutiveFailures: 0,
      probeSuccesses: 0,
      window: null,
    });
  });

  it('never reports a negative open time, even on a clock that went back', async () => {
    let now = 1_000;
    const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 500 });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    now = 900;
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedFor: 0, recoveryTimeout: 500 });
  });
});
