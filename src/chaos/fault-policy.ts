/**
 * The base of every fault policy: the injection decision (controller, switch, `when`,
 * target, cohort, max duration, rate), the injected mark, counting and events.
 *
 * @packageDocumentation
 */
import { systemClock } from '../core/clock';
import { ChaosInjectedError, withoutStack } from '../core/errors';
import { validateOptions, type Rule, type Schema } from '../core/validation';
import type { ExecutionContext } from '../core/context';
import type { Done } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { systemRandom, type Random } from '../core/random';
import { chaos, type ActiveEffects, type ChaosController } from './guards';
import type { LatencyDistribution } from './distributions';
import type { ChaosEvent, FaultKind } from './events';
import { faultOptionsSchema, type FaultOptions } from './options';
import { callInCohort, compileTarget, type FaultCohort, type TargetMatcher } from './targeting';
import { reportInternalError } from '../core/report';

/** @internal "No injection" sentinel returned by `prepare`. */
export const SKIP: unique symbol = Symbol('skip');
/** @internal */
export type Skip = typeof SKIP;

const INJECTED = Symbol.for('breakwater.chaos.injected');

/**
 * @internal Marks `error` (when it is an object) as injected by `fault`, with a
 * non-enumerable symbol property. Frozen objects and primitives are left alone.
 */
export function markInjected<T>(error: T, fault: string): T {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error) && !Object.prototype.hasOwnProperty.call(error, INJECTED)) {
    try {
      Object.defineProperty(error, INJECTED, { value: fault, enumerable: false, configurable: true });
    } catch {
      // a proxy or exotic object: leave it unmarked
    }
  }
  return error;
}

/**
 * True for errors injected by a chaos fault: a `ChaosInjectedError`, or any error a fault
 * threw on purpose (the catalog's `ECONNREFUSED` look-alikes, errors you gave to
 * `faultInjection`). Works across two copies of the package.
 *
 * @example
 * ```ts
 * if (isInjectedFault(error)) metrics.increment('chaos.errors');
 * ```
 */
export function isInjectedFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (Object.prototype.hasOwnProperty.call(error, INJECTED)) return true;
  return (error as { code?: unknown }).code === 'ERR_CHAOS_INJECTED';
}

/** The fault name recorded on an injected error, or `undefined`. */
export function injectedBy(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const v = (error as { [INJECTED]?: unknown })[INJECTED];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Base of the fault policies. Each one decides per call whether to inject (see
 * {@link FaultOptions}); `enable()` / `disable()` switch it at run time (it starts in the
 * state of its `enabled` option), `injections` counts what it injected.
 *
 * @example
 * ```ts
 * const gatewayDown = faultInjection({ name: 'gateway-down', enabled: false }); // off until enable()
 * chaos.arm({ environment: 'staging' }); // gatewayDown stays off
 * gatewayDown.enable(); // now it injects
 * ```
 */
export abstract class FaultPolicy<P = unknown> extends StrategyPolicy<ChaosEvent> implements ActiveEffects {
  /** What this fault injects. */
  abstract readonly faultKind: FaultKind;
  /** The controller whose arming this fault obeys. */
  readonly controller: ChaosController;
  /** @internal */
  protected readonly random: Random;
  private readonly rate: number | ((ctx: ExecutionContext) => number);
  private readonly when: ((ctx: ExecutionContext) => boolean) | undefined;
  private readonly matcher: TargetMatcher | undefined;
  private readonly cohort: FaultCohort | undefined;
  private readonly maxDuration: number;
  /** @internal Options shown by describe(). */
  protected readonly common: Record<string, unknown>;
  private switchedOn: boolean;
  private count = 0;
  /** When the first call was seen since the fault was (re-)enabled; `undefined` before. */
  private firstSeen: number | undefined = undefined;
  private effects: Set<() => void> | undefined = undefined;

  protected constructor(kind: string, options: FaultOptions) {
    super({ kind: 'chaos', name: options.name ?? kind, clock: options.clock ?? systemClock, keepsTime: true });
    this.controller = options.controller ?? chaos;
    this.random = options.random ?? systemRandom;
    this.rate = options.rate ?? 1;
    this.switchedOn = options.enabled ?? true;
    this.when = options.when;
    this.matcher = compileTarget(options.target);
    this.cohort = options.cohort;
    this.maxDuration = options.maxDuration ?? Number.POSITIVE_INFINITY;
    this.common = {
      rate: typeof this.rate === 'function' ? `function ${this.rate.name || '(anonymous)'}` : this.rate,
      enabled: this.switchedOn,
      ...(options.when !== undefined ? { when: `function ${options.when.name || '(anonymous)'}` } : {}),
      ...(options.target !== undefined ? { target: options.target } : {}),
      ...(options.cohort !== undefined ? { cohort: options.cohort } : {}),
      maxDuration: this.maxDuration,
    };
  }

  /** How many times this fault injected since it was created. */
  get injections(): number {
    return this.count;
  }

  /**
   * Whether the run-time switch is on: the `enabled` option at creation, then what
   * `enable()` / `disable()` last set. Arming is separate: an enabled fault injects only
   * while its controller is armed.
   */
  get isEnabled(): boolean {
    return this.switchedOn;
  }

  /**
   * Switches the fault on (the state it starts in unless built with `enabled: false`) and
   * restarts its `maxDuration`. It still injects only while its controller is armed.
   */
  enable(): void {
    this.switchedOn = true;
    this.firstSeen = undefined;
  }

  /**
   * Switches the fault off at once: the next call runs untouched, and ongoing effects
   * (hangs, injected delays, held permits) end now.
   */
  disable(): void {
    this.switchedOn = false;
    this.releaseEffects();
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (!this.switchedOn || !this.controller.isActive()) {
      link.next(ctx, done);
      return;
    }
    let prepared: P | Skip = SKIP;
    try {
      if (this.decide(ctx)) prepared = this.prepare(ctx);
    } catch (error) {
      reportInternalError(error, `fault "${this.name}" decision (rate, when, cohort, target or random)`);
      prepared = SKIP; // any error inside chaos code means "do not inject"
    }
    if (prepared === SKIP) link.next(ctx, done);
    else this.act(ctx, link, done, prepared, this);
  }

  /** @internal Everything but the switch and the controller. May throw (= no). */
  protected decide(ctx: ExecutionContext): boolean {
    const when = this.when;
    if (when !== undefined && when(ctx) !== true) return false;
    if (this.matcher !== undefined && !this.matcher.matches(ctx)) return false;
    if (this.cohort !== undefined && !callInCohort(ctx, this.cohort, this.controller.maxCohortPercent)) return false;
    if (this.maxDuration !== Number.POSITIVE_INFINITY) {
      const now = this.clock.now();
      if (this.firstSeen === undefined) this.firstSeen = now;
      else if (now - this.firstSeen >= this.maxDuration) return false;
    }
    const r = this.rate;
    let rate = typeof r === 'number' ? r : Number(r(ctx));
    const cap = this.controller.maxRate;
    if (rate > cap) rate = cap;
    if (!(rate > 0)) return false;
    return rate >= 1 || this.random() < rate;
  }

  /**
   * @internal Computes what to inject (the error, the delay, the fake result…) or
   * returns {@link SKIP}. Everything that can throw happens here, before anything acts.
   */
  abstract prepare(ctx: ExecutionContext): P | Skip;

  /**
   * @internal Injects what `prepare` returned: must call `by.record(...)` once and then,
   * eventually, `done` exactly once. Never throws.
   */
  abstract act(ctx: ExecutionContext, link: Link, done: Done, prepared: P, by: FaultPolicy<unknown>): void;

  /** @internal A draw from `distribution` with this fault's random. */
  draw(distribution: LatencyDistribution): number {
    return distribution.sample(this.random);
  }

  /** @internal Counts an injection, marks the call and emits `injected`. */
  record(ctx: ExecutionContext, link: Link, delay?: number): void {
    this.count++;
    ctx.injected = true;
    if (link.listening) {
      link.emit<ChaosEvent>(ctx, delay === undefined
        ? { type: 'injected', fault: this.name, faultKind: this.faultKind }
        : { type: 'injected', fault: this.name, faultKind: this.faultKind, delay });
    }
  }

  /** @internal Registers an effect a halt or `disable()` must end; returns its remover. */
  addEffect(release: () => void): () => void {
    const set = (this.effects ??= new Set());
    set.add(release);
    if (set.size === 1) this.controller.track(this);
    return () => {
      if (set.delete(release) && set.size === 0) this.controller.untrack(this);
    };
  }

  /** @internal Ends every ongoing effect (hangs continue to the real call, permits return). */
  releaseEffects(): void {
    const set = this.effects;
    if (set === undefined || set.size === 0) return;
    const all = [...set];
    set.clear();
    this.controller.untrack(this);
    for (const release of all) {
      try {
        release();
      } catch (error) {
        reportInternalError(error, `fault "${this.name}" release`);
        // keep releasing the others
      }
    }
  }

  protected describeOptions(): Record<string, unknown> {
    return { faultKind: this.faultKind, ...this.common, ...this.describeFault() };
  }

  /** @internal Fault-specific options for describe(). */
  protected abstract describeFault(): Record<string, unknown>;
}

/**
 * What an injected error is: an `Error` instance (thrown as is, every time), an error
 * class (constructed with a message naming the fault), or a function of the call
 * returning the error to throw (a fresh one per call).
 */
export type FaultError = Error | (new (message?: string) => unknown) | ((ctx: ExecutionContext) => unknown);

/** @internal */
export const errorRule: Rule = {
  expected: 'an Error, an error class or a function returning the error',
  check: (v) => v instanceof Error || typeof v === 'function',
};

function isErrorClass(fn: unknown): fn is new (message?: string) => unknown {
  return typeof fn === 'function' && (fn === Error || fn.prototype instanceof Error);
}

/** @internal Turns a {@link FaultError} option into a per-call error maker. */
export function errorMaker(option: FaultError | undefined, name: string): (ctx: ExecutionContext) => unknown {
  if (option === undefined) return () => withoutStack(() => new ChaosInjectedError(name));
  if (option instanceof Error) {
    markInjected(option, name);
    return () => option;
  }
  if (isErrorClass(option)) return () => new option(`Chaos fault "${name}" injected a failure`);
  const make = option as (ctx: ExecutionContext) => unknown;
  return (ctx) => make(ctx);
}

/** @internal Validates a fault's options: the shared ones and its own. */
export function validateFault<T>(subject: string, options: unknown, specific: Schema, extra?: (o: T, issues: { path: string; value: unknown; expected: string }[]) => void): T {
  return validateOptions<T>(subject, options, { ...faultOptionsSchema, ...specific }, extra);
}

