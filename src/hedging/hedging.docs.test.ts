/**
 * The examples of docs/hedging.md: every ts block of the page is copied from between the
 * `--8<--` markers below (test/docs.test.ts checks it), so the page's code type-checks, and
 * the tests at the end run it against in-memory fakes that answer at once.
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, pipeline, retryBudget, timeout, type ExecutionContext } from '../index';
import { VirtualClock } from '../testing/index';
import { hedgedActions, hedging } from './index';

interface Score {
  readonly player: string;
  readonly points: number;
}
interface Profile {
  readonly id: string;
  readonly region: string;
}
/** An in-memory leaderboard store that answers at once (the examples' dependency). */
function store(region: string) {
  const calls: string[] = [];
  return {
    calls,
    async top(count: number, opts: { signal: AbortSignal }): Promise<readonly Score[]> {
      calls.push(`top ${count}${opts.signal.aborted ? ' (aborted)' : ''}`);
      return Array.from({ length: count }, (_, i) => ({ player: `p${i + 1}`, points: 100 - i }));
    },
    async profile(id: string, opts: { signal: AbortSignal }): Promise<Profile> {
      calls.push(`profile ${id}${opts.signal.aborted ? ' (aborted)' : ''}`);
      return { id, region };
    },
  };
}
const leaderboard = store('eu-west');
const primaryDb = store('eu-west');
const replicaDb = store('eu-central');
const log = { lines: [] as string[], info(line: string): void { this.lines.push(line); } };

// --8<-- [start:basic]
// Leaderboard reads: when the first attempt has not answered after 30 ms, a second one
// starts beside it; the first answer wins and the other attempt's signal aborts.
const leaderboardReads = hedging({ name: 'leaderboard.top', delay: 30 });

export function topPlayers(count: number): Promise<readonly Score[]> {
  return leaderboardReads.execute((ctx) => leaderboard.top(count, { signal: ctx.signal }));
}
// --8<-- [end:basic]

// --8<-- [start:adaptive]
// Hedge only the slowest 5 %: the delay follows the 95th percentile of the recent latency
// of first attempts, never below 5 ms nor above 250 ms (and 250 ms while warming up).
const profileReads = hedging({
  name: 'profile.get',
  delay: { percentile: 95, min: 5, max: 250 },
});
// --8<-- [end:adaptive]

// --8<-- [start:modes]
// Parallel: every attempt at once, the fastest wins (costs N× the load on every call).
const raceAll = hedging({ delay: 0, maxHedgedAttempts: 2 });
// Fallback mode: a new attempt only when one fails (a retry without a sleep).
const onFailureOnly = hedging({ delay: Infinity, maxHedgedAttempts: 2 });
// Per call: tighter for VIP lobbies, and later for each further hedge.
const perCall = hedging({
  delay: ({ attempt, context }) => (context.labels['tier'] === 'vip' ? 20 : 40) * (attempt - 1),
  maxHedgedAttempts: 2,
});
// --8<-- [end:modes]

// --8<-- [start:replicas]
// The first attempt reads the primary, the hedges a replica in another zone.
export function loadProfile(id: string): Promise<Profile> {
  return profileReads.execute(
    hedgedActions(
      (ctx) => primaryDb.profile(id, { signal: ctx.signal }),
      (ctx) => replicaDb.profile(id, { signal: ctx.signal }),
    ),
  );
}

// The same by hand: every attempt sees its own number in ctx.attempt.
export function loadProfileByHand(id: string): Promise<Profile> {
  return profileReads.execute((ctx: ExecutionContext) => {
    const db = ctx.attempt === 1 ? primaryDb : replicaDb;
    return db.profile(id, { signal: ctx.signal });
  });
}
// --8<-- [end:replicas]

// --8<-- [start:budget]
// Over any 10 s, hedges add at most 10 % to the leaderboard's calls (plus 1 per second
// whatever the traffic): when the store is slow for everyone, hedging stops doubling it.
const leaderboardBudget = retryBudget({ ratio: 0.1, minPerSecond: 1, window: 10_000 });
const budgetedReads = hedging({ name: 'leaderboard.top', delay: { percentile: 95 }, budget: leaderboardBudget });

budgetedReads.on('hedge-budget-exhausted', (e) => log.info(`no budget left for attempt ${e.attempt}`));
// --8<-- [end:budget]

// --8<-- [start:pipeline]
const reads = pipeline(
  timeout(500), // the whole read, every attempt included
  hedging({ name: 'leaderboard.top', delay: { percentile: 95, max: 200 } }),
  circuitBreaker({ name: 'leaderboard-db' }), // an open circuit rejects one attempt, not the call
  timeout(250), // each attempt on its own
);

export function topPlayersGuarded(count: number): Promise<readonly Score[]> {
  return reads.execute((ctx) => leaderboard.top(count, { signal: ctx.signal }));
}
// --8<-- [end:pipeline]

// --8<-- [start:events]
leaderboardReads.on('hedge', (e) => log.info(`${e.operation}: attempt ${e.attempt} started (${e.trigger})`));
leaderboardReads.on('hedge-won', (e) => log.info(`answered by attempt ${e.attempt} of ${e.attempts}`));
leaderboardReads.on('hedge-losers-cancelled', (e) => log.info(`aborted attempts ${e.losers.join(', ')}`));
// --8<-- [end:events]

// --8<-- [start:testing]
it('hedges a slow first attempt after 30 ms and aborts it', async () => {
  const clock = new VirtualClock();
  const policy = hedging({ delay: 30, clock });
  const signals: AbortSignal[] = [];
  const answer = policy.execute((ctx) => {
    signals.push(ctx.signal);
    const ms = ctx.attempt === 1 ? 1_000 : 10; // the first attempt hits the slow tail
    return new Promise((resolve) => clock.setTimeout(() => resolve(`attempt ${ctx.attempt}`), ms));
  });
  await clock.advance(40);
  await expect(answer).resolves.toBe('attempt 2');
  expect(signals.map((s) => s.aborted)).toEqual([true, false]);
});
// --8<-- [end:testing]

describe('docs/hedging.md examples', () => {
  it('run against fakes that answer at once (no hedge fires)', async () => {
    await expect(topPlayers(2)).resolves.toEqual([
      { player: 'p1', points: 100 },
      { player: 'p2', points: 99 },
    ]);
    await expect(loadProfile('u1')).resolves.toEqual({ id: 'u1', region: 'eu-west' });
    await expect(loadProfileByHand('u2')).resolves.toEqual({ id: 'u2', region: 'eu-west' });
    await expect(topPlayersGuarded(1)).resolves.toHaveLength(1);
    expect(replicaDb.calls).toEqual([]);
    expect(leaderboard.calls).toEqual(['top 2', 'top 1']);
    expect(log.lines).toEqual([]);
  });

  it('build the policies they describe', () => {
    expect(raceAll.describe().options).toMatchObject({ delay: 0, maxHedgedAttempts: 2 });
    expect(onFailureOnly.currentDelay).toBe(Number.POSITIVE_INFINITY);
    expect(perCall.describe().options['delay']).toBe('function delay');
    expect(profileReads.currentDelay).toBe(250);
    expect(budgetedReads.budget).toBe(leaderboardBudget);
    expect(reads.describe().policies?.map((p) => p.kind)).toEqual(['timeout', 'hedging', 'circuit-breaker', 'timeout']);
  });
});
