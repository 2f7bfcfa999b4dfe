/**
 * The timeout policy: a deadline on the call, nested under any enclosing deadline.
 *
 * Cost on the success path: one clock read and one object that is both the call's
 * timer-service entry (scheduled and cancelled: no host `setTimeout` per call) and its state
 * (`timeout-run.ts`). In a chain, add one inner view with its child cancellation scope (no
 * `AbortController` unless the function reads `ctx.signal`) and one closure for the inner
 * `done`; alone, the call's own context is the view.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { Done } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { timerServiceFor, type TimerService } from '../core/timer-service';
import { validateOptions } from '../core/validation';
import type { TimeoutEvent } from './events';
import { AloneRun, ChainRun, timeoutError } from './timeout-run';
import { timeoutDefaults, timeoutSchema, type TimeoutOptions, type TimeoutStrategy } from './options';

/**
 * A deadline on each call. Build it with {@link timeout}.
 *
 * The work inside the policy receives its own view of the context: its `ctx.deadline` is
 * the effective deadline (`min(enclosing deadline, entry time + duration)`),
 * `ctx.remaining()` counts down to it, and `ctx.signal` aborts (with the `TimeoutError` as
 * reason) when it passes. The view stays so: work that an aggressive timeout abandoned
 * still reads its aborted signal, and a `retry` outside a timeout gives every attempt a
 * fresh deadline in a fresh view.
 *
 * @example
 * ```ts
 * const t = timeout(2_000);
 * const profile = await t.execute((ctx) => fetch(url, { signal: ctx.signal }));
 * ```
 */
export class TimeoutPolicy extends StrategyPolicy<TimeoutEvent> {
  /** The configured duration (ms). */
  readonly duration: number;
  /** What happens at the deadline. */
  readonly strategy: TimeoutStrategy;
  private serviceClock: Clock | undefined = undefined;
  private service: TimerService | undefined = undefined;

  /** @internal Use {@link timeout}. */
  constructor(options: TimeoutOptions) {
    super({ kind: 'timeout', name: options.name ?? timeoutDefaults.name, clock: options.clock ?? systemClock });
    this.duration = options.duration;
    this.strategy = options.strategy ?? timeoutDefaults.strategy;
  }

  /** @internal The timer service of `clock` (the last one asked for is remembered). */
  timers(clock: Clock): TimerService {
    // Stryker disable next-line ConditionalExpression: timerServiceFor returns the one service of a clock, so asking again changes nothing
    if (clock !== this.serviceClock) {
      this.service = timerServiceFor(clock);
      this.serviceClock = clock;
    }
    return this.service as TimerService;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const now = ctx.clock.now();
    const deadline = this.deadlineOf(ctx, now);
    if (!(deadline > now)) {
      this.expiredOnEntry(ctx, link, done);
      return;
    }
    const inner = ctx.withScope(deadline);
    const run = new ChainRun(link, ctx, this.effective(ctx, now), inner.scope, done);
    this.timers(ctx.clock).add(run, deadline);
    link.next(inner, (o) => run.settle(o));
  }

  /**
   * @internal Alone and unheard (core/alone.ts): the call's own context is the view the
   * function runs in (its deadline narrowed to the timeout's; its signal, made only when
   * read, aborts at the deadline), and one `AloneRun` (timeout-run.ts) is the timer entry
   * and the state of the call: no inner view, no child scope, no closure but the two the
   * function's promise needs. A call whose deadline has already passed goes through the chain.
   */
  protected override runAlone(ctx: ExecutionContext, link: Link): Promise<unknown> | undefined {
    const now = ctx.clock.now();
    const deadline = this.deadlineOf(ctx, now);
    if (!(deadline > now)) return undefined;
    ctx.narrowDeadline(deadline);
    return new AloneRun(link, ctx, this.effective(ctx, now)).start(deadline);
  }

  /** The effective deadline of a call entering at `now`: `min(enclosing deadline, now + duration)`. */
  private deadlineOf(ctx: ExecutionContext, now: number): number {
    const outer = ctx.deadline;
    const deadline = now + this.duration;
    // Stryker disable next-line EqualityOperator: when the two are equal either one is the deadline
    return outer < deadline ? outer : deadline;
  }

  /** The time the work of a call entering at `now` is given: `deadlineOf(ctx, now) − now`, exactly the duration when that is the nearer deadline. */
  private effective(ctx: ExecutionContext, now: number): number {
    const duration = this.duration;
    const outer = ctx.deadline - now;
    // Stryker disable next-line EqualityOperator: when the two are equal either one is the time given
    return outer < duration ? outer : duration;
  }

  /** A call that enters with its deadline already past: rejected without running. */
  private expiredOnEntry(ctx: ExecutionContext, link: Link, done: Done): void {
    const duration = this.duration;
    // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
    if (link.listening) link.emit<TimeoutEvent>(ctx, { type: 'timeout', duration, effective: 0 });
    done({ ok: false, error: timeoutError(duration) });
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    return { duration: this.duration, strategy: this.strategy };
  }
}

/**
 * Creates a {@link TimeoutPolicy}: `timeout(ms)` or `timeout({ duration, strategy, name, clock })`.
 *
 * The deadline is `min(enclosing deadline, now + duration)`: an inner timeout never
 * outlives an outer one, nor the `deadline` given to `execute()`. A call that enters with
 * its deadline already past rejects with a `TimeoutError` without running.
 *
 * @throws OptionsValidationError when an option is invalid.
 *
 * @example
 * ```ts
 * const fast = timeout(500);
 * const patient = timeout({ duration: 10_000, strategy: 'cooperative' });
 * await fast.execute((ctx) => redis.get('k', { signal: ctx.signal }));
 * ```
 */
export function timeout(durationOrOptions: number | TimeoutOptions): TimeoutPolicy {
  const input = typeof durationOrOptions === 'object' && durationOrOptions !== null ? durationOrOptions : { duration: durationOrOptions };
  return new TimeoutPolicy(validateOptions<TimeoutOptions>('timeout', input, timeoutSchema));
}
