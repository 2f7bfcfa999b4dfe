/**
 * The fleet-aware breaker on Redis: a {@link RedisBreakerFleet} implements the breaker's
 * `BreakerFleet` seam over a {@link RedisCoordinator}. Pass it (or, once the coordinator
 * delegates to it, the coordinator itself) as `circuitBreaker({ name, coordinator })`.
 *
 * - **Reports.** Each breaker that joins writes its state (first-hand open or not, the rest
 *   of its break, its generation) into `<prefix>:{cb:<name>}:reports` and publishes it on
 *   `<prefix>:breaker` (kind `cb.report`), so the other instances hear a transition within
 *   milliseconds.
 * - **Live instances.** A heartbeat every `heartbeat` ms (one unref'd timer for all the
 *   breakers of this fleet) re-writes the report and stamps `<prefix>:{cb:<name>}:live`
 *   with Redis server time; an instance is live while its last heartbeat is younger than
 *   `3 · heartbeat`. The same script answers the reports of every live instance: that is
 *   how a new instance learns the fleet's state, and how a dead one stops counting.
 * - **Probe lease.** `<prefix>:{cb:<name>}:lease` holds the id of the one instance allowed
 *   to probe (`SET NX PX`, extended by its holder per probe); it expires if the prober dies.
 * - **Losing Redis.** The coordinator's `down` event, a failed command or a heartbeat not
 *   answered within `timeout` tells every breaker it is alone (`fleet-degraded`); the
 *   coordinator's `up` event or the next answered heartbeat resyncs it (`fleet-synced`).
 * - **Untrusted bytes.** The codec drops malformed and foreign envelopes (the coordinator's
 *   `message-rejected`); a `cb.report` whose payload is not exactly a report, or whose values
 *   are out of range, is dropped here with a `message-ignored` event. Stored values are
 *   decoded as strictly. Nothing from Redis can open a breaker except well-formed reports
 *   of open from `quorum` live instances.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';
import { OptionsValidationError, type ValidationIssue } from '../core/errors';
import { Emitter, type Subscription } from '../core/events';
import { reportInternalError } from '../core/report';
import { collectIssues, rules, type Schema } from '../core/validation';
import type { BreakerFleet, BreakerFleetMember, BreakerFleetPeer } from '../circuit-breaker/fleet';
import type { FleetMessage } from './codec';
import type { RedisCoordinator } from './coordinator';
import { BreakerMember, type MemberHost } from './fleet-breaker-member';
import { BREAKER_CHANNEL, BREAKER_REPORT_KIND, decodeReportPayload } from './fleet-breaker-scripts';
import type { FleetSubscription } from './pubsub';

/**
 * Options of {@link redisBreakerFleet}.
 *
 * @example
 * ```ts
 * const options: RedisBreakerFleetOptions = { heartbeat: 500, timeout: 1_000 };
 * ```
 */
export interface RedisBreakerFleetOptions {
  /**
   * Ms between two heartbeats of this process's breakers. An instance counts as live while
   * its last heartbeat is younger than 3 heartbeats, so a dead instance stops counting
   * towards the quorum 3 to 4 heartbeats after it died.
   * @defaultValue 1 000
   */
  readonly heartbeat?: number | undefined;
  /**
   * A heartbeat not answered within this many ms (a paused or overloaded Redis) makes the
   * breakers work alone (`fleet-degraded`) until Redis answers again.
   * @defaultValue the `heartbeat`
   */
  readonly timeout?: number | undefined;
}

/**
 * Defaults of {@link RedisBreakerFleetOptions}.
 *
 * @example
 * ```ts
 * const fleet = redisBreakerFleet(coordinator, { heartbeat: redisBreakerFleetDefaults.heartbeat / 2 });
 * ```
 */
export const redisBreakerFleetDefaults = {
  /** Default of {@link RedisBreakerFleetOptions.heartbeat} (ms). */
  heartbeat: 1_000,
} as const;

/**
 * A `cb.report` message this fleet ignored: its payload is not a report, or names no breaker
 * of this process. (Malformed or foreign envelopes are the coordinator's `message-rejected`.)
 *
 * @example
 * ```ts
 * fleet.on('message-ignored', (e: BreakerMessageIgnoredEvent) => metrics.increment('breaker_fleet_ignored', { reason: e.reason }));
 * ```
 */
export interface BreakerMessageIgnoredEvent {
  readonly kind: 'redis-breaker-fleet';
  readonly type: 'message-ignored';
  /** The sender's instance id (from the envelope). */
  readonly instanceId: string;
  /** `malformed` (not exactly a report) or `unknown-breaker` (no breaker of that name joined here). */
  readonly reason: 'malformed' | 'unknown-breaker';
  /** Clock time (ms). */
  readonly time: number;
}

/**
 * Every event of a {@link RedisBreakerFleet}.
 *
 * @example
 * ```ts
 * const seen: RedisBreakerFleetEvent[] = [];
 * fleet.on('message-ignored', (e) => seen.push(e));
 * ```
 */
export type RedisBreakerFleetEvent = BreakerMessageIgnoredEvent;

const schema: Schema = {
  heartbeat: rules.duration(10, { exclusiveMin: false }),
  timeout: rules.duration(0, { exclusiveMin: true }),
};

type CoordinatorLike = Pick<RedisCoordinator, 'instanceId' | 'clock' | 'closed' | 'key' | 'eval' | 'publish' | 'subscribe' | 'on'>;

function isCoordinatorLike(v: unknown): v is CoordinatorLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { instanceId?: unknown }).instanceId === 'string' &&
    ['key', 'eval', 'publish', 'subscribe', 'on'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function')
  );
}

/**
 * The breakers of one process in one Redis fleet. Make it with {@link redisBreakerFleet}
 * and pass it as a breaker's `coordinator`; see this module's documentation.
 *
 * @example
 * ```ts
 * const fleet = redisBreakerFleet(coordinator, { heartbeat: 500 });
 * const gateway = circuitBreaker({ name: 'payment-gateway', coordinator: fleet, quorum: 2 });
 * ```
 */
export class RedisBreakerFleet implements BreakerFleet {
  /** The `heartbeat` option (ms). */
  readonly heartbeat: number;
  /** The `timeout` option (ms). */
  readonly timeout: number;
  private readonly coordinator: CoordinatorLike;
  private readonly clock: Clock;
  private readonly members = new Map<string, BreakerMember>();
  private readonly events = new Emitter<RedisBreakerFleetEvent>();
  private subscription: FleetSubscription | undefined;
  private ready: Promise<unknown> = Promise.resolve();
  private watching: Subscription[] = [];
  private timer: unknown = undefined;
  private isClosed = false;
  private readonly host: MemberHost;

  /** @internal Use {@link redisBreakerFleet}. */
  constructor(coordinator: RedisCoordinator, options?: RedisBreakerFleetOptions) {
    const issues: ValidationIssue[] = [];
    if (!isCoordinatorLike(coordinator)) issues.push({ path: 'coordinator', value: coordinator, expected: 'a RedisCoordinator (made by redisCoordinator({ client }))' });
    collectIssues(options, schema, '', issues);
    if (issues.length > 0) throw new OptionsValidationError('redisBreakerFleet', issues);
    this.coordinator = coordinator;
    this.clock = coordinator.clock;
    this.heartbeat = options?.heartbeat ?? redisBreakerFleetDefaults.heartbeat;
    this.timeout = options?.timeout ?? this.heartbeat;
    const c = this.coordinator;
    this.host = {
      instanceId: c.instanceId,
      clock: this.clock,
      ttl: 3 * this.heartbeat,
      timeout: this.timeout,
      key: (name, part) => c.key(['cb', name], part),
      eval: (script, keys, args) => c.eval(script, keys, args),
      publish: (payload) => c.publish(BREAKER_CHANNEL, BREAKER_REPORT_KIND, payload),
      ready: () => this.ready,
      left: (m) => this.left(m),
    };
  }

  /**
   * Breakers of this process in the fleet now.
   *
   * @example
   * ```ts
   * health.fleetBreakers = fleet.size;
   * ```
   */
  get size(): number {
    return this.members.size;
  }

  /**
   * Listens to one type of event; returns a subscription to dispose.
   *
   * @example
   * ```ts
   * fleet.on('message-ignored', (e) => log.debug(`ignored a breaker report from ${e.instanceId}: ${e.reason}`));
   * ```
   */
  on<T extends RedisBreakerFleetEvent['type']>(type: T, listener: (event: Extract<RedisBreakerFleetEvent, { type: T }>) => void): Subscription {
    return this.events.on((e) => {
      if (e.type === type) listener(e as Extract<RedisBreakerFleetEvent, { type: T }>);
    });
  }

  /** @internal The breaker's seam: joins breaker `name` for `peer` (see `BreakerFleet`). */
  joinBreaker(name: string, peer: BreakerFleetPeer): BreakerFleetMember {
    if (this.isClosed || this.coordinator.closed) throw new Error('redisBreakerFleet: closed (its coordinator was closed)');
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('redisBreakerFleet: a breaker needs a non-empty name');
    if (this.members.has(name)) {
      throw new Error(
        `redisBreakerFleet: a breaker named "${name}" already joined from this process (instance "${this.coordinator.instanceId}"): give each breaker its own name, or share one breaker`,
      );
    }
    if (this.members.size === 0) this.start();
    const member = new BreakerMember(this.host, name, peer);
    this.members.set(name, member);
    member.joined();
    return member;
  }

  /**
   * Leaves the fleet for every breaker of this process (each then works alone) and stops the
   * heartbeat. Idempotent. Closing the coordinator has the same effect on the next heartbeat.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', async () => { fleet.close(); await coordinator.close(); });
   * ```
   */
  close(): void {
    if (this.isClosed) return;
    for (const m of [...this.members.values()]) m.leave();
    this.isClosed = true;
    this.stop();
  }

  // ------------------------------------------------------------------ internals

  private start(): void {
    const c = this.coordinator;
    const sub = c.subscribe(BREAKER_CHANNEL, (m) => this.onMessage(m));
    this.subscription = sub;
    this.ready = sub.ready;
    this.watching = [
      c.on('down', (e) => {
        for (const m of this.members.values()) m.lose(new Error(`redis down: ${e.reason}`));
      }),
      c.on('up', () => {
        for (const m of this.members.values()) m.sync();
      }),
    ];
    this.arm();
  }

  private stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.watching) w.dispose();
    this.watching = [];
    this.subscription?.dispose();
    this.subscription = undefined;
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), this.heartbeat);
    unrefTimer(this.timer);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.members.size === 0) return;
    if (this.coordinator.closed) {
      for (const m of [...this.members.values()]) m.lose(new Error('redis coordinator closed'));
      this.members.clear();
      this.isClosed = true;
      this.stop();
      return;
    }
    const now = this.clock.now();
    for (const m of this.members.values()) m.beat(now);
    this.arm();
  }

  private left(member: BreakerMember): void {
    if (this.members.get(member.name) !== member) return;
    this.members.delete(member.name);
    if (this.members.size === 0) this.stop();
  }

  private onMessage(m: FleetMessage): void {
    if (m.kind !== BREAKER_REPORT_KIND || m.instanceId === this.coordinator.instanceId) return;
    const decoded = decodeReportPayload(m.payload, m.instanceId);
    const member = decoded === undefined ? undefined : this.members.get(decoded.breaker);
    if (member === undefined) {
      if (this.events.size > 0) {
        this.events.emit({ kind: 'redis-breaker-fleet', type: 'message-ignored', instanceId: m.instanceId, reason: decoded === undefined ? 'malformed' : 'unknown-breaker', time: this.clock.now() });
      }
      return;
    }
    try {
      member.receive((decoded as NonNullable<typeof decoded>).report);
    } catch (error) {
      reportInternalError(error, `redis breaker fleet "${member.name}" message`);
    }
  }
}

/**
 * Makes the breakers of this process a fleet on Redis, through `coordinator`: pass the
 * result as a breaker's `coordinator`. One per coordinator is enough for all the breakers
 * of a process (each breaker name joins once). Options are validated at once.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { circuitBreaker } from 'breakwater';
 * import { redisBreakerFleet, redisCoordinator } from 'breakwater/redis';
 *
 * const coordinator = redisCoordinator({ client: new Redis(process.env.REDIS_URL) });
 * const fleet = redisBreakerFleet(coordinator);
 * const gateway = circuitBreaker({ name: 'payment-gateway', coordinator: fleet, quorum: 2, failureThreshold: 5 });
 * ```
 */
export function redisBreakerFleet(coordinator: RedisCoordinator, options?: RedisBreakerFleetOptions): RedisBreakerFleet {
  return new RedisBreakerFleet(coordinator, options);
}
