/**
 * One call inside a timeout, as one object: its timer entry (the timer service's object
 * protocol, `TimerTask`: no closure and no separate entry per call) and its state.
 *
 * - {@link ChainRun}: in a chain, the work runs in an inner view of the context with its own
 *   child scope, and the outcome goes on to the next strategy's continuation.
 * - {@link AloneRun}: a timeout executed on its own, with nobody listening (core/alone.ts):
 *   the call's own context is the view, and the run settles the caller's promise itself.
 *
 * Both follow the same rules ({@link fireRun}, {@link settleRun}): the first of the work's
 * outcome and the deadline wins, once;
 * at the deadline the view's scope aborts with the `TimeoutError` and, for an aggressive
 * timeout, the call rejects at once; a cooperative one waits for the work and reports a
 * failure it ends with as a `TimeoutError` whose cause is that failure. They are two flat
 * classes sharing those two functions, not subclasses of one base: V8 constructs a derived
 * class through its generic construct stub, which cost a four-policy pipeline ~400
 * instructions a call.
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
import { cancelTask, type Bucket, type TimerTask } from '../core/timer-service';
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

/** What {@link fireRun} and {@link settleRun} need of a run (both classes below). */
interface Run extends TimerTask {
  /** RUNNING, EXPIRED or SETTLED. */
  state: number;
  /** The error the scope was aborted with at the deadline. */
  reason: TimeoutError | undefined;
  /** The timeout's link: its strategy is the policy, it hears the policy's events. */
  readonly link: Link;
  /** The context the call entered the timeout with. */
  readonly ctx: ExecutionContext;
  /**
   * The time the work was given: `min(duration, enclosing deadline − entry time)` (the
   * `timeout` event's `effective`). Usually the duration itself, a small integer: the anchors
   * at the end of this file make the field tagged (not a double field), so that costs no box.
   */
  readonly effective: number;
  /** The scope the deadline aborts. */
  scope(): CancellationScope;
  /** Ends the bounded work (after the outcome is decided, before it is handed on). */
  close(): void;
  /** Hands the outcome on. */
  finish(o: Outcome): void;
}

/** The deadline of `run` passed. */
function fireRun(run: Run): void {
  // Stryker disable next-line ConditionalExpression: the entry is cancelled when the call settles and fires once, so state is RUNNING here
  if (run.state !== RUNNING) return;
  run.state = EXPIRED;
  const link = run.link;
  const policy = link.strategy as TimeoutPolicy;
  const duration = policy.duration;
  const error = (run.reason = timeoutError(duration));
  // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
  if (link.listening) link.emit<TimeoutEvent>(run.ctx, { type: 'timeout', duration, effective: run.effective });
  const scope = run.scope();
  if (policy.strategy !== 'cooperative') {
    run.state = SETTLED;
    scope.abort(error); // may settle inner waits synchronously: they find the run settled and are dropped
    run.close();
    run.finish({ ok: false, error });
    return;
  }
  scope.abort(error); // cooperative: the work settles the call (possibly right now)
}

/** The work of `run` ended with `o`. */
function settleRun(run: Run, o: Outcome): void {
  const state = run.state;
  if (state === SETTLED) return;
  run.state = SETTLED;
  // Stryker disable next-line ConditionalExpression: cancelling a timer entry that already fired does nothing
  if (state === RUNNING) cancelTask(run);
  run.close();
  if (state === EXPIRED && !o.ok && o.error !== run.reason) {
    run.finish({ ok: false, error: timeoutError((run.link.strategy as TimeoutPolicy).duration, o.error) });
  } else run.finish(o);
}

/** @internal A timeout's call in a chain: the inner view's `inner` scope and the continuation `done`. */
export class ChainRun implements Run {
  prev: TimerTask | undefined = undefined;
  next: TimerTask | undefined = undefined;
  bucket: Bucket | undefined = undefined;
  state = RUNNING;
  reason: TimeoutError | undefined = undefined;

  constructor(
    readonly link: Link,
    readonly ctx: ExecutionContext,
    readonly effective: number,
    private readonly inner: CancellationScope,
    private readonly done: Done,
  ) {}

  fire(): void {
    fireRun(this);
  }

  /** The outcome of the work inside. */
  settle(o: Outcome): void {
    settleRun(this, o);
  }

  scope(): CancellationScope {
    return this.inner;
  }

  close(): void {
    this.inner.dispose();
  }

  finish(o: Outcome): void {
    this.done(o);
  }
}

/**
 * @internal A timeout's call on its own: `ctx` is the call's first view (its deadline
 * already narrowed to the timeout's), its root scope (made only if the function read its
 * signal, or at the deadline) is what the deadline aborts, and the run settles the caller.
 */
export class AloneRun implements Run {
  prev: TimerTask | undefined = undefined;
  next: TimerTask | undefined = undefined;
  bucket: Bucket | undefined = undefined;
  state = RUNNING;
  reason: TimeoutError | undefined = undefined;
  private resolve: ((value: unknown) => void) | undefined = undefined;
  private reject: ((error: unknown) => void) | undefined = undefined;

  constructor(
    readonly link: Link,
    readonly ctx: ExecutionContext,
    readonly effective: number,
  ) {}

  /**
   * Schedules this run at `deadline` on the policy's timer service, runs the function in the
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
        settleRun(this, { ok: false, error });
        return;
      }
      if (isThenable(result)) {
        result.then(
          (value) => this.settleAsync({ ok: true, value }),
          (error: unknown) => this.settleAsync({ ok: false, error }),
        );
      } else settleRun(this, { ok: true, value: result });
    });
  }

  /**
   * The function's asynchronous outcome. A bug that throws while settling is reported and
   * rejects the caller, as the chain does (`core/chain.ts`): never a promise left pending.
   */
  private settleAsync(o: Outcome): void {
    try {
      settleRun(this, o);
    } catch (error) {
      reportInternalError(error);
      (this.reject as (error: unknown) => void)(error);
    }
  }

  fire(): void {
    fireRun(this);
  }

  scope(): CancellationScope {
    return this.ctx.rootScope;
  }

  close(): void {
    this.ctx.dispose();
  }

  finish(o: Outcome): void {
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
