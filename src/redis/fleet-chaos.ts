/**
 * Fleet chaos on Redis: one kill switch for every instance. A {@link RedisChaosFleet}
 * implements chaos's `ChaosFleet` seam over a {@link RedisCoordinator}; pass it (or, once the
 * coordinator delegates to it, the coordinator itself) as `chaos.arm({ coordinator })`.
 *
 * - **Halt anywhere, stop everywhere.** `chaos.halt()` on any instance sets the halt flag
 *   `<prefix>:{chaos}:halt` and publishes a `halt` on `<prefix>:chaos` in one script; every
 *   instance halts its controllers as the message arrives (milliseconds), and re-reads the
 *   flag every `pollInterval` (1 s) in case a message was lost. An operator can do the same
 *   with `redis-cli PUBLISH` (see `docs/fleet.md`); the instances then store the flag.
 * - **A halted fleet stays halted** for instances that join later, until the flag expires
 *   (`haltTtl`, 1 h) or is cleared (`clearHalt()` or `redis-cli DEL`). Clearing arms nobody.
 * - **Never arms.** No message arms a controller; a `switch` turns on only faults an armed
 *   instance offered (`fleetFaults`); anything else (`arm`, `enable`…) is ignored with an event.
 * - **Losing Redis.** The local kill switch always works. With `whileDisconnected: 'hold'`
 *   (the default) an armed instance injects nothing while it cannot hear the fleet; a halt
 *   issued meanwhile (here or elsewhere) is applied or published when Redis answers again.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';
import { OptionsValidationError, type ValidationIssue } from '../core/errors';
import { Emitter, type Subscription } from '../core/events';
import { systemRandom } from '../core/random';
import { collectIssues, rules } from '../core/validation';
import type { ChaosFleet, ChaosFleetLink, ChaosFleetMember, ChaosFleetSwitch } from '../chaos/fleet';
import { encodeMessage, type FleetMessage } from './codec';
import type { RedisCoordinator } from './coordinator';
import type { ChaosFleetMemberView, FleetChaosEvent, FleetChaosEventPayload } from './fleet-chaos-events';
import { LocalMembers, type Joined } from './fleet-chaos-members';
import {
  CHAOS_CHANNEL,
  CLEAR_FLAG_SCRIPT,
  ChaosMessageKinds as K,
  HALT_SCRIPT,
  KEEP_FLAG_SCRIPT,
  READ_FLAG_SCRIPT,
  cleanText,
  decodeFlag,
  decodeHalt,
  decodeLeft,
  decodeRollCall,
  decodeState,
  decodeSwitch,
  type HaltFlag,
} from './fleet-chaos-messages';
import type { FleetSubscription } from './pubsub';

/**
 * Options of {@link redisChaosFleet}.
 *
 * @example
 * ```ts
 * const options: RedisChaosFleetOptions = { haltTtl: 4 * 3_600_000, whileDisconnected: 'hold', pollInterval: 1_000 };
 * ```
 */
export interface RedisChaosFleetOptions {
  /**
   * How long a halt keeps the fleet halted for instances that arm later: the halt flag's
   * TTL (ms). `Infinity` keeps it until `clearHalt()` (or `redis-cli DEL`). @defaultValue 3 600 000 (1 h)
   */
  readonly haltTtl?: number | undefined;
  /**
   * What an armed instance does while Redis is unreachable: `'hold'` injects nothing until
   * Redis answers and the fleet is not halted; `'inject'` goes on (a halt issued meanwhile
   * applies when Redis is back). @defaultValue `'hold'`
   */
  readonly whileDisconnected?: 'hold' | 'inject' | undefined;
  /**
   * How often each instance re-reads the halt flag (ms, ≥ 50; `Infinity`: never): the net
   * under pub/sub, which loses messages sent while a connection is down. @defaultValue 1 000
   */
  readonly pollInterval?: number | undefined;
  /** Clock of the poll timer and of event times. @defaultValue the coordinator's clock */
  readonly clock?: Clock | undefined;
}

type CoordinatorLike = Pick<RedisCoordinator, 'instanceId' | 'prefix' | 'clock' | 'key' | 'channel' | 'eval' | 'publish' | 'subscribe' | 'on'>;

const isCoordinator = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  ['key', 'channel', 'eval', 'publish', 'subscribe', 'on'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function') &&
  typeof (v as { instanceId?: unknown }).instanceId === 'string';

const optionsSchema = {
  haltTtl: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  whileDisconnected: rules.oneOf(['hold', 'inject']),
  pollInterval: rules.duration(50, { allowInfinity: true }),
  clock: rules.clock(),
};

const errorText = (e: unknown): string => cleanText(e instanceof Error ? e.message : String(e), 120) ?? 'unknown error';

function randomOrigin(): string {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  const bytes = new Uint8Array(8);
  if (c?.getRandomValues !== undefined) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(systemRandom() * 256);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Fleet chaos for the controllers of one process, over a Redis coordinator. Create it with
 * {@link redisChaosFleet}; give it to `chaos.arm({ coordinator })`.
 *
 * @example
 * ```ts
 * const fleet = redisChaosFleet(coordinator);
 * fleet.on('halted', (e) => log.warn(`chaos halted by ${e.by}: ${e.reason}`));
 * chaos.arm({ environment: 'staging', coordinator: fleet, fleetFaults: [gatewayDown] });
 * ```
 */
export class RedisChaosFleet implements ChaosFleet {
  /** The pub/sub channel, as `redis-cli PUBLISH` needs it: `<prefix>:chaos`. */
  readonly channel: string;
  /** The halt flag's key: `<prefix>:{chaos}:halt`. */
  readonly haltKey: string;
  private readonly haltTtl: number;
  private readonly pollInterval: number;
  private readonly clock: Clock;
  /** Tells this object's messages from the others' (its own come back from Redis). */
  private readonly origin = randomOrigin();
  private readonly local: LocalMembers;
  private readonly events = new Emitter<FleetChaosEvent>();
  private subscription: FleetSubscription | undefined;
  private listeners: Subscription[] = [];
  private pollTimer: unknown = undefined;
  private syncing = false;
  private again = false;
  private reachable = true;
  private pendingHalt: { readonly reason: string; readonly by: string } | undefined;
  private closed = false;

  /** @internal Use {@link redisChaosFleet}. */
  constructor(
    private readonly coordinator: CoordinatorLike,
    options: RedisChaosFleetOptions = {},
  ) {
    const issues: ValidationIssue[] = [];
    if (!isCoordinator(coordinator)) issues.push({ path: 'coordinator', value: coordinator, expected: 'a redisCoordinator() of breakwater/redis' });
    collectIssues(options, optionsSchema, '', issues);
    if (issues.length > 0) throw new OptionsValidationError('redisChaosFleet', issues);
    this.haltTtl = options.haltTtl ?? 3_600_000;
    this.pollInterval = options.pollInterval ?? 1_000;
    this.clock = options.clock ?? coordinator.clock;
    const holdAll = (options.whileDisconnected ?? 'hold') === 'hold';
    this.local = new LocalMembers(coordinator.instanceId, this.clock, holdAll, (e) => this.emit(e), (row) => this.publish(K.state, row));
    this.channel = coordinator.channel(CHAOS_CHANNEL);
    this.haltKey = coordinator.key(CHAOS_CHANNEL, 'halt');
  }

  /** The seam (`ChaosFleet`): called by `chaos.arm({ coordinator })` for each controller that joins. */
  joinChaos(member: ChaosFleetMember): ChaosFleetLink {
    if (this.closed) throw new Error('redisChaosFleet: closed');
    this.start();
    const j = this.local.add(member);
    this.local.announce(j, true, this.origin);
    if (this.local.size === 1) this.publish(K.rollCall, { origin: this.origin });
    this.sync();
    const live = (): boolean => this.local.get(member) === j;
    return {
      changed: () => live() && this.local.announce(j, false, this.origin),
      halt: (reason) => live() && this.haltFrom(j, reason),
      switchFaults: (request) => live() && this.switchFrom(j, request),
      leave: () => live() && this.leave(j),
    };
  }

  /**
   * Listens to one type of event; returns a subscription to dispose.
   *
   * @example
   * ```ts
   * fleet.on('member', (e) => console.log(`${e.member} is ${e.state}${e.reason ? `: ${e.reason}` : ''}`));
   * ```
   */
  on<T extends FleetChaosEvent['type']>(type: T, listener: (event: Extract<FleetChaosEvent, { type: T }>) => void): Subscription {
    return this.events.on((e) => {
      if (e.type === type) listener(e as Extract<FleetChaosEvent, { type: T }>);
    });
  }

  /**
   * Listens to every event; returns a subscription to dispose.
   *
   * @example
   * ```ts
   * fleet.onEvent((e) => log.info({ fleetChaos: e }));
   * ```
   */
  onEvent(listener: (event: FleetChaosEvent) => void): Subscription {
    return this.events.on(listener);
  }

  /**
   * The fleet view: every member this process has heard of (its own included), by id. Rows
   * come from announcements; an instance that crashed keeps its last row until a
   * {@link RedisChaosFleet.rollCall}.
   *
   * @example
   * ```ts
   * for (const m of fleet.members()) console.log(m.member, m.state, m.reason ?? '');
   * ```
   */
  members(): readonly ChaosFleetMemberView[] {
    return this.local.rows();
  }

  /**
   * Forgets the other instances' rows and asks every member to announce itself again.
   * Resolves once the request is published (answers arrive as `member` events).
   *
   * @example
   * ```ts
   * await fleet.rollCall();
   * ```
   */
  async rollCall(): Promise<void> {
    this.local.forgetRemote();
    await this.coordinator.publish(CHAOS_CHANNEL, K.rollCall, { origin: this.origin });
  }

  /**
   * Halts chaos on every instance (this process's controllers at once), with no controller
   * needed: the operator's button. Resolves `true` once Redis stored the flag and published
   * the halt; `false` when it could not (it is retried when Redis answers again).
   *
   * @example
   * ```ts
   * app.post('/admin/chaos/halt', async (req, res) => res.json({ published: await fleet.halt(`halted by ${req.user}`) }));
   * ```
   */
  async halt(reason = 'halted'): Promise<boolean> {
    const r = cleanText(reason) ?? 'halted';
    this.local.halt(r, this.coordinator.instanceId, 'local', undefined);
    this.pendingHalt = { reason: r, by: this.coordinator.instanceId };
    return this.flushHalt();
  }

  /**
   * Clears the halt flag so that controllers can be armed again (each by its own `arm()`:
   * clearing arms nobody). Resolves `true` when there was a flag.
   *
   * @example
   * ```ts
   * if (await fleet.clearHalt()) chaos.arm({ environment: 'staging', coordinator: fleet });
   * ```
   */
  async clearHalt(): Promise<boolean> {
    return (await this.coordinator.eval(CLEAR_FLAG_SCRIPT, [this.haltKey], [])) === 1;
  }

  /**
   * Reads the halt flag: `undefined` when the fleet is not halted.
   *
   * @example
   * ```ts
   * const flag = await fleet.haltFlag();
   * if (flag) console.log(`halted by ${flag.by ?? '?'}: ${flag.reason}`);
   * ```
   */
  async haltFlag(): Promise<HaltFlag | undefined> {
    return decodeFlag(await this.coordinator.eval(READ_FLAG_SCRIPT, [this.haltKey], []));
  }

  /**
   * Stops following the fleet: its controllers are held (they inject nothing more until
   * armed again; a fleet they cannot hear must not let them inject), the channel and the
   * coordinator's events are released, the poll timer is cleared. Idempotent.
   *
   * @example
   * ```ts
   * fleet.close();
   * await coordinator.close();
   * ```
   */
  close(): void {
    if (this.closed) return;
    for (const j of this.local.all()) {
      j.member.hold('held: its chaos fleet was closed (arm again to go on)');
      this.publish(K.left, { member: j.id, origin: this.origin });
    }
    this.closed = true;
    this.local.clear();
    this.stop();
  }

  private start(): void {
    if (this.subscription !== undefined) return;
    this.subscription = this.coordinator.subscribe(CHAOS_CHANNEL, (m) => this.onMessage(m));
    this.listeners = [
      this.coordinator.on('down', (e) => this.unreachable(e.reason)),
      this.coordinator.on('up', () => {
        if (!this.reachable) this.sync();
      }),
      this.coordinator.on('message-rejected', (e) => {
        if (e.channel === this.channel) this.emit({ type: 'message-ignored', reason: e.reason, messageKind: undefined, from: undefined });
      }),
    ];
    this.schedulePoll();
  }

  private stop(): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    for (const l of this.listeners) l.dispose();
    this.listeners = [];
    if (this.pollTimer !== undefined) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private schedulePoll(): void {
    if (this.pollInterval === Number.POSITIVE_INFINITY) return;
    // A background timer: it never keeps the process alive.
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = undefined;
      if (this.closed || this.local.size === 0) return;
      this.sync();
      this.schedulePoll();
    }, this.pollInterval);
    unrefTimer(this.pollTimer);
  }

  /** Confirms the members: subscribed, pending halt published, flag read; then halts or releases them. One at a time. */
  private sync(): void {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    void this.syncOnce().finally(() => {
      this.syncing = false;
      if (this.again && !this.closed && this.local.size > 0) {
        this.again = false;
        this.sync();
      }
    });
  }

  private async syncOnce(): Promise<void> {
    const sub = this.subscription;
    if (sub === undefined) return;
    try {
      if (!(await sub.ready)) {
        // A failed SUBSCRIBE is tried again by a new subscription (at the next poll).
        if (this.subscription === sub) {
          sub.dispose();
          this.subscription = this.coordinator.subscribe(CHAOS_CHANNEL, (m) => this.onMessage(m));
        }
        throw new Error('could not subscribe to the chaos channel');
      }
      if (this.pendingHalt !== undefined && !(await this.flushHalt())) throw new Error('could not publish a halt');
      // The read speaks only for the members that joined before it began (and were subscribed).
      const generation = this.local.generation;
      const flag = decodeFlag(await this.coordinator.eval(READ_FLAG_SCRIPT, [this.haltKey], []));
      if (this.closed) return;
      this.reachable = true;
      if (flag !== undefined) this.local.halt(flag.reason, flag.by, 'flag', undefined, generation);
      else this.local.release(generation);
    } catch (error) {
      if (!this.closed) this.unreachable(errorText(error));
    }
  }

  /** Redis did not answer: holds the members (all with `'hold'`, only unconfirmed ones with `'inject'`). */
  private unreachable(reason: string): void {
    const first = this.reachable;
    this.reachable = false;
    const why = `held: the fleet cannot be reached (${reason}); injection resumes once Redis answers and the fleet is not halted`;
    if (this.local.holdUnreachable(why) > 0 && first) this.emit({ type: 'held', reason: why });
  }

  private haltFrom(j: Joined, reason: string): void {
    const r = cleanText(reason) ?? 'halted';
    this.local.halt(r, j.id, 'local', j);
    this.pendingHalt = { reason: r, by: j.id };
    void this.flushHalt();
  }

  /** Stores the flag and publishes the pending halt; false (kept for the next try) when Redis did not take it. */
  private async flushHalt(): Promise<boolean> {
    const p = this.pendingHalt;
    if (p === undefined) return true;
    try {
      const message = encodeMessage(this.coordinator.prefix, K.halt, this.coordinator.instanceId, { reason: p.reason, member: p.by, origin: this.origin });
      const ttl = this.haltTtl === Number.POSITIVE_INFINITY ? 0 : Math.ceil(this.haltTtl);
      await this.coordinator.eval(HALT_SCRIPT, [this.haltKey], [p.reason, p.by, ttl, this.channel, message]);
      if (this.pendingHalt === p) this.pendingHalt = undefined;
      return true;
    } catch (error) {
      this.emit({ type: 'error', operation: 'halt', error });
      return false;
    }
  }

  private switchFrom(j: Joined, request: ChaosFleetSwitch): void {
    const experiment = cleanText(request.experiment) ?? 'experiment';
    this.local.switchFaults({ ...request, experiment }, j.id, j);
    this.publish(K.switch, { on: request.on, faults: [...request.faults], experiment, duration: request.duration, member: j.id, origin: this.origin });
  }

  private leave(j: Joined): void {
    if (!this.local.remove(j)) return;
    this.publish(K.left, { member: j.id, origin: this.origin });
    if (this.local.size === 0) this.stop();
  }

  private onMessage(m: FleetMessage): void {
    if (this.closed) return;
    switch (m.kind) {
      case K.halt: {
        const h = decodeHalt(m.payload, m.instanceId);
        if (h.origin === this.origin) return;
        this.local.halt(h.reason, h.member ?? m.instanceId, 'fleet', undefined);
        // A breakwater instance stored the flag with its message; a halt from redis-cli did
        // not: keep the fleet halted for late joiners (unless a flag is set already).
        if (h.origin !== undefined) return;
        const ttl = this.haltTtl === Number.POSITIVE_INFINITY ? 0 : Math.ceil(this.haltTtl);
        this.coordinator.eval(KEEP_FLAG_SCRIPT, [this.haltKey], [h.reason, h.member ?? m.instanceId, ttl]).catch((error: unknown) => this.emit({ type: 'error', operation: 'keep-flag', error }));
        return;
      }
      case K.switch: {
        const s = decodeSwitch(m.payload);
        if (s === undefined) return this.ignored('bad-payload', m);
        if (s.origin === this.origin) return;
        this.local.switchFaults({ on: s.on, faults: s.faults, experiment: s.experiment, duration: s.duration }, s.member ?? m.instanceId, undefined);
        return;
      }
      case K.state: {
        const s = decodeState(m.payload);
        if (s === undefined) return this.ignored('bad-payload', m);
        if (s.origin !== this.origin) this.local.record(s, false);
        return;
      }
      case K.left: {
        const l = decodeLeft(m.payload);
        if (l === undefined) return this.ignored('bad-payload', m);
        if (l.origin !== this.origin) this.local.removeRemote(l.member);
        return;
      }
      case K.rollCall:
        if (decodeRollCall(m.payload).origin === this.origin) return;
        for (const j of this.local.all()) this.local.announce(j, true, this.origin);
        return;
      default:
        // `arm`, `enable` and every other kind: there is no message that arms.
        this.ignored('unknown-kind', m);
    }
  }

  private ignored(reason: 'unknown-kind' | 'bad-payload', m: FleetMessage): void {
    this.emit({ type: 'message-ignored', reason, messageKind: m.kind, from: m.instanceId });
  }

  private publish(kind: string, payload: unknown): void {
    let p: Promise<number>;
    try {
      p = this.coordinator.publish(CHAOS_CHANNEL, kind, payload);
    } catch (error) {
      this.emit({ type: 'error', operation: 'publish', error });
      return;
    }
    p.catch((error: unknown) => this.emit({ type: 'error', operation: 'publish', error }));
  }

  private emit(payload: FleetChaosEventPayload): void {
    if (this.events.size === 0) return;
    this.events.emit({ ...payload, kind: 'redis-chaos-fleet', time: this.clock.now() } as FleetChaosEvent);
  }
}

/**
 * Creates fleet chaos over a Redis coordinator: the `coordinator` to give `chaos.arm()`.
 * One per coordinator (it names its controllers by the coordinator's `instanceId`).
 * Options are validated at once (`OptionsValidationError` naming every bad field).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { chaos, faultInjection } from 'breakwater/chaos';
 * import { redisCoordinator, redisChaosFleet } from 'breakwater/redis';
 *
 * const coordinator = redisCoordinator({ client: new Redis(process.env.REDIS_URL), instanceId: process.env.HOSTNAME });
 * const fleet = redisChaosFleet(coordinator, { haltTtl: 30 * 60_000 });
 * const gatewayDown = faultInjection({ name: 'gateway-down', enabled: false });
 * chaos.arm({ environment: 'staging', coordinator: fleet, fleetFaults: [gatewayDown] });
 * // later, on any instance: chaos.halt('incident'); every instance stops within a second
 * ```
 */
export function redisChaosFleet(coordinator: RedisCoordinator, options?: RedisChaosFleetOptions): RedisChaosFleet {
  return new RedisChaosFleet(coordinator, options);
}
