/**
 * Rules of the circuit breaker that the mutation run (issue #23) found unpinned: late
 * probes nobody took the slot of, the exact `probeTimeout` and `slowCallDuration` edges, a
 * `recoveryTimeout` function answering 0, the time a time window records without a
 * listener, and what `isolate()` reports from a due half-open.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokenCircuitError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker, type CircuitBreakerPolicy } from './circuit-breaker';
import { CircuitBreakerEvents, type CircuitBreakerEvent } from './events';
import { signalsOfSettledCalls } from '../../test/support/promises';

const fail = (): never => {
  throw new Error('boom');
};

/** A promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A function that takes `ms` of virtual time, then returns `value` or throws. */
function lasting(clock: VirtualClock, ms: number, ok = true): () => Promise<string> {
  return () => new Promise((resolve, reject) => clock.setTimeout(() => (ok ? resolve('done') : reject(new Error('slow failure'))), ms));
}

function record(breaker: CircuitBreakerPolicy): CircuitBreakerEvent[] {
  const events: CircuitBreakerEvent[] = [];
  breaker.onEvent((e) => {
    if (e.kind === 'circuit-breaker') events.push(e);
  });
  return events;
}

/** A breaker opened by one failure and now due to half-open (recovery 10 ms). */
async function halfOpenBreaker(clock: VirtualClock, probeTimeout: number): Promise<CircuitBreakerPolicy> {
  const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10, halfOpen: { probeTimeout } });
  await expect(breaker.execute(fail)).rejects.toThrow('boom');
  await clock.advance(10);
  expect(breaker.state).toBe('half-open');
  return breaker;
}

describe('circuit breaker: late probes', () => {
  it('a late probe success whose slot nobody took does not close the breaker (no listener)', async () => {
    const clock = new VirtualClock();
    const breaker = await halfOpenBreaker(clock, 100);
    const late = deferred<string>();
    const p = breaker.execute(() => late.promise);
    await clock.advance(150); // past probeTimeout; no other call came to take the slot
    late.resolve('late');
    await expect(p).resolves.toBe('late');
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats).toMatchObject({ probeSuccesses: 0, activeProbes: 0 });
    await expect(breaker.execute(() => 'fresh')).resolves.toBe('fresh'); // the slot is free: a new probe runs
    expect(breaker.state).toBe('closed');
  });

  it('a late probe failure whose slot nobody took does not reopen the breaker (no listener)', async () => {
    const clock = new VirtualClock();
    const breaker = await halfOpenBreaker(clock, 100);
    const late = deferred<string>();
    const p = breaker.execute(() => late.promise);
    await clock.advance(150);
    late.reject(new Error('late'));
    await expect(p).rejects.toThrow('late');
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats.consecutiveOpens).toBe(1);
  });

  it('a probe that lasts exactly probeTimeout does not count; one that lasts 1 ms less does', async () => {
    const clock = new VirtualClock();
    const exact = await halfOpenBreaker(clock, 100);
    const run = exact.execute(lasting(clock, 100));
    await clock.advance(100);
    await expect(run).resolves.toBe('done');
    expect(exact.state).toBe('half-open');

    const onTime = await halfOpenBreaker(clock, 100);
    const ok = onTime.execute(lasting(clock, 99));
    await clock.advance(99);
    await expect(ok).resolves.toBe('done');
    expect(onTime.state).toBe('closed');

    const failsOnTime = await halfOpenBreaker(clock, 100);
    const bad = failsOnTime.execute(lasting(clock, 99, false)).catch((e: unknown) => e);
    await clock.advance(99);
    expect(await bad).toMatchObject({ message: 'slow failure' });
    expect(failsOnTime.state).toBe('open');
  });

  it('property: a probe result counts iff it comes in under probeTimeout', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 1_000 }), async (probeTimeout, took) => {
        const clock = new VirtualClock();
        const breaker = await halfOpenBreaker(clock, probeTimeout);
        const p = breaker.execute(lasting(clock, took));
        await clock.advance(took);
        await p;
        expect(breaker.state).toBe(took < probeTimeout ? 'closed' : 'half-open');
      }),
      { numRuns: 60 },
    );
  });

  it('activeProbes counts a probe until exactly probeTimeout', async () => {
    const clock = new VirtualClock();
    const breaker = await halfOpenBreaker(clock, 100);
    const hung = deferred<string>();
    const p = breaker.execute(() => hung.promise);
    await clock.advance(99);
    expect(breaker.stats.activeProbes).toBe(1);
    await clock.advance(1);
    expect(breaker.stats.activeProbes).toBe(0);
    hung.resolve('x');
    await p;
  });

  it('a listener hears the late probe with its real duration, and the state still does not move', async () => {
    const clock = new VirtualClock();
    const breaker = await halfOpenBreaker(clock, 100);
    const events = record(breaker);
    const late = deferred<string>();
    const p = breaker.execute(() => late.promise);
    await clock.advance(150);
    late.resolve('late');
    await p;
    expect(events.filter((e) => e.type === 'success')).toMatchObject([{ duration: 150, slow: false }]);
    expect(events.some((e) => e.type === 'closed')).toBe(false);
  });
});

describe('circuit breaker: recovery timeout', () => {
  it('a recoveryTimeout function returning 0 half-opens at once', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: () => 0 });
    const events = record(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(events.find((e) => e.type === 'opened')).toMatchObject({ retryAfter: 0, reason: 'failures', from: 'closed' });
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
  });

  it('property: a recoveryTimeout function answer r ≥ 0 opens for exactly r ms', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 100_000 }), async (r) => {
        const clock = new VirtualClock();
        const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: () => r });
        await expect(breaker.execute(fail)).rejects.toThrow('boom');
        if (r > 0) {
          await expect(breaker.execute(() => 1)).rejects.toMatchObject({ state: 'open', retryAfter: r });
          await clock.advance(r - 1);
          expect(breaker.state).toBe('open');
          await clock.advance(1);
        }
        expect(breaker.state).toBe('half-open');
      }),
      { numRuns: 50 },
    );
  });

  it('an open rejection carries the time left; an isolated one Infinity; each with its state', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1_000 });
    const events = record(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await clock.advance(250);
    const open = await breaker.execute(() => 1).catch((e: unknown) => e);
    expect(open).toBeInstanceOf(BrokenCircuitError);
    expect(open).toMatchObject({ state: 'open', retryAfter: 750 });
    breaker.isolate();
    await expect(breaker.execute(() => 1)).rejects.toMatchObject({ state: 'isolated', retryAfter: Number.POSITIVE_INFINITY });
    expect(events.filter((e) => e.type === 'rejected')).toMatchObject([
      { state: 'open', retryAfter: 750 },
      { state: 'isolated', retryAfter: Number.POSITIVE_INFINITY },
    ]);
  });
});

describe('circuit breaker: isolate() and reset() from a due half-open', () => {
  it('isolate() first applies the due half-open (heard), then opens from half-open', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await clock.advance(100);
    const events = record(breaker); // added after the timeout elapsed: it does not hear that half-open
    breaker.isolate();
    expect(events.map((e) => e.type)).toEqual(['opened']);
    expect(events[0]).toMatchObject({ reason: 'isolated', from: 'half-open', retryAfter: Number.POSITIVE_INFINITY, pipeline: undefined });
    expect(breaker.state).toBe('isolated');
    breaker.reset();
    expect(events.at(-1)).toMatchObject({ type: 'closed', reason: 'reset', from: 'isolated' });
    expect(breaker.stats.consecutiveOpens).toBe(0);
  });

  it('isolate() on an open breaker whose timeout elapsed unheard emits half-opened first to a listener that was there', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    const seen: string[] = [];
    breaker.on('opened', (e) => seen.push(`opened from ${e.from}`));
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await clock.advance(100); // no timer: only an `opened` listener, nobody hears half-opened
    breaker.isolate();
    expect(seen).toEqual(['opened from closed', 'opened from half-open']);
  });

  it('reset() of a closed breaker emits nothing and keeps it closed', () => {
    const breaker = circuitBreaker({ clock: new VirtualClock() });
    const events = record(breaker);
    breaker.reset();
    expect(events).toEqual([]);
    expect(breaker.state).toBe('closed');
  });
});

describe('circuit breaker: slow calls', () => {
  it('a closed-state call lasting exactly slowCallDuration is slow; 1 ms less is not', async () => {
    const clock = new VirtualClock();
    const make = (): CircuitBreakerPolicy =>
      circuitBreaker({ clock, window: { kind: 'count', size: 2 }, slowCallDuration: 100, slowCallRateThreshold: 1, failureRateThreshold: 1 });
    const slow = make();
    for (let i = 0; i < 2; i++) {
      const p = slow.execute(lasting(clock, 100));
      await clock.advance(100);
      await p;
    }
    expect(slow.state).toBe('open');
    const fast = make();
    for (let i = 0; i < 2; i++) {
      const p = fast.execute(lasting(clock, 99));
      await clock.advance(99);
      await p;
    }
    expect(fast.state).toBe('closed');
    expect(fast.stats).toMatchObject({ calls: 2, slowCalls: 0 });
  });

  it('opens on a slow-call rate equal to the threshold, with reason slow-call-rate', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, window: { kind: 'count', size: 4 }, slowCallDuration: 50, slowCallRateThreshold: 0.5, failureRateThreshold: 1 });
    const events = record(breaker);
    await breaker.execute(() => 'fast');
    await breaker.execute(() => 'fast');
    const a = breaker.execute(lasting(clock, 60));
    await clock.advance(60);
    await a;
    expect(breaker.state).toBe('closed'); // 1 slow of 3
    const b = breaker.execute(lasting(clock, 50));
    await clock.advance(50);
    await b;
    expect(events.find((e) => e.type === 'opened')).toMatchObject({ reason: 'slow-call-rate', from: 'closed' });
  });
});

describe('circuit breaker: a time window without listeners', () => {
  it('records each call at the time it ends, so old failures leave the window', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, window: { kind: 'time', duration: 1_000, buckets: 10 }, minimumThroughput: 2, failureRateThreshold: 0.5 });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await clock.advance(1_500);
    await expect(breaker.execute(() => 'ok')).resolves.toBe('ok');
    expect(breaker.state).toBe('closed'); // the failure at 0 is out of the window: 0 of 1 failed
    expect(breaker.stats).toMatchObject({ calls: 1, failures: 0 });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open'); // 1 of 2 within the window
  });
});

describe('circuit breaker: listeners and signals', () => {
  it('disposing a half-opened listener twice counts once: a later listener still gets the recovery timer', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    const first = breaker.on('half-opened', () => undefined);
    first.dispose();
    first.dispose();
    const heard: number[] = [];
    breaker.on('half-opened', (e) => heard.push(e.time));
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(clock.pending).toBe(1);
    await clock.advance(100); // no call: only the timer can emit it
    expect(heard).toEqual([100]);
  });

  it('closed and alone, the signal the call read aborts once it settles (abortOnSettle), success or failure', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock() });
    const signals = await signalsOfSettledCalls(breaker);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });
});

describe('circuit breaker: event names and payloads', () => {
  it('each name in CircuitBreakerEvents selects the event of that type', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10 });
    const heard: string[] = [];
    for (const name of [
      CircuitBreakerEvents.opened,
      CircuitBreakerEvents.halfOpened,
      CircuitBreakerEvents.closed,
      CircuitBreakerEvents.rejected,
      CircuitBreakerEvents.success,
      CircuitBreakerEvents.failure,
    ]) {
      breaker.on(name, (e) => heard.push(`${name}=${e.type}`));
    }
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await expect(breaker.execute(() => 1)).rejects.toBeInstanceOf(BrokenCircuitError);
    await clock.advance(10);
    await breaker.execute(() => 1);
    expect(heard).toEqual([
      'failure=failure',
      'opened=opened',
      'rejected=rejected',
      'half-opened=half-opened',
      'success=success',
      'closed=closed',
    ]);
    expect([CircuitBreakerEvents.fleetSynced, CircuitBreakerEvents.fleetDegraded]).toEqual(['fleet-synced', 'fleet-degraded']);
  });

  it('a failure flagged by handleResult carries the result and no error', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), handleResult: (status: number) => status >= 500 });
    const events = record(breaker);
    await expect(breaker.execute(() => 503)).resolves.toBe(503);
    expect(events).toMatchObject([{ type: 'failure', error: undefined, result: 503, slow: false }]);
    expect('result' in (events[0] as object)).toBe(true);
  });
});

describe('circuit breaker: restoring probe successes', () => {
  it('only a half-open snapshot brings its probe successes back', () => {
    const base = { version: 1, openedFor: 0, recoveryTimeout: 0, consecutiveOpens: 1, consecutiveFailures: 0, probeSuccesses: 2, window: null } as const;
    const halfOpen = circuitBreaker({ clock: new VirtualClock(), halfOpen: { successThreshold: 3 }, restore: { ...base, state: 'half-open' } });
    expect(halfOpen.stats.probeSuccesses).toBe(2);
    for (const state of ['closed', 'isolated'] as const) {
      const breaker = circuitBreaker({ clock: new VirtualClock(), halfOpen: { successThreshold: 3 }, restore: { ...base, state } });
      expect(breaker.stats).toMatchObject({ state, probeSuccesses: 0 });
    }
  });
});
