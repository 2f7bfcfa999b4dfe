/**
 * Prometheus text exposition (format 0.0.4) and a `/metrics` HTTP handler.
 *
 * The handler is typed structurally (`statusCode`, `setHeader`, `end`), so it plugs into
 * `node:http`, and anything with the same shape, without this module importing `node:`.
 *
 * @packageDocumentation
 */
import { reportInternalError } from '../core/report';
import type { HistogramSample, MetricFamily, MetricSample } from './snapshot';

/** Content type of the Prometheus text format served by {@link createMetricsHandler}. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** @internal Formats a sample value: `NaN`, `+Inf`, `-Inf` or the shortest decimal. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** @internal Escapes a HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

function labelText(labels: Readonly<Record<string, string>>, extra?: string): string {
  const parts: string[] = [];
  for (const k of Object.keys(labels)) parts.push(`${k}="${escapeLabelValue(labels[k] as string)}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * Renders metric families in the Prometheus text exposition format: `# HELP` and
 * `# TYPE` lines, then samples; histograms as `_bucket{le=…}` (cumulative, ending in
 * `+Inf`), `_sum` and `_count`. Families without samples are left out.
 *
 * @example
 * ```ts
 * const text = renderPrometheus(metrics.collect());
 * ```
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === 'histogram') {
      for (const s of f.samples as readonly HistogramSample[]) {
        for (const b of s.buckets) lines.push(`${f.name}_bucket${labelText(s.labels, `le="${formatNumber(b.le)}"`)} ${formatNumber(b.count)}`);
        lines.push(`${f.name}_bucket${labelText(s.labels, 'le="+Inf"')} ${formatNumber(s.count)}`);
        lines.push(`${f.name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}`);
        lines.push(`${f.name}_count${labelText(s.labels)} ${formatNumber(s.count)}`);
      }
    } else {
      for (const s of f.samples as readonly MetricSample[]) lines.push(`${f.name}${labelText(s.labels)} ${formatNumber(s.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The parts of an HTTP request the handler reads (`node:http`'s `IncomingMessage` fits). */
export interface MetricsRequest {
  /** HTTP method. */
  readonly method?: string | undefined;
}

/** The parts of an HTTP response the handler writes (`node:http`'s `ServerResponse` fits). */
export interface MetricsResponse {
  /** Status code to send. */
  statusCode: number;
  /** Sets a response header. */
  setHeader(name: string, value: string): unknown;
  /** Ends the response, with an optional body. */
  end(body?: string): unknown;
}

/** Anything that renders Prometheus text (a `Metrics` aggregator). */
export interface PrometheusSource {
  /** Returns the exposition text. */
  toPrometheus(): string;
}

/**
 * Returns a request handler serving `source.toPrometheus()`: `GET` and `HEAD` get 200
 * with the Prometheus content type, other methods 405, a rendering error 500. Mount it
 * on the path of your choice (or use it as the whole server).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const handler = createMetricsHandler(metrics);
 * createServer((req, res) => (req.url === '/metrics' ? handler(req, res) : res.writeHead(404).end())).listen(9464);
 * ```
 */
export function createMetricsHandler(source: PrometheusSource): (req: MetricsRequest, res: MetricsResponse) => void {
  if (typeof source !== 'object' || source === null || typeof source.toPrometheus !== 'function') {
    throw new TypeError('createMetricsHandler() expects a metrics aggregator (an object with toPrometheus)');
  }
  return (req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Method Not Allowed\n');
      return;
    }
    let body: string;
    try {
      body = source.toPrometheus();
    } catch (error) {
      reportInternalError(error, 'the metrics handler');
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Internal Server Error\n');
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    if (method === 'HEAD') res.end();
    else res.end(body);
  };
}
