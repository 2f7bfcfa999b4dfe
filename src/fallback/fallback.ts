/**
 * The tiered fallback policy.
 *
 * The success path costs one classification and one closure; with a `lastKnownGood` tier,
 * also one clock read and one map update to record the value.
 *
 * @packageDocumentation
 */
import { callFunction, continueChain, unwrap } from '../core/alone';
import { compileClassifier, Handling, type Classifier, type HandleOptions } from '../core/classify';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { FallbackExhaustedError, withoutStack } from '../core/errors';
import { isThenable, type Done, type Outcome } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { keepShape } from '../core/shapes';
import { isPlainObject, validateOptions } from '../core/validation';
import type { FallbackEvent } from './events';
import { isLastKnownGood, type LastKnownGood } from './last-known-good';
import { fallbackDefaults, fallbackSchema, type FallbackFunction, type FallbackOptions, type FallbackTier } from './options';

/**
 * Replaces a handled failure of the call with the first tier that succeeds. Build it with
 * {@link fallback}.
 *
 * - Unhandled failures (per `handle` / `handleResult`) and caller cancellation pass
 *   through untouched: no tier runs.
 * - Tiers run in order; a tier that throws (synchronously or not) lets the next one run.
 * - When a tier produced the result, `ctx.usedFallback` is `true` (metrics count it).
 * - When every tier failed, the call rejects with a `FallbackExhaustedError` whose
 *   `errors` are the call's failure followed by each tier's.
 *
 * @typeParam T - the value type the tiers produce.
 *
 * @example
 * ```ts
 * const matchmaking = fallback<Lobby>({ tiers: [(ctx) => backupRegion.findLobby(ctx.signal), soloLobby] });
 * const lobby = await matchmaking.execute((ctx) => primary.findLobby(ctx.signal));
 * ```
 */
export class FallbackPolicy<T = unknown> extends StrategyPolicy<FallbackEvent, T> {
  /** The tiers, in the order they are tried. */
  readonly tiers: readonly FallbackTier<T>[];
  private readonly classifier: Classifier;
  /** The `lastKnownGood` tiers, which record every success. */
  private readonly caches: readonly LastKnownGood[];

  /** @internal Use {@link fallback}. */
  constructor(options: FallbackOptions<T>) {
    super({ kind: 'fallback', name: options.name ?? fallbackDefaults.name, clock: options.clock ?? systemClock });
    this.tiers = [...options.tiers];
    this.classifier = compileClassifier(options as unknown as HandleOptions<never>);
    this.caches = [...new Set(this.tiers.filter(isLastKnownGood))];
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    link.next(ctx, (o) => {
      if (this.stands(ctx, o)) done(o);
      else new TierRun(this.tiers, this.name, ctx, link, done, o.ok ? o.value : o.error).step(0);
    });
  }

  /** @internal Alone and unheard: the function awaited in place, the tiers only on a failure (core/alone.ts). */
  protected override async runAlone(ctx: ExecutionContext, link: Link): Promise<unknown> {
    let o: Outcome;
    try {
      o = { ok: true, value: await callFunction(ctx) };
    } catch (error) {
      o = { ok: false, error };
    }
    if (!this.stands(ctx, o)) {
      const failure = o.ok ? o.value : o.error;
      o = await continueChain((done) => new TierRun(this.tiers, this.name, ctx, link, done, failure).step(0));
    }
    ctx.dispose();
    return unwrap(o);
  }

  /**
   * True when the function's outcome is the call's (a success, recorded by the
   * `lastKnownGood` tiers; or a failure the fallback does not handle); false when the tiers
   * must answer.
   */
  private stands(ctx: ExecutionContext, o: Outcome): boolean {
    const verdict = this.classifier.classify(o, ctx);
    if (verdict === Handling.Success) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: with no cache, record() loops over nothing; the check only saves a clock read
      if (this.caches.length > 0 && o.ok) this.record(ctx, o.value);
      return true;
    }
    return verdict === Handling.Ignored || ctx.cancelledByCaller;
  }

  private record(ctx: ExecutionContext, value: unknown): void {
    const now = ctx.clock.now();
    const caches = this.caches;
    for (let i = 0; i < caches.length; i++) (caches[i] as LastKnownGood).record(ctx, value, now);
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    return {
      tiers: this.tiers.map((t) =>
        isLastKnownGood(t)
          ? `lastKnownGood(maxAge ${t.maxAge})`
          : typeof t === 'function'
            ? `function ${t.name || '(anonymous)'}`
            : 'constant',
      ),
    };
  }
}

/** One walk through the tiers after a handled failure. */
class TierRun {
  private readonly errors: unknown[];
  /** Index of the tier whose asynchronous outcome is awaited; -1 when none. */
  // Stryker disable next-line UnaryOperator: awaiting is set to a tier's index before that tier's thenable can call back, so its first value is never compared
  private awaiting = -1;

  constructor(
    private readonly tiers: readonly unknown[],
    private readonly policy: string,
    private readonly ctx: ExecutionContext,
    private readonly link: Link,
    private readonly done: Done,
    private readonly failure: unknown,
  ) {
    this.errors = [failure];
  }

  /** Tries the tiers from index `i` on. */
  step(i: number): void {
    const { tiers, ctx, link } = this;
    for (; i < tiers.length; i++) {
      if (ctx.cancelledByCaller) {
        this.done({ ok: false, error: ctx.callerSignal?.reason });
        return;
      }
      // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
      if (link.listening) link.emit<FallbackEvent>(ctx, { type: 'fallback', tier: i, failure: this.errors[this.errors.length - 1] });
      const tier = tiers[i];
      if (isLastKnownGood(tier)) {
        const found = tier.lookup(ctx, ctx.clock.now());
        if (found.hit) return this.succeed(found.value);
        this.errors.push(found.error);
        continue;
      }
      if (typeof tier !== 'function') return this.succeed(tier);
      let thenCalled = false;
      try {
        const result = (tier as FallbackFunction<unknown>)(ctx, this.failure);
        if (!isThenable(result)) return this.succeed(result);
        this.awaiting = i;
        thenCalled = true;
        result.then(
          (value) => this.settled(i, { ok: true, value }),
          (error: unknown) => this.settled(i, { ok: false, error }),
        );
        return;
      } catch (error) {
        if (thenCalled) {
          // The thenable's `then` threw: the tier's failure, unless it settled already.
          this.settled(i, { ok: false, error });
          return;
        }
        this.errors.push(error);
      }
    }
    const errors = this.errors;
    // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
    if (link.listening) link.emit<FallbackEvent>(ctx, { type: 'exhausted', errors: [...errors] });
    this.done({ ok: false, error: withoutStack(() => new FallbackExhaustedError(errors, this.policy)) });
  }

  private settled(i: number, o: Outcome): void {
    if (this.awaiting !== i) return; // a thenable that settled twice
    this.awaiting = -1;
    if (o.ok) this.succeed(o.value);
    else {
      this.errors.push(o.error);
      this.step(i + 1);
    }
  }

  private succeed(value: unknown): void {
    this.ctx.usedFallback = true;
    this.done({ ok: true, value });
  }
}

// Its map outlives a full GC between two outages (see core/shapes.ts).
keepShape(new TierRun([], '', undefined as unknown as ExecutionContext, undefined as unknown as Link, undefined as unknown as Done, undefined));

/**
 * The value type of tiers inferred from a list: `lastKnownGood` caches replay the call's own
 * values, so they bind nothing (a list of caches alone gives `unknown`); literals widen
 * (`tiers: ['stale']` serves a `string`).
 */
export type TierValue<T> = [Exclude<T, LastKnownGood>] extends [never] ? unknown : Widened<Exclude<T, LastKnownGood>>;

/** A constant tier's type with its literal widened: `fallback('stale')` serves a `string`. */
export type Widened<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends bigint
        ? bigint
        : T;

/**
 * Creates a {@link FallbackPolicy}.
 *
 * - `fallback({ tiers, handle, handleResult, name, clock })`: after a handled failure,
 *   try each tier in order until one succeeds. A tier is a function
 *   `(ctx, failure) => value | Promise<value>`, a {@link lastKnownGood} cache, or a
 *   constant.
 * - `fallback(tier)`: shorthand for one tier that is a function, a `lastKnownGood` cache,
 *   a primitive or an array (a plain object is read as options; give a constant object as
 *   `{ tiers: [obj] }`).
 *
 * @typeParam T - the value type the tiers produce: give the protected call's value type,
 *   e.g. `fallback<Receipt>({ … })`, so the tiers are checked against it. The type then
 *   binds every call: `execute()` on the fallback, or on any pipeline that contains it,
 *   accepts only functions that produce a `T` and resolves a `T`. Constant tiers widen
 *   (`fallback('stale')` is a `FallbackPolicy<string>`); to serve `null` for a `Profile`
 *   call, say so: `fallback<Profile | null>({ tiers: [null] })`. `lastKnownGood` tiers
 *   alone bind nothing.
 * @throws OptionsValidationError when an option is invalid.
 *
 * @example
 * ```ts
 * const payments = fallback<Receipt>({
 *   tiers: [(ctx) => backupGateway.charge(order, { signal: ctx.signal }), { id: 'pending', queued: true }],
 *   handle: (e) => !isCardDeclined(e),
 * });
 * const emptyList = fallback<string[]>([]);
 * ```
 */
export function fallback<T = unknown>(options: FallbackOptions<T>): FallbackPolicy<TierValue<T>>;
export function fallback<T = unknown>(tier: FallbackFunction<T> | LastKnownGood): FallbackPolicy<T>;
export function fallback<T extends string | number | boolean | bigint | symbol | null | undefined | readonly unknown[]>(
  value: T,
): FallbackPolicy<Widened<T>>;
export function fallback<T>(arg: unknown): FallbackPolicy<T> {
  const input = isPlainObject(arg) && !isLastKnownGood(arg) ? arg : { tiers: [arg] };
  return new FallbackPolicy<T>(validateOptions<FallbackOptions<T>>('fallback', input, fallbackSchema));
}
