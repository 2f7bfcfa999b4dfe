/**
 * @internal Cancellation scopes: the root scope of a call follows the caller's signal, each
 * timeout opens a child scope. Nothing is allocated or subscribed until someone reads a
 * signal or subscribes.
 *
 * @packageDocumentation
 */
import { keepShape } from './shapes';

type AbortListener = (reason: unknown) => void;

/**
 * @internal A cancellation scope: the root scope of a call follows the caller's signal,
 * each timeout opens a child scope that it aborts on expiry. Nothing is allocated or
 * subscribed until someone reads a signal or subscribes.
 */
export class CancellationScope {
  // Fields are declared (`declare`, no initializer) and set in the constructor: class-field
  // initializers make V8 call a separate initializer function on every `new`, which it did
  // not inline here (about 90 instructions a call through a pipeline with a timeout).
  declare private abortedFlag: boolean;
  declare private abortReason: unknown;
  declare private controller: AbortController | undefined;
  declare private listeners: AbortListener[] | undefined;
  declare private linked: boolean;
  declare private closed: boolean;
  declare private unlinkParent: (() => void) | undefined;
  declare private following: boolean;

  declare readonly parent: CancellationScope | undefined;
  declare private readonly external: AbortSignal | undefined;
  declare private readonly owner: { signalCreated(scope: CancellationScope): void } | undefined;

  constructor(parent: CancellationScope | undefined, external: AbortSignal | undefined, owner?: { signalCreated(scope: CancellationScope): void }) {
    this.parent = parent;
    this.external = external;
    this.owner = owner;
    this.abortedFlag = false;
    this.abortReason = undefined;
    this.controller = undefined;
    this.listeners = undefined;
    this.linked = false;
    this.closed = false;
    this.unlinkParent = undefined;
    // Stryker disable next-line BooleanLiteral: equivalent — unlinking a scope that follows no signal calls unfollow(), which finds it in no follower set and returns
    this.following = false;
  }

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
      else {
        this.link();
        this.owner?.signalCreated(this);
      }
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
    // An aborted scope hears nothing more from above: linking it would only leave a dead
    // subscription (up to the caller's signal) until it is disposed.
    if (this.linked || this.closed || this.abortedFlag) return;
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
      // Stryker disable next-line BooleanLiteral: equivalent — a second unlink would call unfollow() for a scope already out of the signal's follower set, which returns
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

// Its map outlives a full GC between calls (see core/shapes.ts).
keepShape(new CancellationScope(undefined, undefined));
