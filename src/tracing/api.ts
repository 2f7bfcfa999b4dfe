/**
 * The parts of `@opentelemetry/api` the tracing policy uses, typed structurally: breakwater
 * does not depend on the package. The user passes the API object in (`import * as api from
 * '@opentelemetry/api'`), so the spans go to whatever tracer provider and context manager the
 * application registered.
 *
 * @packageDocumentation
 */
import type { Rule } from '../core/validation';

/**
 * An OpenTelemetry `Context` (opaque to breakwater: it is only handed back to the API).
 *
 * @example
 * ```ts
 * const parent: OpenTelemetryContext = api.context.active();
 * ```
 */
export type OpenTelemetryContext = object;

/**
 * An attribute value as breakwater sets it (OpenTelemetry also accepts arrays; breakwater never
 * sets them).
 *
 * @example
 * ```ts
 * const value: TracingAttributeValue = 'payment.charge';
 * ```
 */
export type TracingAttributeValue = string | number | boolean;

/**
 * A set of span or span-event attributes.
 *
 * @example
 * ```ts
 * const attributes: TracingAttributeMap = { [TracingAttributes.attempt]: 2 };
 * ```
 */
export type TracingAttributeMap = Record<string, TracingAttributeValue>;

/**
 * The parts of an OpenTelemetry `Span` the tracing policy uses.
 *
 * @example
 * ```ts
 * const span: TracingSpan = api.trace.getTracer('game-server').startSpan('lobby.find');
 * span.end();
 * ```
 */
export interface TracingSpan {
  /** Sets one attribute. */
  setAttribute(key: string, value: TracingAttributeValue): unknown;
  /** Adds a timestamped event (`time`: ms, when the call runs on a custom clock). */
  addEvent(name: string, attributes?: TracingAttributeMap, time?: number): unknown;
  /** Sets the status (`code`: a `SpanStatusCode`). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Records an exception as a span event. */
  recordException(exception: Error | string, time?: number): void;
  /** Ends the span (`endTime`: ms, when the call runs on a custom clock). */
  end(endTime?: number): void;
  /** False for a span that is not sampled: breakwater then records nothing on it. */
  isRecording(): boolean;
}

/**
 * The options of `Tracer.startSpan` the tracing policy uses.
 *
 * @example
 * ```ts
 * const options: TracingSpanOptions = { kind: api.SpanKind.INTERNAL, attributes: { [TracingAttributes.operation]: 'lobby.find' } };
 * ```
 */
export interface TracingSpanOptions {
  /** A `SpanKind` (breakwater's spans are `INTERNAL`). */
  kind?: number;
  /** Attributes known at the start (available to samplers). */
  attributes?: TracingAttributeMap;
  /** Start time in ms, when the call runs on a custom clock. */
  startTime?: number;
}

/**
 * The parts of an OpenTelemetry `Tracer` the tracing policy uses.
 *
 * @example
 * ```ts
 * const tracer: TracingTracer = api.trace.getTracer('breakwater');
 * ```
 */
export interface TracingTracer {
  /** Starts a span, child of the span in `context` (when there is one). */
  startSpan(name: string, options?: TracingSpanOptions, context?: OpenTelemetryContext): TracingSpan;
}

/**
 * The parts of `@opentelemetry/api` the tracing policy uses: `trace.getTracer`,
 * `trace.setSpan`, `context.active`, `context.with`, `SpanStatusCode` and `SpanKind`. The
 * module itself fits (`import * as api from '@opentelemetry/api'`).
 *
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * const policy = tracing({ api });
 * ```
 */
export interface OpenTelemetryApi {
  /** `api.trace`. */
  readonly trace: {
    /** Returns the tracer named `name` (breakwater asks once, at construction). */
    getTracer(name: string, version?: string): TracingTracer;
    /** Returns `context` with `span` as its active span. */
    setSpan(context: OpenTelemetryContext, span: TracingSpan): OpenTelemetryContext;
  };
  /** `api.context`. */
  readonly context: {
    /** The active context. */
    active(): OpenTelemetryContext;
    /** Runs `fn` with `context` active and returns what it returns. */
    with<T>(context: OpenTelemetryContext, fn: () => T): T;
  };
  /** `api.SpanStatusCode` (only `ERROR` is set: successes leave the status unset). */
  readonly SpanStatusCode: { readonly ERROR: number };
  /** `api.SpanKind` (breakwater's spans are `INTERNAL`). */
  readonly SpanKind: { readonly INTERNAL: number };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null;
}

/** @internal True when `v` looks like `@opentelemetry/api` (the functions and enums breakwater uses). */
export function isOpenTelemetryApi(v: unknown): v is OpenTelemetryApi {
  if (!isObject(v)) return false;
  const { trace, context, SpanStatusCode, SpanKind } = v;
  return (
    isObject(trace) &&
    typeof trace['getTracer'] === 'function' &&
    typeof trace['setSpan'] === 'function' &&
    isObject(context) &&
    typeof context['active'] === 'function' &&
    typeof context['with'] === 'function' &&
    isObject(SpanStatusCode) &&
    typeof SpanStatusCode['ERROR'] === 'number' &&
    isObject(SpanKind) &&
    typeof SpanKind['INTERNAL'] === 'number'
  );
}

/** @internal The validation rule of the `api` option. */
export const openTelemetryApiRule: Rule = {
  expected:
    "the @opentelemetry/api object (import * as api from '@opentelemetry/api'): trace.getTracer, trace.setSpan, context.active, context.with, SpanStatusCode and SpanKind",
  check: isOpenTelemetryApi,
  required: true,
};
