/**
 * The Redis side of the fleet-aware breaker against a real redis-server, several
 * "instances" (each its own ioredis or node-redis client, coordinator and breaker fleet) in
 * this process: the key layout, joining late, leaving, untrusted bytes on the channel and in
 * the stored reports, a paused Redis, options and lifecycle. (Across processes, and with
 * redis-server killed: fleet-breaker.process.test.ts.) Real I/O, every wait bounded.
 */
import Redis from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, type CircuitBreakerPolicy } from '../../src/circuit-breaker/circuit-breaker';
import type { CircuitBreakerEvent } from '../../src/circuit-breaker/events';
import { isBrokenCircuitError, isOptionsValidationError } from '../../src/core/errors';
import type { RedisClientLike } from '../../src/redis/client';
import { redisCoordinator, type RedisCoordinator } from '../../src/redis/coordinator';
import { redisBreakerFleet, type RedisBreakerFleet, type RedisBreakerFleetEvent } from '../../src/redis/fleet-breaker';
import { useRedisServer } from '../support/redis-server';

const redis = useRedisServer({ beforeAll, afterAll });
const PREFIX = 'bw-fb';

interface Instance {
  readonly id: string;
  readonly client: RedisClientLike & { quit?(): Promise<unknown>; close?(): Promise<unknown> };
  readonly coordinator: RedisCoordinator;
  readonly fleet: RedisBreakerFleet;
}

const made: Instance[] = [];
afterEach(async () => {
  for (const i of made.splice(0)) {
    i.fleet.close();
    await i.coordinator.close();
    await (i.client.quit?.() ?? i.client.close?.())?.catch(() => undefined);
  }
});

async function instance(id: string, flavor: 'ioredis' | 'node-redis' = 'ioredis', heartbeat = 100): Promise<Instance> {
  let client: Instance['client'];
  if (flavor === 'ioredis') {
    const c = new Redis(redis().port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    await c.connect();
    client = c;
  } else {
    const c = createClient({ url: redis().url });
    c.on('error', () => undefined);
    await c.connect();
    client = c;
  }
  const coordinator = redisCoordinator({ client, prefix: PREFIX, instanceId: id });
  const inst = { id, client, coordinator, fleet: redisBreakerFleet(coordinator, { heartbeat }) };
  made.push(inst);
  return inst;
}

let run = 0;
const freshName = (): string => `gw-${run++}`;

function breakerOf(i: Instance, name: string, extra: Parameters<typeof circuitBreaker>[0] = {}): { breaker: CircuitBreakerPolicy; events: CircuitBreakerEvent[] } {
  const breaker = circuitBreaker({ failureThreshold: 1, recoveryTimeout: 60_000, halfOpen: { probeTimeout: 1_000 }, quorum: 1, ...extra, name, coordinator: i.fleet });
  const events: CircuitBreakerEvent[] = [];
  breaker.onEvent((e) => {
    if (e.kind === 'circuit-breaker') events.push(e as CircuitBreakerEvent);
  });
  return { breaker, events };
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 3_000, what = 'condition'): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const synced = (b: CircuitBreakerPolicy): boolean => b.stats.fleet?.status === 'synced';
const fail = (b: CircuitBreakerPolicy): Promise<unknown> => b.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);

describe('redisBreakerFleet: keys and channel', () => {
  it('keeps one report and one heartbeat per instance under {cb:<name>}, with TTLs, and removes them on leave', async () => {
    const a = await instance('inst-a');
    const name = freshName();
    const { breaker } = breakerOf(a, name);
    await until(() => synced(breaker), 3_000, 'synced');
    const live = `${PREFIX}:{cb:${name}}:live`;
    const reports = `${PREFIX}:{cb:${name}}:reports`;
    expect(await redis().command('HGET', reports, 'inst-a')).toMatch(/^\$\d+\r\n\d+:0:0:0\r\n$/);
    expect(await redis().command('ZSCORE', live, 'inst-a')).toMatch(/^\$\d+\r\n\d+\r\n$/);
    for (const k of [live, reports]) {
      const ttl = Number((await redis().command('PTTL', k)).slice(1));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600); // 2 · 3 heartbeats
    }
    await fail(breaker);
    await until(async () => /:1:\d+:0\r\n$/.test(await redis().command('HGET', reports, 'inst-a')), 2_000, 'open report stored');
    breaker.leaveFleet();
    await until(async () => (await redis().command('HGET', reports, 'inst-a')).startsWith('$-1'), 2_000, 'report removed');
    expect((await redis().command('ZSCORE', live, 'inst-a')).startsWith('$-1')).toBe(true);
  });

  it('a breaker name is escaped in keys: names with : { } % never collide', async () => {
    const a = await instance('inst-a');
    const { breaker } = breakerOf(a, 'pay:{eu}%1');
    await until(() => synced(breaker), 3_000, 'synced');
    expect((await redis().command('EXISTS', `${PREFIX}:{cb:pay%3A%7Beu%7D%251}:reports`)).trim()).toBe(':1');
  });
});

describe('redisBreakerFleet: joining, leaving, dying', () => {
  it('a new instance reads the fleet when it starts: quorum already met, it opens', async () => {
    const [a, b, c] = await Promise.all([instance('a'), instance('b', 'node-redis'), instance('c')]);
    const name = freshName();
    const A = breakerOf(a, name, { quorum: 2 });
    const B = breakerOf(b, name, { quorum: 2 });
    await until(() => synced(A.breaker) && synced(B.breaker));
    await fail(A.breaker);
    await fail(B.breaker);
    const C = breakerOf(c, name, { quorum: 2 });
    expect(C.breaker.state).toBe('closed');
    await until(() => C.breaker.state === 'open', 2_000, 'late instance open');
    expect(C.events.find((e) => e.type === 'fleet-synced')).toMatchObject({ instances: 3, open: 2, restored: false });
    const err = await C.breaker.execute(() => 1).catch((e: unknown) => e);
    expect(isBrokenCircuitError(err) && err.retryAfter > 55_000).toBe(true);
  });

  it('an instance that dies (no leave) stops counting once its heartbeat expires; one that leaves, at once', async () => {
    const [a, b, c] = await Promise.all([instance('a'), instance('b'), instance('c')]);
    const name = freshName();
    const A = breakerOf(a, name, { quorum: 2 });
    const B = breakerOf(b, name, { quorum: 2 });
    const C = breakerOf(c, name, { quorum: 2 });
    await until(() => [A, B, C].every((x) => synced(x.breaker) && x.breaker.stats.fleet?.instances === 3), 3_000, 'three live');
    (a.client as Redis).disconnect(); // a dies: no leave, its report stays until its heartbeat expires
    const diedAt = Date.now();
    await until(() => B.breaker.stats.fleet?.instances === 2, 2_000, 'a expired');
    const took = Date.now() - diedAt;
    expect(took).toBeGreaterThanOrEqual(150); // the heartbeat TTL (300 ms) had to run out
    expect(took).toBeLessThan(1_000);
    c.fleet.close(); // c leaves: withdraws its heartbeat and report at once
    await until(() => B.breaker.stats.fleet?.instances === 1, 500, 'c gone');
  });
});

describe('redisBreakerFleet: untrusted bytes', () => {
  it('ignores foreign, malformed and out-of-range messages on the channel; none opens a breaker', async () => {
    const a = await instance('a');
    const name = freshName();
    const { breaker } = breakerOf(a, name, { quorum: 1 });
    await until(() => synced(breaker));
    const ignored: RedisBreakerFleetEvent[] = [];
    a.fleet.on('message-ignored', (e) => ignored.push(e));
    const rejected: string[] = [];
    a.coordinator.on('message-rejected', (e) => rejected.push(e.reason));
    const channel = `${PREFIX}:breaker`;
    const env = (d: unknown, extra = ''): string => `{"bw":"${PREFIX}","v":1,"k":"cb.report","i":"evil"${extra},"d":${JSON.stringify(d)}}`;
    const good = { breaker: name, open: true, retryAfter: 5_000, generation: 0 };
    const raws = [
      'not json',
      `{"bw":"other","v":1,"k":"cb.report","i":"evil","d":${JSON.stringify(good)}}`, // foreign prefix
      `{"bw":"${PREFIX}","v":2,"k":"cb.report","i":"evil","d":${JSON.stringify(good)}}`, // foreign version
      env(good, ',"x":1'), // an extra envelope field
      env({ ...good, retryAfter: -1 }),
      env({ ...good, retryAfter: 'soon' }),
      env({ ...good, open: 'yes' }),
      env({ ...good, generation: 1.5 }),
      env({ ...good, probe: 'succeeded' }),
      env({ ...good, extra: true }),
      env([good]),
      env({ ...good, breaker: 'someone-else' }),
      'x'.repeat(70_000),
    ];
    for (const raw of raws) await redis().command('PUBLISH', channel, raw);
    await until(() => rejected.length + ignored.length >= raws.length, 2_000, 'every message refused');
    expect(rejected.sort()).toEqual(['foreign-prefix', 'foreign-version', 'malformed', 'malformed', 'oversized']);
    expect(ignored.map((e) => e.reason)).toEqual([...Array<string>(7).fill('malformed'), 'unknown-breaker']);
    expect(breaker.state).toBe('closed');
    // The same report, well formed, does open it (quorum 1): the refusals above were the bytes, not the path.
    await redis().command('PUBLISH', channel, env(good));
    await until(() => breaker.state === 'open', 2_000, 'opened by a well-formed report');
  });

  it('ignores garbage in the stored reports and live set', async () => {
    const a = await instance('a');
    const name = freshName();
    const live = `${PREFIX}:{cb:${name}}:live`;
    const reports = `${PREFIX}:{cb:${name}}:reports`;
    const far = String(Date.now() + 3_600_000);
    for (const [id, value] of [
      ['junk-1', 'garbage'],
      ['junk-2', '1:1:99999999999999:0'], // a break of three thousand years
      ['junk-3', '1:2:5:0'],
      ['junk-4', '1:0:5:0'], // closed with a break
      ['', '1:1:5:0'],
    ]) {
      await redis().command('ZADD', live, far, id as string);
      await redis().command('HSET', reports, id as string, value as string);
    }
    await redis().command('ZADD', live, far, 'ghost'); // live, no report
    const { breaker } = breakerOf(a, name, { quorum: 1 });
    await until(() => synced(breaker));
    await sleep(300);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.fleet).toMatchObject({ open: 0 });
  });

  it('a reports key of the wrong type makes the breaker work alone (fleet-degraded), never throws', async () => {
    const a = await instance('a');
    const name = freshName();
    await redis().command('SET', `${PREFIX}:{cb:${name}}:reports`, 'not a hash');
    const { breaker, events } = breakerOf(a, name);
    await until(() => events.some((e) => e.type === 'fleet-degraded'), 2_000, 'fleet-degraded');
    await expect(breaker.execute(() => 7)).resolves.toBe(7);
  });
});

describe('redisBreakerFleet: a slow Redis', () => {
  it('a paused Redis (CLIENT PAUSE) never slows a call; the breakers work alone, then resync', async () => {
    const [a, b] = await Promise.all([instance('a'), instance('b')]);
    const name = freshName();
    const A = breakerOf(a, name, { quorum: 1 });
    const B = breakerOf(b, name, { quorum: 1 });
    await until(() => synced(A.breaker) && synced(B.breaker));
    await redis().pause(1_200);
    const t0 = Date.now();
    let slowest = 0;
    while (Date.now() - t0 < 700) {
      const s = performance.now();
      await A.breaker.execute(() => 1);
      slowest = Math.max(slowest, performance.now() - s);
      await sleep(5);
    }
    expect(slowest).toBeLessThan(50);
    await until(() => A.breaker.stats.fleet?.status === 'degraded', 2_000, 'degraded while paused');
    await fail(B.breaker); // opens locally; its report waits for Redis
    await until(() => A.events.some((e) => e.type === 'fleet-synced' && e.restored), 4_000, 'resynced');
    await until(() => A.breaker.state === 'open', 2_000, 'opened by the fleet after the pause');
  });
});

describe('redisBreakerFleet: options and lifecycle', () => {
  it('validates its arguments in one OptionsValidationError', () => {
    try {
      redisBreakerFleet({ eval: 1 } as unknown as RedisCoordinator, { heartbeat: 0, timeout: -1, extra: 1 } as never);
      throw new Error('no error');
    } catch (e) {
      if (!isOptionsValidationError(e)) throw e;
      expect(e.issues.map((i) => i.path).sort()).toEqual(['coordinator', 'extra', 'heartbeat', 'timeout']);
      expect(e.message).toContain('a RedisCoordinator');
    }
  });

  it('one breaker per name and fleet; a closed fleet or coordinator refuses new breakers', async () => {
    const a = await instance('a');
    const name = freshName();
    breakerOf(a, name);
    expect(() => breakerOf(a, name)).toThrow(/already joined from this process/);
    a.fleet.close();
    expect(() => breakerOf(a, freshName())).toThrow(/closed/);
    const b = await instance('b');
    await b.coordinator.close();
    expect(() => breakerOf(b, freshName())).toThrow(/closed/);
  });

  it('closing the coordinator degrades its breakers and stops the heartbeat', async () => {
    const a = await instance('a');
    const { breaker, events } = breakerOf(a, freshName());
    await until(() => synced(breaker));
    await a.coordinator.close();
    await until(() => events.some((e) => e.type === 'fleet-degraded'), 1_000, 'degraded');
    expect(a.fleet.size).toBe(0);
    await expect(breaker.execute(() => 1)).resolves.toBe(1);
  });
});
