/**
 * The Redis coordinator: one object per process that holds the user's Redis client and gives
 * the fleet features (the fleet rate limit, the fleet-aware breaker, fleet chaos) what they
 * share: scripts, pub/sub with a defensive codec, key names, an instance id and a view of
 * the connection.
 *
 * ## How to build on the coordinator
 *
 * A fleet feature takes a {@link RedisCoordinator} (the user passes `coordinator` in its
 * options) and uses only this surface:
 *
 * - **State in Redis: scripts only.** `coordinator.eval(script, keys, args)` runs a Lua
 *   script by EVALSHA (the SHA is cached once known; a `NOSCRIPT` reply, e.g. after a
 *   restart or on another Cluster node, falls back to EVAL, which reloads it). Every read
 *   and write is one script, so it is atomic and one round trip. Keys come from
 *   `coordinator.key(tag, ...rest)`: `<prefix>:{<tag>}:<rest…>`, where the hash tag puts
 *   every key of one `tag` in one Cluster slot; give a script only keys of one tag. Parts are
 *   escaped (`%`, `:`, `{`, `}`), so distinct parts never make the same key. Scripts read the
 *   time with `redis.call('TIME')`, never the caller's clock: every instance then agrees.
 *   Decode every value a script returns defensively (another version or a hand edit may
 *   have written it).
 * - **Messages: pub/sub.** `coordinator.publish(channel, kind, payload)` sends an envelope
 *   (see `codec.ts`) on `<prefix>:<channel>`; `coordinator.subscribe(channel, handler)`
 *   hears them on the second connection (the `subscriber` option, else a duplicate of the
 *   client made on the first subscribe). Malformed, oversized and foreign messages never
 *   reach a handler: they are counted by a `message-rejected` event. The payload is still
 *   untrusted JSON: validate it in the handler. Messages from this instance come back too
 *   (compare `message.instanceId` with `coordinator.instanceId`).
 * - **Connection state.** `coordinator.connected`, and the events `down` (the client
 *   closed, is reconnecting, or a command failed for a reason other than a server reply) and
 *   `up` (ready again, or a command answered): degrade to local state on `down`, resync on
 *   `up`. Slowness is not `down`: bound your own waits (the rate-limit store has
 *   `storeTimeout`).
 * - **Identity.** `coordinator.instanceId` (random unless given) names this process in
 *   messages and in fleet state.
 * - **Lifecycle.** `coordinator.close()` unsubscribes, closes what the coordinator made (never
 *   the user's clients) and makes further `eval`/`publish` reject. A feature that keeps
 *   listeners on the coordinator disposes them in its own `close()`/`dispose()`.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../core/clock';
import type { ValidationIssue } from '../core/errors';
import { Emitter, type Subscription } from '../core/events';
import { systemRandom } from '../core/random';
import { validateOptions } from '../core/validation';
import { clientFlavor, connectionOf, isReplyError, type Connection } from './client';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeMessage } from './codec';
import type { CoordinatorEventPayload, RedisCoordinatorEvent } from './events';
import { FleetPubSub, type FleetMessageHandler, type FleetSubscription } from './pubsub';
import { FleetPresence } from './presence';
import type { RedisRateLimitStoreOptions } from './rate-limit-options';
import { RedisRateLimitStore } from './rate-limit-store';
import { redisBreakerFleet, type RedisBreakerFleet } from './fleet-breaker';
import { redisChaosFleet, type RedisChaosFleet } from './fleet-chaos';
import type { BreakerFleetMember, BreakerFleetPeer } from '../circuit-breaker/fleet';
import type { ChaosFleetLink, ChaosFleetMember } from '../chaos/fleet';
import type { RateLimitRule, RateLimitStore, StoreDecision } from '../rate-limiter/store';
import { coordinatorSchema, type RedisCoordinatorOptions } from './coordinator-options';

export type { RedisCoordinatorOptions };

const ESCAPE = /[%:{}]/g;
const NEEDS_ESCAPE = /[%:{}]/;
const escapes: Record<string, string> = { '%': '%25', ':': '%3A', '{': '%7B', '}': '%7D' };

/** Escapes a key part so that parts never run into each other or into the hash tag. */
function part(p: string): string {
  return NEEDS_ESCAPE.test(p) ? p.replace(ESCAPE, (c) => escapes[c] as string) : p;
}

function randomId(): string {
  const cryptoLike = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  const bytes = new Uint8Array(8);
  if (cryptoLike?.getRandomValues !== undefined) cryptoLike.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(systemRandom() * 256);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Interval (ms) of the fleet heartbeat. */
const FLEET_HEARTBEAT = 5_000;

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The coordinator of one process's fleet features on Redis. Make one with
 * {@link redisCoordinator}; see this module's documentation for how features build on it.
 *
 * @example
 * ```ts
 * const coordinator = redisCoordinator({ client: new Redis(process.env.REDIS_URL) });
 * const partner = rateLimiter({ name: 'partner', rate: 500, store: coordinator.rateLimitStore({ name: 'partner' }) });
 * process.on('SIGTERM', () => void coordinator.close());
 * ```
 */
export class RedisCoordinator implements RateLimitStore {
  /** The `prefix` option. */
  readonly prefix: string;
  /** This process's id in the fleet (the `instanceId` option, else random). */
  readonly instanceId: string;
  /** Which client library the coordinator detected. */
  readonly flavor: 'ioredis' | 'node-redis';
  /** The `maxMessageBytes` option. */
  readonly maxMessageBytes: number;
  /** @internal The clock of event times. */
  readonly clock: Clock;
  private readonly connection: Connection;
  private readonly pubsub: FleetPubSub;
  private readonly events = new Emitter<RedisCoordinatorEvent>();
  private readonly shas = new Map<string, string>();
  private readonly loading = new Set<string>();
  private readonly unwatch: () => void;
  private up: boolean;
  private isClosed = false;
  private presence: FleetPresence | undefined;
  private readonly stores = new Set<RedisRateLimitStore>();
  private defaultStore: RedisRateLimitStore | undefined;
  private breakerFleet: RedisBreakerFleet | undefined;
  private chaosFleet: RedisChaosFleet | undefined;

  /** @internal Use {@link redisCoordinator}. */
  constructor(options: RedisCoordinatorOptions) {
    const o = validateOptions<RedisCoordinatorOptions>('redisCoordinator', options, coordinatorSchema, (opts, issues: ValidationIssue[]) => {
      if (opts.subscriber !== undefined && opts.subscriber === opts.client) {
        issues.push({ path: 'subscriber', value: '(the client itself)', expected: 'a second connection (a subscribed connection can send no other command), or absent' });
      }
    });
    this.flavor = clientFlavor(o.client) as 'ioredis' | 'node-redis';
    this.prefix = o.prefix ?? 'breakwater';
    this.instanceId = o.instanceId ?? randomId();
    this.maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.clock = o.clock ?? systemClock;
    this.connection = connectionOf(o.client, this.flavor);
    this.pubsub = new FleetPubSub(this.connection, o.subscriber, this.prefix, this.maxMessageBytes, (e) => this.emit(e));
    this.up = this.connection.looksUp();
    this.unwatch = this.connection.watch({ up: () => this.setUp(), down: (reason) => this.setDown(reason) });
  }

  /**
   * True while the connection is believed up (see the `down` / `up` events).
   *
   * @example
   * ```ts
   * if (!coordinator.connected) log.warn('fleet state is local until Redis is back');
   * ```
   */
  get connected(): boolean {
    return this.up && !this.isClosed;
  }

  /**
   * True once {@link RedisCoordinator.close} was called.
   *
   * @example
   * ```ts
   * if (!coordinator.closed) await coordinator.publish('chaos', 'halt', null);
   * ```
   */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Listens to one type of event; returns a subscription to dispose.
   *
   * @example
   * ```ts
   * coordinator.on('message-rejected', (e) => metrics.increment('fleet_message_rejected', { reason: e.reason }));
   * ```
   */
  on<T extends RedisCoordinatorEvent['type']>(type: T, listener: (event: Extract<RedisCoordinatorEvent, { type: T }>) => void): Subscription {
    return this.events.on((e) => {
      if (e.type === type) listener(e as Extract<RedisCoordinatorEvent, { type: T }>);
    });
  }

  /**
   * A key name: `<prefix>:{<tag>}:<rest…>`. `tag` (or the parts of an array tag, joined
   * with `:`) is the Cluster hash tag: every key of one tag lives in one slot, so one script
   * may touch them all. Each part is escaped (`%` `:` `{` `}` → `%25` `%3A` `%7B` `%7D`).
   *
   * @example
   * ```ts
   * coordinator.key(['rl', 'partner', 'p-42']);      // 'breakwater:{rl:partner:p-42}'
   * coordinator.key(['cb', 'gateway'], 'lease');     // 'breakwater:{cb:gateway}:lease'
   * ```
   */
  key(tag: string | readonly string[], ...rest: readonly string[]): string {
    const t = typeof tag === 'string' ? part(tag) : tag.map(part).join(':');
    let k = `${this.prefix}:{${t}}`;
    for (const r of rest) k += `:${part(r)}`;
    return k;
  }

  /**
   * The full name of a pub/sub channel: `<prefix>:<name>` (what `redis-cli PUBLISH` needs).
   *
   * @example
   * ```ts
   * coordinator.channel('chaos'); // 'breakwater:chaos'
   * ```
   */
  channel(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /**
   * Runs a Lua script: EVALSHA once the SHA is known, EVAL the first time (while SCRIPT LOAD
   * fetches the SHA in the background) and whenever the server answers `NOSCRIPT`. One
   * round trip. Numbers in `args` are sent as strings. Rejects with the client's error
   * (a connection failure also emits `down`); never times out by itself.
   *
   * @example
   * ```ts
   * const n = await coordinator.eval("return redis.call('INCR', KEYS[1])", [coordinator.key('demo')], []);
   * ```
   */
  async eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.isClosed) throw new Error('redisCoordinator: closed');
    let a = args as readonly string[];
    for (let i = 0; i < args.length; i++) {
      if (typeof args[i] !== 'string') {
        a = args.map(String);
        break;
      }
    }
    const sha = this.shas.get(script);
    let result: unknown;
    try {
      if (sha === undefined) {
        this.loadInBackground(script);
        result = await this.connection.eval(script, keys, a);
      } else {
        try {
          result = await this.connection.evalsha(sha, keys, a);
        } catch (e) {
          if (!/^NOSCRIPT/.test(errorMessage(e))) throw e;
          result = await this.connection.eval(script, keys, a);
        }
      }
    } catch (e) {
      if (isReplyError(e)) this.setUp();
      else this.setDown(errorMessage(e));
      throw e;
    }
    this.setUp();
    return result;
  }

  /**
   * Publishes a message of `kind` with `payload` (JSON) on `<prefix>:<channel>`, from this
   * instance. Resolves with the number of connections that received it.
   *
   * @example
   * ```ts
   * await coordinator.publish('chaos', 'halt', { reason: 'error budget spent' });
   * ```
   */
  async publish(channel: string, kind: string, payload: unknown): Promise<number> {
    if (this.isClosed) throw new Error('redisCoordinator: closed');
    const message = encodeMessage(this.prefix, kind, this.instanceId, payload);
    try {
      const n = await this.connection.publish(this.channel(channel), message);
      this.setUp();
      return n;
    } catch (e) {
      if (isReplyError(e)) this.setUp();
      else this.setDown(errorMessage(e));
      throw e;
    }
  }

  /**
   * Calls `handler` with every well-formed message on `<prefix>:<channel>` (this instance's
   * own included) until the subscription is disposed. The first subscription makes the
   * pub/sub connection. Handlers that throw are reported (`onCallbackError`) and the others
   * still run.
   *
   * @example
   * ```ts
   * const sub = coordinator.subscribe('breaker', (m) => {
   *   if (m.instanceId !== coordinator.instanceId && m.kind === 'opened') peersOpen.add(m.instanceId);
   * });
   * ```
   */
  subscribe(channel: string, handler: FleetMessageHandler): FleetSubscription {
    if (this.isClosed) throw new Error('redisCoordinator: closed');
    if (typeof handler !== 'function') throw new TypeError(`subscribe() expects a handler function, got ${typeof handler}`);
    return this.pubsub.subscribe(this.channel(channel), handler);
  }

  private setUp(): void {
    if (this.up || this.isClosed) return;
    this.up = true;
    this.emit({ type: 'up' });
  }

  private setDown(reason: string): void {
    if (!this.up || this.isClosed) return;
    this.up = false;
    this.emit({ type: 'down', reason });
  }

  private loadInBackground(script: string): void {
    if (this.loading.has(script)) return;
    this.loading.add(script);
    this.connection.scriptLoad(script).then(
      (sha) => {
        this.loading.delete(script);
        if (/^[0-9a-f]{40}$/.test(sha)) this.shas.set(script, sha);
      },
      () => this.loading.delete(script), // the next eval tries again
    );
  }

  private emit(payload: CoordinatorEventPayload): void {
    if (this.events.size === 0) return;
    this.events.emit({ ...payload, kind: 'redis-coordinator', time: this.clock.now() } as RedisCoordinatorEvent);
  }

  /**
   * A fleet rate-limit store: pass it as a rate limiter's `store`, and every instance whose
   * limiter uses a store of the same `name` (and prefix) shares one budget per key. Options
   * are validated at once.
   *
   * @example
   * ```ts
   * const partner = rateLimiter({ name: 'partner', rate: 500, store: coordinator.rateLimitStore({ name: 'partner', localBatch: 10 }) });
   * const perPlayer = rateLimiter.partitioned({ key: (ctx) => ctx.labels.player ?? '', rate: 5, store: coordinator.rateLimitStore({ name: 'chat' }) });
   * ```
   */
  rateLimitStore(options?: RedisRateLimitStoreOptions): RedisRateLimitStore {
    if (this.isClosed) throw new Error('redisCoordinator: closed');
    const store = new RedisRateLimitStore(this, options);
    this.stores.add(store);
    return store;
  }

  /**
   * The coordinator is a rate-limit store itself: `rateLimiter({ ..., store: coordinator })`
   * uses its default store (`rateLimitStore()` with the defaults, named `'default'`, made on
   * the first call). Limiters sharing it share one budget per key, so give distinct limits
   * their own named store instead. Never throws: after `close()` it decides as the
   * default `onStoreError` (`'local'`) says.
   *
   * @example
   * ```ts
   * const partnerQuota = rateLimiter({ name: 'partner', rate: 500, store: coordinator });
   * ```
   */
  consume(key: string, cost: number, now: number, rule: RateLimitRule): StoreDecision | PromiseLike<StoreDecision> {
    if (this.defaultStore === undefined) {
      // Never throws into a limiter: after close(), the store decides as onStoreError says.
      this.defaultStore = new RedisRateLimitStore(this);
      if (this.isClosed) this.defaultStore.close();
      else this.stores.add(this.defaultStore);
    }
    return this.defaultStore.consume(key, cost, now, rule);
  }

  /**
   * Instances seen by fleet tracking (this one included): `1` until {@link RedisCoordinator.trackFleet}
   * started and Redis first answered, then the count of heartbeats younger than 15 s.
   *
   * @example
   * ```ts
   * const share = 1 / coordinator.fleetSize; // this instance's part of a fleet-wide limit
   * ```
   */
  get fleetSize(): number {
    return this.presence?.size ?? 1;
  }

  /**
   * Starts fleet tracking (idempotent): a heartbeat every 5 s into
   * `<prefix>:{fleet}:instances` (an unref'd timer), from which {@link RedisCoordinator.fleetSize}
   * counts the live instances. The rate-limit stores start it for their default `localShare`.
   *
   * @example
   * ```ts
   * coordinator.trackFleet();
   * const quorum = Math.ceil(coordinator.fleetSize / 2);
   * ```
   */
  trackFleet(): void {
    if (this.presence !== undefined || this.isClosed) return;
    this.presence = new FleetPresence(this, this.key('fleet', 'instances'), this.clock, FLEET_HEARTBEAT);
    this.presence.start();
  }

  /**
   * Releases everything the coordinator made: unsubscribes its channels, closes the pub/sub
   * connection it duplicated (a `subscriber` you gave stays open, unsubscribed), stops
   * following the client's events and drops every handler. The `client` stays open: it is
   * yours. Further `eval`, `publish` and `subscribe` throw. Idempotent.
   *
   * @example
   * ```ts
   * await coordinator.close();
   * await client.quit();
   * ```
   */
  /**
   * The fleet-aware breaker's seam, so `circuitBreaker({ name, coordinator })` takes the
   * coordinator itself: joins through one {@link redisBreakerFleet} with default options
   * (give `redisBreakerFleet(coordinator, { … })` to tune it).
   */
  joinBreaker(name: string, peer: BreakerFleetPeer): BreakerFleetMember {
    if (this.isClosed) throw new Error('redisCoordinator: closed');
    return (this.breakerFleet ??= redisBreakerFleet(this)).joinBreaker(name, peer);
  }

  /** Fleet chaos's seam, so `chaos.arm({ coordinator })` takes the coordinator itself (one {@link redisChaosFleet} with default options). */
  joinChaos(member: ChaosFleetMember): ChaosFleetLink {
    if (this.isClosed) throw new Error('redisCoordinator: closed');
    return (this.chaosFleet ??= redisChaosFleet(this)).joinChaos(member);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.breakerFleet?.close(); // while eval still works: the leave scripts go out
    this.chaosFleet?.close();
    for (const store of this.stores) store.close();
    this.stores.clear();
    this.presence?.stop(); // leaves the fleet set while eval still works
    this.isClosed = true;
    this.unwatch();
    await this.pubsub.close();
  }
}

/**
 * Creates a {@link RedisCoordinator} over your ioredis or node-redis (v4+) client: the
 * shared piece of the fleet rate limit, the fleet-aware breaker and fleet chaos.
 *
 * Options are validated at once: an `OptionsValidationError` names every bad field (a
 * `client` that is neither library's client says what was expected).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { rateLimiter } from 'breakwater';
 * import { redisCoordinator } from 'breakwater/redis';
 *
 * const coordinator = redisCoordinator({ client: new Redis(process.env.REDIS_URL), instanceId: process.env.HOSTNAME });
 * const partnerQuota = rateLimiter({ name: 'partner', rate: 500, store: coordinator });
 * ```
 */
export function redisCoordinator(options: RedisCoordinatorOptions): RedisCoordinator {
  return new RedisCoordinator(options);
}
