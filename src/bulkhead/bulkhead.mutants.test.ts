/**
 * Rules of the bulkheads that the mutation run (issue #23) found unpinned: the partitioned
 * bulkhead's "already aborted on entry" branch, a `queued` listener that frees a slot
 * (nothing may be left waiting for a call that already runs), and the payloads and
 * messages a user reads.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { BulkheadRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { VirtualClock } from '../testing/virtual-clock';
import { bulkhead, type BulkheadPolicy, type PartitionedBulkheadPolicy } from './bulkhead';
import type { BulkheadEvent } from './events';
import { ScopePolicy } from '../../test/support/test-strategies';
import { signalsOfSettledCalls } from '../../test/support/promises';

const tenant = (ctx: ExecutionContext): string => ctx.labels['tenant'] ?? 'none';

/** A function that takes `ms` of virtual time and returns `value`. */
function work<T>(clock: VirtualClock, ms: number, value: T): () => Promise<T> {
  return () => new Promise<T>((resolve) => clock.setTimeout(() => resolve(value), ms));
}

/** Observes a promise's outcome without leaving a rejection unhandled. */
function track<T>(p: Promise<T>): () => { settled: boolean; ok?: boolean; value?: unknown } {
  let s: { settled: boolean; ok?: boolean; value?: unknown } = { settled: false };
  p.then(
    (value) => (s = { settled: true, ok: true, value }),
    (error: unknown) => (s = { settled: true, ok: false, value: error }),
  );
  return () => s;
}

describe('partitioned bulkhead: a call whose scope already aborted when it arrives', () => {
  it('rejects with the abort reason without asking the key, opening a partition or running', async () => {
    const key = vi.fn(tenant);
    const b = bulkhead.partitioned({ key, maxConcurrent: 1 });
    const reason = new Error('timed out before the bulkhead');
    // A strategy between the scope and the bulkhead aborts the scope, as an expired timeout would.
    const aborter = new (class extends ScopePolicy {
      override run(ctx: ExecutionContext, link: Parameters<ScopePolicy['run']>[1], done: Parameters<ScopePolicy['run']>[2]): void {
        ctx.scope.abort(reason);
        link.next(ctx, done);
      }
    })();
    const fn = vi.fn(() => 'ran');
    await expect(pipeline(new ScopePolicy(), aborter, b).execute(fn, { labels: { tenant: 't' } })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(key).not.toHaveBeenCalled();
    expect(b.partitions).toBe(0);
    expect(b.stats).toMatchObject({ active: 0, queued: 0 });
  });
});

describe('bulkhead: a `queued` listener that frees a slot', () => {
  /** A bulkhead whose only slot is occupied; its `queued` listener releases it (the waiter is admitted inside the event). */
  function freedByListener<B extends BulkheadPolicy | PartitionedBulkheadPolicy>(b: B, partition?: string): { events: BulkheadEvent[] } {
    const hold = b.occupy(1, partition);
    expect(hold.held).toBe(1);
    const events: BulkheadEvent[] = [];
    b.on('queued', (e) => {
      events.push(e);
      hold.release();
    });
    return { events };
  }

  it('runs the call at once and leaves no queue timer behind (a call that cannot abort)', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 50, clock });
    const { events } = freedByListener(b);
    const fn = vi.fn(work(clock, 100, 'ran'));
    const call = track(b.execute(fn));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(b.stats).toMatchObject({ active: 1, queued: 0 });
    expect(events).toMatchObject([{ type: 'queued', queued: 1, partition: undefined }]);
    expect(timerServiceFor(clock).pending).toBe(0);
    await clock.advance(100);
    expect(call()).toEqual({ settled: true, ok: true, value: 'ran' });
    expect(clock.pending).toBe(0);
  });

  it('runs the call at once and leaves no queue timer nor abort subscription behind (a call that can abort)', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 50, clock });
    freedByListener(b);
    const ac = new AbortController();
    const subscribe = vi.spyOn(ac.signal, 'addEventListener');
    const fn = vi.fn(work(clock, 100, 'ran')); // never reads ctx.signal
    const call = track(b.execute(fn, { signal: ac.signal }));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(timerServiceFor(clock).pending).toBe(0);
    expect(subscribe).not.toHaveBeenCalled();
    await clock.advance(100);
    expect(call()).toEqual({ settled: true, ok: true, value: 'ran' });
  });

  it('the same holds without a queue timeout: no abort subscription for the admitted call', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    freedByListener(b);
    const ac = new AbortController();
    const subscribe = vi.spyOn(ac.signal, 'addEventListener');
    const call = track(b.execute(work(clock, 10, 'ran'), { signal: ac.signal }));
    expect(subscribe).not.toHaveBeenCalled();
    await clock.advance(10);
    expect(call().value).toBe('ran');
  });

  it('partitioned: the same, and the queued event names the partition', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxQueue: 1, queueTimeout: 50, clock });
    const { events } = freedByListener(b, 'p');
    const call = track(b.execute(work(clock, 100, 'ran'), { labels: { tenant: 'p' } }));
    expect(events).toMatchObject([{ type: 'queued', queued: 1, partition: 'p' }]);
    expect(timerServiceFor(clock).pending).toBe(0);
    await clock.advance(100);
    expect(call().value).toBe('ran');
    expect(b.partitions).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('bulkhead: events and messages', () => {
  it('queued counts the waiters with this one; a queue-timeout rejection counts those left behind', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 3, queueTimeout: 20, clock, name: 'db' });
    const events: BulkheadEvent[] = [];
    b.onEvent((e) => {
      if (e.kind === 'bulkhead') events.push(e as BulkheadEvent);
    });
    const running = track(b.execute(work(clock, 100, 'r')));
    const w1 = track(b.execute(() => 'w1'));
    await clock.advance(5);
    const w2 = track(b.execute(() => 'w2'));
    expect(events.map((e) => (e.type === 'queued' ? e.queued : -1))).toEqual([1, 2]);
    await clock.advance(15); // w1 waited 20 ms
    expect(w1()).toMatchObject({ settled: true, ok: false });
    expect(w1().value).toBeInstanceOf(BulkheadRejectedError);
    expect((w1().value as Error).message).toBe('Bulkhead "db": queue wait timed out');
    expect(events.at(-1)).toMatchObject({ type: 'rejected', reason: 'queue-timeout', active: 1, queued: 1, partition: undefined });
    await clock.advance(5);
    expect(events.at(-1)).toMatchObject({ type: 'rejected', reason: 'queue-timeout', active: 1, queued: 0 });
    expect(w2().ok).toBe(false);
    await clock.runAll();
    expect(running().value).toBe('r');
  });

  it('property: with n calls arriving at once, min(n, c) run, min(n − c, q) wait, the rest are rejected as full', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 12 }), async (c, q, n) => {
        const clock = new VirtualClock();
        const b = bulkhead({ maxConcurrent: c, maxQueue: q, clock });
        const calls = Array.from({ length: n }, () => track(b.execute(work(clock, 10, 'ok'))));
        await Promise.resolve();
        await Promise.resolve();
        const running = Math.min(n, c);
        const waiting = Math.min(Math.max(0, n - c), q);
        expect(b.stats).toEqual({ active: running, queued: waiting, maxConcurrent: c, maxQueue: q });
        const rejected = calls.filter((s) => s().settled && s().ok === false);
        expect(rejected).toHaveLength(n - running - waiting);
        for (const r of rejected) expect(r().value).toMatchObject({ reason: 'full' });
        await clock.runAll();
        expect(calls.filter((s) => s().ok === true)).toHaveLength(running + waiting);
        expect(b.stats).toMatchObject({ active: 0, queued: 0 });
      }),
      { numRuns: 80 },
    );
  });

  it('occupy() names the bad permits and the partition it needs', () => {
    expect(() => bulkhead(1).occupy(-1)).toThrow('occupy() expects `permits` to be an integer ≥ 0 (or Infinity), got -1');
    const p = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, name: 'lobbies' });
    expect(() => p.occupy(1)).toThrow('occupy() on partitioned bulkhead "lobbies" needs a partition key, got undefined');
  });

  it('a partitioned bulkhead with an anonymous key function describes it as (anonymous), and has the documented defaults', () => {
    const b = bulkhead.partitioned({ key: (() => (ctx: ExecutionContext) => ctx.operation)(), maxConcurrent: 1 });
    expect(b.describe()).toEqual({
      kind: 'bulkhead',
      name: 'bulkhead',
      options: { key: '(anonymous)', maxConcurrent: 1, maxQueue: 0, queueTimeout: Number.POSITIVE_INFINITY, maxPartitions: Number.POSITIVE_INFINITY },
    });
  });

  it('a partition whose waiters all finish synchronously while slots are handed on is dropped', async () => {
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxQueue: 2 });
    const hold = b.occupy(1, 'sync');
    const first = track(b.execute(() => 'one', { labels: { tenant: 'sync' } }));
    const second = track(
      b.execute(
        () => {
          throw new Error('two');
        },
        { labels: { tenant: 'sync' } },
      ),
    );
    expect(b.statsOf('sync').queued).toBe(2);
    hold.release(); // both run and end inside this release
    expect(b.partitions).toBe(0);
    expect(b.stats).toMatchObject({ active: 0, queued: 0, partitions: 0 });
    await Promise.resolve();
    expect(first().value).toBe('one');
    expect(second()).toMatchObject({ settled: true, ok: false });
  });

  it('a partition stays live while a call runs and is dropped when its last call ends; occupied slots keep it', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 2, maxQueue: 1, clock });
    const a = track(b.execute(work(clock, 10, 'a'), { labels: { tenant: 'k' } }));
    const hold = b.occupy(1, 'k');
    expect(b.statsOf('k')).toEqual({ active: 2, queued: 0, maxConcurrent: 2, maxQueue: 1 });
    await clock.advance(10);
    expect(a().value).toBe('a');
    expect(b.partitions).toBe(1);
    hold.release();
    expect(b.partitions).toBe(0);
  });
});

describe('bulkhead: the call ends its signals (abortOnSettle)', () => {
  it('alone with a free slot, the signal the call read aborts once it settles, success or failure', async () => {
    const b = bulkhead(1);
    const signals = await signalsOfSettledCalls(b);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(b.stats.active).toBe(0);
  });
});

describe('bulkhead: what a user reads when something is wrong', () => {
  it('an options error names the factory it came from: bulkhead or bulkhead.partitioned', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow('Invalid bulkhead options: expected `maxConcurrent` to be an integer ≥ 1, got 0');
    expect(() => bulkhead.partitioned({ key: tenant, maxConcurrent: 0 })).toThrow(
      'Invalid bulkhead.partitioned options: expected `maxConcurrent` to be an integer ≥ 1, got 0',
    );
  });

  it('a key function that returns a non-string rejects with a TypeError naming the bulkhead', async () => {
    const b = bulkhead.partitioned({ key: () => 42 as unknown as string, maxConcurrent: 1, name: 'lobbies' });
    const error = await b.execute(() => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('Bulkhead "lobbies": the partition key function returned number, expected a string');
  });
});

describe('bulkhead: a waiter that cannot abort and has no queue timeout', () => {
  it('arms no timer while it waits, and runs when a slot frees', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const running = track(b.execute(work(clock, 10, 'a')));
    const waiting = track(b.execute(() => 'b')); // no signal, no enclosing timeout
    expect(b.stats.queued).toBe(1);
    expect(timerServiceFor(clock).pending).toBe(0);
    expect(clock.pending).toBe(1); // only the running call's own work
    await clock.runAll();
    expect([running().value, waiting().value]).toEqual(['a', 'b']);
    expect(clock.pending).toBe(0);
  });

  it('partitioned: the same', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxQueue: 1, clock });
    const running = track(b.execute(work(clock, 10, 'a'), { labels: { tenant: 't' } }));
    const waiting = track(b.execute(() => 'b', { labels: { tenant: 't' } }));
    expect(b.statsOf('t').queued).toBe(1);
    expect(timerServiceFor(clock).pending).toBe(0);
    await clock.runAll();
    expect([running().value, waiting().value]).toEqual(['a', 'b']);
    expect(b.partitions).toBe(0);
  });
});
