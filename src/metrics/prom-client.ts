/**
 * prom-client adapter: registers one collector per metric family in a prom-client
 * `Registry`, so `registry.metrics()` includes breakwater's metrics next to the
 * application's own. Typed structurally: breakwater does not depend on prom-client.
 *
 * @packageDocumentation
 */
import type { Subscription } from '../core/events';
import type { Metrics } from './aggregator';
import type { HistogramSample, MetricFamily, MetricSample } from './snapshot';
import { formatNumber } from './prometheus';

/**
 * The parts of prom-client's `Registry` the adapter uses. `registerMetric` receives
 * collector objects shaped like prom-client metrics (`name`, `help`, `type`,
 * `aggregator`, async `get()`), which is all the registry reads from them.
 */
export interface PromClientRegistry {
  /** Adds a metric (prom-client: `Registry#registerMetric`). */
  registerMetric(metric: never): void;
  /** Removes a metric by name (prom-client: `Registry#removeSingleMetric`). */
  removeSingleMetric?(name: string): void;
}

/** One value as prom-client's `get()` returns it. */
export interface PromClientValue {
  /** Sample value. */
  readonly value: number;
  /** Labels. */
  readonly labels: Record<string, string>;
  /** Full sample name for histogram parts (`…_bucket`, `…_sum`, `…_count`). */
  readonly metricName?: string;
}

/** A collector as registered in the registry (shaped like a prom-client metric). */
export interface PromClientCollector {
  /** Family name, e.g. `resilience_calls_total`. */
  name: string;
  /** HELP text. */
  readonly help: string;
  /** Prometheus type. */
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** How prom-client's cluster mode combines workers' values. */
  readonly aggregator: 'sum';
  /** Current values. */
  get(): Promise<{
    /** Family name: the collector's current `name`. */
    name: string;
    /** HELP text. */
    help: string;
    /** Prometheus type. */
    type: 'counter' | 'gauge' | 'histogram';
    /** How prom-client's cluster mode combines workers' values. */
    aggregator: 'sum';
    /** The samples; for a histogram, its `_bucket`, `_sum` and `_count` samples. */
    values: PromClientValue[];
  }>;
  /** Does nothing: the aggregator owns the values. */
  reset(): void;
}

function valuesOf(f: MetricFamily): PromClientValue[] {
  if (f.type !== 'histogram') {
    return (f.samples as readonly MetricSample[]).map((s) => ({ value: s.value, labels: { ...s.labels } }));
  }
  const out: PromClientValue[] = [];
  for (const s of f.samples as readonly HistogramSample[]) {
    for (const b of s.buckets) out.push({ value: b.count, labels: { ...s.labels, le: formatNumber(b.le) }, metricName: `${f.name}_bucket` });
    out.push({ value: s.count, labels: { ...s.labels, le: '+Inf' }, metricName: `${f.name}_bucket` });
    out.push({ value: s.sum, labels: { ...s.labels }, metricName: `${f.name}_sum` });
    out.push({ value: s.count, labels: { ...s.labels }, metricName: `${f.name}_count` });
  }
  return out;
}

/**
 * Registers every breakwater metric family in a prom-client `Registry` (one collector
 * each, computed at scrape time; one snapshot serves a whole scrape). Returns a
 * {@link Subscription} whose `dispose()` removes them from the registry.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * registerPromClient(metrics, registry);
 * const text = await registry.metrics();
 * ```
 */
export function registerPromClient(metrics: Metrics, registry: PromClientRegistry): Subscription {
  if (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function') {
    throw new TypeError('registerPromClient() expects a prom-client Registry (an object with registerMetric)');
  }
  let cache: Map<string, MetricFamily> | undefined;
  const familyNamed = (name: string): MetricFamily | undefined => {
    if (cache === undefined) {
      const fresh = new Map(metrics.collect().map((f) => [f.name, f] as const));
      cache = fresh;
      // prom-client calls every collector's get() in the same tick of one scrape.
      queueMicrotask(() => {
        if (cache === fresh) cache = undefined;
      });
    }
    return cache.get(name);
  };
  const names: string[] = [];
  for (const family of metrics.collect()) {
    const name = family.name;
    const type = family.type;
    const help = family.help;
    const collector: PromClientCollector = {
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => {
        const f = familyNamed(name);
        // prom-client renames counters in OpenMetrics mode (drops `_total`): report the current name.
        return Promise.resolve({ name: collector.name, help, type, aggregator: 'sum' as const, values: f === undefined ? [] : valuesOf(f) });
      },
      reset: () => {},
    };
    try {
      (registry.registerMetric as (m: PromClientCollector) => void).call(registry, collector);
    } catch (error) {
      // All or nothing: take back what was registered before the clash.
      if (typeof registry.removeSingleMetric === 'function') for (const n of names) registry.removeSingleMetric(n);
      throw error;
    }
    names.push(name);
  }
  let active = true;
  return {
    dispose: () => {
      if (!active) return;
      active = false;
      if (typeof registry.removeSingleMetric === 'function') for (const n of names) registry.removeSingleMetric(n);
    },
  };
}
