/**
 * The execution context: one object per `execute()` call, shared by every policy of the
 * pipeline and handed to the user's function.
 *
 * @packageDocumentation
 */
import type { Clock } from './clock';
import type { Outcome } from './outcome';

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
}

type AbortListener = (reason: unknown) => void;

/**
 * @internal A cancellation scope: the root scope of a call follows the caller's signal,
 * each timeout opens a child scope that it aborts on expiry. Nothing is allocated or
 * subscribed until someone reads a signal or subscribes.
 */
export class CancellationScope {
  private abortedFlag = false;
  private abortReason: unknown = undefined;
  private controller: AbortController | undefined = undefined;
  private listeners: AbortListener[] | undefined = undefined;
  private linked = false;
  private closed = false;
  private unlinkParent: (() => void) | undefined = undefined;
  private following = false;

  constructor(
    readonly parent: CancellationScope | undefined,
    private readonly external: AbortSignal | undefined,
  ) {}

  /**
   * True when this scope, an enclosing one, or the caller's signal has aborted. Reading it
   * subscribes to nothing.
   */
  get aborted(): boolean {
    if (this.abortedFlag) return true;
    if (this.parent !== undefined) return this.parent.aborted;
    return this.external?.aborted === true;
  }

  /** The abort reason, when {@link CancellationScope.aborted}. */
  get reason(): unknown {
    if (this.abortedFlag) return this.abortReason;
    if (this.parent !== undefined) return this.parent.reason;
    return this.external?.aborted === true ? this.external.reason : undefined;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
      else this.link();
    }
    return this.controller.signal;
  }

  /**
   * Calls `listener` once when this scope aborts. Returns an unsubscribe function. If the
   * scope is already aborted, the listener is never called: check `aborted` after
   * subscribing.
   */
  subscribe(listener: AbortListener): () => void {
    this.link();
    if (this.abortedFlag) return noop;
    (this.listeners ??= []).push(listener);
    return () => {
      const ls = this.listeners;
      if (ls === undefined) return;
      const i = ls.indexOf(listener);
      if (i >= 0) ls.splice(i, 1);
    };
  }

  abort(reason: unknown): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    this.abortReason = reason;
    this.unlink();
    this.controller?.abort(reason);
    const ls = this.listeners;
    this.listeners = undefined;
    if (ls !== undefined) {
      for (const l of ls) {
        try {
          l(reason);
        } catch {
          // Internal listeners settle calls; one failing must not stop the others.
        }
      }
    }
  }

  /** Drops every subscription made upward (to the parent scope or the caller's signal). */
  dispose(): void {
    this.closed = true;
    this.unlink();
    this.listeners = undefined;
  }

  private link(): void {
    if (this.linked || this.closed) return;
    this.linked = true;
    const parent = this.parent;
    if (parent !== undefined) {
      if (parent.aborted) this.abort(parent.reason);
      else this.unlinkParent = parent.subscribe((r) => this.abort(r));
      return;
    }
    const ext = this.external;
    if (ext === undefined) return;
    if (ext.aborted) {
      this.abort(ext.reason);
      return;
    }
    this.following = true;
    follow(ext, this);
  }

  private unlink(): void {
    if (this.unlinkParent !== undefined) {
      this.unlinkParent();
      this.unlinkParent = undefined;
    }
    if (this.following) {
      this.following = false;
      unfollow(this.external as AbortSignal, this);
    }
  }
}

function noop(): void {}

/**
 * One `abort` listener per caller signal, shared by every scope that follows it: thousands
 * of calls waiting under one shutdown signal cost one listener, and leaving is O(1).
 */
interface SignalFollowers {
  readonly scopes: Set<CancellationScope>;
  readonly handler: () => void;
}
const followersOf = new WeakMap<AbortSignal, SignalFollowers>();

function follow(signal: AbortSignal, scope: CancellationScope): void {
  let f = followersOf.get(signal);
  if (f === undefined) {
    const scopes = new Set<CancellationScope>();
    const handler = (): void => {
      followersOf.delete(signal);
      for (const s of scopes) s.abort(signal.reason);
      scopes.clear();
    };
    f = { scopes, handler };
    followersOf.set(signal, f);
    signal.addEventListener('abort', handler, { once: true });
  }
  f.scopes.add(scope);
}

function unfollow(signal: AbortSignal, scope: CancellationScope): void {
  const f = followersOf.get(signal);
  if (f === undefined || !f.scopes.delete(scope) || f.scopes.size > 0) return;
  followersOf.delete(signal);
  signal.removeEventListener('abort', f.handler);
}

/**
 * What a policy and the user's function know about the call in progress.
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
  /** 1-based attempt number, set by `retry` for each attempt. @defaultValue 1 */
  attempt = 1;
  /**
   * Absolute deadline on the pipeline's clock, `Infinity` when none. Timeouts lower it for
   * the duration of their scope and restore it after.
   */
  deadline: number;
  /** The operation key. */
  readonly operation: string;
  /** The call's labels. */
  readonly labels: Labels;
  /** The clock every policy of this call uses. */
  readonly clock: Clock;
  /** @internal The caller's signal. */
  readonly callerSignal: AbortSignal | undefined;
  private current: CancellationScope | undefined = undefined;
  private root: CancellationScope | undefined = undefined;
  /** @internal The function the pipeline runs. */
  fn: ((ctx: ExecutionContext) => unknown) | undefined = undefined;
  /** @internal The pipeline executing this call (for event attribution). */
  pipelineName: string | undefined;
  /** @internal Set by a fallback strategy when a tier produced the call's result. */
  usedFallback = false;
  /** @internal Set by chaos strategies when they injected a fault into this call. */
  injected = false;
  /** @internal Settles the caller's promise directly (once); used only to contain strategy bugs. */
  finish: ((outcome: Outcome) => void) | undefined = undefined;
  private props: Record<string, unknown> | undefined;

  /** @internal Use `policy.execute()`; contexts are created by the library. */
  constructor(clock: Clock, options: ExecuteOptions | undefined, defaultOperation: string, pipelineName: string | undefined) {
    this.clock = clock;
    this.callerSignal = options?.signal;
    this.operation = options?.operation ?? defaultOperation;
    this.labels = options?.labels ?? EMPTY_LABELS;
    this.deadline = options?.deadline ?? Number.POSITIVE_INFINITY;
    this.props = options?.properties;
    this.pipelineName = pipelineName;

  }

  /** @internal The root scope, following the caller's signal (created on first use). */
  get rootScope(): CancellationScope {
    return (this.root ??= new CancellationScope(undefined, this.callerSignal));
  }

  /** @internal The innermost cancellation scope (created on first use). */
  get scope(): CancellationScope {
    return this.current ?? this.rootScope;
  }

  /**
   * @internal True when the current scope (an enclosing timeout) or the caller has aborted.
   * Creates nothing: use it for entry checks on hot paths.
   */
  get aborted(): boolean {
    const scope = this.current ?? this.root;
    return scope !== undefined ? scope.aborted : this.callerSignal?.aborted === true;
  }

  /**
   * @internal True when something can abort this call: the caller passed a signal, or an
   * enclosing timeout opened a scope. Waits that are not abortable need no subscription.
   */
  get abortable(): boolean {
    return this.callerSignal !== undefined || this.current !== undefined;
  }

  /** @internal Releases the call's subscriptions to the caller's signal, if any were made. */
  dispose(): void {
    this.root?.dispose();
  }

  /**
   * An `AbortSignal` that aborts when the caller aborts or an enclosing timeout expires.
   * Created on first read: calls that never read it pay nothing for it.
   */
  get signal(): AbortSignal {
    return this.scope.signal;
  }

  /** Milliseconds left before the deadline (`Infinity` when there is none, never below 0). */
  remaining(): number {
    if (this.deadline === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.deadline - this.clock.now());
  }

  /** A per-call bag of values, shared by policies and the function. Created on first read. */
  get properties(): Record<string, unknown> {
    return (this.props ??= {});
  }

  /**
   * @internal Opens a child cancellation scope (a timeout does, for its duration): signals
   * read and waits started inside it abort when it aborts or when any outer scope does.
   */
  enterScope(): CancellationScope {
    // Without an open scope yet, the child follows the caller's signal itself: no root scope
    // is allocated for calls that never need one.
    const parent = this.current ?? this.root;
    const scope = new CancellationScope(parent, parent === undefined ? this.callerSignal : undefined);
    this.current = scope;
    return scope;
  }

  /** @internal Closes `scope` (opened by {@link ExecutionContext.enterScope}) and makes its parent current again. */
  exitScope(scope: CancellationScope): void {
    scope.dispose();
    for (let s: CancellationScope | undefined = this.current; s !== undefined; s = s.parent) {
      if (s === scope) {
        this.current = scope.parent === this.root ? undefined : scope.parent;
        return;
      }
    }
  }

  /** True when the caller's own signal has aborted (as opposed to a timeout). */
  get cancelledByCaller(): boolean {
    return this.callerSignal?.aborted === true;
  }
}

let current: ExecutionContext | undefined;

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
  return current;
}

/** @internal Runs `fn(ctx)` with {@link currentContext} set. */
export function callWithContext(ctx: ExecutionContext, fn: (ctx: ExecutionContext) => unknown): unknown {
  const previous = current;
  current = ctx;
  try {
    return fn(ctx);
  } finally {
    current = previous;
  }
}
