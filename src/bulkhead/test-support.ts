/**
 * @internal Helpers for the bulkhead tests (not exported from the package): a strategy
 * that opens a cancellation scope (what a timeout does), and one that counts how often the
 * inner chain settles each call.
 */
import { systemClock, type Clock } from '../core/clock';
import type { CancellationScope, ExecutionContext } from '../core/context';
import type { Done, Outcome } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';

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
