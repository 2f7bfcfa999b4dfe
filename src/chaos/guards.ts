/**
 * Chaos safety guards: arming, the kill switch, maximum duration and the declarative
 * chaos rules. Fault policies are inert unless their controller is armed.
 *
 * The default controller ({@link chaos}) is the one piece of global state in breakwater:
 * a kill switch that only stops what it knows about is no kill switch. Tests and
 * experiments can use isolated controllers ({@link createChaosController}) and hand them
 * to faults through the `controller` option.
 *
 * @packageDocumentation
 */
import { systemClock, unrefTimer, type Clock } from '../core/clock';
import { OptionsValidationError, ResilienceError, isResilienceError, type ValidationIssue } from '../core/errors';
import { collectIssues, isPlainObject, rules, validateOptions, type Rule } from '../core/validation';
import { reportInternalError } from '../core/report';

/** Days of the week, as used by {@link ChaosTimeWindow.days} (UTC). */
export type ChaosDay = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

const DAYS: readonly ChaosDay[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * A time window (UTC) in which injection is allowed, e.g. weekdays 09:00–17:00 UTC when
 * the team is at its desks: `{ days: ['mon','tue','wed','thu','fri'], fromHour: 9, toHour: 17 }`.
 */
export interface ChaosTimeWindow {
  /** Days (UTC) the window applies to. @defaultValue every day */
  readonly days?: readonly ChaosDay[] | undefined;
  /** First hour (UTC, 0–23) inside the window. @defaultValue 0 */
  readonly fromHour?: number | undefined;
  /** Hour (UTC, 1–24) at which the window ends (exclusive); greater than `fromHour`. @defaultValue 24 */
  readonly toHour?: number | undefined;
}

/**
 * A declarative set of chaos rules: the limits a team keeps in a config file (plain JSON).
 * Validated strictly by {@link validateChaosRules}: unknown keys, wrong types and
 * prototype-pollution keys are errors.
 *
 * @example
 * ```ts
 * const rules = parseChaosRules(readFileSync('chaos-rules.json', 'utf8'));
 * chaos.arm({ environment: 'staging', rules });
 * ```
 */
export interface ChaosRules {
  /** Format version. @defaultValue 1 */
  readonly version?: 1 | undefined;
  /** Environments where arming is allowed at all. @defaultValue any */
  readonly environments?: readonly string[] | undefined;
  /** Injection happens only inside one of these windows (UTC). @defaultValue always */
  readonly windows?: readonly ChaosTimeWindow[] | undefined;
  /** Cap on every fault's `rate` (a higher rate is lowered to it). @defaultValue 1 */
  readonly maxRate?: number | undefined;
  /** Cap on every cohort's `percent`. @defaultValue 100 */
  readonly maxCohortPercent?: number | undefined;
  /** Cap on the armed duration (ms). @defaultValue `Infinity` */
  readonly maxDuration?: number | undefined;
}

const windowSchema = {
  days: rules.arrayOf(rules.oneOf(DAYS), { minLength: 1 }),
  fromHour: rules.integer(0, 23),
  toHour: rules.integer(1, 24),
};

const policySchema = {
  version: rules.oneOf([1]),
  environments: rules.arrayOf(rules.string(), { minLength: 1 }),
  windows: { expected: 'an array of time windows', check: (v: unknown) => Array.isArray(v) && v.length > 0 } satisfies Rule,
  maxRate: rules.number(0, 1),
  maxCohortPercent: rules.number(0, 100),
  maxDuration: rules.duration(0, { exclusiveMin: true }),
};

/**
 * Validates a declarative set of chaos rules and returns a frozen copy. Throws one
 * `OptionsValidationError` naming every bad field (unknown keys, wrong types,
 * `__proto__` / `constructor` keys, windows whose `toHour` is not after `fromHour`).
 *
 * @example
 * ```ts
 * validateChaosRules({ environments: ['staging'], maxRate: 0.2, windows: [{ fromHour: 9, toHour: 17 }] });
 * ```
 */
export function validateChaosRules(input: unknown): ChaosRules {
  if (!isPlainObject(input)) {
    throw new OptionsValidationError('chaos rules', [{ path: '(rules)', value: input, expected: 'a plain object' }]);
  }
  const policy = validateOptions<ChaosRules>('chaos rules', input, policySchema, (p, issues: ValidationIssue[]) => {
    (p.windows ?? []).forEach((w, i) => {
      const before = issues.length;
      collectIssues(w, windowSchema, `windows[${i}].`, issues);
      if (w === undefined) issues.push({ path: `windows[${i}]`, value: w, expected: 'a plain object' });
      if (issues.length === before && (w.toHour ?? 24) <= (w.fromHour ?? 0)) {
        issues.push({ path: `windows[${i}].toHour`, value: w.toHour, expected: `greater than fromHour (${w.fromHour ?? 0})` });
      }
    });
  });
  return Object.freeze({
    ...policy,
    ...(policy.environments !== undefined ? { environments: Object.freeze([...policy.environments]) } : {}),
    ...(policy.windows !== undefined
      ? { windows: Object.freeze(policy.windows.map((w) => Object.freeze({ ...w, ...(w.days !== undefined ? { days: Object.freeze([...w.days]) } : {}) }))) }
      : {}),
  });
}

/**
 * Parses chaos rules from JSON text and validates them ({@link validateChaosRules}).
 * `JSON.parse` keeps a `"__proto__"` key as an own property; it is rejected here.
 */
export function parseChaosRules(json: string): ChaosRules {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new OptionsValidationError('chaos rules', [{ path: '(json)', value: String(error), expected: 'valid JSON' }]);
  }
  return validateChaosRules(value);
}

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
};

const HOUR = 3_600_000;

/**
 * Arms and disarms fault injection. Get an isolated one with {@link createChaosController};
 * the global one is {@link chaos}.
 */
export class ChaosController {
  private armed = false;
  private environment: string | undefined = undefined;
  private armedAt: number | undefined = undefined;
  private expiresAt = Number.POSITIVE_INFINITY;
  private armClock: Clock;
  private policy: ChaosRules | undefined = undefined;
  private offReason = 'not armed: chaos.arm() was never called';
  private haltReason: string | undefined = undefined;
  private expiryTimer: unknown = undefined;
  private windowCacheUntil = Number.NEGATIVE_INFINITY;
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
   * Re-arming replaces the previous arming (and clears a halt).
   *
   * @example
   * ```ts
   * const status = chaos.arm({ environment: 'staging', maxDuration: 10 * 60_000 });
   * if (!status.armed) console.warn(status.reason);
   * ```
   */
  arm(options: ArmOptions): ChaosStatus {
    const o = validateOptions<ArmOptions>('chaos.arm()', options, armSchema);
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
    this.stop(undefined);
    const env = this.env ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const flag = env?.[CHAOS_ENV_SWITCH];
    if (flag !== '1' && flag !== 'true') {
      this.offReason = `not armed: the environment switch ${CHAOS_ENV_SWITCH} is ${flag === undefined ? 'not set' : `"${flag}"`} (set it to 1 to allow chaos in this process)`;
      return this.status();
    }
    const clock = o.clock ?? this.clock;
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
    return this.status();
  }

  /** Disarms (no effect when not armed). Ongoing hangs and held permits are released. */
  disarm(): ChaosStatus {
    if (this.armed) this.stop('not armed: disarmed by chaos.disarm()');
    return this.status();
  }

  /**
   * The kill switch: synchronously stops every injection. The very next call through any
   * fault of this controller runs untouched; hung calls go on to the real dependency,
   * injected delays end, held permits are released. Stays off until `arm()` again.
   *
   * @example
   * ```ts
   * process.on('SIGUSR2', () => chaos.halt('operator pressed the red button'));
   * ```
   */
  halt(reason = 'halted'): ChaosStatus {
    if (this.armed) this.haltReason = reason;
    this.stop(`halted: ${reason}`);
    return this.status();
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
      reason: active ? undefined : armed ? 'armed, but outside the time windows of the chaos rules' : this.offReason,
      haltReason: this.haltReason,
      maxRate: this.rateCap,
      maxCohortPercent: this.cohortCap,
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
    if (!this.armed) return false;
    if (this.expiresAt !== Number.POSITIVE_INFINITY && this.armClock.now() >= this.expiresAt) {
      this.stop(`not armed: maxDuration elapsed (disarmed by itself at ${this.expiresAt})`);
      return false;
    }
    const windows = this.policy?.windows;
    if (windows === undefined) return true;
    const wall = this.wallClock();
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
  }
}

function inWindows(windows: readonly ChaosTimeWindow[], wall: number): boolean {
  const d = new Date(wall);
  const day = DAYS[d.getUTCDay()] as ChaosDay;
  const hour = d.getUTCHours();
  for (const w of windows) {
    if (w.days !== undefined && !w.days.includes(day)) continue;
    if (hour >= (w.fromHour ?? 0) && hour < (w.toHour ?? 24)) return true;
  }
  return false;
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
