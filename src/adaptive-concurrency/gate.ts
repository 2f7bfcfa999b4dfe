/**
 * The mechanism of an adaptive limit, shared by the plain and the partitioned policy: the
 * calls in flight, the FIFO queue of waiters, and the estimator that moves the limit. One
 * gate per limiter, or per partition.
 *
 * - A call is admitted while fewer than the (admission) limit are in flight and nobody
 *   waits; it is timed only when the estimator asks (see `estimator.ts`), so an uncontended
 *   call reads no clock.
 * - When a call settles, its latency becomes a sample unless the caller cancelled it or it
 *   failed with an error `handle` does not count (those say nothing about the dependency's
 *   load); a counted failure is a drop. Rejected calls never ran, so they are no samples.
 * - A freed slot, or a limit that rose, goes to the oldest waiters at once, in a loop (a
 *   waiter whose function settles synchronously does not recurse).
 * - When the limit falls below the calls in flight, nothing is admitted until enough of
 *   them have settled; calls already running are never interrupted.
 *
 * @packageDocumentation
 */
import { callFunction } from '../core/alone';
import { Handling, type Classifier } from '../core/classify';
import type { Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { Done, Outcome } from '../core/outcome';
import type { Link } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { waitFor, type WaitEnd } from '../core/wait';
import { ConcurrencyLimitedError, type ConcurrencyLimitReason } from './errors';
import { SPARSE_SAMPLING, type LimitEstimator } from './estimator';
import type { AdaptiveLimitChangedEvent, AdaptiveLimitQueuedEvent, AdaptiveLimitRejectedEvent } from './events';
import { LinkedQueue } from '../core/queue';
import { Waiter } from '../core/waiter';

/**
 * A snapshot of an adaptive limit (or of one partition of a partitioned one).
 *
 * @example
 * ```ts
 * const { limit, inFlight } = db.stats;
 * gauge.set(inFlight / limit); // utilization of the current limit
 * ```
 */
export interface AdaptiveConcurrencyStats {
  /** The current concurrency limit. */
  readonly limit: number;
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
  /** The estimated no-load latency (ms) of the dependency; `NaN` until the first window. */
  readonly noLoadLatency: number;
  /** True while a probe caps admissions at part of the limit to measure the no-load latency. */
  readonly probing: boolean;
}

/** @internal What a gate needs from its policy. */
export interface GateSettings {
  /** The limiter's name (for errors). */
  readonly name: string;
  /** The clock latency is measured on. */
  readonly clock: Clock;
  /** Which outcomes are drops, which are ignored. */
  readonly classifier: Classifier;
  /** The `maxQueue` option. */
  readonly maxQueue: number;
  /** The `queueTimeout` option. */
  readonly queueTimeout: number;
}

const ELAPSED: WaitEnd = { aborted: false };

/** @internal Emits the rejection event (if anyone listens) and rejects the call. */
export function rejectCall(
  ctx: ExecutionContext,
  link: Link,
  done: Done,
  limiter: string,
  reason: ConcurrencyLimitReason,
  partition: string | undefined,
  limit: number,
  inFlight: number,
  queued: number,
): void {
  if (link.listening) link.emit<AdaptiveLimitRejectedEvent>(ctx, { type: 'rejected', reason, partition, limit, inFlight, queued });
  done({ ok: false, error: ConcurrencyLimitedError.create(limiter, reason, limit, partition) });
}

/** @internal The calls in flight, the queue and the estimator of one limit. */
export class Gate {
  /** Calls running now. */
  inFlight = 0;
  readonly queue = new LinkedQueue<Waiter>();
  /** True while {@link Gate.pump} hands slots to waiters (guards re-entry). */
  private draining = false;
  /** The estimator's admission limit, cached (it only changes when a window closes). */
  private admission: number;
  /** The estimator's `timedFrom`, cached likewise. */
  private timedFrom: number;
  /** Calls admitted below `timedFrom` since the last timed one of them. */
  private skipped = 0;
  private readonly clock: Clock;

  constructor(
    readonly settings: GateSettings,
    readonly estimator: LimitEstimator,
    readonly key: string | undefined,
    private readonly onIdle: ((gate: Gate) => void) | undefined,
  ) {
    this.clock = settings.clock;
    this.admission = estimator.admissionLimit;
    this.timedFrom = estimator.timedFrom;
  }

  /** True when a call arriving now runs at once (a free slot under the limit, and nobody waiting before it). */
  get admitsNow(): boolean {
    return this.inFlight < this.admission && this.queue.size === 0;
  }

  /**
   * @internal The promise-native path of a call that {@link Gate.admitsNow} (see
   * `core/alone.ts`): takes a slot, awaits the function, records it if timed, gives the slot
   * back. Only for a policy running alone with nobody listening, so it emits nothing.
   */
  runAdmitted(ctx: ExecutionContext): Promise<unknown> {
    const inFlight = ++this.inFlight;
    // Stryker disable next-line UpdateOperator: equivalent — counting down reaches a multiple of 32 at the same calls (-32 % 32 is -0, and -0 === 0)
    return inFlight >= this.timedFrom || ++this.skipped % SPARSE_SAMPLING === 0 ? this.runTimed(ctx, inFlight) : this.runUntimed(ctx);
  }

  private async runUntimed(ctx: ExecutionContext): Promise<unknown> {
    let value: unknown;
    try {
      value = await callFunction(ctx);
    } catch (error) {
      this.inFlight--;
      this.released();
      ctx.dispose();
      throw error;
    }
    this.inFlight--;
    this.released();
    ctx.dispose();
    return value;
  }

  private async runTimed(ctx: ExecutionContext, inFlight: number): Promise<unknown> {
    const start = this.clock.now();
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: await callFunction(ctx) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    this.inFlight--;
    this.record(ctx, undefined, outcome, start, inFlight);
    this.released();
    ctx.dispose();
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  /** Admits, queues or rejects a call whose scope is not aborted. */
  enter(ctx: ExecutionContext, link: Link, done: Done): void {
    const queue = this.queue;
    if (this.inFlight < this.admission && queue.size === 0) {
      this.admit(ctx, link, done);
      return;
    }
    if (queue.size >= this.settings.maxQueue) {
      rejectCall(ctx, link, done, this.settings.name, 'full', this.key, this.estimator.limit, this.inFlight, queue.size);
      return;
    }
    const waiter = new Waiter(ctx, link, done);
    queue.push(waiter);
    if (link.listening) link.emit<AdaptiveLimitQueuedEvent>(ctx, { type: 'queued', partition: this.key, queued: queue.size });
    // A listener may have freed a slot (and so admitted the waiter) synchronously.
    if (!waiter.queued) return;
    const wait = this.settings.queueTimeout;
    // Subscribe to aborts only when the call can abort; arm a timer only with a queue timeout.
    if (ctx.abortable) {
      const cancel = waitFor(ctx, wait, (end) => this.leave(waiter, end));
      if (waiter.queued) waiter.cancelWait = cancel;
    } else if (wait !== Number.POSITIVE_INFINITY) {
      waiter.timer = timerServiceFor(ctx.clock).schedule(ctx.clock.now() + wait, () => this.leave(waiter, ELAPSED));
    }
  }

  /**
   * Runs the call in a slot; the slot is freed when the inner chain settles. A call is timed
   * (see `LimitEstimator.wantsSample`) from `timedFrom` in flight on, one in 32 below.
   */
  private admit(ctx: ExecutionContext, link: Link, done: Done): void {
    const inFlight = ++this.inFlight;
    // Stryker disable next-line UpdateOperator: equivalent — counting down reaches a multiple of 32 at the same calls (-32 % 32 is -0, and -0 === 0)
    if (inFlight >= this.timedFrom || ++this.skipped % SPARSE_SAMPLING === 0) {
      this.admitTimed(ctx, link, done, inFlight);
      return;
    }
    let finished = false;
    link.next(ctx, (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      this.inFlight--;
      this.released();
      done(outcome);
    });
  }

  /** Like {@link Gate.admit}, and the call's latency becomes a sample when it settles. */
  private admitTimed(ctx: ExecutionContext, link: Link, done: Done, inFlight: number): void {
    const start = this.clock.now();
    let finished = false;
    link.next(ctx, (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      this.inFlight--;
      this.record(ctx, link, outcome, start, inFlight);
      this.released();
      done(outcome);
    });
  }

  /** Turns a timed call's outcome into a sample (or not) and reports a new limit (through `link`, when given). */
  private record(ctx: ExecutionContext, link: Link | undefined, outcome: Outcome, start: number, inFlight: number): void {
    const handling = this.settings.classifier.classify(outcome, ctx);
    if (handling === Handling.Ignored) return;
    const estimator = this.estimator;
    const previous = estimator.limit;
    if (!estimator.sample(this.clock.now() - start, inFlight, handling === Handling.Failure)) return;
    this.admission = estimator.admissionLimit;
    this.timedFrom = estimator.timedFrom;
    const limit = estimator.limit;
    if (limit !== previous && link !== undefined && link.listening) {
      link.emit<AdaptiveLimitChangedEvent>(ctx, {
        type: 'limit-changed',
        previous,
        limit,
        partition: this.key,
        latency: estimator.lastLatency,
        noLoadLatency: estimator.noLoadLatency,
        inFlight: this.inFlight,
      });
    }
  }

  /** A slot was freed (or the limit rose): waiters take the free slots, or the gate goes idle. */
  private released(): void {
    // Inside pump(), the running loop admits the next waiters and checks idleness.
    if (this.draining) return;
    if (this.queue.size > 0) this.pump();
    else if (this.inFlight === 0 && this.onIdle !== undefined) this.onIdle(this);
  }

  /** Hands free slots to waiters, oldest first. A loop, so synchronous calls do not recurse. */
  private pump(): void {
    this.draining = true;
    try {
      const queue = this.queue;
      while (this.inFlight < this.admission) {
        const waiter = queue.shift();
        if (waiter === undefined) break;
        waiter.stopWaiting();
        this.admit(waiter.ctx, waiter.link, waiter.done);
      }
    } finally {
      this.draining = false;
    }
    if (this.inFlight === 0 && this.queue.size === 0 && this.onIdle !== undefined) this.onIdle(this);
  }

  /** A waiter's caller aborted or its queue wait timed out: it leaves the queue now. */
  private leave(waiter: Waiter, end: WaitEnd): void {
    if (!this.queue.remove(waiter)) return;
    waiter.stopWaiting();
    if (!this.draining && this.inFlight === 0 && this.queue.size === 0 && this.onIdle !== undefined) this.onIdle(this);
    if (end.aborted) waiter.done({ ok: false, error: end.reason });
    else rejectCall(waiter.ctx, waiter.link, waiter.done, this.settings.name, 'queue-timeout', this.key, this.estimator.limit, this.inFlight, this.queue.size);
  }

  stats(): AdaptiveConcurrencyStats {
    const e = this.estimator;
    return { limit: e.limit, inFlight: this.inFlight, queued: this.queue.size, noLoadLatency: e.noLoadLatency, probing: e.probing };
  }
}
