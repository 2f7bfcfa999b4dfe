import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';
import type { CircuitBreakerEvent } from './events';
import { isCircuitBreakerSnapshot, type CircuitBreakerSnapshot } from './snapshot';
import { BreakerDriver, type CallEnd, type PendingCall } from '../../test/support/breaker-driver';

const fail = (): never => {
  throw new Error('boom');
};
const roundTrip = (s: CircuitBreakerSnapshot): CircuitBreakerSnapshot => JSON.parse(JSON.stringify(s)) as CircuitBreakerSnapshot;

describe('snapshot() and restore', () => {
  it('an open breaker stays open across a restart on a clock with another origin', async () => {
    const clock = new VirtualClock(5_000);
    const breaker = circuitBreaker({ clock, name: 'payments', failureThreshold: 1, recoveryTimeout: 30_000 });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(10_000);
    const snap = roundTrip(breaker.snapshot());
    expect(snap).toEqual({
      version: 1,
      state: 'open',
      openedFor: 10_000,
      recoveryTimeout: 30_000,
      consecutiveOpens: 1,
      consecutiveFailures: 0,
      probeSuccesses: 0,
      window: null,
    });
    const clock2 = new VirtualClock(-123_456);
    const restored = circuitBreaker({ clock: clock2, name: 'payments', failureThreshold: 1, recoveryTimeout: 30_000, restore: snap });
    const events: CircuitBreakerEvent[] = [];
    restored.onEvent((e) => {
      if (e.kind === 'circuit-breaker') events.push(e);
    });
    expect(restored.state).toBe('open');
    await expect(restored.execute(() => 1)).rejects.toMatchObject({ state: 'open', retryAfter: 20_000 });
    await clock2.advance(20_000);
    expect(restored.state).toBe('half-open');
    await restored.execute(() => 1);
    expect(restored.state).toBe('closed');
    expect(events.map((e) => e.type)).toEqual(['rejected', 'half-opened', 'success', 'closed']);
  });

  it('keeps the consecutive-open count so a growing recoveryTimeout keeps growing', async () => {
    const clock = new VirtualClock();
    const grow = (n: number): number => 100 * n;
    const a = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: grow });
    await expect(a.execute(fail)).rejects.toThrow();
    await clock.advance(100);
    await expect(a.execute(fail)).rejects.toThrow(); // failed probe: second open, 200 ms
    const b = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: grow, restore: roundTrip(a.snapshot()) });
    await clock.advance(200);
    await expect(b.execute(fail)).rejects.toThrow(); // third open
    await expect(b.execute(() => 1)).rejects.toMatchObject({ retryAfter: 300 });
  });

  it('carries half-open probe successes, isolation and consecutive failures', async () => {
    const clock = new VirtualClock();
    const a = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 0, halfOpen: { successThreshold: 2 } });
    await expect(a.execute(fail)).rejects.toThrow();
    await a.execute(() => 1);
    const half = roundTrip(a.snapshot());
    expect(half).toMatchObject({ state: 'half-open', probeSuccesses: 1 });
    const b = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 0, halfOpen: { successThreshold: 2 }, restore: half });
    await b.execute(() => 1);
    expect(b.state).toBe('closed');

    a.isolate();
    const c = circuitBreaker({ clock, restore: roundTrip(a.snapshot()) });
    await clock.advance(10 ** 9);
    expect(c.state).toBe('isolated');

    const d = circuitBreaker({ clock, failureThreshold: 3 });
    await expect(d.execute(fail)).rejects.toThrow();
    await expect(d.execute(fail)).rejects.toThrow();
    const e = circuitBreaker({ clock, failureThreshold: 3, restore: roundTrip(d.snapshot()) });
    await expect(e.execute(fail)).rejects.toThrow();
    expect(e.state).toBe('open');
  });

  it('keeps window counts when the window options match, drops them otherwise', async () => {
    const clock = new VirtualClock(777);
    const opts = { clock, window: { kind: 'time' as const, duration: 1_000, buckets: 4 }, failureRateThreshold: 1 };
    const a = circuitBreaker(opts);
    await a.execute(fail).catch(() => {});
    await clock.advance(300);
    await a.execute(() => 1);
    const snap = roundTrip(a.snapshot());
    const clock2 = new VirtualClock(40);
    const b = circuitBreaker({ ...opts, clock: clock2, restore: snap });
    expect(b.stats).toMatchObject({ calls: 2, failures: 1 });
    await clock2.advance(750); // the first bucket leaves the window
    expect(b.stats).toMatchObject({ calls: 1, failures: 0 });
    const other = circuitBreaker({ clock, window: { kind: 'time', duration: 1_000, buckets: 5 }, restore: snap });
    expect(other.stats.calls).toBe(0);
    const count = circuitBreaker({ clock, window: { kind: 'count', size: 3 }, restore: snap });
    expect(count.stats.calls).toBe(0);
  });

  it('validates snapshots', () => {
    expect(isCircuitBreakerSnapshot(circuitBreaker().snapshot())).toBe(true);
    const good = circuitBreaker().snapshot();
    for (const bad of [
      null,
      { ...good, version: 2 },
      { ...good, state: 'ajar' },
      { ...good, openedFor: -1 },
      { ...good, consecutiveOpens: 1.5 },
      { ...good, window: { kind: 'count', size: 2, outcomes: [4] } },
      { ...good, window: { kind: 'time', duration: 10, buckets: 1, counts: [[1, 2, 0]] } },
      { ...good, window: { kind: 'other' } },
    ]) {
      expect(isCircuitBreakerSnapshot(bad)).toBe(false);
    }
  });

  it('snapshot → restore → snapshot is the identity, whatever happened before (property)', async () => {
    type Step = { op: 'start' } | { op: 'finish'; end: CallEnd } | { op: 'advance'; ms: number } | { op: 'isolate' } | { op: 'reset' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ op: 'start' as const }) },
      { weight: 4, arbitrary: fc.record({ op: fc.constant('finish' as const), end: fc.constantFrom<CallEnd>('success', 'failure') }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 200 }) }) },
      { weight: 1, arbitrary: fc.constantFrom({ op: 'isolate' as const }, { op: 'reset' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { failureThreshold: 2 },
          { window: { kind: 'count' as const, size: 4 }, minimumThroughput: 2 },
          { window: { kind: 'time' as const, duration: 400, buckets: 4 }, minimumThroughput: 2 },
        ),
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        async (rule, steps, origin) => {
          const options = { ...rule, recoveryTimeout: (n: number) => 50 * n, halfOpen: { maxProbes: 2, successThreshold: 2 } };
          const d = new BreakerDriver(options, new VirtualClock(), false);
          const inflight: PendingCall[] = [];
          for (const s of steps) {
            if (s.op === 'start') {
              const r = d.start();
              if (r.admitted) inflight.push(r.call);
            } else if (s.op === 'finish') {
              const c = inflight.shift();
              if (c !== undefined) d.finish(c, s.end);
            } else if (s.op === 'advance') await d.clock.advance(s.ms);
            else if (s.op === 'isolate') d.breaker.isolate();
            else d.breaker.reset();
          }
          const snap = roundTrip(d.breaker.snapshot());
          const restored = new BreakerDriver({ ...options, restore: snap }, new VirtualClock(origin), false);
          expect(restored.breaker.snapshot()).toEqual(snap);
          expect(restored.breaker.state).toBe(d.breaker.state);
        },
      ),
      { numRuns: 200 },
    );
  });
});
