/**
 * The retry policy: runs the call again after a failure it handles, with backoff and
 * jitter, honouring server pushback, a time cap, the call's deadline, its cancellation
 * and a shared retry budget.
 *
 * @packageDocumentation
 */
import { compileClassifier, errorPredicate, Handling, type Classifier, type ResultFilter } from '../core/classify';
import { callFunction, continueChain, unwrap } from '../core/alone';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { isExecutionRejectedError } from '../core/errors';
import type { Outcome } from '../core/outcome';
import { StrategyPolicy, type Done, type Link } from '../core/policy';
import { systemRandom, type Random } from '../core/random';
import { reportInternalError } from '../core/report';
import { keepShape } from '../core/shapes';
import { validateOptions } from '../core/validation';
import { waitFor, type WaitEnd } from '../core/wait';
import { Backoff } from './backoff';
import type { RetryBudget } from './budget';
import type { BudgetExhaustedEvent, GiveUpEvent, GiveUpReason, RetryAttemptEvent, RetryEvent } from './events';
import { RETRY_DEFAULTS, retryIssues, retrySchema, type BackoffFunction, type RetryAfterFunction, type RetryInfo, type RetryOptions } from './options';

/**
 * The error predicate of a retry policy: an execution rejection (open circuit, full
 * bulkhead, rate limited) is retried only under `retryRejections`, whatever `handle` says;
 * any other error as `handle` says (every error by default).
 */
function retryHandle(handle: ((error: unknown) => boolean) | undefined, retryRejections: boolean): (error: unknown) => boolean {
  if (handle === undefined) return retryRejections ? () => true : (e) => !isExecutionRejectedError(e);
  return retryRejections ? (e) => isExecutionRejectedError(e) || handle(e) : (e) => !isExecutionRejectedError(e) && handle(e);
}

/** The pushback an execution rejection carries (`BrokenCircuitError.retryAfter`), if any. */
function rejectionPushback(o: Outcome): number | undefined {
  if (o.ok || !isExecutionRejectedError(o.error)) return undefined;
  const after = (o.error as { retryAfter?: unknown }).retryAfter;
  return typeof after === 'number' && after > 0 ? after : undefined;
}

/** Why a failure the classifier ignored ends the call: the caller cancelled, a rejection, or `handle`. */
function ignoredReason(ctx: ExecutionContext, o: Outcome): GiveUpReason {
  if (ctx.cancelledByCaller) return 'aborted';
  return !o.ok && isExecutionRejectedError(o.error) ? 'rejected' : 'not-handled';
}

/**
 * A retry policy. Create it with {@link retry}.
 *
 * @example
 * ```ts
 * const policy = retry({ maxAttempts: 4, delay: 100, maxDelay: 2_000 });
 * policy.on('retry', (e) => console.log(`attempt ${e.attempt} failed, next in ${e.delay} ms`));
 * await policy.execute((ctx) => fetchProfile(ctx.signal));
 * ```
 */
export class RetryPolicy extends StrategyPolicy<RetryEvent> {
  /** Total attempts allowed, including the first. */
  readonly maxAttempts: number;
  /** Cap on a call's total time (ms); `Infinity` when none. */
  readonly maxDuration: number;
  /** The upper bound of every delay (ms). */
  readonly maxDelay: number;
  /** The backoff: an immutable {@link Backoff} value, or the custom function given. */
  readonly backoff: Backoff | BackoffFunction;
  /** The shared retry budget, if any. */
  readonly budget: RetryBudget | undefined;
  /** Whether execution rejections (open circuit, full bulkhead…) are retried (the `retryRejections` option). */
  readonly retryRejections: boolean;
  /** @internal */
  readonly random: Random;
  /** @internal */
  readonly classifier: Classifier;
  /** @internal */
  readonly retryAfter: RetryAfterFunction | undefined;
  private readonly described: Record<string, unknown>;

  /** @internal Use {@link retry}. */
  constructor(options?: RetryOptions<never>) {
    const o = validateOptions<RetryOptions<never>>('retry', options, retrySchema, retryIssues);
    const clock = o.clock ?? systemClock;
    super({ kind: 'retry', name: o.name ?? RETRY_DEFAULTS.name, clock, keepsTime: o.budget !== undefined });
    this.maxAttempts = o.maxAttempts ?? RETRY_DEFAULTS.maxAttempts;
    this.maxDuration = o.maxDuration ?? Number.POSITIVE_INFINITY;
    this.random = o.random ?? systemRandom;
    this.retryAfter = o.retryAfter;
    this.budget = o.budget;
    this.retryRejections = o.retryRejections ?? RETRY_DEFAULTS.retryRejections;
    const b = o.backoff ?? RETRY_DEFAULTS.backoff;
    if (typeof b === 'string') {
      const { delay, factor, maxDelay, jitter } = o;
      this.backoff = new Backoff(b, { delay, factor, maxDelay, jitter });
      this.maxDelay = this.backoff.maxDelay;
    } else if (b instanceof Backoff) {
      this.backoff = b;
      this.maxDelay = b.maxDelay;
    } else {
      this.backoff = b;
      this.maxDelay = o.maxDelay ?? RETRY_DEFAULTS.maxDelay;
    }
    this.classifier = compileClassifier(
      { handleResult: o.handleResult as ResultFilter<never> | undefined },
      retryHandle(o.handle === undefined ? undefined : errorPredicate(o.handle), this.retryRejections),
    );
    this.described = {
      maxAttempts: this.maxAttempts,
      backoff: this.backoff instanceof Backoff ? this.backoff.toJSON() : `function ${this.backoff.name || '(anonymous)'}`,
      maxDelay: this.maxDelay,
      handle: o.handle === undefined ? 'every error' : 'custom',
      retryRejections: this.retryRejections,
      handleResult: o.handleResult === undefined ? 'none' : 'custom',
      retryAfter: o.retryAfter === undefined ? 'none' : 'custom',
      maxDuration: this.maxDuration,
      budget:
        this.budget === undefined
          ? 'none'
          : { ratio: this.budget.ratio, minPerSecond: this.budget.minPerSecond, window: this.budget.window },
    };
  }

  /** @internal Alone and unheard: the first attempt awaited in place (core/alone.ts). */
  protected override async runAlone(ctx: ExecutionContext, link: Link): Promise<unknown> {
    const start = this.maxDuration === Number.POSITIVE_INFINITY ? 0 : ctx.clock.now();
    if (this.budget !== undefined) this.budget.recordCall();
    let o: Outcome;
    try {
      o = { ok: true, value: await callFunction(ctx) };
    } catch (error) {
      o = { ok: false, error };
    }
    // As in run(): a first outcome retry does not handle goes through as it is.
    if (this.classifier.classify(o, ctx) === Handling.Failure) o = await continueChain((done) => new RetryCall(this, ctx, link, done, start).failed(o));
    ctx.dispose();
    return unwrap(o);
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    // The first attempt: no clock read (unless maxDuration or a budget needs one) and no
    // allocation but the continuation below.
    const start = this.maxDuration === Number.POSITIVE_INFINITY ? 0 : ctx.clock.now(); // read only under maxDuration
    if (this.budget !== undefined) this.budget.recordCall();
    // Each attempt runs in its own view of the context (attempt 1 in the one given, unless an
    // enclosing retry numbered it), so abandoned work keeps its own number and signal.
    link.next(ctx.attempt === 1 ? ctx : ctx.forAttempt(1), (o) => {
      // A first attempt whose failure retry does not handle (not selected by `handle`, an
      // execution rejection, the caller's cancellation) goes through without an event:
      // retry never considered it, so it did not "give up" on it.
      if (this.classifier.classify(o, ctx) !== Handling.Failure) done(o);
      else new RetryCall(this, ctx, link, done, start).failed(o);
    });
  }

  /** @internal */
  emitGiveUp(ctx: ExecutionContext, link: Link, attempts: number, reason: GiveUpReason, o: Outcome): void {
    link.emit<GiveUpEvent>(
      ctx,
      o.ok ? { type: 'give-up', attempts, reason, error: undefined, result: o.value } : { type: 'give-up', attempts, reason, error: o.error },
    );
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    return this.described;
  }
}

/** The state of one call that needed a retry; made on the first handled failure. */
class RetryCall {
  private attempt = 1;
  private previousDelay = 0;
  private readonly onOutcome = (o: Outcome): void => {
    const verdict = this.policy.classifier.classify(o, this.ctx);
    if (verdict === Handling.Success) this.done(o);
    else if (verdict === Handling.Ignored) this.giveUp(ignoredReason(this.ctx, o), o);
    else this.failed(o);
  };
  private readonly onWake = (end: WaitEnd): void => {
    if (end.aborted) {
      this.giveUp('aborted', { ok: false, error: end.reason });
      return;
    }
    const ctx = this.ctx;
    this.link.next(ctx.forAttempt(++this.attempt), this.onOutcome);
  };

  constructor(
    private readonly policy: RetryPolicy,
    private readonly ctx: ExecutionContext,
    private readonly link: Link,
    private readonly done: Done,
    private readonly start: number,
  ) {}

  /** An instance built like the hot ones (clock times and delays are doubles), for {@link keepShape}. */
  static shape(): RetryCall {
    const call = new RetryCall(undefined as unknown as RetryPolicy, undefined as unknown as ExecutionContext, undefined as unknown as Link, undefined as unknown as Done, 0.5);
    call.previousDelay = 0.5;
    return call;
  }

  /** A handled failure of attempt `this.attempt`: retry it or give up. */
  failed(o: Outcome): void {
    const policy = this.policy;
    const attempt = this.attempt;
    if (attempt >= policy.maxAttempts) {
      this.giveUp('max-attempts', o);
      return;
    }
    const delay = this.delayAfter(o);
    if (delay === undefined) {
      this.giveUp('not-handled', o);
      return;
    }
    const ctx = this.ctx;
    // Stryker disable next-line ConditionalExpression: without maxDuration it is Infinity, and no wake time is after start + Infinity
    const bounded = policy.maxDuration !== Number.POSITIVE_INFINITY;
    // Stryker disable next-line ConditionalExpression: with neither bound, no wake time is after start + Infinity or at the Infinity deadline; the check only saves a clock read
    if (bounded || ctx.deadline !== Number.POSITIVE_INFINITY) {
      // The timer service fires on whole milliseconds: the sleep really ends at ceil(now + delay).
      const wake = Math.ceil(ctx.clock.now() + delay);
      if (bounded && wake > this.start + policy.maxDuration) {
        this.giveUp('max-duration', o);
        return;
      }
      if (wake >= ctx.deadline) {
        this.giveUp('deadline', o);
        return;
      }
    }
    const link = this.link;
    if (policy.budget !== undefined && !policy.budget.tryRetry()) {
      // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
      if (link.listening) link.emit<BudgetExhaustedEvent>(ctx, { type: 'budget-exhausted', attempt });
      this.giveUp('budget', o);
      return;
    }
    // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
    if (link.listening) {
      link.emit<RetryAttemptEvent>(
        ctx,
        o.ok ? { type: 'retry', attempt, delay, error: undefined, result: o.value } : { type: 'retry', attempt, delay, error: o.error },
      );
    }
    this.previousDelay = delay;
    waitFor(ctx, delay, this.onWake);
  }

  /** The delay before the next attempt, or `undefined` for "do not retry". */
  private delayAfter(o: Outcome): number | undefined {
    const policy = this.policy;
    const backoff = policy.backoff;
    const retryAfter = policy.retryAfter;
    let info: RetryInfo | undefined;
    if (retryAfter !== undefined) {
      info = this.info(o);
      let pushback: number | undefined;
      try {
        pushback = retryAfter(info.failure, info);
      } catch (error) {
        reportInternalError(error, 'retryAfter');
        pushback = undefined;
      }
      if (pushback !== undefined) {
        if (typeof pushback !== 'number' || Number.isNaN(pushback)) {
          reportInternalError(new TypeError(`retryAfter returned ${String(pushback)}, not a number`), 'retryAfter');
        } else {
          return pushback < 0 || pushback > policy.maxDelay ? undefined : pushback;
        }
      }
    }
    // Stryker disable next-line ConditionalExpression: without retryRejections no rejection is retried, and rejectionPushback() is undefined for anything else
    if (policy.retryRejections) {
      // Only a rejection can get here with a pushback of its own (retryRejections is on).
      const pushback = rejectionPushback(o);
      if (pushback !== undefined) return pushback > policy.maxDelay ? undefined : pushback;
    }
    if (backoff instanceof Backoff) {
      try {
        return backoff.next(this.attempt, this.previousDelay, policy.random);
      } catch (error) {
        reportInternalError(error, 'the random function');
        return undefined;
      }
    }
    let d: number;
    try {
      d = backoff(info ?? this.info(o));
    } catch (error) {
      reportInternalError(error, 'the backoff function');
      return undefined;
    }
    if (typeof d !== 'number' || Number.isNaN(d)) {
      reportInternalError(new TypeError(`the backoff function returned ${String(d)}, not a number`), 'the backoff function');
      return undefined;
    }
    if (d < 0) return undefined;
    // Stryker disable next-line EqualityOperator: when d equals maxDelay either branch gives the same delay (only a -0 answer with maxDelay 0 would keep its sign, and a -0 ms sleep is a 0 ms sleep)
    return d < policy.maxDelay ? d : policy.maxDelay;
  }

  private info(o: Outcome): RetryInfo {
    return {
      attempt: this.attempt,
      outcome: o,
      failure: o.ok ? o.value : o.error,
      previousDelay: this.previousDelay,
      context: this.ctx,
    };
  }

  private giveUp(reason: GiveUpReason, o: Outcome): void {
    // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
    if (this.link.listening) this.policy.emitGiveUp(this.ctx, this.link, this.attempt, reason, o);
    this.done(o);
  }
}

// Its map outlives a full GC between two outages (see core/shapes.ts).
keepShape(RetryCall.shape());

/**
 * Creates a retry policy: a failed call is run again, up to `maxAttempts` attempts in all,
 * after a backoff delay. See {@link RetryOptions} for every option and docs/retry.md for
 * the guide.
 *
 * - By default every error is retried except caller cancellation and
 *   `ExecutionRejectedError`s (an open circuit, a full bulkhead). A custom `handle` narrows
 *   the errors retried, but never lets a rejection in: rejections are retried only with
 *   `retryRejections: true`, and then the sleep honours the rejection's own `retryAfter`
 *   (the time until the breaker admits a probe).
 * - A `give-up` event is emitted only when the policy stops after handling a failure; a
 *   first attempt whose failure it does not handle goes through silently.
 * - The last failure is rethrown unchanged. When the last attempt *returns* a value that
 *   `handleResult` flags, the call resolves with that value.
 * - No retry is scheduled whose sleep would end at or after the call's deadline, or past
 *   `maxDuration`; a sleep ends at once (same tick) when the caller aborts.
 * - Each attempt receives its own context view whose `ctx.attempt` is its number (1-based)
 *   for ever; `properties` are shared by all attempts of the call.
 *
 * @example
 * ```ts
 * const policy = retry({
 *   maxAttempts: 4,
 *   delay: 100,
 *   maxDelay: 5_000,
 *   jitter: 'full',
 *   handleResult: (res: Response) => res.status === 503,
 *   retryAfter: (failure) => {
 *     const header = failure instanceof Response ? failure.headers.get('retry-after') : null;
 *     return header === null ? undefined : Number(header) * 1000;
 *   },
 * });
 * const res = await policy.execute((ctx) => fetch(url, { signal: ctx.signal }));
 * ```
 */
export function retry<T = unknown>(options?: RetryOptions<T>): RetryPolicy {
  return new RetryPolicy(options as RetryOptions<never> | undefined);
}
