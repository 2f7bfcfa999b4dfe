/**
 * The `@hedging` and `@adaptiveConcurrency` shorthand decorators: a decorated method hedges
 * (each attempt is a new call of the method, with its own context and signal) or runs under
 * an adaptive limit (plain, or per key), names its policy 'Class.method' by default, and
 * validates its options when the class is defined.
 */
import { describe, expect, it } from 'vitest';
import { isConcurrencyLimitedError } from '../adaptive-concurrency/index';
import { currentContext } from '../core/context';
import { OptionsValidationError } from '../core/errors';
import type { HedgingEvent } from '../hedging/index';
import type { AdaptiveConcurrencyPolicy } from '../adaptive-concurrency/index';
import type { Policy } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { policyOf } from './resilient';
import { adaptiveConcurrency, hedging } from './shorthand';

/** Resolves with `value` after `ms` on `clock`, or rejects with the signal's reason when it aborts. */
function after<T>(clock: VirtualClock, ms: number, value: T, signal: AbortSignal | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

describe('@hedging', () => {
  it('calls the method again after the delay; the first answer wins and the loser is aborted', async () => {
    const clock = new VirtualClock();
    const started: { attempt: number; signal: AbortSignal; at: number }[] = [];
    class Leaderboard {
      constructor(private readonly replicas: readonly number[]) {}

      @hedging({ delay: 30, clock })
      async top(n: number): Promise<string> {
        const ctx = currentContext();
        const attempt = ctx?.attempt ?? 0;
        started.push({ attempt, signal: ctx?.signal as AbortSignal, at: clock.now() });
        return after(clock, this.replicas[attempt - 1] ?? 1, `top ${n} from replica ${attempt}`, ctx?.signal);
      }
    }
    const board = new Leaderboard([1_000, 10]);
    const policy = policyOf(board, 'top') as Policy;
    expect(policy.name).toBe('Leaderboard.top');
    const events: HedgingEvent[] = [];
    policy.onEvent((e) => {
      if (e.kind === 'hedging') events.push(e as HedgingEvent);
    });

    const read = board.top(10);
    await clock.runAll();
    await expect(read).resolves.toBe('top 10 from replica 2');
    expect(clock.now()).toBe(40);
    expect(started.map((s) => [s.attempt, s.at])).toEqual([
      [1, 0],
      [2, 30],
    ]);
    expect(started[0]?.signal.aborted).toBe(true);
    expect(started[1]?.signal.aborted).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['hedge', 'hedge-won', 'hedge-losers-cancelled']);
    expect(clock.pending).toBe(0);

    // A fast first answer: no hedge.
    const fast = new Leaderboard([5, 5]);
    started.length = 0;
    const quick = fast.top(3);
    await clock.runAll();
    await expect(quick).resolves.toBe('top 3 from replica 1');
    expect(started).toHaveLength(1);
  });

  it('validates its options when the class is defined, the decorator fields with them', () => {
    expect(() => hedging({ delay: -1 })).toThrow(OptionsValidationError);
    expect(() => hedging({ delay: { percentile: 100 } })).toThrow(/delay\.percentile/);
    expect(() => hedging({} as never)).toThrow(/delay/);
    expect(() => hedging({ delay: 10, maxHedgedAttempts: 11, scope: 'everywhere' as never })).toThrow(/scope.*maxHedgedAttempts/s);
  });
});

describe('@adaptiveConcurrency', () => {
  it('runs at most `limit` calls of the method at once, shared by every instance, and rejects the rest', async () => {
    const clock = new VirtualClock();
    class PlayerDb {
      @adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 10, maxQueue: 1, clock })
      async load(id: string): Promise<string> {
        return after(clock, 10, `player ${id}`, currentContext()?.signal);
      }
    }
    const a = new PlayerDb();
    const b = new PlayerDb();
    const db = policyOf(a, 'load') as AdaptiveConcurrencyPolicy;
    expect(policyOf(b, 'load')).toBe(db);
    expect(db).toMatchObject({ kind: 'adaptive-concurrency', name: 'PlayerDb.load', limit: 2 });

    const calls = [a.load('1'), b.load('2'), a.load('3'), b.load('4')].map((p) => p.catch((e: unknown) => e));
    expect(db.inFlight).toBe(2);
    expect(db.queued).toBe(1);
    await clock.runAll();
    const results = await Promise.all(calls);
    expect(results.slice(0, 3)).toEqual(['player 1', 'player 2', 'player 3']);
    expect(isConcurrencyLimitedError(results[3])).toBe(true);
    expect(results[3]).toMatchObject({ limiter: 'PlayerDb.load', reason: 'full', limit: 2 });
    expect(db.inFlight).toBe(0);
  });

  it('with a key, one limit per key (a partitioned limit); scope instance gives each instance its own', async () => {
    const clock = new VirtualClock();
    class Shards {
      @adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 4, clock, scope: 'instance', key: (ctx) => ctx.labels['shard'] ?? '' })
      async query(q: string): Promise<string> {
        return after(clock, 10, q, currentContext()?.signal);
      }
    }
    const s1 = new Shards();
    const s2 = new Shards();
    const policy = policyOf(s1, 'query') as Policy & { partitions: number };
    expect(policy).not.toBe(policyOf(s2, 'query'));
    expect(typeof policy.partitions).toBe('number');
    // No labels on these calls: one key (''), limit 1.
    const calls = [s1.query('a'), s1.query('b'), s2.query('c')].map((p) => p.catch((e: unknown) => e));
    await clock.runAll();
    const results = await Promise.all(calls);
    expect(results[0]).toBe('a');
    expect(results[1]).toMatchObject({ name: 'ConcurrencyLimitedError', partition: '' });
    expect(results[2]).toBe('c');
  });

  it('validates its options when the class is defined', () => {
    expect(() => adaptiveConcurrency({ initialLimit: 0, minLimit: 1, maxLimit: 4 })).toThrow(OptionsValidationError);
    expect(() => adaptiveConcurrency({ initialLimit: 8, minLimit: 1, maxLimit: 4 })).toThrow(/initialLimit/);
    expect(() => adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 4, algorithm: 'cubic' as never })).toThrow(/algorithm/);
    expect(() => adaptiveConcurrency(undefined as never)).toThrow(OptionsValidationError);
    expect(() => adaptiveConcurrency(5 as never)).toThrow(OptionsValidationError);
    expect(() => adaptiveConcurrency({ initialLimit: 2, minLimit: 1, maxLimit: 4, operation: '' as never })).toThrow(/operation/);
  });
});
