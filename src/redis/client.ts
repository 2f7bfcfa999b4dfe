/**
 * The two Redis clients breakwater accepts, seen through minimal structural types (no
 * package is imported), and one adapter shape over both: scripts, publish, subscribe,
 * duplicate, close, and the connection events the coordinator follows.
 *
 * - **ioredis** (`Redis` or `Redis.Cluster`): recognised by `evalsha`, `script`, `publish`,
 *   `subscribe`, `duplicate` and `on`.
 * - **node-redis v4+** (`createClient()` or `createCluster()`): recognised by `evalSha`,
 *   `scriptLoad`, `publish`, `subscribe`, `duplicate` and `connect`.
 *
 * @packageDocumentation
 */
import { systemClock, unrefTimer } from '../core/clock';

/** @internal An event source (both clients are Node `EventEmitter`s). */
interface Emits {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * The part of an **ioredis** client (`new Redis()` or `new Redis.Cluster()`) that breakwater
 * uses. Any ioredis 5 or 6 client satisfies it.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const client: IoRedisLike = new Redis(6379, '127.0.0.1');
 * ```
 */
export interface IoRedisLike extends Emits {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  duplicate(): IoRedisLike;
  disconnect(): void;
  /** Closes after the replies still due (used on connections breakwater made). */
  quit?(): Promise<unknown>;
  /** `'ready'` when connected (`'connecting'`, `'reconnecting'`, `'end'`…). */
  readonly status?: string;
  /** A pipeline: script calls made in the same turn go out in one write (not used on a Cluster). */
  pipeline?(): IoPipelineLike;
  /** True on `Redis.Cluster`. */
  readonly isCluster?: boolean;
  readonly options?: { readonly enableAutoPipelining?: boolean | undefined } | undefined;
}

/** The part of an ioredis pipeline that breakwater uses. */
export interface IoPipelineLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): unknown;
  exec(): Promise<unknown>;
}

/** How long a connection breakwater made may take to answer its QUIT before it is cut off (ms). */
const QUIT_GRACE = 1_000;

/** @internal A script call waiting for the next pipeline flush. */
interface Queued {
  readonly sha: string;
  readonly keys: readonly string[];
  readonly args: readonly string[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The part of a **node-redis** v4+ client (`createClient()` or `createCluster()`) that
 * breakwater uses. Any node-redis 4 or 5 client satisfies it; connect it (`await
 * client.connect()`) and give it an `'error'` listener, as node-redis requires.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = createClient({ url: 'redis://127.0.0.1:6379' });
 * client.on('error', (e) => log.warn(e));
 * await client.connect();
 * ```
 */
export interface NodeRedisLike extends Emits {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: unknown, channel: unknown) => void): Promise<unknown>;
  unsubscribe(channel: string, listener?: (message: unknown, channel: unknown) => void): Promise<unknown>;
  duplicate(): NodeRedisLike;
  connect(): Promise<unknown>;
  /** Present on a single-node client. */
  readonly isReady?: boolean;
  readonly isOpen?: boolean;
  destroy?(): void;
  disconnect?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

/**
 * A Redis client breakwater accepts: an ioredis or a node-redis (v4+) client, single node or
 * cluster. It is the user's: breakwater never closes it.
 *
 * @example
 * ```ts
 * const coordinator = redisCoordinator({ client: new Redis() });
 * ```
 */
export type RedisClientLike = IoRedisLike | NodeRedisLike;

const fn = (o: Record<string, unknown>, k: string): boolean => typeof o[k] === 'function';

/** @internal Which library made `value`, by its shape; `undefined` for anything else. */
export function clientFlavor(value: unknown): 'ioredis' | 'node-redis' | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const common = fn(o, 'publish') && fn(o, 'subscribe') && fn(o, 'unsubscribe') && fn(o, 'duplicate') && fn(o, 'on');
  if (!common) return undefined;
  if (fn(o, 'evalsha') && fn(o, 'eval') && fn(o, 'script') && fn(o, 'disconnect')) return 'ioredis';
  if (fn(o, 'evalSha') && fn(o, 'eval') && fn(o, 'scriptLoad') && fn(o, 'connect')) return 'node-redis';
  return undefined;
}

/** @internal What the coordinator hears from a connection. */
export interface ConnectionWatcher {
  up(): void;
  down(reason: string): void;
}

/** @internal One connection (the user's client or one the coordinator made), one shape. */
export interface Connection {
  readonly flavor: 'ioredis' | 'node-redis';
  /** True unless the client says it is closed or reconnecting. */
  looksUp(): boolean;
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
  publish(channel: string, message: string): Promise<number>;
  /** Subscribes to `channel`; `onMessage` hears every message of every subscribed channel. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Follows the connection's state; returns the undo. */
  watch(watcher: ConnectionWatcher): () => void;
  /** A new connection to the same server(s), connected (or connecting). */
  duplicate(onMessage: (channel: string, message: unknown) => void): Promise<Connection>;
  /** Closes a connection this library made. */
  close(): void;
}

function off(client: Emits, event: string, listener: (...args: unknown[]) => void): void {
  if (typeof client.off === 'function') client.off(event, listener);
  else if (typeof client.removeListener === 'function') client.removeListener(event, listener);
}

function listen(client: Emits, pairs: readonly [string, (...args: unknown[]) => void][]): () => void {
  for (const [event, listener] of pairs) client.on(event, listener);
  return () => {
    for (const [event, listener] of pairs) off(client, event, listener);
  };
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

class IoConnection implements Connection {
  readonly flavor = 'ioredis' as const;
  private unlistenMessages: (() => void) | undefined;
  /**
   * Script calls made in one turn of the microtask queue, sent as one pipeline: one write
   * (and one syscall) for many decisions, each still its own atomic EVALSHA. node-redis
   * does this by itself; ioredis does it only with `enableAutoPipelining` (then, and on a
   * Cluster, whose pipelines must stay in one slot, calls go out one by one).
   */
  private readonly pipelining: boolean;
  private queue: Queued[] = [];
  private readonly flushBound = (): void => this.flush();
  constructor(
    private readonly client: IoRedisLike,
    onMessage?: (channel: string, message: unknown) => void,
  ) {
    this.pipelining = typeof client.pipeline === 'function' && client.isCluster !== true && client.options?.enableAutoPipelining !== true;
    if (onMessage !== undefined) {
      // ioredis emits 'message' (channel, message) for every subscribed channel.
      this.unlistenMessages = listen(client, [['message', (channel: unknown, message: unknown) => onMessage(String(channel), message)]]);
    }
  }
  looksUp(): boolean {
    const s = this.client.status;
    return s !== 'end' && s !== 'close' && s !== 'reconnecting';
  }
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    if (!this.pipelining) return this.client.evalsha(sha, keys.length, ...keys, ...args);
    return new Promise((resolve, reject) => {
      if (this.queue.push({ sha, keys, args, resolve, reject }) === 1) queueMicrotask(this.flushBound);
    });
  }
  private flush(): void {
    const q = this.queue;
    this.queue = [];
    if (q.length === 1) {
      const e = q[0] as Queued;
      this.client.evalsha(e.sha, e.keys.length, ...e.keys, ...e.args).then(e.resolve, e.reject);
      return;
    }
    let exec: Promise<unknown>;
    try {
      const p = (this.client.pipeline as () => IoPipelineLike)();
      for (const e of q) p.evalsha(e.sha, e.keys.length, ...e.keys, ...e.args);
      exec = p.exec();
    } catch (error) {
      for (const e of q) e.reject(error);
      return;
    }
    exec.then(
      (results) => {
        // [[error, reply], …], one per call in order.
        for (let i = 0; i < q.length; i++) {
          const e = q[i] as Queued;
          const r = Array.isArray(results) ? (results[i] as unknown) : undefined;
          if (!Array.isArray(r)) e.reject(new Error('ioredis pipeline: no reply'));
          else if (r[0] !== null && r[0] !== undefined) e.reject(r[0]);
          else e.resolve(r[1]);
        }
      },
      (error: unknown) => {
        for (const e of q) e.reject(error);
      },
    );
  }
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.client.eval(script, keys.length, ...keys, ...args);
  }
  async scriptLoad(script: string): Promise<string> {
    return String(await this.client.script('LOAD', script));
  }
  async publish(channel: string, message: string): Promise<number> {
    return toNumber(await this.client.publish(channel, message));
  }
  async subscribe(channel: string): Promise<void> {
    await this.client.subscribe(channel);
  }
  async unsubscribe(channel: string): Promise<void> {
    await this.client.unsubscribe(channel);
  }
  watch(w: ConnectionWatcher): () => void {
    return listen(this.client, [
      ['ready', () => w.up()],
      ['close', () => w.down('connection closed')],
      ['end', () => w.down('connection ended')],
    ]);
  }
  async duplicate(onMessage: (channel: string, message: unknown) => void): Promise<Connection> {
    const dup = this.client.duplicate();
    // A connection we made must not crash the process on an 'error' event nobody hears:
    // its failures show as the coordinator's 'down' events and as rejected commands.
    dup.on('error', () => undefined);
    return new IoConnection(dup, onMessage);
  }
  close(): void {
    this.unlistenMessages?.();
    const c = this.client;
    if (c.status !== 'ready' || typeof c.quit !== 'function') {
      c.disconnect();
      return;
    }
    // A ready connection quits: the replies still due arrive first. Cut off at once, the
    // commands waiting for them would be rejected, and ioredis before 6.1 sends the
    // re-subscription after a reconnection without handling its rejection: closing in
    // that moment raised an unhandled rejection in the user's process. A server that does
    // not answer the QUIT is cut off after a second.
    const cut = systemClock.setTimeout(() => c.disconnect(), QUIT_GRACE);
    unrefTimer(cut);
    c.quit().then(
      () => systemClock.clearTimeout(cut),
      () => {
        systemClock.clearTimeout(cut);
        c.disconnect();
      },
    );
  }
  /** Stops hearing messages on a connection that is not ours (the user's subscriber). */
  release(): void {
    this.unlistenMessages?.();
    this.unlistenMessages = undefined;
  }
}

class NodeConnection implements Connection {
  readonly flavor = 'node-redis' as const;
  private readonly listener: ((message: unknown, channel: unknown) => void) | undefined;
  constructor(
    private readonly client: NodeRedisLike,
    onMessage?: (channel: string, message: unknown) => void,
  ) {
    if (onMessage !== undefined) this.listener = (message, channel) => onMessage(String(channel), message);
  }
  looksUp(): boolean {
    if (this.client.isOpen === false) return false;
    return this.client.isReady !== false || this.client.isReady === undefined;
  }
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.client.evalSha(sha, { keys: [...keys], arguments: [...args] });
  }
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.client.eval(script, { keys: [...keys], arguments: [...args] });
  }
  async scriptLoad(script: string): Promise<string> {
    return String(await this.client.scriptLoad(script));
  }
  async publish(channel: string, message: string): Promise<number> {
    return toNumber(await this.client.publish(channel, message));
  }
  async subscribe(channel: string): Promise<void> {
    if (this.listener === undefined) throw new Error('subscribe() on a connection without a message listener');
    await this.client.subscribe(channel, this.listener);
  }
  async unsubscribe(channel: string): Promise<void> {
    await this.client.unsubscribe(channel, this.listener);
  }
  watch(w: ConnectionWatcher): () => void {
    return listen(this.client, [
      ['ready', () => w.up()],
      ['reconnecting', () => w.down('reconnecting')],
      ['end', () => w.down('connection ended')],
    ]);
  }
  async duplicate(onMessage: (channel: string, message: unknown) => void): Promise<Connection> {
    const dup = this.client.duplicate();
    // node-redis throws an 'error' event nobody hears: a connection we made always has a listener.
    dup.on('error', () => undefined);
    await dup.connect();
    return new NodeConnection(dup, onMessage);
  }
  close(): void {
    const c = this.client;
    if (typeof c.destroy === 'function') c.destroy();
    else if (typeof c.disconnect === 'function') c.disconnect().catch(() => undefined);
    else if (typeof c.quit === 'function') c.quit().catch(() => undefined);
  }
  /** Unsubscribes this connection's listener from every channel it joined (the user's subscriber). */
  async release(channels: readonly string[]): Promise<void> {
    await Promise.all(channels.map((ch) => this.client.unsubscribe(ch, this.listener).catch(() => undefined)));
  }
}

/** @internal Wraps a client of a known flavor. */
export function connectionOf(client: RedisClientLike, flavor: 'ioredis' | 'node-redis', onMessage?: (channel: string, message: unknown) => void): Connection {
  return flavor === 'ioredis' ? new IoConnection(client as IoRedisLike, onMessage) : new NodeConnection(client as NodeRedisLike, onMessage);
}

/** @internal Lets go of a subscriber connection the user gave (stops listening, leaves it open). */
export async function releaseConnection(connection: Connection, channels: readonly string[]): Promise<void> {
  if (connection instanceof IoConnection) {
    connection.release();
    await Promise.all(channels.map((c) => connection.unsubscribe(c).catch(() => undefined)));
  } else if (connection instanceof NodeConnection) {
    await connection.release(channels);
  }
}

/**
 * @internal True for an error that a Redis server sent (the server is up and answered):
 * ioredis's `ReplyError`, node-redis's `ErrorReply`, or a message with an upper-case error
 * prefix such as `ERR`, `WRONGTYPE`, `NOSCRIPT`, `BUSY`, `OOM`.
 */
export function isReplyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  if (name === 'ReplyError' || name === 'ErrorReply') return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /^[A-Z]{3,}[ A-Z]/.test(message) && !/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND)/.test(message);
}
