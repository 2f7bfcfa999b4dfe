/**
 * The fault policies: errors, latency, fake outcomes, side effects, hangs, exhausted
 * bulkheads and flapping. Place them innermost in a pipeline, so the real policies act on
 * the faults.
 *
 * @packageDocumentation
 */
import { unrefTimer } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { ChaosInjectedError, OptionsValidationError, withoutStack } from '../core/errors';
import { isThenable, type Done } from '../core/outcome';
import type { Link } from '../core/policy';
import { rules, validateOptions, type Rule, type Schema } from '../core/validation';
import { waitFor } from '../core/wait';
import { isLatencyDistribution, type LatencyDistribution } from './distributions';
import type { FaultKind } from './events';
import { FaultPolicy, SKIP, markInjected, type Skip } from './fault';
import { faultOptionsSchema, type FaultOptions } from './options';

/**
 * What an injected error is: an `Error` instance (thrown as is, every time), an error
 * class (constructed with a message naming the fault), or a function of the call
 * returning the error to throw (a fresh one per call).
 */
export type FaultError = Error | (new (message?: string) => unknown) | ((ctx: ExecutionContext) => unknown);

const errorRule: Rule = {
  expected: 'an Error, an error class or a function returning the error',
  check: (v) => v instanceof Error || typeof v === 'function',
};

function isErrorClass(fn: unknown): fn is new (message?: string) => unknown {
  return typeof fn === 'function' && (fn === Error || fn.prototype instanceof Error);
}

/** @internal Turns a {@link FaultError} option into a per-call error maker. */
function errorMaker(option: FaultError | undefined, name: string): (ctx: ExecutionContext) => unknown {
  if (option === undefined) return () => withoutStack(() => new ChaosInjectedError(name));
  if (option instanceof Error) {
    markInjected(option, name);
    return () => option;
  }
  if (isErrorClass(option)) return () => new option(`Chaos fault "${name}" injected a failure`);
  const make = option as (ctx: ExecutionContext) => unknown;
  return (ctx) => make(ctx);
}

function validate<T>(subject: string, options: unknown, specific: Schema, extra?: (o: T, issues: { path: string; value: unknown; expected: string }[]) => void): T {
  return validateOptions<T>(subject, options, { ...faultOptionsSchema, ...specific }, extra);
}

function noop(): void {}

/** Options of {@link faultInjection}. */
export interface FaultInjectionOptions extends FaultOptions {
  /** The error to throw. @defaultValue a `ChaosInjectedError` naming the fault */
  readonly error?: FaultError | undefined;
}

/** Throws an error instead of running the call. See {@link faultInjection}. */
export class FaultInjectionPolicy extends FaultPolicy<unknown> {
  readonly faultKind: FaultKind = 'error';
  private readonly makeError: (ctx: ExecutionContext) => unknown;
  private readonly hasCustomError: boolean;

  /** @internal Use {@link faultInjection}. */
  constructor(options: FaultInjectionOptions = {}) {
    const o = validate<FaultInjectionOptions>('faultInjection', options, { error: errorRule });
    super('fault-injection', o);
    this.makeError = errorMaker(o.error, this.name);
    this.hasCustomError = o.error !== undefined;
  }
  /** @internal */
  prepare(ctx: ExecutionContext): unknown {
    return markInjected(this.makeError(ctx), this.name);
  }
  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, error: unknown, by: FaultPolicy): void {
    by.record(ctx, link);
    done({ ok: false, error });
  }
  protected describeFault(): Record<string, unknown> {
    return { error: this.hasCustomError ? 'custom' : 'ChaosInjectedError' };
  }
}

/**
 * Makes calls fail with an injected error (a `ChaosInjectedError` by default) without
 * running them. Errors are marked: {@link isInjectedFault} recognises them.
 *
 * @example
 * ```ts
 * const refused = faultInjection({
 *   name: 'db-refused',
 *   rate: 0.3,
 *   error: () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }),
 * });
 * ```
 */
export function faultInjection(options?: FaultInjectionOptions): FaultInjectionPolicy {
  return new FaultInjectionPolicy(options);
}

/** Options of {@link latencyInjection}. */
export interface LatencyInjectionOptions extends FaultOptions {
  /** The delay in ms, or a distribution of delays ({@link distributions}). Required. */
  readonly latency: number | LatencyDistribution;
}

const latencyRule: Rule = {
  expected: 'a delay in ms ≥ 0 or a latency distribution',
  check: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0) || isLatencyDistribution(v),
};

/** @internal Draws a delay; `SKIP` when the distribution misbehaves. */
function drawDelay(latency: number | LatencyDistribution, fault: FaultPolicy): number | Skip {
  const d = typeof latency === 'number' ? latency : fault.draw(latency);
  return typeof d === 'number' && d >= 0 && d !== Number.POSITIVE_INFINITY ? d : SKIP;
}

/**
 * @internal Waits `delay` ms (Infinity: until aborted), abort-aware and haltable, then
 * runs the call; an abort settles with its reason; a halt or `disable()` runs the call now.
 */
function delayThenRun(ctx: ExecutionContext, link: Link, done: Done, delay: number, by: FaultPolicy): void {
  let settled = false;
  let remove: () => void = noop;
  const cancel = waitFor(ctx, delay, (end) => {
    settled = true;
    remove();
    if (end.aborted) done({ ok: false, error: end.reason });
    else link.next(ctx, done);
  });
  if (settled) return;
  remove = by.addEffect(() => {
    if (settled) return;
    settled = true;
    cancel();
    link.next(ctx, done);
  });
}

/** Delays calls before running them. See {@link latencyInjection}. */
export class LatencyInjectionPolicy extends FaultPolicy<number> {
  readonly faultKind: FaultKind = 'latency';
  private readonly latency: number | LatencyDistribution;

  /** @internal Use {@link latencyInjection}. */
  constructor(options: LatencyInjectionOptions) {
    const o = validate<LatencyInjectionOptions>('latencyInjection', options, { latency: rules.required(latencyRule) });
    super('latency-injection', o);
    this.latency = o.latency;
  }
  /** @internal */
  prepare(): number | Skip {
    return drawDelay(this.latency, this);
  }
  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, delay: number, by: FaultPolicy): void {
    by.record(ctx, link, delay);
    delayThenRun(ctx, link, done, delay, by);
  }
  protected describeFault(): Record<string, unknown> {
    return { latency: typeof this.latency === 'number' ? this.latency : this.latency.describe() };
  }
}

/**
 * Delays calls by a fixed delay or a draw from a distribution, then runs them. The wait
 * is abort-aware: an enclosing timeout or the caller's signal ends it at once (that is
 * what the timeout policy is there to prove). `halt()` and `disable()` end it too.
 *
 * @example
 * ```ts
 * const slowQueries = latencyInjection({ latency: distributions.lognormal({ median: 200, p99: 3_000 }), rate: 0.25 });
 * ```
 */
export function latencyInjection(options: LatencyInjectionOptions): LatencyInjectionPolicy {
  return new LatencyInjectionPolicy(options);
}

/** Options of {@link outcomeInjection}: give `result` or `generate`. */
export interface OutcomeInjectionOptions<T = unknown> extends FaultOptions {
  /** The fake result returned instead of running the call. */
  readonly result?: T | undefined;
  /** Makes the fake result for a call (may return a promise). Wins over `result`. */
  readonly generate?: ((ctx: ExecutionContext) => T | PromiseLike<T>) | undefined;
}

/** Returns a fake result instead of running the call. See {@link outcomeInjection}. */
export class OutcomeInjectionPolicy<T = unknown> extends FaultPolicy<{
  /** The fake result prepared for one call (`result`, or what `generate` returned, possibly a promise). */
  value: unknown;
}> {
  readonly faultKind: FaultKind = 'outcome';
  private readonly result: T | undefined;
  private readonly generate: ((ctx: ExecutionContext) => T | PromiseLike<T>) | undefined;

  /** @internal Use {@link outcomeInjection}. */
  constructor(options: OutcomeInjectionOptions<T>) {
    const o = validate<OutcomeInjectionOptions<T>>(
      'outcomeInjection',
      options,
      { result: rules.any('any value'), generate: rules.func() },
      (v, issues) => {
        if (!Object.prototype.hasOwnProperty.call(v, 'result') && v.generate === undefined) {
          issues.push({ path: 'result', value: undefined, expected: 'given (or `generate`): the fake result to return' });
        }
      },
    );
    super('outcome-injection', o);
    this.result = o.result;
    this.generate = o.generate;
  }
  /** @internal */
  prepare(ctx: ExecutionContext): { value: unknown } {
    return { value: this.generate !== undefined ? this.generate(ctx) : this.result };
  }
  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, prepared: { value: unknown }, by: FaultPolicy): void {
    by.record(ctx, link);
    const v = prepared.value;
    if (isThenable(v)) {
      // A generator that rejects is chaos code failing: run the real call instead.
      v.then(
        (value) => done({ ok: true, value }),
        () => link.next(ctx, done),
      );
    } else done({ ok: true, value: v });
  }
  protected describeFault(): Record<string, unknown> {
    return this.generate !== undefined ? { generate: 'function' } : { result: this.result };
  }
}

/**
 * Returns a fake result instead of running the call: a declined payment, a 401
 * "token expired" response, a cache miss. Use it to exercise `handleResult` and the
 * code paths that handle such answers.
 *
 * @example
 * ```ts
 * const cacheMiss = outcomeInjection({ name: 'redis-key-expiry', result: null, rate: 0.5 });
 * ```
 */
export function outcomeInjection<T = unknown>(options: OutcomeInjectionOptions<T>): OutcomeInjectionPolicy<T> {
  return new OutcomeInjectionPolicy<T>(options);
}

/** Options of {@link behaviorInjection}. */
export interface BehaviorInjectionOptions extends FaultOptions {
  /** The side effect, run before the call; may return a promise (the call waits for it). Required. */
  readonly behavior: (ctx: ExecutionContext) => unknown;
}

/** Runs a side effect before the call. See {@link behaviorInjection}. */
export class BehaviorInjectionPolicy extends FaultPolicy<(ctx: ExecutionContext) => unknown> {
  readonly faultKind: FaultKind = 'behavior';
  private readonly behavior: (ctx: ExecutionContext) => unknown;

  /** @internal Use {@link behaviorInjection}. */
  constructor(options: BehaviorInjectionOptions) {
    const o = validate<BehaviorInjectionOptions>('behaviorInjection', options, { behavior: rules.required(rules.func()) });
    super('behavior-injection', o);
    this.behavior = o.behavior;
  }
  /** @internal */
  prepare(): (ctx: ExecutionContext) => unknown {
    return this.behavior;
  }
  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, behavior: (ctx: ExecutionContext) => unknown, by: FaultPolicy): void {
    by.record(ctx, link);
    let r: unknown;
    try {
      r = behavior(ctx);
    } catch {
      link.next(ctx, done); // a failing behavior never breaks the call
      return;
    }
    if (isThenable(r)) {
      const go = (): void => link.next(ctx, done);
      r.then(go, go);
    } else link.next(ctx, done);
  }
  protected describeFault(): Record<string, unknown> {
    return { behavior: this.behavior.name || 'function' };
  }
}

/**
 * Runs a side effect, then the call: drop a cache entry, kill a connection, log a
 * marker, bump a counter. An error thrown (or a promise rejected) by the behavior is
 * ignored: the call runs anyway.
 *
 * @example
 * ```ts
 * const flushCache = behaviorInjection({ behavior: () => cache.clear(), rate: 0.01 });
 * ```
 */
export function behaviorInjection(options: BehaviorInjectionOptions): BehaviorInjectionPolicy {
  return new BehaviorInjectionPolicy(options);
}

/** Options of {@link hang}. */
export type HangOptions = FaultOptions;

/** Never answers until the call is aborted. See {@link hang}. */
export class HangPolicy extends FaultPolicy<true> {
  readonly faultKind: FaultKind = 'hang';

  /** @internal Use {@link hang}. */
  constructor(options: HangOptions = {}) {
    super('hang', validate<HangOptions>('hang', options, {}));
  }
  /** @internal */
  prepare(): true {
    return true;
  }
  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, _p: true, by: FaultPolicy): void {
    by.record(ctx, link);
    delayThenRun(ctx, link, done, Number.POSITIVE_INFINITY, by);
  }
  protected describeFault(): Record<string, unknown> {
    return {};
  }
}

/**
 * The call never answers until it is aborted (an enclosing timeout, the caller's
 * signal), then fails with the abort reason: a network partition, a black-holed
 * packet. Without a timeout or a signal the call waits until `halt()` or `disable()`
 * (which let it run for real). No timer is involved: a hung call keeps nothing alive.
 *
 * @example
 * ```ts
 * const partition = pipeline(timeout({ duration: 2_000 }), hang({ rate: 0.1 }));
 * ```
 */
export function hang(options?: HangOptions): HangPolicy {
  return new HangPolicy(options);
}

/**
 * A bulkhead whose permits can be taken away: the shape `exhaustion` needs (breakwater's
 * bulkhead has it).
 */
export interface OccupiableBulkhead {
  /**
   * Takes up to `permits` permits (of `partition`) out of service until `release()`.
   * `held` says how many it took.
   */
  occupy(
    permits: number,
    partition?: string,
  ): {
    /** How many permits this lease holds (may be fewer than asked for). */
    readonly held: number;
    /** Returns the permits to the bulkhead. */
    release(): void;
  };
}

/** Options of {@link exhaustion}. */
export interface ExhaustionOptions extends FaultOptions {
  /** The bulkhead (or pool) whose permits to hold. Required. */
  readonly bulkhead: OccupiableBulkhead;
  /** How many permits to hold (`Infinity`: every free one). Required. */
  readonly permits: number;
  /** How long to hold them (ms, or a distribution). Required. */
  readonly holdFor: number | LatencyDistribution;
  /** Partition of a partitioned bulkhead (a key or a function of the call). @defaultValue none */
  readonly partition?: string | ((ctx: ExecutionContext) => string | undefined) | undefined;
}

interface Lease {
  readonly lease: { readonly held: number; release(): void };
  readonly hold: number;
}

/** Holds bulkhead permits for a time. See {@link exhaustion}. */
export class ExhaustionPolicy extends FaultPolicy<Lease> {
  readonly faultKind: FaultKind = 'exhaustion';
  private readonly bulkhead: OccupiableBulkhead;
  private readonly permits: number;
  private readonly holdFor: number | LatencyDistribution;
  private readonly partition: string | ((ctx: ExecutionContext) => string | undefined) | undefined;
  private current: Lease['lease'] | undefined = undefined;

  /** @internal Use {@link exhaustion}. */
  constructor(options: ExhaustionOptions) {
    const o = validate<ExhaustionOptions>('exhaustion', options, {
      bulkhead: rules.required({
        expected: 'a bulkhead with an occupy(permits, partition?) method',
        check: (v) => typeof v === 'object' && v !== null && typeof (v as { occupy?: unknown }).occupy === 'function',
      }),
      permits: rules.required(rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true })),
      holdFor: rules.required(latencyRule),
      partition: rules.anyOf(rules.string(), rules.func()),
    });
    super('exhaustion', o);
    this.bulkhead = o.bulkhead;
    this.permits = o.permits;
    this.holdFor = o.holdFor;
    this.partition = o.partition;
  }

  /** Permits held right now (0 when no lease is active). */
  get held(): number {
    return this.current?.held ?? 0;
  }

  /** @internal */
  prepare(ctx: ExecutionContext): Lease | Skip {
    if (this.current !== undefined) return SKIP; // one lease at a time
    const hold = drawDelay(this.holdFor, this);
    if (hold === SKIP) return SKIP;
    const p = this.partition;
    const partition = typeof p === 'function' ? p(ctx) : p;
    const lease = partition === undefined ? this.bulkhead.occupy(this.permits) : this.bulkhead.occupy(this.permits, partition);
    return { lease, hold };
  }

  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, { lease, hold }: Lease, by: FaultPolicy): void {
    this.current = lease;
    by.record(ctx, link, hold);
    let timer: unknown = undefined;
    const release = (): void => {
      if (this.current !== lease) return;
      this.current = undefined;
      if (timer !== undefined) this.clock.clearTimeout(timer);
      try {
        lease.release();
      } catch {
        // the bulkhead's problem; chaos carries on
      }
    };
    const remove = by.addEffect(release);
    // A background timer (no call waits on it): unref'd so it never keeps a process alive.
    timer = this.clock.setTimeout(() => {
      timer = undefined;
      remove();
      release();
    }, hold);
    unrefTimer(timer);
    link.next(ctx, done);
  }

  protected describeFault(): Record<string, unknown> {
    return {
      permits: this.permits,
      holdFor: typeof this.holdFor === 'number' ? this.holdFor : this.holdFor.describe(),
      partition: typeof this.partition === 'function' ? 'function' : this.partition,
    };
  }
}

/**
 * Holds `permits` of a bulkhead for `holdFor` ms, as a slow consumer or a leaked
 * connection would: the calls that follow find the pool (nearly) full and get queued or
 * rejected, which is what the bulkhead's limits and the fallback are there for. One lease
 * at a time; `halt()` and `disable()` return the permits at once. `permits: Infinity`
 * takes every free slot.
 *
 * Unlike the other faults, place it *outside* the bulkhead it drains (or in another
 * pipeline): the slots are taken from those free at that moment, and the triggering call
 * then meets the exhausted pool like any other. Placed inside, the triggering call runs
 * normally and holds one slot of its own while the lease is taken.
 *
 * @example
 * ```ts
 * const pool = bulkhead({ maxConcurrent: 16, maxQueue: 0 });
 * const drain = exhaustion({ bulkhead: pool, permits: 16, holdFor: 5_000, rate: 0.05 });
 * ```
 */
export function exhaustion(options: ExhaustionOptions): ExhaustionPolicy {
  return new ExhaustionPolicy(options);
}

/** Options of {@link flapping}. */
export interface FlappingOptions extends FaultOptions {
  /** How long the fault is on (ms). Required. */
  readonly onDuration: number;
  /** How long the fault is off (ms). Required. */
  readonly offDuration: number;
  /** The fault to inject while on (any fault but another flapping). @defaultValue an error, see `error` */
  readonly fault?: FaultPolicy | undefined;
  /** The error to throw while on, when no `fault` is given. @defaultValue a `ChaosInjectedError` */
  readonly error?: FaultError | undefined;
  /** The phase the schedule starts in. @defaultValue `'on'` */
  readonly startWith?: 'on' | 'off' | undefined;
}

type FlapPrepared = { readonly inner: unknown } | { readonly error: unknown };

/** A fault that turns on and off on a schedule. See {@link flapping}. */
export class FlappingPolicy extends FaultPolicy<FlapPrepared> {
  readonly faultKind: FaultKind = 'flapping';
  private readonly onDuration: number;
  private readonly offDuration: number;
  private readonly inner: FaultPolicy | undefined;
  private readonly makeError: (ctx: ExecutionContext) => unknown;
  private readonly startOn: boolean;
  /** When the schedule started (the first call seen); `undefined` before. */
  private origin: number | undefined = undefined;

  /** @internal Use {@link flapping}. */
  constructor(options: FlappingOptions) {
    const o = validate<FlappingOptions>(
      'flapping',
      options,
      {
        onDuration: rules.required(rules.duration(0, { exclusiveMin: true })),
        offDuration: rules.required(rules.duration(0, { exclusiveMin: true })),
        fault: { expected: 'a fault policy other than flapping', check: (v) => v instanceof FaultPolicy && !(v instanceof FlappingPolicy) },
        error: errorRule,
        startWith: rules.oneOf(['on', 'off']),
      },
      (v, issues) => {
        if (v.fault !== undefined && v.error !== undefined) issues.push({ path: 'error', value: v.error, expected: 'absent when `fault` is given' });
      },
    );
    super('flapping', o);
    if (o.fault !== undefined && o.fault.clock !== this.clock) {
      throw new OptionsValidationError('flapping', [{ path: 'fault', value: o.fault.name, expected: 'a fault using the same clock' }]);
    }
    this.onDuration = o.onDuration;
    this.offDuration = o.offDuration;
    this.inner = o.fault;
    this.makeError = errorMaker(o.error, this.name);
    this.startOn = o.startWith !== 'off';
  }

  /** Whether the schedule is in its "on" phase right now (it starts at the first call seen while armed). */
  get isOn(): boolean {
    return this.phaseOn(this.clock.now());
  }

  /** Switches on and restarts the schedule at the next call. */
  override enable(): void {
    super.enable();
    this.origin = undefined;
  }

  private phaseOn(now: number): boolean {
    if (this.origin === undefined) return this.startOn;
    const t = (now - this.origin) % (this.onDuration + this.offDuration);
    return this.startOn ? t < this.onDuration : t >= this.offDuration;
  }

  /** @internal */
  prepare(ctx: ExecutionContext): FlapPrepared | Skip {
    const now = this.clock.now();
    if (this.origin === undefined) this.origin = now;
    if (!this.phaseOn(now)) return SKIP;
    if (this.inner !== undefined) {
      const p = this.inner.prepare(ctx);
      return p === SKIP ? SKIP : { inner: p };
    }
    return { error: markInjected(this.makeError(ctx), this.name) };
  }

  /** @internal */
  act(ctx: ExecutionContext, link: Link, done: Done, prepared: FlapPrepared, by: FaultPolicy): void {
    if ('inner' in prepared) (this.inner as FaultPolicy).act(ctx, link, done, prepared.inner, by);
    else {
      by.record(ctx, link);
      done({ ok: false, error: prepared.error });
    }
  }

  protected describeFault(): Record<string, unknown> {
    return {
      onDuration: this.onDuration,
      offDuration: this.offDuration,
      startWith: this.startOn ? 'on' : 'off',
      fault: this.inner !== undefined ? this.inner.describe() : 'error',
    };
  }
}

/**
 * A dependency that comes and goes: the fault is on for `onDuration` ms, off for
 * `offDuration` ms, and so on (on the policy's clock, from the first call seen while
 * armed). It wraps another fault (a latency, a hang…) or throws an error. This is the
 * fault that exercises a circuit breaker's half-open state: probes that sometimes
 * succeed and sometimes fail.
 *
 * @example
 * ```ts
 * const unstable = flapping({ onDuration: 10_000, offDuration: 20_000, fault: hang() });
 * ```
 */
export function flapping(options: FlappingOptions): FlappingPolicy {
  return new FlappingPolicy(options);
}

