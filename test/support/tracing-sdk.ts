/**
 * @internal The real OpenTelemetry trace SDK for the tracing tests: a `BasicTracerProvider`
 * with an `InMemorySpanExporter` behind a `SimpleSpanProcessor`, the async-hooks context
 * manager, and a span processor and diagnostic logger that catch a span started and never
 * ended, ended twice, or touched after its end.
 */
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** @internal Counts the starts and ends of every span, by span id. */
class LifecycleProcessor implements SpanProcessor {
  readonly started = new Map<string, string>();
  readonly ends = new Map<string, number>();
  onStart(span: Span): void {
    this.started.set(span.spanContext().spanId, span.name);
  }
  onEnd(span: ReadableSpan): void {
    const id = span.spanContext().spanId;
    this.ends.set(id, (this.ends.get(id) ?? 0) + 1);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** @internal The SDK under test and what it saw. */
export interface TracingSdk {
  readonly exporter: InMemorySpanExporter;
  /** A tracer for the spans the test's "user code" opens (db.query…). */
  readonly userTracer: api.Tracer;
  /** Every warning or error the SDK logged (e.g. "You can only call end() on a span once"). */
  readonly diagnostics: string[];
  /** Names of the spans started and not (yet) ended. */
  openSpans(): string[];
  /** Names of the spans ended more than once (the SDK ignores the second `end()` but logs it). */
  endedTwice(): string[];
  /** Forgets every span seen so far. */
  reset(): void;
}

let current: TracingSdk | undefined;

/**
 * @internal Registers the SDK globally on `@opentelemetry/api` (once per test file) and
 * returns it. Call `reset()` between tests.
 */
export function tracingSdk(): TracingSdk {
  if (current !== undefined) return current;
  api.trace.disable();
  api.context.disable();
  api.diag.disable();
  const exporter = new InMemorySpanExporter();
  const lifecycle = new LifecycleProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [lifecycle, new SimpleSpanProcessor(exporter)] });
  api.trace.setGlobalTracerProvider(provider);
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const diagnostics: string[] = [];
  const keep = (message: string, ...args: unknown[]): void => {
    diagnostics.push([message, ...args.map(String)].join(' '));
  };
  api.diag.setLogger({ error: keep, warn: keep, info: () => {}, debug: () => {}, verbose: () => {} }, api.DiagLogLevel.WARN);
  current = {
    exporter,
    userTracer: api.trace.getTracer('test-user-code'),
    diagnostics,
    openSpans: () => [...lifecycle.started].filter(([id]) => !lifecycle.ends.has(id)).map(([, name]) => name),
    endedTwice: () => [...lifecycle.ends].filter(([, n]) => n > 1).map(([id]) => lifecycle.started.get(id) ?? id),
    reset: () => {
      exporter.reset();
      lifecycle.started.clear();
      lifecycle.ends.clear();
      diagnostics.length = 0;
    },
  };
  return current;
}

/** @internal A finished span's parent span id ('' for a root span). */
export function parentOf(span: ReadableSpan): string {
  return span.parentSpanContext?.spanId ?? '';
}

/** @internal A finished span's id. */
export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

/** @internal The finished spans named `name`. */
export function spansNamed(sdk: TracingSdk, name: string): ReadableSpan[] {
  return sdk.exporter.getFinishedSpans().filter((s) => s.name === name);
}

/** @internal The one finished span named `name` (throws when there is not exactly one). */
export function onlySpan(sdk: TracingSdk, name: string): ReadableSpan {
  const found = spansNamed(sdk, name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}: ${sdk.exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
}

/** @internal The children of `parent` among the finished spans, in start order. */
export function childrenOf(sdk: TracingSdk, parent: ReadableSpan): ReadableSpan[] {
  const id = idOf(parent);
  return sdk.exporter
    .getFinishedSpans()
    .filter((s) => parentOf(s) === id)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

/** @internal The names of the span events of `span`. */
export function eventNames(span: ReadableSpan): string[] {
  return span.events.map((e) => e.name);
}
