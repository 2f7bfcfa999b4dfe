/**
 * Rules of the rate limiter policies that the mutation run (issue #23) found unpinned: what
 * a store is asked (key, cost, rule), that the decision API never waits, which reason a
 * refusal carries (`queue-full` and `deadline` only when they are why the call could not
 * wait), the per-key wait queue bound as waiters leave, asynchronous stores (abort while
 * deciding, a failing store), a call already aborted on entry, bad keys and costs, the
 * clock a limiter pins, event payloads, and what `describe()` shows.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { isOptionsValidationError, RateLimitedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { ScopePolicy } from '../../test/support/test-strategies';
import { freshModule } from '../../test/support/fresh-module';
import type * as RateLimiters from './rate-limiter';
import type { RateLimiterEvent } from './events';
import { rateLimiter } from './rate-limiter';
import { memoryRateLimitStore, type RateLimitRule, type RateLimitStore, type StoreDecision } from './store';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );

interface Consumed {
  readonly key: string;
  readonly cost: number;
  readonly now: number;
  readonly rule: RateLimitRule;
}

/** A store that records what it is asked and answers `answer` (or what `answer` computes). */
function recordingStore(answer: StoreDecision | ((c: Consumed) => StoreDecision | PromiseLike<StoreDecision>)): RateLimitStore & { calls: Consumed[] } {
  const calls: Consumed[] = [];
  return {
    calls,
    consume(key, cost, now, rule) {
      const c = { key, cost, now, rule };
      calls.push(c);
      return typeof answer === 'function' ? answer(c) : answer;
    },
  };
}

const admitted: StoreDecision = { allowed: true, retryAfter: 0, remaining: 7, delay: 0 };

describe('what the store is asked', () => {
  it('a plain limiter keeps its one bucket under the key "" (execute, tryAcquire, acquire)', async () => {
    const clock = new VirtualClock(40);
    const store = recordingStore(admitted);
    const l = rateLimiter({ rate: 5, per: 200, burst: 2, clock, store });
    await l.execute(() => 1);
    l.tryAcquire('ignored', 2);
    await l.acquire('ignored', 3);
    expect(store.calls.map((c) => [c.key, c.cost, c.now])).toEqual([
      ['', 1, 40],
      ['', 2, 40],
      ['', 3, 40],
    ]);
    expect(store.calls[0]?.rule).toEqual({ algorithm: 'gcra', rate: 5, per: 200, burst: 2, maxWait: 0 });
  });

  it('the decision API never waits: tryAcquire and acquire ask with maxWait 0, calls with the limiter maxWait', async () => {
    const clock = new VirtualClock();
    const store = recordingStore(admitted);
    const l = rateLimiter.partitioned({ key: () => 'p', rate: 2, maxWait: 300, algorithm: 'sliding-window', clock, store });
    l.tryAcquire('p');
    await l.acquire('p');
    await l.execute(() => 1);
    expect(store.calls.map((c) => c.rule.maxWait)).toEqual([0, 0, 300]);
    expect(store.calls[0]?.rule).toEqual({ algorithm: 'sliding-window', rate: 2, per: 1_000, burst: 2, maxWait: 0 });
  });

  it('tryAcquire on a limiter that may wait refuses at once and reserves nothing', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 100, maxWait: 1_000, clock });
    expect(l.tryAcquire()).toMatchObject({ allowed: true });
    expect(l.tryAcquire()).toEqual({ allowed: false, retryAfter: 100, remaining: 0, delay: 0 });
    expect(await l.acquire()).toEqual({ allowed: false, retryAfter: 100, remaining: 0, delay: 0 });
    await clock.advance(100);
    expect(l.tryAcquire()).toMatchObject({ allowed: true }); // nothing was reserved by the refusals
  });

  it('a cost must be an integer ≥ 1, from tryAcquire or from the cost function', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 10, clock });
    expect(() => l.tryAcquire(undefined, 1.5)).toThrow(new RangeError('Expected `cost` to be an integer ≥ 1, got 1.5'));
    expect(() => l.tryAcquire(undefined, 0)).toThrow(new RangeError('Expected `cost` to be an integer ≥ 1, got 0'));
    await expect(l.acquire(undefined, Number.NaN)).rejects.toThrow(new RangeError('Expected `cost` to be an integer ≥ 1, got NaN'));
    expect(l.tryAcquire(undefined, 1)).toMatchObject({ allowed: true, remaining: 9 });
    const bulk = rateLimiter({ rate: 10, clock, cost: () => 2.5 });
    const e = await rejection(bulk.execute(() => 'never'));
    expect(e).toEqual(new RangeError('Expected `cost` to be an integer ≥ 1, got 2.5'));
    const perPlayer = rateLimiter.partitioned({ key: () => 'p', rate: 10, clock, cost: () => 1.5 });
    expect(await rejection(perPlayer.execute(() => 'never'))).toEqual(new RangeError('Expected `cost` to be an integer ≥ 1, got 1.5'));
  });
});

describe('the reason of a refusal', () => {
  it('queue-full when the queue was the only obstacle (retryAfter ≤ maxWait, equal included); rate beyond maxWait', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 100, maxWait: 200, maxQueue: 1, clock });
    await l.execute(() => 1);
    const waiting = l.execute(() => 2); // waits 100
    expect(await rejection(l.execute(() => 3))).toMatchObject({ reason: 'queue-full', retryAfter: 200 });
    const tighter = rateLimiter({ rate: 1, per: 100, maxWait: 150, maxQueue: 1, clock });
    await tighter.execute(() => 1);
    const other = tighter.execute(() => 2);
    expect(await rejection(tighter.execute(() => 3))).toMatchObject({ reason: 'rate', retryAfter: 200 });
    await clock.runAll();
    await Promise.all([waiting, other]);
  });

  it('deadline when the deadline cut the wait the call needed; rate when even maxWait would not do', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 100, maxWait: 150, clock });
    await l.execute(() => 1);
    expect(await rejection(l.execute(() => 2, { deadline: 60 }))).toMatchObject({ reason: 'deadline', retryAfter: 100 });
    const fits = l.execute(() => clock.now(), { deadline: 150 }); // its wait fits the deadline
    await clock.advance(100);
    await expect(fits).resolves.toBe(100);
    const next = l.execute(() => 'next'); // waits until 200
    expect(await rejection(l.execute(() => 3, { deadline: 160 }))).toMatchObject({ reason: 'rate', retryAfter: 200 });
    await clock.advance(100);
    await expect(next).resolves.toBe('next');
  });

  it('a deadline no shorter than maxWait does not make the reason deadline', async () => {
    const clock = new VirtualClock();
    const store = recordingStore({ allowed: false, retryAfter: 50, remaining: 0, delay: 0 }); // e.g. a fleet store refusing
    const l = rateLimiter({ rate: 1, maxWait: 100, clock, store });
    expect(await rejection(l.execute(() => 1, { deadline: 100 }))).toMatchObject({ reason: 'rate', retryAfter: 50 });
    expect(store.calls[0]?.rule.maxWait).toBe(100);
    expect(await rejection(l.execute(() => 1, { deadline: 99 }))).toMatchObject({ reason: 'deadline', retryAfter: 50 });
    expect(store.calls[1]?.rule.maxWait).toBe(99);
  });

  it('without maxWait, neither maxQueue nor the deadline changes the rule or the reason', async () => {
    const clock = new VirtualClock();
    const store = recordingStore({ allowed: false, retryAfter: 0, remaining: 0, delay: 0 });
    const l = rateLimiter.partitioned({ key: () => 'k', rate: 1, maxQueue: 0, clock, store });
    expect(await rejection(l.execute(() => 1, { deadline: 0 }))).toMatchObject({ reason: 'rate', retryAfter: 0, partition: 'k' });
    expect(store.calls[0]?.rule.maxWait).toBe(0);
  });

  it('rate when a fractional time puts the slot just past maxWait though retryAfter fits it (GCRA)', async () => {
    const clock = new VirtualClock(0.5);
    const l = rateLimiter({ rate: 1, per: 10, maxWait: 1, clock });
    await l.execute(() => 1); // the bucket is full again at 10.5
    await clock.advanceTo(9.8);
    // The earliest start is 10.5, but a reserved slot starts on a whole ms: 11, 1.2 ms away.
    const e = await rejection(l.execute(() => 2));
    expect(e).toMatchObject({ reason: 'rate', retryAfter: 1 });
    await clock.advance(1);
    await expect(l.execute(() => 3)).resolves.toBe(3);
  });
});

describe('the wait queue of a key', () => {
  it('frees its places as waiters are admitted or leave, per key', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter.partitioned({ key: (ctx) => ctx.operation, rate: 1, per: 100, maxWait: 1_000, maxQueue: 2, clock });
    await l.execute(() => 0, { operation: 'a' });
    const w1 = l.execute(() => 1, { operation: 'a' }); // waits until 100
    const controller = new AbortController();
    const w2 = rejection(l.execute(() => 2, { operation: 'a', signal: controller.signal })); // until 200
    expect(await rejection(l.execute(() => 9, { operation: 'a' }))).toMatchObject({ reason: 'queue-full' });
    await l.execute(() => 0, { operation: 'b' });
    const b1 = l.execute(() => 1, { operation: 'b' }); // another key has its own queue
    expect(l.queued).toBe(3);
    controller.abort(new Error('gone'));
    expect(await w2).toMatchObject({ message: 'gone' });
    expect(l.queued).toBe(2);
    const w3 = l.execute(() => 3, { operation: 'a' }); // the aborted waiter's place is free (its slot stays spent: 300)
    expect(await rejection(l.execute(() => 9, { operation: 'a' }))).toMatchObject({ reason: 'queue-full' });
    await clock.advance(100);
    await expect(w1).resolves.toBe(1);
    await expect(b1).resolves.toBe(1);
    expect(l.queued).toBe(1);
    const w4 = l.execute(() => 4, { operation: 'a' }); // w1's place is free
    expect(await rejection(l.execute(() => 9, { operation: 'a' }))).toMatchObject({ reason: 'queue-full' });
    await clock.advanceTo(400); // w3 at 300, w4 at 400
    await expect(Promise.all([w3, w4])).resolves.toEqual([3, 4]);
    expect(l.queued).toBe(0);
    const w5 = l.execute(() => 5, { operation: 'a' }); // both places are free again
    const w6 = l.execute(() => 6, { operation: 'a' });
    expect(l.queued).toBe(2);
    expect(await rejection(l.execute(() => 9, { operation: 'a' }))).toMatchObject({ reason: 'queue-full' });
    await clock.advanceTo(600);
    await expect(Promise.all([w5, w6])).resolves.toEqual([5, 6]);
    expect(l.queued).toBe(0);
  });
});

describe('asynchronous stores', () => {
  it('a call aborted while the store decides rejects with the abort reason and does not run', async () => {
    let answer: (d: StoreDecision) => void = () => {};
    const store = recordingStore(() => new Promise<StoreDecision>((resolve) => (answer = resolve)));
    const l = rateLimiter({ rate: 1, store, clock: new VirtualClock() });
    const controller = new AbortController();
    let ran = false;
    const call = rejection(l.execute(() => (ran = true), { signal: controller.signal }));
    controller.abort(new Error('left the lobby'));
    answer(admitted);
    expect(await call).toMatchObject({ message: 'left the lobby' });
    expect(ran).toBe(false);
  });

  it('a store that fails fails the call with its error; admitted calls run', async () => {
    const failure = new Error('redis down');
    const l = rateLimiter({ rate: 1, clock: new VirtualClock(), store: recordingStore(() => Promise.reject(failure)) });
    expect(await rejection(l.execute(() => 'never'))).toBe(failure);
    await expect(l.acquire()).rejects.toBe(failure);
    const ok = rateLimiter.partitioned({ key: () => 'k', rate: 1, clock: new VirtualClock(), store: recordingStore(() => Promise.resolve(admitted)) });
    await expect(ok.execute(() => 'ran')).resolves.toBe('ran');
  });

  it('a store that throws synchronously fails the call with its error', async () => {
    const failure = new Error('store bug');
    const store: RateLimitStore = {
      consume: () => {
        throw failure;
      },
    };
    expect(await rejection(rateLimiter({ rate: 1, store, clock: new VirtualClock() }).execute(() => 'never'))).toBe(failure);
  });
});

describe('a call whose scope already aborted when it reaches the limiter', () => {
  it('rejects with the abort reason without consuming, asking the key or running (both kinds)', async () => {
    const reason = new Error('timed out before the limiter');
    const aborter = new (class extends ScopePolicy {
      override run(ctx: ExecutionContext, link: Parameters<ScopePolicy['run']>[1], done: Parameters<ScopePolicy['run']>[2]): void {
        ctx.scope.abort(reason);
        link.next(ctx, done);
      }
    })();
    const store = recordingStore(admitted);
    let keys = 0;
    const plain = rateLimiter({ rate: 1, store });
    const perPlayer = rateLimiter.partitioned({ key: () => String(keys++), rate: 1, store });
    let ran = false;
    await expect(pipeline(new ScopePolicy(), aborter, plain).execute(() => (ran = true))).rejects.toBe(reason);
    await expect(pipeline(new ScopePolicy(), aborter, perPlayer).execute(() => (ran = true))).rejects.toBe(reason);
    expect([ran, keys, store.calls.length]).toEqual([false, 0, 0]);
  });
});

describe('partitioned: bad keys and costs', () => {
  it('a key function that throws or returns a non-string rejects the call, without asking the store or running', async () => {
    const store = recordingStore(admitted);
    const broken = new Error('no player label');
    const throwing = rateLimiter.partitioned({ name: 'chat', rate: 1, store, key: () => {
      throw broken;
    } });
    let ran = false;
    expect(await rejection(throwing.execute(() => (ran = true)))).toBe(broken);
    const numeric = rateLimiter.partitioned({ name: 'chat', rate: 1, store, key: () => 7 as never });
    expect(await rejection(numeric.execute(() => (ran = true)))).toEqual(
      new TypeError('Rate limiter "chat": the key function returned number, expected a string'),
    );
    const badCost = new Error('no quantity');
    const costly = rateLimiter.partitioned({ rate: 1, store, key: () => 'k', cost: () => {
      throw badCost;
    } });
    expect(await rejection(costly.execute(() => (ran = true)))).toBe(badCost);
    expect([ran, store.calls.length]).toEqual([false, 0]);
  });

  it('tryAcquire throws and acquire rejects (never throws) without a string key', async () => {
    const l = rateLimiter.partitioned({ name: 'shop', rate: 1, key: () => 'k' });
    const expected = new TypeError('tryAcquire() on partitioned rate limiter "shop" needs a string key, got number');
    expect(() => l.tryAcquire(3 as never)).toThrow(expected);
    let p: Promise<unknown> | undefined;
    expect(() => (p = l.acquire(3 as never))).not.toThrow();
    await expect(p).rejects.toEqual(expected);
    await expect(l.acquire('k', 1)).resolves.toMatchObject({ allowed: true });
  });

  it('a plain limiter cost function that throws rejects the call without asking the store', async () => {
    const store = recordingStore(admitted);
    const failure = new Error('bad order');
    const l = rateLimiter({ rate: 1, store, cost: () => {
      throw failure;
    } });
    expect(await rejection(l.execute(() => 'never'))).toBe(failure);
    expect(store.calls).toEqual([]);
  });
});

describe('the clock of a rate limiter', () => {
  it('pins its clock, the system clock included: a pipeline on another clock refuses it', () => {
    const onSystem = rateLimiter({ rate: 1 });
    let error: unknown;
    try {
      pipeline({ clock: new VirtualClock() }, onSystem);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/rate-limiter 'rate-limiter' on the system clock/);
    expect(onSystem.pinnedClock).toBe(systemClock);
  });
});

describe('rate limiter events', () => {
  it('carry what the store answered: remaining, the wait, the queue length, the refusal', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ name: 'partner', rate: 2, per: 100, burst: 2, maxWait: 60, clock });
    const events: RateLimiterEvent[] = [];
    l.onEvent((e) => {
      if (e.kind === 'rate-limiter') events.push(e);
    });
    await l.execute(() => 1);
    await l.execute(() => 2);
    const waiting = l.execute(() => 3);
    const limitedCost = rateLimiter({ rate: 2, per: 100, burst: 2, clock, cost: 2 });
    limitedCost.onEvent((e) => {
      if (e.kind === 'rate-limiter') events.push(e);
    });
    await limitedCost.execute(() => 4);
    await rejection(limitedCost.execute(() => 5));
    await clock.runAll();
    await waiting;
    const strip = (e: RateLimiterEvent): Record<string, unknown> => {
      const { labels: _l, pipeline: _p, operation: _o, kind: _k, ...rest } = e as unknown as Record<string, unknown>;
      return rest;
    };
    expect(events.map(strip)).toEqual([
      { type: 'admitted', policy: 'partner', time: 0, partition: undefined, remaining: 1, waited: 0 },
      { type: 'admitted', policy: 'partner', time: 0, partition: undefined, remaining: 0, waited: 0 },
      { type: 'queued', policy: 'partner', time: 0, partition: undefined, delay: 50, queued: 1 },
      { type: 'admitted', policy: 'rate-limiter', time: 0, partition: undefined, remaining: 0, waited: 0 },
      { type: 'limited', policy: 'rate-limiter', time: 0, partition: undefined, reason: 'rate', retryAfter: 100, cost: 2 },
      { type: 'admitted', policy: 'partner', time: 50, partition: undefined, remaining: 0, waited: 50 },
    ]);
  });
});

describe('describe()', () => {
  it('shows the store kind: memory, the class name, or custom for an anonymous class', () => {
    expect(rateLimiter({ rate: 1 }).describe().options).toEqual({
      algorithm: 'gcra',
      rate: 1,
      per: 1_000,
      burst: 1,
      maxWait: 0,
      maxQueue: Number.POSITIVE_INFINITY,
      store: 'memory',
    });
    class FleetStore implements RateLimitStore {
      consume(): StoreDecision {
        return admitted;
      }
    }
    expect(rateLimiter({ rate: 1, store: new FleetStore() }).describe().options).toMatchObject({ store: 'FleetStore' });
    const bare = Object.assign(Object.create(null) as object, { consume: () => ({ allowed: true, retryAfter: 0, remaining: 0, delay: 0 }) });
    expect(rateLimiter({ rate: 1, store: bare as never }).describe().options).toMatchObject({ store: 'custom' });
    const Anonymous = [class {
      consume(): StoreDecision {
        return admitted;
      }
    }][0] as new () => RateLimitStore;
    expect(rateLimiter({ rate: 1, store: new Anonymous() }).describe().options).toMatchObject({ store: 'custom' });
    expect(rateLimiter({ rate: 1, store: memoryRateLimitStore() }).describe().options).toMatchObject({ store: 'memory' });
  });

  it('shows the cost function by name (a constant cost of 1 is no cost function at all)', () => {
    expect(rateLimiter({ rate: 5, cost: function quantity() { return 2; } }).describe().options).toMatchObject({ cost: 'quantity' });
    expect(rateLimiter({ rate: 5, cost: 1 }).describe().options).not.toHaveProperty('cost');
    expect(rateLimiter({ rate: 5, cost: 4 }).describe().options).toMatchObject({ cost: '(anonymous)' });
    const perPlayer = rateLimiter.partitioned({ rate: 5, key: [(ctx: ExecutionContext) => ctx.operation][0] as (ctx: ExecutionContext) => string, cost: function bulk() { return 1; } });
    expect(perPlayer.describe().options).toMatchObject({ key: '(anonymous)', cost: 'bulk', maxPartitions: Number.POSITIVE_INFINITY });
    expect(rateLimiter.partitioned({ rate: 5, key: () => 'k', cost: 1 }).describe().options).not.toHaveProperty('cost');
  });

  it('a constant cost is charged on every call', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 100, burst: 4, cost: 2, clock });
    await l.execute(() => 1);
    await l.execute(() => 2);
    expect(await rejection(l.execute(() => 3))).toBeInstanceOf(RateLimitedError);
    expect(l.tryAcquire()).toMatchObject({ allowed: false, retryAfter: 100 }); // tryAcquire's own cost: 1
  });
});

describe('a plain limiter on its own (the promise-native path)', () => {
  it('a fresh load keeps the one bucket under the key ""', async () => {
    const { rateLimiter: freshRateLimiter } = await freshModule<typeof RateLimiters>(() => import('./rate-limiter'));
    const store = recordingStore(admitted);
    const l = freshRateLimiter({ rate: 1, store, clock: new VirtualClock() });
    await l.execute(() => 1);
    l.tryAcquire('ignored');
    expect(store.calls.map((c) => c.key)).toEqual(['', '']);
  });

  it('without maxWait, calls and decisions hand the store one rule object (nothing allocated per decision)', async () => {
    const store = recordingStore(admitted);
    const l = rateLimiter({ rate: 3, clock: new VirtualClock(), store });
    await l.execute(() => 1);
    l.tryAcquire();
    await l.acquire();
    expect(store.calls).toHaveLength(3);
    expect(store.calls[1]?.rule).toBe(store.calls[0]?.rule);
    expect(store.calls[2]?.rule).toBe(store.calls[0]?.rule);
  });

  it('waits for the delay a store reserved, even with no maxWait of its own', async () => {
    const clock = new VirtualClock();
    const store = recordingStore({ allowed: true, retryAfter: 0, remaining: 0, delay: 50 }); // e.g. a fleet store's reservation
    const l = rateLimiter({ rate: 1, clock, store });
    let ranAt: number | undefined;
    const call = l.execute(() => (ranAt = clock.now()));
    await clock.advance(49);
    expect(ranAt).toBeUndefined();
    await clock.advance(1);
    await expect(call).resolves.toBe(50);
  });

  it('a refusal with retryAfter 0 and no maxWait has the reason rate (no queue, no deadline involved)', async () => {
    const store = recordingStore({ allowed: false, retryAfter: 0, remaining: 0, delay: 0 });
    const l = rateLimiter({ name: 'partner', rate: 1, clock: new VirtualClock(), store });
    expect(await rejection(l.execute(() => 'never'))).toMatchObject({ reason: 'rate', retryAfter: 0 });
    expect(await rejection(l.execute(() => 'never', { deadline: 0 }))).toMatchObject({ reason: 'rate', retryAfter: 0 });
  });
});

describe('the wait queues of a partitioned limiter', () => {
  it('a key whose last waiter left holds no queue entry (idle keys cost nothing)', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter.partitioned({ key: (ctx) => ctx.operation, rate: 1, per: 100, maxWait: 1_000, clock });
    const queues = (l as unknown as { waiting: Map<string, number> }).waiting;
    const controller = new AbortController();
    const calls: Promise<unknown>[] = [];
    for (const key of ['a', 'b', 'c']) {
      await l.execute(() => 0, { operation: key });
      calls.push(l.execute(() => key, { operation: key }));
      calls.push(rejection(l.execute(() => key, { operation: key, signal: controller.signal })));
    }
    expect([...queues.entries()]).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    controller.abort(new Error('gone'));
    await clock.runAll();
    await Promise.all(calls);
    expect(queues.size).toBe(0);
  });
});

describe('describe() of a partitioned limiter', () => {
  it('names a constant cost of a partitioned limiter (anonymous)', () => {
    expect(rateLimiter.partitioned({ rate: 5, key: () => 'k', cost: 3 }).describe().options).toMatchObject({ cost: '(anonymous)' });
  });
});
