/**
 * @internal The trip rules of the circuit breaker: what it counts while closed and when that
 * opens it. Three rules exist, one class each: {@link ConsecutiveFailuresRule} (no
 * `window` option), {@link CountWindowRule} and {@link TimeWindowRule} (a failure-rate and
 * slow-call-rate rule over a `count` or `time` window). The breaker holds one
 * {@link TripRule} and never asks which one it is.
 *
 * @packageDocumentation
 */
import type { CircuitBreakerSnapshot, CircuitWindowSnapshot } from './snapshot';
import type { CircuitOpenReason } from './events';
import { circuitBreakerDefaults as D, type CircuitBreakerOptions } from './options';
import type { CircuitBreakerStats } from './stats';
import { CountWindow, TimeWindow } from './window';

/** @internal The reasons a trip rule gives for opening (the other reasons come from probes and `isolate()`). */
export type TripReason = Extract<CircuitOpenReason, 'failures' | 'failure-rate' | 'slow-call-rate'>;

/** @internal What a trip rule has counted, for `stats`. */
export interface TripCounts {
  /** Consecutive failures (consecutive rule; 0 for a window). */
  readonly consecutiveFailures: number;
  /** Calls in the window (0 for the consecutive rule). */
  readonly calls: number;
  /** Failed calls in the window (0 for the consecutive rule). */
  readonly failures: number;
  /** Slow calls in the window (0 for the consecutive rule). */
  readonly slowCalls: number;
}

/** @internal The part of a {@link CircuitBreakerSnapshot} a trip rule writes and reads. */
export interface TripRuleSnapshot {
  readonly consecutiveFailures: number;
  readonly window: CircuitWindowSnapshot | null;
}

/**
 * @internal A trip rule: it counts the outcomes of closed-state calls and says when they
 * should open the breaker. The breaker calls {@link TripRule.record} for every counted call;
 * it returns what {@link TripRule.shouldTrip} would say right after, in the same call (one
 * call on the hot path instead of two, a measured 2–4 ns), and allocates nothing.
 */
export interface TripRule {
  /** Which rule this is, as `stats.rule` reports it. */
  readonly kind: CircuitBreakerStats['rule'];
  /**
   * A call taking at least this many ms is slow; `Infinity` when no slow-call rule is set
   * (no call is slow).
   */
  readonly slowCallDuration: number;
  /** True when calls must be timed (a slow-call rule): the breaker reads the clock when a call starts and ends. */
  readonly timesCalls: boolean;
  /**
   * True when {@link TripRule.record} and {@link TripRule.shouldTrip} read `now` (a time
   * window). The other rules ignore it, so the breaker need not read the clock for them.
   */
  readonly usesNow: boolean;
  /** Counts one outcome of a closed-state call that ended at `now`; returns {@link TripRule.shouldTrip} at `now`. */
  record(failed: boolean, slow: boolean, now: number): TripReason | undefined;
  /** Why the counts at `now` should open the breaker, or `undefined` when they should not. */
  shouldTrip(now: number): TripReason | undefined;
  /** Drops the outcomes that have left the window at `now` (a time window; no-op otherwise). */
  expire(now: number): void;
  /**
   * The breaker changed state. The consecutive rule restarts its count (failures are
   * consecutive within one closed period); windows keep theirs until {@link TripRule.clear}.
   */
  stateChanged(): void;
  /** Forgets every outcome (the breaker closed). */
  clear(): void;
  /** The counts at `now` (a time window first expires old buckets). */
  counts(now: number): TripCounts;
  /** The rule's part of a snapshot taken at `now`. */
  snapshot(now: number): TripRuleSnapshot;
  /** Loads the rule's part of a snapshot at `now`; a window loads counts only when its options match. */
  restore(s: CircuitBreakerSnapshot, now: number): void;
  /** The rule's effective options, for `describe()`. */
  describe(): Record<string, unknown>;
}

/** @internal Opens after `threshold` failures in a row; a success restarts the count. */
export class ConsecutiveFailuresRule implements TripRule {
  readonly kind = 'consecutive';
  readonly slowCallDuration = Number.POSITIVE_INFINITY;
  readonly timesCalls = false;
  readonly usesNow = false;
  /** Failures in a row in the current closed period. */
  private failuresInARow = 0;

  constructor(readonly threshold: number) {}

  record(failed: boolean): TripReason | undefined {
    this.failuresInARow = failed ? this.failuresInARow + 1 : 0;
    return this.shouldTrip();
  }

  shouldTrip(): TripReason | undefined {
    return this.failuresInARow >= this.threshold ? 'failures' : undefined;
  }

  expire(): void {}

  stateChanged(): void {
    this.failuresInARow = 0;
  }

  clear(): void {
    this.failuresInARow = 0;
  }

  counts(): TripCounts {
    return { consecutiveFailures: this.failuresInARow, calls: 0, failures: 0, slowCalls: 0 };
  }

  snapshot(): TripRuleSnapshot {
    return { consecutiveFailures: this.failuresInARow, window: null };
  }

  restore(s: CircuitBreakerSnapshot): void {
    // The count belongs to a closed period: a snapshot of another state carries none.
    if (s.state === 'closed') this.failuresInARow = s.consecutiveFailures;
  }

  describe(): Record<string, unknown> {
    return { failureThreshold: this.threshold };
  }
}

/** @internal The thresholds of a failure-rate rule. */
interface RateThresholds {
  readonly minimumThroughput: number;
  readonly failureRateThreshold: number;
  /** A call taking at least this many ms is slow; `Infinity`: none is. */
  readonly slowCallDuration: number;
  /** `Infinity` when no slow-call rule is set (no rate reaches it). */
  readonly slowCallRateThreshold: number;
}

/** @internal The failure-rate and slow-call-rate test shared by both window rules. */
function rateReason(calls: number, failures: number, slow: number, t: RateThresholds): TripReason | undefined {
  if (calls < t.minimumThroughput) return undefined;
  if (failures / calls >= t.failureRateThreshold) return 'failure-rate';
  if (slow / calls >= t.slowCallRateThreshold) return 'slow-call-rate';
  return undefined;
}

function windowCounts(w: CountWindow | TimeWindow): TripCounts {
  return { consecutiveFailures: 0, calls: w.calls, failures: w.failures, slowCalls: w.slow };
}

function describeRates(t: RateThresholds, timesCalls: boolean): Record<string, unknown> {
  return {
    minimumThroughput: t.minimumThroughput,
    failureRateThreshold: t.failureRateThreshold,
    ...(timesCalls ? { slowCallDuration: t.slowCallDuration, slowCallRateThreshold: t.slowCallRateThreshold } : {}),
  };
}

/** @internal Failure and slow-call rates over the last `size` calls. */
export class CountWindowRule implements TripRule, RateThresholds {
  readonly kind = 'count';
  readonly usesNow = false;
  readonly timesCalls: boolean;
  readonly window: CountWindow;

  constructor(
    size: number,
    readonly minimumThroughput: number,
    readonly failureRateThreshold: number,
    readonly slowCallDuration: number,
    readonly slowCallRateThreshold: number,
  ) {
    this.window = new CountWindow(size);
    this.timesCalls = slowCallDuration !== Number.POSITIVE_INFINITY;
  }

  record(failed: boolean, slow: boolean): TripReason | undefined {
    this.window.record(failed, slow);
    return this.shouldTrip();
  }

  shouldTrip(): TripReason | undefined {
    const w = this.window;
    return rateReason(w.calls, w.failures, w.slow, this);
  }

  expire(): void {}

  stateChanged(): void {}

  clear(): void {
    this.window.clear();
  }

  counts(): TripCounts {
    return windowCounts(this.window);
  }

  snapshot(): TripRuleSnapshot {
    const w = this.window;
    return { consecutiveFailures: 0, window: { kind: 'count', size: w.size, outcomes: w.outcomes() } };
  }

  restore(s: CircuitBreakerSnapshot): void {
    const sw = s.window;
    if (sw !== null && sw.kind === 'count' && sw.size === this.window.size) this.window.load(sw.outcomes);
  }

  describe(): Record<string, unknown> {
    return { window: { kind: 'count', size: this.window.size }, ...describeRates(this, this.timesCalls) };
  }
}

/** @internal Failure and slow-call rates over the calls that ended in the last `duration` ms. */
export class TimeWindowRule implements TripRule, RateThresholds {
  readonly kind = 'time';
  readonly usesNow = true;
  readonly timesCalls: boolean;
  readonly window: TimeWindow;

  constructor(
    duration: number,
    buckets: number,
    readonly minimumThroughput: number,
    readonly failureRateThreshold: number,
    readonly slowCallDuration: number,
    readonly slowCallRateThreshold: number,
  ) {
    this.window = new TimeWindow(duration, buckets);
    this.timesCalls = slowCallDuration !== Number.POSITIVE_INFINITY;
  }

  record(failed: boolean, slow: boolean, now: number): TripReason | undefined {
    const w = this.window;
    w.record(failed, slow, now); // expires the window at `now` first
    return rateReason(w.calls, w.failures, w.slow, this);
  }

  shouldTrip(now: number): TripReason | undefined {
    const w = this.window;
    w.expire(now);
    return rateReason(w.calls, w.failures, w.slow, this);
  }

  expire(now: number): void {
    this.window.expire(now);
  }

  stateChanged(): void {}

  clear(): void {
    this.window.clear();
  }

  counts(now: number): TripCounts {
    this.window.expire(now);
    return windowCounts(this.window);
  }

  snapshot(now: number): TripRuleSnapshot {
    const w = this.window;
    return { consecutiveFailures: 0, window: { kind: 'time', duration: w.duration, buckets: w.buckets, counts: w.bucketsAt(now) } };
  }

  restore(s: CircuitBreakerSnapshot, now: number): void {
    const sw = s.window;
    const w = this.window;
    if (sw !== null && sw.kind === 'time' && sw.duration === w.duration && sw.buckets === w.buckets) w.load(sw.counts, now);
  }

  describe(): Record<string, unknown> {
    const w = this.window;
    return { window: { kind: 'time', duration: w.duration, buckets: w.buckets }, ...describeRates(this, this.timesCalls) };
  }
}

/** @internal The trip rule that validated options ask for. */
export function createTripRule(o: CircuitBreakerOptions<never>): TripRule {
  const w = o.window;
  if (w === undefined) return new ConsecutiveFailuresRule(o.failureThreshold ?? D.failureThreshold);
  const failureRate = o.failureRateThreshold ?? D.failureRateThreshold;
  const slowDuration = o.slowCallDuration ?? Number.POSITIVE_INFINITY;
  const slowRate = o.slowCallDuration === undefined ? Number.POSITIVE_INFINITY : (o.slowCallRateThreshold ?? D.slowCallRateThreshold);
  if (w.kind === 'count') {
    const minimum = o.minimumThroughput ?? Math.min(D.minimumThroughput, w.size);
    return new CountWindowRule(w.size, minimum, failureRate, slowDuration, slowRate);
  }
  return new TimeWindowRule(w.duration, w.buckets ?? D.buckets, o.minimumThroughput ?? D.minimumThroughput, failureRate, slowDuration, slowRate);
}
