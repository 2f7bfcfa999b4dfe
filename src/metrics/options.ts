/**
 * Options of the metrics aggregator, their defaults and their validation.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { rules, validateOptions } from '../core/validation';
import { checkHistogramOptions, histogramSchema, type HistogramOptions } from './histogram';
import { MetricLabels } from './names';

const RESERVED_LABELS = new Set<string>([...Object.values(MetricLabels), 'le', 'quantile']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Options of {@link createMetrics}.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ clock, availabilityWindow: 60_000, labelKeys: ['region'], maxOperations: 50 });
 * ```
 */
export interface MetricsOptions {
  /** Clock used to read time-based values (time in state, availability window). Use the policies' clock. @defaultValue `systemClock` */
  readonly clock?: Clock | undefined;
  /** Length of the availability window in ms. @defaultValue `300_000` (5 minutes) */
  readonly availabilityWindow?: number | undefined;
  /**
   * Number of buckets of the availability window: the window slides one bucket
   * (`availabilityWindow / availabilityBuckets` ms) at a time. @defaultValue `10`
   */
  readonly availabilityBuckets?: number | undefined;
  /**
   * Most distinct operations kept; further operations are counted under `_other` and in
   * `resilience_metrics_series_dropped_total{limit="operations"}`. @defaultValue `100`
   */
  readonly maxOperations?: number | undefined;
  /**
   * Most distinct label sets (combinations of the `labelKeys` values) kept; further ones
   * are counted with every value `_other` and in
   * `resilience_metrics_series_dropped_total{limit="label_sets"}`. @defaultValue `100`
   */
  readonly maxLabelSets?: number | undefined;
  /**
   * Which call labels (`execute(fn, { labels })`) become metric labels. Opt-in, because
   * labels such as user ids would explode cardinality. Missing labels count as `""`.
   * @defaultValue `[]`
   */
  readonly labelKeys?: readonly string[] | undefined;
  /** Buckets of the call-duration histograms. @defaultValue `{ min: 1, max: 60_000, bucketsPerDoubling: 4 }` */
  readonly histogram?: HistogramOptions | undefined;
}

const metricsSchema = {
  clock: rules.clock(),
  availabilityWindow: rules.duration(0, { exclusiveMin: true }),
  availabilityBuckets: rules.integer(1, 10_000),
  maxOperations: rules.integer(1, 1_000_000),
  maxLabelSets: rules.integer(1, 1_000_000),
  labelKeys: rules.arrayOf(rules.string()),
  histogram: rules.object(histogramSchema),
};

/**
 * @internal Validates every field at once (unknown keys included) and the cross-field
 * rules: histogram bounds, and `labelKeys` that are Prometheus label names, not reserved,
 * not repeated. Throws one `OptionsValidationError` naming each bad field.
 */
export function validateMetricsOptions(options: MetricsOptions): MetricsOptions {
  return validateOptions<MetricsOptions>('metrics', options, metricsSchema, (opts, issues) => {
    if (opts.histogram !== undefined) checkHistogramOptions(opts.histogram, issues, 'histogram.');
    const seen = new Set<string>();
    (opts.labelKeys ?? []).forEach((k, i) => {
      if (!LABEL_NAME.test(k) || k.startsWith('__')) {
        issues.push({ path: `labelKeys[${i}]`, value: k, expected: 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)' });
      } else if (RESERVED_LABELS.has(k)) {
        issues.push({ path: `labelKeys[${i}]`, value: k, expected: `a label name other than ${[...RESERVED_LABELS].join(', ')}` });
      } else if (seen.has(k)) {
        issues.push({ path: `labelKeys[${i}]`, value: k, expected: 'a label name not listed twice' });
      }
      seen.add(k);
    });
  });
}
