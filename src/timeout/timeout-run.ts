/**
 * One call inside a timeout, as one object: its timer entry (the timer service's object
 * protocol, `TimerTask`: no closure and no separate entry per call) and its state.
 *
 * - {@link ChainRun}: in a chain, the work runs in an inner view of the context with its own
 *   child scope, and the outcome goes on to the next strategy's continuation.
 * - {@link AloneRun}: a timeout executed on its own, with nobody listening (core/alone.ts):
 *   the call's own context is the view, and the run settles the caller's promise itself.
 *
 * Both follow the same rules: the first of the work's outcome and the deadline wins, once;
 * at the deadline the view's scope aborts with the `TimeoutError` and, for an aggressive
 * timeout, the call rejects at once; a cooperative one waits for the work and reports a
 * failure it ends with as a `TimeoutError` whose cause is that failure.
 *
 * @packageDocumentation
 */
import { callFunction } from '../core/alone';
import type { CancellationScope } from '../core/cancellation-scope';
import type { ExecutionContext } from '../core/context';
import { TimeoutError, withoutStack } from '../core/errors';
import { isThenable, type Done, type Outcome } from '../core/outcome';
import type { Link } from '../core/policy';
import { reportInternalError } from '../core/report';
import { keepShape } from '../core/shapes';
import { TimerTask } from '../core/timer-service';
import type { TimeoutEvent } from './events';
import type { TimeoutPolicy } from './timeout';

/** @internal A `TimeoutError` for `duration`, without a stack (cheap), with `cause` when given. */
export function timeoutError(duration: number, cause?: unknown): TimeoutError {
  return withoutStack(() => (cause === undefined ? new TimeoutError(duration) : new TimeoutError(duration, { cause })));
}

const RUNNING = 0;
/** Cooperative only: the deadline passed, the work has not ended yet. */
const EXPIRED = 1;
const SETTLED = 2;

/** @internal What both runs share: the state machine. */
abstract class TimeoutRun extends TimerTask {
  private state = RUNNING;
  /** The error the scope was aborted with at the deadline. */
  private reason: TimeoutError | undefined = undefined;

  constructor(
    /** The timeout's link: its strategy is the policy, it hears the policy's events. */
    protected readonly link: Link,
    /** The context the call entered the timeout with. */
    protected readonly ctx: ExecutionContext,
    /**
     * The time the work was given: `min(duration, enclosing deadline − entry time)` (the
     * `timeout` event's `effective`). Usually the duration itself, a small integer: the
     * anchor below makes this field tagged (not a double field), so that costs no box.
     */
    private readonly effective: number,
  ) {
    super();
  }

  /** The scope the deadline aborts. */
  protected abstract scope(): CancellationScope;
  /** Ends the bounded work (after the outcome is decided, before it is handed on). */
  protected abstract close(): void;
  /** Hands the outcome on. */
  protected abstract finish(o: Outcome): void;

  /** The deadline passed. */
  fire(): void {
    // Stryker disable next-line ConditionalExpression: the entry is cancelled when the call settles and fires once, so state is RUNNING here
    if (this.state !== RUNNING) return;
    this.state = EXPIRED;
    const policy = this.link.strategy as TimeoutPolicy;
    const duration = policy.duration;
    const error = (this.reason = timeoutError(duration));
    const link = this.link;
    // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
    if (link.listening) link.emit<TimeoutEvent>(this.ctx, { type: 'timeout', duration, effective: this.effective });
    const scope = this.scope();
    if (policy.strategy !== 'cooperative') {
      this.state = SETTLED;
      scope.abort(error); // may settle inner waits synchronously: they find the run settled and are dropped
      this.close();
      this.finish({ ok: false, error });
      return;
    }
    scope.abort(error); // cooperative: the work settles the call (possibly right now)
  }

  /** The outcome of the work. */
  settle(o: Outcome): void {
    const state = this.state;
    if (state === SETTLED) return;
    this.state = SETTLED;
    // Stryker disable next-line ConditionalExpression: cancelling a timer entry that already fired does nothing
    if (state === RUNNING) this.cancel();
    this.close();
    if (state === EXPIRED && !o.ok && o.error !== this.reason) {
      this.finish({ ok: false, error: timeoutError((this.link.strategy as TimeoutPolicy).duration, o.error) });
    } else this.finish(o);
  }
}

/** @internal A timeout's call in a chain: the inner view's `scope` and the continuation `done`. */
export class ChainRun extends TimeoutRun {
  constructor(
    link: Link,
    ctx: ExecutionContext,
    effective: number,
    private readonly inner: CancellationScope,
    private readonly done: Done,
  ) {
    super(link, ctx, effective);
  }

  protected scope(): CancellationScope {
    return this.inner;
  }

  protected close(): void {
    this.inner.dispose();
  }

  protected finish(o: Outcome): void {
    this.done(o);
  }
}

/**
 * @internal A timeout's call on its own: `ctx` is the call's first view (its deadline
 * already narrowed to the timeout's), its root scope (made only if the function read its
 * signal, or at the deadline) is what the deadline aborts, and the run settles the caller.
 */
export class AloneRun extends TimeoutRun {
  private resolve: ((value: unknown) => void) | undefined = undefined;
  private reject: ((error: unknown) => void) | undefined = undefined;

  /**
   * Schedules this run at `deadline` on `policy`'s timer service, runs the function in the
   * call's own context and returns the caller's promise. The executor and the two callbacks
   * on the function's promise share one closure context (`this`).
   */
  start(deadline: number): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const ctx = this.ctx;
      (this.link.strategy as TimeoutPolicy).timers(ctx.clock).add(this, deadline);
      let result: unknown;
      try {
        result = callFunction(ctx);
      } catch (error) {
        this.settle({ ok: false, error });
        return;
      }
      if (isThenable(result)) {
        result.then(
          (value) => this.settleAsync({ ok: true, value }),
          (error: unknown) => this.settleAsync({ ok: false, error }),
        );
      } else this.settle({ ok: true, value: result });
    });
  }

  /**
   * The function's asynchronous outcome. A bug that throws in `settle` is reported and
   * rejects the caller, as the chain does (`core/chain.ts`): never a promise left pending.
   */
  private settleAsync(o: Outcome): void {
    try {
      this.settle(o);
    } catch (error) {
      reportInternalError(error);
      (this.reject as (error: unknown) => void)(error);
    }
  }

  protected scope(): CancellationScope {
    return this.ctx.rootScope;
  }

  protected close(): void {
    this.ctx.dispose();
  }

  protected finish(o: Outcome): void {
    if (o.ok) (this.resolve as (value: unknown) => void)(o.value);
    else (this.reject as (error: unknown) => void)(o.error);
  }
}

// Their maps outlive a full GC between calls (see core/shapes.ts). `effective` holds a small
// integer, a double or (here only) undefined: a tagged field, which stores an integer inline,
// where a double field would box every value in a heap number of its own.
const none = undefined as unknown;
keepShape(new ChainRun(none as Link, none as ExecutionContext, none as number, none as CancellationScope, none as Done));
keepShape(new AloneRun(none as Link, none as ExecutionContext, none as number));
