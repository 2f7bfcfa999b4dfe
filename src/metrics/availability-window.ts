/**
 * The availability window: counts of good and total calls over a sliding window of
 * buckets, with fixed memory whatever the traffic.
 *
 * @packageDocumentation
 */

/** @internal The counts of an {@link AvailabilityWindow} at one instant. */
export interface WindowCounts {
  /** Calls in the window that succeeded, directly or by fallback. */
  readonly good: number;
  /** Calls in the window, cancelled calls excepted. */
  readonly total: number;
}

/**
 * @internal Sliding window of (good, total) counts in `size` buckets of `width` ms. The
 * window slides one bucket at a time: a bucket counts while its epoch
 * (`floor(time / width)`) is one of the last `size` epochs.
 */
export class AvailabilityWindow {
  private readonly good: Float64Array;
  private readonly total: Float64Array;
  private readonly epochs: Float64Array;

  constructor(
    private readonly width: number,
    private readonly size: number,
  ) {
    this.good = new Float64Array(size);
    this.total = new Float64Array(size);
    this.epochs = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  }

  /** Counts one call that settled at `time`; `ok` for a success (direct or by fallback). */
  record(time: number, ok: boolean): void {
    const e = Math.floor(time / this.width);
    const slot = ((e % this.size) + this.size) % this.size;
    if (this.epochs[slot] !== e) {
      // A late event for an epoch already overwritten is dropped (it fell out of the window).
      if ((this.epochs[slot] as number) > e) return;
      this.epochs[slot] = e;
      this.good[slot] = 0;
      this.total[slot] = 0;
    }
    this.total[slot] = (this.total[slot] as number) + 1;
    if (ok) this.good[slot] = (this.good[slot] as number) + 1;
  }

  /** The counts of the buckets in the window at `now`. */
  read(now: number): WindowCounts {
    const e = Math.floor(now / this.width);
    let good = 0;
    let total = 0;
    for (let i = 0; i < this.size; i++) {
      const ep = this.epochs[i] as number;
      if (ep > e - this.size && ep <= e) {
        good += this.good[i] as number;
        total += this.total[i] as number;
      }
    }
    return { good, total };
  }
}
