/**
 * The fleet rate-limit store against a real redis-server, with both clients: GCRA and the
 * sliding window in Lua, key layout and TTLs, the admission bound (fast-check, a few seeds),
 * local batches and their overshoot bound, remembered refusals, corrupt values, validation.
 */
import fc from 'fast-check';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOptionsValidationError, isRateLimitedError } from '../core/errors';
import { rateLimiter } from '../rate-limiter/rate-limiter';
import type { RateLimitRule, StoreDecision } from '../rate-limiter/store';
import { redisCoordinator, type RedisCoordinator } from './coordinator';
import { decodeReply } from './rate-limit-scripts';
import type { RedisClientLike } from './client';
import { useRedisServer } from '../../test/support/redis-server';

const redis = useRedisServer({ beforeAll, afterAll });

const gcra = (rate: number, burst: number, per = 1_000, maxWait = 0): RateLimitRule => ({ algorithm: 'gcra', rate, per, burst, maxWait });
const sliding = (rate: number, per = 1_000, maxWait = 0): RateLimitRule => ({ algorithm: 'sliding-window', rate, per, burst: rate, maxWait });

let seq = 0;
const fresh = (): string => `k${++seq}-${Date.now()}`;

const clients: { name: string; make(): Promise<RedisClientLike & { quit(): Promise<unknown> }> }[] = [
  {
    name: 'ioredis',
    make: async () => {
      const c = new Redis(redis().port, '127.0.0.1', { lazyConnect: true });
      await c.connect();
      return c;
    },
  },
  {
    name: 'node-redis',
    make: async () => {
      const c = createClient({ url: redis().url });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
  },
];

const opened: { c: RedisCoordinator; client: { quit(): Promise<unknown> } }[] = [];
afterAll(async () => {
  for (const { c, client } of opened) {
    await c.close();
    await client.quit().catch(() => undefined);
  }
});

async function coordinatorFor(flavor: (typeof clients)[number]): Promise<RedisCoordinator> {
  const client = await flavor.make();
  const c = redisCoordinator({ client, prefix: 'test' });
  // These tests are about decisions, not timeouts: a busy CI machine must not push them local.
  const make = c.rateLimitStore.bind(c);
  c.rateLimitStore = (o = {}) => make({ storeTimeout: 5_000, ...o });
  opened.push({ c, client });
  return c;
}

describe.each(clients)('fleet rate-limit store with $name', (flavor) => {
  it('GCRA: a burst, then refusals with an honest retryAfter; one hash-tagged key with a TTL of its time to refill', async () => {
    const c = await coordinatorFor(flavor);
    const store = c.rateLimitStore({ name: 'gcra' });
    const key = fresh();
    const rule = gcra(5, 5, 60_000); // T = 12 s, L = 60 s: nothing refills during the test
    const ds: StoreDecision[] = [];
    for (let i = 0; i < 6; i++) ds.push(await store.consume(key, 1, 0, rule));
    expect(ds.slice(0, 5).every((d) => d.allowed)).toBe(true);
    expect(ds.map((d) => d.remaining).slice(0, 5)).toEqual([4, 3, 2, 1, 0]);
    expect(ds[5]).toMatchObject({ allowed: false });
    expect(ds[5]?.retryAfter).toBeGreaterThan(10_000);
    expect(ds[5]?.retryAfter).toBeLessThanOrEqual(12_000);
    const redisKey = `test:{rl:gcra:${key}}`;
    const pttl = Number((await redis().command('PTTL', redisKey)).slice(1));
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    // More than the burst: refused for ever, without asking.
    expect(store.consume(key, 6, 0, rule)).toMatchObject({ allowed: false, retryAfter: Number.POSITIVE_INFINITY });
  });

  it('sliding window: at most rate per window, then refusals until the oldest admission leaves', async () => {
    const c = await coordinatorFor(flavor);
    const store = c.rateLimitStore({ name: 'sw' });
    const key = fresh();
    const rule = sliding(5, 400);
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push((await store.consume(key, 1, 0, rule)).allowed);
    expect(results).toEqual([true, true, true, true, true]);
    const refused = await store.consume(key, 2, 0, rule);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(400);
    expect(Number((await redis().command('ZCARD', `test:{rl:sw:${key}}:sw`)).slice(1))).toBe(5);
    await new Promise((r) => setTimeout(r, refused.retryAfter + 5));
    expect((await store.consume(key, 2, 0, rule)).allowed).toBe(true);
  });

  it('serves a rate limiter with the coordinator itself as store, maxWait reserving a later slot', async () => {
    const c = await coordinatorFor(flavor);
    const limiter = rateLimiter({ name: `lim-${fresh()}`, rate: 20, burst: 1, maxWait: 200, store: c });
    const t0 = Date.now();
    await limiter.execute(() => 1);
    await limiter.execute(() => 2); // waits ~50 ms for its reserved slot
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    const strict = rateLimiter({ rate: 1, per: 60_000, store: c.rateLimitStore({ name: `strict-${fresh()}` }) });
    await strict.execute(() => 1);
    const e = await strict.execute(() => 2).catch((x: unknown) => x);
    expect(isRateLimitedError(e)).toBe(true);
  });

  it('admits no more than burst + elapsed / T (GCRA) or rate per window (sliding) under concurrent calls (fast-check, a few seeds)', async () => {
    const c = await coordinatorFor(flavor);
    const store = c.rateLimitStore({ name: 'bound' });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 400 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 20, maxLength: 120 }),
        async (rate, burst, costs) => {
          const key = fresh();
          const rule = gcra(rate, burst);
          const t0 = performance.now();
          const ds = await Promise.all(costs.map((cost) => store.consume(key, cost, 0, rule)));
          const elapsed = performance.now() - t0;
          let admitted = 0;
          ds.forEach((d, i) => (admitted += d.allowed ? (costs[i] as number) : 0));
          expect(admitted).toBeLessThanOrEqual(burst + Math.floor((elapsed * rate) / 1_000) + 1);
          // Never refuses while the bucket is full: the first call that fits is admitted.
          const firstFit = costs.findIndex((x) => x <= burst);
          if (firstFit >= 0) expect(admitted).toBeGreaterThanOrEqual(Math.min(burst, costs[firstFit] as number));
          // The sliding window: at most `rate` in a window, however the calls interleave.
          const wkey = fresh();
          const w = await Promise.all(costs.map((cost) => store.consume(wkey, cost, 0, sliding(burst, 60_000))));
          let inWindow = 0;
          w.forEach((d, i) => (inWindow += d.allowed ? (costs[i] as number) : 0));
          expect(inWindow).toBeLessThanOrEqual(burst);
          if (firstFit >= 0) expect(inWindow).toBeGreaterThanOrEqual(Math.min(burst, costs[firstFit] as number));
        },
      ),
      { numRuns: 6, seed: 1818 },
    );
  });
});

describe('local batches (localBatch)', () => {
  it('takes up to N per round trip and stays within burst + elapsed / T + instances · N', async () => {
    const instances = 3;
    const batch = 8;
    const stores = await Promise.all(
      Array.from({ length: instances }, async () => (await coordinatorFor(clients[0] as (typeof clients)[number])).rateLimitStore({ name: 'batch', localBatch: batch, localBatchTtl: 1_000 })),
    );
    const key = fresh();
    const rule = gcra(200, 20);
    const t0 = performance.now();
    let admitted = 0;
    const deadline = t0 + 300;
    await Promise.all(
      stores.map(async (s) => {
        while (performance.now() < deadline) {
          const d = await s.consume(key, 1, 0, rule);
          if (d.allowed) admitted++;
          else await new Promise((r) => setTimeout(r, 1));
        }
      }),
    );
    const elapsed = performance.now() - t0;
    const bound = 20 + Math.floor((elapsed * 200) / 1_000) + 1 + instances * batch;
    expect(admitted).toBeLessThanOrEqual(bound);
    expect(admitted).toBeGreaterThan(20);
    // Saturated, a take finds only what refilled since the last one: few tokens to batch.
    expect(stores.reduce((n, s) => n + s.stats.batchHits, 0)).toBeGreaterThan(0);
  });

  it('under the limit, one round trip serves several calls, and the batch is topped up before it runs dry', async () => {
    const stores = await Promise.all(
      Array.from({ length: 2 }, async () => (await coordinatorFor(clients[1] as (typeof clients)[number])).rateLimitStore({ name: 'batch-free', localBatch: 8, localBatchTtl: 5_000 })),
    );
    const key = fresh();
    const rule = gcra(10_000, 10_000, 3_600_000); // refills 1 unit per 360 ms
    for (const s of stores) for (let i = 0; i < 80; i++) expect((await s.consume(key, 1, 0, rule)).allowed).toBe(true);
    for (const s of stores) {
      // Every call spends a local token; a take tops the batch up when half of it is spent.
      expect(s.stats.batchHits).toBe(80);
      expect(s.stats.roundTrips).toBeLessThanOrEqual(80 / 4 + 2);
    }
    // Redis counted every token taken: each store took 80 to 88 of the 10 000.
    const plain = (await coordinatorFor(clients[1] as (typeof clients)[number])).rateLimitStore({ name: 'batch-free' });
    const { remaining } = await plain.consume(key, 1, 0, rule);
    expect(remaining).toBeGreaterThanOrEqual(10_000 - 177 - 2);
    expect(remaining).toBeLessThanOrEqual(10_000 - 161 + 20); // a few refilled meanwhile
  });

  it('concurrent calls that find the batch empty wait for one take, and no process holds more than N', async () => {
    const c = await coordinatorFor(clients[0] as (typeof clients)[number]);
    const store = c.rateLimitStore({ name: 'flight', localBatch: 8, localBatchTtl: 5_000 });
    const key = fresh();
    const rule = gcra(10_000, 10_000, 3_600_000);
    const ds = await Promise.all(Array.from({ length: 30 }, () => store.consume(key, 1, 0, rule)));
    expect(ds.every((d) => d.allowed)).toBe(true);
    expect(store.stats.roundTrips).toBeLessThanOrEqual(30 / 4 + 2);
    // Redis counted what the process took: the 30 spent plus at most 8 held.
    const plain = c.rateLimitStore({ name: 'flight' });
    const { remaining } = await plain.consume(key, 1, 0, rule);
    expect(10_000 - 1 - remaining).toBeGreaterThanOrEqual(30);
    expect(10_000 - 1 - remaining).toBeLessThanOrEqual(30 + 8);
  });

  it('a batch expires after localBatchTtl: unspent tokens are not spent later', async () => {
    const c = await coordinatorFor(clients[0] as (typeof clients)[number]);
    const store = c.rateLimitStore({ name: 'ttl', localBatch: 5, localBatchTtl: 300 });
    const key = fresh();
    const rule = gcra(1, 5, 60_000);
    expect((await store.consume(key, 1, 0, rule)).allowed).toBe(true); // takes 5, spends 1
    expect(await store.consume(key, 1, 0, rule)).toMatchObject({ allowed: true, remaining: 3 }); // local
    expect(store.stats).toMatchObject({ batchHits: 2, roundTrips: 1 });
    await new Promise((r) => setTimeout(r, 320));
    expect((await store.consume(key, 1, 0, rule)).allowed).toBe(false); // the 3 left expired; Redis holds none
  });
});

describe('remembered refusals', () => {
  it('refuses an equal or larger cost locally until retryAfter, and asks Redis for a smaller one', async () => {
    const c = await coordinatorFor(clients[0] as (typeof clients)[number]);
    const store = c.rateLimitStore({ name: 'refusals' });
    const key = fresh();
    const rule = gcra(1, 3, 60_000);
    expect((await store.consume(key, 2, 0, rule)).allowed).toBe(true);
    const refused = await store.consume(key, 2, 0, rule);
    expect(refused.allowed).toBe(false);
    const trips = store.stats.roundTrips;
    const again = store.consume(key, 3, 0, rule);
    expect(again).toMatchObject({ allowed: false }); // synchronous: no round trip
    expect((again as StoreDecision).retryAfter).toBeLessThanOrEqual(refused.retryAfter);
    expect(store.stats).toMatchObject({ roundTrips: trips, cachedRefusals: 1 });
    expect((await store.consume(key, 1, 0, rule)).allowed).toBe(true); // a smaller cost still fits
    expect(store.stats.roundTrips).toBe(trips + 1);
  });
});

describe('untrusted stored values and replies', () => {
  it('a corrupt or hostile stored value reads as an absent key', async () => {
    const c = await coordinatorFor(clients[0] as (typeof clients)[number]);
    const store = c.rateLimitStore({ name: 'corrupt' });
    for (const value of ['garbage', '1e300', 'inf', 'nan', '-5']) {
      const key = fresh();
      await redis().command('SET', `test:{rl:corrupt:${key}}`, value);
      expect((await store.consume(key, 1, 0, gcra(1, 2, 60_000))).allowed).toBe(true);
    }
    const key = fresh();
    await redis().command('ZADD', `test:{rl:corrupt:${key}}:sw`, '1', 'not-a-member');
    expect((await store.consume(key, 1, 0, sliding(2, 60_000))).allowed).toBe(true);
    await redis().command('SET', `test:{rl:corrupt:${fresh()}}:sw`, 'x');
  });

  it('decodeReply accepts only four integers that fit the request', () => {
    expect(decodeReply([1, 1, 0, 4], 1, 1)).toEqual({ allowed: true, granted: 1, delayOrRetry: 0, remaining: 4 });
    expect(decodeReply([0, 0, -1, 0], 1, 1)).toEqual({ allowed: false, granted: 0, delayOrRetry: Number.POSITIVE_INFINITY, remaining: 0 });
    fc.assert(
      fc.property(fc.anything(), fc.integer({ min: 1, max: 5 }), (reply, cost) => {
        const r = decodeReply(reply, cost, cost + 3);
        if (r !== undefined) {
          expect(Array.isArray(reply)).toBe(true);
          if (r.allowed) expect(r.granted).toBeGreaterThanOrEqual(cost);
        }
      }),
      { numRuns: 500, seed: 3 },
    );
    expect(decodeReply([1, 0, 0, 0], 1, 1)).toBeUndefined(); // granted < cost
    expect(decodeReply([1, 9, 0, 0], 1, 4)).toBeUndefined(); // granted > want
    expect(decodeReply([2, 1, 0, 0], 1, 1)).toBeUndefined();
    expect(decodeReply(['1', '1', '0', '0', '9'], 1, 1)).toBeUndefined();
  });
});

describe('onStoreError when Redis does not answer', () => {
  it("decides as 'local' (a share of the limit), 'allow' or 'deny' says, with a degraded event", async () => {
    // A client of a port nobody listens on: its commands wait in ioredis's offline queue.
    const { freePort } = await import('../../test/support/redis-server');
    const client = new Redis(await freePort(), '127.0.0.1', { lazyConnect: true, retryStrategy: () => 20 });
    client.on('error', () => undefined);
    const c = redisCoordinator({ client, prefix: 'test' });
    const rule = gcra(10, 4, 60_000);
    const modes = { local: c.rateLimitStore({ name: 'm-local', storeTimeout: 30, localShare: 0.5 }), allow: c.rateLimitStore({ name: 'm-allow', storeTimeout: 30, onStoreError: 'allow' }), deny: c.rateLimitStore({ name: 'm-deny', storeTimeout: 30, onStoreError: 'deny', probeInterval: 500 }) };
    const reasons: string[] = [];
    for (const s of Object.values(modes)) s.on('degraded', (e) => reasons.push(e.reason));
    const run = async (s: (typeof modes)['local']): Promise<boolean[]> => {
      const out: boolean[] = [];
      for (let i = 0; i < 4; i++) out.push((await s.consume('k', 1, 0, rule)).allowed);
      return out;
    };
    const t0 = performance.now();
    // local: burst 4 · 0.5 = 2, then refusals; the first call waited storeTimeout, the others none.
    expect(await run(modes.local)).toEqual([true, true, false, false]);
    expect(await run(modes.allow)).toEqual([true, true, true, true]);
    expect(await run(modes.deny)).toEqual([false, false, false, false]);
    expect(performance.now() - t0).toBeLessThan(3 * 30 + 500);
    expect(reasons.length).toBe(3);
    expect(reasons.every((r) => r === 'timeout' || r === 'connection-down' || r === 'error')).toBe(true);
    const denied = modes.deny.consume('k', 1, 0, rule) as { retryAfter: number };
    expect(denied.retryAfter).toBeGreaterThan(0);
    expect(denied.retryAfter).toBeLessThanOrEqual(500);
    expect(Object.values(modes).every((s) => s.degraded && s.stats.localDecisions === 4 + (s === modes.deny ? 1 : 0))).toBe(true);
    await c.close();
    client.disconnect();
  });
});

describe('rateLimitStore options', () => {
  it('names every bad field at once', async () => {
    const c = await coordinatorFor(clients[0] as (typeof clients)[number]);
    let error: unknown;
    try {
      c.rateLimitStore({ name: '', localBatch: 0, storeTimeout: -1, onStoreError: 'explode', localShare: 2, batch: 3 } as never);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    const message = (error as Error).message;
    for (const field of ['name', 'localBatch', 'storeTimeout', 'onStoreError', 'localShare', 'batch']) expect(message).toContain(`\`${field}\``);
  });
});
