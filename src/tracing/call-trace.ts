/**
 * The trace of one call: its call span, a child span per attempt, and the span events of its
 * policies. It is the call's observer (`core/call-observer.ts`): it hears every event of the
 * call and wraps every run of the user's function.
 *
 * Life of an attempt span:
 * - it starts at the attempt's first sign: the run of the function, or an event that belongs
 *   to the attempt before the function runs (an injected fault, a queue, a rejection);
 * - it ends at the first of: the function's outcome (its promise settles or it returns or
 *   throws); a refusal (an open circuit, a full bulkhead, a rate limit) of an attempt whose
 *   function did not run; the retry moving on from it (`retry` or `give-up`); the hedging
 *   policy cancelling it (`lost`); the call settling. When the call stopped waiting for a
 *   function that is still running (an aggressive timeout, a lost hedge, the call settled),
 *   the span ends then, marked `resilience.attempt.abandoned`; the function's spans go on
 *   under it. No span waits for a function that may never settle.
 *
 * Every OpenTelemetry call is guarded: a throwing tracer is reported through
 * `reportInternalError` and never breaks the call; each span is ended exactly once.
 *
 * @packageDocumentation
 */
import type { CallObserver } from '../core/call-observer';
import { isSystemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { isChaosInjectedError, isExecutionRejectedError, isTimeoutError } from '../core/errors';
import type { ResilienceEvent } from '../core/events';
import { isThenable, type Outcome } from '../core/outcome';
import { reportInternalError } from '../core/report';
import type { ChaosInjectedEvent } from '../chaos/events';
import type { FallbackTierEvent } from '../fallback/events';
import type { HedgeLosersCancelledEvent, HedgeStartedEvent } from '../hedging/events';
import type { GiveUpEvent, RetryAttemptEvent } from '../retry/events';
import type { OpenTelemetryApi, OpenTelemetryContext, TracingAttributeMap, TracingSpan, TracingSpanOptions, TracingTracer } from './api';
import { TracingAttributes as A, type TracedAttemptOutcome, type TracedCallOutcome } from './attributes';
import { errorType, spanEventOf, type SpanEventSpec } from './span-events';

/** @internal What every call trace of one policy shares. */
export interface TraceSettings {
  readonly api: OpenTelemetryApi;
  readonly tracer: TracingTracer;
  readonly labelKeys: readonly string[];
  readonly attributes: TracingAttributeMap;
  readonly recordExceptions: boolean;
}

/** @internal Where a failing OpenTelemetry call is reported. */
export const TRACING_SOURCE = 'the tracing policy (OpenTelemetry API)';

/** One attempt's span. */
class AttemptTrace {
  /** The function ran in this attempt. */
  ran = false;
  ended = false;
  injected = false;
  constructor(
    readonly n: number,
    readonly span: TracingSpan,
    readonly context: OpenTelemetryContext,
  ) {}
}

/** The outcome of a failed call or attempt (`cancelled` first: caller cancellation is no failure). */
function failureOutcome(ctx: ExecutionContext, error: unknown, injected: boolean): TracedCallOutcome & TracedAttemptOutcome {
  if (ctx.cancelledByCaller) return 'cancelled';
  if (injected || isChaosInjectedError(error)) return 'injected';
  if (isExecutionRejectedError(error)) return 'rejected';
  if (isTimeoutError(error)) return 'timeout';
  return 'failure';
}

/**
 * The outcome of a failed attempt: `injected` when a fault failed it (a chaos error, or a
 * fault that kept the function from running); a function that ran after an injected delay
 * and failed on its own is a `failure` (its span still carries the fault's mark).
 */
function attemptFailure(a: AttemptTrace, view: ExecutionContext, error: unknown): TracedAttemptOutcome {
  return failureOutcome(view, error, a.injected && !a.ran);
}

/** Outcomes that set the span's status to `ERROR`. */
function isError(outcome: TracedCallOutcome | TracedAttemptOutcome): boolean {
  return outcome === 'failure' || outcome === 'rejected' || outcome === 'timeout' || outcome === 'injected';
}

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const m = (error as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  }
  return String(error);
}

/** @internal The trace of one call (see the module comment). */
export class CallTrace implements CallObserver {
  /** The OpenTelemetry context with the call span active (set by {@link CallTrace.start}). */
  context: OpenTelemetryContext = {};
  private span: TracingSpan | undefined = undefined;
  private recording = false;
  /** True when the call runs on a custom clock: spans and events are stamped with its time. */
  private readonly stamped: boolean;
  /** The open attempt span of each attempt number (the latest, when numbers repeat). */
  private readonly byNumber = new Map<number, AttemptTrace>();
  private readonly open = new Set<AttemptTrace>();
  private hedgeTriggers: Map<number, string> | undefined = undefined;
  private tier = -1;
  private fallbackFailure: unknown = undefined;
  private ended = false;

  constructor(
    private readonly settings: TraceSettings,
    private readonly ctx: ExecutionContext,
  ) {
    this.stamped = !isSystemClock(ctx.clock);
  }

  /** Starts the call span as a child of `parent`. May throw (a broken API): nothing is then started. */
  start(parent: OpenTelemetryContext): void {
    const { ctx, settings } = this;
    const attributes: TracingAttributeMap = { ...settings.attributes, [A.operation]: ctx.operation };
    if (ctx.pipelineName !== undefined) attributes[A.pipeline] = ctx.pipelineName;
    const labels = ctx.labels;
    for (const key of settings.labelKeys) {
      const v = Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
      if (typeof v === 'string') attributes[A.labelPrefix + key] = v;
    }
    const span = settings.tracer.startSpan(ctx.operation, this.spanOptions(attributes), parent);
    this.span = span;
    try {
      this.recording = span.isRecording();
      this.context = settings.api.trace.setSpan(parent, span);
    } catch (error) {
      this.ended = true;
      this.endSpan(span);
      throw error;
    }
  }

  /** Runs `fn` with `context` active: exactly once, whatever the API does. */
  within<T>(context: OpenTelemetryContext, fn: () => T): T {
    let called = false;
    const once = (): T => {
      called = true;
      return fn();
    };
    let result: T;
    try {
      result = this.settings.api.context.with(context, once);
    } catch (error) {
      if (called) throw error;
      reportInternalError(error, TRACING_SOURCE);
      return fn();
    }
    if (!called) {
      reportInternalError(new TypeError('context.with() did not call its function'), TRACING_SOURCE);
      return fn();
    }
    return result;
  }

  /** True when the call span's context is the active one (a throwing API: false). */
  private isActive(): boolean {
    try {
      return this.settings.api.context.active() === this.context;
    } catch (error) {
      reportInternalError(error, TRACING_SOURCE);
      return false;
    }
  }

  /** @internal {@link CallObserver.attempt}: one run of the function, inside its attempt span. */
  attempt(view: ExecutionContext, run: (ctx: ExecutionContext) => unknown): unknown {
    let a: AttemptTrace | undefined;
    if (this.recording && !this.ended) {
      try {
        a = this.attemptFor(view.attempt, true);
      } catch (error) {
        reportInternalError(error, TRACING_SOURCE);
      }
    }
    if (a === undefined && this.isActive()) return run(view); // unsampled, already in the call's context: nothing to wrap
    let result: unknown;
    try {
      result = this.within(a === undefined ? this.context : a.context, () => run(view));
    } catch (error) {
      if (a !== undefined) this.ranTo(a, view, { ok: false, error });
      throw error;
    }
    if (!isThenable(result)) {
      if (a !== undefined) this.ranTo(a, view, { ok: true, value: result });
      return result;
    }
    return new Forwarded(result, this, a, view);
  }

  /** @internal The function of attempt `a` settled with `o`. Never throws. */
  ranTo(a: AttemptTrace, view: ExecutionContext, o: Outcome): void {
    if (a.ended) return;
    this.endAttempt(a, o.ok ? 'success' : attemptFailure(a, view, o.error), o, false);
  }

  /** @internal {@link CallObserver.event}: a policy's event, as a span event and its effect on the attempts. */
  event(e: ResilienceEvent, view: ExecutionContext): void {
    if (this.ended || !this.recording) return;
    const s = spanEventOf(e);
    if (e.kind === 'hedging' && e.type === 'hedge') {
      const h = e as HedgeStartedEvent;
      (this.hedgeTriggers ??= new Map()).set(h.attempt, h.trigger);
    } else if (e.kind === 'fallback' && e.type === 'fallback') {
      const f = e as FallbackTierEvent;
      if (this.tier < 0) this.fallbackFailure = f.failure;
      this.tier = f.tier;
    }
    if (s !== undefined) {
      try {
        this.record(e, s, view);
      } catch (error) {
        reportInternalError(error, TRACING_SOURCE); // the attempts' lives below still follow the call
      }
    }
    if (e.kind === 'retry') {
      if (e.type === 'retry') {
        const r = e as RetryAttemptEvent;
        this.moveOn(r.attempt, view, r.error, 'result' in r);
      } else if (e.type === 'give-up') {
        const g = e as GiveUpEvent;
        this.moveOn(g.attempts, view, g.error, 'result' in g);
      }
    } else if (e.kind === 'hedging' && e.type === 'hedge-losers-cancelled') {
      for (const n of (e as HedgeLosersCancelledEvent).losers) {
        const a = this.openAttempt(n);
        if (a !== undefined) this.endAttempt(a, 'lost', undefined, a.ran);
      }
    }
  }

  /** Adds the span event `s` of `e` where it belongs; marks faults; ends refused attempts. */
  private record(e: ResilienceEvent, s: SpanEventSpec, view: ExecutionContext): void {
    let target: AttemptTrace | undefined;
    if (s.place === 'opens-attempt') target = this.attemptFor(view.attempt, false);
    else if (s.place === 'attempt') target = this.openAttempt(view.attempt);
    const span = target?.span ?? (this.span as TracingSpan);
    if (this.stamped) span.addEvent(s.name, s.attributes, e.time);
    else span.addEvent(s.name, s.attributes);
    if (target === undefined) return;
    if (e.kind === 'chaos') {
      const c = e as ChaosInjectedEvent;
      target.injected = true;
      target.span.setAttribute(A.injected, true);
      target.span.setAttribute(A.fault, c.fault);
      target.span.setAttribute(A.faultKind, c.faultKind);
    }
    const refused = s.rejection;
    if (refused !== undefined && !target.ran) {
      this.endAttempt(target, 'rejected', undefined, false, refused.message, refused.errorType);
    }
  }

  /** A retry is done with attempt `n` (it failed with `error`, or with a flagged result). */
  private moveOn(n: number, view: ExecutionContext, error: unknown, flaggedResult: boolean): void {
    const a = this.openAttempt(n);
    if (a === undefined) return;
    const outcome = flaggedResult && error === undefined ? 'failure' : attemptFailure(a, view, error);
    this.endAttempt(a, outcome, flaggedResult ? undefined : { ok: false, error }, a.ran);
  }

  /** The open span of attempt `n`, if any. */
  private openAttempt(n: number): AttemptTrace | undefined {
    const a = this.byNumber.get(n);
    return a !== undefined && !a.ended ? a : undefined;
  }

  /**
   * The span of attempt `n`: the open one (for a run: the open one whose function has not
   * run yet), else a new one.
   */
  private attemptFor(n: number, run: boolean): AttemptTrace {
    let a = this.openAttempt(n);
    if (a === undefined || (run && a.ran)) {
      const attributes: TracingAttributeMap = { [A.attempt]: n };
      const trigger = this.hedgeTriggers?.get(n);
      if (trigger !== undefined) {
        attributes[A.hedgeTrigger] = trigger;
        this.hedgeTriggers?.delete(n);
      }
      const { api, tracer } = this.settings;
      const span = tracer.startSpan(`${this.ctx.operation} attempt`, this.spanOptions(attributes), this.context);
      let context: OpenTelemetryContext;
      try {
        context = api.trace.setSpan(this.context, span);
      } catch (error) {
        this.endSpan(span);
        throw error;
      }
      a = new AttemptTrace(n, span, context);
      this.byNumber.set(n, a);
      this.open.add(a);
    }
    if (run) a.ran = true;
    return a;
  }

  /**
   * Ends attempt `a` (once): its outcome, status and, for an abandoned function, the mark.
   * The bookkeeping comes first, so a throwing span cannot leave it open or end it twice.
   */
  private endAttempt(a: AttemptTrace, outcome: TracedAttemptOutcome, o: Outcome | undefined, abandoned: boolean, message?: string, type?: string): void {
    if (a.ended) return;
    a.ended = true;
    this.open.delete(a);
    if (this.byNumber.get(a.n) === a) this.byNumber.delete(a.n);
    const span = a.span;
    try {
      span.setAttribute(A.outcome, outcome);
      if (abandoned) span.setAttribute(A.abandoned, true);
      if (isError(outcome)) this.markFailed(span, o, message, type);
    } catch (error) {
      reportInternalError(error, TRACING_SOURCE);
    }
    this.endSpan(span);
  }

  /** Sets `ERROR`, `error.type` and the exception of a failed span. */
  private markFailed(span: TracingSpan, o: Outcome | undefined, message: string | undefined, type: string | undefined): void {
    const error = o !== undefined && !o.ok ? o.error : undefined;
    const failed = o !== undefined && !o.ok;
    span.setStatus({ code: this.settings.api.SpanStatusCode.ERROR, message: message ?? (failed ? messageOf(error) : 'failed') });
    const t = type ?? (failed ? errorType(error) : undefined);
    if (t !== undefined) span.setAttribute(A.errorType, t);
    if (failed && this.settings.recordExceptions) {
      const exception = typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string' ? (error as Error) : String(error);
      if (this.stamped) span.recordException(exception, this.ctx.clock.now());
      else span.recordException(exception);
    }
  }

  /** Ends `span`, reporting a throw. */
  private endSpan(span: TracingSpan): void {
    try {
      if (this.stamped) span.end(this.ctx.clock.now());
      else span.end();
    } catch (error) {
      reportInternalError(error, TRACING_SOURCE);
    }
  }

  private spanOptions(attributes: TracingAttributeMap): TracingSpanOptions {
    const options: TracingSpanOptions = { kind: this.settings.api.SpanKind.INTERNAL, attributes };
    if (this.stamped) options.startTime = this.ctx.clock.now();
    return options;
  }

  /**
   * Ends the trace with the call's outcome `o`: the attempts still open (abandoned when their
   * function still runs), then the call span. Once; never throws.
   */
  finish(o: Outcome): void {
    if (this.ended) return;
    this.ended = true;
    const ctx = this.ctx;
    const outcome: TracedCallOutcome = ctx.cancelledByCaller
      ? 'cancelled'
      : o.ok
        ? ctx.usedFallback
          ? 'fallback'
          : 'success'
        : failureOutcome(ctx, o.error, ctx.injected);
    // What the open attempts ended with: the failure a fallback replaced, or the call's outcome.
    const theirs: Outcome = o.ok && ctx.usedFallback ? { ok: false, error: this.fallbackFailure } : o;
    for (const a of [...this.open]) {
      this.endAttempt(a, theirs.ok ? 'success' : attemptFailure(a, ctx, theirs.error), theirs, a.ran);
    }
    const span = this.span;
    if (span === undefined) return;
    if (this.recording) {
      try {
        span.setAttribute(A.outcome, outcome);
        span.setAttribute(A.attempts, ctx.attemptCount);
        span.setAttribute(A.fallback, ctx.usedFallback);
        if (ctx.usedFallback && this.tier >= 0) span.setAttribute(A.fallbackTier, this.tier);
        span.setAttribute(A.injected, ctx.injected);
        if (isError(outcome)) this.markFailed(span, o, undefined, undefined);
      } catch (error) {
        reportInternalError(error, TRACING_SOURCE);
      }
    }
    this.endSpan(span);
  }
}

/**
 * What the observer returns for a function that returned a thenable: it calls the
 * thenable's `then` exactly once (a lazy thenable, such as a query builder, runs once), ends
 * the attempt span when it settles, and does it inside the call span's context, so what the
 * policies run after the function (a fallback tier, the next attempt's wait) sees the call
 * span as the active one.
 */
class Forwarded implements PromiseLike<unknown> {
  constructor(
    private readonly result: PromiseLike<unknown>,
    private readonly trace: CallTrace,
    private readonly a: AttemptTrace | undefined,
    private readonly view: ExecutionContext,
  ) {}

  then<R1 = unknown, R2 = never>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    const { trace, a, view, result } = this;
    return trace.within(trace.context, () =>
      result.then(
        (value) => {
          if (a !== undefined) trace.ranTo(a, view, { ok: true, value });
          return typeof onFulfilled === 'function' ? onFulfilled(value) : (value as R1);
        },
        (error: unknown) => {
          if (a !== undefined) trace.ranTo(a, view, { ok: false, error });
          if (typeof onRejected === 'function') return onRejected(error);
          throw error;
        },
      ),
    );
  }
}
