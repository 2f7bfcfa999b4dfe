import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { BulkheadRejectedError, OptionsValidationError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { bulkhead, PartitionedBulkheadPolicy } from './bulkhead';
import type { BulkheadRejectedEvent } from './events';

const tenant = (ctx: ExecutionContext): string => ctx.labels['tenant'] ?? 'none';

function sleep(clock: VirtualClock, ms: number): () => Promise<string> {
  return () => new Promise((resolve) => clock.setTimeout(() => resolve('done'), ms));
}

describe('bulkhead.partitioned', () => {
  it('gives each key its own slots and queue: a saturated tenant does not block another', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxQueue: 1, clock });
    expect(b).toBeInstanceOf(PartitionedBulkheadPolicy);
    const a1 = b.execute(sleep(clock, 100), { labels: { tenant: 'a' } });
    const a2 = b.execute(sleep(clock, 100), { labels: { tenant: 'a' } });
    const a3 = b.execute(() => 'x', { labels: { tenant: 'a' } }).catch((e: unknown) => e);
    const started = vi.fn(() => 'b ran');
    const b1 = b.execute(started, { labels: { tenant: 'b' } });
    expect(started).toHaveBeenCalledTimes(1); // at once, while tenant a is full
    expect(b.statsOf('a')).toEqual({ active: 1, queued: 1, maxConcurrent: 1, maxQueue: 1 });
    expect((await a3) as BulkheadRejectedError).toMatchObject({ reason: 'full', partition: 'a' });
    expect((await a3 as Error).message).toBe('Bulkhead "bulkhead" (partition "a") is full');
    await expect(b1).resolves.toBe('b ran');
    expect(b.partitions).toBe(1); // b went idle and was dropped
    expect(b.stats).toEqual({ active: 1, queued: 1, partitions: 1, maxConcurrent: 1, maxQueue: 1 });
    await clock.runAll();
    await Promise.all([a1, a2]);
    expect(b.partitions).toBe(0);
    expect(b.statsOf('a')).toEqual({ active: 0, queued: 0, maxConcurrent: 1, maxQueue: 1 });
  });

  it('drops a partition whose last waiter aborts or times out', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxQueue: 2, queueTimeout: 10, clock });
    const hold = b.occupy(1, 't');
    const ac = new AbortController();
    const w1 = b.execute(() => 1, { labels: { tenant: 't' }, signal: ac.signal }).catch((e: unknown) => e);
    const w2 = b.execute(() => 2, { labels: { tenant: 't' } }).catch((e: unknown) => e);
    expect(b.statsOf('t').queued).toBe(2);
    ac.abort('bye');
    expect(b.statsOf('t').queued).toBe(1);
    await clock.advance(10);
    expect(await w1).toBe('bye');
    expect(await w2).toMatchObject({ reason: 'queue-timeout', partition: 't' });
    expect(b.partitions).toBe(1); // the occupied slot keeps it alive
    hold.release();
    expect(b.partitions).toBe(0);
  });

  it('rejects the call with the error of a key function that throws, without running it', async () => {
    const boom = new Error('no tenant');
    const fn = vi.fn();
    const b = bulkhead.partitioned({
      key: () => {
        throw boom;
      },
      maxConcurrent: 1,
    });
    await expect(b.execute(fn)).rejects.toBe(boom);
    expect(fn).not.toHaveBeenCalled();
    expect(b.partitions).toBe(0);
  });

  it('rejects with a TypeError when the key function returns a non-string', async () => {
    const b = bulkhead.partitioned({ key: () => 42 as unknown as string, maxConcurrent: 1 });
    await expect(b.execute(() => 1)).rejects.toThrow(TypeError);
  });

  it('rejects a call that would open a partition beyond maxPartitions', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxPartitions: 2, clock, name: 'lobbies' });
    const events: BulkheadRejectedEvent[] = [];
    b.on('rejected', (e) => events.push(e));
    const x = b.execute(sleep(clock, 5), { labels: { tenant: 'x' } });
    const y = b.execute(sleep(clock, 5), { labels: { tenant: 'y' } });
    const fn = vi.fn();
    const z = await b.execute(fn, { labels: { tenant: 'z' } }).catch((e: unknown) => e);
    expect(z).toBeInstanceOf(BulkheadRejectedError);
    expect(z).toMatchObject({ reason: 'full', partition: 'z', bulkhead: 'lobbies' });
    expect(fn).not.toHaveBeenCalled();
    expect(events.map((e) => [e.reason, e.partition, e.active, e.queued])).toEqual([['full', 'z', 0, 0]]);
    expect(b.occupy(1, 'z').held).toBe(0);
    expect(b.partitions).toBe(2);
    await clock.runAll();
    await Promise.all([x, y]);
    await expect(b.execute(() => 'z ran', { labels: { tenant: 'z' } })).resolves.toBe('z ran');
  });

  it('rejects at once when the signal is already aborted, before calling the key function', async () => {
    const key = vi.fn(tenant);
    const b = bulkhead.partitioned({ key, maxConcurrent: 1 });
    const ac = new AbortController();
    ac.abort('gone');
    await expect(b.execute(() => 1, { signal: ac.signal })).rejects.toBe('gone');
    expect(key).not.toHaveBeenCalled();
  });

  it('occupy() needs a partition, takes at most its free slots, and opens no partition for 0 permits', () => {
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 2 });
    expect(() => b.occupy(1)).toThrow(TypeError);
    expect(() => b.occupy(-1, 'a')).toThrow(RangeError);
    expect(b.occupy(0, 'a').held).toBe(0);
    expect(b.partitions).toBe(0);
    const h = b.occupy(5, 'a');
    expect(h.held).toBe(2);
    expect(b.occupy(1, 'a').held).toBe(0);
    expect(b.statsOf('a').active).toBe(2);
    expect(b.statsOf('b').active).toBe(0);
    h.release();
    h.release();
    expect(b.partitions).toBe(0);
  });

  it('validates its options, key included', () => {
    expect(() => bulkhead.partitioned({ maxConcurrent: 1 } as never)).toThrow(/expected `key` to be a function/);
    expect(() => bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxPartitions: 0 })).toThrow(/maxPartitions/);
    expect(() => bulkhead.partitioned({ key: 'tenant' as never, maxConcurrent: 1 })).toThrow(OptionsValidationError);
    expect(() => bulkhead.partitioned({ key: tenant, maxConcurrent: 1, partitions: 3 } as never)).toThrow(/unknown option `partitions`/);
    expect(() => bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxPartitions: Infinity })).not.toThrow();
  });

  it('describes itself', () => {
    expect(bulkhead.partitioned({ key: tenant, maxConcurrent: 2, maxQueue: 3, name: 'per-tenant' }).describe()).toEqual({
      kind: 'bulkhead',
      name: 'per-tenant',
      options: { key: 'tenant', maxConcurrent: 2, maxQueue: 3, queueTimeout: Infinity, maxPartitions: Infinity },
    });
  });
});
