/**
 * The execution context: one object per `execute()` call, shared by every policy of the
 * pipeline and handed to the user's function.
 *
 * @packageDocumentation
 */
import type { CallObserver } from './call-observer';
import type { Clock } from './clock';
import type { Outcome } from './outcome';
import { CancellationScope } from './cancellation-scope';
import { keepShape } from './shapes';

/** String labels of a call, used by chaos targeting and metrics (e.g. `{ region: 'eu', tenant: 't1' }`). */
export type Labels = Readonly<Record<string, string>>;

/** @internal Frozen empty labels shared by every call that has none. */
export const EMPTY_LABELS: Labels = Object.freeze({});

/** Options of one `execute()` call. */
export interface ExecuteOptions {
  /** The caller's signal: aborting it cancels the call. Caller cancellation is never counted as a failure. */
  readonly signal?: AbortSignal | undefined;
  /**
   * A key naming the operation, e.g. `payment.charge`; used by chaos targeting, metrics and
   * `lastKnownGood`.
   * @defaultValue the pipeline's `operation` option, else `'default'`
   */
  readonly operation?: string | undefined;
  /** Labels of this call (tenant, region…). @defaultValue `{}` */
  readonly labels?: Labels | undefined;
  /** Initial per-call property bag, readable and writable by policies and the function. */
  readonly properties?: Record<string, unknown> | undefined;
  /**
   * An absolute deadline on the pipeline's clock (ms), e.g. propagated from an upstream
   * request. Timeouts inside never outlive it. @defaultValue `Infinity`
   */
  readonly deadline?: number | undefined;
  /**
   * Abort every signal the call handed out (`ctx.signal` of each attempt) as soon as the
   * call settles, with an `AbortError` `DOMException` as reason: work the function started
   * and left running (a request raced and lost, a poll loop) stops when the caller has its
   * answer. Off by default because a value the call returns may still be reading through
   * its signal: a `fetch` `Response` whose body is read after `execute()` resolves fails
   * with an `AbortError` if the signal aborts on settle. Work abandoned by an aggressive
   * timeout or by the caller is aborted either way.
   * @defaultValue the pipeline's `abortOnSettle`, else `false`
   *
   * @example
   * ```ts
   * // Polls until the call settles, then stops by itself.
   * await policy.execute(async (ctx) => {
   *   while (!ctx.signal.aborted) await refreshOnce(ctx.signal);
   * }, { abortOnSettle: true });
   * ```
   */
  readonly abortOnSettle?: boolean | undefined;
}

/**
 * What a policy and the user's function know about the call in progress.
 *
 * A context is a stable view: the `ctx` an attempt received keeps that attempt's
 * `attempt`, `signal` and `deadline` for ever. A retry hands each new attempt a new view
 * and a timeout hands the work inside it a view with its own signal and deadline, so work
 * abandoned by an aggressive timeout, or an earlier attempt still running, reads its own
 * (aborted) signal and its own attempt number, never the next attempt's. What belongs to
 * the whole call is shared by every view of it: `operation`, `labels`, `properties`.
 *
 * @example
 * ```ts
 * await policy.execute(async (ctx) => {
 *   const res = await fetch(url, { signal: ctx.signal });
 *   console.log(`attempt ${ctx.attempt}, ${ctx.remaining()} ms left`);
 *   return res.json();
 * }, { operation: 'profile.load', labels: { region: 'eu' } });
 * ```
 */
export class ExecutionContext {
  /** 1-based number of the attempt this view belongs to (set by `retry`). @defaultValue 1 */
  readonly attempt: number;
  /**
   * Absolute deadline of this view on the pipeline's clock, `Infinity` when none. Inside a
   * timeout it is the timeout's deadline (never later than an enclosing one).
   */
  readonly deadline: number;
  /** The operation key. */
  readonly operation: string;
  /** The call's labels. */
  readonly labels: Labels;
  /** The clock every policy of this call uses. */
  readonly clock: Clock;
  /** @internal The caller's signal. */
  readonly callerSignal: AbortSignal | undefined;
  /** @internal The pipeline executing this call (for event attribution). */
  readonly pipelineName: string | undefined;
  /** @internal The first view of the call: it holds what every view of the call shares. */
  readonly call: ExecutionContext;
  /** @internal This view's innermost cancellation scope; `undefined` means the call's root scope. */
  private readonly current: CancellationScope | undefined;
  /**
   * Shared state that most calls never need (a root scope, properties, flags, the attempt
   * count past the first): on `call` only, made on first write. Keeping it out of every
   * view keeps the context that each call allocates small.
   */
  private extra: CallExtra | undefined = undefined;
  /** @internal The function the pipeline runs (on the call's first view). */
  fn: ((ctx: ExecutionContext) => unknown) | undefined = undefined;
  /** @internal Settles the caller's promise directly (once); used only to contain strategy bugs. */
  finish: ((outcome: Outcome) => void) | undefined = undefined;

  /** @internal Use `policy.execute()`; contexts are created by the library. */
  constructor(
    clock: Clock,
    options: ExecuteOptions | undefined,
    defaultOperation: string,
    pipelineName: string | undefined,
    parent?: ExecutionContext,
    attempt?: number,
    deadline?: number,
    scope?: CancellationScope,
  ) {
    this.clock = clock;
    this.pipelineName = pipelineName;
    if (parent === undefined) {
      this.call = this;
      this.callerSignal = options?.signal;
      this.operation = options?.operation ?? defaultOperation;
      this.labels = options?.labels ?? EMPTY_LABELS;
      this.deadline = options?.deadline ?? Number.POSITIVE_INFINITY;
      const props = options?.properties;
      if (props !== undefined) this.more().props = props;
      this.attempt = 1;
      this.current = undefined;
    } else {
      this.call = parent.call;
      this.callerSignal = parent.callerSignal;
      this.operation = parent.operation;
      this.labels = parent.labels;
      this.deadline = deadline as number;
      this.attempt = attempt as number;
      this.current = scope;
    }
  }

  /**
   * @internal A new view of this call for attempt `attempt` (retry): same scope and
   * deadline, its own attempt number. Records the attempt count of the call.
   */
  forAttempt(attempt: number): ExecutionContext {
    const call = this.call;
    if (attempt !== 1 || call.extra !== undefined) call.more().attempts = attempt;
    return new ExecutionContext(this.clock, undefined, '', this.pipelineName, this, attempt, this.deadline, this.current);
  }

  /**
   * @internal A new view of this call inside a child cancellation scope (a timeout opens
   * one for the work it bounds) with the deadline `deadline`. Signals read and waits started
   * through the view abort when the scope aborts or when any outer scope does; the caller
   * closes the scope with `scope.dispose()` when the bounded work is over.
   */
  withScope(deadline: number): ExecutionContext {
    // Without an open scope yet, the child follows the caller's signal itself: no root scope
    // is allocated for calls that never need one.
    const parent = this.current ?? this.call.extra?.root;
    const scope = new CancellationScope(parent, parent === undefined ? this.callerSignal : undefined, this.call);
    return new ExecutionContext(this.clock, undefined, '', this.pipelineName, this, this.attempt, deadline, scope);
  }

  /**
   * @internal A timeout that runs a call alone bounds the call's first view itself, before
   * the function receives it (instead of opening an inner view): sets its deadline.
   */
  narrowDeadline(deadline: number): void {
    (this as { deadline: number }).deadline = deadline;
  }

  /** @internal The number of attempts the call has made so far (for the `executed` event). */
  get attemptCount(): number {
    return this.call.extra?.attempts ?? 1;
  }

  /** @internal The root scope, following the caller's signal (created on first use). */
  get rootScope(): CancellationScope {
    const call = this.call;
    const extra = call.more();
    return (extra.root ??= new CancellationScope(undefined, this.callerSignal, call));
  }

  /** @internal This view's innermost cancellation scope (the root scope created on first use). */
  get scope(): CancellationScope {
    return this.current ?? this.rootScope;
  }

  /**
   * @internal True when this view's scope (an enclosing timeout) or the caller has
   * aborted. Creates nothing: use it for entry checks on hot paths.
   */
  get aborted(): boolean {
    const scope = this.current ?? this.call.extra?.root;
    return scope !== undefined ? scope.aborted : this.callerSignal?.aborted === true;
  }

  /**
   * @internal True when something can abort this view: the caller passed a signal, or an
   * enclosing timeout opened a scope. Waits that are not abortable need no subscription.
   */
  get abortable(): boolean {
    return this.callerSignal !== undefined || this.current !== undefined;
  }

  /**
   * @internal Ends the call (on its first view): releases its subscriptions to the caller's
   * signal and, with `abortOnSettle`, aborts every signal the call handed out.
   */
  dispose(): void {
    // Most calls hand out no signal and open no root scope: nothing to release.
    if (this.extra !== undefined) this.release(this.extra);
  }

  private release(extra: CallExtra): void {
    const signals = extra.signals;
    if (signals !== undefined) {
      extra.signals = undefined;
      const reason = settledReason();
      for (let i = 0; i < signals.length; i++) (signals[i] as CancellationScope).abort(reason);
    }
    extra.root?.dispose();
  }

  /** @internal Called by a scope of this call when it hands out a signal. */
  signalCreated(scope: CancellationScope): void {
    const extra = this.extra;
    if (extra !== undefined && extra.abortOnSettle) (extra.signals ??= []).push(scope);
  }

  /** @internal Whether the call's signals abort when the call settles (on the call's first view). */
  get abortOnSettle(): boolean {
    return this.call.extra?.abortOnSettle === true;
  }
  /** @internal */
  set abortOnSettle(value: boolean) {
    const call = this.call;
    if (value || call.extra !== undefined) call.more().abortOnSettle = value;
  }

  /** The call's rarely needed state, made on first use (on the call's first view). */
  private more(): CallExtra {
    return (this.extra ??= new CallExtra());
  }

  /**
   * An `AbortSignal` that aborts when the caller aborts or an enclosing timeout expires.
   * Created on first read: calls that never read it pay nothing for it. It belongs to this
   * view: read after an aggressive timeout gave up on the work, it is aborted.
   */
  get signal(): AbortSignal {
    return this.scope.signal;
  }

  /** Milliseconds left before the deadline (`Infinity` when there is none, never below 0). */
  remaining(): number {
    if (this.deadline === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.deadline - this.clock.now());
  }

  /** A per-call bag of values, shared by policies, attempts and the function. Created on first read. */
  get properties(): Record<string, unknown> {
    const call = this.call;
    return (call.more().props ??= {});
  }

  /**
   * @internal The call's observer: see `core/call-observer.ts`. Kept with the call's rarely
   * needed state (most calls are not observed), so it costs the context no field.
   */
  get observer(): CallObserver | undefined {
    return this.call.extra?.observer;
  }
  /** @internal */
  set observer(value: CallObserver | undefined) {
    const call = this.call;
    if (value !== undefined || call.extra !== undefined) call.more().observer = value;
  }

  /** @internal True when a fallback tier produced the call's result. */
  get usedFallback(): boolean {
    return this.call.extra?.fallbackUsed === true;
  }
  /** @internal Set by the fallback strategy (on the whole call). */
  set usedFallback(value: boolean) {
    const call = this.call;
    if (value || call.extra !== undefined) call.more().fallbackUsed = value;
  }

  /** @internal True when a chaos strategy injected a fault into this call. */
  get injected(): boolean {
    return this.call.extra?.faultInjected === true;
  }
  /** @internal Set by chaos strategies (on the whole call). */
  set injected(value: boolean) {
    const call = this.call;
    if (value || call.extra !== undefined) call.more().faultInjected = value;
  }

  /** True when the caller's own signal has aborted (as opposed to a timeout). */
  get cancelledByCaller(): boolean {
    return this.callerSignal?.aborted === true;
  }
}

/** What a call needs beyond its views only sometimes (see `ExecutionContext.extra`). */
class CallExtra {
  root: CancellationScope | undefined = undefined;
  props: Record<string, unknown> | undefined = undefined;
  signals: CancellationScope[] | undefined = undefined;
  attempts = 1;
  fallbackUsed = false;
  faultInjected = false;
  abortOnSettle = false;
  observer: CallObserver | undefined = undefined;
}

// Their maps outlive a full GC between calls (see core/shapes.ts).
keepShape(new CallExtra());
keepShape(new ExecutionContext({ now: () => 0.5, setTimeout: () => undefined, clearTimeout: () => undefined }, undefined, '', undefined));

/** The reason the signals of a call carry when they abort because the call settled (`abortOnSettle`). */
function settledReason(): unknown {
  const D = (globalThis as { DOMException?: new (message: string, name: string) => unknown }).DOMException;
  return D !== undefined ? new D('The call has settled', 'AbortError') : new Error('The call has settled');
}

/**
 * Where {@link currentContext} is kept: a small holder object, replaced by a fresh one every
 * {@link HOLDER_TURNS} outermost calls. Setting it is a store of the call's new (young)
 * context on every call: into a module variable (which lives in V8's old generation) each
 * such store takes the generational write barrier's slow path (about 50 instructions, 3 % of
 * a lone policy's call); into an object that is itself still young it takes none. A holder
 * lives a few hundred calls, far fewer than survive a young-generation collection, so it is
 * nearly always young; when it is not, the store only costs the barrier again.
 */
let holder: { current: ExecutionContext | undefined } = { current: undefined };
/** Outermost calls that have ended since the holder was last replaced. */
let holderTurns = 0;
const HOLDER_TURNS = 256;

/**
 * The context of the call whose function is starting right now, or `undefined`.
 *
 * It is set only during the synchronous start of the function a policy runs (up to its
 * first `await`), which is what wrapped functions and decorated methods need to reach
 * the signal or the attempt number without an extra parameter. Read it first thing.
 *
 * @example
 * ```ts
 * const load = policy.wrap(async (id: string) => {
 *   const ctx = currentContext();
 *   return fetch(`/users/${id}`, { signal: ctx?.signal });
 * });
 * ```
 */
export function currentContext(): ExecutionContext | undefined {
  return holder.current;
}

/** @internal Runs `fn(ctx)` with {@link currentContext} set. */
export function callWithContext(ctx: ExecutionContext, fn: (ctx: ExecutionContext) => unknown): unknown {
  const h = holder;
  const previous = h.current;
  h.current = ctx;
  try {
    return fn(ctx);
  } finally {
    // `holder` is still `h`: it is replaced only here, when an outermost call ends.
    h.current = previous;
    if (previous === undefined && ++holderTurns === HOLDER_TURNS) {
      holderTurns = 0;
      holder = { current: undefined };
    }
  }
}
