/**
 * `breakwater/tracing`: OpenTelemetry tracing for policies and pipelines. One span per call,
 * a child span per attempt (retries, hedges) under which the function's own spans nest, and
 * span events for retries, breaker transitions and rejections, timeouts, fallback tiers and
 * injected chaos. You pass the `@opentelemetry/api` object in: no dependency.
 *
 * @packageDocumentation
 */
export { TracingPolicy, tracing } from './tracing';
export { tracingDefaults, type TracingOptions } from './options';
export { TracingAttributes, TracingEvents, type TracedAttemptOutcome, type TracedCallOutcome } from './attributes';
export {
  type OpenTelemetryApi,
  type OpenTelemetryContext,
  type TracingAttributeMap,
  type TracingAttributeValue,
  type TracingSpan,
  type TracingSpanOptions,
  type TracingTracer,
} from './api';
