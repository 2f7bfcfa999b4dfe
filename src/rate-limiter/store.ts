/**
 * The state seam of the rate limiter: a store decides one call in one atomic step, so a
 * shared store (Redis, for a fleet) costs one round trip per decision. The in-memory store
 * is synchronous: the hot path allocates no promise.
 *
 * ## GCRA (the default algorithm)
 *
 * With `T = per / rate` (the emission interval: ms per cost unit) and `L = burst · T` (how
 * far ahead of now the schedule may run), the state of a key is one number, its
 * *theoretical arrival time* `TAT`. A call of cost `c` at time `now`:
 *
 * ```text
 * tat    = max(TAT, now)          // an idle key has TAT ≤ now: it is "full"
 * newTat = tat + c · T
 * wait   = newTat − L − now       // ≤ 0: admit now; else the earliest admission is now + wait
 * admit  ⇔ wait ≤ 0               (then TAT := newTat)
 * ```
 *
 * A refused call leaves the state unchanged, so a call of the same cost made `wait` ms later
 * finds the same `tat` and `newTat − L − now' = 0`: it is admitted. That is why
 * `retryAfter = ⌈wait⌉` is honest. Over any closed interval of length `w`, at most
 * `burst + ⌊w / T⌋` cost units are admitted (each admission moves `TAT` on by `c · T`, and
 * `TAT` may lead `now` by at most `L`). A key whose `TAT ≤ now` is equivalent to an absent
 * key and is dropped. A call allowed to wait (`maxWait`) reserves its slot at once
 * (`TAT := newTat`) and sleeps `wait` ms: waiters run in arrival order.
 *
 * ## Sliding window
 *
 * The state of a key is the list of admissions (time, cost) younger than `per` ms. A call
 * of cost `c` is admitted at the earliest time `s ≥ now` (and ≥ the last reserved time, for
 * FIFO) at which the admissions in `(s − per, s]` plus `c` are at most `rate`; at `s = now`
 * it runs at once, within `maxWait` it reserves and waits, else it is refused with
 * `retryAfter = ⌈s − now⌉`.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../core/clock';
import { rules, validateOptions, type Schema } from '../core/validation';
import type { RateLimitAlgorithm } from './options';
import { EPS, IdleSweep } from './sweep';

/**
 * The limit a store applies, as the limiter passes it to {@link RateLimitStore.consume}.
 *
 * @example
 * ```ts
 * const rule: RateLimitRule = { algorithm: 'gcra', rate: 10, per: 1_000, burst: 20, maxWait: 0 };
 * ```
 */
export interface RateLimitRule {
  /** The algorithm. */
  readonly algorithm: RateLimitAlgorithm;
  /** Cost units per `per` ms. */
  readonly rate: number;
  /** The period of `rate` (ms). */
  readonly per: number;
  /** GCRA bucket size (cost units); equal to `rate` for the sliding window. */
  readonly burst: number;
  /** Longest wait (ms) for which the store may reserve a later slot instead of refusing. */
  readonly maxWait: number;
}

/**
 * A decision without a call: what {@link RateLimiterPolicy.tryAcquire} returns.
 *
 * @example
 * ```ts
 * const { allowed, retryAfter } = perPlayer.tryAcquire(playerId);
 * if (!allowed) socket.send(JSON.stringify({ error: 'slow down', retryAfter }));
 * ```
 */
export interface RateLimitDecision {
  /** Whether the cost was consumed (the call may go ahead). */
  readonly allowed: boolean;
  /**
   * When refused: ms (an integer) after which a call of the same cost is admitted if
   * nothing else came in between; `Infinity` when the cost exceeds the burst. `0` when allowed.
   */
  readonly retryAfter: number;
  /** Cost units that could still be admitted at once after this decision. */
  readonly remaining: number;
}

/**
 * What a store answers to {@link RateLimitStore.consume}.
 *
 * @example
 * ```ts
 * const d: StoreDecision = { allowed: true, retryAfter: 0, remaining: 3, delay: 0 };
 * ```
 */
export interface StoreDecision extends RateLimitDecision {
  /** When allowed: ms until the reserved slot (`0`: now; > 0 only when `rule.maxWait` allowed a wait). */
  readonly delay: number;
  /** True when refused because the store holds as many keys as it may (a new key could not be added). */
  readonly capacity?: boolean | undefined;
}

/**
 * Where a rate limiter keeps the state of its keys. One `consume` call is one atomic
 * decision: it reads the key's state, decides, and writes the new state (a Redis store does
 * it in one Lua script round trip). It may answer synchronously (the in-memory store does)
 * or with a promise.
 *
 * @example
 * ```ts
 * const store: RateLimitStore = memoryRateLimitStore({ maxKeys: 100_000 });
 * const limiter = rateLimiter.partitioned({ key: (ctx) => ctx.labels.player ?? '', rate: 5, store });
 * ```
 */
export interface RateLimitStore {
  /**
   * Consumes `cost` units of `key` at time `now` (ms, on the limiter's clock) under `rule`,
   * or refuses and changes nothing. When the call would be admitted within `rule.maxWait`
   * ms, reserves that later slot and answers `allowed: true` with its `delay`.
   */
  consume(key: string, cost: number, now: number, rule: RateLimitRule): StoreDecision | PromiseLike<StoreDecision>;
}

/**
 * Options of {@link memoryRateLimitStore}.
 *
 * @example
 * ```ts
 * const store = memoryRateLimitStore({ maxKeys: 50_000 });
 * ```
 */
export interface MemoryRateLimitStoreOptions {
  /**
   * Most keys held at once. A new key beyond it is refused (`capacity: true`) after the
   * store has dropped what it could. Keys back to "full" are dropped, so only keys that spent
   * part of their budget recently count.
   * @defaultValue `Infinity`
   */
  readonly maxKeys?: number | undefined;
  /**
   * Clock of the background sweep that drops idle keys when no call comes (an unref'd
   * timer: it never keeps a process alive). Give it the limiter's clock.
   * @defaultValue `systemClock`
   */
  readonly clock?: Clock | undefined;
}

const memoryStoreSchema: Schema = {
  maxKeys: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
  clock: rules.clock(),
};

/** Entries the amortized sweep inspects for each new key. */
const SWEEP_PER_INSERT = 2;

/** @internal The admissions of one key still inside the sliding window. */
class SlidingLog {
  times: number[] = [];
  costs: number[] = [];
  head = 0;
  /** Sum of the costs from `head` on. */
  sum = 0;
  /** Drops the admissions that left the window at `t` (`time + per ≤ t`). */
  purge(t: number, per: number): void {
    const times = this.times;
    let h = this.head;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — past the last entry times[h] is undefined and the NaN comparison ends the loop anyway; for <= against <, the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    while (h < times.length && (times[h] as number) + per <= t + EPS) {
      this.sum -= this.costs[h] as number;
      h++;
    }
    // Stryker disable ConditionalExpression,EqualityOperator,LogicalOperator,ArithmeticOperator,BlockStatement: equivalent — compacting the log (or not, or at another size) only frees memory: head, sum, empty and last read the same
    if (h > 32 && h * 2 > times.length) {
      this.times = times.slice(h);
      this.costs = this.costs.slice(h);
      h = 0;
    }
    // Stryker restore ConditionalExpression,EqualityOperator,LogicalOperator,ArithmeticOperator,BlockStatement
    this.head = h;
  }
  get empty(): boolean {
    return this.head >= this.times.length;
  }
  /** Time of the last admission (or reservation). */
  get last(): number {
    return this.times[this.times.length - 1] as number;
  }
}

/** @internal The GCRA state of one key: its theoretical arrival time, mutated in place (no allocation per decision). */
class GcraCell {
  constructor(public tat: number) {}
}

type KeyState = GcraCell | SlidingLog;

/**
 * The default store: state in a `Map` of this process. GCRA keys hold one number; a key
 * whose state is back to "full" is dropped on access, a few others are checked on each new
 * key, and an unref'd background sweep drops the rest after an idle period, so a million
 * one-off keys do not stay in memory. Make one with {@link memoryRateLimitStore}.
 *
 * @example
 * ```ts
 * const store = memoryRateLimitStore();
 * const limiter = rateLimiter({ rate: 10, store });
 * console.log(store.size); // keys currently held
 * ```
 */
export class MemoryRateLimitStore implements RateLimitStore {
  /** The `maxKeys` option. */
  readonly maxKeys: number;
  private readonly clock: Clock;
  private readonly keys = new Map<string, KeyState>();
  /** Origin of stored times: keeps the numbers small, so float arithmetic stays exact enough. */
  private origin = 0;
  /** False until the first `consume` sets `origin`. */
  private hasOrigin = false;
  private cursor: Iterator<[string, KeyState]> | undefined;
  /** Per-key period of each rule seen (for the sweep: how long a sliding log lives). */
  private windowPer = 0;
  /** The background sweep of idle keys. */
  private readonly sweep: IdleSweep<KeyState>;

  /** @internal Use {@link memoryRateLimitStore}. */
  constructor(options: MemoryRateLimitStoreOptions = {}) {
    const o = validateOptions<MemoryRateLimitStoreOptions>('memoryRateLimitStore', options, memoryStoreSchema);
    this.maxKeys = o.maxKeys ?? Number.POSITIVE_INFINITY;
    this.clock = o.clock ?? systemClock;
    this.sweep = new IdleSweep<KeyState>(
      this.clock,
      this.keys,
      (state) => this.fullAt(state),
      () => this.clock.now() - this.origin,
    );
  }

  /** Keys held now (each spent part of its budget and has not refilled yet). */
  get size(): number {
    return this.keys.size;
  }

  consume(key: string, cost: number, now: number, rule: RateLimitRule): StoreDecision {
    // A whole-ms origin: reserved slots land on whole clock ms, where timers fire.
    if (!this.hasOrigin) {
      // Stryker disable next-line MethodExpression: equivalent — any whole-ms origin serves (floor or ceil): the store only uses differences of times, and reserved slots land on whole ms either way
      this.origin = Math.floor(now);
      this.hasOrigin = true;
    }
    const t = now - this.origin;
    return rule.algorithm === 'gcra' ? this.gcra(key, cost, t, rule) : this.sliding(key, cost, t, rule);
  }

  private gcra(key: string, cost: number, t: number, rule: RateLimitRule): StoreDecision {
    const interval = rule.per / rule.rate;
    const limit = rule.burst * interval;
    const held = this.keys.get(key);
    const cell = held instanceof GcraCell ? held : undefined;
    // Stryker disable next-line EqualityOperator: equivalent — when cell.tat equals t both branches give the same number
    let tat = cell !== undefined && cell.tat > t ? cell.tat : t;
    const newTat = tat + cost * interval;
    const wait = newTat - limit - t;
// Stryker disable next-line EqualityOperator: equivalent — the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    if (wait <= EPS) {
      if (!this.store(key, held, cell, newTat)) return this.full(limit + rule.maxWait);
      return { allowed: true, retryAfter: 0, remaining: Math.max(0, Math.floor((limit - (newTat - t)) / interval + 1e-9)), delay: 0 };
    }
    // Stryker disable next-line EqualityOperator: equivalent — the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    if (cost * interval > limit + EPS) {
      return { allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining: remainingOf(limit, tat - t, interval), delay: 0 };
    }
    // A waiting call's slot starts on a whole ms (timers fire on whole ms), so its start is
    // exactly its reserved slot and later slots keep their spacing.
    const at = Math.ceil(t + wait - EPS);
    // Stryker disable next-line EqualityOperator: equivalent — the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    if (at - t <= rule.maxWait + EPS) {
      const reserved = at + limit;
      // Stryker disable next-line ArithmeticOperator: unreachable — a call that waits has a held cell, so store() cannot refuse it at the key bound
      if (!this.store(key, held, cell, reserved)) return this.full(limit + rule.maxWait);
      return { allowed: true, retryAfter: 0, remaining: 0, delay: at - t };
    }
    tat = tat - t;
    return { allowed: false, retryAfter: Math.ceil(wait - EPS), remaining: remainingOf(limit, tat, interval), delay: 0 };
  }

  private sliding(key: string, cost: number, t: number, rule: RateLimitRule): StoreDecision {
    const per = rule.per;
    const rate = rule.rate;
    // Stryker disable next-line EqualityOperator: equivalent — when per equals windowPer the assignment changes nothing
    if (per > this.windowPer) this.windowPer = per;
    const held = this.keys.get(key);
    let log = held instanceof SlidingLog ? held : undefined;
    if (log !== undefined) log.purge(t, per);
    const sum = log === undefined ? 0 : log.sum;
    if (cost > rate) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining: Math.max(0, rate - sum), delay: 0 };
    // Earliest start s: not before now, not before the last reservation (FIFO).
    let s = t;
    // Stryker disable next-line all: equivalent — the window alone already puts a new slot at or after the last reservation (that slot was the earliest with room, and the new call needs more), so this FIFO guard never moves s
    if (log !== undefined && !log.empty && log.last > s) s = log.last;
    let excess = sum + cost - rate;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — the loop below repeats the excess > 0 test
    if (excess > 0 && log !== undefined) {
      const times = log.times;
      const costs = log.costs;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — removing every entry leaves excess = cost − rate ≤ 0, so the loop always ends on excess before the end of the log
      for (let i = log.head; i < times.length && excess > 0; i++) {
        excess -= costs[i] as number;
        const leaves = (times[i] as number) + per;
        // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — entries are in time order and still in the window, so the last removed entry's leave time is the largest and after both now and the last reservation
        if (leaves > s) s = leaves;
      }
    }
    let wait = s - t;
// Stryker disable next-line EqualityOperator: equivalent — the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    if (wait > EPS) {
      s = Math.ceil(s - EPS); // a reserved slot starts on a whole ms, where timers fire
      wait = s - t;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — maxWait ≥ 0 makes the first test redundant; for <= against <, the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    if (wait <= EPS || wait <= rule.maxWait + EPS) {
      let fresh = false;
      if (log === undefined) {
        if (held === undefined && !this.admitKey()) return this.full(per + rule.maxWait);
        log = new SlidingLog();
        this.keys.set(key, log);
        fresh = true;
      }
      // Stryker disable next-line all: equivalent — s ≥ t always, so max(t, s), min within the float slack and s are the same slot
      const at = wait <= EPS ? Math.max(t, s) : s;
      log.times.push(at);
      log.costs.push(cost);
      log.sum += cost;
      if (fresh) this.afterInsert(at + this.windowPer, held === undefined);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent — an immediate admission has wait 0 (delay 0 either way), and a reservation means sum + cost > rate (remaining 0 either way); the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
      return { allowed: true, retryAfter: 0, remaining: wait <= EPS ? Math.max(0, rate - log.sum) : 0, delay: wait <= EPS ? 0 : wait };
    }
    // Stryker disable next-line ConditionalExpression: equivalent when false — the condition never holds: a refused call with cost ≤ rate has a non-empty log (an empty one admits at once); true is killed by the refusal tests
    if (log !== undefined && log.empty) this.keys.delete(key);
    return { allowed: false, retryAfter: Math.ceil(wait - EPS), remaining: Math.max(0, rate - sum), delay: 0 };
  }

  /** Writes a GCRA key's new TAT; false when a new key finds the store at `maxKeys`. */
  private store(key: string, held: KeyState | undefined, cell: GcraCell | undefined, tat: number): boolean {
// Stryker disable next-line BlockStatement: equivalent — writing the held cell or setting a new cell holds the same TAT; the branch only saves an allocation
    if (cell !== undefined) {
      cell.tat = tat;
      return true;
    }
    if (held === undefined && !this.admitKey()) return false;
    this.keys.set(key, new GcraCell(tat));
    this.afterInsert(tat, held === undefined);
    return true;
  }

  private full(retryAfter: number): StoreDecision {
    return { allowed: false, retryAfter: Math.ceil(retryAfter - EPS), remaining: 0, delay: 0, capacity: true };
  }

  /** Room for one more key? Sweeps a little first when the store is at its bound. */
  private admitKey(): boolean {
    if (this.keys.size < this.maxKeys) return true;
    this.sweepSome(64, true);
    return this.keys.size < this.maxKeys;
  }

  /**
   * After a new state that is full again at relative time `full` (`isNew`: a new key, which
   * checks a couple of old ones; else a held key that changed algorithm): makes sure the idle
   * sweep comes by `full` + its shortest interval. Only a new state can be full sooner than
   * the keys the armed pass was timed for (a held key's time only moves later), so the hot
   * path of a held key does nothing for the sweep.
   */
  private afterInsert(full: number, isNew: boolean): void {
    const t = isNew ? this.sweepSome(SWEEP_PER_INSERT) : this.clock.now() - this.origin;
    this.sweep.noteFull(full, t);
  }

  /** Relative time at which this state is back to "full" (if nothing else comes). */
  private fullAt(state: KeyState): number {
    if (state instanceof GcraCell) return state.tat;
    return state.empty ? Number.NEGATIVE_INFINITY : state.last + this.windowPer;
  }

  /** Is this state back to "full" at relative time `t`? */
  private idle(state: KeyState, t: number): boolean {
// Stryker disable next-line EqualityOperator: equivalent — the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
    return this.fullAt(state) <= t + EPS;
  }

  /**
   * Inspects up to `n` entries from the rolling cursor, dropping idle ones. At the end of the
   * map it stops, unless `wrap` (a new key at the bound: every key up to `n` must be seen,
   * not only those after the cursor), where it goes on once from the start.
   */
  private sweepSome(n: number, wrap = false): number {
    const t = this.clock.now() - this.origin;
    for (let i = 0; i < n; ) {
      let cursor = this.cursor;
      if (cursor === undefined) cursor = this.cursor = this.keys.entries();
      const r = cursor.next();
      if (r.done === true) {
        this.cursor = undefined;
        // A live cursor sees the key just added, so an unwrapped call ends here having seen one.
        if (!wrap) return t;
        wrap = false;
        continue;
      }
      i++;
      const [k, state] = r.value;
      if (this.idle(state, t)) this.keys.delete(k);
    }
    return t;
  }
}

function remainingOf(limit: number, ahead: number, interval: number): number {
  return Math.max(0, Math.floor((limit - Math.max(0, ahead)) / interval + 1e-9));
}

/**
 * Creates a {@link MemoryRateLimitStore}: the default store of every rate limiter (each
 * limiter gets its own when `store` is not given). Share one store between limiters only
 * when their keys differ.
 *
 * @example
 * ```ts
 * const store = memoryRateLimitStore({ maxKeys: 100_000 });
 * const chat = rateLimiter.partitioned({ key: (ctx) => ctx.labels.player ?? '', rate: 5, store });
 * ```
 */
export function memoryRateLimitStore(options?: MemoryRateLimitStoreOptions): MemoryRateLimitStore {
  return new MemoryRateLimitStore(options);
}
