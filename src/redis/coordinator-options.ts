/**
 * Options of the Redis coordinator and their validation schema.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { rules, type Schema } from '../core/validation';
import { clientFlavor, type RedisClientLike } from './client';
import { isInstanceId } from './codec';

/**
 * Options of {@link redisCoordinator}.
 *
 * @example
 * ```ts
 * const options: RedisCoordinatorOptions = { client: new Redis(), prefix: 'shop', instanceId: process.env.HOSTNAME };
 * ```
 */
export interface RedisCoordinatorOptions {
  /**
   * The user's Redis client: ioredis (`new Redis()`, `new Redis.Cluster()`) or node-redis
   * v4+ (`createClient()`, `createCluster()`, connected). Required. The coordinator never
   * closes it.
   */
  readonly client: RedisClientLike;
  /**
   * A second connection for pub/sub (a subscribed connection can send nothing else). When
   * absent, the coordinator duplicates `client` on the first `subscribe` and closes that
   * duplicate in `close()`; a given `subscriber` is the user's and stays open.
   * @defaultValue `client.duplicate()`, made on first use
   */
  readonly subscriber?: RedisClientLike | undefined;
  /**
   * First part of every key and channel name, and the envelope's `bw` field: fleets with
   * different prefixes ignore each other. 1–64 characters, no `{`, `}`, `:` or whitespace.
   * @defaultValue `'breakwater'`
   */
  readonly prefix?: string | undefined;
  /**
   * This process's id in messages and fleet state: 1–128 printable characters (a host name,
   * a pod name). @defaultValue a random 16-hex-digit id
   */
  readonly instanceId?: string | undefined;
  /** Largest message (UTF-8 bytes) accepted from pub/sub; larger ones are rejected unread. @defaultValue `65536` */
  readonly maxMessageBytes?: number | undefined;
  /** Clock of event times. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
}

const PREFIX = /^[^\s{}:]{1,64}$/;

const clientRule = {
  expected: 'an ioredis client (new Redis() or new Redis.Cluster()) or a node-redis v4+ client (createClient() or createCluster())',
  check: (v: unknown): boolean => clientFlavor(v) !== undefined,
};

/** @internal */
export const coordinatorSchema: Schema = {
  client: rules.required(clientRule),
  subscriber: clientRule,
  prefix: { expected: 'a string of 1–64 characters without whitespace, `{`, `}` or `:`', check: (v) => typeof v === 'string' && PREFIX.test(v) },
  instanceId: { expected: 'a string of 1–128 printable characters', check: isInstanceId },
  maxMessageBytes: rules.integer(64, 512 * 1024 * 1024),
  clock: rules.clock(),
};
