import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { BulkheadRejectedError, isBulkheadRejectedError, isTimeoutError, OptionsValidationError } from '../core/errors';
import { pipeline } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { timeout } from '../timeout';
import { VirtualClock } from '../testing/virtual-clock';
import { bulkhead, BulkheadPolicy } from './bulkhead';
import { BulkheadEvents, type BulkheadEvent } from './events';
import { DoubleDonePolicy, ScopePolicy, SettleProbe, TapPolicy } from '../../test/support/test-strategies';

/** A function that takes `ms` of virtual time and returns `value`. */
function work<T>(clock: VirtualClock, ms: number, value: T, log?: string[], name?: string): (ctx: ExecutionContext) => Promise<T> {
  return () => {
    if (log !== undefined && name !== undefined) log.push(`start ${name}`);
    return new Promise<T>((resolve) => clock.setTimeout(() => resolve(value), ms));
  };
}

/** Attaches handlers so a rejection is observed; returns a getter of the settled state. */
function track<T>(p: Promise<T>): { readonly state: () => { settled: boolean; ok?: boolean; value?: T; error?: unknown } } {
  let s: { settled: boolean; ok?: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => (s = { settled: true, ok: true, value }),
    (error: unknown) => (s = { settled: true, ok: false, error }),
  );
  return { state: () => s };
}

describe('bulkhead', () => {
  it('runs at most maxConcurrent calls at once and rejects beyond the queue', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 2, maxQueue: 1, clock });
    const log: string[] = [];
    const r1 = track(b.execute(work(clock, 10, 1, log, 'a')));
    const r2 = track(b.execute(work(clock, 10, 2, log, 'b')));
    const r3 = track(b.execute(work(clock, 10, 3, log, 'c')));
    const r4 = track(b.execute(work(clock, 10, 4, log, 'd')));
    expect(log).toEqual(['start a', 'start b']);
    expect(b.stats).toEqual({ active: 2, queued: 1, maxConcurrent: 2, maxQueue: 1 });
    await clock.runUntilIdle();
    const e = r4.state().error;
    expect(e).toBeInstanceOf(BulkheadRejectedError);
    expect(isBulkheadRejectedError(e)).toBe(true);
    expect((e as BulkheadRejectedError).reason).toBe('full');
    expect((e as BulkheadRejectedError).bulkhead).toBe('bulkhead');
    expect((e as BulkheadRejectedError).partition).toBeUndefined();
    await clock.advance(10);
    expect(log).toEqual(['start a', 'start b', 'start c']);
    expect([r1.state().value, r2.state().value]).toEqual([1, 2]);
    await clock.advance(10);
    expect(r3.state().value).toBe(3);
    expect(b.stats).toEqual({ active: 0, queued: 0, maxConcurrent: 2, maxQueue: 1 });
    expect(clock.pending).toBe(0);
  });

  it('accepts bulkhead(n) as shorthand for maxConcurrent with no queue', async () => {
    const b = bulkhead(1);
    expect(b).toBeInstanceOf(BulkheadPolicy);
    expect(b.stats).toEqual({ active: 0, queued: 0, maxConcurrent: 1, maxQueue: 0 });
    const clock = new VirtualClock();
    const c = bulkhead({ maxConcurrent: 1, clock });
    const first = track(c.execute(work(clock, 5, 'x')));
    await expect(c.execute(() => 'y')).rejects.toMatchObject({ reason: 'full' });
    await clock.runAll();
    expect(first.state().value).toBe('x');
  });

  it('hands a freed slot to the oldest waiter in the same tick, before the finished call settles', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 3, clock });
    const order: string[] = [];
    let finishA!: () => void;
    const a = b.execute(() => new Promise<void>((r) => (finishA = r)));
    const rest = ['b', 'c', 'd'].map((n) => b.execute(() => void order.push(n)));
    expect(b.stats.queued).toBe(3);
    finishA();
    await a;
    // By the time a's caller resumes, b, c and d (synchronous functions) have all run.
    expect(order).toEqual(['b', 'c', 'd']);
    await Promise.all(rest);
    expect(b.stats.active).toBe(0);
  });

  it('drains a long queue of synchronous functions without recursion', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: Infinity });
    const hold = b.occupy(1);
    const n = 50_000;
    const calls: Promise<number>[] = [];
    for (let i = 0; i < n; i++) calls.push(b.execute(() => i));
    expect(b.stats.queued).toBe(n);
    hold.release();
    const values = await Promise.all(calls);
    expect(values[n - 1]).toBe(n - 1);
    expect(b.stats).toMatchObject({ active: 0, queued: 0 });
  });

  it('does not let a re-entrant call jump the queue while slots are handed on', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const order: string[] = [];
    const hold = b.occupy(1);
    const inner: Promise<unknown>[] = [];
    const first = b.execute(() => {
      order.push('w1');
      // A new call made while the queue still holds w2 must queue behind it.
      inner.push(b.execute(() => void order.push('late')));
    });
    const second = b.execute(() => void order.push('w2'));
    hold.release();
    await Promise.all([first, second, ...inner]);
    expect(order).toEqual(['w1', 'w2', 'late']);
  });

  it('does not let a call made synchronously by an outer strategy, between two hand-offs, jump the queue', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const order: string[] = [];
    const late: Promise<unknown>[] = [];
    // The outer strategy reacts synchronously to w1's outcome (as a retry could) with a new call.
    const p = pipeline(
      new TapPolicy((ctx) => {
        if (ctx.labels['id'] === 'w1') late.push(p.execute(() => void order.push('late')));
      }),
      b,
    );
    const hold = b.occupy(1);
    const w1 = p.execute(() => void order.push('w1'), { labels: { id: 'w1' } });
    const w2 = p.execute(() => void order.push('w2'));
    hold.release();
    await Promise.all([w1, w2, ...late]);
    expect(order).toEqual(['w1', 'w2', 'late']);
  });

  it('rejects at once, without running, when the signal is already aborted', async () => {
    const fn = vi.fn();
    const ac = new AbortController();
    const reason = new Error('gone');
    ac.abort(reason);
    await expect(bulkhead(1).execute(fn, { signal: ac.signal })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it('inside a pipeline, rejects at once when an enclosing scope has already aborted', async () => {
    const scope = new ScopePolicy();
    const b = bulkhead(1);
    const fn = vi.fn();
    const reason = new Error('timed out');
    // The scope aborts before the bulkhead is entered: a strategy between them aborts it.
    const aborter = new (class extends ScopePolicy {
      override run(ctx: ExecutionContext, link: Parameters<ScopePolicy['run']>[1], done: Parameters<ScopePolicy['run']>[2]): void {
        ctx.scope.abort(reason);
        link.next(ctx, done);
      }
    })();
    await expect(pipeline(scope, aborter, b).execute(fn)).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(b.stats.active).toBe(0);
  });

  it('a waiter whose caller aborts leaves the queue at once and rejects with the abort reason', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 2, clock });
    const running = track(b.execute(work(clock, 100, 'a')));
    const ac = new AbortController();
    const fn = vi.fn();
    const waiting = track(b.execute(fn, { signal: ac.signal }));
    const behind = track(b.execute(work(clock, 1, 'c')));
    expect(b.stats.queued).toBe(2);
    const reason = new Error('client left');
    ac.abort(reason);
    expect(b.stats.queued).toBe(1); // synchronously
    await clock.runUntilIdle();
    expect(waiting.state()).toEqual({ settled: true, ok: false, error: reason });
    await clock.runAll();
    expect(fn).not.toHaveBeenCalled();
    expect(running.state().value).toBe('a');
    expect(behind.state().value).toBe('c');
    expect(b.stats).toMatchObject({ active: 0, queued: 0 });
  });

  it('a waiter leaves when an enclosing scope (a timeout) aborts', async () => {
    const clock = new VirtualClock();
    const scope = new ScopePolicy(clock);
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const p = pipeline(scope, b);
    const running = track(p.execute(work(clock, 50, 'a')));
    const waiting = track(p.execute(work(clock, 50, 'b')));
    expect(b.stats.queued).toBe(1);
    const reason = new Error('deadline');
    scope.scopes[1]?.abort(reason);
    expect(b.stats.queued).toBe(0);
    await clock.runAll();
    expect(waiting.state()).toEqual({ settled: true, ok: false, error: reason });
    expect(running.state().value).toBe('a');
  });

  it('with the real timeout outside: a waiter leaves the queue at the deadline with the TimeoutError', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const p = pipeline(timeout({ duration: 50, clock }), b);
    const running = track(b.execute(work(clock, 200, 'a')));
    const fn = vi.fn();
    const waiting = track(p.execute(fn));
    expect(b.stats.queued).toBe(1);
    await clock.advance(49);
    expect(b.stats.queued).toBe(1);
    await clock.advance(1);
    expect(b.stats.queued).toBe(0);
    expect(isTimeoutError(waiting.state().error)).toBe(true);
    await clock.runAll();
    expect(fn).not.toHaveBeenCalled();
    expect(running.state().value).toBe('a');
    expect(timerServiceFor(clock).pending).toBe(0);
  });

  it('a waiter that waits queueTimeout ms rejects with reason queue-timeout, exactly then', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 30, clock });
    const events: BulkheadEvent[] = [];
    b.onEvent((e) => {
      if (e.kind === 'bulkhead') events.push(e);
    });
    const running = track(b.execute(work(clock, 100, 'a')));
    const waiting = track(b.execute(work(clock, 1, 'b'), { labels: { id: 'w' } }));
    await clock.advance(29);
    expect(waiting.state().settled).toBe(false);
    expect(b.stats.queued).toBe(1);
    await clock.advance(1);
    expect(b.stats.queued).toBe(0);
    const e = waiting.state().error as BulkheadRejectedError;
    expect(e).toBeInstanceOf(BulkheadRejectedError);
    expect(e.reason).toBe('queue-timeout');
    expect(events.map((x) => x.type)).toEqual([BulkheadEvents.queued, BulkheadEvents.rejected]);
    expect(events[0]).toMatchObject({ kind: 'bulkhead', type: 'queued', partition: undefined, queued: 1, policy: 'bulkhead', labels: { id: 'w' }, time: 0 });
    expect(events[1]).toMatchObject({ type: 'rejected', reason: 'queue-timeout', partition: undefined, active: 1, queued: 0, time: 30 });
    await clock.runAll();
    expect(running.state().value).toBe('a');
  });

  it('cancels the queue timer of a waiter that got a slot', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 1_000, clock });
    const a = track(b.execute(work(clock, 10, 'a')));
    const w = track(b.execute(() => 'b'));
    expect(timerServiceFor(clock).pending).toBe(1); // the queue timer (a's work timer is the clock's own)
    await clock.advance(10);
    expect(timerServiceFor(clock).pending).toBe(0);
    expect([a.state().value, w.state().value]).toEqual(['a', 'b']);
    expect(clock.pending).toBe(0);
    // The same for a call that can abort (its wait is abort-aware).
    const c = track(b.execute(work(clock, 10, 'c')));
    const v = track(b.execute(() => 'd', { signal: new AbortController().signal }));
    expect(timerServiceFor(clock).pending).toBe(1);
    await clock.advance(10);
    expect(timerServiceFor(clock).pending).toBe(0);
    expect([c.state().value, v.state().value]).toEqual(['c', 'd']);
  });

  it('arms no timer for a waiter when there is no queueTimeout', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const a = track(b.execute(work(clock, 10, 'a')));
    const w = track(b.execute(() => 'b', { signal: new AbortController().signal }));
    expect(b.stats.queued).toBe(1);
    expect(timerServiceFor(clock).pending).toBe(0);
    expect(clock.pending).toBe(1);
    await clock.runAll();
    expect([a.state().value, w.state().value]).toEqual(['a', 'b']);
  });

  it('emits rejected with reason full, active and queued', async () => {
    const b = bulkhead({ maxConcurrent: 1, name: 'db' });
    const seen: unknown[] = [];
    b.on('rejected', (e) => seen.push({ reason: e.reason, active: e.active, queued: e.queued, partition: e.partition, policy: e.policy }));
    const hold = b.occupy(1);
    await expect(b.execute(() => 1)).rejects.toThrow('Bulkhead "db" is full');
    expect(seen).toEqual([{ reason: 'full', active: 1, queued: 0, partition: undefined, policy: 'db' }]);
    hold.release();
  });

  it('rejection errors carry no stack (cheap)', async () => {
    const b = bulkhead(1);
    const hold = b.occupy(1);
    const e = (await b.execute(() => 1).catch((x: unknown) => x)) as Error;
    expect(e.stack?.split('\n').length ?? 1).toBe(1);
    hold.release();
  });

  it('passes the value and the error of the function through unchanged', async () => {
    const b = bulkhead(2);
    const boom = new Error('boom');
    await expect(b.execute(() => 'v')).resolves.toBe('v');
    await expect(b.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      b.execute(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(b.stats.active).toBe(0);
  });

  it('frees a slot once even if the inner chain settles twice', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const probe = new SettleProbe();
    const p = pipeline(probe, b, new DoubleDonePolicy());
    await expect(p.execute(() => 1, { labels: { id: 'x' } })).resolves.toBe(1);
    expect(probe.settled.get('x')).toHaveLength(1);
    expect(b.stats.active).toBe(0);
    await expect(p.execute(() => 2)).resolves.toBe(2);
    expect(b.stats.active).toBe(0);
  });

  it('occupy() takes at most the free slots, counts them as active, and release() is idempotent', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 3, maxQueue: 5, clock });
    const running = track(b.execute(work(clock, 10, 'r')));
    const h1 = b.occupy(5);
    expect(h1.held).toBe(2);
    expect(b.stats.active).toBe(3);
    const h2 = b.occupy(Infinity);
    expect(h2.held).toBe(0);
    const queued = track(b.execute(work(clock, 10, 'q')));
    expect(b.stats.queued).toBe(1);
    h1.release();
    expect(h1.held).toBe(0);
    expect(b.stats).toMatchObject({ active: 2, queued: 0 });
    h1.release();
    h2.release();
    expect(b.stats.active).toBe(2);
    await clock.runAll();
    expect([running.state().value, queued.state().value]).toEqual(['r', 'q']);
    expect(b.stats.active).toBe(0);
    expect(() => b.occupy(-1)).toThrow(RangeError);
    expect(() => b.occupy(1.5)).toThrow(RangeError);
    expect(() => b.occupy(Number.NaN)).toThrow(RangeError);
    expect(b.occupy(0).held).toBe(0);
  });

  it('describes itself', () => {
    expect(bulkhead({ maxConcurrent: 4, maxQueue: 8, queueTimeout: 100, name: 'x' }).describe()).toEqual({
      kind: 'bulkhead',
      name: 'x',
      options: { maxConcurrent: 4, maxQueue: 8, queueTimeout: 100 },
    });
  });
});

describe('bulkhead options', () => {
  it('requires maxConcurrent, an integer ≥ 1', () => {
    expect(() => bulkhead({} as never)).toThrow(/expected `maxConcurrent` to be an integer ≥ 1, got undefined/);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2']) {
      expect(() => bulkhead({ maxConcurrent: bad as number })).toThrow(OptionsValidationError);
      if (typeof bad === 'number') expect(() => bulkhead(bad)).toThrow(/maxConcurrent/);
    }
  });

  it('checks maxQueue, queueTimeout, name and clock, and names every bad field at once', () => {
    let error: unknown;
    try {
      bulkhead({ maxConcurrent: 0, maxQueue: -1, queueTimeout: 0, name: '', clock: {} as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionsValidationError);
    expect((error as OptionsValidationError).issues.map((i) => i.path).sort()).toEqual(['clock', 'maxConcurrent', 'maxQueue', 'name', 'queueTimeout']);
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: 1.5 })).toThrow(/maxQueue/);
    expect(() => bulkhead({ maxConcurrent: 1, queueTimeout: Number.NaN })).toThrow(/queueTimeout/);
    expect(() => bulkhead({ maxConcurrent: 1, queueTimeout: -5 })).toThrow(/queueTimeout/);
  });

  it('rejects unknown keys (typos)', () => {
    expect(() => bulkhead({ maxConcurrent: 1, maxQueued: 3 } as never)).toThrow(/unknown option `maxQueued`/);
    expect(() => bulkhead({ maxConcurrent: 1, key: () => 'k' } as never)).toThrow(/unknown option `key`/);
  });

  it('accepts Infinity for maxQueue and queueTimeout', () => {
    expect(bulkhead({ maxConcurrent: 1, maxQueue: Infinity, queueTimeout: Infinity }).stats.maxQueue).toBe(Infinity);
  });
});
