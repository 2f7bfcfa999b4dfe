/** The structural client types accept both libraries' real clients as they are, with no cast. */
import Redis from 'ioredis';
import { createClient, createCluster } from 'redis';
import { describe, expectTypeOf, it } from 'vitest';
import type { IoRedisLike, NodeRedisLike, RedisClientLike } from './client';
import type { RedisCoordinatorOptions } from './coordinator';

describe('Redis client types', () => {
  it('accept ioredis Redis and Cluster', () => {
    expectTypeOf<Redis>().toMatchTypeOf<IoRedisLike>();
    expectTypeOf<InstanceType<typeof Redis.Cluster>>().toMatchTypeOf<IoRedisLike>();
  });
  it('accept node-redis clients and clusters', () => {
    expectTypeOf<ReturnType<typeof createClient>>().toMatchTypeOf<NodeRedisLike>();
    expectTypeOf<ReturnType<typeof createCluster>>().toMatchTypeOf<NodeRedisLike>();
  });
  it('are what the coordinator takes', () => {
    expectTypeOf<RedisCoordinatorOptions['client']>().toEqualTypeOf<RedisClientLike>();
    expectTypeOf<{ get(k: string): Promise<string> }>().not.toMatchTypeOf<RedisClientLike>();
  });
});
