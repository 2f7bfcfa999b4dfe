/**
 * Pins the Prometheus exposition and handler rules: `NaN`, `+Inf` and `-Inf` sample
 * values; a sample without labels has no `{}`; histograms render buckets, `+Inf`, `_sum`
 * and `_count` with the series labels; the handler rejects anything but an object with
 * `toPrometheus` (exact message), treats a missing method as GET, answers 405 and 500 with
 * a plain-text body and content type, reports rendering errors as "the metrics handler",
 * and sends `Cache-Control: no-store` with 200.
 */
import { describe, expect, it } from 'vitest';
import { onCallbackError } from '../core/report';
import { createMetricsHandler, formatNumber, PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricsResponse } from './prometheus';

function fakeRes(): MetricsResponse & { headers: Record<string, string>; body: string | undefined; ended: number } {
  return {
    statusCode: 0,
    headers: {},
    body: undefined,
    ended: 0,
    setHeader(name, value) {
      this.headers[name] = value;
    },
    end(body) {
      this.ended++;
      this.body = body;
    },
  };
}

const MESSAGE = 'createMetricsHandler() expects a metrics aggregator (an object with toPrometheus)';

describe('formatNumber / renderPrometheus', () => {
  it('formats NaN, +Inf, -Inf and plain numbers', () => {
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('-Inf');
    expect(formatNumber(0.25)).toBe('0.25');
    expect(formatNumber(-3)).toBe('-3');
  });

  it('renders special values and samples without labels exactly', () => {
    const text = renderPrometheus([
      {
        name: 'g',
        help: 'A gauge.',
        type: 'gauge',
        samples: [
          { labels: {}, value: Number.NaN },
          { labels: { a: 'x' }, value: Number.NEGATIVE_INFINITY },
          { labels: {}, value: 1.5 },
        ],
      },
    ]);
    expect(text).toBe('# HELP g A gauge.\n# TYPE g gauge\ng NaN\ng{a="x"} -Inf\ng 1.5\n');
  });

  it('renders a histogram: buckets, +Inf, _sum and _count, with and without labels', () => {
    const text = renderPrometheus([
      {
        name: 'h_seconds',
        help: 'Durations.',
        type: 'histogram',
        samples: [
          { labels: { op: 'a"b' }, buckets: [{ le: 0.1, count: 1 }, { le: 1, count: 3 }], sum: 1.25, count: 4 },
          { labels: {}, buckets: [{ le: 0.5, count: 0 }], sum: 0, count: 0 },
        ],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP h_seconds Durations.',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{op="a\\"b",le="0.1"} 1',
        'h_seconds_bucket{op="a\\"b",le="1"} 3',
        'h_seconds_bucket{op="a\\"b",le="+Inf"} 4',
        'h_seconds_sum{op="a\\"b"} 1.25',
        'h_seconds_count{op="a\\"b"} 4',
        'h_seconds_bucket{le="0.5"} 0',
        'h_seconds_bucket{le="+Inf"} 0',
        'h_seconds_sum 0',
        'h_seconds_count 0',
        '',
      ].join('\n'),
    );
  });
});

describe('createMetricsHandler', () => {
  it('rejects anything but an object with toPrometheus, with the documented message', () => {
    const callable = Object.assign(() => undefined, { toPrometheus: () => 'x 1\n' });
    for (const bad of [null, undefined, 'text', 42, {}, { toPrometheus: 'x' }, callable]) {
      expect(() => createMetricsHandler(bad as never)).toThrow(new TypeError(MESSAGE));
    }
  });

  it('treats a request without a method as GET', () => {
    const res = fakeRes();
    createMetricsHandler({ toPrometheus: () => 'x 1\n' })({}, res);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('x 1\n');
    expect(res.headers).toEqual({ 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
  });

  it('accepts lower-case methods and answers HEAD with headers only', () => {
    const h = createMetricsHandler({ toPrometheus: () => 'x 1\n' });
    const get = fakeRes();
    h({ method: 'get' }, get);
    expect([get.statusCode, get.body]).toEqual([200, 'x 1\n']);
    const head = fakeRes();
    h({ method: 'head' }, head);
    expect([head.statusCode, head.body, head.ended]).toEqual([200, undefined, 1]);
    expect(head.headers).toEqual({ 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
  });

  it('answers other methods 405 with Allow, a plain-text content type and body, without rendering', () => {
    let renders = 0;
    const h = createMetricsHandler({
      toPrometheus: () => {
        renders++;
        return 'x 1\n';
      },
    });
    const res = fakeRes();
    h({ method: 'DELETE' }, res);
    expect(res.statusCode).toBe(405);
    expect(res.headers).toEqual({ Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    expect(res.body).toBe('Method Not Allowed\n');
    expect(renders).toBe(0);
  });

  it('answers 500 with a plain-text body when rendering throws, reporting it as "the metrics handler"', () => {
    const reported: [unknown, string][] = [];
    const sub = onCallbackError((error, source) => reported.push([error, source]));
    const boom = new Error('boom');
    const res = fakeRes();
    try {
      createMetricsHandler({
        toPrometheus: () => {
          throw boom;
        },
      })({ method: 'GET' }, res);
    } finally {
      sub.dispose();
    }
    expect(reported).toEqual([[boom, 'the metrics handler']]);
    expect(res.statusCode).toBe(500);
    expect(res.headers).toEqual({ 'Content-Type': 'text/plain; charset=utf-8' });
    expect(res.body).toBe('Internal Server Error\n');
  });
});
