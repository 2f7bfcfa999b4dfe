/**
 * `breakwater/metrics`: aggregate policy events into calls by outcome, latency
 * percentiles, retries, circuit state, MTTR/MTBF, bulkhead occupancy, rate limiter
 * admissions and queues, hedges, adaptive concurrency limits, chaos injections and availability; export them as Prometheus
 * text, through prom-client or OpenTelemetry. Chaos experiments (state, verdicts, MTTR,
 * blast radius, SLO burn) export through `createExperimentMetrics`.
 *
 * @packageDocumentation
 */
export { Metrics, createMetrics } from './aggregator';
export { type MetricsOptions } from './options';
export { CallOutcomes, ExperimentMetricLabels, ExperimentMetricNames, MetricLabels, MetricNames, OVERFLOW_VALUE, type CallOutcome, type MetricType } from './names';
export { ExperimentMetrics, combinePrometheus, createExperimentMetrics, type ExperimentMetricsOptions } from './experiment-metrics';
export {
  type AdmissionSeriesSnapshot,
  type BreakerSnapshot,
  type BulkheadSnapshot,
  type CallRecord,
  type CallSeriesSnapshot,
  type ConcurrencyLimitSnapshot,
  type FallbackSeriesSnapshot,
  type HedgeCount,
  type HedgingSeriesSnapshot,
  type HistogramSample,
  type InjectionSeriesSnapshot,
  type LimitChangeSeriesSnapshot,
  type MetricFamily,
  type MetricSample,
  type MetricsSnapshot,
  type RateLimiterSnapshot,
  type RejectionSeriesSnapshot,
  type RetrySeriesSnapshot,
  type SeriesKey,
  type TimeoutSeriesSnapshot,
} from './snapshot';
export { type Observable } from './live-views';
export { LogHistogram, type HistogramOptions, type HistogramSnapshot } from './histogram';
export {
  PROMETHEUS_CONTENT_TYPE,
  createMetricsHandler,
  escapeLabelValue,
  renderPrometheus,
  type MetricsRequest,
  type MetricsResponse,
  type PrometheusSource,
} from './prometheus';
export {
  registerPromClient,
  type PromClientCollector,
  type PromClientRegistry,
  type PromClientValue,
} from './prom-client';
export {
  OpenTelemetryAttributeKeys,
  OpenTelemetryNames,
  registerOpenTelemetry,
  type OpenTelemetryAttributes,
  type OpenTelemetryBatchResult,
  type OpenTelemetryHistogram,
  type OpenTelemetryInstrumentOptions,
  type OpenTelemetryMeter,
  type OpenTelemetryObservable,
} from './opentelemetry';
