/**
 * The timeout policy: a deadline on the call, nested under any enclosing deadline.
 *
 * Cost on the success path: one clock read, one timer-service entry (scheduled and
 * cancelled: no host `setTimeout` per call), one child cancellation scope (no
 * `AbortController` unless the function reads `ctx.signal`) and one closure that is both
 * the inner `done` and the timer callback.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { TimeoutError, withoutStack } from '../core/errors';
import type { Done, Outcome } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { timerServiceFor, type TimerService } from '../core/timer-service';
import { validateOptions } from '../core/validation';
import type { TimeoutEvent } from './events';
import { timeoutDefaults, timeoutSchema, type TimeoutOptions, type TimeoutStrategy } from './options';

function timeoutError(duration: number, cause?: unknown): TimeoutError {
  return withoutStack(() => (cause === undefined ? new TimeoutError(duration) : new TimeoutError(duration, { cause })));
}

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
  private readonly cooperative: boolean;
  private serviceClock: Clock | undefined = undefined;
  private service: TimerService | undefined = undefined;

  /** @internal Use {@link timeout}. */
  constructor(options: TimeoutOptions) {
    super({ kind: 'timeout', name: options.name ?? timeoutDefaults.name, clock: options.clock ?? systemClock });
    this.duration = options.duration;
    this.strategy = options.strategy ?? timeoutDefaults.strategy;
    this.cooperative = this.strategy === 'cooperative';
  }

  private timers(clock: Clock): TimerService {
    // Stryker disable next-line ConditionalExpression: timerServiceFor returns the one service of a clock, so asking again changes nothing
    if (clock !== this.serviceClock) {
      this.service = timerServiceFor(clock);
      this.serviceClock = clock;
    }
    return this.service as TimerService;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const duration = this.duration;
    const now = ctx.clock.now();
    const outer = ctx.deadline;
    let deadline = now + duration;
    // Stryker disable next-line EqualityOperator: when the two are equal either one is the deadline
    if (outer < deadline) deadline = outer;
    if (!(deadline > now)) {
      // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
      if (link.listening) link.emit<TimeoutEvent>(ctx, { type: 'timeout', duration, effective: 0 });
      done({ ok: false, error: timeoutError(duration) });
      return;
    }
    const cooperative = this.cooperative;
    const inner = ctx.withScope(deadline);
    const scope = inner.scope;
    // 0 running, 1 expired (cooperative: waiting for the function), 2 settled.
    let state = 0;
    let reason: TimeoutError | undefined;
    // One closure serves as both the inner chain's `done` (called with the outcome) and the
    // timer callback (called with no argument).
    const settle = (o?: Outcome): void => {
      if (state === 2) return;
      if (o === undefined) {
        // Stryker disable next-line ConditionalExpression: the timer entry fires once and is the only caller without an outcome, so state is 0 here
        if (state !== 0) return;
        state = 1;
        const error = (reason = timeoutError(duration));
        // Stryker disable next-line ConditionalExpression: an event emitted with nobody listening reaches no one; the check only saves building it
        if (link.listening) link.emit<TimeoutEvent>(ctx, { type: 'timeout', duration, effective: deadline - now });
        if (!cooperative) {
          state = 2;
          scope.abort(error); // may settle inner waits synchronously: they find state 2 and are dropped
          scope.dispose();
          done({ ok: false, error });
          return;
        }
        scope.abort(error); // cooperative: the function settles the call (possibly right now)
        return;
      }
      const expired = state === 1;
      state = 2;
      // Stryker disable next-line ConditionalExpression: cancelling a timer entry that already fired does nothing
      if (!expired) entry.cancel();
      scope.dispose();
      if (expired && !o.ok && o.error !== reason) done({ ok: false, error: timeoutError(duration, o.error) });
      else done(o);
    };
    const entry = this.timers(ctx.clock).schedule(deadline, settle);
    link.next(inner, settle);
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
