/**
 * @internal Tiny strategies used by core tests to observe the chain without depending on
 * any real policy. Not exported from the package.
 */
import { systemClock, type Clock } from '../../src/core/clock';
import type { ExecutionContext } from '../../src/core/context';
import type { ResilienceEvent } from '../../src/core/events';
import type { Done } from '../../src/core/outcome';
import { StrategyPolicy, type Link } from '../../src/core/policy';

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
