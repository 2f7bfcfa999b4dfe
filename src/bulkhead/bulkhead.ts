/**
 * The bulkhead: a concurrency limit with a bounded FIFO queue, so one slow dependency
 * cannot take every request handler (or every socket) of the process with it.
 *
 * - At most `maxConcurrent` calls run at once; at most `maxQueue` wait, in arrival order.
 * - A released slot goes straight to the oldest waiter, in the same tick (no wake-up of
 *   every waiter, no microtask hop); a waiter whose function finishes synchronously hands
 *   its slot on through a loop, not through recursion.
 * - A waiter whose caller aborts (or whose enclosing timeout expires) leaves the queue at
 *   once and rejects with the abort reason; one that waits longer than `queueTimeout`
 *   leaves and rejects with `BulkheadRejectedError` (`'queue-timeout'`). A waiter that
 *   cannot abort costs no subscription; one with no `queueTimeout` costs no timer.
 * - The uncontended path is a counter increment, one completion closure and a decrement.
 *
 * @packageDocumentation
 */
import { partitionKey } from '../core/partition-key';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { Done } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { validateOptions } from '../core/validation';
import { checkPermits, Compartment, Occupied, rejectCall, type BulkheadStats, type OccupiedSlots, type PartitionedBulkheadStats } from './compartment';
import type { BulkheadEvent } from './events';
import {
  bulkheadDefaults,
  bulkheadSchema,
  partitionedBulkheadSchema,
  type BulkheadOptions,
  type PartitionedBulkheadOptions,
} from './options';
export type { BulkheadStats, OccupiedSlots, PartitionedBulkheadStats };

/**
 * A bulkhead: at most `maxConcurrent` calls of the policy run at once, at most `maxQueue`
 * wait in FIFO order, the rest are rejected with `BulkheadRejectedError`. Make one with
 * {@link bulkhead}.
 *
 * @example
 * ```ts
 * const db = bulkhead({ maxConcurrent: 16, maxQueue: 32, queueTimeout: 250 });
 * const rows = await db.execute((ctx) => pool.query(sql, { signal: ctx.signal }));
 * console.log(db.stats); // { active: 0, queued: 0, maxConcurrent: 16, maxQueue: 32 }
 * ```
 */
export class BulkheadPolicy extends StrategyPolicy<BulkheadEvent> {
  /** The `maxConcurrent` option. */
  readonly maxConcurrent: number;
  /** The `maxQueue` option. */
  readonly maxQueue: number;
  /** The `queueTimeout` option (`Infinity` when none). */
  readonly queueTimeout: number;
  private readonly compartment: Compartment;

  /** @internal Use {@link bulkhead}. */
  constructor(options: BulkheadOptions) {
    const opts = validateOptions<BulkheadOptions>('bulkhead', options, bulkheadSchema);
    super({ kind: 'bulkhead', name: opts.name ?? bulkheadDefaults.name, clock: opts.clock ?? systemClock });
    this.maxConcurrent = opts.maxConcurrent;
    this.maxQueue = opts.maxQueue ?? bulkheadDefaults.maxQueue;
    this.queueTimeout = opts.queueTimeout ?? bulkheadDefaults.queueTimeout;
    this.compartment = new Compartment(this.maxConcurrent, this.maxQueue, this.queueTimeout, this.name, undefined, undefined);
  }

  /** @internal Alone and unheard, with a free slot: the call awaited in place (core/alone.ts). */
  protected override runAlone(ctx: ExecutionContext): Promise<unknown> | undefined {
    // No abort check: execute() has already refused a caller signal aborted on entry, and a
    // call on its own has no other scope that could be.
    const compartment = this.compartment;
    return compartment.admitsNow ? compartment.runAdmitted(ctx) : undefined;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (ctx.aborted) {
      done({ ok: false, error: ctx.scope.reason });
      return;
    }
    this.compartment.enter(ctx, link, done);
  }

  /** Current load and limits (a fresh snapshot on each read). */
  get stats(): BulkheadStats {
    return this.compartment.stats();
  }

  /**
   * Takes up to `permits` free slots outside of any call, at once, and holds them until
   * `release()`: they count in `active` and keep calls out, as if a pool were exhausted.
   * Used by the chaos `exhaustion` fault; also handy in tests.
   *
   * @param permits - slots wanted: an integer ≥ 0, or `Infinity` for every free slot.
   * @param _partition - ignored (this bulkhead has no partitions); accepted so that both
   *   bulkhead kinds share one shape.
   * @returns a handle with `held` (how many it got: never more than the free slots) and `release()`.
   *
   * @example
   * ```ts
   * const hold = pool.occupy(Infinity); // every free slot
   * // ... calls now queue or get rejected ...
   * hold.release();
   * ```
   */
  occupy(permits: number, _partition?: string): OccupiedSlots {
    return this.compartment.occupy(checkPermits(permits));
  }

  protected describeOptions(): Record<string, unknown> {
    return { maxConcurrent: this.maxConcurrent, maxQueue: this.maxQueue, queueTimeout: this.queueTimeout };
  }
}

/**
 * A bulkhead with one set of slots and one queue per key (tenant, lobby, region…), so one
 * busy key cannot starve the others. A partition exists only while it has running or
 * waiting calls (or occupied slots): idle ones are dropped at once. Make one with
 * {@link bulkhead.partitioned}.
 *
 * @example
 * ```ts
 * const perTenant = bulkhead.partitioned({ key: (ctx) => ctx.labels.tenant ?? 'none', maxConcurrent: 4, maxQueue: 8 });
 * await perTenant.execute(() => load(), { labels: { tenant: 't1' } });
 * console.log(perTenant.statsOf('t1'), perTenant.partitions);
 * ```
 */
export class PartitionedBulkheadPolicy extends StrategyPolicy<BulkheadEvent> {
  /** The `maxConcurrent` option (per partition). */
  readonly maxConcurrent: number;
  /** The `maxQueue` option (per partition). */
  readonly maxQueue: number;
  /** The `queueTimeout` option (`Infinity` when none). */
  readonly queueTimeout: number;
  /** The `maxPartitions` option (`Infinity` when none). */
  readonly maxPartitions: number;
  private readonly keyOf: (ctx: ExecutionContext) => string;
  private readonly live = new Map<string, Compartment>();
  private readonly dropIdle = (c: Compartment): void => {
    const key = c.key as string;
    // Stryker disable next-line ConditionalExpression: equivalent — onIdle runs once per compartment (a dropped compartment is idle and nothing enters it again), so the live entry is always c here
    if (this.live.get(key) === c) this.live.delete(key);
  };

  /** @internal Use {@link bulkhead.partitioned}. */
  constructor(options: PartitionedBulkheadOptions) {
    const opts = validateOptions<PartitionedBulkheadOptions>('bulkhead.partitioned', options, partitionedBulkheadSchema);
    super({ kind: 'bulkhead', name: opts.name ?? bulkheadDefaults.name, clock: opts.clock ?? systemClock });
    this.keyOf = opts.key;
    this.maxConcurrent = opts.maxConcurrent;
    this.maxQueue = opts.maxQueue ?? bulkheadDefaults.maxQueue;
    this.queueTimeout = opts.queueTimeout ?? bulkheadDefaults.queueTimeout;
    this.maxPartitions = opts.maxPartitions ?? bulkheadDefaults.maxPartitions;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (ctx.aborted) {
      done({ ok: false, error: ctx.scope.reason });
      return;
    }
    const key = partitionKey(ctx, this.keyOf, `Bulkhead "${this.name}"`);
    if (typeof key !== 'string') {
      done(key);
      return;
    }
    let c = this.live.get(key);
    if (c === undefined) {
      if (this.live.size >= this.maxPartitions) {
        rejectCall(ctx, link, done, this.name, 'full', key, 0, 0);
        return;
      }
      c = this.open(key);
    }
    c.enter(ctx, link, done);
  }

  private open(key: string): Compartment {
    const c = new Compartment(this.maxConcurrent, this.maxQueue, this.queueTimeout, this.name, key, this.dropIdle);
    this.live.set(key, c);
    return c;
  }

  /** Number of live partitions (with running or waiting calls, or occupied slots). */
  get partitions(): number {
    return this.live.size;
  }

  /** Totals over the live partitions (O(partitions)); limits are per partition. */
  get stats(): PartitionedBulkheadStats {
    let active = 0;
    let queued = 0;
    for (const c of this.live.values()) {
      active += c.active;
      queued += c.queue.size;
    }
    return { active, queued, partitions: this.live.size, maxConcurrent: this.maxConcurrent, maxQueue: this.maxQueue };
  }

  /** Load and limits of partition `key` (zeros when it is not live). */
  statsOf(key: string): BulkheadStats {
    const c = this.live.get(key);
    if (c !== undefined) return c.stats();
    return { active: 0, queued: 0, maxConcurrent: this.maxConcurrent, maxQueue: this.maxQueue };
  }

  /**
   * Takes up to `permits` free slots of partition `partition` outside of any call (opening
   * the partition if needed) and holds them until `release()`. Used by the chaos
   * `exhaustion` fault to exhaust one tenant's or lobby's slots.
   *
   * @param permits - slots wanted: an integer ≥ 0, or `Infinity` for every free slot.
   * @param partition - the partition key. Required: a `TypeError` is thrown without it.
   * @returns a handle with `held` (0 when the partition could not be opened because
   *   `maxPartitions` are live) and `release()`.
   *
   * @example
   * ```ts
   * const hold = perTenant.occupy(Infinity, 'tenant-42'); // tenant-42 is exhausted, others are not
   * hold.release();
   * ```
   */
  occupy(permits: number, partition?: string): OccupiedSlots {
    const n = checkPermits(permits);
    if (typeof partition !== 'string') {
      throw new TypeError(`occupy() on partitioned bulkhead "${this.name}" needs a partition key, got ${typeof partition}`);
    }
    let c = this.live.get(partition);
    if (c === undefined) {
      if (this.live.size >= this.maxPartitions || n === 0) return new Occupied(undefined, 0);
      c = this.open(partition);
    }
    return c.occupy(n);
  }

  protected describeOptions(): Record<string, unknown> {
    return {
      key: this.keyOf.name || '(anonymous)',
      maxConcurrent: this.maxConcurrent,
      maxQueue: this.maxQueue,
      queueTimeout: this.queueTimeout,
      maxPartitions: this.maxPartitions,
    };
  }
}

/**
 * Creates a {@link BulkheadPolicy}: at most `maxConcurrent` calls run at once, at most
 * `maxQueue` wait (FIFO), the others reject at once with `BulkheadRejectedError`
 * (`reason: 'full'`). `bulkhead(n)` is short for `bulkhead({ maxConcurrent: n })`.
 *
 * Options are validated at once: an `OptionsValidationError` names every bad field.
 *
 * @example
 * ```ts
 * const payments = bulkhead({ name: 'payments', maxConcurrent: 32, maxQueue: 64, queueTimeout: 500 });
 * await payments.execute((ctx) => gateway.charge(order, { signal: ctx.signal }));
 * const small = bulkhead(4); // 4 at once, no queue
 * ```
 */
export function bulkhead(options: BulkheadOptions | number): BulkheadPolicy {
  return new BulkheadPolicy(typeof options === 'number' ? { maxConcurrent: options } : options);
}

/**
 * Creates a {@link PartitionedBulkheadPolicy}: the limits apply to each key returned by
 * `key(ctx)` separately, so one tenant or lobby cannot starve the others. Idle
 * partitions are dropped at once (memory follows the live keys; cap it with
 * `maxPartitions`). A key function that throws rejects the call with its error.
 *
 * @example
 * ```ts
 * const lobbies = bulkhead.partitioned({
 *   key: (ctx) => ctx.labels.lobby ?? 'none',
 *   maxConcurrent: 2,
 *   maxQueue: 10,
 *   queueTimeout: 1_000,
 * });
 * await lobbies.execute(() => saveMatchState(), { labels: { lobby: 'lobby-7' } });
 * ```
 */
bulkhead.partitioned = function partitioned(options: PartitionedBulkheadOptions): PartitionedBulkheadPolicy {
  return new PartitionedBulkheadPolicy(options);
};
