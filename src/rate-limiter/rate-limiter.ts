/**
 * The rate limiter: admits calls at a sustained rate with bounded bursts (GCRA) or at most N
 * per sliding window, plain or partitioned per key (player, IP, tenant), as a pipeline
 * policy and as a plain decision API (`tryAcquire`) for the hot path of a socket server.
 *
 * - The state lives in a {@link RateLimitStore}: one atomic `consume` decides one call. The
 *   in-memory default answers synchronously, so the hot path allocates no promise.
 * - A call over the limit rejects at once with a cheap `RateLimitedError` whose
 *   `retryAfter` is honest, or, with `maxWait`, reserves its later slot and waits for it in
 *   arrival order; a waiter leaves at once when its caller aborts or its enclosing timeout
 *   expires (its reserved slot is not given back), and never waits past the call's deadline.
 * - Events are built only when someone listens.
 *
 * @packageDocumentation
 */
import { awaitFunction } from '../core/alone';
import { systemClock, type Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { RateLimitedError, type RateLimitReason } from '../core/errors';
import { isThenable, type Done } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { validateOptions } from '../core/validation';
import { waitFor } from '../core/wait';
import type { RateLimitAdmittedEvent, RateLimitedEvent, RateLimiterEvent, RateLimitQueuedEvent } from './events';
import {
  partitionedRateLimiterSchema,
  rateLimiterDefaults,
  rateLimiterIssues,
  rateLimiterSchema,
  type PartitionedRateLimiterOptions,
  type CostOption,
  type RateLimitAlgorithm,
  type RateLimiterOptions,
} from './options';
import { MemoryRateLimitStore, type RateLimitDecision, type RateLimitRule, type RateLimitStore, type StoreDecision } from './store';

/** Key of the one bucket of a plain (not partitioned) limiter in its store. */
const PLAIN_KEY = '';

function checkCost(cost: unknown): number {
  if (Number.isInteger(cost) && (cost as number) >= 1) return cost as number;
  throw new RangeError(`Expected \`cost\` to be an integer ≥ 1, got ${String(cost)}`);
}

/**
 * @internal The shared machinery of both limiter kinds: the rule, the store, the waiters.
 */
abstract class LimiterBase extends StrategyPolicy<RateLimiterEvent> {
  /** The `rate` option. */
  readonly rate: number;
  /** The `per` option (ms). */
  readonly per: number;
  /** The effective burst (cost units): `burst`, else `⌈rate⌉`; `rate` for the sliding window. */
  readonly burst: number;
  /** The `algorithm` option. */
  readonly algorithm: RateLimitAlgorithm;
  /** The `maxWait` option (ms). */
  readonly maxWait: number;
  /** The `maxQueue` option. */
  readonly maxQueue: number;
  /** The store holding the state of the keys. */
  readonly store: RateLimitStore;
  /** @internal */
  protected readonly rule: RateLimitRule;
  /** @internal The rule with no wait (for `tryAcquire` and full queues). */
  protected readonly ruleNoWait: RateLimitRule;
  private readonly waiting = new Map<string, number>();
  private queuedTotal = 0;

  protected constructor(opts: RateLimiterOptions, maxKeys: number | undefined) {
    const clock: Clock = opts.clock ?? systemClock;
    super({ kind: 'rate-limiter', name: opts.name ?? rateLimiterDefaults.name, clock, keepsTime: true });
    this.rate = opts.rate;
    this.per = opts.per ?? rateLimiterDefaults.per;
    this.algorithm = opts.algorithm ?? rateLimiterDefaults.algorithm;
    // Stryker disable next-line ConditionalExpression: equivalent when true — the sliding window refuses `burst` and needs an integer rate, so ⌈rate⌉ = rate (false is killed by the default-burst tests)
    this.burst = this.algorithm === 'gcra' ? (opts.burst ?? Math.ceil(opts.rate)) : opts.rate;
    this.maxWait = opts.maxWait ?? rateLimiterDefaults.maxWait;
    this.maxQueue = opts.maxQueue ?? rateLimiterDefaults.maxQueue;
    this.store = opts.store ?? new MemoryRateLimitStore({ clock, maxKeys });
    this.rule = { algorithm: this.algorithm, rate: this.rate, per: this.per, burst: this.burst, maxWait: this.maxWait };
    this.ruleNoWait = this.maxWait === 0 ? this.rule : { ...this.rule, maxWait: 0 };
  }

  /** Calls waiting for their reserved slot now (over every key). */
  get queued(): number {
    return this.queuedTotal;
  }

  /** @internal Decides a call whose scope is not aborted. */
  protected enter(ctx: ExecutionContext, link: Link, done: Done, key: string, partition: string | undefined, cost: number): void {
    let rule = this.rule;
    let queueFull = false;
    let clamped = false;
    if (this.maxWait > 0) {
      if ((this.waiting.get(key) ?? 0) >= this.maxQueue) {
        queueFull = true;
        rule = this.ruleNoWait;
      } else {
        const left = ctx.remaining();
        if (left < this.maxWait) {
          clamped = true;
          rule = { ...this.rule, maxWait: left };
        }
      }
    }
    this.afterConsume(ctx, link, done, key, partition, cost, this.store.consume(key, cost, this.clock.now(), rule), queueFull, clamped);
  }

  /** @internal Goes on from the store's answer `d` (a decision, or a promise of one). */
  protected afterConsume(
    ctx: ExecutionContext,
    link: Link,
    done: Done,
    key: string,
    partition: string | undefined,
    cost: number,
    d: StoreDecision | PromiseLike<StoreDecision>,
    queueFull: boolean,
    clamped: boolean,
  ): void {
    if (isThenable(d)) {
      d.then(
        (decision) => {
          if (ctx.aborted) done({ ok: false, error: ctx.scope.reason });
          else this.decided(ctx, link, done, key, partition, cost, decision, queueFull, clamped);
        },
        (error: unknown) => done({ ok: false, error }),
      );
      return;
    }
    this.decided(ctx, link, done, key, partition, cost, d, queueFull, clamped);
  }

  private decided(
    ctx: ExecutionContext,
    link: Link,
    done: Done,
    key: string,
    partition: string | undefined,
    cost: number,
    d: StoreDecision,
    queueFull: boolean,
    clamped: boolean,
  ): void {
    if (d.allowed) {
      if (d.delay <= 0) {
        // Stryker disable next-line ConditionalExpression: equivalent — with no listener and no call observer, emit() reaches no one; the check only skips building the event
        if (link.listening) link.emit<RateLimitAdmittedEvent>(ctx, { type: 'admitted', partition, remaining: d.remaining, waited: 0 });
        link.next(ctx, done);
      } else {
        this.wait(ctx, link, done, key, partition, d);
      }
      return;
    }
    let reason: RateLimitReason = 'rate';
    if (d.capacity === true) reason = 'max-partitions';
    else if (d.retryAfter <= this.maxWait) reason = queueFull ? 'queue-full' : clamped ? 'deadline' : 'rate';
    // Stryker disable next-line ConditionalExpression: equivalent — with no listener and no call observer, emit() reaches no one; the check only skips building the event
    if (link.listening) link.emit<RateLimitedEvent>(ctx, { type: 'limited', reason, partition, retryAfter: d.retryAfter, cost });
    done({ ok: false, error: RateLimitedError.create(this.name, reason, d.retryAfter, partition) });
  }

  /** Sleeps until the reserved slot, leaving at once on abort (the slot is not given back). */
  private wait(ctx: ExecutionContext, link: Link, done: Done, key: string, partition: string | undefined, d: StoreDecision): void {
    const waiting = this.waiting;
    const n = (waiting.get(key) ?? 0) + 1;
    waiting.set(key, n);
    this.queuedTotal++;
    // Stryker disable next-line ConditionalExpression: equivalent — with no listener and no call observer, emit() reaches no one; the check only skips building the event
    if (link.listening) link.emit<RateLimitQueuedEvent>(ctx, { type: 'queued', partition, delay: d.delay, queued: n });
    const leave = (): void => {
      this.queuedTotal--;
      const left = (waiting.get(key) ?? 1) - 1;
      if (left === 0) waiting.delete(key);
      else waiting.set(key, left);
    };
    const admit = (): void => {
      leave();
      // Stryker disable next-line ConditionalExpression: equivalent — with no listener and no call observer, emit() reaches no one; the check only skips building the event
      if (link.listening) link.emit<RateLimitAdmittedEvent>(ctx, { type: 'admitted', partition, remaining: d.remaining, waited: d.delay });
      link.next(ctx, done);
    };
    // Stryker disable next-line ConditionalExpression: equivalent — for a call nothing can abort, waitFor() schedules the same timer-service entry plus a subscription that never fires; the check only saves that subscription
    if (ctx.abortable) {
      waitFor(ctx, d.delay, (end) => {
        if (end.aborted) {
          leave();
          done({ ok: false, error: end.reason });
        } else admit();
      });
    } else {
      timerServiceFor(ctx.clock).schedule(ctx.clock.now() + d.delay, admit);
    }
  }

  /** @internal The decision API, shared by both kinds. */
  protected decide(key: string, cost: unknown): RateLimitDecision {
    const d = this.store.consume(key, checkCost(cost), this.clock.now(), this.ruleNoWait);
    if (isThenable(d)) {
      throw new TypeError(`Rate limiter "${this.name}": its store answers asynchronously; use acquire() instead of tryAcquire()`);
    }
    return d;
  }

  /** @internal The asynchronous decision API (any store). */
  protected async decideAsync(key: string, cost: unknown): Promise<RateLimitDecision> {
    return this.store.consume(key, checkCost(cost), this.clock.now(), this.ruleNoWait);
  }

  protected describeOptions(): Record<string, unknown> {
    return {
      algorithm: this.algorithm,
      rate: this.rate,
      per: this.per,
      burst: this.burst,
      maxWait: this.maxWait,
      maxQueue: this.maxQueue,
      store: this.store instanceof MemoryRateLimitStore ? 'memory' : storeName(this.store),
    };
  }
}

/** The constructor name of a custom store (`Object` for a literal), or `'custom'` (no prototype, no name). */
function storeName(store: object): string {
  const ctor = (store as { constructor?: { name?: unknown } }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : undefined;
  return typeof name === 'string' && name !== '' ? name : 'custom';
}

/**
 * A rate limiter: admits calls at `rate` per `per` ms with bursts of up to `burst`; a call
 * over the limit waits up to `maxWait` or rejects with `RateLimitedError`. Make one with
 * {@link rateLimiter}.
 *
 * @example
 * ```ts
 * const partner = rateLimiter({ name: 'payment-partner', rate: 50, per: 1_000, maxWait: 200 });
 * await partner.execute((ctx) => gateway.charge(order, { signal: ctx.signal }));
 * ```
 */
export class RateLimiterPolicy extends LimiterBase {
  private readonly costOf: ((ctx: ExecutionContext) => number) | undefined;

  /** @internal Use {@link rateLimiter}. */
  constructor(options: RateLimiterOptions) {
    const opts = validateOptions<RateLimiterOptions>('rateLimiter', options, rateLimiterSchema, (o, issues) =>
      rateLimiterIssues(o, issues),
    );
    super(opts, undefined);
    this.costOf = costFunction(opts.cost);
  }

  /** @internal */
  /**
   * @internal Alone and unheard, a call of cost 1 that may not wait: decided at once; an
   * admitted call is awaited in place (core/alone.ts), any other answer goes on in the chain.
   */
  protected override runAlone(ctx: ExecutionContext, link: Link): Promise<unknown> | undefined {
    // Stryker disable next-line EqualityOperator: equivalent for > against >= — maxWait ≥ 0, so >= sends every call through the chain, which decides it the same way (the alone path only saves allocations)
    if (this.costOf !== undefined || this.maxWait > 0 || ctx.aborted) return undefined;
    let d: StoreDecision | PromiseLike<StoreDecision>;
    try {
      d = this.store.consume(PLAIN_KEY, 1, this.clock.now(), this.rule);
    } catch (error) {
      return this.finishInChain(ctx, (done) => done({ ok: false, error }));
    }
    if (!isThenable(d) && d.allowed && d.delay <= 0) return awaitFunction(ctx);
    return this.finishInChain(ctx, (done) => this.afterConsume(ctx, link, done, PLAIN_KEY, undefined, 1, d, false, false));
  }

  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (ctx.aborted) {
      done({ ok: false, error: ctx.scope.reason });
      return;
    }
    const costOf = this.costOf;
    let cost = 1;
    if (costOf !== undefined) {
      try {
        cost = checkCost(costOf(ctx));
      } catch (error) {
        done({ ok: false, error });
        return;
      }
    }
    this.enter(ctx, link, done, PLAIN_KEY, undefined, cost);
  }

  /**
   * Decides without a call: consumes `cost` units now if the limit allows, else changes
   * nothing. Never waits (`maxWait` does not apply) and emits no event.
   *
   * @param _key - ignored (this limiter has one bucket); accepted so both kinds share one shape.
   * @param cost - units to consume: an integer ≥ 1 (a `RangeError` otherwise). @defaultValue `1`
   * @returns `{ allowed, retryAfter, remaining }`; a `TypeError` is thrown when the store is asynchronous (use {@link RateLimiterPolicy.acquire}).
   *
   * @example
   * ```ts
   * const d = limiter.tryAcquire(undefined, 5); // a bulk purchase costs 5
   * if (!d.allowed) reply(429, d.retryAfter);
   * ```
   */
  tryAcquire(_key?: string, cost: number = 1): RateLimitDecision {
    return this.decide(PLAIN_KEY, cost);
  }

  /**
   * {@link RateLimiterPolicy.tryAcquire} for any store, synchronous or not.
   *
   * @example
   * ```ts
   * const { allowed } = await limiter.acquire();
   * ```
   */
  acquire(_key?: string, cost: number = 1): Promise<RateLimitDecision> {
    return this.decideAsync(PLAIN_KEY, cost);
  }

  protected override describeOptions(): Record<string, unknown> {
    return { ...super.describeOptions(), ...(this.costOf === undefined ? {} : { cost: this.costOf.name || '(anonymous)' }) };
  }
}

/**
 * A rate limiter with one limit per key (player, IP, tenant): one busy key never affects
 * another. A key whose state is back to "full" is dropped (an idle key costs nothing). Make
 * one with {@link rateLimiter.partitioned}.
 *
 * @example
 * ```ts
 * const perPlayer = rateLimiter.partitioned({ key: (ctx) => ctx.labels.player ?? 'anonymous', rate: 2, per: 1_000, burst: 5 });
 * await perPlayer.execute(() => shop.buy(item), { labels: { player: 'p-42' } });
 * ```
 */
export class PartitionedRateLimiterPolicy extends LimiterBase {
  /** The `maxPartitions` option (`Infinity` when none). */
  readonly maxPartitions: number;
  private readonly keyOf: (ctx: ExecutionContext) => string;
  private readonly costOf: ((ctx: ExecutionContext) => number) | undefined;

  /** @internal Use {@link rateLimiter.partitioned}. */
  constructor(options: PartitionedRateLimiterOptions) {
    const opts = validateOptions<PartitionedRateLimiterOptions>(
      'rateLimiter.partitioned',
      options,
      partitionedRateLimiterSchema,
      (o, issues) => rateLimiterIssues(o, issues),
    );
    const maxPartitions = opts.maxPartitions ?? rateLimiterDefaults.maxPartitions;
    super(opts, maxPartitions);
    this.maxPartitions = maxPartitions;
    this.keyOf = opts.key;
    this.costOf = costFunction(opts.cost);
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (ctx.aborted) {
      done({ ok: false, error: ctx.scope.reason });
      return;
    }
    let key: unknown;
    let cost = 1;
    try {
      key = this.keyOf(ctx);
      if (this.costOf !== undefined) cost = checkCost(this.costOf(ctx));
    } catch (error) {
      done({ ok: false, error });
      return;
    }
    if (typeof key !== 'string') {
      done({ ok: false, error: new TypeError(`Rate limiter "${this.name}": the key function returned ${typeof key}, expected a string`) });
      return;
    }
    this.enter(ctx, link, done, key, key, cost);
  }

  /**
   * Decides without a call for `key`: consumes `cost` units now if the key's limit allows,
   * else changes nothing. Never waits and emits no event.
   *
   * @param key - the key (player id, IP…). Required: a `TypeError` is thrown without it.
   * @param cost - units to consume: an integer ≥ 1. @defaultValue `1`
   * @returns `{ allowed, retryAfter, remaining }`.
   *
   * @example
   * ```ts
   * socket.on('message', (msg) => {
   *   const d = perPlayer.tryAcquire(playerId);
   *   if (!d.allowed) return socket.send(JSON.stringify({ error: 'rate-limited', retryAfter: d.retryAfter }));
   *   handle(msg);
   * });
   * ```
   */
  tryAcquire(key: string, cost: number = 1): RateLimitDecision {
    return this.decide(checkKey(this.name, key), cost);
  }

  /**
   * {@link PartitionedRateLimiterPolicy.tryAcquire} for any store, synchronous or not.
   *
   * @example
   * ```ts
   * const { allowed, retryAfter } = await perPlayer.acquire('p-42');
   * ```
   */
  acquire(key: string, cost: number = 1): Promise<RateLimitDecision> {
    try {
      return this.decideAsync(checkKey(this.name, key), cost);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  protected override describeOptions(): Record<string, unknown> {
    return {
      key: this.keyOf.name || '(anonymous)',
      ...super.describeOptions(),
      maxPartitions: this.maxPartitions,
      ...(this.costOf === undefined ? {} : { cost: this.costOf.name || '(anonymous)' }),
    };
  }
}

function checkKey(name: string, key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`tryAcquire() on partitioned rate limiter "${name}" needs a string key, got ${typeof key}`);
  return key;
}

function costFunction(cost: CostOption | undefined): ((ctx: ExecutionContext) => number) | undefined {
  // Stryker disable next-line ConditionalExpression: equivalent when `cost === undefined` is false — undefined then falls through to the last line, which returns it unchanged
  if (cost === undefined || cost === 1) return undefined;
  if (typeof cost === 'number') return () => cost;
  return cost;
}

/**
 * Creates a {@link RateLimiterPolicy}: `rate` cost units per `per` ms (default per
 * second), bursts of up to `burst` (default `rate`), GCRA by default or
 * `algorithm: 'sliding-window'`. A call over the limit waits up to `maxWait` (FIFO,
 * `maxQueue` bounded) or rejects with `RateLimitedError` carrying an honest `retryAfter`.
 *
 * Options are validated at once: an `OptionsValidationError` names every bad field.
 *
 * @example
 * ```ts
 * // The payment partner allows 100 charges per minute, stated as a sliding window.
 * const partnerQuota = rateLimiter({ name: 'payment-partner', rate: 100, per: 60_000, algorithm: 'sliding-window' });
 * ```
 */
export function rateLimiter(options: RateLimiterOptions): RateLimiterPolicy {
  return new RateLimiterPolicy(options);
}

/**
 * Creates a {@link PartitionedRateLimiterPolicy}: the limit applies to each key returned by
 * `key(ctx)` separately, like `bulkhead.partitioned`. A key back to "full" is dropped;
 * `maxPartitions` bounds the live keys of the default store.
 *
 * @example
 * ```ts
 * const purchases = rateLimiter.partitioned({
 *   name: 'shop.purchase',
 *   key: (ctx) => ctx.labels.player ?? 'anonymous',
 *   rate: 1,
 *   per: 2_000,
 *   burst: 3,
 * });
 * await purchases.execute(() => shop.buy(item), { labels: { player: 'p-42' } });
 * ```
 */
rateLimiter.partitioned = function partitioned(
  options: PartitionedRateLimiterOptions,
): PartitionedRateLimiterPolicy {
  return new PartitionedRateLimiterPolicy(options);
};
