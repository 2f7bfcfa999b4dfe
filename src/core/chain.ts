/**
 * The compiled chain: a pipeline flattens its policies' strategies into one linked list of
 * {@link Link}s at construction; `execute()` walks it in continuation-passing style, and
 * the last link runs the user's function.
 *
 * @packageDocumentation
 */
import { callFunction } from './alone';
import { observing } from './call-observer';
import type { ExecutionContext } from './context';
import { listenerEpoch, type Emitter, type EventPayload, type ResilienceEvent } from './events';
import { isThenable, type Done, type Outcome } from './outcome';
import { reportInternalError } from './report';

/**
 * @internal One step of a compiled chain. A strategy must call `done` exactly once, and
 * must call `link.next(ctx, done')` to run the rest of the chain (or not, to reject).
 */
export interface Strategy {
  /** Policy kind, e.g. `'retry'`. */
  readonly kind: string;
  /** Policy name. */
  readonly name: string;
  /** Runs the call through this strategy. */
  run(ctx: ExecutionContext, link: Link, done: Done): void;
}

/** @internal A strategy with the emitters that hear its events. */
export interface ChainEntry {
  readonly strategy: Strategy;
  readonly emitters: readonly Emitter<ResilienceEvent>[];
}

/** @internal Runs the user's function and reports its outcome. */
export function invoke(ctx: ExecutionContext, done: Done): void {
  let result: unknown;
  try {
    result = callFunction(ctx);
  } catch (error) {
    done({ ok: false, error });
    return;
  }
  if (isThenable(result)) {
    result.then(
      (value) => settle(ctx, done, { ok: true, value }),
      (error: unknown) => settle(ctx, done, { ok: false, error }),
    );
  } else {
    done({ ok: true, value: result });
  }
}

/**
 * @internal Hands an asynchronous outcome to the chain. A strategy bug that throws here
 * would otherwise leave the caller's promise pending forever and surface as an unhandled
 * rejection; instead it is reported and the caller's promise rejects with it (the
 * strategies are not re-entered).
 */
function settle(ctx: ExecutionContext, done: Done, outcome: Outcome): void {
  try {
    done(outcome);
  } catch (error) {
    reportInternalError(error);
    ctx.call.finish?.({ ok: false, error });
  }
}

/**
 * @internal A position in a compiled chain: what a strategy calls to run the rest of the
 * chain, and where it sends its events.
 */
export class Link {
  constructor(
    readonly strategy: Strategy,
    private readonly emitters: readonly Emitter<ResilienceEvent>[],
    private readonly following: Link | undefined,
  ) {}

  /** Runs the rest of the chain (ending in the user's function). */
  next(ctx: ExecutionContext, done: Done): void {
    const f = this.following;
    if (f === undefined) invoke(ctx, done);
    else f.strategy.run(ctx, f, done);
  }

  /**
   * True when someone listens to this strategy's events (check it before building one): a
   * listener, or an observed call somewhere (see `core/call-observer.ts`).
   */
  get listening(): boolean {
    return this.seen === listenerEpoch() ? this.heard : this.look();
  }

  /** The {@link listenerEpoch} at which {@link heard} was computed (-1: never). */
  private seen = -1;
  /** Whether anyone listened at epoch {@link seen}. */
  // Stryker disable next-line BooleanLiteral: equivalent — `seen` starts at -1, which no epoch equals, so `heard` is computed before it is first read
  private heard = false;

  /** Asks the emitters and the observation count again, and remembers the answer for this epoch. */
  private look(): boolean {
    let heard = observing();
    const es = this.emitters;
    for (let i = 0; !heard && i < es.length; i++) heard = (es[i] as Emitter<ResilienceEvent>).size > 0;
    this.seen = listenerEpoch();
    this.heard = heard;
    return heard;
  }

  /** Emits an event of this strategy for the call `ctx`. */
  emit<E extends ResilienceEvent>(ctx: ExecutionContext, payload: EventPayload<E>): void {
    const event = {
      kind: this.strategy.kind,
      policy: this.strategy.name,
      pipeline: ctx.pipelineName,
      operation: ctx.operation,
      labels: ctx.labels,
      time: ctx.clock.now(),
      ...payload,
    } as unknown as ResilienceEvent;
    const es = this.emitters;
    for (let i = 0; i < es.length; i++) (es[i] as Emitter<ResilienceEvent>).emit(event);
    const observer = ctx.call.observer;
    if (observer !== undefined) {
      try {
        observer.event(event, ctx);
      } catch (error) {
        reportInternalError(error);
      }
    }
  }
}

/** @internal Compiles entries into a chain; returns its head (undefined for an empty chain). */
export function compile(entries: readonly ChainEntry[]): Link | undefined {
  let head: Link | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i] as ChainEntry;
    head = new Link(e.strategy, e.emitters, head);
  }
  return head;
}
