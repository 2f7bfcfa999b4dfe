/**
 * The game server's latency-aware policies on the VirtualClock: leaderboard reads of the
 * database are hedged (a query slower than the recent 95th percentile gets a second copy,
 * the first answer wins, the other is cancelled), and the database sits behind an adaptive
 * concurrency limit that sheds what it cannot take instead of queueing it. Also the pieces
 * of the drill's two latency experiments: the live read with and without the hedge, the
 * database's capacity and the fault that lowers it, and the p99 trail of a load.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isConcurrencyLimitedError } from '../../src/adaptive-concurrency/index';
import { createChaosController, distributions } from '../../src/chaos/index';
import type { ExecutionContext } from '../../src/core/context';
import { seededRandom } from '../../src/testing/seeded-random';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { createDependencies, DatabaseSim, networkDelay } from './dependencies';
import { DatabaseCapacityDrop, LatencyTrail } from './latency-experiments';
import { createResilience } from './resilience';

function setup(): { clock: VirtualClock; resilience: ReturnType<typeof createResilience> } {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  const deps = createDependencies({ clock, random: seededRandom(7) });
  return { clock, resilience: createResilience(deps, { clock, random: seededRandom(7), controller }) };
}

describe('game server: hedged leaderboard reads and the adaptive database limit', () => {
  it('hedges a database read slower than the recent p95: the copy answers, the slow one is cancelled', async () => {
    const { clock, resilience } = setup();
    const db = resilience.pipelines.database;
    // Warm the latency window: 40 reads of 10 ms.
    for (let i = 0; i < 40; i++) {
      const read = db.execute((ctx) => networkDelay(clock, 10, ctx.signal).then(() => 'rows'), { operation: 'db.top-scores' });
      await clock.runAll();
      await expect(read).resolves.toBe('rows');
    }
    // A read whose first query would take 140 ms (a slow replica, a lock), the copy 10 ms.
    const seen: { attempt: number; signal: AbortSignal }[] = [];
    const start = clock.now();
    let end = 0;
    const slow = db
      .execute(
        async (ctx: ExecutionContext) => {
          seen.push({ attempt: ctx.attempt, signal: ctx.signal });
          await networkDelay(clock, ctx.attempt === 1 ? 140 : 10, ctx.signal);
          return `rows from attempt ${ctx.attempt}`;
        },
        { operation: 'db.top-scores' },
      )
      .finally(() => (end = clock.now()));
    await clock.runAll();
    await expect(slow).resolves.toBe('rows from attempt 2');
    expect(end - start).toBeLessThan(40); // hedge at the p95 (10 ms, the floor) + 10 ms, not 140 ms
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
    expect(seen[0]?.signal.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('sheds database calls over the adaptive limit and its queue at once, and keeps the limit within its bounds', async () => {
    const { clock, resilience } = setup();
    const limit = resilience.databaseLimit;
    expect(limit).toBeDefined();
    if (limit === undefined) return;
    expect(limit).toMatchObject({ name: 'database-limit', limit: 8, minLimit: 2, maxLimit: 64 });
    // 40 reads at once: 8 run, 16 wait, the rest are refused without waiting.
    const reads = Array.from({ length: 40 }, () =>
      resilience.pipelines.database.execute((ctx) => networkDelay(clock, 20, ctx.signal).then(() => 'rows'), { operation: 'db.top-scores' }).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    await Promise.resolve();
    expect(limit.inFlight).toBe(8);
    expect(limit.queued).toBe(16);
    await clock.runAll();
    const results = await Promise.all(reads);
    const refused = results.filter((r) => isConcurrencyLimitedError(r));
    expect(refused).toHaveLength(16);
    expect(results.filter((r) => r === 'rows')).toHaveLength(24);
    expect(limit.limit).toBeGreaterThanOrEqual(2);
    expect(limit.limit).toBeLessThanOrEqual(64);
    expect(limit.inFlight).toBe(0);
    // The limit's refusals are load shed, not database failures: the breaker stays closed.
    expect(resilience.breakers.find((b) => b.name === 'database')?.state).toBe('closed');
  });

  it('pass-through mode has neither', () => {
    const clock = new VirtualClock();
    const resilience = createResilience(createDependencies({ clock }), { clock, mode: 'pass-through', controller: createChaosController({ env: {}, clock }) });
    expect(resilience.databaseLimit).toBeUndefined();
  });
});

describe('the drill\'s latency experiments, piece by piece', () => {
  /** A read whose first attempt takes `first` ms and any other 10 ms; resolves with the attempt that answered and when. */
  async function read(clock: VirtualClock, policy: { execute: (fn: (ctx: ExecutionContext) => Promise<string>, o: object) => Promise<string> }, first: number) {
    const start = clock.now();
    const p = policy.execute((ctx) => networkDelay(clock, ctx.attempt === 1 ? first : 10, ctx.signal).then(() => `attempt ${ctx.attempt}`), { operation: 'db.live-scores' });
    p.catch(() => undefined); // awaited below, once the clock has run
    await clock.runAll();
    return { answer: await p, took: clock.now() - start };
  }

  it('the live read is hedged and given 1.5 s; the unhedged one waits for the slow query; neither is shed by the adaptive limit', async () => {
    const { clock, resilience } = setup();
    const { liveLeaderboard, liveLeaderboardUnhedged } = resilience.pipelines;
    for (let i = 0; i < 40; i++) await read(clock, liveLeaderboard, 10); // warm the hedge's latency window
    expect(await read(clock, liveLeaderboard, 1_000)).toMatchObject({ answer: 'attempt 2' }); // the copy answered…
    expect((await read(clock, liveLeaderboard, 1_000)).took).toBeLessThan(40); // …at the p95 (10 ms) + 10 ms
    expect(await read(clock, liveLeaderboardUnhedged, 1_000)).toEqual({ answer: 'attempt 1', took: 1_000 }); // no copy: the tail itself
    await expect(read(clock, liveLeaderboardUnhedged, 1_600)).rejects.toMatchObject({ name: 'TimeoutError' }); // past the 1.5 s budget
    // Neither goes through the database's adaptive limit: 40 live reads at once all run (the
    // cache-miss path would admit 8, queue 16 and shed the rest).
    const limit = resilience.databaseLimit;
    const many = [liveLeaderboard, liveLeaderboardUnhedged].flatMap((p) => Array.from({ length: 20 }, () => p.execute((ctx) => networkDelay(clock, 20, ctx.signal).then(() => 'rows'), { operation: 'db.live-scores' })));
    await Promise.resolve();
    expect(limit?.inFlight).toBe(0);
    await clock.runAll();
    expect(await Promise.all(many)).toEqual(many.map(() => 'rows'));
    expect(clock.pending).toBe(0);
  });

  it('a query is slower in proportion past the database\'s capacity: latency × max(1, running / capacity)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 24 }), async (capacity, n) => {
        const clock = new VirtualClock();
        const db = new DatabaseSim({ clock, latency: distributions.fixed(10), failureRate: 0, poolSize: 32, capacity });
        const ends: number[] = [];
        const all = Array.from({ length: n }, (_, i) => db.topScores('eu', 1).then(() => (ends[i] = clock.now())));
        await clock.runAll();
        await Promise.all(all);
        // The i-th query (1-based) started with i running.
        expect(ends).toEqual(Array.from({ length: n }, (_, i) => 10 * Math.max(1, (i + 1) / capacity)));
        expect(db.running).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('the capacity-drop fault lowers the capacity only while on and chaos is active, counts the queries it slowed, and restores it', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    const db = new DatabaseSim({ clock, latency: distributions.fixed(10), failureRate: 0 });
    const drop = new DatabaseCapacityDrop(db, 2, controller);
    const fourAtOnce = async (): Promise<number> => {
      const start = clock.now();
      const all = Promise.all([1, 2, 3, 4].map(() => db.topScores('eu', 1)));
      await clock.runAll();
      await all;
      return clock.now() - start;
    };
    expect(db.capacity).toBe(8);
    expect(await fourAtOnce()).toBe(10);
    drop.enable();
    expect(drop.capacity).toBe(8); // chaos not armed: nothing changes
    expect(await fourAtOnce()).toBe(10);
    expect(drop.injections).toBe(0);
    controller.arm({ environment: 'test' });
    expect(drop.capacity).toBe(2);
    expect(await fourAtOnce()).toBe(20); // the 4th query ran with 4 running: 10 × 4 / 2
    expect(drop.injections).toBe(4);
    controller.halt('kill switch');
    expect(drop.capacity).toBe(8);
    expect(await fourAtOnce()).toBe(10);
    drop.disable();
    expect(db.capacityDrop).toBeUndefined();
  });

  it('the load\'s p99 trail: nearest rank over the calls that ended in the last span, and over the calls made while the fault was on', async () => {
    const clock = new VirtualClock();
    const trail = new LatencyTrail(1_000, clock);
    const call = (ms: number, faultOn: boolean) => trail.time(faultOn, () => networkDelay(clock, ms));
    expect(trail.p99()).toBeNull();
    const first = Promise.all(Array.from({ length: 99 }, () => call(10, false)).concat(call(900, true)));
    await clock.runAll();
    await first;
    expect(trail.p99()).toBe(10); // 100 calls: the 99th of them, sorted
    expect(trail.p99UnderFault()).toBe(900);
    const second = Promise.all([call(20, false), call(30, true)]);
    await clock.runAll();
    await second;
    expect(trail.p99()).toBe(30); // 102 calls ended within the last second: the 101st of them, sorted
    await clock.advance(990);
    expect(trail.p99()).toBe(30); // only the last two (ended at 920 and 930) within the last second
    await clock.advance(100);
    expect(trail.p99()).toBeNull();
    expect(trail.p99UnderFault()).toBe(900);
    expect(trail.underFault).toEqual([900, 30]);
  });
});

