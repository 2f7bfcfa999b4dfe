/**
 * Options of the tracing policy, their defaults and their validation.
 *
 * @packageDocumentation
 */
import { isPlainObject, rules, type Rule } from '../core/validation';
import { openTelemetryApiRule, type OpenTelemetryApi, type TracingAttributeValue } from './api';

/**
 * Options of {@link tracing}.
 *
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * const traced = tracing({ api, tracerName: 'matchmaking', labelKeys: ['region'], attributes: { 'peer.service': 'lobby-db' } });
 * ```
 */
export interface TracingOptions {
  /**
   * The `@opentelemetry/api` object (`import * as api from '@opentelemetry/api'`). Spans go
   * to the tracer provider and context manager the application registered on it. Required.
   */
  readonly api: OpenTelemetryApi;
  /** Name of the tracer (the instrumentation scope). @defaultValue `'breakwater'` */
  readonly tracerName?: string | undefined;
  /** Version of the tracer's instrumentation scope. @defaultValue none */
  readonly tracerVersion?: string | undefined;
  /** Name of the policy (in `describe()` and errors). @defaultValue `'tracing'` */
  readonly name?: string | undefined;
  /**
   * Which call labels (`execute(fn, { labels })`) are copied onto the call span, as
   * `resilience.label.<name>`. Opt-in, because labels may hold user ids.
   * @defaultValue `[]`
   */
  readonly labelKeys?: readonly string[] | undefined;
  /** Attributes set on every call span (e.g. `{ 'peer.service': 'payment-gateway' }`). @defaultValue `{}` */
  readonly attributes?: Readonly<Record<string, TracingAttributeValue>> | undefined;
  /**
   * Record the failure of a failed call (and of each failed attempt) as an `exception`
   * span event (`span.recordException`), besides the status and `error.type`.
   * @defaultValue `true`
   */
  readonly recordExceptions?: boolean | undefined;
}

/**
 * Defaults of {@link TracingOptions}.
 *
 * @example
 * ```ts
 * const scope = options.tracerName ?? tracingDefaults.tracerName; // 'breakwater'
 * ```
 */
export const tracingDefaults = {
  /** @defaultValue `'breakwater'` */
  tracerName: 'breakwater',
  /** @defaultValue `'tracing'` */
  name: 'tracing',
  /** @defaultValue `true` */
  recordExceptions: true,
} as const;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

const attributesRule: Rule = {
  expected: 'an object of string, finite number or boolean values',
  check: (v) =>
    isPlainObject(v) &&
    Object.keys(v).every((k) => {
      const x = v[k];
      return k !== '' && !FORBIDDEN.has(k) && (typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x)));
    }),
};

/** @internal The schema of {@link TracingOptions}. */
export const tracingSchema = {
  api: openTelemetryApiRule,
  tracerName: rules.string(),
  tracerVersion: rules.string(),
  name: rules.string(),
  labelKeys: rules.arrayOf(rules.string()),
  attributes: attributesRule,
  recordExceptions: rules.boolean(),
};
