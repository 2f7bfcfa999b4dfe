/**
 * Rules of the retry budget that the mutation run (issue #23) found unpinned:
 * `stats.available` (after a spent retry, never negative, equal to what `tryRetry()` grants)
 * and the rounding tolerance of `ratio × calls`; and the option schema, built when
 * `budget.ts` loads, checked on a fresh import (`vi.resetModules()`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule } from '../../test/support/fresh-module';
import type { Clock } from '../core/clock';
import { VirtualClock } from '../testing/virtual-clock';
import { retryBudget } from './budget';
import type * as BudgetModule from './budget';

/** A clock the test moves by hand (no timers needed by the budget). */
function manualClock(start: number): Clock & { t: number } {
  const c = { t: start, now: () => c.t, setTimeout: () => 0, clearTimeout: () => undefined };
  return c;
}

describe('retryBudget stats.available', () => {
  it('drops by one for each retry spent, down to 0', () => {
    const b = retryBudget({ ratio: 0, minPerSecond: 1, window: 3_000, clock: new VirtualClock() }); // a floor of 3 retries
    expect(b.stats.available).toBe(3);
    expect(b.tryRetry()).toBe(true);
    expect(b.stats).toEqual({ calls: 0, retries: 1, available: 2 });
    b.tryRetry();
    b.tryRetry();
    expect(b.stats).toEqual({ calls: 0, retries: 3, available: 0 });
    expect(b.tryRetry()).toBe(false);
    expect(b.stats.available).toBe(0);
  });

  it('is never negative: retries granted while calls were in the window stay after those calls left it', async () => {
    const clock = new VirtualClock();
    const b = retryBudget({ ratio: 1, minPerSecond: 0, window: 1_000, clock });
    for (let i = 0; i < 4; i++) b.recordCall();
    await clock.advance(500);
    for (let i = 0; i < 4; i++) expect(b.tryRetry()).toBe(true);
    await clock.advance(500); // the calls' bucket left the window; the retries' did not
    expect(b.stats).toEqual({ calls: 0, retries: 4, available: 0 });
  });

  it('counts ratio × calls with a rounding tolerance: 0.57 × 100 calls allow 57 retries', () => {
    const b = retryBudget({ ratio: 0.57, minPerSecond: 0, window: 1_000, clock: new VirtualClock() });
    for (let i = 0; i < 100; i++) b.recordCall();
    expect(0.57 * 100).toBeLessThan(57); // floating point: 56.99999999999999
    expect(b.stats.available).toBe(57);
    let granted = 0;
    while (b.tryRetry()) granted++;
    expect(granted).toBe(57);
  });

  it('property: available is exactly how many retries tryRetry() grants right now', () => {
    const op = fc.record({ call: fc.boolean(), gap: fc.integer({ min: 0, max: 400 }) });
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.array(op, { maxLength: 200 }),
        (ratio, minPerSecond, window, start, ops) => {
          const clock = manualClock(start);
          const b = retryBudget({ ratio, minPerSecond, window, clock });
          for (const o of ops) {
            clock.t += o.gap;
            if (o.call) b.recordCall();
            else b.tryRetry();
          }
          const { available, retries } = b.stats;
          expect(available).toBeGreaterThanOrEqual(0);
          let granted = 0;
          while (granted <= available && b.tryRetry()) granted++;
          expect(granted).toBe(available);
          expect(b.stats).toMatchObject({ retries: retries + granted, available: 0 });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('retryBudget window and limit edges', () => {
  it('the tolerance is inclusive: a limit that falls short of one retry by 1e-9 still grants it', () => {
    // minPerSecond 0.999999999 over 1 s: a floor of 0.999999999 retries, 1 once the tolerance is added.
    const b = retryBudget({ ratio: 0, minPerSecond: 0.999_999_999, window: 1_000, clock: new VirtualClock() });
    expect(b.stats.available).toBe(1);
    expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
  });

  it('a clock that steps back (a wall clock corrected) keeps the counts of the newest bucket', () => {
    const clock = manualClock(5_000);
    const b = retryBudget({ ratio: 1, minPerSecond: 0, window: 1_000, clock }); // buckets of 100 ms
    for (let i = 0; i < 3; i++) b.recordCall();
    clock.t = 4_700; // back by three buckets
    b.recordCall();
    expect(b.stats).toEqual({ calls: 4, retries: 0, available: 4 });
    clock.t = 5_050; // forward again, within the same newest bucket
    expect(b.stats).toEqual({ calls: 4, retries: 0, available: 4 });
    expect(b.tryRetry()).toBe(true);
    clock.t = 5_950; // the newest bucket is still in the window
    expect(b.stats).toEqual({ calls: 4, retries: 1, available: 3 });
    clock.t = 6_000; // and now it has left it
    expect(b.stats).toEqual({ calls: 0, retries: 0, available: 0 });
  });

  it('a jump of any length costs one pass over the buckets (O(1)), and forgets everything', () => {
    const clock = manualClock(0);
    const b = retryBudget({ ratio: 1, minPerSecond: 0, window: 1, clock }); // buckets of 0.1 ms
    b.recordCall();
    expect(b.tryRetry()).toBe(true);
    clock.t = 2 ** 50; // 2^53 buckets later: stepping through them one by one would never end
    expect(b.stats).toEqual({ calls: 0, retries: 0, available: 0 });
    b.recordCall();
    expect(b.stats).toEqual({ calls: 1, retries: 0, available: 1 });
  });
});

/** The budget module, loaded again so that its option schema is built in this test. */
async function fresh(): Promise<typeof BudgetModule> {
  return freshModule<typeof BudgetModule>(() => import('./budget'));
}

describe('retryBudget options (schema of a fresh load)', () => {
  it('accepts every documented option', async () => {
    const { retryBudget: freshBudget } = await fresh();
    const clock = new VirtualClock();
    const b = freshBudget({ ratio: 0.5, minPerSecond: 0, window: 1, clock });
    expect([b.ratio, b.minPerSecond, b.window, b.clock]).toEqual([0.5, 0, 1, clock]);
  });

  it('says what each field expects, every bad field in one message; unknown keys are refused', async () => {
    const { retryBudget: freshBudget } = await fresh();
    let message = '';
    try {
      freshBudget({ ratio: -1, minPerSecond: -0.5, window: 0.5, clock: {} as Clock });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'Invalid retryBudget options: ' +
        [
          'expected `ratio` to be a finite number ≥ 0, got -1',
          'expected `minPerSecond` to be a finite number ≥ 0, got -0.5',
          'expected `window` to be a duration in ms ≥ 1, got 0.5',
          'expected `clock` to be a clock (an object with now, setTimeout and clearTimeout functions), got {}',
        ].join('; '),
    );
    expect(() => freshBudget({ ratios: 1 } as never)).toThrow(/^Invalid retryBudget options: unknown option `ratios`$/);
  });
});
