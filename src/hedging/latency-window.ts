/**
 * The latency window behind an adaptive hedging delay: the last `size` latencies, kept both
 * in arrival order (a ring, to know which one leaves) and sorted (to read a percentile in
 * O(1)). Memory is two `Float64Array`s of `size`, allocated once; recording a latency is
 * two binary searches and one `copyWithin` of the values between where the oldest leaves
 * and where the newest enters (few, when latencies are steady).
 *
 * @packageDocumentation
 */

/** @internal A sliding window of latencies that answers one percentile. */
export class LatencyWindow {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private count = 0;
  private next = 0;
  /** The 0-based rank of the percentile among `count` sorted samples, kept in step with `count`. */
  // Stryker disable next-line UnaryOperator: equivalent — the rank is read only once a latency is held, and the first record() sets it
  private rank = -1;

  /**
   * @param size - latencies kept (≥ 1).
   * @param percentile - the percentile answered, in (0, 100).
   */
  constructor(
    readonly size: number,
    readonly percentile: number,
  ) {
    this.ring = new Float64Array(size);
    this.sorted = new Float64Array(size);
  }

  /** Latencies held now (at most `size`). */
  get samples(): number {
    return this.count;
  }

  /** Adds one latency (ms); the oldest leaves once the window is full. */
  record(latency: number): void {
    const sorted = this.sorted;
    const n = this.count;
    if (n === this.size) {
      // The oldest leaves where the newest enters: only the values between the two move.
      const out = lowerBound(sorted, n, this.ring[this.next] as number);
      const into = upperBound(sorted, n, latency);
      if (into > out) {
        sorted.copyWithin(out, out + 1, into);
        sorted[into - 1] = latency;
      } else {
        sorted.copyWithin(into + 1, into, out);
        sorted[into] = latency;
      }
    } else {
      const into = upperBound(sorted, n, latency);
      sorted.copyWithin(into + 1, into, n);
      sorted[into] = latency;
      this.count = n + 1;
      this.rank = nearestRank(this.percentile, n + 1);
    }
    this.ring[this.next] = latency;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
  }

  /**
   * The percentile of the latencies held (nearest rank: the smallest value with at least
   * `percentile` % of the samples at or below it); `undefined` when empty.
   */
  value(): number | undefined {
    // Stryker disable next-line ConditionalExpression: equivalent — with no sample the rank is -1 and sorted[-1] is undefined as well; the check says it plainly
    return this.count === 0 ? undefined : (this.sorted[this.rank] as number);
  }
}

/** @internal The 0-based nearest rank of percentile `p` among `n` sorted samples. */
export function nearestRank(p: number, n: number): number {
  // The epsilon keeps 95 % of 20 at rank 19 (1-based) despite 0.95 × 20 = 19.000000000000004.
  const r = Math.ceil((p / 100) * n - 1e-9);
  return Math.min(n, Math.max(1, r)) - 1;
}

/** First index in `a[0..n)` whose value is ≥ `v`. */
function lowerBound(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `a[0..n)` whose value is > `v`. */
function upperBound(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Stryker disable next-line EqualityOperator: equivalent — entering a latency before or after the equal ones leaves the same sorted values (latencies are clock differences, never -0)
    if ((a[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
