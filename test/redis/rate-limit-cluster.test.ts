/**
 * The fleet rate limit on a 3-node Redis Cluster started locally, through ioredis's Cluster
 * and node-redis's createCluster: hash-tagged keys spread over the nodes, each decision one
 * script on the node of its key (scripts loaded per node through the NOSCRIPT fallback).
 */
import Redis from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimiter } from '../../src/rate-limiter/rate-limiter';
import { redisCoordinator } from '../../src/redis/coordinator';
import type { RedisClientLike } from '../../src/redis/client';
import { useRedisCluster } from '../support/redis-server';

const cluster = useRedisCluster({ beforeAll, afterAll });

const flavors: { name: string; connect(): Promise<{ client: RedisClientLike; close(): Promise<unknown> }> }[] = [
  {
    name: 'ioredis Cluster',
    connect: async () => {
      const client = new Redis.Cluster(cluster().endpoints.map((e) => ({ host: e.host, port: e.port })), { lazyConnect: true });
      await client.connect();
      return { client, close: () => client.quit() };
    },
  },
  {
    name: 'node-redis createCluster',
    connect: async () => {
      const client = createCluster({ rootNodes: cluster().endpoints.map((e) => ({ url: `redis://${e.host}:${e.port}` })) });
      client.on('error', () => undefined);
      await client.connect();
      return { client, close: () => client.close() };
    },
  },
];

/** Keys held by each node. */
async function keysPerNode(): Promise<number[]> {
  return Promise.all(cluster().nodes.map(async (n) => Number((await n.command('DBSIZE')).slice(1))));
}

describe.each(flavors)('fleet rate limit on a 3-node Redis Cluster ($name)', (flavor) => {
  it('serves a partitioned limiter whose keys live on every node, each key its own budget', async () => {
    const { client, close } = await flavor.connect();
    const coordinator = redisCoordinator({ client, prefix: `cl${flavor.name.length}` });
    const store = coordinator.rateLimitStore({ name: 'players', storeTimeout: 2_000 });
    const limiter = rateLimiter.partitioned({ name: 'per-player', key: (ctx) => ctx.labels['player'] ?? '', rate: 1, per: 60_000, burst: 3, store });
    const players = Array.from({ length: 24 }, (_, i) => `player-${i}`);
    const before = await keysPerNode();
    for (const p of players) {
      const ds = [];
      for (let i = 0; i < 4; i++) ds.push(await limiter.acquire(p));
      expect(ds.map((d) => d.allowed)).toEqual([true, true, true, false]);
    }
    const after = await keysPerNode();
    const added = after.map((n, i) => n - (before[i] as number));
    // 24 keys over 16384 slots in three ranges: every node holds some.
    expect(added.every((n) => n > 0)).toBe(true);
    expect(added.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(players.length);
    expect(store.stats.localDecisions).toBe(0);
    // A sliding window, too.
    const window = rateLimiter.partitioned({ key: (ctx) => ctx.labels['player'] ?? '', rate: 2, per: 60_000, algorithm: 'sliding-window', store });
    for (const p of players.slice(0, 6)) {
      const ds = [await window.acquire(p), await window.acquire(p), await window.acquire(p)];
      expect(ds.map((d) => d.allowed)).toEqual([true, true, false]);
    }
    await coordinator.close();
    await close();
  }, 20_000);
});
