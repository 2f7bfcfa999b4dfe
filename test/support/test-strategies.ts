/**
 * @internal The one home of the tiny strategies that tests put into a chain to observe or
 * disturb it without depending on any real policy (tracing, rejecting, opening a
 * cancellation scope, counting outcomes, settling twice, tapping the context). Not
 * exported from the package.
 */
import { systemClock, type Clock } from '../../src/core/clock';
import type { ExecutionContext } from '../../src/core/context';
import type { CancellationScope } from '../../src/core/cancellation-scope';
import type { ResilienceEvent } from '../../src/core/events';
import type { Done, Outcome } from '../../src/core/outcome';
import { pipeline, StrategyPolicy, type Link, type Policy } from '../../src/core/policy';
import type { ExecutedEvent } from '../../src/core/events';
import { hedging } from '../../src/hedging/hedging';
import type { VirtualClock } from '../../src/testing/virtual-clock';

/** @internal */
export interface TraceEvent extends ResilienceEvent {
  readonly kind: 'trace';
  readonly type: 'enter' | 'exit';
  readonly ok?: boolean;
}

/** @internal Records enter/exit into `log` and emits trace events. */
export class TracePolicy extends StrategyPolicy<TraceEvent> {
  constructor(
    name: string,
    private readonly log: string[],
    clock: Clock = systemClock,
  ) {
    super({ kind: 'trace', name, clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    this.log.push(`enter ${this.name}`);
    if (link.listening) link.emit<TraceEvent>(ctx, { type: 'enter' });
    link.next(ctx, (o) => {
      this.log.push(`exit ${this.name}`);
      if (link.listening) link.emit<TraceEvent>(ctx, { type: 'exit', ok: o.ok });
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return { log: 'array' };
  }
}

/** @internal Rejects every call with `error` without running it. */
export class RejectPolicy extends StrategyPolicy<never> {
  constructor(private readonly error: unknown) {
    super({ kind: 'reject', name: 'reject', clock: systemClock });
  }
  run(_ctx: ExecutionContext, _link: Link, done: Done): void {
    done({ ok: false, error: this.error });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

/** @internal Opens a child scope around the inner chain; the test aborts it by hand. */
export class ScopePolicy extends StrategyPolicy<never> {
  readonly scopes: CancellationScope[] = [];
  constructor(clock: Clock = systemClock) {
    super({ kind: 'test-scope', name: 'test-scope', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const inner = ctx.withScope(ctx.deadline);
    const scope = inner.scope;
    this.scopes.push(scope);
    link.next(inner, (o) => {
      scope.dispose();
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

/** @internal Counts the outcomes the inner chain delivers per call (keyed by the `id` label). */
export class SettleProbe extends StrategyPolicy<never> {
  readonly settled = new Map<string, Outcome[]>();
  constructor(clock: Clock = systemClock) {
    super({ kind: 'test-probe', name: 'test-probe', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const id = ctx.labels['id'] ?? '?';
    link.next(ctx, (o) => {
      const list = this.settled.get(id) ?? [];
      list.push(o);
      this.settled.set(id, list);
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

/** @internal Calls the inner chain's `done` twice (a misbehaving inner strategy). */
export class DoubleDonePolicy extends StrategyPolicy<never> {
  constructor(clock: Clock = systemClock) {
    super({ kind: 'test-double', name: 'test-double', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    link.next(ctx, (o) => {
      done(o);
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

/** @internal Calls `onOutcome(ctx)` synchronously when the inner chain settles, before passing the outcome on. */
export class TapPolicy extends StrategyPolicy<never> {
  constructor(
    private readonly onOutcome: (ctx: ExecutionContext) => void,
    clock: Clock = systemClock,
  ) {
    super({ kind: 'test-tap', name: 'test-tap', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    link.next(ctx, (o) => {
      this.onOutcome(ctx);
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

/** @internal Hands the call on only after `ms` on the clock, whatever happens meanwhile (what a queue or a slow gate does). */
export class LatePolicy extends StrategyPolicy<never> {
  constructor(
    clock: Clock,
    private readonly ms: number,
  ) {
    super({ kind: 'late', name: 'late', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    ctx.clock.setTimeout(() => link.next(ctx, done), this.ms);
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

/**
 * @internal The attempt counts that the `executed` events report for one call through
 * `pipeline(hedging({ delay: 10 }), new LatePolicy(20), inner)` on `clock`, where the function
 * answers its attempt number 1 ms after it starts: the outer hedging starts attempt 2 at
 * 10 ms, and attempt 1 reaches `inner` only at 20 ms and wins at 21 ms. Also returns the
 * call's value (the winning attempt's number).
 */
export async function lateHedgedCall(clock: VirtualClock, inner: Policy): Promise<{ value: unknown; attempts: number[] }> {
  const p = pipeline({ clock }, hedging({ delay: 10, clock }), new LatePolicy(clock, 20), inner);
  const attempts: number[] = [];
  p.on('executed', (e) => attempts.push((e as ExecutedEvent).attempts));
  const call = p.execute((ctx) => new Promise((resolve) => clock.setTimeout(() => resolve(ctx.attempt), 1)));
  await clock.runAll();
  return { value: await call, attempts };
}
