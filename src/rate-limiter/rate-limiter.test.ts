/**
 * Unit tests of the rate limiter: validation, GCRA and sliding-window decisions, weighted
 * costs, partitions and idle keys, waits (FIFO, abort, deadline, queue bound), events,
 * errors, asynchronous stores, retry interplay and the partner-429 chaos scenario.
 */
import { describe, expect, it } from 'vitest';
import { createChaosController } from '../chaos/guards';
import { partnerRateLimited, SimulatedRateLimitError } from '../chaos/catalog';
import { ErrorCodes, isExecutionRejectedError, isOptionsValidationError, isRateLimitedError, RateLimitedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { retry } from '../retry/retry';
import { timeout } from '../timeout/index';
import { describePipeline } from '../testing/describe';
import { VirtualClock } from '../testing/virtual-clock';
import type { RateLimiterEvent } from './events';
import { rateLimiter } from './rate-limiter';
import { memoryRateLimitStore, MemoryRateLimitStore, type RateLimitStore, type StoreDecision } from './store';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('rateLimiter options', () => {
  it('rejects rate: 0, per: -1, burst: 0.5, maxWait: NaN in one OptionsValidationError naming each field', () => {
    let error: unknown;
    try {
      rateLimiter({ rate: 0, per: -1, burst: 0.5, maxWait: Number.NaN });
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('Invalid rateLimiter options');
    expect(message).toContain('expected `rate` to be a finite number > 0, got 0');
    expect(message).toContain('expected `per` to be a duration in ms > 0, got -1');
    expect(message).toContain('expected `burst` to be an integer ≥ 1, got 0.5');
    expect(message).toContain('expected `maxWait` to be a duration in ms ≥ 0, got NaN');
  });

  it('rejects unknown keys, a missing rate, a bad store, and sliding-window with burst or a fractional rate', () => {
    expect(() => rateLimiter({ rate: 1, brust: 2 } as never)).toThrow(/unknown option `brust`/);
    expect(() => rateLimiter({} as never)).toThrow(/expected `rate`/);
    expect(() => rateLimiter({ rate: 1, store: {} as never })).toThrow(/expected `store` to be a rate limit store/);
    expect(() => rateLimiter({ rate: 2, burst: 4, algorithm: 'sliding-window' })).toThrow(/`burst` to be absent/);
    expect(() => rateLimiter({ rate: 1.5, algorithm: 'sliding-window' })).toThrow(/`rate` to be an integer ≥ 1/);
    expect(() => rateLimiter.partitioned({ rate: 1 } as never)).toThrow(/expected `key` to be a function/);
    expect(() => rateLimiter.partitioned({ rate: 1, key: () => '', maxPartitions: 0 })).toThrow(/maxPartitions/);
    expect(() => rateLimiter.partitioned({ rate: 1, key: () => '', maxPartitions: 5, store: memoryRateLimitStore() })).toThrow(/maxPartitions/);
    expect(() => rateLimiter({ rate: 1, cost: 0 })).toThrow(/cost/);
    expect(() => memoryRateLimitStore({ maxKeys: -1 })).toThrow(/maxKeys/);
  });

  it('fills defaults: per 1000, burst = ⌈rate⌉, gcra, no wait; describePipeline shows them', () => {
    const l = rateLimiter({ rate: 2.5 });
    expect([l.per, l.burst, l.algorithm, l.maxWait, l.maxQueue, l.name]).toEqual([1_000, 3, 'gcra', 0, Number.POSITIVE_INFINITY, 'rate-limiter']);
    const perPlayer = rateLimiter.partitioned({ name: 'chat', key: function player() { return 'p'; }, rate: 5, algorithm: 'sliding-window' });
    expect(describePipeline(pipeline(perPlayer))).toMatchObject({
      policies: [
        {
          kind: 'rate-limiter',
          name: 'chat',
          options: { key: 'player', algorithm: 'sliding-window', rate: 5, per: 1_000, burst: 5, maxWait: 0, store: 'memory', maxPartitions: Number.POSITIVE_INFINITY },
        },
      ],
    });
  });
});

describe('GCRA decisions', () => {
  it('admits a burst, then one per interval; retryAfter is exact and remaining counts down', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 2, per: 1_000, burst: 3, clock });
    expect([l.tryAcquire(), l.tryAcquire(), l.tryAcquire()].map((d) => d.remaining)).toEqual([2, 1, 0]);
    expect(l.tryAcquire()).toEqual({ allowed: false, retryAfter: 500, remaining: 0, delay: 0 });
    await clock.advance(499);
    expect(l.tryAcquire().allowed).toBe(false);
    await clock.advance(1);
    expect(l.tryAcquire().allowed).toBe(true);
  });

  it('weighted costs: a bulk purchase of 3 needs 3 units; a cost above the burst is never admitted', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 100, burst: 4, clock });
    expect(l.tryAcquire(undefined, 3)).toMatchObject({ allowed: true, remaining: 1 });
    expect(l.tryAcquire(undefined, 3)).toMatchObject({ allowed: false, retryAfter: 200, remaining: 1 });
    expect(l.tryAcquire(undefined, 5)).toMatchObject({ allowed: false, retryAfter: Number.POSITIVE_INFINITY });
    expect(() => l.tryAcquire(undefined, 0)).toThrow(RangeError);
    const bulk = rateLimiter({ rate: 1, per: 100, burst: 4, clock, cost: (ctx) => Number(ctx.labels['quantity']) });
    await bulk.execute(() => 'ok', { labels: { quantity: '4' } });
    const e = await rejection(bulk.execute(() => 'ok', { labels: { quantity: '1' } }));
    expect(e).toMatchObject({ reason: 'rate', retryAfter: 100 });
    expect(await rejection(bulk.execute(() => 'ok', { labels: { quantity: 'x' } }))).toBeInstanceOf(RangeError);
  });

  it('the policy rejects over the limit with a cheap RateLimitedError (an execution rejection) and does not run the function', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ name: 'partner', rate: 1, per: 1_000, clock });
    let runs = 0;
    await l.execute(() => runs++);
    const e = await rejection(l.execute(() => runs++));
    expect(runs).toBe(1);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect(isRateLimitedError(e) && isExecutionRejectedError(e)).toBe(true);
    expect(e).toMatchObject({ code: ErrorCodes.rateLimited, limiter: 'partner', reason: 'rate', retryAfter: 1_000, partition: undefined });
    expect((e as Error).message).toBe('Rate limiter "partner": rate limit exceeded; retry after 1000 ms');
    expect((e as Error).stack).toBe(`RateLimitedError: ${(e as Error).message}`);
    expect(String(e)).toBe(`RateLimitedError: ${(e as Error).message}`);
    (e as Error).message = 'overwritten'; // message and stack are lazy accessors, still assignable
    expect((e as Error).message).toBe('overwritten');
    const made = new RateLimitedError('partner', 'queue-full', 250, 'p1');
    expect(made.message).toBe('Rate limiter "partner" (key "p1"): wait queue is full; retry after 250 ms');
    expect(made.stack).toContain('RateLimitedError');
  });
});

describe('sliding window', () => {
  it('at most rate per window of per ms; retryAfter is when the oldest admission leaves', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 2, per: 1_000, algorithm: 'sliding-window', clock });
    expect(l.tryAcquire().allowed).toBe(true);
    await clock.advance(300);
    expect(l.tryAcquire().allowed).toBe(true);
    expect(l.tryAcquire()).toMatchObject({ allowed: false, retryAfter: 700 });
    await clock.advance(700);
    expect(l.tryAcquire()).toMatchObject({ allowed: true, remaining: 0 });
    expect(l.tryAcquire()).toMatchObject({ allowed: false, retryAfter: 300 });
  });
});

describe('partitions and idle keys', () => {
  it('one key spending its budget never affects another; a key needs a string', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter.partitioned({ key: (ctx) => ctx.labels['player'] ?? 'anonymous', rate: 1, per: 1_000, clock });
    await l.execute(() => 1, { labels: { player: 'spammer' } });
    const e = await rejection(l.execute(() => 1, { labels: { player: 'spammer' } }));
    expect(e).toMatchObject({ reason: 'rate', partition: 'spammer' });
    await expect(l.execute(() => 'fine', { labels: { player: 'other' } })).resolves.toBe('fine');
    expect(() => l.tryAcquire(undefined as never)).toThrow(TypeError);
    const bad = rateLimiter.partitioned({ key: () => 42 as never, rate: 1, clock });
    expect(await rejection(bad.execute(() => 1))).toBeInstanceOf(TypeError);
  });

  it('a key back to full is dropped: a million one-off keys leave nothing after one refill with no calls (background sweep)', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const l = rateLimiter.partitioned({ key: () => '', rate: 10, per: 1_000, store, clock });
    for (let i = 0; i < 50_000; i++) l.tryAcquire(`one-off-${i}`);
    expect(store.size).toBeGreaterThan(49_000); // a few were checked and are still live
    await clock.advance(99); // TAT = +100 ms: not yet full
    expect(store.size).toBeGreaterThan(49_000);
    await clock.advance(2);
    await clock.advance(10); // the sweep runs in chunks
    expect(store.size).toBe(0);
  });

  it('a key that refilled is dropped on its next access, and new keys check a few old ones', async () => {
    const clock = new VirtualClock();
    const store = new MemoryRateLimitStore({ clock });
    const l = rateLimiter.partitioned({ key: () => '', rate: 1, per: 100, store, clock });
    l.tryAcquire('a');
    l.tryAcquire('b');
    expect(store.size).toBe(2);
    clock.setTimeout(() => {}, 0); // nothing else: advance by hand without running the sweep first
    await clock.advance(100);
    l.tryAcquire('c');
    expect(store.size).toBeLessThanOrEqual(2);
  });

  it('maxPartitions bounds live keys: a new key beyond it is refused with an honest retryAfter', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter.partitioned({ key: (ctx) => ctx.operation, rate: 1, per: 1_000, maxPartitions: 2, clock });
    await l.execute(() => 1, { operation: 'a' });
    await l.execute(() => 1, { operation: 'b' });
    const e = await rejection(l.execute(() => 1, { operation: 'c' }));
    expect(e).toMatchObject({ reason: 'max-partitions', partition: 'c', retryAfter: 1_000 });
    await clock.advance(1_000);
    await expect(l.execute(() => 'in', { operation: 'c' })).resolves.toBe('in');
  });
});

describe('waiting (maxWait)', () => {
  it('a call over the limit reserves its slot and waits, in arrival order; beyond maxWait it is refused', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 10, per: 1_000, burst: 1, maxWait: 250, clock });
    const starts: [string, number][] = [];
    const call = (id: string): Promise<unknown> => l.execute(() => starts.push([id, clock.now()]));
    const calls = [call('a'), call('b'), call('c')];
    expect(l.queued).toBe(2);
    const late = await rejection(call('d')); // would wait 300 ms
    expect(late).toMatchObject({ reason: 'rate', retryAfter: 300 });
    await clock.runAll();
    await Promise.all(calls);
    expect(starts).toEqual([
      ['a', 0],
      ['b', 100],
      ['c', 200],
    ]);
    expect(l.queued).toBe(0);
  });

  it('a waiter leaves at once when its caller aborts (its slot is spent); inside a shorter timeout it never waits', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 1_000, maxWait: 5_000, clock });
    await l.execute(() => 1);
    const controller = new AbortController();
    const waiting = rejection(l.execute(() => 'never', { signal: controller.signal }));
    controller.abort(new Error('player left'));
    expect(await waiting).toMatchObject({ message: 'player left' });
    expect(l.queued).toBe(0);
    const p = pipeline({ clock }, timeout(100), l);
    expect(await rejection(p.execute(() => 'never'))).toMatchObject({ name: 'RateLimitedError', reason: 'deadline', retryAfter: 2_000 });
    expect(l.queued).toBe(0);
    expect(clock.now()).toBe(0);
  });

  it('never waits past the deadline (reason deadline) and maxQueue bounds waiters (reason queue-full)', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter({ rate: 1, per: 100, maxWait: 1_000, maxQueue: 1, clock });
    await l.execute(() => 1);
    const e = await rejection(l.execute(() => 1, { deadline: 50 }));
    expect(e).toMatchObject({ reason: 'deadline', retryAfter: 100 });
    const waiting = l.execute(() => 'second');
    const full = await rejection(l.execute(() => 1));
    expect(full).toMatchObject({ reason: 'queue-full', retryAfter: 200 });
    await clock.runAll();
    await expect(waiting).resolves.toBe('second');
  });
});

describe('events', () => {
  it('emits admitted, queued and limited only to listeners', async () => {
    const clock = new VirtualClock();
    const l = rateLimiter.partitioned({ name: 'shop', key: () => 'p1', rate: 1, per: 100, maxWait: 500, maxQueue: 1, clock });
    const events: RateLimiterEvent[] = [];
    const sub = l.onEvent((e) => {
      if (e.kind === 'rate-limiter') events.push(e);
    });
    const a = l.execute(() => 1);
    const b = l.execute(() => 2);
    await rejection(l.execute(() => 3));
    await clock.runAll();
    await Promise.all([a, b]);
    expect(events.map((e) => [e.type, e.kind, e.policy, e.partition])).toEqual([
      ['admitted', 'rate-limiter', 'shop', 'p1'],
      ['queued', 'rate-limiter', 'shop', 'p1'],
      ['limited', 'rate-limiter', 'shop', 'p1'],
      ['admitted', 'rate-limiter', 'shop', 'p1'],
    ]);
    expect(events[1]).toMatchObject({ delay: 100, queued: 1 });
    expect(events[2]).toMatchObject({ reason: 'queue-full', retryAfter: 200, cost: 1 });
    expect(events[3]).toMatchObject({ waited: 100 });
    sub.dispose();
  });
});

describe('stores', () => {
  it('an asynchronous store decides through one consume per call; tryAcquire refuses it, acquire works', async () => {
    const clock = new VirtualClock();
    const inner = memoryRateLimitStore({ clock });
    const calls: string[] = [];
    const remote: RateLimitStore = {
      consume: (key, cost, now, rule): Promise<StoreDecision> => {
        calls.push(`${key}:${cost}@${now}`);
        return Promise.resolve(inner.consume(key, cost, now, rule));
      },
    };
    const l = rateLimiter.partitioned({ key: () => 'k', rate: 1, per: 1_000, store: remote, clock });
    await expect(l.execute(() => 'ok')).resolves.toBe('ok');
    expect(await rejection(l.execute(() => 'no'))).toMatchObject({ reason: 'rate', retryAfter: 1_000 });
    expect(calls).toEqual(['k:1@0', 'k:1@0']);
    expect(() => l.tryAcquire('k')).toThrow(/use acquire\(\)/);
    await expect(l.acquire('k')).resolves.toMatchObject({ allowed: false, retryAfter: 1_000 });
    expect(describePipeline(l).options).toMatchObject({ store: 'Object' });
  });
});

describe('with retry', () => {
  it('retry never retries our own RateLimitedError unless retryRejections, then honours its retryAfter', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimiter({ rate: 1, per: 1_000, clock });
    await limiter.execute(() => 1);
    let runs = 0;
    const plain = pipeline({ clock }, retry({ maxAttempts: 3, delay: 10, clock }), limiter);
    expect(await rejection(plain.execute(() => runs++))).toBeInstanceOf(RateLimitedError);
    expect(runs).toBe(0);
    const patient = pipeline({ clock }, retry({ maxAttempts: 2, delay: 10, jitter: 'none', maxDelay: 5_000, retryRejections: true, clock }), limiter);
    const p = patient.execute(() => clock.now());
    await clock.runAll();
    await expect(p).resolves.toBe(1_000);
  });

  it("chaos 'partner answers 429 with Retry-After': retry waits the partner's retryAfter (the user's error)", async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test' });
    const fault = partnerRateLimited({ clock, controller, retryAfter: 1_500 });
    const e = await rejection(fault.execute(() => 'real'));
    expect(e).toBeInstanceOf(SimulatedRateLimitError);
    expect(e).toMatchObject({ status: 429, retryAfter: 1_500, headers: { 'retry-after': '2' } });
    const attempts: number[] = [];
    const p = pipeline(
      { clock },
      retry({ maxAttempts: 2, delay: 10, clock, retryAfter: (err) => (err instanceof SimulatedRateLimitError ? err.retryAfter : undefined) }),
      fault,
    );
    const call = rejection(
      p.execute(() => {
        attempts.push(clock.now());
      }),
    );
    await clock.runAll();
    expect(await call).toBeInstanceOf(SimulatedRateLimitError);
    expect(fault.injections).toBe(3);
    expect(clock.now()).toBe(1_500);
  });
});
