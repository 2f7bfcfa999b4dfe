/**
 * @internal The sliding windows of the failure-rate trip rule. Both keep running totals and
 * a fixed-size ring, so memory is set by the configuration (`size` outcomes of one byte, or
 * `buckets` counters), never by the number of calls.
 *
 * @packageDocumentation
 */

/** @internal Totals of a window. */
export interface WindowCounts {
  calls: number;
  failures: number;
  slow: number;
}

/** @internal A sliding window of call outcomes. */
export interface SlidingWindow {
  /** Calls in the window (after expiring old buckets at `now`). */
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
  /** Records one outcome at time `now` (ignored by count windows). */
  record(failed: boolean, slow: boolean, now: number): void;
  /** Drops outcomes that have left the window at `now` (no-op for count windows). */
  expire(now: number): void;
  /** Forgets everything. */
  clear(): void;
}

const FAILED = 1;
const SLOW = 2;

/**
 * @internal The last `size` outcomes, one byte each in a ring.
 */
export class CountWindow implements SlidingWindow {
  calls = 0;
  failures = 0;
  slow = 0;
  /** @internal The ring, exposed for snapshots and the memory test. */
  readonly ring: Uint8Array;
  private pos = 0;

  constructor(readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  record(failed: boolean, slow: boolean): void {
    const ring = this.ring;
    const pos = this.pos;
    if (this.calls === this.size) {
      const old = ring[pos] as number;
      if ((old & FAILED) !== 0) this.failures--;
      if ((old & SLOW) !== 0) this.slow--;
    } else {
      this.calls++;
    }
    ring[pos] = (failed ? FAILED : 0) | (slow ? SLOW : 0);
    if (failed) this.failures++;
    if (slow) this.slow++;
    this.pos = pos + 1 === this.size ? 0 : pos + 1;
  }

  expire(): void {}

  clear(): void {
    this.calls = this.failures = this.slow = 0;
    this.pos = 0;
    this.ring.fill(0);
  }

  /** @internal The outcomes in the window, oldest first (bit 1 = failed, bit 2 = slow). */
  outcomes(): number[] {
    const out: number[] = [];
    const start = this.calls === this.size ? this.pos : 0;
    for (let i = 0; i < this.calls; i++) out.push(this.ring[(start + i) % this.size] as number);
    return out;
  }

  /** @internal Replays outcomes (oldest first), as {@link CountWindow.outcomes} gives them. */
  load(outcomes: readonly number[]): void {
    this.clear();
    const from = Math.max(0, outcomes.length - this.size);
    for (let i = from; i < outcomes.length; i++) {
      const o = outcomes[i] as number;
      this.record((o & FAILED) !== 0, (o & SLOW) !== 0);
    }
  }
}

/**
 * @internal A time window of `buckets` buckets of `duration / buckets` ms each. Bucket
 * index of a time `t` is `Math.floor(t / width)`; at time `now` the window holds the
 * current bucket and the `buckets - 1` before it.
 */
export class TimeWindow implements SlidingWindow {
  calls = 0;
  failures = 0;
  slow = 0;
  /** @internal Per-bucket counts, exposed for snapshots and the memory test. */
  readonly bucketCalls: Float64Array;
  readonly bucketFailures: Float64Array;
  readonly bucketSlow: Float64Array;
  private readonly width: number;
  /** Index of the newest bucket in the ring; -Infinity before the first call. */
  private current = Number.NEGATIVE_INFINITY;

  constructor(
    readonly duration: number,
    readonly buckets: number,
  ) {
    this.width = duration / buckets;
    this.bucketCalls = new Float64Array(buckets);
    this.bucketFailures = new Float64Array(buckets);
    this.bucketSlow = new Float64Array(buckets);
  }

  /** @internal The bucket index of time `t`. */
  indexOf(t: number): number {
    return Math.floor(t / this.width);
  }

  private slot(index: number): number {
    const n = this.buckets;
    const s = index % n;
    return s < 0 ? s + n : s;
  }

  expire(now: number): void {
    const index = this.indexOf(now);
    const current = this.current;
    // Stryker disable next-line EqualityOperator: for index === current the loop below runs no step and current stays, so < and <= agree
    if (index <= current) return; // same bucket (or a clock that went back: count it in the newest)
    // Stryker disable next-line EqualityOperator: a gap of exactly `buckets` empties every bucket in the loop, as clear() does
    if (index - current >= this.buckets) {
      this.clear();
    } else {
      for (let k = current + 1; k <= index; k++) {
        const s = this.slot(k);
        this.calls -= this.bucketCalls[s] as number;
        this.failures -= this.bucketFailures[s] as number;
        this.slow -= this.bucketSlow[s] as number;
        this.bucketCalls[s] = 0;
        this.bucketFailures[s] = 0;
        this.bucketSlow[s] = 0;
      }
    }
    this.current = index;
  }

  record(failed: boolean, slow: boolean, now: number): void {
    this.expire(now);
    const s = this.slot(this.current);
    this.bucketCalls[s] = (this.bucketCalls[s] as number) + 1;
    this.calls++;
    if (failed) {
      this.bucketFailures[s] = (this.bucketFailures[s] as number) + 1;
      this.failures++;
    }
    if (slow) {
      this.bucketSlow[s] = (this.bucketSlow[s] as number) + 1;
      this.slow++;
    }
  }

  clear(): void {
    this.calls = this.failures = this.slow = 0;
    this.bucketCalls.fill(0);
    this.bucketFailures.fill(0);
    this.bucketSlow.fill(0);
  }

  /**
   * @internal The buckets at `now`, oldest first: `[calls, failures, slow]` each; the last
   * one is the current bucket.
   */
  bucketsAt(now: number): [number, number, number][] {
    this.expire(now);
    const out: [number, number, number][] = [];
    const n = this.buckets;
    for (let age = n - 1; age >= 0; age--) {
      const s = this.slot(this.current - age);
      out.push([this.bucketCalls[s] as number, this.bucketFailures[s] as number, this.bucketSlow[s] as number]);
    }
    return out;
  }

  /** @internal Loads buckets (oldest first, the last one being the current bucket at `now`). */
  load(buckets: readonly (readonly [number, number, number])[], now: number): void {
    this.clear();
    this.current = this.indexOf(now);
    const n = Math.min(this.buckets, buckets.length);
    for (let age = 0; age < n; age++) {
      const b = buckets[buckets.length - 1 - age] as readonly [number, number, number];
      const s = this.slot(this.current - age);
      this.bucketCalls[s] = b[0];
      this.bucketFailures[s] = b[1];
      this.bucketSlow[s] = b[2];
      this.calls += b[0];
      this.failures += b[1];
      this.slow += b[2];
    }
  }
}
