/**
 * The game server's latency-aware policies on the VirtualClock: leaderboard reads of the
 * database are hedged (a query slower than the recent 95th percentile gets a second copy,
 * the first answer wins, the other is cancelled), and the database sits behind an adaptive
 * concurrency limit that sheds what it cannot take instead of queueing it.
 */
import { describe, expect, it } from 'vitest';
import { isConcurrencyLimitedError } from '../../src/adaptive-concurrency/index';
import { createChaosController } from '../../src/chaos/index';
import type { ExecutionContext } from '../../src/core/context';
import { seededRandom } from '../../src/testing/seeded-random';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { createDependencies, networkDelay } from './dependencies';
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
