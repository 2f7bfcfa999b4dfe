/**
 * Options of the bulkhead policies, their defaults and validation schemas.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { rules, type Schema } from '../core/validation';

/**
 * Options of {@link bulkhead}.
 *
 * @example
 * ```ts
 * const options: BulkheadOptions = { name: 'db', maxConcurrent: 16, maxQueue: 32, queueTimeout: 250 };
 * const db = bulkhead(options);
 * ```
 */
export interface BulkheadOptions {
  /**
   * How many calls may run at once (slots). Required: an integer ≥ 1.
   * Size it with Little's law: throughput (calls/s) × latency (s), plus headroom.
   */
  readonly maxConcurrent: number;
  /**
   * How many calls may wait for a slot, in arrival order, beyond which calls are rejected
   * with `BulkheadRejectedError` (`reason: 'full'`). `0` rejects as soon as every slot is
   * taken; `Infinity` never rejects (an unbounded queue: use with `queueTimeout`).
   * @defaultValue `0`
   */
  readonly maxQueue?: number | undefined;
  /**
   * Longest time (ms) a call may wait in the queue; after it, the call leaves the queue and
   * rejects with `BulkheadRejectedError` (`reason: 'queue-timeout'`). A number > 0, or
   * `Infinity`.
   * @defaultValue `Infinity` (wait until a slot frees, the caller aborts, or an enclosing timeout expires)
   */
  readonly queueTimeout?: number | undefined;
  /** Name used in events, metrics and errors. @defaultValue `'bulkhead'` */
  readonly name?: string | undefined;
  /** Clock for queue timeouts and event times. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
}

/**
 * Options of {@link bulkhead.partitioned}: the limits apply to each partition separately.
 *
 * @example
 * ```ts
 * const perTenant = bulkhead.partitioned({ key: (ctx) => ctx.labels.tenant ?? 'none', maxConcurrent: 4, maxQueue: 8 });
 * ```
 */
export interface PartitionedBulkheadOptions extends BulkheadOptions {
  /**
   * Picks the partition of a call, e.g. `(ctx) => ctx.labels.tenant ?? 'anonymous'`. Calls
   * with the same key share one partition's slots and queue. A key function that throws
   * (or returns a non-string) rejects the call with that error (a `TypeError` for a
   * non-string) without running it.
   */
  readonly key: (ctx: ExecutionContext) => string;
  /**
   * Most partitions alive at once. A partition lives while it has running or waiting calls
   * (or occupied slots) and is dropped the moment it goes idle, so memory is bounded by the
   * live keys. A call that would open a partition beyond this rejects with
   * `BulkheadRejectedError` (`reason: 'full'`).
   * @defaultValue `Infinity`
   */
  readonly maxPartitions?: number | undefined;
}

/**
 * Default values of the optional bulkhead options.
 *
 * @example
 * ```ts
 * bulkheadDefaults.maxQueue; // 0: reject as soon as every slot is taken
 * ```
 */
export const bulkheadDefaults = {
  /** Default of {@link BulkheadOptions.maxQueue}: no queue, reject when every slot is taken. */
  maxQueue: 0,
  /** Default of {@link BulkheadOptions.queueTimeout} (ms): queued calls wait without a limit. */
  queueTimeout: Number.POSITIVE_INFINITY,
  /** Default of {@link BulkheadOptions.name}. */
  name: 'bulkhead',
  /** Default of {@link PartitionedBulkheadOptions.maxPartitions}: no limit on live partitions. */
  maxPartitions: Number.POSITIVE_INFINITY,
} as const;

/** @internal */
export const bulkheadSchema: Schema = {
  maxConcurrent: rules.required(rules.integer(1)),
  maxQueue: rules.integer(0, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
  queueTimeout: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  name: rules.string(),
  clock: rules.clock(),
};

/** @internal */
export const partitionedBulkheadSchema: Schema = {
  ...bulkheadSchema,
  key: rules.required(rules.func('a function (ctx) => string')),
  maxPartitions: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
};
