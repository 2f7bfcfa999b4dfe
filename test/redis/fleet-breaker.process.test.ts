/**
 * The acceptance tests of the fleet-aware breaker, across processes on a real
 * redis-server: four game-server-like child processes (test/support/fleet-breaker-worker.ts;
 * two on ioredis, two on node-redis), each with its own client, coordinator and breaker
 * fleet. Each test makes its own breaker (a fresh name) in every worker:
 *
 * - a breaker opened on one instance (quorum 1) rejects on the other three within 1 s;
 * - with quorum 2 one sick instance opens only itself;
 * - one probe at a time across the fleet; the prober dies → its lease expires → another probes;
 * - redis-server killed → the local breakers keep working, `fleet-degraded`; restarted → resync.
 *
 * The workers start once for the file (a process start is the slow part); every wait is
 * bounded; the workers and the server are stopped after the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFleetWorker, FleetWorker, stopAllFleetWorkers, type FleetBreakerConfig } from '../support/fleet-breaker-driver';
import { useRedisServer } from '../support/redis-server';

const redis = useRedisServer({ beforeAll, afterAll });
let bundle: { file: string; remove(): void } | undefined;
let workers: FleetWorker[] = [];
beforeAll(async () => {
  bundle = await bundleFleetWorker();
  const clients = ['ioredis', 'node-redis', 'ioredis', 'node-redis'] as const;
  workers = ['a', 'b', 'c', 'd'].map((id, i) => new FleetWorker(bundle?.file ?? '', { port: redis().port, id, client: clients[i] ?? 'ioredis', heartbeat: 100 }));
  await Promise.all(workers.map((w) => w.started()));
}, 40_000);
afterAll(async () => {
  await stopAllFleetWorkers();
  bundle?.remove();
});

let run = 0;
/** Makes breaker `gateway-<n>` with `config` in every live worker; resolves once each has the fleet's picture. */
async function breakerInAll(config: FleetBreakerConfig): Promise<{ name: string; live: FleetWorker[] }> {
  const name = `gateway-${run++}`;
  const live = workers.filter((w) => w.alive);
  await Promise.all(live.map((w) => w.request('join', name, config)));
  await Promise.all(live.map((w) => w.event(name, (e) => e.event === 'fleet-synced', 5_000, 'fleet-synced')));
  return { name, live };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pick = (ws: readonly FleetWorker[], i: number): FleetWorker => {
  const w = ws[i];
  if (w === undefined) throw new Error(`no worker #${i}`);
  return w;
};

describe('fleet-aware breaker across processes (real redis-server)', () => {
  it('quorum 1: a breaker opened on one instance rejects on the other three within 1 s (ioredis and node-redis)', async () => {
    const { name, live } = await breakerInAll({ quorum: 1, threshold: 2 });
    const a = pick(live, 0);
    expect((await a.request('fail', name, { n: 2 }))['results']).toEqual(['failed', 'failed']);
    const opened = await a.event(name, (e) => e.event === 'opened', 2_000, 'opened');
    expect(opened['reason']).toBe('failures');
    for (const w of live.slice(1)) {
      const e = await w.event(name, (x) => x.event === 'opened', 2_000, 'opened by the fleet');
      expect(e['reason']).toBe('fleet');
      expect((e.at as number) - (opened.at as number)).toBeLessThanOrEqual(1_000);
      expect((await w.request('call', name))['result']).toBe('rejected:open');
    }
  }, 15_000);

  it('quorum 2: one sick instance opens only itself; a second one opens the rest', async () => {
    const { name, live } = await breakerInAll({ quorum: 2, threshold: 2 });
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => pick(live, i)) as [FleetWorker, FleetWorker, FleetWorker, FleetWorker];
    await a.request('fail', name, { n: 2 });
    await a.event(name, (e) => e.event === 'opened', 2_000, 'opened');
    await sleep(500); // 5 heartbeats: every instance has read a's report
    for (const w of [b, c, d]) {
      expect((await w.request('call', name))['result']).toBe('ok');
      expect((await w.request('state', name))['fleet']).toMatchObject({ instances: 4, open: 1, required: 2, openedByFleet: false });
    }
    await b.request('fail', name, { n: 2 });
    const second = await b.event(name, (e) => e.event === 'opened', 2_000, 'opened');
    for (const w of [c, d]) {
      const e = await w.event(name, (x) => x.event === 'opened', 2_000, 'opened by the fleet');
      expect(e['reason']).toBe('fleet');
      expect((e.at as number) - (second.at as number)).toBeLessThanOrEqual(1_000);
    }
    expect(a.transitions(name)).toEqual(['opened:failures']);
  }, 15_000);

  it('one probe at a time across the fleet; the prober dies, its lease expires and another instance probes', async () => {
    const probeTimeout = 1_200;
    const { name, live } = await breakerInAll({ quorum: 1, threshold: 2, recovery: 300, probeTimeout });
    await pick(live, 0).request('fail', name, { n: 2 });
    await Promise.all(live.map((w) => w.event(name, (e) => e.event === 'opened', 2_000, 'opened')));
    await sleep(300);
    // Every instance keeps offering probes; exactly one is let through while its probe runs
    // (a probe hung for probeTimeout loses its permit and its lease: then another may probe).
    const admitted = new Set<FleetWorker>();
    let firstAt = Number.POSITIVE_INFINITY;
    const start = Date.now();
    while (Date.now() - firstAt < probeTimeout - 500 && Date.now() - start < 3_000) {
      const answers = await Promise.all(live.map(async (w) => [w, await w.request('probe', name)] as const));
      for (const [w, r] of answers) {
        if (r['admitted'] !== true) continue;
        admitted.add(w);
        firstAt = Math.min(firstAt, Date.now());
      }
      await sleep(50);
    }
    expect(admitted.size).toBe(1);
    const prober = pick([...admitted], 0);
    await prober.kill(); // dies mid-probe: never releases the lease
    const killedAt = Date.now();
    const rest = live.filter((w) => w !== prober);
    let second: FleetWorker | undefined;
    while (second === undefined && Date.now() - killedAt < 4_000) {
      for (const w of rest) {
        if ((await w.request('probe', name))['admitted'] === true) {
          second = w;
          break;
        }
      }
      await sleep(50);
    }
    if (second === undefined) throw new Error('no instance probed after the prober died');
    const waited = Date.now() - killedAt;
    expect(waited).toBeGreaterThan(100); // the lease outlived its holder for a while…
    expect(waited).toBeLessThan(probeTimeout + 1_000 + 500); // …and expired: ≤ probeTimeout + one lease retry interval
    await second.request('finish', name, { outcome: 'ok' });
    for (const w of rest) {
      const closed = await w.event(name, (e) => e.event === 'closed', 2_000, 'closed');
      expect(closed['reason']).toBe(w === second ? 'probes-succeeded' : 'fleet');
      expect((await w.request('call', name))['result']).toBe('ok');
    }
  }, 20_000);

  it('redis-server killed: the local breakers keep working with fleet-degraded; restarted: they resync', async () => {
    const { name, live } = await breakerInAll({ quorum: 1, threshold: 2 });
    expect(live.length).toBeGreaterThanOrEqual(3);
    const [a, ...others] = live as [FleetWorker, ...FleetWorker[]];
    await redis().kill();
    const killedAt = Date.now();
    for (const w of live) {
      const e = await w.event(name, (x) => x.event === 'fleet-degraded', 3_000, 'fleet-degraded');
      expect((e.at as number) - killedAt).toBeLessThan(1_000);
    }
    for (const w of others) expect((await w.request('call', name, {}, 1_000))['result']).toBe('ok');
    // Alone, a's breaker opens by its own calls and nobody else hears of it.
    expect((await a.request('fail', name, { n: 2 }, 1_000))['results']).toEqual(['failed', 'failed']);
    expect((await a.request('call', name, {}, 1_000))['result']).toBe('rejected:open');
    for (const w of others) expect((await w.request('call', name, {}, 1_000))['result']).toBe('ok');
    await redis().restart();
    for (const w of live) {
      const e = await w.event(name, (x) => x.event === 'fleet-synced' && x['restored'] === true, 5_000, 'fleet-synced after the restart');
      expect(e['restored']).toBe(true);
    }
    // The restarted server knew nothing: a's heartbeat wrote its report again and the others follow it.
    for (const w of others) {
      const e = await w.event(name, (x) => x.event === 'opened', 3_000, 'opened by the fleet after the resync');
      expect(e['reason']).toBe('fleet');
      expect((await w.request('call', name))['result']).toBe('rejected:open');
    }
  }, 20_000);
});
