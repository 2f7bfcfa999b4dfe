/**
 * The bulkhead's mechanism, shared by the plain and the partitioned bulkhead: one set of
 * slots and one FIFO queue (a compartment), its waiters, its occupied-slot leases, and the
 * stats it reports.
 *
 * @packageDocumentation
 */
import { callFunction } from '../core/alone';
import type { ExecutionContext } from '../core/context';
import { BulkheadRejectedError } from '../core/errors';
import type { Done, Outcome } from '../core/outcome';
import type { Link } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { waitFor, type WaitEnd } from '../core/wait';
import type { BulkheadQueuedEvent, BulkheadRejectedEvent, BulkheadRejectionReason } from './events';
import { LinkedQueue } from '../core/queue';
import { Waiter } from '../core/waiter';

/**
 * A snapshot of a bulkhead's (or one partition's) load and limits.
 *
 * @example
 * ```ts
 * const { active, maxConcurrent } = pool.stats;
 * gauge.set(active / maxConcurrent); // utilization
 * ```
 */
export interface BulkheadStats {
  /** Calls running now, plus slots held by {@link BulkheadPolicy.occupy}. */
  readonly active: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
  /** The `maxConcurrent` option. */
  readonly maxConcurrent: number;
  /** The `maxQueue` option. */
  readonly maxQueue: number;
}

/**
 * A snapshot of a partitioned bulkhead: totals over its live partitions.
 *
 * @example
 * ```ts
 * const { partitions, active } = perTenant.stats;
 * ```
 */
export interface PartitionedBulkheadStats extends BulkheadStats {
  /** Live partitions (those with running or waiting calls, or occupied slots). */
  readonly partitions: number;
}

/**
 * Slots taken by `occupy()` outside of any call (the chaos `exhaustion` fault uses it to
 * simulate an exhausted pool). `release()` is idempotent and hands the slots to waiters.
 *
 * @example
 * ```ts
 * const slots = pool.occupy(2);
 * slots.held; // 2, or fewer if fewer were free
 * slots.release();
 * ```
 */
export interface OccupiedSlots {
  /** How many slots this handle holds now (0 once released). */
  readonly held: number;
  /** Frees the slots; the oldest waiters get them at once. Calling it again does nothing. */
  release(): void;
}

const ELAPSED: WaitEnd = { aborted: false };

/** @internal A lease of occupied slots (`occupy()`); release() gives them back once. */
export class Occupied implements OccupiedSlots {
  private count: number;
  constructor(
    private readonly compartment: Compartment | undefined,
    count: number,
  ) {
    this.count = count;
  }
  get held(): number {
    return this.count;
  }
  release(): void {
    const n = this.count;
    // Stryker disable next-line ConditionalExpression: equivalent — releasing 0 slots moves no count; a live compartment is then neither idle nor able to admit a waiter (outside a hand-off a waiter means every slot is taken; inside one release() returns early), and dropIdle ignores a dropped one
    if (n === 0) return;
    this.count = 0;
    this.compartment?.release(n);
  }
}

/** @internal */
export function rejectCall(
  ctx: ExecutionContext,
  link: Link,
  done: Done,
  bulkheadName: string,
  reason: BulkheadRejectionReason,
  partition: string | undefined,
  active: number,
  queued: number,
): void {
  // Stryker disable next-line ConditionalExpression: equivalent — with no listener and no call observer, emit() reaches no one; the check only skips building the event
  if (link.listening) link.emit<BulkheadRejectedEvent>(ctx, { type: 'rejected', reason, partition, active, queued });
  done({ ok: false, error: BulkheadRejectedError.create(bulkheadName, reason, partition) });
}

/** @internal */
export function checkPermits(permits: unknown): number {
  if (permits === Number.POSITIVE_INFINITY || (Number.isInteger(permits) && (permits as number) >= 0)) return permits as number;
  throw new RangeError(`occupy() expects \`permits\` to be an integer ≥ 0 (or Infinity), got ${String(permits)}`);
}

/**
 * @internal The slots and queue of a bulkhead, or of one partition of a partitioned one.
 */
/** @internal */
export class Compartment {
  active = 0;
  readonly queue = new LinkedQueue<Waiter>();
  /** True while {@link Compartment.pump} is handing slots to waiters (guards re-entry). */
  private draining = false;

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
    readonly queueTimeout: number,
    readonly bulkheadName: string,
    readonly key: string | undefined,
    private readonly onIdle: ((c: Compartment) => void) | undefined,
  ) {}

  /** Admits, queues or rejects a call whose scope is not aborted. */
  enter(ctx: ExecutionContext, link: Link, done: Done): void {
    const queue = this.queue;
    if (this.admitsNow) {
      this.admit(ctx, link, done);
      return;
    }
    if (queue.size >= this.maxQueue) {
      rejectCall(ctx, link, done, this.bulkheadName, 'full', this.key, this.active, queue.size);
      return;
    }
    const waiter = new Waiter(ctx, link, done);
    queue.push(waiter);
    // Stryker disable next-line ConditionalExpression: equivalent — with no listener and no call observer, emit() reaches no one; the check only skips building the event
    if (link.listening) link.emit<BulkheadQueuedEvent>(ctx, { type: 'queued', partition: this.key, queued: queue.size });
    // A listener may have released slots (and so admitted the waiter) synchronously.
    if (!waiter.queued) return;
    const wait = this.queueTimeout;
    // Subscribe to aborts only when the call can abort (a caller signal, or an enclosing
    // timeout's scope); arm a timer only when a queue timeout is set.
    // Stryker disable next-line ConditionalExpression: equivalent — for a call nothing can abort, waitFor() arms the same queue timer plus a subscription that never fires; the check only saves that subscription
    if (ctx.abortable) {
      const cancel = waitFor(ctx, wait, (end) => this.leave(waiter, end));
      // Stryker disable next-line ConditionalExpression: equivalent — a waiter already out of the queue here was settled synchronously by waitFor(), which then returns a no-op cancel, and its stopWaiting() has already run
      if (waiter.queued) waiter.cancelWait = cancel;
    } else if (wait !== Number.POSITIVE_INFINITY) {
      waiter.timer = timerServiceFor(ctx.clock).schedule(ctx.clock.now() + wait, () => this.leave(waiter, ELAPSED));
    }
  }

  /** Runs the call in a slot; the slot is freed when the inner chain settles. */
  /** True when a call arriving now runs at once (a free slot and nobody waiting before it). */
  get admitsNow(): boolean {
    return this.active < this.maxConcurrent && this.queue.size === 0;
  }

  /**
   * @internal The promise-native path of a call that {@link Compartment.admitsNow}: takes a
   * slot, awaits the function, gives the slot back (see core/alone.ts).
   */
  async runAdmitted(ctx: ExecutionContext): Promise<unknown> {
    this.active++;
    let value: unknown;
    try {
      value = await callFunction(ctx);
    } catch (error) {
      this.release(1);
      ctx.dispose();
      throw error;
    }
    this.release(1);
    ctx.dispose();
    return value;
  }

  private admit(ctx: ExecutionContext, link: Link, done: Done): void {
    this.active++;
    let finished = false;
    link.next(ctx, (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      this.release(1);
      done(outcome);
    });
  }

  /** Frees `n` slots: the oldest waiters take them at once. */
  release(n: number): void {
    this.active -= n;
    // Inside pump(), the running loop admits the next waiters and checks idleness.
    if (this.draining) return;
    // Stryker disable next-line EqualityOperator: equivalent — pump() on an empty queue admits no one and ends with the same idle check as the else branch
    if (this.queue.size > 0) this.pump();
    else if (this.active === 0 && this.onIdle !== undefined) this.onIdle(this);
  }

  /** Hands free slots to waiters, oldest first. A loop, so synchronous calls do not recurse. */
  private pump(): void {
    this.draining = true;
    try {
      const queue = this.queue;
      while (this.active < this.maxConcurrent) {
        const waiter = queue.shift();
        if (waiter === undefined) break;
        waiter.stopWaiting();
        this.admit(waiter.ctx, waiter.link, waiter.done);
      }
    } finally {
      this.draining = false;
    }
    // Stryker disable next-line ConditionalExpression: equivalent — the loop above only stops with no slot taken when the queue is empty, so `queue.size === 0` always holds when `active === 0`
    if (this.active === 0 && this.queue.size === 0 && this.onIdle !== undefined) this.onIdle(this);
  }

  /** A waiter's caller aborted or its queue wait timed out: it leaves the queue now. */
  private leave(waiter: Waiter, end: WaitEnd): void {
    if (!this.queue.remove(waiter)) return;
    waiter.stopWaiting();
    // Stryker disable next-line BooleanLiteral: equivalent — outside a hand-off a waiter in the queue means every slot is taken, so only inside pump() can this leave an idle compartment, and pump() ends with the same idle check (without the guard the partition would only be dropped earlier within that same synchronous hand-off)
    if (!this.draining && this.active === 0 && this.queue.size === 0 && this.onIdle !== undefined) this.onIdle(this);
    if (end.aborted) waiter.done({ ok: false, error: end.reason });
    else rejectCall(waiter.ctx, waiter.link, waiter.done, this.bulkheadName, 'queue-timeout', this.key, this.active, this.queue.size);
  }

  /** Takes up to `permits` free slots outside of any call. */
  occupy(permits: number): OccupiedSlots {
    const take = Math.min(permits, Math.max(0, this.maxConcurrent - this.active));
    this.active += take;
    return new Occupied(this, take);
  }

  stats(): BulkheadStats {
    return { active: this.active, queued: this.queue.size, maxConcurrent: this.maxConcurrent, maxQueue: this.maxQueue };
  }
}

