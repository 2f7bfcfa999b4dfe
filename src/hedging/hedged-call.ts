/**
 * One hedged call: its attempts, the timer of the next hedge, and the rules that decide
 * when the call is over. Made by the hedging policy for every call it runs.
 *
 * @packageDocumentation
 */
import { Handling } from '../core/classify';
import type { CancellationScope } from '../core/cancellation-scope';
import type { ExecutionContext } from '../core/context';
import { isExecutionRejectedError } from '../core/errors';
import type { Done, Outcome } from '../core/outcome';
import type { Link } from '../core/policy';
import { keepShape } from '../core/shapes';
import type { TimerEntry } from '../core/timer-service';
import type { HedgeBudgetExhaustedEvent, HedgeLosersCancelledEvent, HedgeStartedEvent, HedgeTrigger, HedgeWonEvent } from './events';
import type { HedgingPolicy } from './hedging';

/** The reason a losing attempt's signal aborts with. */
function lostReason(): unknown {
  const D = (globalThis as { DOMException?: new (message: string, name: string) => unknown }).DOMException;
  const message = 'Another hedged attempt answered first';
  return D !== undefined ? new D(message, 'AbortError') : Object.assign(new Error(message), { name: 'AbortError' });
}

/**
 * @internal The state of one call through a hedging policy.
 *
 * - Attempt 1 starts at once; attempt `n + 1` starts when attempt `n` has run `delay` ms with
 *   no answer (the timer restarts at every start), or at once when an attempt fails with a
 *   failure the policy handles (fallback mode), while attempts and budget remain.
 * - A success, or a failure the policy does not handle, is the call's answer: the other
 *   attempts are aborted and ignored. An execution rejection ends only its attempt.
 * - When no attempt is running and none may start, the call fails with the last outcome.
 * - An abort of the call (caller, enclosing timeout) aborts every attempt and settles the
 *   call at once with the abort reason.
 */
export class HedgedCall {
  private settled = false;
  /** Attempts started (they are numbered 1…started). */
  private started = 0;
  private running = 0;
  /** Bit `n - 1` is set once attempt `n` has ended (answered, or aborted). */
  private ended = 0;
  /** No more hedges: the budget refused one. */
  private stopped = false;
  /** Attempt 1's cancellation scope. */
  private firstScope: CancellationScope | undefined = undefined;
  /** The scopes of attempts 2, 3… (index `n - 2`), made when the first hedge starts. */
  private hedgeScopes: CancellationScope[] | undefined = undefined;
  /** Clock time attempt 1 started (for an adaptive delay's latencies). */
  private firstStart = 0;
  /** Clock time the latest attempt started. */
  private lastStart = 0;
  private timer: TimerEntry | undefined = undefined;
  /** The delay the pending timer waits (for the event). */
  private timerDelay = 0;
  private unsubscribe: (() => void) | undefined = undefined;
  /**
   * One closure per call, two roles (as the timeout's): called with an outcome, it is the
   * first attempt's `done`; called with none, the timer of the next hedge.
   */
  private readonly step = (o?: Outcome): void => {
    if (o !== undefined) this.attemptDone(1, o);
    else this.fire();
  };

  constructor(
    private readonly policy: HedgingPolicy,
    private readonly ctx: ExecutionContext,
    private readonly link: Link,
    private readonly done: Done,
  ) {}

  /**
   * @internal The instance `core/shapes.ts` keeps: its clock-time fields hold doubles, as
   * they do from a call's first clock read on (a field that went from small integers to
   * doubles would change the hidden class, and the kept one would be the old one).
   */
  static shape(): HedgedCall {
    const call = new HedgedCall(undefined as never, undefined as never, undefined as never, () => undefined);
    call.firstStart = call.lastStart = call.timerDelay = 0.5;
    return call;
  }

  /** Starts the first attempt (and, with a zero delay, the hedges). */
  start(): void {
    const ctx = this.ctx;
    // Stryker disable next-line ConditionalExpression: equivalent — a scope nothing can abort never calls its listener and is never aborted; the check only saves the subscription
    if (ctx.abortable) {
      const scope = ctx.scope;
      this.unsubscribe = scope.subscribe((reason) => this.aborted(reason));
      if (scope.aborted) {
        // Stryker disable next-line BooleanLiteral: equivalent — no attempt, timer or subscription exists yet (an aborted scope never calls back), so nothing reads the flag again
        this.settled = true;
        this.done({ ok: false, error: scope.reason });
        return;
      }
    }
    this.launch();
    this.armNext();
  }

  /** Starts the next attempt through the rest of the chain, in its own view and scope. */
  private launch(): void {
    const ctx = this.ctx;
    const n = ++this.started;
    this.running++;
    this.lastStart = ctx.clock.now();
    if (n === 1) {
      const view = ctx.attempt === 1 ? ctx.withScope(ctx.deadline) : ctx.forAttempt(1).withScope(ctx.deadline);
      this.firstScope = view.scope;
      this.firstStart = this.lastStart;
      this.link.next(view, this.step);
      return;
    }
    const view = ctx.forAttempt(n).withScope(ctx.deadline);
    (this.hedgeScopes ??= []).push(view.scope);
    this.link.next(view, (o) => this.attemptDone(n, o));
  }

  /** The cancellation scope of attempt `n`. */
  private scopeOf(n: number): CancellationScope {
    return (n === 1 ? this.firstScope : (this.hedgeScopes as CancellationScope[])[n - 2]) as CancellationScope;
  }

  /** The timer of the next hedge fired. */
  private fire(): void {
    this.timer = undefined;
    // Stryker disable next-line ConditionalExpression: equivalent — finish() and aborted() cancel the timer when they settle the call, so it never fires after
    if (this.settled) return;
    if (this.hedge('delay', this.timerDelay, undefined)) this.armNext();
  }

  /**
   * Starts hedge number `started + 1` if the budget grants it; returns whether it started.
   * A refusal stops hedging for the call (and ends it when nothing is running).
   */
  private hedge(trigger: HedgeTrigger, delay: number, failure: Outcome | undefined): boolean {
    const policy = this.policy;
    const link = this.link;
    const next = this.started + 1;
    if (policy.budget !== undefined && !policy.budget.tryRetry()) {
      this.stopped = true;
      // Stryker disable next-line ConditionalExpression: equivalent — an event emitted with nobody listening reaches no one; the check only saves building it
      if (link.listening) link.emit<HedgeBudgetExhaustedEvent>(this.ctx, { type: 'hedge-budget-exhausted', attempt: next });
      return false;
    }
    // Stryker disable next-line ConditionalExpression: equivalent — an event emitted with nobody listening reaches no one; the check only saves building it
    if (link.listening) {
      let payload: Omit<HedgeStartedEvent, 'kind' | 'policy' | 'pipeline' | 'operation' | 'labels' | 'time'>;
      if (failure === undefined) payload = { type: 'hedge', attempt: next, trigger, delay };
      else if (failure.ok) payload = { type: 'hedge', attempt: next, trigger, delay, result: failure.value };
      else payload = { type: 'hedge', attempt: next, trigger, delay, error: failure.error };
      link.emit<HedgeStartedEvent>(this.ctx, payload);
    }
    this.launch();
    return true;
  }

  /**
   * Arms the timer of the next hedge, or starts it at once for a zero delay (repeatedly).
   * Does nothing while a timer is pending (a hedge started inside the chain armed it).
   */
  private armNext(): void {
    const policy = this.policy;
    const ctx = this.ctx;
    while (!this.settled && !this.stopped && this.timer === undefined && this.started < policy.maxAttempts) {
      const delay = policy.delayFor(this.started + 1, ctx);
      if (delay > 0) {
        // Stryker disable next-line ConditionalExpression: equivalent — an infinite delay puts the start at Infinity, which the deadline check below refuses as well
        if (delay === Number.POSITIVE_INFINITY) return;
        const at = this.lastStart + delay;
        // A hedge that could start only at or after the deadline would be aborted at once.
        if (at >= ctx.deadline) return;
        this.timerDelay = delay;
        this.timer = policy.timers(ctx.clock).schedule(at, this.step);
        return;
      }
      if (!this.hedge('delay', 0, undefined)) return;
    }
  }

  /** The outcome of attempt `n`. */
  private attemptDone(n: number, o: Outcome): void {
    const bit = 1 << (n - 1);
    // Stryker disable next-line ConditionalExpression: equivalent — an attempt is marked ended only once the call has settled, so the settled check below returns as well
    if ((this.ended & bit) !== 0) return; // an abort already ended it
    this.ended |= bit;
    this.running--;
    // Stryker disable next-line ConditionalExpression: equivalent — settling marks every attempt still running as ended, so the check above has already returned
    if (this.settled) return; // a loser's late answer
    const policy = this.policy;
    if (!o.ok && isExecutionRejectedError(o.error)) {
      // An execution rejection (open circuit, full bulkhead…): this attempt never reached the
      // dependency. It ends only itself; the call goes on while another attempt runs.
      if (this.running === 0) this.finish(o, n, false);
      return;
    }
    if (n === 1 && policy.window !== undefined) policy.window.record(this.ctx.clock.now() - this.firstStart);
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent — a fast path: without handleResult the classifier calls a value a success, and the same finish() follows
    if (o.ok && !policy.inspectsResults) {
      this.finish(o, n, true); // the common case: a value, and no `handleResult` to ask
      return;
    }
    const handling = policy.classifier.classify(o, this.ctx);
    if (handling !== Handling.Failure) {
      // A success wins; a failure the policy does not handle is the answer too.
      this.finish(o, n, handling === Handling.Success);
      return;
    }
    // A handled failure starts the next attempt at once (fallback mode).
    if (!this.stopped && this.started < policy.maxAttempts) {
      this.cancelTimer();
      if (this.hedge('failure', 0, o)) {
        this.armNext();
        return;
      }
    }
    if (this.running === 0) this.finish(o, n, false);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.timer.cancel();
      this.timer = undefined;
    }
  }

  /** The call has its outcome: abort the losers, release everything, report, settle. */
  private finish(o: Outcome, by: number, won: boolean): void {
    this.settled = true;
    this.cancelTimer();
    this.unsubscribe?.();
    const started = this.started;
    if (started === 1) {
      // Not hedged: the one attempt has ended.
      (this.firstScope as CancellationScope).dispose();
      this.done(o);
      return;
    }
    const policy = this.policy;
    let losers: number[] | undefined;
    let reason: unknown;
    for (let n = 1; n <= started; n++) {
      const scope = this.scopeOf(n);
      const bit = 1 << (n - 1);
      if ((this.ended & bit) === 0) {
        this.ended |= bit;
        // A first attempt cancelled now was at least this slow.
        if (n === 1 && policy.window !== undefined) policy.window.record(this.ctx.clock.now() - this.firstStart);
        (losers ??= []).push(n);
        scope.abort((reason ??= lostReason()));
      }
      scope.dispose();
    }
    const link = this.link;
    // Stryker disable next-line ConditionalExpression: equivalent — an event emitted with nobody listening reaches no one; the check only saves building it
    if (link.listening) {
      if (won) link.emit<HedgeWonEvent>(this.ctx, { type: 'hedge-won', attempt: by, attempts: started });
      if (losers !== undefined) link.emit<HedgeLosersCancelledEvent>(this.ctx, { type: 'hedge-losers-cancelled', winner: by, losers });
    }
    this.done(o);
  }

  /** The call was aborted (caller, enclosing timeout): abort every attempt, settle at once. */
  private aborted(reason: unknown): void {
    // Stryker disable next-line ConditionalExpression: equivalent — finish() unsubscribes before it settles, and an aborted scope never calls back, so the call is never settled here
    if (this.settled) return;
    // Stryker disable next-line BooleanLiteral: equivalent — the loop below marks every attempt ended, so attemptDone() returns before it reads the flag, and the timer is cancelled
    this.settled = true;
    this.cancelTimer();
    // Equivalent — every attempt's scope is a child of the scope that just aborted: it aborts with
    // the same reason on its own (or reads it from its parent when linked later), and a late answer
    // is dropped by attemptDone()'s settled check; aborting and marking here only make it explicit.
    // Stryker disable ConditionalExpression,EqualityOperator,BlockStatement,ArithmeticOperator,AssignmentOperator
    for (let n = 1; n <= this.started; n++) {
      const scope = this.scopeOf(n);
      const bit = 1 << (n - 1);
      if ((this.ended & bit) === 0) {
        this.ended |= bit;
        scope.abort(reason);
      }
      scope.dispose();
    }
    // Stryker restore ConditionalExpression,EqualityOperator,BlockStatement,ArithmeticOperator,AssignmentOperator
    this.done({ ok: false, error: reason });
  }
}

// Its map outlives a full GC between calls (see core/shapes.ts).
keepShape(HedgedCall.shape());
