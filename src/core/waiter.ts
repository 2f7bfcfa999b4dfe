/**
 * @internal A call waiting in a queue for a slot: the bulkhead's compartments and the
 * adaptive limit's gates queue the same kind of node.
 *
 * @packageDocumentation
 */
import type { Link } from './chain';
import type { ExecutionContext } from './context';
import type { Done } from './outcome';
import type { QueueNode } from './queue';
import { keepShape } from './shapes';
import type { TimerEntry } from './timer-service';

/** @internal A call waiting in a queue (a {@link LinkedQueue} node) until it is admitted or leaves. */
export class Waiter implements QueueNode<Waiter> {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  // Stryker disable next-line BooleanLiteral: equivalent — push() sets `queued` before anything reads it
  queued = false;
  /** Cancels the abort-aware wait (abort subscription and queue timer), for calls that can abort. */
  cancelWait: (() => void) | undefined = undefined;
  /** The queue timer, for calls that cannot abort. */
  timer: TimerEntry | undefined = undefined;
  constructor(
    readonly ctx: ExecutionContext,
    readonly link: Link,
    readonly done: Done,
  ) {}
  /** Drops the timer and the abort subscription, if any (idempotent). */
  stopWaiting(): void {
    const cancel = this.cancelWait;
    if (cancel !== undefined) {
      this.cancelWait = undefined;
      cancel();
    }
    const timer = this.timer;
    if (timer !== undefined) {
      this.timer = undefined;
      timer.cancel();
    }
  }
}

// Its map outlives a full GC between two queues (see core/shapes.ts).
keepShape(new Waiter(undefined as unknown as ExecutionContext, undefined as unknown as Link, undefined as unknown as Done));
