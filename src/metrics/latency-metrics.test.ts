/**
 * Metrics of the latency-aware policies on the VirtualClock: hedges started by attempt and
 * trigger, wins by attempt, losers cancelled and hedges the budget refused (from the hedging
 * events); the adaptive concurrency limit, in-flight and queue as live gauges, its changes
 * by direction and its refusals by reason; and the exposition text passing promtool.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { adaptiveConcurrency } from '../adaptive-concurrency/index';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import { hedging, type HedgingBudget } from '../hedging/index';
import { VirtualClock } from '../testing/virtual-clock';
import { fakeDependency, type Answer } from '../../test/support/hedging-dependency';
import { createMetrics } from './aggregator';
import { registerPromClient } from './prom-client';
import { MetricNames } from './names';

const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const skipReason = hasPromtool ? '' : ' (SKIPPED: promtool not on PATH)';

/** The value of one sample of the exposition text, `undefined` when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${body}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Runs `promise` to its end on `clock`. */
async function settle<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => (out = { ok: true, value }),
    (error: unknown) => (out = { ok: false, error }),
  );
  await clock.runAll();
  if (out === undefined) throw new Error('the call did not settle');
  if (!out.ok) throw out.error;
  return out.value;
}

/** A budget that grants `grants` extra attempts, then refuses. */
function countedBudget(clock: VirtualClock, grants: number): HedgingBudget {
  let left = grants;
  return { clock, recordCall: () => undefined, tryRetry: () => left-- > 0 };
}

/** The hedged read of the tests: four calls that produce every hedging event. */
async function hedgedReads(clock: VirtualClock): Promise<ReturnType<typeof hedging>> {
  // 0: slow primary (100 ms), the delay hedge (attempt 2) answers in 10 ms and wins: attempt 1 lost.
  // 1: fast primary (5 ms): no hedge, no event.
  // 2: the primary fails at 5 ms: a failure hedge (attempt 2) answers and wins.
  // 3: slow primary, the budget refuses the hedge: the primary answers at 100 ms.
  const script: Answer[] = [{ ms: 100 }, { ms: 10 }, { ms: 5 }, { ms: 5, error: new Error('replica down') }, { ms: 10 }, { ms: 100 }];
  const dep = fakeDependency(clock, (i) => script[i] ?? { ms: 1 });
  const read = hedging({ name: 'leaderboard.hedge', delay: 30, maxHedgedAttempts: 2, budget: countedBudget(clock, 2), clock });
  const game = pipeline({ name: 'leaderboard', clock }, read);
  const m = createMetrics({ clock });
  m.observe(game);
  for (let i = 0; i < 4; i++) await settle(clock, game.execute((ctx: ExecutionContext) => dep.fn(ctx), { operation: 'leaderboard.top' }));
  expect(dep.calls.map((c) => c.state)).toEqual(['aborted', 'answered', 'answered', 'failed', 'answered', 'answered']);
  (read as unknown as { metrics: ReturnType<typeof createMetrics> }).metrics = m;
  return read;
}

describe('hedging metrics', () => {
  it('counts hedges by attempt and trigger, wins by attempt, losers cancelled and budget refusals', async () => {
    const clock = new VirtualClock();
    const read = await hedgedReads(clock);
    const m = (read as unknown as { metrics: ReturnType<typeof createMetrics> }).metrics;
    const key = { pipeline: 'leaderboard', policy: 'leaderboard.hedge', operation: 'leaderboard.top', labels: {} };
    expect(m.snapshot().hedging).toEqual([
      {
        ...key,
        hedges: [
          { attempt: 2, trigger: 'delay', count: 1 },
          { attempt: 2, trigger: 'failure', count: 1 },
        ],
        wins: { '2': 2 },
        losersCancelled: 1,
        budgetExhausted: 1,
      },
    ]);
    const text = m.toPrometheus();
    const l = { pipeline: 'leaderboard', policy: 'leaderboard.hedge', operation: 'leaderboard.top' };
    expect(sample(text, MetricNames.hedges, { ...l, attempt: '2', trigger: 'delay' })).toBe(1);
    expect(sample(text, MetricNames.hedges, { ...l, attempt: '2', trigger: 'failure' })).toBe(1);
    expect(sample(text, MetricNames.hedgeWins, { ...l, attempt: '2' })).toBe(2);
    expect(sample(text, MetricNames.hedgeLosersCancelled, l)).toBe(1);
    expect(sample(text, MetricNames.hedgeBudgetExhausted, l)).toBe(1);
    // The pipeline's calls: four successes, hedged or not.
    expect(sample(text, MetricNames.calls, { pipeline: 'leaderboard', policy: 'leaderboard', operation: 'leaderboard.top', outcome: 'success' })).toBe(4);
  });

  it('counts a third attempt and a first attempt that wins after a hedge started', async () => {
    const clock = new VirtualClock();
    // Attempt 1: 70 ms; attempt 2 (at 30 ms): 500 ms; attempt 3 (at 60 ms): 500 ms. Attempt 1 wins, 2 and 3 lose.
    const script: Answer[] = [{ ms: 70 }, { ms: 500 }, { ms: 500 }];
    const dep = fakeDependency(clock, (i) => script[i] ?? { ms: 1 });
    const read = hedging({ name: 'profile', delay: 30, maxHedgedAttempts: 2, clock });
    const m = createMetrics({ clock });
    m.observe(read);
    await settle(clock, read.execute(dep.fn, { operation: 'profile.get' }));
    expect(m.snapshot().hedging).toEqual([
      {
        pipeline: '',
        policy: 'profile',
        operation: 'profile.get',
        labels: {},
        hedges: [
          { attempt: 2, trigger: 'delay', count: 1 },
          { attempt: 3, trigger: 'delay', count: 1 },
        ],
        wins: { '1': 1 },
        losersCancelled: 2,
        budgetExhausted: 0,
      },
    ]);
    expect(dep.calls.map((c) => c.state)).toEqual(['answered', 'aborted', 'aborted']);
  });

  it('reports nothing for calls the first attempt answers before the delay', async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, () => ({ ms: 5 }));
    const read = hedging({ delay: 30, clock });
    const m = createMetrics({ clock });
    m.observe(read);
    for (let i = 0; i < 5; i++) await settle(clock, read.execute(dep.fn));
    expect(m.snapshot().hedging).toEqual([]);
    expect(m.collect().find((f) => f.name === MetricNames.hedges)?.samples).toEqual([]);
  });
});

/** `n` calls of `ms` virtual ms, all started at once through `policy`; settles them all. */
async function burst(clock: VirtualClock, run: (fn: () => Promise<void>) => Promise<unknown>, n: number, ms: number, error?: Error): Promise<number> {
  const fn = (): Promise<void> =>
    new Promise((resolve, reject) => {
      clock.setTimeout(() => (error === undefined ? resolve() : reject(error)), ms);
    });
  const results = await settle(clock, Promise.allSettled(Array.from({ length: n }, () => run(fn))));
  return results.filter((r) => r.status === 'rejected').length;
}

describe('adaptive concurrency metrics', () => {
  it('reads limit, in-flight and queue live; counts limit changes by direction and refusals by reason', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ name: 'db', algorithm: 'aimd', initialLimit: 4, minLimit: 1, maxLimit: 50, maxQueue: 2, clock });
    const api = pipeline({ name: 'api', clock }, db);
    const m = createMetrics({ clock });
    const sub = m.observe(api);
    expect(m.snapshot().concurrencyLimits).toEqual([{ name: 'db', limit: 4, inFlight: 0, queued: 0 }]);

    // 7 calls at once: 4 run, 2 wait, 1 is refused (full).
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const held = Array.from({ length: 7 }, () => api.execute(() => gate, { operation: 'db.query' }).then(() => 'ok', (e: unknown) => e));
    await Promise.resolve();
    expect(m.snapshot().concurrencyLimits).toEqual([{ name: 'db', limit: 4, inFlight: 4, queued: 2 }]);
    expect(m.toPrometheus()).toContain(`${MetricNames.adaptiveInFlight}{policy="db"} 4\n`);
    expect(m.toPrometheus()).toContain(`${MetricNames.adaptiveQueued}{policy="db"} 2\n`);
    release();
    const outcomes = await Promise.all(held);
    expect(outcomes.filter((o) => o !== 'ok')).toHaveLength(1);

    // Successful windows with the limit used: aimd adds 1 per window.
    for (let i = 0; i < 6; i++) await burst(clock, (fn) => api.execute(fn, { operation: 'db.query' }), db.limit, 10);
    const grown = db.limit;
    expect(grown).toBeGreaterThan(4);
    // A window with failures: aimd backs off.
    for (let i = 0; i < 3 && db.limit >= grown; i++) await burst(clock, (fn) => api.execute(fn, { operation: 'db.query' }), grown, 10, new Error('overloaded'));
    expect(db.limit).toBeLessThan(grown);

    const snap = m.snapshot();
    const changes = snap.limitChanges.find((c) => c.policy === 'db');
    expect(changes).toMatchObject({ pipeline: 'api', operation: 'db.query' });
    expect(changes?.increases).toBeGreaterThanOrEqual(grown - 4);
    expect(changes?.decreases).toBeGreaterThanOrEqual(1);
    expect(snap.concurrencyLimits).toEqual([{ name: 'db', limit: db.limit, inFlight: 0, queued: 0 }]);
    expect(snap.rejections).toEqual([{ pipeline: 'api', policy: 'db', operation: 'db.query', labels: {}, reasons: { 'concurrency-limited-full': 1 }, total: 1 }]);
    // The pipeline's call that ended refused carries the same reason.
    expect(snap.calls.find((c) => c.policy === 'api')?.rejections).toEqual({ 'concurrency-limited-full': 1 });

    const text = m.toPrometheus();
    expect(sample(text, MetricNames.adaptiveLimit, { policy: 'db' })).toBe(db.limit);
    const l = { pipeline: 'api', policy: 'db', operation: 'db.query' };
    expect(sample(text, MetricNames.adaptiveLimitChanges, { ...l, direction: 'up' })).toBe(changes?.increases);
    expect(sample(text, MetricNames.adaptiveLimitChanges, { ...l, direction: 'down' })).toBe(changes?.decreases);
    expect(sample(text, MetricNames.callRejections, { ...l, reason: 'concurrency-limited-full' })).toBe(1);

    sub.dispose();
    expect(m.snapshot().concurrencyLimits).toEqual([]);
    expect(m.toPrometheus()).not.toContain(`${MetricNames.adaptiveLimit}{`);
  });

  it('a partitioned limit: in-flight and queue over its partitions, no single limit gauge', async () => {
    const clock = new VirtualClock();
    const shards = adaptiveConcurrency.partitioned({ name: 'shards', key: (ctx) => ctx.labels['shard'] ?? '', initialLimit: 2, minLimit: 1, maxLimit: 10, maxQueue: 5, clock });
    const m = createMetrics({ clock });
    m.observe(shards);
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const calls = ['a', 'a', 'a', 'b'].map((shard) => shards.execute(() => gate, { labels: { shard } }));
    await Promise.resolve();
    expect(m.snapshot().concurrencyLimits).toEqual([{ name: 'shards', limit: undefined, inFlight: 3, queued: 1 }]);
    const text = m.toPrometheus();
    expect(text).toContain(`${MetricNames.adaptiveInFlight}{policy="shards"} 3\n`);
    expect(text).not.toContain(`${MetricNames.adaptiveLimit}{policy="shards"}`);
    release();
    await Promise.all(calls);
  });

  it('counts a queue timeout under its own reason', async () => {
    const clock = new VirtualClock();
    const db = adaptiveConcurrency({ name: 'db', initialLimit: 1, minLimit: 1, maxLimit: 4, maxQueue: 1, queueTimeout: 50, clock });
    const m = createMetrics({ clock });
    m.observe(db);
    const rejected = await burst(clock, (fn) => db.execute(fn), 2, 100);
    expect(rejected).toBe(1);
    expect(m.snapshot().rejections).toEqual([{ pipeline: '', policy: 'db', operation: 'default', labels: {}, reasons: { 'concurrency-limited-queue-timeout': 1 }, total: 1 }]);
  });
});

describe('latency metrics exposition', () => {
  it.skipIf(!hasPromtool)(`passes promtool check metrics with every hedging and adaptive family populated${skipReason}`, async () => {
    const clock = new VirtualClock();
    const read = await hedgedReads(clock);
    const m = (read as unknown as { metrics: ReturnType<typeof createMetrics> }).metrics;
    const db = adaptiveConcurrency({ name: 'db', algorithm: 'aimd', initialLimit: 2, minLimit: 1, maxLimit: 10, clock });
    const api = pipeline({ name: 'api', clock }, db);
    m.observe(api);
    for (let i = 0; i < 12; i++) await burst(clock, (fn) => api.execute(fn, { operation: 'db.query' }), db.limit + 1, 10);
    expect(m.snapshot().limitChanges).not.toEqual([]);
    const text = m.toPrometheus();
    for (const name of [MetricNames.hedges, MetricNames.hedgeWins, MetricNames.hedgeLosersCancelled, MetricNames.hedgeBudgetExhausted, MetricNames.adaptiveLimit, MetricNames.adaptiveInFlight, MetricNames.adaptiveQueued, MetricNames.adaptiveLimitChanges]) {
      expect(text).toMatch(new RegExp(`^${name}\\{`, 'm'));
    }
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('prom-client serves the new families too', async () => {
    const { Registry } = await import('prom-client');
    const clock = new VirtualClock();
    const read = await hedgedReads(clock);
    const m = (read as unknown as { metrics: ReturnType<typeof createMetrics> }).metrics;
    const registry = new Registry();
    registerPromClient(m, registry as never);
    const text = await registry.metrics();
    expect(text).toContain('resilience_hedge_wins_total{pipeline="leaderboard",policy="leaderboard.hedge",operation="leaderboard.top",attempt="2"} 2');
  });
});
