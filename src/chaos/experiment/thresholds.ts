/**
 * k6-style thresholds: `'rate<0.01'`, `'p(99)<800'`, `'p(95)<=300'`, `'avg<200'`,
 * `'max<2000'`, `'count>100'`, and the SLO burn rate `'burn_rate<14.4'`. A strict parser (one clear error per bad expression) and
 * the evaluator over a window of measurements.
 *
 * @packageDocumentation
 */

/**
 * The aggregations a threshold can apply. `p` is a percentile (`p(99)`), `med` is `p(50)`,
 * `burn_rate` the error rate divided by the error budget of the operation's SLO
 * (`(failed / completed) / (1 − objective)`).
 */
export type ThresholdAggregate = 'rate' | 'count' | 'avg' | 'min' | 'max' | 'med' | 'p' | 'burn_rate';

/** Comparison operators, as in k6. */
export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/**
 * What a steady-state check measures over one evaluation window:
 *
 * - `errorRate`: `rate` = failed calls / completed calls; `count` = failed calls;
 *   `burn_rate` = `rate` / (1 − the objective of the operation's SLO);
 * - `availability`: `rate` = successful calls / completed calls; `count` = successful calls;
 *   `burn_rate` as for `errorRate` (the same budget, spent by the failed share);
 * - `latency`: call durations in ms: `avg`, `min`, `max`, `med`, `p(N)`, `count` (completed calls);
 * - `throughput`: `rate` = completed calls per second; `count` = completed calls.
 */
export type ThresholdMetric = 'errorRate' | 'availability' | 'latency' | 'throughput';

/** A parsed threshold. */
export interface Threshold {
  /** The expression as written (trimmed). */
  readonly source: string;
  /** The aggregation. */
  readonly aggregate: ThresholdAggregate;
  /** The percentile, 0 < N ≤ 100, when `aggregate` is `'p'` (50 for `med`). */
  readonly percentile: number | undefined;
  /** The comparison. */
  readonly operator: ThresholdOperator;
  /** The number compared against. */
  readonly value: number;
}

/** The aggregations each metric accepts. */
export const METRIC_AGGREGATES: Readonly<Record<ThresholdMetric, readonly ThresholdAggregate[]>> = Object.freeze({
  errorRate: Object.freeze(['rate', 'count', 'burn_rate'] as const),
  availability: Object.freeze(['rate', 'count', 'burn_rate'] as const),
  latency: Object.freeze(['avg', 'min', 'max', 'med', 'p', 'count'] as const),
  throughput: Object.freeze(['rate', 'count'] as const),
});

/**
 * Thrown by {@link parseThreshold} for an expression it cannot read. The message quotes
 * the expression, points at the offending character and says what was expected.
 */
export class ThresholdSyntaxError extends SyntaxError {
  /** The expression given. */
  readonly expression: string;
  /** Index (in the expression) of the offending character. */
  readonly index: number;
  constructor(expression: string, index: number, expected: string) {
    super(`Invalid threshold ${JSON.stringify(expression)} at character ${index + 1}: expected ${expected}`);
    this.name = 'ThresholdSyntaxError';
    this.expression = expression;
    this.index = index;
  }
}

const AGGREGATES = ['rate', 'count', 'avg', 'min', 'max', 'med', 'burn_rate'] as const;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/i;
const OPERATORS: readonly ThresholdOperator[] = ['<=', '>=', '==', '!=', '<', '>'];

/**
 * Parses a threshold expression: an aggregation (`rate`, `count`, `avg`, `min`, `max`,
 * `med`, `burn_rate` or `p(N)` with 0 < N ≤ 100), an operator (`<`, `<=`, `>`, `>=`, `==`, `!=`; `===`
 * is read as `==`) and a finite number. Spaces are allowed between the parts. When
 * `metric` is given, the aggregation must suit it ({@link METRIC_AGGREGATES}).
 *
 * @throws {@link ThresholdSyntaxError} for anything else.
 * @example
 * ```ts
 * parseThreshold('p(99) < 800'); // { aggregate: 'p', percentile: 99, operator: '<', value: 800, … }
 * parseThreshold('rate<0.01', 'errorRate');
 * parseThreshold('burn_rate<14.4', 'errorRate'); // needs an SLO on the check's operation
 * ```
 */
export function parseThreshold(expression: string, metric?: ThresholdMetric): Threshold {
  if (typeof expression !== 'string') {
    throw new ThresholdSyntaxError(String(expression), 0, 'a string such as "rate<0.01" or "p(99)<800"');
  }
  const src = expression;
  let i = 0;
  const skip = (): void => {
    while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
  };
  skip();
  const start = i;
  let aggregate: ThresholdAggregate | undefined;
  let percentile: number | undefined;
  if (src.startsWith('p(', i)) {
    i += 2;
    skip();
    const m = NUMBER.exec(src.slice(i));
    if (m === null) throw new ThresholdSyntaxError(src, i, 'a percentile number inside p( ), e.g. p(99)');
    const n = Number(m[0]);
    if (!(n > 0 && n <= 100)) throw new ThresholdSyntaxError(src, i, `a percentile greater than 0 and at most 100, got ${m[0]}`);
    i += m[0].length;
    skip();
    if (src[i] !== ')') throw new ThresholdSyntaxError(src, i, '")" closing p(');
    i++;
    aggregate = 'p';
    percentile = n;
  } else {
    for (const a of AGGREGATES) {
      if (src.startsWith(a, i)) {
        aggregate = a;
        i += a.length;
        break;
      }
    }
    if (aggregate === undefined) {
      throw new ThresholdSyntaxError(src, start, 'an aggregation: rate, count, avg, min, max, med, burn_rate or p(N)');
    }
    if (aggregate === 'med') percentile = 50;
  }
  skip();
  let operator: ThresholdOperator | undefined;
  if (src.startsWith('===', i)) {
    operator = '==';
    i += 3;
  } else {
    for (const op of OPERATORS) {
      if (src.startsWith(op, i)) {
        operator = op;
        i += op.length;
        break;
      }
    }
  }
  if (operator === undefined) throw new ThresholdSyntaxError(src, i, 'an operator: <, <=, >, >=, == or !=');
  skip();
  const m = NUMBER.exec(src.slice(i));
  if (m === null) throw new ThresholdSyntaxError(src, i, 'a number after the operator');
  const value = Number(m[0]);
  if (!Number.isFinite(value)) throw new ThresholdSyntaxError(src, i, 'a finite number');
  i += m[0].length;
  skip();
  if (i < src.length) throw new ThresholdSyntaxError(src, i, 'the end of the expression');
  if (metric !== undefined) {
    const allowed = METRIC_AGGREGATES[metric];
    if (!allowed.includes(aggregate)) {
      throw new ThresholdSyntaxError(
        src,
        start,
        `an aggregation that applies to ${metric}: ${allowed.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`,
      );
    }
  }
  return Object.freeze({ source: src.trim(), aggregate, percentile, operator, value });
}

/**
 * Measurements of one window (or any set of calls), as thresholds read them.
 * `durations` must be sorted ascending.
 */
export interface WindowMeasurements {
  /** Completed calls. */
  readonly calls: number;
  /** Failed calls among them. */
  readonly failures: number;
  /** Durations (ms) of the completed calls, sorted ascending. */
  readonly durations: readonly number[];
  /** Length of the window in ms (for throughput). */
  readonly length: number;
  /** The objective (0–1) of the SLO a `burn_rate` threshold reads; without it, `burn_rate` has no data. */
  readonly objective?: number | undefined;
}

/**
 * The nearest-rank percentile of sorted values: the smallest value such that at least
 * `p` % of the values are ≤ it. `NaN` for no values.
 *
 * @example
 * ```ts
 * percentile([10, 20, 30, 40], 50); // 20
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1] as number;
}

/**
 * @internal The value `threshold` reads from `m` for `metric`, or `null` when there is no
 * data (no completed call in the window; throughput and counts always have data).
 */
export function measure(metric: ThresholdMetric, threshold: Threshold, m: WindowMeasurements): number | null {
  const a = threshold.aggregate;
  if (a === 'burn_rate') return m.calls === 0 || m.objective === undefined ? null : m.failures / m.calls / (1 - m.objective);
  if (metric === 'throughput') return a === 'count' ? m.calls : m.length > 0 ? (m.calls * 1000) / m.length : null;
  if (metric === 'errorRate') return a === 'count' ? m.failures : m.calls === 0 ? null : m.failures / m.calls;
  if (metric === 'availability') return a === 'count' ? m.calls - m.failures : m.calls === 0 ? null : (m.calls - m.failures) / m.calls;
  if (a === 'count') return m.calls;
  const d = m.durations;
  if (d.length === 0) return null;
  switch (a) {
    case 'min':
      return d[0] as number;
    case 'max':
      return d[d.length - 1] as number;
    case 'avg': {
      let sum = 0;
      for (let i = 0; i < d.length; i++) sum += d[i] as number;
      return sum / d.length;
    }
    default:
      return percentile(d, threshold.percentile ?? 50);
  }
}

/**
 * Does `value` satisfy `threshold`?
 *
 * @example
 * ```ts
 * compareThreshold(750, parseThreshold('p(99)<800')); // true
 * ```
 */
export function compareThreshold(value: number, threshold: Threshold): boolean {
  const v = threshold.value;
  switch (threshold.operator) {
    case '<':
      return value < v;
    case '<=':
      return value <= v;
    case '>':
      return value > v;
    case '>=':
      return value >= v;
    case '==':
      return value === v;
    default:
      return value !== v;
  }
}

/**
 * Evaluates `threshold` on `metric` over `m`: the measured value and whether it passes
 * (`pass: null` when there is no data: nothing completed in the window).
 *
 * @example
 * ```ts
 * evaluateThreshold('errorRate', parseThreshold('rate<0.01'), { calls: 200, failures: 1, durations: [], length: 1000 });
 * // { value: 0.005, pass: true }
 * evaluateThreshold('errorRate', parseThreshold('burn_rate<14.4'), { calls: 200, failures: 1, durations: [], length: 1000, objective: 0.999 });
 * // { value: 5, pass: true }: 0.5 % of calls failed against a 0.1 % budget
 * ```
 */
export function evaluateThreshold(
  metric: ThresholdMetric,
  threshold: Threshold,
  m: WindowMeasurements,
): {
  /** The measured value; `null` without data. */
  readonly value: number | null;
  /** Whether the threshold held; `null` without data. */
  readonly pass: boolean | null;
} {
  const value = measure(metric, threshold, m);
  return { value, pass: value === null ? null : compareThreshold(value, threshold) };
}
