/**
 * The fleet rate limit: a {@link RateLimitStore} on Redis, so every instance's
 * `rateLimiter({ ..., store })` draws on one budget per key.
 *
 * - **One atomic round trip per decision**: GCRA (or the sliding window) in one Lua script
 *   on one key (`<prefix>:{rl:<name>:<key>}`, `…:sw` for the sliding window), hash-tagged
 *   so each key lives in one Cluster slot, with a `PX` TTL equal to its time to refill.
 *   See `rate-limit-scripts.ts`.
 * - **Server time**: the shared schedule runs on Redis's clock (`TIME` in the script); the
 *   `now` the limiter passes to `consume` is not used for it, so instances whose clocks
 *   disagree still share one schedule. Local state (batches, refusals, the degraded limit,
 *   `storeTimeout`) runs on the store's clock.
 * - **Fewer round trips, never more admissions**: a refusal from Redis says the key cannot
 *   admit `cost` before `retryAfter` ms; the store remembers it and refuses equal or
 *   larger costs locally until then (Redis state only moves forward, so this never refuses
 *   a call Redis would admit, except after a manual reset of the key). With `localBatch`,
 *   admissions are batched too (see its bound).
 * - **Redis down or slow**: a decision waits at most `storeTimeout`; then, and at once while
 *   the coordinator reports the connection down, calls are decided as `onStoreError` says,
 *   with event `degraded`; a background probe (at most one per `probeInterval`, only while
 *   calls come) brings decisions back to Redis, with event `recovered`.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';
import { Emitter, type Subscription } from '../core/events';
import { timerServiceFor, type TimerService } from '../core/timer-service';
import { validateOptions } from '../core/validation';
import type { RateLimitRule, RateLimitStore, StoreDecision } from '../rate-limiter/store';
import { ExpiringMap, LocalLimit, knowledgeExpiry, type KeyKnowledge } from './local-state';
import {
  redisRateLimitStoreDefaults as defaults,
  redisRateLimitStoreSchema,
  type DegradedReason,
  type RedisRateLimitStoreEvent,
  type RedisRateLimitStoreOptions,
  type RedisRateLimitStoreStats,
  type StoreErrorMode,
} from './rate-limit-options';
import { GCRA_SCRIPT, SLIDING_WINDOW_SCRIPT, decodeReply, type ScriptReply } from './rate-limit-scripts';

/** @internal What the store needs from the coordinator. */
export interface RateLimitStoreHost {
  readonly clock: Clock;
  readonly connected: boolean;
  key(tag: string | readonly string[], ...rest: readonly string[]): string;
  eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  on(type: 'down' | 'up', listener: () => void): Subscription;
  /** Instances of the fleet, for the default `localShare`. */
  readonly fleetSize: number;
  /** Starts the fleet heartbeat (idempotent). */
  trackFleet(): void;
}

/** A call waiting for the batch take in flight on its key. */
interface Waiter {
  readonly key: string;
  readonly cost: number;
  readonly rule: RateLimitRule;
  resolve(decision: StoreDecision | PromiseLike<StoreDecision>): void;
}

/** A probe: any script that answers proves the round trip. KEYS[1] routes it to the key's node. */
const PROBE_SCRIPT = 'return 1';

type EventPayload = RedisRateLimitStoreEvent extends infer E ? (E extends RedisRateLimitStoreEvent ? Omit<E, 'kind' | 'store' | 'time'> : never) : never;

/**
 * A {@link RateLimitStore} on Redis, shared by every instance that uses the same prefix and
 * `name`. Make one with {@link RedisCoordinator.rateLimitStore}, or pass the coordinator
 * itself as `store` (it uses its default store, named `'default'`).
 *
 * @example
 * ```ts
 * const store = coordinator.rateLimitStore({ name: 'partner', localBatch: 10 });
 * store.on('degraded', (e) => log.warn(`partner quota decided locally (${e.reason})`));
 * const partner = rateLimiter({ name: 'partner', rate: 500, store });
 * ```
 */
export class RedisRateLimitStore implements RateLimitStore {
  /** The `name` option. */
  readonly name: string;
  /** The `localBatch` option. */
  readonly localBatch: number;
  /** The `localBatchTtl` option (ms). */
  readonly localBatchTtl: number;
  /** The `onStoreError` option. */
  readonly onStoreError: StoreErrorMode;
  /** The `storeTimeout` option (ms). */
  readonly storeTimeout: number;
  /** The `probeInterval` option (ms). */
  readonly probeInterval: number;
  private readonly fixedShare: number | undefined;
  private readonly clock: Clock;
  private readonly timers: TimerService;
  private readonly known = new ExpiringMap<KeyKnowledge>(knowledgeExpiry);
  private readonly local = new LocalLimit();
  private readonly events = new Emitter<RedisRateLimitStoreEvent>();
  private readonly subscriptions: Subscription[];
  /** The rule part of the script arguments, per rule object (a limiter passes the same one each time). */
  private readonly ruleArgs = new WeakMap<RateLimitRule, readonly string[]>();
  /** Keys with a batch take in flight, and the calls waiting for its tokens. */
  private readonly flights = new Map<string, Waiter[]>();
  private isDegraded = false;
  private degradedAt = 0;
  private degradedDecisions = 0;
  private probing = false;
  private nextProbeAt = 0;
  private counts = { roundTrips: 0, batchHits: 0, cachedRefusals: 0, localDecisions: 0 };

  /** @internal Use {@link RedisCoordinator.rateLimitStore}. */
  constructor(
    private readonly host: RateLimitStoreHost,
    options: RedisRateLimitStoreOptions = {},
  ) {
    const o = validateOptions<RedisRateLimitStoreOptions>('rateLimitStore', options, redisRateLimitStoreSchema);
    this.name = o.name ?? defaults.name;
    this.localBatch = o.localBatch ?? defaults.localBatch;
    this.localBatchTtl = o.localBatchTtl ?? defaults.localBatchTtl;
    this.onStoreError = o.onStoreError ?? defaults.onStoreError;
    this.storeTimeout = o.storeTimeout ?? defaults.storeTimeout;
    this.probeInterval = o.probeInterval ?? defaults.probeInterval;
    this.fixedShare = o.localShare;
    this.clock = o.clock ?? host.clock;
    this.timers = timerServiceFor(this.clock);
    if (this.fixedShare === undefined && this.onStoreError === 'local') host.trackFleet();
    this.subscriptions = [
      host.on('down', () => this.degrade('connection-down', undefined)),
      host.on('up', () => this.probeSoon()),
    ];
    if (!host.connected) this.degrade('connection-down', undefined);
  }

  /**
   * True while decisions are made without Redis (see `onStoreError`).
   *
   * @example
   * ```ts
   * health.set('partner-quota', store.degraded ? 'local' : 'fleet');
   * ```
   */
  get degraded(): boolean {
    return this.isDegraded;
  }

  /**
   * The share of the limit applied locally while degraded: `localShare`, else
   * `1 / coordinator.fleetSize` (read at each local decision).
   *
   * @example
   * ```ts
   * log.info(`alone, this instance admits ${Math.round(500 * store.localShare)}/s of the partner's 500/s`);
   * ```
   */
  get localShare(): number {
    return this.fixedShare ?? 1 / Math.max(1, this.host.fleetSize);
  }

  /**
   * Counters since the store was made.
   *
   * @example
   * ```ts
   * const { roundTrips, batchHits } = store.stats;
   * metrics.gauge('rate_limit_local_ratio', batchHits / Math.max(1, roundTrips + batchHits));
   * ```
   */
  get stats(): RedisRateLimitStoreStats {
    return { ...this.counts };
  }

  /**
   * Listens to one type of event (`degraded`, `recovered`); returns a subscription to dispose.
   *
   * @example
   * ```ts
   * store.on('recovered', (e) => log.info(`back on redis after ${e.downtime} ms, ${e.localDecisions} local decisions`));
   * ```
   */
  on<T extends RedisRateLimitStoreEvent['type']>(type: T, listener: (event: Extract<RedisRateLimitStoreEvent, { type: T }>) => void): Subscription {
    return this.events.on((e) => {
      if (e.type === type) listener(e as Extract<RedisRateLimitStoreEvent, { type: T }>);
    });
  }

  /**
   * The store seam of the rate limiter: one decision. Answers synchronously when it can
   * decide locally (a batch token, a remembered refusal, degraded mode), else with a
   * promise that settles within `storeTimeout` (never rejects). The `now` argument is not
   * used: the shared schedule runs on Redis's clock. Rate limiters call it; use a limiter's
   * `acquire()` (not `tryAcquire()`, which needs a synchronous store) to decide without a call.
   *
   * @example
   * ```ts
   * const d = await store.consume('p-42', 1, 0, { algorithm: 'gcra', rate: 5, per: 1_000, burst: 5, maxWait: 0 });
   * ```
   */
  consume(key: string, cost: number, _now: number, rule: RateLimitRule): StoreDecision | Promise<StoreDecision> {
    // A cost over the burst (over the window's rate) is never admitted: no need to ask.
    if (cost > rule.burst) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining: 0, delay: 0 };
    const t = this.clock.now();
    const redisKey = rule.algorithm === 'gcra' ? this.host.key(['rl', this.name, key]) : this.host.key(['rl', this.name, key], 'sw');
    const batching = this.localBatch > 1 && rule.maxWait === 0;
    const k = this.known.get(redisKey, t);
    if (k !== undefined) {
      if (k.tokens >= cost && t < k.leaseUntil) {
        k.tokens -= cost;
        this.counts.batchHits++;
        // Top the batch up before it runs dry, so the next calls need not wait for Redis.
        if (batching && k.tokens * 2 < this.localBatch && !this.isDegraded && !this.flights.has(redisKey)) this.take(redisKey, 1, rule, t);
        return { allowed: true, retryAfter: 0, remaining: k.tokens, delay: 0 };
      }
      if (cost >= k.refusedCost && t < k.refusedUntil) {
        const wait = Math.ceil(k.refusedUntil - t);
        if (wait > rule.maxWait) {
          this.counts.cachedRefusals++;
          return { allowed: false, retryAfter: wait, remaining: 0, delay: 0 };
        }
      }
    }
    if (this.isDegraded) {
      this.maybeProbe(redisKey, t);
      return this.fallback(redisKey, cost, t, rule);
    }
    if (!batching) return this.decide(redisKey, cost, t, rule);
    // One take per key in flight: calls that find the batch empty wait for it, then decide
    // again from what it brought (tokens, a refusal, or the fallback).
    return new Promise<StoreDecision>((resolve) => {
      const waiter: Waiter = { key, cost, rule, resolve };
      const waiters = this.flights.get(redisKey);
      if (waiters !== undefined) waiters.push(waiter);
      else this.take(redisKey, cost, rule, t, waiter);
    });
  }

  /** One decision by Redis (no batching): one round trip. */
  private decide(redisKey: string, cost: number, t: number, rule: RateLimitRule): Promise<StoreDecision> {
    return this.roundTrip(redisKey, cost, cost, t, rule).then((r) => {
      if (r === undefined) return this.fallback(redisKey, cost, this.clock.now(), rule);
      if (!r.allowed) this.refused(redisKey, cost, t, r.delayOrRetry);
      return { allowed: r.allowed, retryAfter: r.allowed ? 0 : r.delayOrRetry, remaining: r.remaining, delay: r.allowed ? r.delayOrRetry : 0 };
    });
  }

  /**
   * Tops the key's batch up to `localBatch` tokens (taking at least `min`), then lets the
   * waiting calls decide again. With no first waiter, a background top-up.
   */
  private take(redisKey: string, min: number, rule: RateLimitRule, t: number, first?: Waiter): void {
    const waiters: Waiter[] = first === undefined ? [] : [first];
    this.flights.set(redisKey, waiters);
    const held = this.known.get(redisKey, t);
    const tokens = held !== undefined && t < held.leaseUntil ? held.tokens : 0;
    const want = Math.max(min, this.localBatch - tokens);
    void this.roundTrip(redisKey, min, want, t, rule).then((r) => {
      if (r !== undefined && r.allowed) {
        const now = this.clock.now();
        const k = this.known.get(redisKey, now);
        const left = k !== undefined && now < k.leaseUntil ? k.tokens : 0;
        // Never more than localBatch held: tokens beyond it are dropped (counted by Redis, never spent).
        const next = { tokens: Math.min(this.localBatch, left + r.granted), leaseUntil: t + this.localBatchTtl, refusedUntil: 0, refusedCost: 0 };
        if (k !== undefined) Object.assign(k, next);
        else this.known.set(redisKey, next, now);
      } else if (r !== undefined) {
        this.refused(redisKey, min, t, r.delayOrRetry);
      }
      this.flights.delete(redisKey);
      for (const w of waiters) w.resolve(this.consume(w.key, w.cost, 0, w.rule));
    });
  }

  /**
   * Redis refused `cost` with `retryAfter` ms, counted from its own now, which is no earlier
   * than the request's departure `sentAt`: refusing equal or larger costs until
   * `sentAt + retryAfter` never refuses what Redis would admit.
   */
  private refused(redisKey: string, cost: number, sentAt: number, retryAfter: number): void {
    if (!(retryAfter > 0) || !Number.isFinite(retryAfter)) return;
    const k = this.known.get(redisKey, sentAt);
    if (k !== undefined) {
      k.refusedUntil = sentAt + retryAfter;
      k.refusedCost = cost;
    } else this.known.set(redisKey, { tokens: 0, leaseUntil: 0, refusedUntil: sentAt + retryAfter, refusedCost: cost }, sentAt);
  }

  /** One script call bounded by `storeTimeout`; `undefined` when it failed (the store is then degraded). */
  private roundTrip(redisKey: string, cost: number, want: number, t: number, rule: RateLimitRule): Promise<ScriptReply | undefined> {
    // The rule's part of the arguments, as strings, once per rule; want and maxWait only when they differ from their defaults.
    let head = this.ruleArgs.get(rule);
    if (head === undefined) {
      head = rule.algorithm === 'gcra' ? [String(rule.per / rule.rate), String((rule.burst * rule.per) / rule.rate)] : [String(rule.per), String(rule.rate)];
      this.ruleArgs.set(rule, head);
    }
    const args = rule.maxWait > 0 ? [...head, String(cost), String(want), String(rule.maxWait)] : want !== cost ? [...head, String(cost), String(want)] : [...head, String(cost)];
    this.counts.roundTrips++;
    return new Promise<ScriptReply | undefined>((resolve) => {
      let settled = false;
      const fail = (reason: DegradedReason, error: unknown): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        this.degrade(reason, error);
        resolve(undefined);
      };
      // Answered after storeTimeout: the call was decided locally, the reply is ignored.
      const timer = this.timers.schedule(t + this.storeTimeout, () => fail('timeout', undefined));
      let pending: Promise<unknown>;
      try {
        pending = this.host.eval(rule.algorithm === 'gcra' ? GCRA_SCRIPT : SLIDING_WINDOW_SCRIPT, [redisKey], args);
      } catch (error) {
        fail('error', error);
        return;
      }
      pending.then(
        (raw) => {
          if (settled) return;
          const r = decodeReply(raw, cost, want);
          if (r === undefined) return fail('bad-reply', undefined);
          settled = true;
          timer.cancel();
          resolve(r);
        },
        (error: unknown) => fail('error', error),
      );
    });
  }

  /** A decision without Redis, as `onStoreError` says. */
  private fallback(redisKey: string, cost: number, t: number, rule: RateLimitRule): StoreDecision {
    this.counts.localDecisions++;
    if (this.isDegraded) this.degradedDecisions++;
    switch (this.onStoreError) {
      case 'allow':
        return { allowed: true, retryAfter: 0, remaining: 0, delay: 0 };
      case 'deny':
        return { allowed: false, retryAfter: Math.max(1, Math.ceil(this.nextProbeAt - t)), remaining: 0, delay: 0 };
      default:
        return this.local.consume(redisKey, cost, t, rule.rate, rule.per, rule.burst, rule.maxWait, this.localShare);
    }
  }

  private degrade(reason: DegradedReason, error: unknown): void {
    if (this.isDegraded) return;
    const t = this.clock.now();
    this.isDegraded = true;
    this.degradedAt = t;
    this.degradedDecisions = 0;
    this.nextProbeAt = t + this.probeInterval;
    if (this.events.size > 0) this.emit({ type: 'degraded', reason, error });
  }

  private recover(): void {
    if (!this.isDegraded) return;
    const t = this.clock.now();
    this.isDegraded = false;
    this.local.clear(); // the shared budget is authoritative again
    if (this.events.size > 0) this.emit({ type: 'recovered', downtime: t - this.degradedAt, localDecisions: this.degradedDecisions });
  }

  /** The coordinator says the connection is back: probe on the next call. */
  private probeSoon(): void {
    this.nextProbeAt = 0;
  }

  /** Sends one probe if none is in flight and the last was `probeInterval` ago. */
  private maybeProbe(redisKey: string, t: number): void {
    if (this.probing || t < this.nextProbeAt || this.closed) return;
    this.probing = true;
    this.nextProbeAt = t + this.probeInterval;
    let done = false;
    // A background wait: unref'd, it never keeps the process alive.
    const timer = this.clock.setTimeout(() => {
      if (done) return;
      done = true;
      this.probing = false;
    }, this.storeTimeout);
    unrefTimer(timer);
    let pending: Promise<unknown>;
    try {
      pending = this.host.eval(PROBE_SCRIPT, [redisKey], []);
    } catch {
      this.clock.clearTimeout(timer);
      this.probing = false;
      return;
    }
    pending.then(
      () => {
        if (done) return; // answered, but later than storeTimeout: still too slow
        done = true;
        this.clock.clearTimeout(timer);
        this.probing = false;
        this.recover();
      },
      () => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        this.probing = false;
      },
    );
  }

  private closed = false;

  /**
   * Stops following the coordinator and drops local state. Further calls still try Redis
   * (and decide as `onStoreError` says when it fails); the coordinator's `close()` closes
   * its stores. Idempotent.
   *
   * @example
   * ```ts
   * store.close();
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subscriptions) s.dispose();
    this.known.clear();
    this.local.clear();
  }

  private emit(payload: EventPayload): void {
    this.events.emit({ ...payload, kind: 'redis-rate-limit-store', store: this.name, time: this.clock.now() } as RedisRateLimitStoreEvent);
  }
}
