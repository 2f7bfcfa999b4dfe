/**
 * The code of docs/adaptive-concurrency.md: each block between `--8<--` markers is copied
 * verbatim into the page (test/docs.test.ts checks it), and the tests below run it against
 * fakes, so the page's examples both type-check and work.
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../circuit-breaker';
import type { ExecutionContext } from '../core/context';
import { isExecutionRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { retry } from '../retry';
import { timeout } from '../timeout';
import { adaptiveConcurrency, AdaptiveConcurrencyEvents, isConcurrencyLimitedError } from './index';

interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}

/** A fake database pool: a query waits until the test answers it. */
const waiting: (() => void)[] = [];
const pool = {
  query: (sql: string, params: readonly unknown[], _options: { signal: AbortSignal }): Promise<unknown[]> =>
    new Promise((resolve) => waiting.push(() => resolve([sql, ...params]))),
};
const answerAll = (): void => {
  for (const answer of waiting.splice(0)) answer();
};
const gauges = new Map<string, number>();
const counts: string[] = [];
const metrics = {
  gauge: (name: string, value: number): void => void gauges.set(name, value),
  count: (name: string, tags: Record<string, string>): void => void counts.push(`${name} ${JSON.stringify(tags)}`),
};
const log = { info: (line: string): void => void counts.push(line) };

function recordingReply(): Reply & { readonly sent: unknown[]; readonly code: number[] } {
  const sent: unknown[] = [];
  const code: number[] = [];
  const reply = {
    sent,
    code,
    status: (c: number) => (code.push(c), reply),
    header: () => reply,
    send: (body: unknown) => void sent.push(body),
  };
  return reply;
}

// --8<-- [start:basic]
const db = adaptiveConcurrency({
  name: 'db',
  initialLimit: 20, // a first guess: the limit moves from here
  minLimit: 2,
  maxLimit: 200,
});

export async function loadProfile(playerId: string, reply: Reply): Promise<void> {
  try {
    const rows = await db.execute((ctx) => pool.query('select * from profiles where id = $1', [playerId], { signal: ctx.signal }));
    reply.send(rows);
  } catch (error) {
    if (isConcurrencyLimitedError(error)) {
      // The database is at its measured limit: shed this call rather than queue it there.
      reply.status(503).header('Retry-After', '1').send({ error: `busy (limit ${error.limit})` });
      return;
    }
    throw error;
  }
}
// --8<-- [end:basic]

// --8<-- [start:sizing]
// Little's law: calls in flight = throughput × latency. Start from what you believe, and
// bound the limit where a wrong measurement could hurt.
const peakQueries = 2_000; // per second, at the evening peak
const healthyLatency = 0.012; // seconds per query with no queueing
const believed = Math.ceil(peakQueries * healthyLatency); // 24 queries in flight
const sized = adaptiveConcurrency({
  name: 'db',
  initialLimit: believed,
  minLimit: 4, // never shed everything because of a latency blip
  maxLimit: 100, // the pool has 100 connections: more in flight would only queue in it
  maxQueue: believed, // absorb a burst of one round trip's worth of queries…
  queueTimeout: 50, // …that waits at most 50 ms
});
// --8<-- [end:sizing]

// --8<-- [start:algorithms]
// Delay-based, the default: keeps latency near 1.5 × the no-load latency.
const profiles = adaptiveConcurrency({ initialLimit: 20, minLimit: 2, maxLimit: 200 });

// Vegas: keeps fewer calls queued in the dependency (lower latency, a little less throughput).
const leaderboard = adaptiveConcurrency({
  algorithm: { kind: 'vegas', alpha: 3, beta: 6 },
  initialLimit: 20,
  minLimit: 2,
  maxLimit: 200,
});

// AIMD: loss-based, for a dependency that says it is overloaded (errors, 429/503, timeouts)
// rather than slowing down; a call slower than 800 ms counts as a loss too.
const paymentGateway = adaptiveConcurrency<{ status: number }>({
  algorithm: { kind: 'aimd', backoffRatio: 0.75, latencyThreshold: 800 },
  initialLimit: 10,
  minLimit: 1,
  maxLimit: 64,
  handleResult: (res) => res.status === 429 || res.status === 503,
});
// --8<-- [end:algorithms]

// --8<-- [start:pipeline]
const guardedDb = pipeline(
  retry({ maxAttempts: 2, delay: 50 }), // a shed call is not retried: it is an execution rejection
  circuitBreaker({
    name: 'db',
    failureThreshold: 10,
    recoveryTimeout: 10_000,
    handle: (e) => !isExecutionRejectedError(e), // shedding is the limit working, not the database failing
  }),
  adaptiveConcurrency({ name: 'db-limit', initialLimit: 20, minLimit: 2, maxLimit: 200, maxQueue: 50, queueTimeout: 100 }),
  timeout(1_000), // inside: a hung query becomes a slow, failed sample, not a slot held forever
);

export function topScores(season: string): Promise<unknown[]> {
  return guardedDb.execute((ctx) => pool.query('select * from scores where season = $1 limit 100', [season], { signal: ctx.signal }));
}
// --8<-- [end:pipeline]

// --8<-- [start:observe]
db.on(AdaptiveConcurrencyEvents.limitChanged, (e) => {
  metrics.gauge('db_concurrency_limit', e.limit);
  log.info(`${e.policy}: limit ${e.previous} → ${e.limit} (latency ${e.latency.toFixed(1)} ms, no-load ${e.noLoadLatency.toFixed(1)} ms)`);
});
db.on(AdaptiveConcurrencyEvents.rejected, (e) => metrics.count('db_shed_total', { reason: e.reason }));

export function report(): void {
  const { limit, inFlight, queued, noLoadLatency } = db.stats;
  metrics.gauge('db_in_flight', inFlight);
  metrics.gauge('db_utilization', inFlight / limit);
  metrics.gauge('db_queued', queued);
  metrics.gauge('db_no_load_latency_ms', noLoadLatency);
}
// --8<-- [end:observe]

// --8<-- [start:partitioned]
// One database per region: each region's limit is learned from its own latency.
const regions = adaptiveConcurrency.partitioned({
  name: 'regional-db',
  key: (ctx: ExecutionContext) => ctx.labels['region'] ?? 'eu',
  initialLimit: 16,
  minLimit: 2,
  maxLimit: 128,
  maxPartitions: 8, // regions are a fixed set: anything else is a bug
});

export function savePlayer(region: string, player: { id: string }): Promise<unknown[]> {
  return regions.execute((ctx) => pool.query('update players set data = $2 where id = $1', [player.id, player], { signal: ctx.signal }), {
    labels: { region },
  });
}
// --8<-- [end:partitioned]

describe('docs/adaptive-concurrency.md examples', () => {
  it('basic: answers while under the limit, 503 once the limit is reached', async () => {
    const replies = Array.from({ length: 21 }, () => recordingReply());
    const calls = replies.map((reply, i) => loadProfile(`p${i}`, reply));
    await Promise.resolve();
    await calls[20];
    expect(replies[20]?.code).toEqual([503]);
    expect(replies[20]?.sent).toEqual([{ error: 'busy (limit 20)' }]);
    answerAll();
    await Promise.all(calls);
    expect(replies[0]?.sent).toEqual([['select * from profiles where id = $1', 'p0']]);
  });

  it('sizing, algorithms, partitioned: the policies are what the page says', async () => {
    expect(believed).toBe(24);
    expect(sized.describe().options).toMatchObject({ initialLimit: 24, minLimit: 4, maxLimit: 100, maxQueue: 24, queueTimeout: 50 });
    expect([profiles.algorithm, leaderboard.algorithm, paymentGateway.algorithm]).toEqual(['gradient2', 'vegas', 'aimd']);
    const saved = savePlayer('us', { id: 'u1' });
    expect(regions.statsOf('us').inFlight).toBe(1);
    answerAll();
    expect(await saved).toEqual(['update players set data = $2 where id = $1', 'u1', { id: 'u1' }]);
    expect(regions.partitions).toBe(0);
  });

  it('pipeline: the query runs through retry, breaker, limit and timeout', async () => {
    const scores = topScores('s1');
    await Promise.resolve();
    answerAll();
    expect(await scores).toEqual(['select * from scores where season = $1 limit 100', 's1']);
  });

  it('observe: the stats feed the gauges', () => {
    report();
    expect(gauges.get('db_in_flight')).toBe(0);
    expect(gauges.get('db_utilization')).toBe(0);
  });
});
