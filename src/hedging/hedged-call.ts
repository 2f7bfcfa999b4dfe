/**
 * One hedged call: its attempts, the timer of the next hedge, and the rules that decide
 * when the call is over. Made by the hedging policy for every call it runs.
 *
 * @packageDocumentation
 */
import { Handling } from '../core/classify';
import type { CancellationScope, ExecutionContext } from '../core/context';
import { isExecutionRejectedError } from '../core/errors';
import type { Done, Outcome } from '../core/outcome';
import type { Link } from '../core/policy';
import type { TimerEntry } from '../core/timer-service';
import type { HedgeBudgetExhaustedEvent, HedgeLosersCancelledEvent, HedgeStartedEvent, HedgeTrigger, HedgeWonEvent } from './events';
import type { HedgingPolicy } from './hedging';

/** One attempt of a hedged call. */
interface Attempt {
  /** 1-based attempt number. */
  readonly n: number;
  /** The attempt's own view (its own `attempt` and signal). */
  readonly view: ExecutionContext;
  /** The attempt's cancellation scope (a child of the call's). */
  readonly scope: CancellationScope;
  /** Clock time it started (read only for an adaptive delay's first attempt). */
  readonly start: number;
  /** True once its outcome arrived (or it was aborted as a loser). */
  ended: boolean;
}

/** The reason a losing attempt's signal aborts with. */
function lostReason(): unknown {
  const D = (globalThis as { DOMException?: new (message: string, name: string) => unknown }).DOMException;
  const message = 'Another hedged attempt answered first';
  return D !== undefined ? new D(message, 'AbortError') : Object.assign(new Error(message), { name: 'AbortError' });
}

function isRejection(o: Outcome): boolean {
  return !o.ok && isExecutionRejectedError(o.error);
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
  private started = 0;
  private running = 0;
  /** No more hedges: the budget refused one. */
  private stopped = false;
  private readonly attempts: Attempt[] = [];
  private timer: TimerEntry | undefined = undefined;
  /** The delay the pending timer waits (for the event). */
  private timerDelay = 0;
  private unsubscribe: (() => void) | undefined = undefined;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.settled) return;
    if (this.hedge('delay', this.timerDelay, undefined)) this.armNext();
  };

  constructor(
    private readonly policy: HedgingPolicy,
    private readonly ctx: ExecutionContext,
    private readonly link: Link,
    private readonly done: Done,
  ) {}

  /** Starts the first attempt (and, with a zero delay, the hedges). */
  start(): void {
    const ctx = this.ctx;
    if (ctx.abortable) {
      const scope = ctx.scope;
      this.unsubscribe = scope.subscribe((reason) => this.aborted(reason));
      if (scope.aborted) {
        this.settled = true;
        this.done({ ok: false, error: scope.reason });
        return;
      }
    }
    this.launch();
    this.armNext();
  }

  /** Starts the next attempt through the rest of the chain. */
  private launch(): void {
    const ctx = this.ctx;
    const n = ++this.started;
    const base = n === 1 && ctx.attempt === 1 ? ctx : ctx.forAttempt(n);
    const view = base.withScope(ctx.deadline);
    const attempt: Attempt = { n, view, scope: view.scope, start: n === 1 && this.policy.window !== undefined ? ctx.clock.now() : 0, ended: false };
    this.attempts.push(attempt);
    this.running++;
    this.link.next(view, (o) => this.attemptDone(attempt, o));
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
      if (link.listening) link.emit<HedgeBudgetExhaustedEvent>(this.ctx, { type: 'hedge-budget-exhausted', attempt: next });
      return false;
    }
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
        if (delay === Number.POSITIVE_INFINITY) return;
        const at = ctx.clock.now() + delay;
        // A hedge that could start only at or after the deadline would be aborted at once.
        if (at >= ctx.deadline) return;
        this.timerDelay = delay;
        this.timer = policy.timers(ctx.clock).schedule(at, this.onTimer);
        return;
      }
      if (!this.hedge('delay', 0, undefined)) return;
    }
  }

  /** The outcome of one attempt. */
  private attemptDone(attempt: Attempt, o: Outcome): void {
    if (attempt.ended) return; // an abort already ended it
    attempt.ended = true;
    this.running--;
    if (this.settled) return; // a loser's late answer
    const policy = this.policy;
    const rejected = isRejection(o);
    if (attempt.n === 1 && policy.window !== undefined && !rejected) {
      policy.window.record(this.ctx.clock.now() - attempt.start);
    }
    if (rejected) {
      // An execution rejection (open circuit, full bulkhead…): this attempt never reached the
      // dependency. It ends only itself; the call goes on while another attempt runs.
      if (this.running === 0) this.finish(o, attempt.n, false);
      return;
    }
    const handling = policy.classifier.classify(o, attempt.view);
    if (handling !== Handling.Failure) {
      // A success wins; a failure the policy does not handle is the answer too.
      this.finish(o, attempt.n, handling === Handling.Success);
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
    if (this.running === 0) this.finish(o, attempt.n, false);
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
    const policy = this.policy;
    let losers: number[] | undefined;
    let reason: unknown;
    for (const a of this.attempts) {
      if (a.ended) {
        a.scope.dispose();
        continue;
      }
      a.ended = true;
      if (a.n === 1 && policy.window !== undefined) policy.window.record(this.ctx.clock.now() - a.start); // at least this slow
      (losers ??= []).push(a.n);
      a.scope.abort((reason ??= lostReason()));
      a.scope.dispose();
    }
    const link = this.link;
    if (link.listening) {
      if (won && this.started > 1) link.emit<HedgeWonEvent>(this.ctx, { type: 'hedge-won', attempt: by, attempts: this.started });
      if (losers !== undefined) link.emit<HedgeLosersCancelledEvent>(this.ctx, { type: 'hedge-losers-cancelled', winner: by, losers });
    }
    this.done(o);
  }

  /** The call was aborted (caller, enclosing timeout): abort every attempt, settle at once. */
  private aborted(reason: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelTimer();
    for (const a of this.attempts) {
      if (!a.ended) {
        a.ended = true;
        a.scope.abort(reason);
      }
      a.scope.dispose();
    }
    this.done({ ok: false, error: reason });
  }
}
