/**
 * Chaos safety guards: arming, the kill switch, maximum duration, the declarative chaos
 * rules (written in `chaos-rules.ts`, re-exported here) and, with a `coordinator`, the
 * fleet (`fleet.ts`). Fault policies are inert unless their controller is armed.
 *
 * The default controller ({@link chaos}) is the one piece of global state in breakwater:
 * a kill switch that only stops what it knows about is no kill switch. Tests and
 * experiments can use isolated controllers ({@link createChaosController}) and hand them
 * to faults through the `controller` option.
 *
 * @packageDocumentation
 */
import { systemClock, unrefTimer, type Clock } from '../core/clock';
import { ResilienceError, isResilienceError } from '../core/errors';
import { rules, validateOptions } from '../core/validation';
import { reportInternalError } from '../core/report';
import { inWindows, validateChaosRules, type ChaosRules } from './chaos-rules';
import { FleetMembership, checkFleetOptions, fleetArmSchema, type ChaosFleet, type ChaosFleetSwitch, type FleetFault } from './fleet';

export { parseChaosRules, validateChaosRules, type ChaosDay, type ChaosRules, type ChaosTimeWindow } from './chaos-rules';

/** Options of {@link ChaosController.arm}. */
export interface ArmOptions {
  /** The environment this process runs in, e.g. `'staging'`. Required. */
  readonly environment: string;
  /** Needed (`true`) to arm in an environment listed in `productionEnvironments`. @defaultValue false */
  readonly allowProduction?: boolean | undefined;
  /** Environments that count as production. @defaultValue `['production', 'prod']` */
  readonly productionEnvironments?: readonly string[] | undefined;
  /** Disarm by itself after this many ms (capped by the rules' `maxDuration`). @defaultValue `Infinity` */
  readonly maxDuration?: number | undefined;
  /** A declarative set of chaos rules (validated here). @defaultValue no extra limits */
  readonly rules?: ChaosRules | undefined;
  /** The clock `maxDuration` is measured on. @defaultValue the controller's clock */
  readonly clock?: Clock | undefined;
  /**
   * Joins a fleet ({@link ChaosFleet}, e.g. a `redisCoordinator` of `breakwater/redis`): a
   * `halt()` here halts every instance, this instance halts when any other does, and its
   * state shows in the fleet's view. The fleet can never arm it: this `arm()` and the
   * environment switch still decide. It injects only once the fleet confirms it is not
   * halted. @defaultValue none (this process only)
   */
  readonly coordinator?: ChaosFleet | undefined;
  /**
   * Faults that fleet experiments (`runExperiment({ fleet: true })` on any instance) may
   * switch on here while this controller is armed; build them with `enabled: false`. Needs
   * `coordinator`. @defaultValue none
   */
  readonly fleetFaults?: readonly FleetFault[] | undefined;
}

/** A snapshot of a controller's state, with the reason when injection is off. */
export interface ChaosStatus {
  /** Armed (and not halted, not expired). */
  readonly armed: boolean;
  /** Armed and, right now, allowed to inject (inside the policy's time windows). */
  readonly active: boolean;
  /** The environment given to `arm()`. */
  readonly environment: string | undefined;
  /** Clock time of arming. */
  readonly armedAt: number | undefined;
  /** Clock time at which it disarms by itself (`Infinity` when never). */
  readonly expiresAt: number | undefined;
  /** Why injection is off (`undefined` when active). */
  readonly reason: string | undefined;
  /** The reason given to the last `halt()` while armed, if that is what stopped it. */
  readonly haltReason: string | undefined;
  /** Cap on every fault's `rate`: the `maxRate` of the policy given to the last successful `arm()`, else 1. */
  readonly maxRate: number;
  /** Cap on every cohort's `percent`: the `maxCohortPercent` of the policy given to the last successful `arm()`, else 100. */
  readonly maxCohortPercent: number;
  /** In a fleet: `arm()` was given a `coordinator` (and no `disarm()` since). */
  readonly fleet: boolean;
}

/** Options of {@link createChaosController}. */
export interface ChaosControllerOptions {
  /**
   * The environment variables to read `BREAKWATER_CHAOS` from.
   * @defaultValue `globalThis.process?.env` (read at each `arm()`)
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Clock for `maxDuration`. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /**
   * Wall-clock time (epoch ms) for the policy's UTC time windows.
   * @defaultValue `() => new Date().getTime()`
   */
  readonly wallClock?: (() => number) | undefined;
}

/** The environment variable that must be `1` (or `true`) for arming to take effect. */
export const CHAOS_ENV_SWITCH = 'BREAKWATER_CHAOS';

/** Thrown by `arm()` when the guards forbid arming (production without allowance…). */
export class ChaosArmingError extends ResilienceError {
  constructor(message: string) {
    super(message);
    this.name = 'ChaosArmingError';
  }
}

/** True for {@link ChaosArmingError} (works across two copies of the package). */
export function isChaosArmingError(error: unknown): error is ChaosArmingError {
  return isResilienceError(error) && error.name === 'ChaosArmingError';
}

/** @internal Something a fault is doing that a halt must undo (a held lease, a hang). */
export interface ActiveEffects {
  /** Ends every effect at once. */
  releaseEffects(): void;
}

// The injectable default; the library never reads wall time elsewhere.
const systemWallClock = (): number => new Date().getTime();

const armSchema = {
  environment: rules.required(rules.string()),
  allowProduction: rules.boolean(),
  productionEnvironments: rules.arrayOf(rules.string()),
  maxDuration: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  rules: rules.any('a chaos rules object'),
  clock: rules.clock(),
  ...fleetArmSchema,
};

const HOUR = 3_600_000;

/**
 * Arms and disarms fault injection. Get an isolated one with {@link createChaosController};
 * the global one is {@link chaos}.
 */
export class ChaosController {
  private armed = false;
  private fleet: FleetMembership | undefined = undefined;
  private fleetHold: string | undefined = undefined;
  private environment: string | undefined = undefined;
  private armedAt: number | undefined = undefined;
  private expiresAt = Number.POSITIVE_INFINITY;
  private armClock: Clock;
  private policy: ChaosRules | undefined = undefined;
  private offReason = 'not armed: chaos.arm() was never called';
  private haltReason: string | undefined = undefined;
  private expiryTimer: unknown = undefined;
  private windowCacheUntil = Number.NEGATIVE_INFINITY;
  // Stryker disable next-line BooleanLiteral: equivalent — windowCacheUntil starts at -Infinity (and is reset by arm()), so windowOpen is always computed before it is read
  private windowOpen = true;
  private readonly busy = new Set<ActiveEffects>();
  private rateCap = 1;
  private cohortCap = 100;
  private readonly env: Readonly<Record<string, string | undefined>> | undefined;
  private readonly clock: Clock;
  private readonly wallClock: () => number;

  /** @internal Use {@link createChaosController}. */
  constructor(options: ChaosControllerOptions = {}) {
    const o = validateOptions<ChaosControllerOptions>('chaos controller', options, {
      env: { expected: 'an object of environment variables', check: (v) => typeof v === 'object' && v !== null },
      clock: rules.clock(),
      wallClock: rules.func(),
    });
    this.env = o.env;
    this.clock = this.armClock = o.clock ?? systemClock;
    this.wallClock = o.wallClock ?? systemWallClock;
  }

  /**
   * Arms fault injection. Every guard is checked here:
   *
   * - `BREAKWATER_CHAOS` must be `1` (or `true`) in the environment; otherwise the
   *   controller stays disarmed and the returned status says why (this is the switch that
   *   keeps chaos off where nobody turned it on; it does not throw);
   * - an environment listed in `productionEnvironments` needs `allowProduction: true`,
   *   and an environment outside the policy's `environments` is refused: both throw a
   *   {@link ChaosArmingError} (a misconfiguration should fail loudly);
   * - the policy is validated (`OptionsValidationError`).
   *
   * Re-arming replaces the previous arming (and clears a local halt; a fleet that is halted
   * halts it again as it joins). With a `coordinator` the controller joins that fleet, even
   * when the environment switch is off (it then shows as `off` and relays halts).
   *
   * @example
   * ```ts
   * const status = chaos.arm({ environment: 'staging', maxDuration: 10 * 60_000 });
   * if (!status.armed) console.warn(status.reason);
   * ```
   */
  arm(options: ArmOptions): ChaosStatus {
    const o = validateOptions<ArmOptions>('chaos.arm()', options, armSchema, checkFleetOptions);
    const policy = o.rules === undefined ? undefined : validateChaosRules(o.rules);
    const production = o.productionEnvironments ?? ['production', 'prod'];
    if (production.includes(o.environment) && o.allowProduction !== true) {
      throw new ChaosArmingError(
        `chaos.arm(): "${o.environment}" is a production environment; pass allowProduction: true to inject faults there on purpose`,
      );
    }
    if (policy?.environments !== undefined && !policy.environments.includes(o.environment)) {
      throw new ChaosArmingError(
        `chaos.arm(): the chaos rules allow only ${policy.environments.map((e) => `"${e}"`).join(', ')}, not "${o.environment}"`,
      );
    }
    this.leaveFleet();
    this.stop(undefined);
    const clock = o.clock ?? this.clock;
    const fleet = o.coordinator && (this.fleet = new FleetMembership(this, o.coordinator, o.fleetFaults ?? [], o.environment, clock));
    let flag: string | undefined;
    try {
      const env = this.env ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
      flag = env?.[CHAOS_ENV_SWITCH];
    } catch (error) {
      // Deno without --allow-env throws on reading the environment: that is "not armed".
      this.offReason = `not armed: the environment switch ${CHAOS_ENV_SWITCH} could not be read (${String(error)}); pass \`env\` to createChaosController or allow reading it`;
      fleet?.join(false);
      return this.status();
    }
    if (flag !== '1' && flag !== 'true') {
      this.offReason = `not armed: the environment switch ${CHAOS_ENV_SWITCH} is ${flag === undefined ? 'not set' : `"${flag}"`} (set it to 1 to allow chaos in this process)`;
      fleet?.join(false);
      return this.status();
    }
    const maxDuration = Math.min(o.maxDuration ?? Number.POSITIVE_INFINITY, policy?.maxDuration ?? Number.POSITIVE_INFINITY);
    this.armClock = clock;
    this.policy = policy;
    this.environment = o.environment;
    this.haltReason = undefined;
    this.rateCap = policy?.maxRate ?? 1;
    this.cohortCap = policy?.maxCohortPercent ?? 100;
    this.windowCacheUntil = Number.NEGATIVE_INFINITY;
    const now = clock.now();
    this.armedAt = now;
    this.expiresAt = now + maxDuration;
    if (maxDuration !== Number.POSITIVE_INFINITY) {
      // Background timer: releases hung calls and held permits at expiry; never keeps the
      // process alive. Expiry is also checked lazily at every decision.
      this.expiryTimer = clock.setTimeout(() => {
        this.expiryTimer = undefined;
        this.isActive();
      }, maxDuration);
      unrefTimer(this.expiryTimer);
    }
    this.armed = true;
    fleet?.join(true);
    return this.status();
  }

  /**
   * Disarms (no effect when not armed). Ongoing hangs and held permits are released. Leaves
   * the fleet, if any: the other instances go on (a halt is what stops them all).
   */
  disarm(): ChaosStatus {
    if (this.armed) this.stop('not armed: disarmed by chaos.disarm()');
    this.leaveFleet();
    return this.status();
  }

  /**
   * The kill switch: synchronously stops every injection. The very next call through any
   * fault of this controller runs untouched; hung calls go on to the real dependency,
   * injected delays end, held permits are released. Stays off until `arm()` again. In a
   * fleet (`arm({ coordinator })`) every instance halts too.
   *
   * @example
   * ```ts
   * process.on('SIGUSR2', () => chaos.halt('operator pressed the red button'));
   * ```
   */
  halt(reason = 'halted'): ChaosStatus {
    if (this.armed) this.haltReason = reason;
    this.stop(`halted: ${reason}`);
    this.fleet?.halted(reason);
    return this.status();
  }

  /** @internal A halt from the fleet: stops like `halt()` without telling the fleet again. */
  haltedByFleet(reason: string): void {
    if (this.armed) this.haltReason = reason;
    this.stop(`halted: ${reason}`);
  }

  /** @internal The fleet holds injection (`reason`) or releases it (`undefined`). Never arms. */
  holdForFleet(reason: string | undefined): void {
    this.fleetHold = reason;
  }

  /**
   * Switches faults on or off on every other instance of the fleet this controller joined
   * (each acts on the faults it offered in `fleetFaults`, while armed). Used by
   * `runExperiment({ fleet: true })`; returns false when not in a fleet.
   *
   * @example
   * ```ts
   * chaos.switchFleetFaults({ on: false, faults: ['gateway-down'], experiment: 'manual', duration: 0 });
   * ```
   */
  switchFleetFaults(request: ChaosFleetSwitch): boolean {
    return this.fleet?.broadcast(request) ?? false;
  }

  /** Armed right now (not halted, not expired). Does not consider time windows. */
  isArmed(): boolean {
    this.isActive(); // notices an elapsed maxDuration
    return this.armed;
  }

  /** The controller's state and, when injection is off, why. */
  status(): ChaosStatus {
    const active = this.isActive();
    const armed = this.armed;
    return {
      armed,
      active,
      environment: this.environment,
      armedAt: this.armedAt,
      expiresAt: armed ? this.expiresAt : undefined,
      reason: active ? undefined : armed ? (this.fleetHold ?? 'armed, but outside the time windows of the chaos rules') : this.offReason,
      haltReason: this.haltReason,
      maxRate: this.rateCap,
      maxCohortPercent: this.cohortCap,
      fleet: this.fleet !== undefined,
    };
  }

  /** Cap on every fault's rate while armed (the policy's `maxRate`, else 1). */
  get maxRate(): number {
    return this.rateCap;
  }

  /** Cap on every cohort's percent while armed (the policy's `maxCohortPercent`, else 100). */
  get maxCohortPercent(): number {
    return this.cohortCap;
  }

  /**
   * @internal The hot-path gate: may a fault inject now? One field read when disarmed;
   * a clock read only with a `maxDuration`, a wall-clock read at most once per hour
   * boundary with time windows.
   */
  isActive(): boolean {
    if (!this.armed || this.fleetHold !== undefined) return false;
    if (this.expiresAt !== Number.POSITIVE_INFINITY && this.armClock.now() >= this.expiresAt) {
      this.stop(`not armed: maxDuration elapsed (disarmed by itself at ${this.expiresAt})`);
      return false;
    }
    const windows = this.policy?.windows;
    if (windows === undefined) return true;
    const wall = this.wallClock();
    // Stryker disable next-line ArithmeticOperator: equivalent — `+ HOUR` only disables the cache, and inWindows() on the frozen, whole-hour windows gives the cached answer anyway
    if (wall < this.windowCacheUntil && wall >= this.windowCacheUntil - HOUR) return this.windowOpen;
    this.windowOpen = inWindows(windows, wall);
    this.windowCacheUntil = (Math.floor(wall / HOUR) + 1) * HOUR;
    return this.windowOpen;
  }

  /** @internal A fault started an effect that a halt must end. */
  track(fault: ActiveEffects): void {
    this.busy.add(fault);
  }

  /** @internal A fault has no effect left. */
  untrack(fault: ActiveEffects): void {
    this.busy.delete(fault);
  }

  private leaveFleet(): void {
    const f = this.fleet;
    this.fleet = this.fleetHold = undefined;
    f?.leave();
  }

  private stop(reason: string | undefined): void {
    this.armed = false;
    if (reason !== undefined) this.offReason = reason;
    if (this.expiryTimer !== undefined) {
      this.armClock.clearTimeout(this.expiryTimer);
      this.expiryTimer = undefined;
    }
    if (this.busy.size > 0) {
      const faults = [...this.busy];
      this.busy.clear();
      for (const f of faults) {
        try {
          f.releaseEffects();
        } catch (error) {
          reportInternalError(error, 'a fault releasing its effects on halt');
          // A release that fails must not stop the others.
        }
      }
    }
    this.fleet?.stopped();
  }
}

/**
 * Creates an isolated chaos controller (tests, experiments). Pass it to faults through
 * their `controller` option.
 *
 * @example
 * ```ts
 * const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
 * controller.arm({ environment: 'test' });
 * const fault = faultInjection({ controller, rate: 0.5, clock });
 * ```
 */
export function createChaosController(options?: ChaosControllerOptions): ChaosController {
  return new ChaosController(options);
}

/**
 * The global chaos controller: every fault without a `controller` option obeys it.
 *
 * @example
 * ```ts
 * chaos.arm({ environment: process.env.NODE_ENV ?? 'development', maxDuration: 30 * 60_000 });
 * // … later, from an admin endpoint:
 * chaos.halt('incident declared');
 * ```
 */
export const chaos: ChaosController = new ChaosController();

/** Arms the global controller ({@link ChaosController.arm}). */
export function armChaos(options: ArmOptions): ChaosStatus {
  return chaos.arm(options);
}
/** Disarms the global controller. */
export function disarmChaos(): ChaosStatus {
  return chaos.disarm();
}
/** The global kill switch ({@link ChaosController.halt}). */
export function haltChaos(reason?: string): ChaosStatus {
  return chaos.halt(reason);
}
