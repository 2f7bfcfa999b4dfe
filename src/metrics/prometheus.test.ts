import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { ExperimentMetricNames, MetricNames } from './names';
import { createMetricsHandler, escapeLabelValue, PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricsResponse } from './prometheus';
import { events, populate } from '../../test/support/metrics-fixtures';
import { rateLimiter } from '../rate-limiter/rate-limiter';
import { adaptiveConcurrency } from '../adaptive-concurrency/index';
import type { ResilienceEvent } from '../core/events';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;
const skipReason = hasPromtool ? '' : ' (SKIPPED: promtool not on PATH; install the Debian package `prometheus`)';
if (!hasPromtool) console.warn(`[metrics tests] promtool not found: promtool checks skipped${skipReason}`);

const opsDir = fileURLToPath(new URL('../../docs/ops/', import.meta.url));

async function populated(): Promise<ReturnType<typeof createMetrics>> {
  const clock = new VirtualClock();
  const m = createMetrics({ clock, labelKeys: ['region'] });
  await populate(m, clock);
  m.record(events(clock, { policy: 'login', operation: 'login', labels: { region: 'e"u\\' } }).executed({ duration: 0.2 }));
  // A rate limiter: one call admitted at once, a second one waiting for its slot (left pending).
  const partner = rateLimiter({ name: 'partner', rate: 1, per: 1_000, maxWait: 5_000, clock });
  m.observe(partner);
  await partner.execute(() => 'ok', { operation: 'partner.quota' });
  void partner.execute(() => 'ok', { operation: 'partner.quota' });
  // Hedging and an adaptive limit: their events, and the limit's live gauges (one call held).
  const at = { pipeline: 'lobby', operation: 'leaderboard.top', labels: { region: 'eu' }, time: clock.now() };
  const hedge = { ...at, kind: 'hedging', policy: 'leaderboard.hedge' } as const;
  m.record({ ...hedge, type: 'hedge', attempt: 2, trigger: 'delay', delay: 30 } as ResilienceEvent);
  m.record({ ...hedge, type: 'hedge', attempt: 2, trigger: 'failure', delay: 0 } as ResilienceEvent);
  m.record({ ...hedge, type: 'hedge-won', attempt: 2, attempts: 2 } as ResilienceEvent);
  m.record({ ...hedge, type: 'hedge-losers-cancelled', winner: 2, losers: [1] } as ResilienceEvent);
  m.record({ ...hedge, type: 'hedge-budget-exhausted', attempt: 2 } as ResilienceEvent);
  const db = adaptiveConcurrency({ name: 'db', initialLimit: 4, minLimit: 1, maxLimit: 40, clock });
  m.observe(db);
  void db.execute(() => new Promise(() => undefined), { operation: 'db.query' });
  const limit = { ...at, kind: 'adaptive-concurrency', policy: 'db', partition: undefined, latency: 10, noLoadLatency: 10, inFlight: 4 } as const;
  m.record({ ...limit, type: 'limit-changed', previous: 4, limit: 5 } as ResilienceEvent);
  m.record({ ...limit, type: 'limit-changed', previous: 5, limit: 4 } as ResilienceEvent);
  return m;
}

/** Parses the exposition text into samples, undoing label escapes. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`bad line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(body); l !== null; l = re.exec(body)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1] as string, labels, value: Number((m[4] as string).replace('+Inf', 'Infinity')) });
  }
  return out;
}

describe('toPrometheus()', () => {
  it('renders HELP/TYPE once per family, counters with _total, histograms with cumulative buckets', async () => {
    const m = await populated();
    const text = m.toPrometheus();
    expect(text.endsWith('\n')).toBe(true);
    for (const name of Object.values(MetricNames)) {
      if (name.startsWith('resilience_bulkhead') || name === MetricNames.circuitMtbf) continue; // not populated here
      expect(text.match(new RegExp(`^# TYPE ${name} `, 'gm'))?.length, name).toBe(1);
      expect(text).toContain(`# HELP ${name} `);
    }
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE'))) {
      const [, , name, type] = line.split(' ');
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
    const samples = parse(text);
    const charge = { pipeline: 'payments', policy: 'payments', operation: 'payment.charge', region: '' };
    const get = (name: string, labels: Record<string, string>): number | undefined =>
      samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    expect(get('resilience_calls_total', { ...charge, outcome: 'success' })).toBe(2);
    expect(get('resilience_calls_total', { ...charge, outcome: 'rejected' })).toBe(2);
    // Hedging and the adaptive limit.
    const lobby = { pipeline: 'lobby', policy: 'leaderboard.hedge', operation: 'leaderboard.top', region: 'eu' };
    expect(get(MetricNames.hedges, { ...lobby, attempt: '2', trigger: 'delay' })).toBe(1);
    expect(get(MetricNames.hedges, { ...lobby, attempt: '2', trigger: 'failure' })).toBe(1);
    expect(get(MetricNames.hedgeWins, { ...lobby, attempt: '2' })).toBe(1);
    expect(get(MetricNames.hedgeLosersCancelled, lobby)).toBe(1);
    expect(get(MetricNames.hedgeBudgetExhausted, lobby)).toBe(1);
    expect(get(MetricNames.adaptiveLimit, { policy: 'db' })).toBe(4);
    expect(get(MetricNames.adaptiveInFlight, { policy: 'db' })).toBe(1);
    expect(get(MetricNames.adaptiveQueued, { policy: 'db' })).toBe(0);
    expect(get(MetricNames.adaptiveLimitChanges, { ...lobby, policy: 'db', direction: 'up' })).toBe(1);
    expect(get(MetricNames.adaptiveLimitChanges, { ...lobby, policy: 'db', direction: 'down' })).toBe(1);
    // Rejections are labelled by the refusing policy, from its own `rejected` event.
    expect(get('resilience_call_rejections_total', { ...charge, policy: 'pool', reason: 'bulkhead-full' })).toBe(1);
    expect(get('resilience_call_rejections_total', { ...charge, policy: 'gateway', reason: 'circuit-open' })).toBe(1);
    expect(samples.filter((s) => s.name === 'resilience_call_rejections_total')).toHaveLength(2);
    expect(get('resilience_call_duration_seconds_count', charge)).toBe(9);
    expect(get('resilience_call_duration_seconds_sum', charge)).toBeCloseTo(2.309, 9);
    expect(get('resilience_call_duration_seconds_bucket', { ...charge, le: '0.016' })).toBe(6); // 1, 1, 3, 5, 7, 12 ms
    expect(get('resilience_call_duration_seconds_bucket', { ...charge, le: '0.008' })).toBe(5);
    expect(get('resilience_call_duration_seconds_bucket', { ...charge, le: '+Inf' })).toBe(9);
    expect(get('resilience_circuit_state_seconds_total', { policy: 'gateway', state: 'open' })).toBe(10);
    expect(get('resilience_circuit_mttr_seconds', { policy: 'gateway' })).toBe(12);
    expect(get('resilience_circuit_state', { policy: 'gateway', state: 'closed' })).toBe(1);
    expect(get('resilience_availability_ratio', charge)).toBe(0.375);
    expect(get('resilience_rate_limiter_admitted_total', { pipeline: '', policy: 'partner', operation: 'partner.quota', region: '' })).toBe(1);
    expect(get('resilience_rate_limiter_queued', { policy: 'partner' })).toBe(1);
    // Escaped label values round-trip.
    expect(samples.some((s) => s.labels['operation'] === 'we"ird\\op\nname')).toBe(true);
    expect(samples.some((s) => s.labels['region'] === 'e"u\\')).toBe(true);
    // Buckets are cumulative.
    const buckets = samples.filter((s) => s.name === 'resilience_call_duration_seconds_bucket' && s.labels['operation'] === 'payment.charge');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
  });

  it('escapes label values and HELP text', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderPrometheus([
      { name: 'x_total', help: 'line\\one\ntwo', type: 'counter', samples: [{ labels: { k: '"' }, value: Number.POSITIVE_INFINITY }] },
      { name: 'y', help: 'empty', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe('# HELP x_total line\\\\one\\ntwo\n# TYPE x_total counter\nx_total{k="\\""} +Inf\n');
    expect(renderPrometheus([])).toBe('');
  });

  it.skipIf(!hasPromtool)(`passes promtool check metrics${skipReason}`, async () => {
    const m = await populated();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: m.toPrometheus(), encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
    // And the check can fail: a counter without _total is reported.
    const bad = spawnSync('promtool', ['check', 'metrics'], { input: '# HELP x x\n# TYPE x counter\nx 1\n', encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });

  it.skipIf(!hasPromtool)(`alert rules pass promtool check rules${skipReason}`, () => {
    const r = spawnSync('promtool', ['check', 'rules', `${opsDir}alerts.yml`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: [4-9]\d* rules found|SUCCESS: \d{2,} rules found/);
  });
});

describe('docs/ops use exactly the exported names', () => {
  const known = new Set<string>([...Object.values(MetricNames), ...Object.values(ExperimentMetricNames)]);
  for (const name of [MetricNames.callDuration]) for (const s of ['_bucket', '_sum', '_count']) known.add(name + s);
  const namesIn = (text: string): Set<string> => new Set(text.match(/\bresilience_[a-z_]+\b/g) ?? []);

  it('Grafana dashboard', () => {
    const text = readFileSync(`${opsDir}grafana-dashboard.json`, 'utf8');
    const dashboard = JSON.parse(text) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    const used = namesIn(exprs);
    expect(used.size).toBeGreaterThan(10);
    for (const n of namesIn(text)) expect(known, n).toContain(n);
  });

  it.skipIf(!hasPromtool)(`every dashboard query is valid PromQL (promtool check rules)${skipReason}`, () => {
    const dashboard = JSON.parse(readFileSync(`${opsDir}grafana-dashboard.json`, 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const rules = exprs.map(
      (e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '5m').replace(/\$[a-z]+/g, '.*'))}`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'bw-dash-'));
    const file = join(dir, 'dashboard-rules.yml');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
    try {
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('alert rules', () => {
    const text = readFileSync(`${opsDir}alerts.yml`, 'utf8');
    const used = namesIn(text);
    for (const n of used) expect(known, n).toContain(n);
    for (const n of [MetricNames.circuitState, MetricNames.availability, MetricNames.retryBudgetExhausted, MetricNames.chaosInjections, MetricNames.callRejections]) {
      expect(used).toContain(n);
    }
  });
});

describe('createMetricsHandler', () => {
  function fakeRes(): MetricsResponse & { headers: Record<string, string>; body: string | undefined } {
    return {
      statusCode: 0,
      headers: {},
      body: undefined,
      setHeader(name, value) {
        this.headers[name.toLowerCase()] = value;
      },
      end(body) {
        this.body = body;
      },
    };
  }

  it('serves GET, answers HEAD without a body, refuses other methods, reports 500 on errors', async () => {
    const m = await populated();
    const h = createMetricsHandler(m);
    const get = fakeRes();
    h({ method: 'GET' }, get);
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(get.body).toBe(m.toPrometheus());
    const head = fakeRes();
    h({ method: 'HEAD' }, head);
    expect([head.statusCode, head.body]).toEqual([200, undefined]);
    const post = fakeRes();
    h({ method: 'POST' }, post);
    expect([post.statusCode, post.headers['allow']]).toEqual([405, 'GET, HEAD']);
    const broken = fakeRes();
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      createMetricsHandler({
        toPrometheus: () => {
          throw new Error('boom');
        },
      })({ method: 'GET' }, broken);
    } finally {
      console.error = original;
    }
    expect(broken.statusCode).toBe(500);
    expect(errors).toHaveLength(1);
    expect(() => createMetricsHandler({} as never)).toThrow(TypeError);
  });

  it('works as a node:http handler', async () => {
    const m = await populated();
    const server: Server = createServer(createMetricsHandler(m));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(await res.text()).toBe(m.toPrometheus());
      const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' });
      expect(post.status).toBe(405);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
