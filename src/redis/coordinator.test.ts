/**
 * The coordinator against a real redis-server (test/support/redis-server.ts), with both
 * client libraries: validation, scripts (EVALSHA and the NOSCRIPT fallback), pub/sub through
 * the codec, connection state, and close() releasing what it made.
 */
import Redis from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../core/errors';
import { redisCoordinator, type RedisCoordinator } from './coordinator';
import type { RedisCoordinatorEvent } from './events';
import type { FleetMessage } from './codec';
import type { RedisClientLike } from './client';
import { useRedisServer } from '../../test/support/redis-server';

const redis = useRedisServer({ beforeAll, afterAll });

const until = async (cond: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Connections the server sees now. */
async function clientCount(): Promise<number> {
  const list = await redis().command('CLIENT', 'LIST');
  return list.split('\n').filter((l) => l.includes('id=')).length;
}

const listeners = (c: unknown): number =>
  ['ready', 'close', 'end', 'reconnecting', 'error', 'message'].reduce((n, e) => n + (c as { listenerCount(e: string): number }).listenerCount(e), 0);

interface Flavor {
  name: 'ioredis' | 'node-redis';
  connect(): Promise<RedisClientLike & { quit(): Promise<unknown> }>;
}

const flavors: Flavor[] = [
  {
    name: 'ioredis',
    connect: async () => {
      const c = new Redis(redis().port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
      await c.connect();
      return c;
    },
  },
  {
    name: 'node-redis',
    connect: async () => {
      const c = createClient({ url: redis().url });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
  },
];

describe('redisCoordinator options', () => {
  it('refuses a value that is not a Redis client, naming what was expected', () => {
    for (const client of [undefined, {}, { get: () => 1 }, 'redis://localhost']) {
      let error: unknown;
      try {
        redisCoordinator({ client } as never);
      } catch (e) {
        error = e;
      }
      expect(isOptionsValidationError(error)).toBe(true);
      expect((error as Error).message).toContain('expected `client` to be an ioredis client (new Redis() or new Redis.Cluster()) or a node-redis v4+ client');
    }
  });

  it('names every bad field at once, unknown keys included', () => {
    const client = new Redis({ lazyConnect: true });
    expect(() => redisCoordinator({ client, prefix: 'a{b}', instanceId: '', maxMessageBytes: 1, colour: 'red' } as never)).toThrow(
      /unknown option `colour`.*`prefix`.*`instanceId`.*`maxMessageBytes`|`prefix`.*`instanceId`.*`maxMessageBytes`.*unknown option `colour`/,
    );
    expect(() => redisCoordinator({ client, subscriber: client })).toThrow(/`subscriber` to be a second connection/);
    client.disconnect();
  });

  it('makes injective, hash-tagged key names', () => {
    const c = redisCoordinator({ client: new Redis({ lazyConnect: true }), prefix: 'shop' });
    expect(c.key(['rl', 'partner', 'p-42'])).toBe('shop:{rl:partner:p-42}');
    expect(c.key(['cb', 'gateway'], 'lease')).toBe('shop:{cb:gateway}:lease');
    expect(c.key(['rl', 'a:b'], 'c')).not.toBe(c.key(['rl', 'a'], 'b:c'));
    expect(c.key(['rl', 'x}{y%'])).toBe('shop:{rl:x%7D%7By%25}');
    expect(c.channel('chaos')).toBe('shop:chaos');
    expect(c.instanceId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe.each(flavors)('redisCoordinator with $name', (flavor) => {
  let client: RedisClientLike & { quit(): Promise<unknown> };
  let coordinator: RedisCoordinator;
  const open: RedisCoordinator[] = [];

  const make = async (extra: Partial<Parameters<typeof redisCoordinator>[0]> = {}): Promise<RedisCoordinator> => {
    client = await flavor.connect();
    coordinator = redisCoordinator({ client, ...extra });
    open.push(coordinator);
    return coordinator;
  };

  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
    await client.quit().catch(() => undefined);
  });

  it('detects the library by shape', async () => {
    expect((await make()).flavor).toBe(flavor.name);
  });

  it('runs scripts by EVALSHA once loaded, and falls back to EVAL after SCRIPT FLUSH', async () => {
    const c = await make();
    const script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    const key = c.key(['test', flavor.name, 'eval']);
    const stat = async (cmd: string): Promise<[number, number]> => {
      const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+),.*failed_calls=(\\d+)`).exec(await redis().command('INFO', 'commandstats'));
      return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
    };
    await redis().command('CONFIG', 'RESETSTAT');
    expect(await c.eval(script, [key], [2])).toBe(2); // EVAL, SCRIPT LOAD in the background
    await until(async () => (await stat('script\\|load'))[0] === 1);
    expect(await stat('eval')).toEqual([1, 0]);
    expect(await c.eval(script, [key], [3])).toBe(5);
    expect(await stat('evalsha')).toEqual([1, 0]);
    expect(await stat('eval')).toEqual([1, 0]);
    await redis().command('SCRIPT', 'FLUSH');
    expect(await c.eval(script, [key], [1])).toBe(6); // NOSCRIPT → EVAL
    expect(await stat('evalsha')).toEqual([2, 1]);
    expect(await stat('eval')).toEqual([2, 0]);
    await redis().command('DEL', key);
  });

  it('script calls made in one turn each get their own reply (ioredis: one pipeline), an error only its own', async () => {
    const c = await make();
    const script = "if ARGV[1] == 'bad' then return redis.error_reply('ERR bad arg') end return ARGV[1]";
    await c.eval(script, [c.key('p')], ['warm']);
    await new Promise((r) => setTimeout(r, 50)); // the SHA is known: the next calls go by EVALSHA
    await redis().command('CONFIG', 'RESETSTAT');
    const calls = Array.from({ length: 20 }, (_, i) => c.eval(script, [c.key('p')], [i === 7 ? 'bad' : `v${i}`]).then((v) => v, (e: Error) => e.message));
    const got = await Promise.all(calls);
    expect(got[7]).toMatch(/bad arg/);
    expect(got.filter((_, i) => i !== 7)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).filter((_, i) => i !== 7));
    expect(await redis().command('INFO', 'commandstats')).toMatch(/cmdstat_evalsha:calls=20,/);
  });

  it('rejects a script error without calling the connection down', async () => {
    const c = await make();
    const events: string[] = [];
    c.on('down', () => events.push('down'));
    await expect(c.eval("return redis.error_reply('ERR nope')", [c.key('x')], [])).rejects.toThrow(/nope/);
    expect(c.connected).toBe(true);
    expect(events).toEqual([]);
  });

  it('delivers well-formed messages and ignores malformed, foreign and oversized ones with an event', async () => {
    const c = await make({ maxMessageBytes: 1_024 });
    const got: FleetMessage[] = [];
    const rejected: RedisCoordinatorEvent[] = [];
    c.on('message-rejected', (e) => rejected.push(e));
    const sub = c.subscribe('chaos', (m) => got.push(m));
    expect(await sub.ready).toBe(true);
    const ch = c.channel('chaos');
    await redis().command('PUBLISH', ch, 'not json');
    await redis().command('PUBLISH', ch, '{"bw":"other","v":1,"k":"halt","i":"x","d":null}');
    await redis().command('PUBLISH', ch, '{"bw":"breakwater","v":2,"k":"halt","i":"x","d":null}');
    await redis().command('PUBLISH', ch, JSON.stringify({ bw: 'breakwater', v: 1, k: 'halt', i: 'x', d: 'y'.repeat(2_000) }));
    // The documented redis-cli form reaches handlers.
    await redis().command('PUBLISH', ch, '{"bw":"breakwater","v":1,"k":"halt","i":"ops","d":{"reason":"drill"}}');
    expect(await c.publish('chaos', 'armed', { n: 1 })).toBe(1);
    await until(() => got.length === 2 && rejected.length === 4);
    expect(got).toEqual([
      { kind: 'halt', instanceId: 'ops', payload: { reason: 'drill' } },
      { kind: 'armed', instanceId: c.instanceId, payload: { n: 1 } },
    ]);
    expect(rejected.map((e) => (e.type === 'message-rejected' ? e.reason : e.type))).toEqual(['malformed', 'foreign-prefix', 'foreign-version', 'oversized']);
    sub.dispose();
  });

  it('a throwing handler does not stop the others', async () => {
    const c = await make();
    const got: string[] = [];
    const a = c.subscribe('t', () => {
      throw new Error('handler bug');
    });
    const b = c.subscribe('t', (m) => got.push(m.kind));
    await Promise.all([a.ready, b.ready]);
    const { onCallbackError } = await import('../core/report');
    const reported: unknown[] = [];
    const h = onCallbackError((e) => reported.push(e));
    await c.publish('t', 'ping', null);
    await until(() => got.length === 1);
    expect(reported).toHaveLength(1);
    h.dispose();
  });

  it('close() unsubscribes, closes the duplicate it made, keeps the client open, and leaves nothing listening', async () => {
    const before = await clientCount();
    const c = await make();
    const baseline = listeners(client) - 3; // the coordinator follows three connection events
    const sub = c.subscribe('life', () => undefined);
    expect(await sub.ready).toBe(true);
    expect(await clientCount()).toBe(before + 2); // the client and the duplicate
    await c.close();
    await until(async () => (await clientCount()) === before + 1);
    expect(await redis().command('PUBSUB', 'NUMSUB', c.channel('life'))).toContain(':0');
    expect(() => c.subscribe('x', () => undefined)).toThrow(/closed/);
    await expect(c.eval('return 1', [], [])).rejects.toThrow(/closed/);
    // The user's client still works.
    expect(await (client as unknown as { publish(c: string, m: string): Promise<number> }).publish('x', 'y')).toBe(0);
    // Every listener the coordinator put on the user's client is gone.
    expect(listeners(client)).toBe(baseline);
  });

  it('close() leaves a given subscriber open, unsubscribed', async () => {
    const subscriber = await flavor.connect();
    const c = await make({ subscriber });
    const got: string[] = [];
    const sub = c.subscribe('given', (m) => got.push(m.kind));
    expect(await sub.ready).toBe(true);
    await c.publish('given', 'hello', null);
    await until(() => got.length === 1);
    await c.close();
    expect(await redis().command('PUBSUB', 'NUMSUB', c.channel('given'))).toContain(':0');
    await subscriber.quit();
  });
});

describe('connection state', () => {
  it('emits down when redis-server dies and up when it is back (ioredis and node-redis)', async () => {
    const io = new Redis(redis().port, '127.0.0.1', { retryStrategy: () => 50 });
    io.on('error', () => undefined);
    const nr = createClient({ url: redis().url, socket: { reconnectStrategy: () => 50 } });
    nr.on('error', () => undefined);
    await nr.connect();
    await until(() => io.status === 'ready');
    const coordinators = [redisCoordinator({ client: io }), redisCoordinator({ client: nr })];
    const seen: string[][] = coordinators.map(() => []);
    coordinators.forEach((c, i) => {
      c.on('down', () => seen[i]?.push('down'));
      c.on('up', () => seen[i]?.push('up'));
    });
    expect(coordinators.every((c) => c.connected)).toBe(true);
    await redis().kill();
    await until(() => coordinators.every((c) => !c.connected));
    await redis().restart();
    await until(() => coordinators.every((c) => c.connected), 5_000);
    expect(seen).toEqual([
      ['down', 'up'],
      ['down', 'up'],
    ]);
    for (const c of coordinators) await c.close();
    io.disconnect();
    await nr.quit().catch(() => undefined);
  });
});
