/**
 * The coordinator's pub/sub side: one subscriber connection (the user's, or a duplicate of
 * the client made on the first subscription), handlers per channel, and the codec between
 * Redis and the handlers.
 *
 * @packageDocumentation
 */
import type { Subscription } from '../core/events';
import { reportInternalError } from '../core/report';
import { clientFlavor, connectionOf, releaseConnection, type Connection, type RedisClientLike } from './client';
import { decodeMessage, type FleetMessage } from './codec';
import type { CoordinatorEventPayload } from './events';

/** A handler of fleet messages on one channel. */
export type FleetMessageHandler = (message: FleetMessage) => void;

/**
 * What {@link RedisCoordinator.subscribe} returns: dispose it to stop hearing the channel.
 *
 * @example
 * ```ts
 * const sub = coordinator.subscribe('chaos', onMessage);
 * await sub.ready; // true once Redis confirmed the subscription
 * sub.dispose();
 * ```
 */
export interface FleetSubscription extends Subscription {
  /** Resolves `true` once Redis confirmed the subscription, `false` if it failed (see the `error` event). Never rejects. */
  readonly ready: Promise<boolean>;
}

/** @internal The pub/sub side of one coordinator. */
export class FleetPubSub {
  private connection: Promise<Connection> | undefined;
  private readonly handlers = new Map<string, Set<FleetMessageHandler>>();
  private readonly joined = new Map<string, Promise<boolean>>();
  private closed = false;
  private readonly onRaw = (channel: string, raw: unknown): void => this.deliver(channel, raw);

  constructor(
    /** The client's connection, duplicated when no subscriber is given. */
    private readonly main: Connection,
    private readonly subscriber: RedisClientLike | undefined,
    private readonly prefix: string,
    private readonly maxBytes: number,
    private readonly emit: (event: CoordinatorEventPayload) => void,
  ) {}

  subscribe(full: string, handler: FleetMessageHandler): FleetSubscription {
    let set = this.handlers.get(full);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(full, set);
    }
    // A handler may be subscribed twice: wrap it so each subscription disposes only itself.
    const own: FleetMessageHandler = (m) => handler(m);
    set.add(own);
    let ready = this.joined.get(full);
    if (ready === undefined) ready = this.join(full);
    else {
      // A join that failed is tried again by the next subscription.
      ready = ready.then((ok) => (ok || this.handlers.get(full) !== set ? ok : this.join(full)));
    }
    let active = true;
    return {
      ready,
      dispose: () => {
        if (!active) return;
        active = false;
        const s = this.handlers.get(full);
        if (s === undefined) return;
        s.delete(own);
        if (s.size === 0) {
          this.handlers.delete(full);
          this.joined.delete(full);
          this.leave(full);
        }
      },
    };
  }

  private join(full: string): Promise<boolean> {
    const ready = this.ready()
      .then((conn) => conn.subscribe(full))
      .then(
        () => true,
        (error: unknown) => {
          if (!this.closed) this.emit({ type: 'error', operation: 'subscribe', error });
          return false;
        },
      );
    this.joined.set(full, ready);
    return ready;
  }

  private leave(full: string): void {
    const sub = this.connection;
    if (sub === undefined || this.closed) return;
    sub
      .then((conn) => conn.unsubscribe(full))
      .catch((error: unknown) => {
        if (!this.closed) this.emit({ type: 'error', operation: 'unsubscribe', error });
      });
  }

  private ready(): Promise<Connection> {
    if (this.connection === undefined) {
      const given = this.subscriber;
      this.connection =
        given !== undefined
          ? Promise.resolve(connectionOf(given, clientFlavor(given) as 'ioredis' | 'node-redis', this.onRaw))
          : this.main.duplicate(this.onRaw).then(
              (conn) => {
                if (this.closed) conn.close(); // close() came first: the duplicate is ours to close
                return conn;
              },
              (error: unknown) => {
                this.connection = undefined; // the next subscription tries again
                if (!this.closed) this.emit({ type: 'error', operation: 'duplicate', error });
                throw error;
              },
            );
    }
    return this.connection;
  }

  private deliver(channel: string, raw: unknown): void {
    const set = this.handlers.get(channel);
    if (set === undefined || this.closed) return;
    const r = decodeMessage(raw, this.prefix, this.maxBytes);
    if (!r.ok) {
      this.emit({ type: 'message-rejected', channel, reason: r.reason, size: r.size });
      return;
    }
    for (const h of [...set]) {
      try {
        h(r.message);
      } catch (error) {
        reportInternalError(error, `a fleet message handler on "${channel}"`);
      }
    }
  }

  /** Unsubscribes everything; closes the duplicate it made, leaves a given subscriber open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const channels = [...this.handlers.keys()];
    this.handlers.clear();
    this.joined.clear();
    const sub = this.connection;
    this.connection = undefined;
    if (sub === undefined) return;
    let conn: Connection;
    try {
      conn = await sub;
    } catch {
      return;
    }
    if (this.subscriber === undefined) conn.close();
    else await releaseConnection(conn, channels);
  }
}
