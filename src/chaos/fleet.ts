/**
 * Fleet chaos, the chaos side: the seam a fleet backend implements ({@link ChaosFleet};
 * `breakwater/redis` has one) and the membership a chaos controller keeps while it is in a
 * fleet (`chaos.arm({ environment, coordinator })`).
 *
 * The safety model, which every backend inherits because the controller enforces it:
 *
 * - the fleet can **stop** chaos (a halt, a hold, switching a fault off) but can never
 *   **arm** a controller: arming still needs the instance's own `BREAKWATER_CHAOS` switch and
 *   its own `arm()` call, and the production guard is checked by each instance in `arm()`;
 * - a controller joins **held**: it injects nothing until the fleet confirms it is not
 *   halted (`member.hold(undefined)`), so a late joiner of a halted fleet never injects;
 * - the fleet can switch **on** only the faults the instance's own code offered in
 *   `fleetFaults`, only while that instance is armed and not held, and only for a bounded
 *   time (a background timer switches them off again if the experiment's "off" never comes);
 * - a fault the fleet switched on goes off when the controller halts, expires, disarms or
 *   leaves, so re-arming later never finds it on.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';
import type { ValidationIssue } from '../core/errors';
import { reportInternalError } from '../core/report';
import type { Rule } from '../core/validation';
import type { ChaosStatus } from './guards';

/**
 * What a controller tells the fleet about itself: `armed` (may inject), `held` (armed, but
 * the fleet holds injection: joining, or the fleet unreachable), `halted` (stopped by a
 * halt, here or anywhere in the fleet) or `off` (never armed here, expired, disarmed).
 *
 * @example
 * ```ts
 * const stopped = (s: ChaosFleetState): boolean => s === 'halted' || s === 'off';
 * ```
 */
export type ChaosFleetState = 'armed' | 'held' | 'halted' | 'off';

/**
 * One instance's row in the fleet view: what its controller announces when it joins, when
 * its state changes and when the fleet asks.
 *
 * @example
 * ```ts
 * const row: ChaosFleetAnnouncement = { state: 'armed', environment: 'staging', reason: undefined, expiresIn: 600_000, faults: ['gateway-down'], switchedOn: [] };
 * ```
 */
export interface ChaosFleetAnnouncement {
  /** The controller's state. */
  readonly state: ChaosFleetState;
  /** The environment given to `arm()`. */
  readonly environment: string;
  /** Why it is not injecting (the status's `reason`), `undefined` when armed and active. */
  readonly reason: string | undefined;
  /** Milliseconds until it disarms by itself; `undefined` when never or when not armed. */
  readonly expiresIn: number | undefined;
  /** Names of the faults it offered to the fleet (`fleetFaults`). */
  readonly faults: readonly string[];
  /** Names of those the fleet has switched on right now. */
  readonly switchedOn: readonly string[];
}

/**
 * A request to switch faults on or off on every instance of the fleet (a fleet experiment).
 *
 * @example
 * ```ts
 * controller.switchFleetFaults({ on: true, faults: ['gateway-down'], experiment: 'gateway outage', duration: 60_000 });
 * ```
 */
export interface ChaosFleetSwitch {
  /** `true` switches the faults on, `false` off. */
  readonly on: boolean;
  /** Fault names; an instance acts on those it offered in `fleetFaults` and ignores the others. */
  readonly faults: readonly string[];
  /** The experiment asking (shown in events and the fleet view). */
  readonly experiment: string;
  /** With `on`: each instance switches the faults off by itself after this many ms (> 0). Ignored with `off`. */
  readonly duration: number;
}

/**
 * A fault the fleet may switch on and off on this instance (every `FaultPolicy` fits). Build
 * it with `enabled: false`: the fleet's experiments own its switch.
 *
 * @example
 * ```ts
 * const gatewayDown: FleetFault = faultInjection({ name: 'gateway-down', enabled: false });
 * chaos.arm({ environment: 'staging', coordinator, fleetFaults: [gatewayDown] });
 * ```
 */
export interface FleetFault {
  /** Its name, the one a fleet experiment uses (distinct within one `arm()`). */
  readonly name: string;
  /** Switches it on. */
  enable(): void;
  /** Switches it off at once. */
  disable(): void;
}

/**
 * A chaos controller as the fleet sees it (given to {@link ChaosFleet.joinChaos}). Every
 * method is safe to call with untrusted input: none of them can arm anything.
 *
 * @example
 * ```ts
 * // In a fleet backend, when a halt message arrives:
 * for (const member of members) member.halt(message.reason);
 * ```
 */
export interface ChaosFleetMember {
  /** The controller's current row for the fleet view. */
  announcement(): ChaosFleetAnnouncement;
  /** A halt from elsewhere in the fleet: stops injection here at once (not told to the fleet again). */
  halt(reason: string): void;
  /**
   * Holds injection with a reason (the fleet cannot be reached, or is still being checked),
   * or releases the hold (`undefined`). Releasing never arms: an unarmed controller stays so.
   */
  hold(reason: string | undefined): void;
  /** Switches offered faults on (only while armed and not held) or off (always); returns the names it switched. */
  switchFaults(request: ChaosFleetSwitch): readonly string[];
}

/**
 * What a controller calls on the fleet it joined (returned by {@link ChaosFleet.joinChaos}).
 *
 * @example
 * ```ts
 * const link: ChaosFleetLink = { changed() {}, halt: (reason) => bus.publish('halt', reason), switchFaults() {}, leave() {} };
 * ```
 */
export interface ChaosFleetLink {
  /** The member's announcement changed: tell the fleet. */
  changed(): void;
  /** The member was halted here: halt every instance (and keep the fleet halted for late joiners). */
  halt(reason: string): void;
  /** An experiment here switches faults on or off on every other instance. */
  switchFaults(request: ChaosFleetSwitch): void;
  /** The member leaves (disarm, or re-armed elsewhere): stop delivering to it. Idempotent. */
  leave(): void;
}

/**
 * The seam between a chaos controller and a fleet of instances: pass one as the
 * `coordinator` of `chaos.arm()`. `breakwater/redis` implements it on Redis pub/sub; any
 * backend can. The contract:
 *
 * - `joinChaos` is called by `arm()` once the instance's own guards have passed (also when
 *   the environment switch is off: the instance is then visible, `off`, and relays halts);
 * - the member starts **held**; call `member.hold(undefined)` once the fleet is known not to
 *   be halted, `member.halt(reason)` if it is;
 * - deliver every fleet halt to `member.halt`, and the other instances' switch requests to
 *   `member.switchFaults`, until `link.leave()`.
 *
 * @example
 * ```ts
 * import { redisCoordinator } from 'breakwater/redis';
 * const coordinator = redisCoordinator({ client: new Redis(process.env.REDIS_URL) });
 * chaos.arm({ environment: 'staging', coordinator, fleetFaults: [gatewayDown] });
 * // any instance, or redis-cli, halts them all:
 * chaos.halt('incident 4711');
 * ```
 */
export interface ChaosFleet {
  /** Joins the fleet for one controller; returns the controller's link to it. */
  joinChaos(member: ChaosFleetMember): ChaosFleetLink;
}

/** @internal What the membership needs of its controller. */
export interface FleetHost {
  status(): ChaosStatus;
  /** A halt from the fleet: stop like `halt()`, without telling the fleet again. */
  haltedByFleet(reason: string): void;
  /** Sets or clears the fleet's hold (the hot path reads it). */
  holdForFleet(reason: string | undefined): void;
}

/** @internal The reason a controller gives while it waits for the fleet's answer after joining. */
export const FLEET_JOINING = 'held: joining the fleet (injection starts once the fleet confirms it is not halted)';

const isFleet = (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as { joinChaos?: unknown }).joinChaos === 'function';

const isFleetFault = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { name?: unknown }).name === 'string' &&
  typeof (v as { enable?: unknown }).enable === 'function' &&
  typeof (v as { disable?: unknown }).disable === 'function';

/** @internal The rules of `arm()`'s fleet options. */
export const fleetArmSchema = {
  coordinator: {
    expected: 'a chaos fleet: an object with a joinChaos(member) function (redisChaosFleet() or redisCoordinator() of breakwater/redis)',
    check: isFleet,
  } satisfies Rule,
  fleetFaults: {
    expected: 'an array of faults (name, enable(), disable()) with distinct names',
    check: (v: unknown) => Array.isArray(v) && v.every(isFleetFault) && new Set(v.map((f: FleetFault) => f.name)).size === v.length,
  } satisfies Rule,
};

/** @internal Cross-field rule: `fleetFaults` only with a `coordinator`. */
export function checkFleetOptions(o: { readonly coordinator?: unknown; readonly fleetFaults?: unknown }, issues: ValidationIssue[]): void {
  if (o.fleetFaults !== undefined && o.coordinator === undefined) {
    issues.push({ path: 'fleetFaults', value: o.fleetFaults, expected: 'given only with a coordinator (the fleet that switches them)' });
  }
}

/**
 * @internal A controller's membership in one fleet, from `arm({ coordinator })` until
 * `disarm()` or the next `arm()`. It carries out what the fleet asks within the safety
 * rules of this module, and tells the fleet what the controller does.
 */
export class FleetMembership implements ChaosFleetMember {
  private link: ChaosFleetLink | undefined;
  private left = false;
  private held: string | undefined;
  private readonly offered: ReadonlyMap<string, FleetFault>;
  /** Faults the fleet switched on, with the request that did (its timer switches them off). */
  private readonly switched = new Map<string, number>();
  private readonly timers = new Map<number, unknown>();
  private nextToken = 1;

  constructor(
    private readonly host: FleetHost,
    private readonly fleet: ChaosFleet,
    faults: readonly FleetFault[],
    private readonly environment: string,
    private readonly clock: Clock,
  ) {
    this.offered = new Map(faults.map((f) => [f.name, f]));
  }

  /** Joins the fleet, held when `armed` until the fleet releases it. A fleet that throws leaves the controller held. */
  join(armed: boolean): void {
    this.held = armed ? FLEET_JOINING : undefined;
    this.host.holdForFleet(this.held);
    try {
      this.link = this.fleet.joinChaos(this);
    } catch (error) {
      reportInternalError(error, 'chaos fleet joinChaos');
      if (armed) this.hold('held: could not join the fleet (its coordinator threw; see the reported error)');
    }
  }

  announcement(): ChaosFleetAnnouncement {
    const s = this.host.status();
    const state: ChaosFleetState = s.armed ? (this.held !== undefined ? 'held' : 'armed') : s.reason?.startsWith('halted') === true ? 'halted' : 'off';
    const expiresIn = s.armed && s.expiresAt !== undefined && s.expiresAt !== Number.POSITIVE_INFINITY ? Math.max(0, s.expiresAt - this.clock.now()) : undefined;
    return { state, environment: this.environment, reason: s.reason, expiresIn, faults: [...this.offered.keys()], switchedOn: [...this.switched.keys()] };
  }

  halt(reason: string): void {
    if (this.left) return;
    this.host.haltedByFleet(typeof reason === 'string' && reason !== '' ? reason : 'halted by the fleet');
  }

  hold(reason: string | undefined): void {
    if (this.left || reason === this.held) return;
    this.held = reason;
    this.host.holdForFleet(reason);
    if (reason !== undefined) this.switchOffAll();
    this.tell((l) => l.changed(), 'changed');
  }

  switchFaults(request: ChaosFleetSwitch): readonly string[] {
    if (this.left) return [];
    const names = Array.isArray(request.faults) ? request.faults.filter((n): n is string => typeof n === 'string' && this.offered.has(n)) : [];
    if (names.length === 0) return [];
    if (request.on !== true) {
      for (const n of names) this.switchOff(n);
      this.tell((l) => l.changed(), 'changed');
      return names;
    }
    // On: only an armed controller that the fleet does not hold, for a bounded time.
    if (!this.host.status().armed || this.held !== undefined || !(request.duration > 0)) return [];
    const token = this.nextToken++;
    const done: string[] = [];
    for (const n of names) {
      try {
        (this.offered.get(n) as FleetFault).enable();
        const previous = this.switched.get(n);
        this.switched.set(n, token);
        this.dropTimer(previous);
        done.push(n);
      } catch (error) {
        reportInternalError(error, `fault "${n}" enable (asked by the fleet)`);
      }
    }
    if (done.length > 0) {
      const handle = this.clock.setTimeout(() => {
        this.timers.delete(token);
        for (const [n, t] of [...this.switched]) if (t === token) this.switchOff(n);
        this.tell((l) => l.changed(), 'changed');
      }, request.duration);
      unrefTimer(handle);
      this.timers.set(token, handle);
    }
    this.tell((l) => l.changed(), 'changed');
    return done;
  }

  /** The controller stopped (halt, expiry): every fault the fleet switched on goes off; the fleet is told. */
  stopped(): void {
    this.switchOffAll();
    this.tell((l) => l.changed(), 'changed');
  }

  /** The controller was halted here: the fleet halts everywhere. */
  halted(reason: string): void {
    this.tell((l) => l.halt(reason), 'halt');
  }

  /** An experiment here switches faults on every other instance; false when not in a fleet. */
  broadcast(request: ChaosFleetSwitch): boolean {
    if (this.left || this.link === undefined) return false;
    this.tell((l) => l.switchFaults(request), 'switchFaults');
    return true;
  }

  /** Leaves the fleet: faults the fleet switched on go off, timers are cleared. */
  leave(): void {
    if (this.left) return;
    this.switchOffAll();
    this.left = true;
    this.tell((l) => l.leave(), 'leave');
    this.link = undefined;
  }

  private switchOff(name: string): void {
    const token = this.switched.get(name);
    this.switched.delete(name);
    this.dropTimer(token);
    try {
      (this.offered.get(name) as FleetFault).disable();
    } catch (error) {
      reportInternalError(error, `fault "${name}" disable (asked by the fleet)`);
    }
  }

  /** Clears the timer of request `token` once it no longer owns any switched-on fault. */
  private dropTimer(token: number | undefined): void {
    if (token === undefined || !this.timers.has(token) || [...this.switched.values()].includes(token)) return;
    this.clock.clearTimeout(this.timers.get(token));
    this.timers.delete(token);
  }

  private switchOffAll(): void {
    for (const n of [...this.switched.keys()]) this.switchOff(n);
  }

  private tell(fn: (link: ChaosFleetLink) => void, what: string): void {
    const link = this.link;
    if (link === undefined) return;
    try {
      fn(link);
    } catch (error) {
      reportInternalError(error, `chaos fleet link ${what}`);
    }
  }
}
