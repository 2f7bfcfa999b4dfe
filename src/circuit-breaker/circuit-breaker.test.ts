import { describe, expect, it, vi } from 'vitest';
import type { Clock } from '../core/clock';
import { BrokenCircuitError, isBrokenCircuitError } from '../core/errors';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker, type CircuitBreakerPolicy } from './circuit-breaker';
import type { CircuitBreakerEvent } from './events';
import { CircuitBreakerEvents } from './events';

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

/** A clock that counts `now()` reads. */
function countingClock(inner = new VirtualClock()): Clock & { reads: number; inner: VirtualClock } {
  const c = {
    reads: 0,
    inner,
    now() {
      c.reads++;
      return inner.now();
    },
    setTimeout: (fn: () => void, ms: number) => inner.setTimeout(fn, ms),
    clearTimeout: (h: unknown) => inner.clearTimeout(h),
  };
  return c;
}

function record(breaker: CircuitBreakerPolicy): CircuitBreakerEvent[] {
  const events: CircuitBreakerEvent[] = [];
  breaker.onEvent((e) => {
    if (e.kind === 'circuit-breaker') events.push(e);
  });
  return events;
}

describe('circuitBreaker: consecutive failures', () => {
  it('opens after failureThreshold (default 5) consecutive failures and rejects without running', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock });
    for (let i = 0; i < 4; i++) await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    const fn = vi.fn();
    const error = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(error).toMatchObject({ breaker: 'circuit-breaker', state: 'open', retryAfter: 60_000, code: 'ERR_BROKEN_CIRCUIT' });
  });

  it('a success resets the count; an unhandled error neither counts nor resets', async () => {
    const clock = new VirtualClock();
    class Benign extends Error {}
    const breaker = circuitBreaker({ clock, failureThreshold: 3, handle: (e) => !(e instanceof Benign) });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    await breaker.execute(() => 1);
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(() => { throw new Benign(); })).rejects.toBeInstanceOf(Benign);
    expect(breaker.stats.consecutiveFailures).toBe(2);
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
  });

  it('handleResult flags returned values as failures (the value is still returned)', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 2, handleResult: (r: { status: number }) => r.status >= 500 });
    const events = record(breaker);
    await expect(breaker.execute(() => ({ status: 503 }))).resolves.toEqual({ status: 503 });
    await expect(breaker.execute(() => ({ status: 200 }))).resolves.toEqual({ status: 200 });
    await breaker.execute(() => ({ status: 500 }));
    await breaker.execute(() => ({ status: 502 }));
    expect(breaker.state).toBe('open');
    expect(events.filter((e) => e.type === 'failure')[0]).toMatchObject({ type: 'failure', error: undefined, result: { status: 503 }, slow: false });
  });

  it('caller cancellation is never a failure', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1 });
    const ac = new AbortController();
    const p = breaker.execute(async () => {
      ac.abort(new Error('caller gave up'));
      throw new Error('aborted');
    }, { signal: ac.signal });
    await expect(p).rejects.toThrow('aborted');
    expect(breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: open, half-open, closed', () => {
  it('turns half-open once time since opening is ≥ recoveryTimeout, and retryAfter counts down', async () => {
    const clock = new VirtualClock(1_000);
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 500 });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(200);
    await expect(breaker.execute(() => 1)).rejects.toMatchObject({ state: 'open', retryAfter: 300 });
    await clock.advance(299);
    expect(breaker.state).toBe('open');
    await clock.advance(1);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
  });

  it('a failed probe reopens; a growing recoveryTimeout gets the consecutive-open count', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const breaker = circuitBreaker({
      clock,
      failureThreshold: 1,
      recoveryTimeout: (n) => {
        seen.push(n);
        return Math.min(100 * 2 ** (n - 1), 300);
      },
    });
    const events = record(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(100);
    await expect(breaker.execute(fail)).rejects.toThrow('boom'); // probe fails
    await expect(breaker.execute(() => 1)).rejects.toMatchObject({ retryAfter: 200 });
    await clock.advance(200);
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await clock.advance(299);
    await expect(breaker.execute(() => 1)).rejects.toMatchObject({ retryAfter: 1 });
    await clock.advance(1);
    await breaker.execute(() => 1);
    expect(seen).toEqual([1, 2, 3]);
    expect(breaker.stats.consecutiveOpens).toBe(0);
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(seen).toEqual([1, 2, 3, 1]);
    expect(events.filter((e) => e.type === 'opened').map((e) => [e.type === 'opened' && e.reason, e.type === 'opened' && e.retryAfter])).toEqual([
      ['failures', 100],
      ['probe-failed', 200],
      ['probe-failed', 300],
      ['failures', 100],
    ]);
  });

  it('a recoveryTimeout function that throws or returns garbage counts as 60 000 ms', async () => {
    const clock = new VirtualClock();
    const errorSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const throwing = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: () => { throw new Error('bad'); } });
    await expect(throwing.execute(fail)).rejects.toThrow();
    await expect(throwing.execute(() => 1)).rejects.toMatchObject({ retryAfter: 60_000 });
    expect(errorSpy).toHaveBeenCalledTimes(1);
    errorSpy.mockRestore();
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      const b = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: () => bad });
      await expect(b.execute(fail)).rejects.toThrow();
      await expect(b.execute(() => 1)).rejects.toMatchObject({ retryAfter: 60_000 });
    }
  });

  it('half-open admits at most maxProbes concurrent probes, rejects the rest, closes after successThreshold', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10, halfOpen: { maxProbes: 2, successThreshold: 3 } });
    const events = record(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(10);
    const a = deferred<string>();
    const b = deferred<string>();
    const pa = breaker.execute(() => a.promise);
    const pb = breaker.execute(() => b.promise);
    await expect(breaker.execute(() => 'c')).rejects.toMatchObject({ state: 'half-open', retryAfter: 0 });
    expect(breaker.stats.activeProbes).toBe(2);
    a.resolve('a');
    await expect(pa).resolves.toBe('a');
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(() => 'd')).resolves.toBe('d'); // permit freed by a
    expect(breaker.stats.probeSuccesses).toBe(2);
    b.resolve('b');
    await expect(pb).resolves.toBe('b');
    expect(breaker.state).toBe('closed');
    expect(events.filter((e) => e.type === 'opened' || e.type === 'half-opened' || e.type === 'closed').map((e) => e.type)).toEqual([
      'opened',
      'half-opened',
      'closed',
    ]);
    expect(events.find((e) => e.type === 'closed')).toMatchObject({ reason: 'probes-succeeded', from: 'half-open' });
  });

  it('a probe that hangs past probeTimeout loses its permit; its late result changes nothing', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10, halfOpen: { probeTimeout: 1_000 } });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(10);
    const hung = deferred<string>();
    const ph = breaker.execute(() => hung.promise);
    await clock.advance(999);
    await expect(breaker.execute(() => 1)).rejects.toMatchObject({ state: 'half-open' });
    await clock.advance(1);
    expect(breaker.stats.activeProbes).toBe(0);
    const next = deferred<string>();
    const pn = breaker.execute(() => next.promise); // takes the expired permit
    hung.reject(new Error('late failure'));
    await expect(ph).rejects.toThrow('late failure');
    expect(breaker.state).toBe('half-open'); // not reopened by the late failure
    next.resolve('ok');
    await pn;
    expect(breaker.state).toBe('closed');
  });

  it('an unhandled error of a probe gives its permit back without counting', async () => {
    const clock = new VirtualClock();
    class Benign extends Error {}
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 0, handle: (e) => !(e instanceof Benign) });
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(() => { throw new Benign(); })).rejects.toBeInstanceOf(Benign);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(() => 1);
    expect(breaker.state).toBe('closed');
  });

  it('a slow probe counts as a failed probe when a slow-call rule is set', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, window: { kind: 'count', size: 1 }, slowCallDuration: 100, recoveryTimeout: 0 });
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('half-open');
    const slow = breaker.execute(() => new Promise((r) => clock.setTimeout(() => r('x'), 100)));
    await clock.advance(100);
    await slow;
    expect(breaker.state).toBe('half-open'); // reopened, and recoveryTimeout 0 made it half-open again
    expect(breaker.stats.consecutiveOpens).toBe(2);
  });

  it('calls that started before a transition do not count after it', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 2, recoveryTimeout: 100 });
    const slowFailure = deferred<never>();
    const p = breaker.execute(() => slowFailure.promise);
    await expect(breaker.execute(fail)).rejects.toThrow();
    await expect(breaker.execute(fail)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    await breaker.execute(() => 1); // probe succeeds: closed
    slowFailure.reject(new Error('old'));
    await expect(p).rejects.toThrow('old');
    expect(breaker.stats.consecutiveFailures).toBe(0);
  });
});

describe('circuitBreaker: isolate and reset', () => {
  it('isolate() holds it open (retryAfter Infinity) until reset(); events once per transition', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, name: 'redis' });
    const events = record(breaker);
    breaker.isolate();
    breaker.isolate();
    await clock.advance(10 ** 9);
    expect(breaker.state).toBe('isolated');
    await expect(breaker.execute(() => 1)).rejects.toMatchObject({ breaker: 'redis', state: 'isolated', retryAfter: Number.POSITIVE_INFINITY });
    breaker.reset();
    breaker.reset();
    await expect(breaker.execute(() => 1)).resolves.toBe(1);
    expect(events.map((e) => e.type)).toEqual(['opened', 'rejected', 'closed', 'success']);
    expect(events[0]).toMatchObject({ kind: 'circuit-breaker', policy: 'redis', reason: 'isolated', from: 'closed', retryAfter: Number.POSITIVE_INFINITY, pipeline: undefined });
    expect(events[2]).toMatchObject({ reason: 'reset', from: 'isolated' });
  });

  it('reset() from open clears counts and the open count; a due half-open is emitted first', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 50 });
    const events = record(breaker);
    await expect(breaker.execute(fail)).rejects.toThrow();
    await clock.advance(50);
    breaker.reset();
    expect(events.filter((e) => e.type !== 'failure').map((e) => (e.type === 'closed' ? `closed:${e.from}` : e.type))).toEqual([
      'opened',
      'half-opened',
      'closed:half-open',
    ]);
    expect(breaker.stats).toMatchObject({ state: 'closed', consecutiveOpens: 0, consecutiveFailures: 0 });
  });
});

describe('circuitBreaker: events', () => {
  it('emits success/failure with duration and slow, rejected with state and retryAfter, inside a pipeline', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, name: 'cdn', window: { kind: 'count', size: 4 }, minimumThroughput: 2, slowCallDuration: 50 });
    const p = pipeline({ name: 'assets' }, breaker);
    const seen: CircuitBreakerEvent[] = [];
    p.onEvent((e) => {
      if (e.kind === 'circuit-breaker') seen.push(e as CircuitBreakerEvent);
    });
    const slowOk = p.execute(async () => {
      await new Promise<void>((r) => clock.setTimeout(r, 60));
      return 1;
    }, { operation: 'asset.load' });
    await clock.advance(60);
    await slowOk;
    await expect(p.execute(fail, { operation: 'asset.load' })).rejects.toThrow();
    await expect(p.execute(() => 1, { operation: 'asset.load' })).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(seen.map((e) => e.type)).toEqual([CircuitBreakerEvents.success, CircuitBreakerEvents.failure, CircuitBreakerEvents.opened, CircuitBreakerEvents.rejected]);
    expect(seen[0]).toMatchObject({ duration: 60, slow: true, pipeline: 'assets', operation: 'asset.load', policy: 'cdn' });
    expect(seen[1]).toMatchObject({ duration: 0, slow: false });
    expect((seen[1] as { error: Error }).error.message).toBe('boom');
    expect(seen[2]).toMatchObject({ reason: 'failure-rate', from: 'closed', retryAfter: 60_000 });
    expect(seen[3]).toMatchObject({ state: 'open', retryAfter: 60_000 });
  });

  it('opens on the slow-call rate with reason slow-call-rate', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, window: { kind: 'count', size: 2 }, slowCallDuration: 10, slowCallRateThreshold: 0.5 });
    const events = record(breaker);
    const slow = breaker.execute(() => new Promise((r) => clock.setTimeout(() => r(1), 10)));
    await clock.advance(10);
    await slow;
    expect(breaker.state).toBe('closed');
    await breaker.execute(() => 2);
    expect(breaker.state).toBe('open');
    expect(events.find((e) => e.type === 'opened')).toMatchObject({ reason: 'slow-call-rate' });
  });
});

describe('circuitBreaker: costs', () => {
  it('reads no clock on the closed success path of the consecutive rule, and owns no timers', async () => {
    const clock = countingClock();
    const breaker = circuitBreaker({ clock });
    for (let i = 0; i < 100; i++) await breaker.execute(() => i);
    for (let i = 0; i < 3; i++) await breaker.execute(fail).catch(() => {});
    expect(clock.reads).toBe(0);
    expect(clock.inner.pending).toBe(0);
  });

  it('reads the clock once per rejection while open; the rejection carries no stack frames', async () => {
    const clock = countingClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1 });
    await breaker.execute(fail).catch(() => {});
    const before = clock.reads;
    const errors: unknown[] = [];
    for (let i = 0; i < 10; i++) errors.push(await breaker.execute(() => 1).catch((e: unknown) => e));
    expect(clock.reads - before).toBe(10);
    const stack = (errors[0] as Error).stack ?? '';
    expect(stack).not.toMatch(/\n\s+at /);
    expect(clock.inner.pending).toBe(0);
  });
});

describe('circuitBreaker: describe and stats', () => {
  it('describes its effective options', () => {
    expect(circuitBreaker().describe()).toEqual({
      kind: 'circuit-breaker',
      name: 'circuit-breaker',
      options: { failureThreshold: 5, recoveryTimeout: 60_000, halfOpen: { maxProbes: 1, successThreshold: 1, probeTimeout: 60_000 } },
    });
    expect(circuitBreaker({ window: { kind: 'time', duration: 1_000 }, recoveryTimeout: function grow() { return 1; } }).describe().options).toEqual({
      window: { kind: 'time', duration: 1_000, buckets: 10 },
      minimumThroughput: 10,
      failureRateThreshold: 0.5,
      recoveryTimeout: 'function grow',
      halfOpen: { maxProbes: 1, successThreshold: 1, probeTimeout: 60_000 },
    });
    expect(circuitBreaker({ window: { kind: 'count', size: 4 } }).describe().options['minimumThroughput']).toBe(4);
  });

  it('reports window counts and rates', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, window: { kind: 'count', size: 4 }, failureRateThreshold: 1 });
    await breaker.execute(() => 1);
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(() => 1);
    expect(breaker.stats).toEqual({
      state: 'closed',
      rule: 'count',
      consecutiveFailures: 0,
      calls: 3,
      failures: 1,
      slowCalls: 0,
      failureRate: 1 / 3,
      slowCallRate: 0,
      consecutiveOpens: 0,
      activeProbes: 0,
      probeSuccesses: 0,
    });
    expect(circuitBreaker().stats).toMatchObject({ rule: 'consecutive', calls: 0, failureRate: 0 });
  });
});
