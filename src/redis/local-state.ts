/**
 * What the fleet rate-limit store keeps in the process: per key, the tokens of its local
 * batch and what it learned from the last refusal, and the local limit it decides with
 * while Redis is unreachable. Every entry expires, and entries are dropped on access and
 * by an amortized sweep (a couple of entries checked per insert), so a million one-off
 * keys do not stay in memory and no timer is needed.
 *
 * @packageDocumentation
 */
import type { StoreDecision } from '../rate-limiter/store';

/** @internal Entries checked per insert by the sweep. */
const SWEEP_PER_INSERT = 2;
/** @internal Float slack (ms). */
const EPS = 1e-6;

/** @internal A map whose entries expire at `expiresAt(value)` (store clock ms). */
export class ExpiringMap<V> {
  private readonly map = new Map<string, V>();
  private cursor: Iterator<[string, V]> | undefined;

  constructor(private readonly expiresAt: (value: V) => number) {}

  get size(): number {
    return this.map.size;
  }

  /** The live entry of `key` at time `t` (an expired one is dropped). */
  get(key: string, t: number): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (this.expiresAt(v) <= t + EPS) {
      this.map.delete(key);
      return undefined;
    }
    return v;
  }

  /** Adds or replaces `key`; a new key makes the sweep check a couple of old ones. */
  set(key: string, value: V, t: number): void {
    const isNew = !this.map.has(key);
    this.map.set(key, value);
    if (isNew) this.sweep(t);
  }

  clear(): void {
    this.map.clear();
    this.cursor = undefined;
  }

  private sweep(t: number): void {
    for (let i = 0; i < SWEEP_PER_INSERT; i++) {
      if (this.cursor === undefined) this.cursor = this.map.entries();
      const r = this.cursor.next();
      if (r.done === true) {
        this.cursor = undefined;
        return;
      }
      const [k, v] = r.value;
      if (this.expiresAt(v) <= t + EPS) this.map.delete(k);
    }
  }
}

/**
 * @internal What the store knows locally about one key: the tokens of its local batch
 * (spendable until `leaseUntil`) and, after a refusal from Redis, the time before which a
 * call of at least `refusedCost` cannot be admitted (`refusedUntil`).
 */
export interface KeyKnowledge {
  tokens: number;
  leaseUntil: number;
  refusedUntil: number;
  refusedCost: number;
}

/** @internal When a {@link KeyKnowledge} is worth nothing any more. */
export const knowledgeExpiry = (k: KeyKnowledge): number => Math.max(k.tokens > 0 ? k.leaseUntil : 0, k.refusedUntil);

/**
 * @internal The limit a process applies alone while Redis is unreachable: GCRA at `share`
 * of the fleet's rate, with a burst of `max(1, round(burst · share))` (for a sliding window
 * of `rate` per `per`: `rate · share` per `per`, bursts of `max(1, round(rate · share))`).
 * One number (the TAT) per key; a call within `maxWait` reserves its later slot.
 */
export class LocalLimit {
  private readonly tats = new ExpiringMap<{ tat: number }>((v) => v.tat);

  /** Keys held now. */
  get size(): number {
    return this.tats.size;
  }

  consume(key: string, cost: number, t: number, rate: number, per: number, burst: number, maxWait: number, share: number): StoreDecision {
    const interval = per / (rate * share);
    const b = Math.max(1, Math.round(burst * share));
    const limit = b * interval;
    const cell = this.tats.get(key, t);
    const tat = cell !== undefined && cell.tat > t ? cell.tat : t;
    const newTat = tat + cost * interval;
    const wait = newTat - limit - t;
    if (wait <= EPS) {
      if (cell !== undefined) cell.tat = newTat;
      else this.tats.set(key, { tat: newTat }, t);
      return { allowed: true, retryAfter: 0, remaining: Math.max(0, Math.floor((limit - (newTat - t)) / interval + 1e-9)), delay: 0 };
    }
    const remaining = Math.max(0, Math.floor((limit - (tat - t)) / interval + 1e-9));
    if (cost * interval > limit + EPS) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining, delay: 0 };
    const delay = Math.ceil(wait - EPS);
    if (delay <= maxWait + EPS) {
      // Reserve the later slot, as the shared limit would.
      const reserved = t + delay + limit;
      if (cell !== undefined) cell.tat = reserved;
      else this.tats.set(key, { tat: reserved }, t);
      return { allowed: true, retryAfter: 0, remaining: 0, delay };
    }
    return { allowed: false, retryAfter: delay, remaining, delay: 0 };
  }

  clear(): void {
    this.tats.clear();
  }
}
