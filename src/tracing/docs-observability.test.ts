/**
 * The code of docs/observability.md (its ts blocks are copied from here; test/docs.test.ts
 * checks it), run: one pipeline seen through traces, metrics and logs, its spans exported by a
 * batch span processor to an exporter built as the OTLP one is.
 */
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { CircuitBreakerPolicy, circuitBreaker } from '../circuit-breaker/index';
import { pipeline } from '../core/policy';
import { createMetrics } from '../metrics/index';
import { retry } from '../retry/index';
import { timeout } from '../timeout/index';
import { TracingAttributes, tracing } from './index';

/**
 * Stands in for `OTLPTraceExporter` of `@opentelemetry/exporter-trace-otlp-http`, which
 * breakwater does not install: built the same way, it keeps the spans in memory.
 */
class OTLPTraceExporter extends InMemorySpanExporter {
  constructor(readonly config: { readonly url: string }) {
    super();
  }
}

interface Receipt {
  readonly orderId: string;
  readonly status: string;
}
/** The payment gateway's client, as the page assumes one. */
const gateway = {
  charge: (orderId: string, signal: AbortSignal): Promise<Receipt> =>
    signal.aborted ? Promise.reject(signal.reason) : Promise.resolve({ orderId, status: 'paid' }),
};
/** A structured logger (pino's shape), keeping its lines. */
const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const log = {
  info: (fields: Record<string, unknown>, message: string): void => void lines.push({ level: 'info', fields, message }),
  warn: (fields: Record<string, unknown>, message: string): void => void lines.push({ level: 'warn', fields, message }),
};

api.trace.disable();
api.context.disable();

// --8<-- [start:setup]
const exporter = new OTLPTraceExporter({ url: 'http://localhost:4318/v1/traces' }); // Jaeger's OTLP/HTTP port
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'shop' }),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
api.trace.setGlobalTracerProvider(provider);
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
// --8<-- [end:setup]

// --8<-- [start:signals]
const payments = pipeline(
  { name: 'payments' },
  tracing({ api }), // traces: what happened to this call
  retry({ maxAttempts: 3, delay: 200 }),
  circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  timeout(2_000),
);

const metrics = createMetrics(); // metrics: how often, how slow, how available
metrics.observe(payments);

// logs: the rare state changes, under the keys the spans and metrics use
payments.on('opened', (e) => log.warn({ [TracingAttributes.policy]: e.policy, [TracingAttributes.reason]: e.reason }, 'circuit opened'));
payments.on('closed', (e) => log.info({ [TracingAttributes.policy]: e.policy, [TracingAttributes.reason]: e.reason }, 'circuit closed'));
// --8<-- [end:signals]

// --8<-- [start:log-in-call]
function charge(orderId: string): Promise<Receipt> {
  return payments.execute(
    (ctx) => {
      const span = api.trace.getActiveSpan()?.spanContext(); // this attempt's span
      log.info({ trace_id: span?.traceId, span_id: span?.spanId, attempt: ctx.attempt }, `charging ${orderId}`);
      return gateway.charge(orderId, ctx.signal);
    },
    { operation: 'payment.charge' },
  );
}
// --8<-- [end:log-in-call]

afterAll(() => provider.shutdown());

describe('docs/observability.md', () => {
  it('one call shows in the trace, the metrics and the logs, joined by its trace id', async () => {
    await expect(charge('order-1')).resolves.toEqual({ orderId: 'order-1', status: 'paid' });
    await provider.forceFlush();
    expect(exporter.config.url).toBe('http://localhost:4318/v1/traces');
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === 'payment.charge');
    const attempt = spans.find((s) => s.name === 'payment.charge attempt');
    expect(call?.resource.attributes['service.name']).toBe('shop');
    expect(call?.attributes[TracingAttributes.outcome]).toBe('success');
    expect(attempt?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(lines[0]).toEqual({
      level: 'info',
      fields: { trace_id: call?.spanContext().traceId, span_id: attempt?.spanContext().spanId, attempt: 1 },
      message: 'charging order-1',
    });
    expect(metrics.snapshot().calls.find((c) => c.operation === 'payment.charge')?.outcomes.success).toBe(1);
  });

  it('breaker transitions are logged under the shared keys', () => {
    const breaker = payments.policies.find((p): p is CircuitBreakerPolicy => p instanceof CircuitBreakerPolicy);
    breaker?.isolate();
    breaker?.reset();
    expect(lines.slice(-2).map((l) => [l.level, l.message, l.fields[TracingAttributes.reason]])).toEqual([
      ['warn', 'circuit opened', 'isolated'],
      ['info', 'circuit closed', 'reset'],
    ]);
  });
});
