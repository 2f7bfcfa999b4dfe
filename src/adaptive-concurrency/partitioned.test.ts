import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { adaptiveConcurrency, PartitionedAdaptiveConcurrencyPolicy } from './adaptive-concurrency';
import { isConcurrencyLimitedError } from './errors';
import type { AdaptiveLimitChangedEvent, AdaptiveLimitRejectedEvent } from './events';

function work(clock: VirtualClock, ms: number): () => Promise<number> {
  return () => new Promise((resolve) => clock.setTimeout(() => resolve(ms), ms));
}

describe('adaptiveConcurrency.partitioned', () => {
  it('gives each key its own limit and slots: a saturated key does not block another', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ key: (ctx) => ctx.labels['shard'] ?? 'none', initialLimit: 2, minLimit: 1, maxLimit: 10, clock });
    expect(shards).toBeInstanceOf(PartitionedAdaptiveConcurrencyPolicy);
    const rejected: AdaptiveLimitRejectedEvent[] = [];
    shards.on('rejected', (e) => rejected.push(e));
    const a = [1, 2, 3].map(() => shards.execute(work(clock, 10), { labels: { shard: 'a' } }).catch((e: unknown) => e));
    const b = shards.execute(work(clock, 10), { labels: { shard: 'b' } });
    await clock.runUntilIdle();
    expect(shards.partitions).toBe(2);
    expect(shards.statsOf('a')).toMatchObject({ inFlight: 2, limit: 2 });
    expect(shards.statsOf('b')).toMatchObject({ inFlight: 1, limit: 2 });
    expect(shards.stats).toEqual({ partitions: 2, inFlight: 3, queued: 0 });
    expect(rejected).toEqual([expect.objectContaining({ reason: 'full', partition: 'a', limit: 2, labels: { shard: 'a' } })]);
    await clock.runAll();
    const third = await a[2];
    expect(isConcurrencyLimitedError(third)).toBe(true);
    expect(third).toMatchObject({ partition: 'a', reason: 'full', message: 'Adaptive concurrency limit "adaptive-concurrency" (partition "a") is full (limit 2)' });
    expect(await b).toBe(10);
  });

  it('learns a limit per key and forgets it when the key goes idle', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ key: (ctx) => ctx.labels['shard'] ?? 'none', initialLimit: 4, minLimit: 1, maxLimit: 40, maxQueue: 100, clock });
    const changed: AdaptiveLimitChangedEvent[] = [];
    shards.on('limit-changed', (e) => changed.push(e));
    let seen = 0;
    const caller = async (): Promise<void> => {
      for (let i = 0; i < 30; i++) {
        await shards.execute(work(clock, 10), { labels: { shard: 'hot' } });
        seen = Math.max(seen, shards.statsOf('hot').limit);
      }
    };
    const all = Promise.all(Array.from({ length: 30 }, caller));
    await clock.runAll();
    await all;
    expect(seen).toBeGreaterThan(4);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((e) => e.partition === 'hot')).toBe(true);
    // Idle: the partition and what it learned are gone.
    expect(shards.partitions).toBe(0);
    expect(shards.statsOf('hot')).toEqual({ limit: 4, inFlight: 0, queued: 0, noLoadLatency: Number.NaN, probing: false });
  });

  it('rejects a new key beyond maxPartitions with reason max-partitions', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ key: (ctx) => ctx.operation, initialLimit: 1, minLimit: 1, maxLimit: 1, maxPartitions: 1, clock });
    const first = shards.execute(work(clock, 10), { operation: 'a' });
    await expect(shards.execute(work(clock, 10), { operation: 'b' })).rejects.toMatchObject({ reason: 'max-partitions', partition: 'b', limit: 0 });
    await clock.runAll();
    expect(await first).toBe(10);
    expect(await shards.execute(() => 'b now', { operation: 'b' })).toBe('b now');
  });

  it('rejects the call with the error of a key function that throws, or a TypeError for a non-string key', async () => {
    const boom = new Error('no shard');
    const throwing = adaptiveConcurrency.partitioned({
      key: () => {
        throw boom;
      },
      initialLimit: 1,
      minLimit: 1,
      maxLimit: 1,
    });
    await expect(throwing.execute(() => 1)).rejects.toBe(boom);
    const numeric = adaptiveConcurrency.partitioned({ key: () => 7 as unknown as string, initialLimit: 1, minLimit: 1, maxLimit: 1, name: 'shards' });
    await expect(numeric.execute(() => 1)).rejects.toThrow(new TypeError('Adaptive concurrency limit "shards": the partition key function returned number, expected a string'));
    expect(throwing.partitions + numeric.partitions).toBe(0);
  });

  it('describes its key function and maxPartitions', () => {
    const byShard = (): string => 's';
    expect(adaptiveConcurrency.partitioned({ key: byShard, initialLimit: 2, minLimit: 1, maxLimit: 8, algorithm: 'aimd', maxPartitions: 16 }).describe()).toEqual({
      kind: 'adaptive-concurrency',
      name: 'adaptive-concurrency',
      options: {
        key: 'byShard',
        algorithm: 'aimd',
        backoffRatio: 0.9,
        latencyThreshold: Number.POSITIVE_INFINITY,
        initialLimit: 2,
        minLimit: 1,
        maxLimit: 8,
        maxQueue: 0,
        queueTimeout: Number.POSITIVE_INFINITY,
        maxPartitions: 16,
      },
    });
  });
});
