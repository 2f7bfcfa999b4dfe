import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random';
import { VirtualClock } from '../testing/virtual-clock';
import * as catalog from './catalog';
import { FaultPolicy, isInjectedFault } from './fault-policy';
import { LatencyInjectionPolicy } from './call-faults';
import { createChaosController } from './guards';
import * as publicEntry from './index';

function setup(): { clock: VirtualClock; controller: ReturnType<typeof createChaosController> } {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  return { clock, controller };
}

const bulkhead = { occupy: (permits: number) => ({ held: permits, release: () => {} }) };

function create(factory: string, options: Record<string, unknown>): FaultPolicy {
  const extra = factory === 'resourceExhaustion' ? { bulkhead, permits: 2 } : {};
  const fn = (catalog as unknown as Record<string, (o: unknown) => FaultPolicy>)[factory];
  if (typeof fn !== 'function') throw new Error(`no factory ${factory}`);
  return fn({ ...options, ...extra });
}

async function failureOf(f: FaultPolicy): Promise<unknown> {
  return f.execute(() => 'real').then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('scenario catalog', () => {
  it('every listed scenario has an exported factory that builds a fault of the listed kind, named by its id', () => {
    const { clock, controller } = setup();
    const ids = new Set<string>();
    for (const s of catalog.scenarioCatalog) {
      ids.add(s.id);
      const f = create(s.factory, { clock, controller });
      expect(f).toBeInstanceOf(FaultPolicy);
      expect(f.faultKind).toBe(s.faultKind);
      expect(f.name).toBe(s.id);
      expect(typeof (publicEntry as Record<string, unknown>)[s.factory]).toBe('function');
    }
    expect(ids.size).toBe(catalog.scenarioCatalog.length);
    expect(ids.size).toBe(21);
  });

  it('every scenario can be built off (enabled: false) and stays off when armed until enable()', async () => {
    const { clock, controller } = setup(); // already armed
    for (const s of catalog.scenarioCatalog) {
      const f = create(s.factory, { clock, controller, enabled: false });
      expect(f.isEnabled).toBe(false);
      await expect(f.execute(() => 'real')).resolves.toBe('real');
      expect(f.injections).toBe(0);
      f.enable();
      expect(f.isEnabled).toBe(true);
    }
  });

  it('takes the common options (name, rate, target…)', async () => {
    const { clock, controller } = setup();
    const f = catalog.paymentGatewayDown({ clock, controller, name: 'pg', target: { operations: ['payment.*'] } });
    expect(f.name).toBe('pg');
    await expect(f.execute(() => 'real', { operation: 'shop.list' })).resolves.toBe('real');
    await expect(f.execute(() => 'real', { operation: 'payment.charge' })).rejects.toMatchObject({ status: 503 });
    expect(() => catalog.paymentGatewayDown({ rate: 3 })).toThrow(/rate/);
  });

  it('connection-refused scenarios throw Node-like ECONNREFUSED errors, marked as injected', async () => {
    const { clock, controller } = setup();
    const db = await failureOf(catalog.databaseConnectionRefused({ clock, controller }));
    expect(db).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', port: 5432, message: 'connect ECONNREFUSED 10.0.0.20:5432' });
    expect(isInjectedFault(db)).toBe(true);
    const redis = await failureOf(catalog.redisConnectionRefused({ clock, controller, host: '127.0.0.1', port: 7000 }));
    expect((redis as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:7000');
    expect(await failureOf(catalog.dependencyUnreachable({ clock, controller }))).toMatchObject({ code: 'ECONNREFUSED', port: 443 });
  });

  it('error scenarios throw what the dependency would', async () => {
    const { clock, controller } = setup();
    const o = { clock, controller };
    expect(await failureOf(catalog.redisOutOfMemory(o))).toMatchObject({ name: 'ReplyError', code: 'OOM', message: expect.stringMatching(/^OOM command not allowed/) });
    expect(await failureOf(catalog.gameServerFailure(o))).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    expect(await failureOf(catalog.cdnEdgeFailure(o))).toMatchObject({ code: 'ECONNRESET' });
    expect(await failureOf(catalog.dataStoreFailure(o))).toMatchObject({ code: 'ETIMEDOUT' });
    const mm = await failureOf(catalog.matchmakingFailure(o));
    expect(mm).toBeInstanceOf(catalog.SimulatedHttpError);
    expect(mm).toMatchObject({ status: 503, code: 'HTTP_503' });
    expect(await failureOf(catalog.socialLoginDown(o))).toMatchObject({ status: 503 });
    expect(await failureOf(catalog.socialLoginSyncFailure(o))).toMatchObject({ status: 502 });
    // A fresh error per call.
    const f = catalog.paymentGatewayDown(o);
    expect(await failureOf(f)).not.toBe(await failureOf(f));
  });

  it('outcome scenarios return fake answers', async () => {
    const { clock, controller } = setup();
    const o = { clock, controller };
    await expect(catalog.redisKeyExpiry(o).execute(() => 'cached')).resolves.toBeNull();
    await expect(catalog.redisKeyExpiry({ ...o, missValue: undefined }).execute(() => 'cached')).resolves.toBeUndefined();
    await expect(catalog.socialLoginTokenExpired(o).execute(() => 'ok')).resolves.toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    await expect(catalog.cdnLoadFailure(o).execute(() => 'ok')).resolves.toMatchObject({ ok: false, status: 503 });
    await expect(catalog.cdnLoadFailure({ ...o, response: { ok: false, status: 404, statusText: 'Not Found' } }).execute(() => 'ok')).resolves.toMatchObject({ status: 404 });
  });

  it('slow scenarios are lognormal with the documented median, and hang scenarios hang', async () => {
    const { clock, controller } = setup();
    const slow = catalog.databaseSlowQueries({ clock, controller, random: seededRandom(1) });
    expect(slow).toBeInstanceOf(LatencyInjectionPolicy);
    expect(slow.describe().options['latency']).toMatchObject({ kind: 'lognormal', median: expect.closeTo(200, 6), p99: expect.closeTo(3_000, 6), max: 30_000 });
    expect(catalog.paymentGatewaySlow({ median: 50, p99: 100 }).describe().options['latency']).toMatchObject({ median: expect.closeTo(50, 6) });
    const ac = new AbortController();
    const p = catalog.networkPartition({ clock, controller }).execute(() => 'real', { signal: ac.signal });
    await clock.advance(60_000);
    ac.abort(new Error('timeout'));
    await expect(p).rejects.toThrow('timeout');
  });

  it('the error spike flaps: 502s at half the calls during a spike, none in between', async () => {
    const { clock, controller } = setup();
    const f = catalog.paymentGatewayErrorSpike({ clock, controller, random: seededRandom(5), spikeDuration: 1_000, quietDuration: 4_000 });
    let spikeErrors = 0;
    for (let i = 0; i < 100; i++) if ((await failureOf(f)) !== undefined) spikeErrors++;
    expect(spikeErrors).toBeGreaterThan(30);
    expect(spikeErrors).toBeLessThan(70);
    await clock.advance(1_000);
    for (let i = 0; i < 50; i++) expect(await failureOf(f)).toBeUndefined();
    await clock.advance(4_000);
    expect(await failureOf(catalog.paymentGatewayErrorSpike({ clock, controller, rate: 1 }))).toMatchObject({ status: 502 });
  });

  it('resource exhaustion holds the permits asked for (10 s by default)', async () => {
    const { clock, controller } = setup();
    const log: string[] = [];
    const bh = { occupy: (n: number) => (log.push(`occupy ${n}`), { held: n, release: () => log.push('release') }) };
    const f = catalog.resourceExhaustion({ clock, controller, bulkhead: bh, permits: 3 });
    await f.execute(() => 1);
    await clock.advance(9_999);
    expect(log).toEqual(['occupy 3']);
    await clock.advance(1);
    expect(log).toEqual(['occupy 3', 'release']);
  });

  it('docs/chaos.md lists every scenario of the catalog', () => {
    const page = readFileSync(resolve(__dirname, '../../docs/chaos.md'), 'utf8');
    for (const s of catalog.scenarioCatalog) expect(page).toContain(`| \`${s.factory}(`);
  });
});
