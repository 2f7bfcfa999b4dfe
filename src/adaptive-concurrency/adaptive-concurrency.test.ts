import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { ExecutionRejectedError, isExecutionRejectedError, OptionsValidationError } from '../core/errors';
import { pipeline } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { VirtualClock } from '../testing/virtual-clock';
import { adaptiveConcurrency, AdaptiveConcurrencyPolicy } from './adaptive-concurrency';
import { ConcurrencyLimitedError, isConcurrencyLimitedError } from './errors';
import { AdaptiveConcurrencyEvents, type AdaptiveConcurrencyEvent, type AdaptiveLimitChangedEvent } from './events';

/** A function that takes `ms` of virtual time, then resolves with `value` (or rejects with `error`). */
function work<T>(clock: VirtualClock, ms: number, value: T, error?: unknown): () => Promise<T> {
  return () => new Promise<T>((resolve, reject) => clock.setTimeout(() => (error === undefined ? resolve(value) : reject(error)), ms));
}

/** Attaches handlers so a rejection is observed; returns a getter of the settled state. */
function track<T>(p: Promise<T>): () => { settled: boolean; ok?: boolean; value?: T; error?: unknown } {
  let s: { settled: boolean; ok?: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => (s = { settled: true, ok: true, value }),
    (error: unknown) => (s = { settled: true, ok: false, error }),
  );
  return () => s;
}

/**
 * `callers` callers each run `calls` calls of `ms` virtual ms through `policy`, back to back
 * (a caller's next call starts when its previous one settles; rejections count and go on).
 */
async function load(
  clock: VirtualClock,
  policy: AdaptiveConcurrencyPolicy,
  callers: number,
  calls: number,
  fn: () => Promise<unknown>,
): Promise<{ rejected: number; failed: number }> {
  let rejected = 0;
  let failed = 0;
  const caller = async (): Promise<void> => {
    for (let i = 0; i < calls; i++) {
      try {
        await policy.execute(fn);
      } catch (error) {
        if (isConcurrencyLimitedError(error)) rejected++;
        else failed++;
      }
    }
  };
  const all = Promise.all(Array.from({ length: callers }, caller));
  await clock.runAll();
  await all;
  return { rejected, failed };
}

describe('adaptiveConcurrency', () => {
  it('runs at most `limit` calls at once and rejects the rest with ConcurrencyLimitedError', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ name: 'db', initialLimit: 2, minLimit: 1, maxLimit: 10, clock });
    const events: AdaptiveConcurrencyEvent[] = [];
    db.onEvent((e) => {
      if (e.kind === 'adaptive-concurrency') events.push(e);
    });
    const a = track(db.execute(work(clock, 10, 'a')));
    const b = track(db.execute(work(clock, 10, 'b')));
    const c = track(db.execute(work(clock, 10, 'c')));
    expect(db.inFlight).toBe(2);
    await clock.runUntilIdle();
    const error = c().error;
    expect(error).toBeInstanceOf(ConcurrencyLimitedError);
    expect(error).toBeInstanceOf(ExecutionRejectedError);
    expect(isConcurrencyLimitedError(error)).toBe(true);
    expect(isExecutionRejectedError(error)).toBe(true);
    expect(error).toMatchObject({ limiter: 'db', reason: 'full', limit: 2, partition: undefined, name: 'ConcurrencyLimitedError' });
    expect((error as Error).message).toBe('Adaptive concurrency limit "db" is full (limit 2)');
    expect(events).toEqual([expect.objectContaining({ type: 'rejected', reason: 'full', limit: 2, inFlight: 2, queued: 0, partition: undefined, policy: 'db' })]);
    await clock.advance(10);
    expect([a().value, b().value]).toEqual(['a', 'b']);
    expect(db.inFlight).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('queues up to maxQueue calls in arrival order and hands them the freed slots', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 2, clock });
    const queued: number[] = [];
    db.on('queued', (e) => queued.push(e.queued));
    const order: string[] = [];
    const step = (name: string) => async () => {
      order.push(name);
      await work(clock, 10, name)();
      return name;
    };
    const a = track(db.execute(step('a')));
    const b = track(db.execute(step('b')));
    const c = track(db.execute(step('c')));
    const d = track(db.execute(step('d')));
    await clock.runUntilIdle();
    expect(queued).toEqual([1, 2]);
    expect(db.queued).toBe(2);
    expect(d().error).toMatchObject({ reason: 'full' });
    await clock.runAll();
    expect(order).toEqual(['a', 'b', 'c']);
    expect([a().value, b().value, c().value]).toEqual(['a', 'b', 'c']);
    expect(db.stats).toMatchObject({ inFlight: 0, queued: 0, limit: 1 });
  });

  it('rejects a waiter after queueTimeout, and lets an aborted waiter leave with its reason', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 5, queueTimeout: 50, clock });
    const rejected: string[] = [];
    db.on(AdaptiveConcurrencyEvents.rejected, (e) => rejected.push(e.reason));
    const running = track(db.execute(work(clock, 100, 'slow')));
    const timedOut = track(db.execute(work(clock, 1, 'late')));
    const controller = new AbortController();
    const aborted = track(db.execute(work(clock, 1, 'never'), { signal: controller.signal }));
    await clock.advance(20);
    controller.abort(new Error('caller left'));
    await clock.runUntilIdle();
    expect(aborted().error).toEqual(new Error('caller left'));
    expect(db.queued).toBe(1);
    await clock.advance(30);
    expect(timedOut().error).toMatchObject({ reason: 'queue-timeout', message: 'Adaptive concurrency limit "adaptive-concurrency": queue wait timed out (limit 1)' });
    expect(rejected).toEqual(['queue-timeout']);
    await clock.runAll();
    expect(running().value).toBe('slow');
    expect(clock.pending).toBe(0);
    expect(timerServiceFor(clock).pending).toBe(0);
  });

  it('rejects an already aborted call without running it', async () => {
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    let ran = false;
    await expect(
      db.execute(() => {
        ran = true;
      }, { signal: controller.signal }),
    ).rejects.toEqual(new Error('gone'));
    expect(ran).toBe(false);
    expect(db.inFlight).toBe(0);
  });

  it('frees the slot of a synchronous function, and of one that throws', async () => {
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1 });
    expect(await db.execute(() => 42)).toBe(42);
    await expect(db.execute(() => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(db.inFlight).toBe(0);
    expect(await db.execute(() => 'again')).toBe('again');
  });

  it('drains queued synchronous functions in a loop, not by recursion', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: Number.POSITIVE_INFINITY, clock });
    const first = db.execute(work(clock, 5, -1));
    const rest = Array.from({ length: 20_000 }, (_, i) => db.execute(() => i));
    await clock.runAll();
    expect(await first).toBe(-1);
    expect((await Promise.all(rest)).length).toBe(20_000);
    expect(db.inFlight).toBe(0);
  });

  it('grows the limit while the dependency keeps its latency, and emits limit-changed', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 4, minLimit: 1, maxLimit: 50, maxQueue: 100, clock });
    const changes: AdaptiveLimitChangedEvent[] = [];
    db.on('limit-changed', (e) => changes.push(e));
    // 40 callers, a dependency that is never the bottleneck: 10 ms whatever the load.
    await load(clock, db, 40, 30, work(clock, 10, 1));
    expect(db.limit).toBeGreaterThan(20);
    expect(changes.length).toBeGreaterThan(0);
    for (const e of changes) {
      expect(e.limit).toBeGreaterThan(e.previous);
      expect(e.latency).toBe(10);
      expect(e.noLoadLatency).toBe(10);
    }
    expect(changes[0]).toMatchObject({ kind: 'adaptive-concurrency', type: 'limit-changed', previous: 4, partition: undefined });
    expect(db.stats.noLoadLatency).toBe(10);
  });

  it('lowers the limit when latency grows with the load (the dependency queues)', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 30, minLimit: 1, maxLimit: 50, maxQueue: 100, clock });
    // A dependency that serves 5 at once, 10 ms each: latency = 10 ms × max(1, in flight / 5).
    let inside = 0;
    const dependency = async (): Promise<void> => {
      inside++;
      const ms = 10 * Math.max(1, inside / 5);
      await work(clock, ms, undefined)();
      inside--;
    };
    await load(clock, db, 60, 40, dependency);
    expect(db.limit).toBeLessThan(20);
    expect(db.limit).toBeGreaterThanOrEqual(5);
  });

  it('does not count caller cancellations, nor errors `handle` leaves out, as samples', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 10, clock, handle: (e) => (e as Error).message === 'overloaded' });
    // Cancelled calls: the caller's signal aborts before the function settles.
    for (let i = 0; i < 40; i++) {
      const controller = new AbortController();
      const p = track(db.execute(async (ctx) => {
        await work(clock, 5, 0)();
        if (ctx.signal.aborted) throw ctx.signal.reason;
      }, { signal: controller.signal }));
      controller.abort(new Error('caller cancelled'));
      await clock.runAll();
      expect(p().ok).toBe(false);
    }
    // Errors handle does not count.
    for (let i = 0; i < 40; i++) {
      const p = track(db.execute(work(clock, 5, 0, new Error('not found'))));
      await clock.runAll();
      expect(p().error).toEqual(new Error('not found'));
    }
    expect(db.stats.noLoadLatency).toBeNaN();
    // The same calls, succeeding: they are samples.
    await load(clock, db, 2, 10, work(clock, 5, 0));
    expect(db.stats.noLoadLatency).toBe(5);
  });

  it('with aimd, backs off after a window with a failure and grows without one', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ algorithm: 'aimd', initialLimit: 10, minLimit: 1, maxLimit: 100, maxQueue: 100, clock });
    await load(clock, db, 20, 10, work(clock, 10, 0));
    const grown = db.limit;
    expect(grown).toBeGreaterThan(10);
    await load(clock, db, 20, 10, work(clock, 10, 0, new Error('overloaded')));
    expect(db.limit).toBeLessThanOrEqual(Math.floor(grown * 0.9));
  });

  it('with aimd, counts a sample slower than latencyThreshold as a drop', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ algorithm: { kind: 'aimd', latencyThreshold: 50 }, initialLimit: 10, minLimit: 1, maxLimit: 100, maxQueue: 100, clock });
    await load(clock, db, 20, 10, work(clock, 80, 0));
    expect(db.limit).toBeLessThan(10);
  });

  it('with handleResult, counts a returned value as a drop', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency<{ status: number }>({
      algorithm: 'aimd',
      initialLimit: 10,
      minLimit: 1,
      maxLimit: 100,
      maxQueue: 100,
      clock,
      handleResult: (r) => r.status === 503,
    });
    await load(clock, db, 20, 10, work(clock, 10, { status: 503 }));
    expect(db.limit).toBeLessThan(10);
  });

  it('times an uncontended call only one time in 32: no clock read on the fast path', async () => {
    let reads = 0;
    const clock: Clock = {
      now: () => {
        reads++;
        return 0;
      },
      setTimeout: () => undefined,
      clearTimeout: () => undefined,
    };
    const db = adaptiveConcurrency({ initialLimit: 20, minLimit: 1, maxLimit: 100, clock });
    for (let i = 0; i < 320; i++) await db.execute(() => i);
    expect(reads).toBe(20); // 10 timed calls, two reads each
  });

  it('admits nothing while more calls are in flight than a lowered limit', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ algorithm: { kind: 'aimd', backoffRatio: 0.5 }, initialLimit: 20, minLimit: 1, maxLimit: 20, clock });
    const overloaded = new Error('overloaded');
    // Wave 1: 20 failing calls; the 11 admitted with ≥ 10 in flight are timed.
    const wave1 = Array.from({ length: 20 }, () => track(db.execute(work(clock, 10, 0, overloaded))));
    await clock.runAll();
    expect(wave1.every((s) => s().error === overloaded)).toBe(true);
    expect(db.limit).toBe(20);
    // Wave 2: 11 slow calls, then 9 that fail fast and close the window (20 samples).
    const slow = Array.from({ length: 11 }, () => track(db.execute(work(clock, 100, 'slow'))));
    const fast = Array.from({ length: 9 }, () => track(db.execute(work(clock, 1, 0, overloaded))));
    await clock.advance(1);
    expect(fast.every((s) => s().settled)).toBe(true);
    expect(db.limit).toBe(10);
    expect(db.inFlight).toBe(11);
    const refused = track(db.execute(work(clock, 1, 'refused')));
    await clock.runUntilIdle();
    expect(refused().error).toMatchObject({ reason: 'full', limit: 10 });
    await clock.runAll();
    expect(slow.every((s) => s().value === 'slow')).toBe(true);
    expect(await db.execute(() => 'admitted again')).toBe('admitted again');
  });

  it('describes itself with its algorithm and tuning', () => {
    expect(adaptiveConcurrency({ name: 'db', initialLimit: 5, minLimit: 1, maxLimit: 10, maxQueue: 3 }).describe()).toEqual({
      kind: 'adaptive-concurrency',
      name: 'db',
      options: {
        algorithm: 'gradient2',
        tolerance: 1.5,
        smoothing: 0.2,
        queueSize: 'sqrt(limit)',
        initialLimit: 5,
        minLimit: 1,
        maxLimit: 10,
        maxQueue: 3,
        queueTimeout: Number.POSITIVE_INFINITY,
      },
    });
    expect(adaptiveConcurrency({ algorithm: { kind: 'vegas', alpha: 2, beta: 4 }, initialLimit: 5, minLimit: 1, maxLimit: 10 }).describe().options).toMatchObject({
      algorithm: 'vegas',
      alpha: 2,
      beta: 4,
      smoothing: 1,
    });
  });

  it('validates its options at construction', () => {
    expect(() => adaptiveConcurrency({ initialLimit: 0, minLimit: 1, maxLimit: 10 })).toThrow(OptionsValidationError);
  });

  it('keeps time on its own clock: a pipeline on another clock is refused', () => {
    const db = adaptiveConcurrency({ initialLimit: 5, minLimit: 1, maxLimit: 10, clock: new VirtualClock() });
    expect(() => pipeline({ clock: new VirtualClock() }, db)).toThrow(OptionsValidationError);
    expect(() => pipeline(db)).not.toThrow();
  });
});
