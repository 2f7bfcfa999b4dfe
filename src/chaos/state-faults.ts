/**
 * Faults with state across calls: an exhausted bulkhead (permits held) and a flapping
 * dependency (failing on a schedule). Place them innermost in a pipeline.
 *
 * @packageDocumentation
 */
import { unrefTimer } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { OptionsValidationError } from '../core/errors';
import type { Done } from '../core/outcome';
import type { Link } from '../core/policy';
import { rules } from '../core/validation';
import type { FaultKind } from './events';
import { drawDelay, latencyRule } from './call-faults';
import type { LatencyDistribution } from './distributions';
import { FaultPolicy, SKIP, errorMaker, errorRule, markInjected, validateFault as validate, type FaultError, type Skip } from './fault-policy';
import type { FaultOptions } from './options';
import { reportInternalError } from '../core/report';

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
      } catch (error) {
        reportInternalError(error, `exhaustion "${this.name}" releasing the bulkhead's slots`);
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

