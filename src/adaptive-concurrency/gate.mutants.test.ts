/**
 * Rules of the adaptive limit's gate that the policy tests leave unpinned (issue #23, mutation
 * testing): the promise-native path of a limiter running alone (nobody listening) keeps the
 * limit, times and frees its calls like the chain does; calls with exactly half of the limit
 * in flight are timed on both paths, one in 32 below; a freed slot goes to one waiter; a slot is
 * freed once even when the inner chain settles twice; waiters leave no queue timer behind; no
 * event is built when nobody listens and `limit-changed` only when the limit moved; and a
 * partition lives exactly while it has calls in flight or waiting. Every timed test runs on the
 * virtual clock.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import type { Done } from '../core/outcome';
import { pipeline, StrategyPolicy, type Link } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { VirtualClock } from '../testing/virtual-clock';
import { DoubleDonePolicy, SettleProbe } from '../../test/support/test-strategies';
import { adaptiveConcurrency, type AdaptiveConcurrencyPolicy } from './adaptive-concurrency';
import { isConcurrencyLimitedError } from './errors';
import type { AdaptiveLimitChangedEvent } from './events';

/** A function that takes `ms` of virtual time, then resolves with `value`. */
function work<T>(clock: VirtualClock, ms: number, value: T): () => Promise<T> {
  return () => new Promise<T>((resolve) => clock.setTimeout(() => resolve(value), ms));
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

/** Runs `count` calls of `ms` one after the other (each alone in flight). */
async function oneByOne(clock: VirtualClock, db: AdaptiveConcurrencyPolicy, count: number, ms: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const call = db.execute(work(clock, ms, i));
    await clock.runAll();
    await call;
  }
}

/** An inner strategy that holds each call until the test settles it (`settleNext`), without running the function. */
class HeldPolicy extends StrategyPolicy<never> {
  readonly held: Done[] = [];
  constructor(clock: VirtualClock) {
    super({ kind: 'test-held', name: 'test-held', clock });
  }
  run(_ctx: ExecutionContext, _link: Link, done: Done): void {
    this.held.push(done);
  }
  settleNext(value: unknown): void {
    this.held.shift()?.({ ok: true, value });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

describe('a limiter running alone (nobody listening: the promise-native path)', () => {
  it('runs at most `limit` calls at once: one over the limit is rejected without running', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 2, clock });
    const a = track(db.execute(work(clock, 10, 'a')));
    const b = track(db.execute(work(clock, 10, 'b')));
    const ran = vi.fn(work(clock, 10, 'c'));
    const c = track(db.execute(ran));
    expect(db.inFlight).toBe(2);
    await clock.runUntilIdle();
    expect(isConcurrencyLimitedError(c().error)).toBe(true);
    expect(c().error).toMatchObject({ reason: 'full', limit: 2 });
    expect(ran).not.toHaveBeenCalled();
    await clock.runAll();
    expect([a().value, b().value]).toEqual(['a', 'b']);
    expect(db.inFlight).toBe(0);
  });

  it('an untimed call (fewer than half of the limit in flight) gives its value or its error, and frees its slot either way', async () => {
    const db = adaptiveConcurrency({ initialLimit: 20, minLimit: 1, maxLimit: 20 });
    const boom = new Error('boom');
    expect(await db.execute(() => 7)).toBe(7);
    expect(await db.execute(() => Promise.resolve('async'))).toBe('async');
    await expect(
      db.execute(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(db.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(db.inFlight).toBe(0);
    expect(db.stats.noLoadLatency).toBeNaN(); // none of them was timed
  });

  it('times a call admitted with exactly half of the limit in flight', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 2, clock });
    await oneByOne(clock, db, 10, 5); // one in flight of a limit of 2: every call is timed, 10 close a window
    expect(db.stats.noLoadLatency).toBe(5);
  });

  it('a timed call that moves the limit still gives its value', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ algorithm: 'aimd', initialLimit: 1, minLimit: 1, maxLimit: 10, clock });
    const values: number[] = [];
    for (let i = 0; i < 10; i++) {
      const call = db.execute(work(clock, 5, i));
      await clock.runAll();
      values.push(await call);
    }
    expect(db.limit).toBe(2);
    expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('which calls are timed, in a chain (someone listens)', () => {
  it('a call admitted with exactly half of the limit in flight', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 2, clock });
    db.on('rejected', () => undefined);
    await oneByOne(clock, db, 10, 5);
    expect(db.stats.noLoadLatency).toBe(5);
  });

  it('below half of the limit, one call in 32: with a limit of 10, the tenth timed call (the 320th) closes the first window', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 10, minLimit: 1, maxLimit: 10, clock });
    db.on('rejected', () => undefined);
    await oneByOne(clock, db, 319, 1);
    expect(db.stats.noLoadLatency).toBeNaN();
    await oneByOne(clock, db, 1, 1);
    expect(db.stats.noLoadLatency).toBe(1);
  });
});

describe('events', () => {
  it('nobody listening: a rejection, a queued call and a new limit build no event', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ algorithm: 'aimd', initialLimit: 1, minLimit: 1, maxLimit: 10, maxQueue: 1, clock });
    const emit = vi.spyOn(db.events, 'emit');
    const first = track(db.execute(work(clock, 5, 0)));
    const queued = track(db.execute(work(clock, 5, 1)));
    const rejected = track(db.execute(work(clock, 5, 2)));
    await clock.runAll();
    expect([first().value, queued().value]).toEqual([0, 1]);
    expect(rejected().error).toMatchObject({ reason: 'full' });
    // queued calls are admitted by the chain (with its link): 20 of them close two windows, the limit moves
    for (let round = 0; round < 10; round++) {
      const calls = [track(db.execute(work(clock, 5, 0))), track(db.execute(work(clock, 5, 1)))];
      await clock.runAll();
      expect(calls.every((c) => c().ok)).toBe(true);
    }
    expect(db.limit).toBeGreaterThan(1);
    expect(emit).not.toHaveBeenCalled();
  });

  it('limit-changed only when a window moved the limit', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ algorithm: 'aimd', initialLimit: 1, minLimit: 1, maxLimit: 1, clock });
    const changes: AdaptiveLimitChangedEvent[] = [];
    db.on('limit-changed', (e) => changes.push(e));
    await oneByOne(clock, db, 30, 5); // three windows; aimd proposes 2, clamped to 1
    expect(db.stats.noLoadLatency).toBe(5);
    expect(changes).toEqual([]);
  });
});

describe('slots and waiters', () => {
  it('a freed slot goes to one waiter; the others keep waiting', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 5, clock });
    const calls = ['a', 'b', 'c'].map((v) => track(db.execute(work(clock, 10, v))));
    await clock.advance(10);
    expect(db.stats).toMatchObject({ inFlight: 1, queued: 1 });
    await clock.runAll();
    expect(calls.map((c) => c().value)).toEqual(['a', 'b', 'c']);
  });

  it('frees a slot once even if the inner chain settles twice, timed or not', async () => {
    for (const initialLimit of [1, 20]) {
      const db = adaptiveConcurrency({ initialLimit, minLimit: 1, maxLimit: 20 });
      const probe = new SettleProbe();
      const p = pipeline(probe, db, new DoubleDonePolicy());
      await expect(p.execute(() => 1, { labels: { id: 'x' } })).resolves.toBe(1);
      expect(probe.settled.get('x')).toHaveLength(1);
      expect(db.inFlight).toBe(0);
      await expect(p.execute(() => 2)).resolves.toBe(2);
      expect(db.inFlight).toBe(0);
    }
  });

  it('a waiter admitted before its queue timeout leaves no timer behind, whether its call can abort or not', async () => {
    for (const signal of [undefined, new AbortController().signal]) {
      const clock = new VirtualClock();
      const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 5, queueTimeout: 100, clock });
      const first = track(db.execute(work(clock, 10, 'first')));
      const waiting = track(db.execute(work(clock, 10, 'waiting'), { signal }));
      await clock.runUntilIdle();
      expect(timerServiceFor(clock).pending).toBe(1);
      await clock.advance(10);
      expect(db.stats).toMatchObject({ inFlight: 1, queued: 0 });
      expect(timerServiceFor(clock).pending).toBe(0);
      await clock.runAll();
      expect([first().value, waiting().value]).toEqual(['first', 'waiting']);
    }
  });

  it('without a queue timeout, a waiter arms no timer', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 5, clock });
    const calls = [track(db.execute(work(clock, 10, 'a'))), track(db.execute(work(clock, 10, 'b')))];
    await clock.runUntilIdle();
    expect(db.queued).toBe(1);
    expect(timerServiceFor(clock).pending).toBe(0);
    await clock.runAll();
    expect(calls.map((c) => c().value)).toEqual(['a', 'b']);
  });

  it('a waiter that a `queued` listener admits at once (by settling the call in flight) arms no queue timer', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 5, queueTimeout: 100, clock });
    const held = new HeldPolicy(clock);
    const p = pipeline({ clock }, db, held);
    db.on('queued', () => held.settleNext('first'));
    const first = track(p.execute(() => 'unused'));
    const second = track(p.execute(() => 'unused'));
    await clock.runUntilIdle();
    expect(first().value).toBe('first');
    expect(db.stats).toMatchObject({ inFlight: 1, queued: 0 });
    expect(timerServiceFor(clock).pending).toBe(0);
    held.settleNext('second');
    await clock.runUntilIdle();
    expect(second().value).toBe('second');
  });
});

describe('partitions live exactly while they have calls in flight or waiting', () => {
  const options = { key: (ctx: ExecutionContext) => ctx.operation, initialLimit: 2, minLimit: 1, maxLimit: 2, maxQueue: 5 };

  it('a partition with a call still in flight stays when another of its calls ends', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ ...options, clock });
    const calls = [track(shards.execute(work(clock, 10, 'a'), { operation: 'k' })), track(shards.execute(work(clock, 20, 'b'), { operation: 'k' }))];
    await clock.advance(10);
    expect(shards.partitions).toBe(1);
    expect(shards.statsOf('k').inFlight).toBe(1);
    await clock.runAll();
    expect(shards.partitions).toBe(0);
    expect(calls.map((c) => c().value)).toEqual(['a', 'b']);
  });

  it('a partition stays when its freed slot goes to a waiter that keeps running', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ ...options, initialLimit: 1, maxLimit: 1, clock });
    const calls = [track(shards.execute(work(clock, 10, 'a'), { operation: 'k' })), track(shards.execute(work(clock, 10, 'b'), { operation: 'k' }))];
    await clock.advance(10);
    expect(shards.partitions).toBe(1);
    expect(shards.statsOf('k')).toMatchObject({ inFlight: 1, queued: 0 });
    await clock.runAll();
    expect(shards.partitions).toBe(0);
    expect(calls.map((c) => c().value)).toEqual(['a', 'b']);
  });

  it('a partition whose last waiter settles at once when handed the slot is dropped', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ ...options, initialLimit: 1, maxLimit: 1, clock });
    const a = track(shards.execute(work(clock, 10, 'a'), { operation: 'k' }));
    const b = track(shards.execute(() => 'b', { operation: 'k' }));
    await clock.advance(10);
    expect(shards.partitions).toBe(0);
    expect([a().value, b().value]).toEqual(['a', 'b']);
  });

  it('a waiter that times out while a call is in flight leaves the partition live', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ ...options, initialLimit: 1, maxLimit: 1, queueTimeout: 5, clock });
    const a = track(shards.execute(work(clock, 10, 'a'), { operation: 'k' }));
    const b = track(shards.execute(work(clock, 10, 'b'), { operation: 'k' }));
    await clock.advance(5);
    expect(b().error).toMatchObject({ reason: 'queue-timeout' });
    expect(shards.partitions).toBe(1);
    await clock.runAll();
    expect(a().value).toBe('a');
    expect(shards.partitions).toBe(0);
  });
});
