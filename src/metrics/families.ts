/**
 * The pure step from a snapshot to metric families: what the Prometheus text, prom-client
 * and OpenTelemetry exporters render. Names and labels as in `MetricNames` and
 * `MetricLabels`; values in base units (seconds, ratios).
 *
 * @packageDocumentation
 */
import { CircuitStates } from '../core/circuit-states';
import { CallOutcomes, METRIC_HELP, MetricNames } from './names';
import type { HistogramSample, MetricFamily, MetricSample, MetricsSnapshot, SeriesKey } from './snapshot';

/** @internal A call-duration histogram as exported (ms): cumulative bucket counts without `+Inf`. */
export interface ExportedDurations {
  /** Cumulative counts at the upper bounds `le` (ms), ascending. */
  readonly buckets: readonly {
    /** Upper bound (ms). */
    readonly le: number;
    /** Observations ≤ `le`. */
    readonly count: number;
  }[];
  /** Sum of the observations (ms). */
  readonly sum: number;
  /** Number of observations. */
  readonly count: number;
}

/**
 * @internal Every metric family of `snap`, in the order of {@link MetricNames}, families
 * without samples included (empty). `durations[i]` is the duration histogram of
 * `snap.calls[i]` (a snapshot keeps only its percentiles). Reads nothing but its arguments.
 */
export function toMetricFamilies(snap: MetricsSnapshot, durations: readonly ExportedDurations[]): MetricFamily[] {
  const out = new Map<string, MetricSample[] | HistogramSample[]>();
  for (const name of Object.values(MetricNames)) out.set(name, []);
  const add = (name: string, labels: Record<string, string>, value: number): void => {
    (out.get(name) as MetricSample[]).push({ labels, value });
  };
  const base = (k: SeriesKey): Record<string, string> => ({ pipeline: k.pipeline, policy: k.policy, operation: k.operation, ...k.labels });
  const histograms = out.get(MetricNames.callDuration) as HistogramSample[];
  snap.calls.forEach((c, i) => {
    const l = base(c);
    for (const o of CallOutcomes) add(MetricNames.calls, { ...l, outcome: o }, c.outcomes[o]);
    if (c.availability !== undefined) add(MetricNames.availability, l, c.availability);
    const d = durations[i];
    if (d !== undefined) histograms.push({ labels: l, buckets: d.buckets.map((b) => ({ le: b.le / 1000, count: b.count })), sum: d.sum / 1000, count: d.count });
  });
  for (const r of snap.rejections) {
    const l = base(r);
    for (const [reason, n] of Object.entries(r.reasons)) add(MetricNames.callRejections, { ...l, reason }, n);
  }
  for (const a of snap.admissions) add(MetricNames.rateLimiterAdmitted, base(a), a.admitted);
  for (const r of snap.retries) {
    const l = base(r);
    add(MetricNames.retries, l, r.retries);
    for (const [reason, n] of Object.entries(r.giveUps)) add(MetricNames.retryGiveUps, { ...l, reason }, n);
    if (r.budgetExhausted > 0) add(MetricNames.retryBudgetExhausted, l, r.budgetExhausted);
  }
  for (const t of snap.timeouts) add(MetricNames.timeouts, base(t), t.timeouts);
  for (const f of snap.fallbacks) {
    const l = base(f);
    for (const [tier, n] of Object.entries(f.tiers)) add(MetricNames.fallbacks, { ...l, tier }, n);
    if (f.exhausted > 0) add(MetricNames.fallbacksExhausted, l, f.exhausted);
  }
  for (const i of snap.injections) add(MetricNames.chaosInjections, { ...base(i), fault: i.fault, fault_kind: i.faultKind }, i.injections);
  for (const b of snap.breakers) {
    const policy = b.name;
    for (const st of CircuitStates) {
      add(MetricNames.circuitState, { policy, state: st }, b.state === st ? 1 : 0);
      add(MetricNames.circuitStateSeconds, { policy, state: st }, b.timeInState[st] / 1000);
    }
    for (const [reason, n] of Object.entries(b.openings)) add(MetricNames.circuitOpenings, { policy, reason }, n);
    add(MetricNames.circuitRecoveries, { policy, result: 'closed' }, b.recoveries);
    add(MetricNames.circuitRecoveries, { policy, result: 'reopened' }, b.failedRecoveries);
    if (b.mttr !== undefined) add(MetricNames.circuitMttr, { policy }, b.mttr / 1000);
    if (b.mtbf !== undefined) add(MetricNames.circuitMtbf, { policy }, b.mtbf / 1000);
  }
  for (const b of snap.bulkheads) {
    const policy = b.name;
    add(MetricNames.bulkheadActive, { policy }, b.active);
    add(MetricNames.bulkheadQueued, { policy }, b.queued);
    add(MetricNames.bulkheadMaxConcurrent, { policy }, b.maxConcurrent);
    add(MetricNames.bulkheadMaxQueue, { policy }, b.maxQueue);
  }
  for (const r of snap.rateLimiters) add(MetricNames.rateLimiterQueued, { policy: r.name }, r.queued);
  for (const h of snap.hedging) {
    const l = base(h);
    for (const c of h.hedges) add(MetricNames.hedges, { ...l, attempt: String(c.attempt), trigger: c.trigger }, c.count);
    for (const [attempt, n] of Object.entries(h.wins)) add(MetricNames.hedgeWins, { ...l, attempt }, n);
    add(MetricNames.hedgeLosersCancelled, l, h.losersCancelled);
    if (h.budgetExhausted > 0) add(MetricNames.hedgeBudgetExhausted, l, h.budgetExhausted);
  }
  for (const c of snap.concurrencyLimits) {
    const policy = c.name;
    if (c.limit !== undefined) add(MetricNames.adaptiveLimit, { policy }, c.limit);
    add(MetricNames.adaptiveInFlight, { policy }, c.inFlight);
    add(MetricNames.adaptiveQueued, { policy }, c.queued);
  }
  for (const c of snap.limitChanges) {
    const l = base(c);
    add(MetricNames.adaptiveLimitChanges, { ...l, direction: 'up' }, c.increases);
    add(MetricNames.adaptiveLimitChanges, { ...l, direction: 'down' }, c.decreases);
  }
  add(MetricNames.seriesDropped, { limit: 'operations' }, snap.dropped.operations);
  add(MetricNames.seriesDropped, { limit: 'label_sets' }, snap.dropped.labelSets);
  const families: MetricFamily[] = [];
  for (const [name, samples] of out) {
    const [type, help] = METRIC_HELP[name as keyof typeof METRIC_HELP];
    families.push({ name, help, type, samples } as MetricFamily);
  }
  return families;
}
