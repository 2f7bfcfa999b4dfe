/**
 * A fixed-memory histogram with log-spaced buckets, for call durations.
 *
 * Bucket upper bounds grow geometrically: `min · 2^(i / bucketsPerDoubling)`, from `min`
 * up to the first bound ≥ `max`, plus an overflow bucket. Memory is one `Float64Array` of
 * that many counts whatever the number of observations. A quantile estimate always lies
 * in the same bucket as the exact (nearest-rank) quantile, so for values in `[min, max]`
 * it is within a factor `2^(1 / bucketsPerDoubling)` of the truth (±19 % for the default
 * 4 buckets per doubling, usually much closer thanks to interpolation).
 *
 * @packageDocumentation
 */
import { rules, validateOptions, type Schema } from '../core/validation';

/** Options of {@link LogHistogram} (also `createMetrics({ histogram })`). Values in ms. */
export interface HistogramOptions {
  /** Upper bound of the first bucket (ms): smaller values all land in it. @defaultValue `1` */
  readonly min?: number | undefined;
  /** Values above the last bound ≥ `max` land in the overflow bucket (ms). @defaultValue `60_000` */
  readonly max?: number | undefined;
  /**
   * Buckets per doubling of the value: more buckets, finer quantiles, more memory.
   * Prometheus exposition shows only every `bucketsPerDoubling`-th bound (powers of two
   * times `min`), so the number of exported series does not grow with it.
   * @defaultValue `4`
   */
  readonly bucketsPerDoubling?: number | undefined;
}

/** @internal Schema of {@link HistogramOptions}. */
export const histogramSchema: Schema = {
  min: rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true }),
  max: rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true }),
  bucketsPerDoubling: rules.integer(1, 32),
};

/** @internal Cross-field checks of {@link HistogramOptions}. */
export function checkHistogramOptions(o: HistogramOptions, issues: { path: string; value: unknown; expected: string }[], prefix = ''): void {
  const min = o.min ?? 1;
  const max = o.max ?? 60_000;
  const per = o.bucketsPerDoubling ?? 4;
  if (max <= min) {
    issues.push({ path: `${prefix}max`, value: o.max, expected: `a number > \`min\` (${min})` });
    return;
  }
  if (Math.log2(max / min) * per > 2048) {
    issues.push({
      path: `${prefix}bucketsPerDoubling`,
      value: o.bucketsPerDoubling,
      expected: 'small enough that log2(max / min) · bucketsPerDoubling ≤ 2048 buckets',
    });
  }
}

/** Summary statistics of a histogram (milliseconds). Quantiles are `undefined` when empty. */
export interface HistogramSnapshot {
  /** Number of observations. */
  readonly count: number;
  /** Sum of the observed values (ms). */
  readonly sum: number;
  /** Smallest observed value, `undefined` when empty. */
  readonly min: number | undefined;
  /** Largest observed value, `undefined` when empty. */
  readonly max: number | undefined;
  /** Mean, `undefined` when empty. */
  readonly mean: number | undefined;
  /** Estimated median. */
  readonly p50: number | undefined;
  /** Estimated 90th percentile. */
  readonly p90: number | undefined;
  /** Estimated 99th percentile. */
  readonly p99: number | undefined;
}

/**
 * A log-bucket histogram with fixed memory.
 *
 * @example
 * ```ts
 * const h = new LogHistogram({ min: 1, max: 10_000 });
 * for (const ms of [3, 5, 8, 120]) h.record(ms);
 * h.quantile(0.5); // ≈ 5
 * ```
 */
export class LogHistogram {
  /** Upper bounds of the buckets (ms), ascending; the overflow bucket has none. */
  readonly bounds: readonly number[];
  /** Buckets per doubling. */
  readonly bucketsPerDoubling: number;
  private readonly counts: Float64Array;
  private readonly first: number;
  private total = 0;
  private sumOf = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  constructor(options: HistogramOptions = {}) {
    const o = validateOptions<HistogramOptions>('histogram', options, histogramSchema, (opts, issues) =>
      checkHistogramOptions(opts, issues),
    );
    const min = o.min ?? 1;
    const max = o.max ?? 60_000;
    const per = o.bucketsPerDoubling ?? 4;
    const n = Math.ceil(Math.log2(max / min) * per - 1e-9) + 1;
    const bounds: number[] = [];
    for (let i = 0; i < n; i++) bounds.push(min * 2 ** (i / per));
    this.bounds = bounds;
    this.first = min;
    this.bucketsPerDoubling = per;
    this.counts = new Float64Array(n + 1);
  }

  /** Index of the bucket that holds `value` (the overflow bucket is `bounds.length`). */
  bucketOf(value: number): number {
    const b = this.bounds;
    if (!(value > this.first)) return 0;
    let i = Math.ceil(Math.log2(value / this.first) * this.bucketsPerDoubling);
    if (i >= b.length) i = b.length;
    // Correct floating-point error so that bucket i holds exactly (b[i-1], b[i]].
    while (i > 0 && value <= (b[i - 1] as number)) i--;
    while (i < b.length && value > (b[i] as number)) i++;
    return i;
  }

  /** Records one value (ms). Negative values count as 0; NaN is ignored. */
  record(value: number): void {
    if (Number.isNaN(value)) return;
    const v = value < 0 ? 0 : value;
    const i = this.bucketOf(v);
    this.counts[i] = (this.counts[i] as number) + 1;
    this.total++;
    this.sumOf += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** Number of observations. */
  get count(): number {
    return this.total;
  }

  /** Sum of observations (ms). */
  get sum(): number {
    return this.sumOf;
  }

  /** Count in bucket `i` (not cumulative). */
  bucketCount(i: number): number {
    return this.counts[i] ?? 0;
  }

  /**
   * Estimated `q`-quantile (0 ≤ q ≤ 1) in ms, `undefined` when empty. The estimate lies
   * in the bucket of the exact nearest-rank quantile, interpolated geometrically inside
   * it and clamped to the observed min and max.
   */
  quantile(q: number): number | undefined {
    if (this.total === 0 || !(q >= 0 && q <= 1)) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total - 1e-9));
    const counts = this.counts;
    const b = this.bounds;
    let cum = 0;
    for (let j = 0; j < counts.length; j++) {
      const c = counts[j] as number;
      if (c === 0) continue;
      if (cum + c >= rank) {
        const lower = j === 0 ? 0 : (b[j - 1] as number);
        const upper = j < b.length ? (b[j] as number) : this.hi;
        const f = (rank - cum) / c;
        let est = lower > 0 && upper > lower ? lower * (upper / lower) ** f : lower + (upper - lower) * f;
        if (est < this.lo) est = this.lo;
        if (est > this.hi) est = this.hi;
        return est;
      }
      cum += c;
    }
    return this.hi;
  }

  /** Count, sum, min, max, mean, p50, p90 and p99. */
  snapshot(): HistogramSnapshot {
    const empty = this.total === 0;
    return {
      count: this.total,
      sum: this.sumOf,
      min: empty ? undefined : this.lo,
      max: empty ? undefined : this.hi,
      mean: empty ? undefined : this.sumOf / this.total,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
    };
  }

  /**
   * Cumulative counts at the exported bounds (every `bucketsPerDoubling`-th bound, i.e.
   * `min · 2^k`), in ms, without the `+Inf` bucket (which is {@link LogHistogram.count}).
   */
  exportedBuckets(): {
    /** Upper bound of the bucket, in ms. */
    readonly le: number;
    /** Observations ≤ `le` (cumulative). */
    readonly count: number;
  }[] {
    const out: { le: number; count: number }[] = [];
    const b = this.bounds;
    let cum = 0;
    for (let i = 0; i < b.length; i++) {
      cum += this.counts[i] as number;
      if (i % this.bucketsPerDoubling === 0) out.push({ le: b[i] as number, count: cum });
    }
    return out;
  }
}
