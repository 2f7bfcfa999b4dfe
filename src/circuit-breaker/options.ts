/**
 * Options of the circuit breaker, their defaults and their validation schema.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { handleRules, type HandleOptions } from '../core/classify';
import type { ValidationIssue } from '../core/errors';
import { isPlainObject, rules, type Rule } from '../core/validation';
import { isBreakerFleet, isFleetQuorum, type BreakerFleet, type FleetQuorum } from './fleet';
import type { CircuitBreakerSnapshot } from './snapshot';
import { isCircuitBreakerSnapshot } from './snapshot';

/** A window of the last `size` calls. */
export interface CountWindowOptions {
  /** A count window. */
  readonly kind: 'count';
  /** Number of most recent calls the failure rate is computed over (1 to 1 000 000). */
  readonly size: number;
}

/**
 * A window of the calls that finished in the last `duration` ms, kept as `buckets` buckets
 * of `duration / buckets` ms. The bucket of a time `t` is `Math.floor(t / (duration / buckets))`;
 * the window at time `now` holds the current bucket and the `buckets - 1` before it, so
 * it spans between `duration - duration / buckets` and `duration` ms.
 */
export interface TimeWindowOptions {
  /** A time window. */
  readonly kind: 'time';
  /** Length of the window in ms (> 0). */
  readonly duration: number;
  /** Number of buckets (1 to 10 000). More buckets slide more smoothly. @defaultValue 10 */
  readonly buckets?: number | undefined;
}

/** How `recoveryTimeout` is given: fixed ms, or ms as a function of the number of consecutive opens. */
export type RecoveryTimeout = number | ((consecutiveOpens: number) => number);

/** Options of the half-open state. */
export interface HalfOpenOptions {
  /**
   * How many trial calls may run at once in half-open. Calls beyond are rejected, not queued.
   * @defaultValue 1
   */
  readonly maxProbes?: number | undefined;
  /** How many trial calls must succeed before the breaker closes. @defaultValue 1 */
  readonly successThreshold?: number | undefined;
  /**
   * After this many ms a trial call that has not finished loses its permit, so a hung probe
   * cannot keep the breaker half-open forever; its late result is then ignored. `Infinity`
   * switches this off (only do so when a timeout policy runs inside the breaker).
   * @defaultValue 60 000
   */
  readonly probeTimeout?: number | undefined;
}

/**
 * Options of {@link circuitBreaker}.
 *
 * Two trip rules exist; pick one. Without `window`, the breaker opens after
 * `failureThreshold` consecutive failures. With `window`, it opens when, over the window,
 * at least `minimumThroughput` calls were counted and the failure rate reaches
 * `failureRateThreshold` (or the slow-call rate reaches `slowCallRateThreshold`).
 *
 * Rates are ratios between 0 and 1 (0.5 = 50 %), never percentages.
 *
 * @example
 * ```ts
 * const breaker = circuitBreaker({
 *   name: 'leaderboard-db',
 *   window: { kind: 'time', duration: 10_000, buckets: 10 },
 *   minimumThroughput: 20,
 *   failureRateThreshold: 0.5,
 *   slowCallDuration: 500,
 *   slowCallRateThreshold: 0.8,
 *   recoveryTimeout: (opens) => Math.min(5_000 * 2 ** (opens - 1), 60_000),
 *   handleResult: (res: { status: number }) => res.status >= 500,
 * });
 * ```
 */
export interface CircuitBreakerOptions<T = unknown> extends HandleOptions<T> {
  /** Name used in events, metrics and `BrokenCircuitError`. @defaultValue `'circuit-breaker'` */
  readonly name?: string | undefined;
  /** The clock transitions are computed from. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /**
   * Consecutive-failure rule: open after this many failures in a row (a success resets
   * the count). Not allowed together with `window`. @defaultValue 5 (when `window` is not given)
   */
  readonly failureThreshold?: number | undefined;
  /** Failure-rate rule: the window the rates are computed over. @defaultValue none (consecutive-failure rule) */
  readonly window?: CountWindowOptions | TimeWindowOptions | undefined;
  /**
   * Rates are not evaluated until the window holds at least this many calls. Requires
   * `window`; at most `window.size` for count windows.
   * @defaultValue 10, or `window.size` when that is smaller
   */
  readonly minimumThroughput?: number | undefined;
  /** Open when failures / calls in the window is ≥ this ratio, in (0, 1]. Requires `window`. @defaultValue 0.5 */
  readonly failureRateThreshold?: number | undefined;
  /**
   * A call taking at least this many ms (> 0) is slow, whether it succeeded or failed.
   * Requires `window`. In half-open a slow probe counts as a failed probe.
   * @defaultValue none (no call is slow)
   */
  readonly slowCallDuration?: number | undefined;
  /**
   * Open when slow calls / calls in the window is ≥ this ratio, in (0, 1]. Requires
   * `slowCallDuration`. @defaultValue 1 (when `slowCallDuration` is given)
   */
  readonly slowCallRateThreshold?: number | undefined;
  /**
   * How long the breaker stays open before it admits a probe, in ms: a number ≥ 0, or a
   * function of the number of consecutive opens (1 for the first open after closing,
   * 2 when the first probe failed…) so the break can grow up to a cap. A function whose
   * result is not a finite number ≥ 0 (or that throws) counts as 60 000.
   * @defaultValue 60 000
   */
  readonly recoveryTimeout?: RecoveryTimeout | undefined;
  /** Options of the half-open state. @defaultValue `{ maxProbes: 1, successThreshold: 1, probeTimeout: 60_000 }` */
  readonly halfOpen?: HalfOpenOptions | undefined;
  /**
   * Start from a snapshot taken by `snapshot()` (e.g. before a restart), so an open
   * breaker stays open. Window counts are kept when the window options match.
   * @defaultValue none (start closed)
   */
  readonly restore?: CircuitBreakerSnapshot | undefined;
  /**
   * Makes the breaker fleet-aware: breakers of the same `name` on every instance that joins
   * this fleet (e.g. `redisBreakerFleet(coordinator)` from `breakwater/redis`) share what
   * they see. Each instance keeps its own breaker and a call never waits on the fleet. An instance whose
   * breaker opens by its own calls says so; a closed instance opens (reason `fleet`) when at
   * least `quorum` live instances report it open; half-open probing is fleet-wide (one
   * instance at a time holds the probe lease; a probe that succeeds closes the breaker
   * everywhere, one that fails reopens it everywhere); when the fleet is unreachable the
   * breaker works alone (`fleet-degraded`) until it resyncs (`fleet-synced`). Requires
   * `name` and a finite `halfOpen.probeTimeout` (the lease's time to live).
   * @defaultValue none (a breaker of this process only)
   */
  readonly coordinator?: BreakerFleet | undefined;
  /**
   * With `coordinator`: how many instances must report the breaker open, each by its own
   * calls, before the others open it. An integer ≥ 1 is a count; a number in (0, 1) is a
   * fraction of the live instances (this one included), rounded up. The default, 2, is the
   * smallest count that no single instance reaches alone: one sick instance (a bad route, a
   * stuck pool) opens only itself, while a second instance seeing the same failures is
   * enough for the whole fleet to stop calling. Use 1 when any instance's view should stop
   * everyone, a fraction when a failing subset (one zone of a large fleet) must not.
   * @defaultValue 2
   */
  readonly quorum?: FleetQuorum | undefined;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const circuitBreakerDefaults = {
  /** Default of {@link CircuitBreakerOptions.name}. */
  name: 'circuit-breaker',
  /** Default of {@link CircuitBreakerOptions.failureThreshold} (used when no `window` is given). */
  failureThreshold: 5,
  /**
   * Default of {@link CircuitBreakerOptions.minimumThroughput}; a count window smaller than
   * this uses its `size` instead.
   */
  minimumThroughput: 10,
  /** Default of {@link CircuitBreakerOptions.failureRateThreshold} (a ratio: 50 %). */
  failureRateThreshold: 0.5,
  /** Default of {@link CircuitBreakerOptions.slowCallRateThreshold} when `slowCallDuration` is given (a ratio: 100 %). */
  slowCallRateThreshold: 1,
  /**
   * Default of {@link CircuitBreakerOptions.recoveryTimeout}, in ms; also used when a
   * `recoveryTimeout` function returns something other than a finite number ≥ 0, or throws.
   */
  recoveryTimeout: 60_000,
  /** Default of {@link TimeWindowOptions.buckets}. */
  buckets: 10,
  /** Default of {@link HalfOpenOptions.maxProbes}. */
  maxProbes: 1,
  /** Default of {@link HalfOpenOptions.successThreshold}. */
  successThreshold: 1,
  /** Default of {@link HalfOpenOptions.probeTimeout}, in ms. */
  probeTimeout: 60_000,
  /** Default of {@link CircuitBreakerOptions.quorum} (used with `coordinator`): two instances. */
  quorum: 2,
} as const;

/** @internal Largest count window and largest number of buckets or probes. */
export const LIMITS = { windowSize: 1_000_000, buckets: 10_000, maxProbes: 10_000 } as const;

const ratio = rules.number(0, 1, { exclusiveMin: true });

const windowRule: Rule = rules.object(
  {
    kind: rules.required(rules.oneOf(['count', 'time'])),
    size: rules.integer(1, LIMITS.windowSize),
    duration: rules.duration(0, { exclusiveMin: true }),
    buckets: rules.integer(1, LIMITS.buckets),
  },
  "an object { kind: 'count', size } or { kind: 'time', duration, buckets? }",
);

/** @internal The validation schema. */
export const circuitBreakerSchema = {
  name: rules.string(),
  clock: rules.clock(),
  failureThreshold: rules.integer(1),
  window: windowRule,
  minimumThroughput: rules.integer(1),
  failureRateThreshold: ratio,
  slowCallDuration: rules.duration(0, { exclusiveMin: true }),
  slowCallRateThreshold: ratio,
  recoveryTimeout: rules.anyOf(rules.duration(0), rules.func('a function (consecutiveOpens) => ms')),
  halfOpen: rules.object({
    maxProbes: rules.integer(1, LIMITS.maxProbes),
    successThreshold: rules.integer(1),
    probeTimeout: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  }),
  handle: handleRules.handle,
  handleResult: handleRules.handleResult,
  restore: { expected: 'a snapshot returned by snapshot() (version 1)', check: isCircuitBreakerSnapshot } satisfies Rule,
  coordinator: {
    expected: 'a breaker fleet (an object with a joinBreaker(name, peer) function, e.g. redisBreakerFleet(coordinator))',
    check: isBreakerFleet,
  } satisfies Rule,
  quorum: { expected: 'an integer ≥ 1 (a count of instances) or a number > 0 and < 1 (a fraction of the live instances)', check: isFleetQuorum } satisfies Rule,
};

/** @internal Cross-field checks. */
export function checkCircuitBreakerOptions(o: CircuitBreakerOptions<never>, issues: ValidationIssue[]): void {
  checkFleetOptions(o, issues);
  const w = o.window;
  if (w === undefined) {
    for (const key of ['minimumThroughput', 'failureRateThreshold', 'slowCallDuration', 'slowCallRateThreshold'] as const) {
      if (o[key] !== undefined) issues.push({ path: key, value: o[key], expected: 'given only together with `window`' });
    }
    return;
  }
  if (o.failureThreshold !== undefined) {
    issues.push({ path: 'failureThreshold', value: o.failureThreshold, expected: 'absent when `window` is given (use `failureRateThreshold`)' });
  }
  if (isPlainObject(w)) {
    if (w.kind === 'count') {
      if (w.size === undefined) issues.push({ path: 'window.size', value: undefined, expected: 'an integer ≥ 1 (required by a count window)' });
      for (const key of ['duration', 'buckets'] as const) {
        const v = (w as unknown as Record<string, unknown>)[key];
        if (v !== undefined) issues.push({ path: `window.${key}`, value: v, expected: 'absent in a count window' });
      }
      if (o.minimumThroughput !== undefined && w.size !== undefined && o.minimumThroughput > w.size) {
        issues.push({ path: 'minimumThroughput', value: o.minimumThroughput, expected: `≤ window.size (${w.size})` });
      }
    } else {
      if (w.duration === undefined) issues.push({ path: 'window.duration', value: undefined, expected: 'a duration in ms > 0 (required by a time window)' });
      const size = (w as unknown as Record<string, unknown>)['size'];
      if (size !== undefined) issues.push({ path: 'window.size', value: size, expected: 'absent in a time window' });
    }
  }
  if (o.slowCallRateThreshold !== undefined && o.slowCallDuration === undefined) {
    issues.push({ path: 'slowCallRateThreshold', value: o.slowCallRateThreshold, expected: 'given only together with `slowCallDuration`' });
  }
}

/** Cross-field checks of the fleet options. */
function checkFleetOptions(o: CircuitBreakerOptions<never>, issues: ValidationIssue[]): void {
  if (o.coordinator === undefined) {
    if (o.quorum !== undefined) issues.push({ path: 'quorum', value: o.quorum, expected: 'given only together with `coordinator`' });
    return;
  }
  if (o.name === undefined) {
    issues.push({ path: 'name', value: undefined, expected: 'a non-empty string (required with `coordinator`: instances share a breaker by name)' });
  }
  const probeTimeout = o.halfOpen?.probeTimeout;
  if (probeTimeout === Number.POSITIVE_INFINITY) {
    issues.push({ path: 'halfOpen.probeTimeout', value: probeTimeout, expected: 'a finite duration in ms with `coordinator` (the fleet\'s probe lease expires after it)' });
  }
}
