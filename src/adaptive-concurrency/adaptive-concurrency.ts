/**
 * The adaptive concurrency limit: a bulkhead whose size follows the dependency. It measures
 * the latency of the calls it lets through and moves its limit with a congestion-control
 * algorithm (`'gradient2'`, `'aimd'` or `'vegas'`), so the dependency is kept busy without
 * queueing: when the dependency slows down (it queues, or it lost capacity) the limit falls
 * and the excess is shed or queued here, where it costs nothing; when it speeds up the limit
 * grows back.
 *
 * @packageDocumentation
 */
import { partitionKey } from '../core/partition-key';
import { compileClassifier } from '../core/classify';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { Done } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import type { AdaptiveAlgorithmName, LimitRule } from './algorithm';
import { LimitEstimator } from './estimator';
import type { AdaptiveConcurrencyEvent } from './events';
import { Gate, rejectCall, type AdaptiveConcurrencyStats, type GateSettings } from './gate';
import {
  adaptiveConcurrencyDefaults,
  adaptiveConcurrencySchema,
  createRule,
  partitionedAdaptiveConcurrencySchema,
  validateAdaptiveOptions,
  type AdaptiveConcurrencyOptions,
  type PartitionedAdaptiveConcurrencyOptions,
} from './options';

export type { AdaptiveConcurrencyStats };

/**
 * A snapshot of a partitioned adaptive limit: totals over its live partitions (each has its
 * own limit: read it with `statsOf(key)`).
 *
 * @example
 * ```ts
 * const { partitions, inFlight } = perShard.stats;
 * ```
 */
export interface PartitionedAdaptiveConcurrencyStats {
  /** Live partitions (with calls in flight or waiting). */
  readonly partitions: number;
  /** Calls running now, over every partition. */
  readonly inFlight: number;
  /** Calls waiting, over every partition. */
  readonly queued: number;
}

/**
 * @internal What both policy kinds share: the validated settings, the rule's description,
 * and the one entry check.
 */
abstract class AdaptiveBase extends StrategyPolicy<AdaptiveConcurrencyEvent> {
  /** The algorithm that moves the limit. */
  readonly algorithm: AdaptiveAlgorithmName;
  /** The `initialLimit` option. */
  readonly initialLimit: number;
  /** The `minLimit` option. */
  readonly minLimit: number;
  /** The `maxLimit` option. */
  readonly maxLimit: number;
  /** The `maxQueue` option. */
  readonly maxQueue: number;
  /** The `queueTimeout` option (`Infinity` when none). */
  readonly queueTimeout: number;
  /** @internal */
  protected readonly settings: GateSettings;
  /** @internal The algorithm's settings, for `describe()`. */
  private readonly tuning: Record<string, unknown>;
  /** @internal A rule per gate: made from the validated option. */
  protected readonly makeRule: () => LimitRule;

  protected constructor(opts: AdaptiveConcurrencyOptions) {
    const clock = opts.clock ?? systemClock;
    super({ kind: 'adaptive-concurrency', name: opts.name ?? adaptiveConcurrencyDefaults.name, clock, keepsTime: true });
    const spec = opts.algorithm;
    this.makeRule = () => createRule(spec);
    const rule = this.makeRule();
    this.algorithm = rule.name;
    this.tuning = rule.describe();
    this.initialLimit = opts.initialLimit;
    this.minLimit = opts.minLimit;
    this.maxLimit = opts.maxLimit;
    this.maxQueue = opts.maxQueue ?? adaptiveConcurrencyDefaults.maxQueue;
    this.queueTimeout = opts.queueTimeout ?? adaptiveConcurrencyDefaults.queueTimeout;
    this.settings = {
      name: this.name,
      clock,
      classifier: compileClassifier(opts),
      maxQueue: this.maxQueue,
      queueTimeout: this.queueTimeout,
    };
  }

  /** @internal A fresh gate (a new limit, starting from `initialLimit`). */
  protected newGate(key: string | undefined, onIdle: ((gate: Gate) => void) | undefined): Gate {
    return new Gate(this.settings, new LimitEstimator(this.makeRule(), this.minLimit, this.maxLimit, this.initialLimit), key, onIdle);
  }

  protected describeOptions(): Record<string, unknown> {
    return {
      algorithm: this.algorithm,
      ...this.tuning,
      initialLimit: this.initialLimit,
      minLimit: this.minLimit,
      maxLimit: this.maxLimit,
      maxQueue: this.maxQueue,
      queueTimeout: this.queueTimeout,
    };
  }
}

/**
 * An adaptive concurrency limit: at most `limit` calls run at once, where `limit` moves
 * within [`minLimit`, `maxLimit`] with the latency the policy measures; at most `maxQueue`
 * wait (FIFO); the others are rejected with `ConcurrencyLimitedError`. Make one with
 * {@link adaptiveConcurrency}.
 *
 * @example
 * ```ts
 * const db = adaptiveConcurrency({ name: 'db', initialLimit: 20, minLimit: 2, maxLimit: 200 });
 * const rows = await db.execute((ctx) => pool.query(sql, { signal: ctx.signal }));
 * console.log(db.limit, db.inFlight);
 * ```
 */
export class AdaptiveConcurrencyPolicy extends AdaptiveBase {
  private readonly gate: Gate;

  /** @internal Use {@link adaptiveConcurrency}. */
  constructor(options: AdaptiveConcurrencyOptions) {
    super(validateAdaptiveOptions<AdaptiveConcurrencyOptions>('adaptiveConcurrency', options, adaptiveConcurrencySchema));
    this.gate = this.newGate(undefined, undefined);
  }

  /** @internal Alone and unheard, with a free slot: the call awaited in place (core/alone.ts). */
  protected override runAlone(ctx: ExecutionContext): Promise<unknown> | undefined {
    // No abort check: execute() has already refused a caller signal aborted on entry, and a
    // call on its own has no other scope that could be.
    const gate = this.gate;
    return gate.admitsNow ? gate.runAdmitted(ctx) : undefined;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (ctx.aborted) {
      done({ ok: false, error: ctx.scope.reason });
      return;
    }
    this.gate.enter(ctx, link, done);
  }

  /** The current concurrency limit: a whole number within [`minLimit`, `maxLimit`]. */
  get limit(): number {
    return this.gate.estimator.limit;
  }

  /** Calls running now (at most `limit`, except just after the limit fell: calls already running finish). */
  get inFlight(): number {
    return this.gate.inFlight;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.gate.queue.size;
  }

  /** The limit, load and estimate (a fresh snapshot on each read). */
  get stats(): AdaptiveConcurrencyStats {
    return this.gate.stats();
  }
}

/**
 * An adaptive limit per key (a shard, a region, a tenant): each live key has its own limit,
 * learned from its own calls, its own slots and its own queue. A partition exists only while
 * it has calls in flight or waiting; an idle one is dropped at once, with what it learned.
 * Make one with {@link adaptiveConcurrency.partitioned}.
 *
 * @example
 * ```ts
 * const perRegion = adaptiveConcurrency.partitioned({
 *   key: (ctx) => ctx.labels.region ?? 'eu', initialLimit: 10, minLimit: 1, maxLimit: 100,
 * });
 * await perRegion.execute(() => loadProfile(), { labels: { region: 'us' } });
 * console.log(perRegion.statsOf('us').limit);
 * ```
 */
export class PartitionedAdaptiveConcurrencyPolicy extends AdaptiveBase {
  /** The `maxPartitions` option (`Infinity` when none). */
  readonly maxPartitions: number;
  private readonly keyOf: (ctx: ExecutionContext) => string;
  private readonly live = new Map<string, Gate>();
  private readonly dropIdle = (gate: Gate): void => {
    const key = gate.key as string;
    // Stryker disable next-line ConditionalExpression: equivalent for `true` — a gate goes idle once (no call in flight or waiting; run() never hands it another, as it is no longer live), so the live gate of its key is itself here; the `false` variant is killed by partitioned.test.ts (an idle key is dropped)
    if (this.live.get(key) === gate) this.live.delete(key);
  };

  /** @internal Use {@link adaptiveConcurrency.partitioned}. */
  constructor(options: PartitionedAdaptiveConcurrencyOptions) {
    const opts = validateAdaptiveOptions<PartitionedAdaptiveConcurrencyOptions>('adaptiveConcurrency.partitioned', options, partitionedAdaptiveConcurrencySchema);
    super(opts);
    this.keyOf = opts.key;
    this.maxPartitions = opts.maxPartitions ?? adaptiveConcurrencyDefaults.maxPartitions;
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (ctx.aborted) {
      done({ ok: false, error: ctx.scope.reason });
      return;
    }
    const key = partitionKey(ctx, this.keyOf, `Adaptive concurrency limit "${this.name}"`);
    if (typeof key !== 'string') {
      done(key);
      return;
    }
    let gate = this.live.get(key);
    if (gate === undefined) {
      if (this.live.size >= this.maxPartitions) {
        rejectCall(ctx, link, done, this.name, 'max-partitions', key, 0, 0, 0);
        return;
      }
      gate = this.newGate(key, this.dropIdle);
      this.live.set(key, gate);
    }
    gate.enter(ctx, link, done);
  }

  /** Number of live partitions. */
  get partitions(): number {
    return this.live.size;
  }

  /** Totals over the live partitions (O(partitions)). */
  get stats(): PartitionedAdaptiveConcurrencyStats {
    let inFlight = 0;
    let queued = 0;
    for (const gate of this.live.values()) {
      inFlight += gate.inFlight;
      queued += gate.queue.size;
    }
    return { partitions: this.live.size, inFlight, queued };
  }

  /**
   * The limit and load of partition `key`; for a key that is not live, what a new partition
   * would start with (`initialLimit`, nothing in flight).
   */
  statsOf(key: string): AdaptiveConcurrencyStats {
    const gate = this.live.get(key);
    if (gate !== undefined) return gate.stats();
    return { limit: this.initialLimit, inFlight: 0, queued: 0, noLoadLatency: Number.NaN, probing: false };
  }

  protected override describeOptions(): Record<string, unknown> {
    return { key: this.keyOf.name || '(anonymous)', ...super.describeOptions(), maxPartitions: this.maxPartitions };
  }
}

/**
 * Creates an {@link AdaptiveConcurrencyPolicy}: a concurrency limit that moves with the
 * latency it measures, within [`minLimit`, `maxLimit`], starting at `initialLimit`. Calls
 * over the limit wait (up to `maxQueue`, default none) or reject at once with
 * `ConcurrencyLimitedError`.
 *
 * Latency is measured on the policy's clock from admission to settlement. Caller
 * cancellations, failures that `handle` does not count, and rejected calls are no samples; a
 * failure `handle` counts (default: every error) is a drop, which `'aimd'` and `'vegas'` back
 * off on. Put a timeout inside it, so a hung call becomes a slow failed sample instead of a
 * slot held forever.
 *
 * Options are validated at once: an `OptionsValidationError` names every bad field.
 *
 * @example
 * ```ts
 * const db = adaptiveConcurrency({
 *   name: 'db',
 *   initialLimit: 20, // what we guess the database serves at once
 *   minLimit: 2,
 *   maxLimit: 200,
 *   maxQueue: 50, // short bursts wait…
 *   queueTimeout: 100, // …for at most 100 ms
 * });
 * const guarded = pipeline(retry({ maxAttempts: 2 }), db, timeout(1_000));
 * await guarded.execute((ctx) => pool.query(sql, { signal: ctx.signal }));
 * ```
 */
export function adaptiveConcurrency<T = unknown>(options: AdaptiveConcurrencyOptions<T>): AdaptiveConcurrencyPolicy {
  return new AdaptiveConcurrencyPolicy(options as AdaptiveConcurrencyOptions);
}

/**
 * Creates a {@link PartitionedAdaptiveConcurrencyPolicy}: a separate adaptive limit for each
 * key returned by `key(ctx)` (a database shard, a region, a tenant), each learned from its own
 * calls. Idle partitions are dropped at once (memory follows the live keys; cap it with
 * `maxPartitions`). A key function that throws rejects the call with its error.
 *
 * @example
 * ```ts
 * const shards = adaptiveConcurrency.partitioned({
 *   key: (ctx) => ctx.labels.shard ?? '0',
 *   initialLimit: 16,
 *   minLimit: 2,
 *   maxLimit: 128,
 * });
 * await shards.execute(() => saveMatch(), { labels: { shard: '3' } });
 * ```
 */
adaptiveConcurrency.partitioned = function partitioned<T = unknown>(options: PartitionedAdaptiveConcurrencyOptions<T>): PartitionedAdaptiveConcurrencyPolicy {
  return new PartitionedAdaptiveConcurrencyPolicy(options as PartitionedAdaptiveConcurrencyOptions);
};
