import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { seededRandom } from '../testing/seeded-random';
import { Backoff } from './backoff';
import { retryBudget } from './budget';
import { backoffConfig, BudgetModel } from '../../test/support/retry-helpers';
import type { RetryAttemptEvent } from './events';
import { retry, type RetryPolicy } from './retry';

class Transient extends Error {}

/** Random retry options (valid by construction) plus the environment of one call. */
const scenario = fc.record({
  backoff: backoffConfig,
  maxAttempts: fc.integer({ min: 1, max: 8 }),
  maxDuration: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }),
  deadline: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
  start: fc.integer({ min: 0, max: 1_000_000 }),
  seed: fc.integer(),
  /** Duration of each attempt (virtual ms), cycled. */
  durations: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 4 }),
  /** Number of attempts that fail before one succeeds (past maxAttempts = always fails). */
  failures: fc.integer({ min: 0, max: 10 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario, clock: VirtualClock): RetryPolicy {
  const { kind, options } = s.backoff;
  return retry({
    clock,
    random: seededRandom(s.seed),
    maxAttempts: s.maxAttempts,
    backoff: kind,
    ...options,
    ...(s.maxDuration !== undefined ? { maxDuration: s.maxDuration } : {}),
  });
}

describe('retry properties (virtual clock)', () => {
  it('attempts ≤ maxAttempts; delays within jitter bounds and ≤ maxDelay; no attempt starts past maxDuration or the deadline', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new VirtualClock(s.start);
        const p = build(s, clock);
        const backoff = p.backoff as Backoff;
        const delays: RetryAttemptEvent[] = [];
        p.on('retry', (e) => delays.push(e));
        const starts: number[] = [];
        const errors: Transient[] = [];
        const deadline = s.deadline === undefined ? undefined : s.start + s.deadline;
        let state = 'pending';
        let settledWith: unknown;
        p.execute(
          (ctx) => {
            starts.push(clock.now());
            expect(ctx.attempt).toBe(starts.length);
            const d = s.durations[(starts.length - 1) % s.durations.length] as number;
            return new Promise((resolve, reject) => {
              clock.setTimeout(() => {
                if (starts.length > s.failures) resolve('ok');
                else {
                  const e = new Transient(String(starts.length));
                  errors.push(e);
                  reject(e);
                }
              }, d);
            });
          },
          deadline === undefined ? undefined : { deadline },
        ).then(
          (v) => {
            state = 'ok';
            settledWith = v;
          },
          (e: unknown) => {
            state = 'error';
            settledWith = e;
          },
        );
        await clock.runAll();
        expect(state).not.toBe('pending');
        expect(starts.length).toBeLessThanOrEqual(s.maxAttempts);
        expect(delays).toHaveLength(starts.length - 1);
        let previous = 0;
        delays.forEach((e, i) => {
          expect(e.attempt).toBe(i + 1);
          const { min, max } = backoff.bounds(e.attempt, previous);
          expect(e.delay).toBeGreaterThanOrEqual(min);
          expect(e.delay).toBeLessThanOrEqual(max);
          expect(e.delay).toBeLessThanOrEqual(backoff.maxDelay);
          previous = e.delay;
        });
        for (const [i, t] of starts.entries()) {
          if (i === 0) continue;
          if (s.maxDuration !== undefined) expect(t - s.start).toBeLessThanOrEqual(s.maxDuration);
          if (deadline !== undefined) expect(t).toBeLessThan(deadline);
        }
        if (state === 'error') expect(settledWith).toBe(errors.at(-1)); // the last failure, unchanged
        else expect(settledWith).toBe('ok');
        // it stopped for a reason: success, or one more retry would have broken a limit
        if (state === 'error' && starts.length < s.maxAttempts) {
          const lastEnd = clock.now();
          const next = backoff.bounds(starts.length, previous).min;
          const wake = Math.ceil(lastEnd + next);
          const blocked =
            (s.maxDuration !== undefined && wake > s.start + s.maxDuration) || (deadline !== undefined && wake >= deadline);
          if (backoff.jitter === 'none') expect(blocked).toBe(true);
        }
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('with instant attempts the whole call never outlasts maxDuration or the deadline', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new VirtualClock(s.start);
        const p = build({ ...s, maxAttempts: s.maxAttempts }, clock);
        const deadline = s.deadline === undefined ? undefined : s.start + s.deadline;
        let end = Number.NaN;
        p.execute(() => Promise.reject(new Transient()), deadline === undefined ? undefined : { deadline }).catch(() => {
          end = clock.now();
        });
        await clock.runAll();
        expect(end).toBeGreaterThanOrEqual(s.start);
        if (s.maxDuration !== undefined) expect(end - s.start).toBeLessThanOrEqual(s.maxDuration);
        if (deadline !== undefined && deadline > s.start) expect(end).toBeLessThan(deadline);
      }),
      { numRuns: 150 },
    );
  });

  it('an abort during any sleep settles the call in the same tick with the abort reason', async () => {
    let aborted = 0;
    await fc.assert(
      fc.asyncProperty(scenario, fc.integer({ min: 1, max: 7 }), fc.double({ min: 0, max: 1, noNaN: true }), async (s, sleepNo, at) => {
        fc.pre(s.maxAttempts > sleepNo);
        const clock = new VirtualClock(s.start);
        const p = build({ ...s, maxDuration: undefined }, clock);
        const ac = new AbortController();
        let sleeps = 0;
        let state = 'pending';
        let reason: unknown;
        p.on('retry', (e) => {
          if (++sleeps !== sleepNo) return;
          // abort at a random point inside this sleep (or at its very start)
          const when = Math.floor(e.delay * at);
          if (when === 0) ac.abort('now');
          else clock.setTimeout(() => ac.abort('later'), when);
        });
        p.execute(() => Promise.reject(new Transient()), { signal: ac.signal }).catch((e: unknown) => {
          state = 'error';
          reason = e;
        });
        // run timers one by one; when the abort fires, the call must be settled before the next timer
        await clock.runUntilIdle();
        while (!ac.signal.aborted && clock.pending > 0) {
          await clock.advanceTo(clock.nextTimerAt() as number);
        }
        if (!ac.signal.aborted) return; // a deadline-free call that always fails always reaches sleep `sleepNo`
        aborted++;
        const abortedAt = clock.now();
        await Promise.resolve();
        await Promise.resolve();
        expect(state).toBe('error');
        expect(reason).toBe(ac.signal.reason);
        expect(clock.now()).toBe(abortedAt);
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 150 },
    );
    expect(aborted).toBeGreaterThan(100);
  });

  it('policies sharing a budget never retry more than ratio × calls + floor over the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 100, max: 5_000 }),
        fc.array(fc.record({ policy: fc.integer({ min: 0, max: 2 }), gap: fc.integer({ min: 0, max: 300 }) }), { maxLength: 60 }),
        async (ratio, minPerSecond, window, calls) => {
          const clock = new VirtualClock();
          const budget = retryBudget({ ratio, minPerSecond, window, clock });
          const model = new BudgetModel(ratio, minPerSecond, window);
          const policies = [0, 1, 2].map((i) => retry({ clock, budget, maxAttempts: 2 + i, delay: 10 * (i + 1), jitter: 'none' }));
          for (const p of policies) {
            p.on('retry', () => {
              expect(model.retry(clock.now())).toBe(true);
            });
            p.on('budget-exhausted', () => {
              expect(model.retry(clock.now())).toBe(false);
            });
          }
          const pending: Promise<unknown>[] = [];
          for (const c of calls) {
            await clock.advance(c.gap);
            model.call(clock.now());
            pending.push((policies[c.policy] as RetryPolicy).execute(() => Promise.reject(new Transient())).catch(() => undefined));
          }
          await clock.runAll();
          await Promise.all(pending);
          expect(budget.stats.calls).toBe(model.counts(clock.now()).calls);
        },
      ),
      { numRuns: 100 },
    );
  });
});
