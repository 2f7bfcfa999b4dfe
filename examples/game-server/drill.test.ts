/**
 * Smoke tests of the game-server example over real HTTP on 127.0.0.1: the routes, the
 * idempotency of purchases under retries and gateway outages, the per-player purchase
 * limit, the quick chaos drill, and one-scenario `--compare` runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createChaosController, type ChaosController, type ExperimentJournal } from '../../src/chaos/index';
import { GameClient } from './client';
import { runDrill } from './drill';
import { CAPACITY_GAUGES, LONG_TAIL_GAUGES, gaugeReadings } from './latency-experiments';
import { startGameServer, type GameServer } from './server';

const armed = (): ChaosController => {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' } });
  controller.arm({ environment: 'test' });
  return controller;
};

describe('game server', () => {
  let server: GameServer;
  let client: GameClient;
  let controller: ChaosController;

  beforeAll(async () => {
    controller = armed();
    server = await startGameServer({ controller, recoveryTimeout: 200, breakerWindow: 2_000 });
    client = new GameClient(server.url, { timeout: 5_000 });
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });
  afterEach(() => {
    for (const f of Object.values(server.resilience.faults)) f.disable();
  });

  it('listens on the loopback interface only, on an ephemeral port', () => {
    const address = server.server.address();
    expect(address).toMatchObject({ address: '127.0.0.1' });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('serves every route', async () => {
    const creds = server.dependencies.identity.signIn('routes-1');
    const login = await client.login('routes-1', creds.accessToken, creds.refreshToken);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ playerId: 'routes-1', fromCache: false });

    const match = await client.match('routes-1', 'eu');
    expect([200, 202]).toContain(match.status);
    expect(match.body).toMatchObject({ region: 'eu' });

    const board = await client.leaderboard('eu', 5);
    expect(board.status).toBe(200);
    expect((board.body as { rows: unknown[] }).rows).toHaveLength(5);
    const queries = server.dependencies.database.calls;
    const fresh = await client.leaderboard('eu', 5, true); // skips the board Redis now holds
    expect(fresh.body).toMatchObject({ region: 'eu', stale: false });
    expect(server.dependencies.database.calls).toBeGreaterThan(queries);
    const live = await client.liveLeaderboard('na', 3);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ region: 'na', live: true, hedged: true, rows: [{ rank: 1 }, { rank: 2 }, { rank: 3 }] });
    expect((await client.liveLeaderboard('na', 3, false)).body).toMatchObject({ live: true, hedged: false });
    expect((await client.send('GET', '/leaderboard/live?region=NA!')).status).toBe(400);

    const manifest = await client.manifest('ios');
    expect(manifest.status).toBe(200);
    expect(manifest.body).toMatchObject({ platform: 'ios' });

    const health = await client.healthz();
    expect(health.body).toMatchObject({ status: 'ok', mode: 'resilient', breakers: { 'payment-gateway': 'closed' } });

    const metrics = await client.metrics();
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.text).toMatch(/^resilience_calls_total\{pipeline="login",.*outcome="success"\} \d+$/m);
    expect(metrics.text).toMatch(/^resilience_circuit_state\{policy="payment-gateway",state="closed"\} 1$/m);

    expect((await client.send('GET', '/nope')).status).toBe(404);
    expect((await client.send('POST', '/shop/purchase', { playerId: 'p', sku: 'gems-100' })).status).toBe(400);
  });

  it('refreshes an expired token, and never lets a forged token in', async () => {
    const creds = server.dependencies.identity.signIn('auth-1');
    const other = server.dependencies.identity.signIn('auth-2');
    expect((await client.login('auth-1', creds.accessToken)).status).toBe(200);
    // A forged token for a player who just logged in: refused, with or without the fallback's cache.
    const forged = await client.login('auth-1', 'at_forged');
    expect(forged.status).toBe(401);
    expect(forged.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    // Someone else's valid token (or refresh token) does not log you in as them.
    expect((await client.login('auth-1', other.accessToken)).status).toBe(401);
    expect((await client.login('auth-1', 'at_forged', other.refreshToken)).status).toBe(401);
    expect((await client.login('auth-1', 'at_forged', 'rt_forged')).headers['www-authenticate']).toBe('Bearer error="invalid_grant"');

    // Every token check answers 401 invalid_token on the first attempt: the server
    // refreshes with the player's refresh token and hands the new access token back.
    const expired = server.resilience.faults.socialLoginTokenExpired;
    const verify = server.dependencies.identity;
    const original = verify.verify.bind(verify);
    let first = true;
    verify.verify = (token, options) => {
      if (first) {
        first = false;
        return Promise.resolve({ ok: false, status: 401, statusText: 'Unauthorized', body: { error: 'invalid_token' } });
      }
      return original(token, options);
    };
    try {
      const renewed = await client.login('auth-1', creds.accessToken, creds.refreshToken);
      expect(renewed.status).toBe(200);
      const token = (renewed.body as { accessToken?: string }).accessToken;
      expect(token).toMatch(/^at_/);
      expect(token).not.toBe(creds.accessToken);
      expect((await client.login('auth-1', token as string)).status).toBe(200);
    } finally {
      verify.verify = original;
    }
    expect(expired.injections).toBe(0);
  });

  it('accepts a recently verified token while the provider is down, and only that token', async () => {
    const creds = server.dependencies.identity.signIn('down-login-1');
    expect((await client.login('down-login-1', creds.accessToken)).body).toMatchObject({ fromCache: false });
    const verify = server.dependencies.identity;
    const original = verify.verify.bind(verify);
    verify.verify = () => Promise.resolve({ ok: false, status: 503, statusText: 'Service Unavailable' });
    try {
      expect((await client.login('down-login-1', creds.accessToken)).body).toMatchObject({ playerId: 'down-login-1', fromCache: true });
      expect((await client.login('down-login-1', 'at_never_seen')).status).toBe(503);
    } finally {
      verify.verify = original;
    }
  });

  it('charges once when a response is lost after the charge and the call is retried', async () => {
    const gateway = server.dependencies.payments;
    const callsBefore = gateway.calls;
    gateway.loseNextResponses(1); // the first attempt commits, then the connection resets
    const key = 'lost-response-0001';
    const first = await client.purchase('idem-1', 'gems-550', key);
    expect(first.status).toBe(200);
    expect(gateway.calls - callsBefore).toBe(2); // the retry happened…
    expect(gateway.ledger.filter((r) => r.idempotencyKey === key)).toHaveLength(1); // …and charged nothing more
    const receiptId = (first.body as { receiptId: string }).receiptId;

    // The client retries the whole HTTP request (a double tap, a flaky mobile link).
    const again = await Promise.all([1, 2, 3].map(() => client.purchase('idem-1', 'gems-550', key)));
    for (const a of again) expect(a.body).toMatchObject({ status: 'charged', receiptId });
    expect(gateway.chargesOf('idem-1')).toHaveLength(1);

    // The same key for another purchase is refused, not charged.
    expect((await client.purchase('idem-1', 'skin-neon', key)).status).toBe(422);
    expect(gateway.chargesOf('idem-1')).toHaveLength(1);
  });

  it('queues purchases while the gateway is down and charges each exactly once afterwards', async () => {
    const gateway = server.dependencies.payments;
    server.resilience.faults.paymentGatewayDown.enable();
    const keys = Array.from({ length: 12 }, (_, i) => `down-${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(keys.map((k, i) => client.purchase(`down-${i}`, 'season-pass', k)));
    expect(answers.map((a) => a.status)).toEqual(keys.map(() => 202));
    expect(server.resilience.faults.paymentGatewayDown.injections).toBeGreaterThan(0);
    expect(gateway.ledger.filter((r) => r.idempotencyKey.startsWith('down-'))).toHaveLength(0);

    server.resilience.faults.paymentGatewayDown.disable();
    const breaker = server.resilience.breakers.find((b) => b.name === 'payment-gateway');
    await vi.waitFor(() => expect(breaker?.state).not.toBe('open'), { timeout: 5_000, interval: 50 }); // the break passes
    expect(await server.shop.settlePending()).toBe(keys.length);
    expect(server.resilience.pendingCharges.size).toBe(0);
    const charged = gateway.ledger.filter((r) => r.idempotencyKey.startsWith('down-'));
    expect(charged.map((r) => r.idempotencyKey).sort()).toEqual(keys);

    // A client retrying with its key now gets the receipt, and nothing is charged twice.
    const retried = await Promise.all(keys.map((k, i) => client.purchase(`down-${i}`, 'season-pass', k)));
    expect(retried.map((a) => (a.body as { status: string }).status)).toEqual(keys.map(() => 'charged'));
    expect(gateway.ledger.filter((r) => r.idempotencyKey.startsWith('down-'))).toHaveLength(keys.length);
  });

  it('answers 429 with Retry-After to a player over the purchase limit, charges nothing for it, and serves the others', async () => {
    const gateway = server.dependencies.payments;
    // Eight purchases at once from one player: the burst (4) passes, the rest is refused.
    const keys = Array.from({ length: 8 }, (_, i) => `macro-key-${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(keys.map((k) => client.purchase('macro-1', 'gems-100', k)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.headers['retry-after']).toBe('1'); // ≤ 500 ms, in whole seconds
      const retryAfter = (a.body as { retryAfter: number }).retryAfter;
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(500);
    }
    expect(gateway.chargesOf('macro-1')).toHaveLength(4);
    // Another player at the same moment: unaffected.
    expect((await client.purchase('calm-1', 'gems-100', 'calm-key-0001')).status).toBe(200);
    // The refusals are counted per limiter and reason; the admissions too.
    const metrics = (await client.metrics()).text;
    expect(metrics).toMatch(/^resilience_call_rejections_total\{pipeline="purchase-limit",policy="purchases-per-player",operation="shop\.purchase",reason="rate-limited-rate"\} [4-9]\d*$/m);
    expect(metrics).toMatch(/^resilience_rate_limiter_admitted_total\{pipeline="payments",policy="payment-partner",operation="payment\.charge"\} \d+$/m);
    expect(metrics).toMatch(/^resilience_rate_limiter_queued\{policy="payment-partner"\} 0$/m);
  });

  it('serves the last known good leaderboard while the database pool is exhausted and Redis is down', async () => {
    expect((await client.leaderboard('na', 10)).status).toBe(200); // recorded as last known good
    server.resilience.faults.redisFlapping.enable();
    server.resilience.faults.databasePoolExhausted.enable();
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.leaderboard('na', 10)));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect((a.body as { rows: unknown[] }).rows).toHaveLength(10);
    }
    expect(answers.some((a) => (a.body as { stale: boolean }).stale)).toBe(true);
  });
});

describe('the chaos drill', () => {
  const sink = { write: () => true };
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'breakwater-drill-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the quick drill: nine experiments, verdicts, reports', { timeout: 90_000 }, async () => {
    const result = await runDrill({ quick: true, controller: armed(), reportsDir: dir, out: sink, progressStream: sink });
    const suite = result.resilient.suite;
    expect(suite.experiments.map((e) => e.journal.experiment)).toEqual([
      'payment-gateway-slow',
      'payment-gateway-down',
      'redis-flapping',
      'cdn-outage',
      'leaderboard-long-tail',
      'database-capacity-drop',
      'database-pool-exhausted',
      'social-login-token-expired',
      'shop-flood',
    ]);
    for (const { journal } of suite.experiments) {
      expect(journal.verdict, `${journal.experiment}: ${journal.reason}`).not.toMatch(/aborted|halted/);
      expect(Object.values(journal.injections).reduce((a, b) => a + b, 0), journal.experiment).toBeGreaterThan(0);
      // With the policies, players barely notice any of the nine troubles.
      expect(journal.summary.underFault.availability ?? 0, journal.experiment).toBeGreaterThanOrEqual(0.9);
    }
    expect(suite.verdicts.pass).toBeGreaterThanOrEqual(4);
    expect(suite.score).toBeGreaterThan(50);
    // Every accepted purchase was charged exactly once; none was charged behind an error.
    const payments = result.resilient.payments;
    expect(payments.accepted).toBeGreaterThan(0);
    expect(payments.lost).toBe(0);
    expect(payments.unacknowledgedAnswers).toEqual([]);
    expect(payments.unacknowledged).toBe(0);
    expect(payments.charged).toBe(payments.accepted);
    expect(payments.settledLater).toBeGreaterThan(0); // the gateway-down experiment queued some
    // The shop flood: the other players kept buying (at the steady-state threshold), the
    // flooders got 429s, and our partner limiter kept the gateway from throttling us.
    const flood = suite.experiments.find((e) => e.journal.experiment === 'shop-flood')?.journal;
    expect(flood?.verdict, flood?.reason).toBe('pass');
    expect(flood?.summary.underFault.availability ?? 0).toBeGreaterThanOrEqual(0.95);
    expect(result.resilient.flood.limited).toBeGreaterThan(result.resilient.flood.sent / 2);
    expect(result.resilient.partnerThrottled).toBe(0);

    // The long tail (#17): both reads' p99 are gauges in every window; under the fault the
    // hedged reads' p99 is at most half the unhedged reads' (about 150 ms against 1 s) in the
    // load's own records; the unhedged gauge shows the tail in the inject windows that end
    // 1.2 s or more after the fault went on (a 1 s read started under the fault has ended by then).
    const journal = (name: string): ExperimentJournal => {
      const j = suite.experiments.find((e) => e.journal.experiment === name)?.journal;
      if (j === undefined) throw new Error(`${name} did not run`);
      return j;
    };
    const tail = journal('leaderboard-long-tail');
    const drop = journal('database-capacity-drop');
    for (const [j, names] of [[tail, Object.values(LONG_TAIL_GAUGES)], [drop, Object.values(CAPACITY_GAUGES)]] as const) {
      expect(j.series.length, j.experiment).toBeGreaterThan(4);
      for (const p of j.series) expect(Object.keys(p.gauges ?? {}), j.experiment).toEqual([...names]);
    }
    const { hedged, unhedged } = result.resilient.latency;
    expect(hedged.underFault.length).toBeGreaterThan(50);
    expect(unhedged.underFault.length).toBeGreaterThan(50);
    expect(unhedged.p99UnderFault() ?? 0).toBeGreaterThan(800); // the tail is there without the hedge…
    expect((hedged.p99UnderFault() ?? Infinity) * 2).toBeLessThan(unhedged.p99UnderFault() ?? 0); // …and cut with it
    const settled = (name: string): number[] =>
      tail.series.filter((p) => p.phase === 'inject' && p.end >= (tail.faultsOnAt ?? 0) + 1_200).map((p) => p.gauges?.[name]).filter((v): v is number => typeof v === 'number');
    const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    expect(settled(LONG_TAIL_GAUGES.unhedged).length).toBeGreaterThanOrEqual(2);
    // The unhedged gauge shows the tail the fault adds. The hedged one is not compared with it:
    // a window's p99 over ~80 reads is nearly its slowest read, and a hedged read is still
    // slow when both of its attempts are (0.25 % of reads) or a stall delays the hedge, so in
    // the quick drill's two or three windows the two medians came out 928 ms against 1,088
    // and 943 ms against 927 in CI runs on a busy and on a quiet machine. The load's own
    // records above (hundreds of reads) are the comparison.
    expect(median(settled(LONG_TAIL_GAUGES.unhedged))).toBeGreaterThan(500);

    // The capacity drop (#17): the capacity gauge says 8, then 2, then 8 again; the adaptive
    // limit ends the baseline above its lowest value during the drop, and rises again after.
    expect(gaugeReadings(drop, CAPACITY_GAUGES.capacity, 'baseline').every((c) => c === 8)).toBe(true);
    expect(gaugeReadings(drop, CAPACITY_GAUGES.capacity, 'inject').every((c) => c === 2)).toBe(true);
    expect(gaugeReadings(drop, CAPACITY_GAUGES.capacity, 'recovery').at(-1)).toBe(8);
    const limitBefore = gaugeReadings(drop, CAPACITY_GAUGES.limit, 'baseline').at(-1) ?? 0;
    const limitLowest = Math.min(...gaugeReadings(drop, CAPACITY_GAUGES.limit, 'inject'));
    expect(limitLowest).toBeLessThan(limitBefore);
    expect(gaugeReadings(drop, CAPACITY_GAUGES.limit, 'recovery').at(-1) ?? 0).toBeGreaterThan(limitLowest);
    expect(result.resilient.latency.boards.staleUnderFault).toBeGreaterThan(0); // what the limit shed was answered stale

    // About 37 s on two busy cores (29 s before the two latency experiments).
    expect(result.duration).toBeLessThan(60_000);

    for (const ext of ['json', 'md', 'html']) expect(existsSync(join(dir, `chaos-report.${ext}`))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'chaos-report.json'), 'utf8'))).toStrictEqual(JSON.parse(JSON.stringify(suite))); // gauges included
    const html = readFileSync(join(dir, 'chaos-report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html.match(/data-chart="gauges"/g)).toHaveLength(2); // the two latency experiments
    expect(html).toContain('Gauges: database limit (orange), database capacity (blue)');
    expect(readFileSync(join(dir, 'chaos-report.md'), 'utf8')).toContain('| database limit |');
  });

  it('--compare shows what the policies buy (CDN outage)', { timeout: 30_000 }, async () => {
    const result = await runDrill({ quick: true, compare: true, only: ['cdn-outage'], controller: armed(), reportsDir: dir, out: sink, progressStream: sink });
    const withPolicies = result.resilient.suite.experiments[0]?.journal.summary.underFault.availability ?? 0;
    const without = result.passThrough?.suite.experiments[0]?.journal.summary.underFault.availability ?? 1;
    expect(withPolicies).toBeGreaterThanOrEqual(0.95);
    expect(without).toBeLessThan(0.5);
  });

  it('--compare shows what the rate limiters buy (shop flood)', { timeout: 30_000 }, async () => {
    const result = await runDrill({ quick: true, compare: true, only: ['shop-flood'], controller: armed(), reportsDir: dir, out: sink, progressStream: sink });
    const withPolicies = result.resilient.suite.experiments[0]?.journal;
    const without = result.passThrough?.suite.experiments[0]?.journal;
    expect(withPolicies?.verdict, withPolicies?.reason).toBe('pass');
    expect(withPolicies?.summary.underFault.availability ?? 0).toBeGreaterThanOrEqual(0.95);
    // Without the limits, the flood spends the partner's quota and the others get its 429s
    // (the steady state breaks while the flood lasts; it comes back once the flood stops).
    expect(without?.summary.underFault.availability ?? 1).toBeLessThan(0.95);
    expect(without?.reason).toMatch(/steady state back/);
    expect(result.passThrough?.partnerThrottled ?? 0).toBeGreaterThan(0);
    expect(result.resilient.partnerThrottled).toBe(0);
  });
});
