/**
 * Runtime checks of `breakwater/metrics`: an aggregator fed by a pipeline on the virtual
 * clock, its snapshot, its Prometheus text (parsed here against the exposition format), and
 * the HTTP handler, which is typed structurally so no `node:http` is needed to use it.
 */
import { equal, fingerprint, includes, ok } from '../support/runtime-assert';
import type { Check, Library } from './library';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses Prometheus text exposition (0.0.4) strictly enough to catch a malformed line, a
 * sample of an undeclared family, an unknown type, or a missing final newline.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      ok(name !== undefined && ['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? ''), `a TYPE line: ${line}`);
      ok(!types.has(name), `${name} is declared once`);
      types.set(name, type as string);
      continue;
    }
    const m = SAMPLE.exec(line);
    ok(m !== null, `a sample line: ${JSON.stringify(line)}`);
    const [, name, body, raw] = m;
    const family = [...types.keys()].find((f) => name === f || (types.get(f) === 'histogram' && [`${f}_bucket`, `${f}_sum`, `${f}_count`].includes(name!)));
    ok(family !== undefined, `${name} belongs to a declared family`);
    const labels: Record<string, string> = {};
    for (const l of (body ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const value = raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    ok(raw === 'NaN' || !Number.isNaN(value), `a number: ${line}`);
    samples.push({ name: name!, labels, value });
  }
  return { types, samples };
}

async function prometheusText({ core, metrics, testing }: Library) {
  const { pipeline, retry, circuitBreaker, timeout } = core;
  const { VirtualClock, scriptedDependency, Step } = testing;
  const clock = new VirtualClock();
  const m = metrics.createMetrics({ clock, labelKeys: ['region'] });
  const breaker = circuitBreaker({ name: 'gateway', failureThreshold: 2, recoveryTimeout: 1_000, clock });
  const payments = pipeline({ name: 'payments' }, retry({ maxAttempts: 2, delay: 50, jitter: 'none', clock }), breaker, timeout({ duration: 100, clock }));
  const sub = m.observe(payments);
  const dep = scriptedDependency<string>({ calls: [Step.slow(10, 'a'), Step.slow(10, 'b'), Step.fail(), Step.fail()], otherwise: Step.ok('c') }, clock);
  const call = (): Promise<unknown> => payments.execute(() => dep(), { operation: 'payment.charge', labels: { region: 'eu', user: 'u-1' } }).catch(() => 'failed');
  const first = call();
  await clock.advance(10);
  equal(await first, 'a', 'call 1');
  const second = call();
  await clock.advance(10);
  equal(await second, 'b', 'call 2');
  const third = call(); // fails at 20 ms, and its retry at 70 ms: the breaker opens
  await clock.advance(50);
  equal(await third, 'failed', 'call 3');
  equal(breaker.state, 'open', 'the breaker opened');
  equal(await call(), 'failed', 'call 4 is rejected while open');
  await clock.advance(1_000);
  equal(await call(), 'c', 'call 5, the probe, succeeds');
  const text = m.toPrometheus();
  const { types, samples } = parsePrometheus(text);
  const calls = metrics.MetricNames.calls;
  equal(types.get(calls), 'counter', `${calls} is a counter`);
  equal(types.get(metrics.MetricNames.callDuration), 'histogram', 'call duration is a histogram');
  const outcome = (o: string) => samples.find((s) => s.name === calls && s.labels['outcome'] === o && s.labels['operation'] === 'payment.charge')?.value ?? 0;
  equal(outcome('success'), 3, 'successful calls');
  equal(outcome('failure'), 1, 'failed calls');
  equal(outcome('rejected'), 1, 'rejected calls');
  ok(samples.filter((s) => s.name === calls).every((s) => s.labels['region'] === 'eu' && !('user' in s.labels)), 'only the listed label keys become labels');
  // Histogram buckets are cumulative and end at +Inf = _count.
  const buckets = samples.filter((s) => s.name === `${metrics.MetricNames.callDuration}_bucket` && s.labels['operation'] === 'payment.charge');
  ok(buckets.length > 1, 'duration buckets');
  for (let i = 1; i < buckets.length; i++) ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
  const inf = buckets.find((b) => b.labels['le'] === '+Inf');
  const count = samples.find((s) => s.name === `${metrics.MetricNames.callDuration}_count` && s.labels['operation'] === 'payment.charge');
  ok(inf !== undefined && count !== undefined && inf.value === count.value, 'the +Inf bucket equals _count');
  includes(text, `# HELP ${calls} `, 'HELP lines');
  const snap = m.snapshot();
  const gateway = snap.breakers.find((b) => b.name === 'gateway');
  ok(gateway !== undefined, 'the breaker is in the snapshot');
  equal(gateway.state, 'closed', 'its state');
  equal(gateway.outages, 1, 'one outage');
  equal(gateway.mttr, 1_000, 'MTTR: open at 70 ms, closed at 1 070 ms');
  sub.dispose();
  return { text: fingerprint(text), lines: text.split('\n').length };
}

async function structuralHandler({ core, metrics }: Library) {
  const m = metrics.createMetrics();
  const p = core.pipeline({ name: 'handler' });
  const sub = m.observe(p);
  await p.execute(() => 'ok', { operation: 'ping' });
  const handler = metrics.createMetricsHandler(m);
  const response = () => {
    const headers: Record<string, string> = {};
    const res = {
      statusCode: 0,
      body: undefined as string | undefined,
      setHeader(name: string, value: string) {
        headers[name.toLowerCase()] = value;
      },
      end(body?: string) {
        res.body = body;
      },
    };
    return { res, headers };
  };
  const get = response();
  handler({ method: 'GET' }, get.res);
  equal(get.res.statusCode, 200, 'GET status');
  equal(get.headers['content-type'], metrics.PROMETHEUS_CONTENT_TYPE, 'content type');
  includes(get.res.body ?? '', 'operation="ping"', 'the body is the exposition');
  const post = response();
  handler({ method: 'POST' }, post.res);
  equal(post.res.statusCode, 405, 'POST status');
  // The same text through this runtime's own web-standard Response, as an edge worker would serve it.
  const web = new Response(m.toPrometheus(), { headers: { 'content-type': metrics.PROMETHEUS_CONTENT_TYPE } });
  includes(await web.text(), 'resilience_calls_total', 'served through a web Response');
  sub.dispose();
}

/** The checks of `breakwater/metrics`. */
export const metricsChecks: readonly Check[] = [
  { name: 'metrics: Prometheus text from a pipeline on the virtual clock, and its snapshot', run: prometheusText },
  { name: 'metrics: the HTTP handler needs no node:http (structural request and response)', run: structuralHandler },
];
