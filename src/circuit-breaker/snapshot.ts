/**
 * The snapshot format of a circuit breaker: plain JSON, versioned, with durations relative
 * to the breaker's clock (never wall-clock instants), so it survives a restart, a rolling
 * deploy or a move to a machine whose clock has another origin.
 *
 * @packageDocumentation
 */
import { isCircuitState } from '../core/circuit-states';
import type { CircuitState } from './events';

/** Window counts in a snapshot. */
export type CircuitWindowSnapshot =
  | {
      /** A count window. */
      readonly kind: 'count';
      /** Its `size` option. */
      readonly size: number;
      /** The outcomes in the window, oldest first: bit 1 = failed, bit 2 = slow. */
      readonly outcomes: readonly number[];
    }
  | {
      /** A time window. */
      readonly kind: 'time';
      /** Its `duration` option. */
      readonly duration: number;
      /** Its `buckets` option. */
      readonly buckets: number;
      /** `[calls, failures, slow]` per bucket, oldest first; the last is the current bucket. */
      readonly counts: readonly (readonly [number, number, number])[];
    };

/**
 * What `snapshot()` returns and the `restore` option takes. JSON-safe.
 *
 * @example
 * ```ts
 * await redis.set('breaker:payments', JSON.stringify(breaker.snapshot()));
 * // after the restart:
 * const saved = JSON.parse((await redis.get('breaker:payments')) ?? 'null');
 * const breaker = circuitBreaker({ name: 'payments', ...(saved ? { restore: saved } : {}) });
 * ```
 */
export interface CircuitBreakerSnapshot {
  /** Format version: 1. */
  readonly version: 1;
  /** The state when the snapshot was taken (after lazy transitions). */
  readonly state: CircuitState;
  /** For `open`: ms since the breaker opened. 0 otherwise. */
  readonly openedFor: number;
  /** For `open`: the break of this open in ms (the evaluated `recoveryTimeout`). 0 otherwise. */
  readonly recoveryTimeout: number;
  /** Opens since the breaker last closed (the argument of a `recoveryTimeout` function). */
  readonly consecutiveOpens: number;
  /** Consecutive failures counted in closed state (consecutive-failure rule). */
  readonly consecutiveFailures: number;
  /** For `half-open`: probes that succeeded so far. */
  readonly probeSuccesses: number;
  /** Window counts, or `null` for the consecutive-failure rule. */
  readonly window: CircuitWindowSnapshot | null;
}


const count = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const ms = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function isWindowSnapshot(w: unknown): boolean {
  if (w === null) return true;
  if (typeof w !== 'object') return false;
  const o = w as Record<string, unknown>;
  if (o['kind'] === 'count') {
    return count(o['size']) && Array.isArray(o['outcomes']) && o['outcomes'].every((x) => x === 0 || x === 1 || x === 2 || x === 3);
  }
  if (o['kind'] === 'time') {
    return (
      ms(o['duration']) &&
      count(o['buckets']) &&
      Array.isArray(o['counts']) &&
      o['counts'].every(
        (b) => Array.isArray(b) && b.length === 3 && b.every(count) && (b[1] as number) <= (b[0] as number) && (b[2] as number) <= (b[0] as number),
      )
    );
  }
  return false;
}

/** True when `value` has the shape of a {@link CircuitBreakerSnapshot} (version 1). */
export function isCircuitBreakerSnapshot(value: unknown): value is CircuitBreakerSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    s['version'] === 1 &&
    isCircuitState(s['state']) &&
    ms(s['openedFor']) &&
    ms(s['recoveryTimeout']) &&
    count(s['consecutiveOpens']) &&
    count(s['consecutiveFailures']) &&
    count(s['probeSuccesses']) &&
    isWindowSnapshot(s['window'])
  );
}

/**
 * @internal A breaker's snapshot from its state at the time taken: durations count only
 * while open (`sinceOpened`, `recovery`), probe successes only while half-open.
 */
export function snapshotOf(
  state: CircuitBreakerSnapshot['state'],
  sinceOpened: number,
  recovery: number,
  opens: number,
  probeSuccesses: number,
  rule: Pick<CircuitBreakerSnapshot, 'consecutiveFailures' | 'window'>,
): CircuitBreakerSnapshot {
  const open = state === 'open';
  return {
    version: 1,
    state,
    openedFor: open ? Math.max(0, sinceOpened) : 0,
    recoveryTimeout: open ? recovery : 0,
    consecutiveOpens: opens,
    consecutiveFailures: rule.consecutiveFailures,
    probeSuccesses: state === 'half-open' ? probeSuccesses : 0,
    window: rule.window,
  };
}
