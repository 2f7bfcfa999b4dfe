/**
 * Structural views of the live policies metrics reads gauges from: a breaker's `state`,
 * a bulkhead's `stats`, a rate limiter's `queued` and an adaptive concurrency limit's `stats`. Metrics imports no policy implementation: any object of the
 * right shape (from this or another copy of the package) is read.
 *
 * @packageDocumentation
 */
import type { ResilienceEvent, Subscription } from '../core/events';
import { isCircuitState, type CircuitState } from '../core/circuit-states';
import type { BulkheadSnapshot, ConcurrencyLimitSnapshot } from './snapshot';

/**
 * What {@link Metrics.observe} accepts: any breakwater policy or pipeline (anything with
 * `onEvent`). Pipelines are walked through `policies` to find breakers (`state`),
 * bulkheads (`stats`) and rate limiters (`queued`) whose live values become gauges.
 *
 * @example
 * ```ts
 * const target: Observable = pipeline(retry(), circuitBreaker());
 * metrics.observe(target);
 * ```
 */
export interface Observable {
  /** Subscribes to every event. */
  onEvent(listener: (event: ResilienceEvent) => void): Subscription;
}

/** @internal A breaker read live. */
export interface LiveBreaker {
  readonly name: string;
  readonly state: unknown;
}

/** @internal A bulkhead read live. */
export interface LiveBulkhead {
  readonly name: string;
  readonly stats: unknown;
}

/** @internal A rate limiter read live. */
export interface LiveRateLimiter {
  readonly name: string;
  readonly kind: string;
  readonly queued: unknown;
}

/** @internal An adaptive concurrency limit read live (kind `adaptive-concurrency`). */
export interface LiveConcurrencyLimit {
  readonly name: string;
  readonly kind: string;
  readonly stats: unknown;
}

/** @internal The live policies found in an observed policy or pipeline. */
export interface LiveParts {
  /** Every object of the tree (the target, nested pipelines, their policies). */
  readonly nodes: readonly object[];
  /** Breakers, by their `state`. */
  readonly breakers: readonly LiveBreaker[];
  /** Bulkheads, by their `stats`. */
  readonly bulkheads: readonly LiveBulkhead[];
  /** Rate limiters (kind `rate-limiter`), by their `queued`. */
  readonly rateLimiters: readonly LiveRateLimiter[];
  /** Adaptive concurrency limits (kind `adaptive-concurrency`), by their `stats`. */
  readonly concurrencyLimits: readonly LiveConcurrencyLimit[];
}

/** @internal True for anything with an `onEvent` method. */
export function isObservable(target: unknown): target is Observable {
  return typeof target === 'object' && target !== null && typeof (target as Partial<Observable>).onEvent === 'function';
}

/** @internal The breaker's state, `undefined` when unreadable or not a circuit state. */
export function readState(b: LiveBreaker): CircuitState | undefined {
  try {
    const s = b.state;
    return isCircuitState(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** @internal The bulkhead's occupancy and limits, `undefined` when unreadable. */
export function readStats(b: LiveBulkhead): Omit<BulkheadSnapshot, 'name'> | undefined {
  let s: unknown;
  try {
    s = b.stats;
    // Stryker disable next-line BlockStatement: equivalent — with the return gone, s stays undefined and the check below returns undefined
  } catch {
    return undefined;
  }
  if (typeof s !== 'object' || s === null) return undefined;
  const r = s as Record<string, unknown>;
  const num = (k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : 0);
  if (typeof r['active'] !== 'number') return undefined;
  return { active: num('active'), queued: num('queued'), maxConcurrent: num('maxConcurrent'), maxQueue: num('maxQueue') };
}

/** @internal The rate limiter's waiting calls, `undefined` when unreadable. */
export function readQueued(r: LiveRateLimiter): number | undefined {
  try {
    const q = r.queued;
    return typeof q === 'number' ? q : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @internal The adaptive limit's limit and load, `undefined` when unreadable. A partitioned
 * limit's `stats` has no `limit` (each partition has its own): `limit` is then `undefined`.
 */
export function readConcurrency(c: LiveConcurrencyLimit): Omit<ConcurrencyLimitSnapshot, 'name'> | undefined {
  let s: unknown;
  try {
    s = c.stats;
    // Stryker disable next-line BlockStatement: equivalent — with the return gone, s stays undefined and the check below returns undefined
  } catch {
    return undefined;
  }
  if (typeof s !== 'object' || s === null) return undefined;
  const r = s as Record<string, unknown>;
  if (typeof r['inFlight'] !== 'number') return undefined;
  return { limit: typeof r['limit'] === 'number' ? r['limit'] : undefined, inFlight: r['inFlight'], queued: typeof r['queued'] === 'number' ? r['queued'] : 0 };
}

/** @internal Walks `target` and its `policies`, recursively, once per object. */
export function findLiveParts(target: object): LiveParts {
  const nodes: object[] = [];
  const breakers: LiveBreaker[] = [];
  const bulkheads: LiveBulkhead[] = [];
  const rateLimiters: LiveRateLimiter[] = [];
  const concurrencyLimits: LiveConcurrencyLimit[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    nodes.push(node);
    const n = node as { kind?: unknown; name?: unknown; policies?: unknown; state?: unknown; stats?: unknown };
    if (typeof n.name === 'string') {
      if (n.kind === 'adaptive-concurrency' && 'stats' in n && readConcurrency(n as LiveConcurrencyLimit) !== undefined) {
        concurrencyLimits.push(n as LiveConcurrencyLimit);
      } else if ('state' in n && (n.kind === 'circuit-breaker' || readState(n as LiveBreaker) !== undefined)) {
        breakers.push(n as LiveBreaker);
      } else if ('stats' in n && readStats(n as LiveBulkhead) !== undefined) {
        bulkheads.push(n as LiveBulkhead);
      } else if (n.kind === 'rate-limiter' && 'queued' in n && readQueued(n as LiveRateLimiter) !== undefined) {
        rateLimiters.push(n as LiveRateLimiter);
      }
    }
    if (Array.isArray(n.policies)) for (const p of n.policies) walk(p);
  };
  walk(target);
  return { nodes, breakers, bulkheads, rateLimiters, concurrencyLimits };
}
