/**
 * Rules of the adaptive concurrency policies that the other tests leave unpinned (issue #23,
 * mutation testing): a call whose scope already aborted when it reaches the limiter (an
 * enclosing strategy aborted it, so `execute()`'s own entry check did not see it), the
 * partitioned totals of waiting calls, and what `describe()` says of an anonymous key
 * function and of the defaults. Every timed test runs on the virtual clock.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { ScopePolicy } from '../../test/support/test-strategies';
import { adaptiveConcurrency } from './adaptive-concurrency';

/** A function that takes `ms` of virtual time, then resolves with `ms`. */
function work(clock: VirtualClock, ms: number): () => Promise<number> {
  return () => new Promise((resolve) => clock.setTimeout(() => resolve(ms), ms));
}

/** A strategy that aborts the call's scope before passing it on, as an expired enclosing timeout would. */
function aborterWith(reason: Error): ScopePolicy {
  return new (class extends ScopePolicy {
    override run(ctx: ExecutionContext, link: Parameters<ScopePolicy['run']>[1], done: Parameters<ScopePolicy['run']>[2]): void {
      ctx.scope.abort(reason);
      link.next(ctx, done);
    }
  })();
}

describe('a call whose scope already aborted when it reaches the limiter', () => {
  it('is refused with the abort reason, without running or taking a slot', async () => {
    const limiter = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const reason = new Error('timed out before the limiter');
    const fn = vi.fn(() => 'ran');
    await expect(pipeline(new ScopePolicy(), aborterWith(reason), limiter).execute(fn)).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('partitioned: is refused with the abort reason, without asking the key, opening a partition or running', async () => {
    const key = vi.fn((ctx: ExecutionContext) => ctx.labels['shard'] ?? 'none');
    const limiter = adaptiveConcurrency.partitioned({ key, initialLimit: 1, minLimit: 1, maxLimit: 1 });
    const reason = new Error('timed out before the limiter');
    const fn = vi.fn(() => 'ran');
    await expect(pipeline(new ScopePolicy(), aborterWith(reason), limiter).execute(fn, { labels: { shard: 'a' } })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(key).not.toHaveBeenCalled();
    expect(limiter.partitions).toBe(0);
    expect(limiter.stats).toEqual({ partitions: 0, inFlight: 0, queued: 0 });
  });
});

describe('partitioned adaptive concurrency', () => {
  it('adds up the calls running and the calls waiting over every live partition', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency.partitioned({ key: (ctx) => ctx.operation, initialLimit: 1, minLimit: 1, maxLimit: 1, maxQueue: 5, clock });
    const calls = [
      ...Array.from({ length: 3 }, () => limiter.execute(work(clock, 10), { operation: 'a' })),
      ...Array.from({ length: 2 }, () => limiter.execute(work(clock, 10), { operation: 'b' })),
    ];
    expect(limiter.stats).toEqual({ partitions: 2, inFlight: 2, queued: 3 });
    expect([limiter.statsOf('a').queued, limiter.statsOf('b').queued]).toEqual([2, 1]);
    await clock.runAll();
    expect(await Promise.all(calls)).toEqual([10, 10, 10, 10, 10]);
    expect(limiter.stats).toEqual({ partitions: 0, inFlight: 0, queued: 0 });
  });

  it('describes an anonymous key function as such, and the defaults: its name, no queue, no queue timeout, no cap on partitions', () => {
    const options = { initialLimit: 2, minLimit: 1, maxLimit: 8 };
    const described = adaptiveConcurrency.partitioned({ ...options, key: (() => (): string => 's')() }).describe();
    expect(described.name).toBe('adaptive-concurrency');
    expect(described.options).toMatchObject({
      key: '(anonymous)',
      algorithm: 'gradient2',
      maxQueue: 0,
      queueTimeout: Number.POSITIVE_INFINITY,
      maxPartitions: Number.POSITIVE_INFINITY,
    });
  });
});
