/**
 * Faults that act on one call: errors, latency, fake outcomes, side effects and hangs.
 * Place them innermost in a pipeline, so the real policies act on the faults.
 *
 * @packageDocumentation
 */
import type { ExecutionContext } from '../core/context';
import { isThenable, type Done } from '../core/outcome';
import type { Link } from '../core/policy';
import { rules, type Rule } from '../core/validation';
import { waitFor } from '../core/wait';
import { isLatencyDistribution, type LatencyDistribution } from './distributions';
import type { FaultKind } from './events';
import { FaultPolicy, SKIP, errorMaker, errorRule, markInjected, validateFault as validate, type FaultError, type Skip } from './fault-policy';
import type { FaultOptions } from './options';
import { reportInternalError } from '../core/report';

export type { FaultError };

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

/** @internal A latency option: a number of ms or a distribution. */
export const latencyRule: Rule = {
  expected: 'a delay in ms ≥ 0 or a latency distribution',
  check: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0) || isLatencyDistribution(v),
};

/** @internal Draws a delay; `SKIP` when the distribution misbehaves. */
/** @internal Draws one delay, or {@link SKIP} when drawing failed (the fault then stays out of the call). */
export function drawDelay(latency: number | LatencyDistribution, fault: FaultPolicy): number | Skip {
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
    } catch (error) {
      reportInternalError(error, `behaviorInjection "${by.name}" behavior`);
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

