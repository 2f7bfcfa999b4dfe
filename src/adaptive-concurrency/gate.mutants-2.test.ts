/**
 * A rule of the adaptive limit's gate that the other tests leave unpinned (issue #23, mutation
 * testing): a partition is dropped the moment it goes idle, also when it goes idle because its
 * last waiter leaves while nothing is in flight. That happens only from code that runs while
 * the last call settles, before its slot is handed on: here `handleResult`, which aborts the
 * waiter's caller and then reads the partition count.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { adaptiveConcurrency } from './adaptive-concurrency';

describe('a partition whose last waiter leaves while nothing is in flight', () => {
  it('is dropped at once, before the settling call hands on its slot', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    let partitionsSeen: number | undefined;
    const shards = adaptiveConcurrency.partitioned({
      key: () => 'k',
      initialLimit: 1,
      minLimit: 1,
      maxLimit: 1,
      maxQueue: 1,
      clock,
      handleResult: (value: unknown) => {
        if (value === 'first') {
          controller.abort(new Error('caller left'));
          partitionsSeen = shards.partitions;
        }
        return false;
      },
    });
    const first = shards.execute(() => new Promise<string>((resolve) => clock.setTimeout(() => resolve('first'), 10)));
    const waiting = shards.execute(() => 'never', { signal: controller.signal });
    const waited = waiting.then(
      () => 'ran',
      (error: unknown) => (error as Error).message,
    );
    await clock.runAll();
    expect(await first).toBe('first');
    expect(await waited).toBe('caller left');
    expect(partitionsSeen).toBe(0);
    expect(shards.partitions).toBe(0);
  });
});
