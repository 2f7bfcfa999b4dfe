import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { retryBudget, type RetryBudgetOptions } from './budget';
import { BudgetModel } from '../../test/support/retry-helpers';

describe('retryBudget', () => {
  it('has the documented defaults (ratio 0.2, 10/s floor, 10 s window)', () => {
    const b = retryBudget({ clock: new VirtualClock() });
    expect([b.ratio, b.minPerSecond, b.window]).toEqual([0.2, 10, 10_000]);
    expect(b.stats).toEqual({ calls: 0, retries: 0, available: 100 });
  });

  it('grants the floor, then nothing, then the floor again once the window has slid past', async () => {
    const clock = new VirtualClock();
    const b = retryBudget({ ratio: 0, minPerSecond: 1, window: 5_000, clock });
    let granted = 0;
    for (let i = 0; i < 20; i++) if (b.tryRetry()) granted++;
    expect(granted).toBe(5);
    await clock.advance(4_999);
    expect(b.tryRetry()).toBe(false);
    await clock.advance(1); // the first bucket leaves the window
    expect(b.stats.retries).toBe(0);
    expect(b.tryRetry()).toBe(true);
  });

  it('grants ratio × calls on top of the floor', () => {
    const b = retryBudget({ ratio: 0.5, minPerSecond: 0, window: 1_000, clock: new VirtualClock() });
    expect(b.tryRetry()).toBe(false);
    for (let i = 0; i < 10; i++) b.recordCall();
    expect(b.stats).toEqual({ calls: 10, retries: 0, available: 5 });
    let granted = 0;
    while (b.tryRetry()) granted++;
    expect(granted).toBe(5);
    b.recordCall();
    b.recordCall();
    expect(b.tryRetry()).toBe(true);
  });

  it('forgets everything after a jump longer than the window', async () => {
    const clock = new VirtualClock(-12_345);
    const b = retryBudget({ ratio: 1, minPerSecond: 0, window: 100, clock });
    for (let i = 0; i < 50; i++) b.recordCall();
    expect(b.stats.calls).toBe(50);
    await clock.advance(1_000_000);
    expect(b.stats).toEqual({ calls: 0, retries: 0, available: 0 });
  });

  it('property: matches the brute-force sliding window; retries never exceed ratio × calls + floor', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), gap: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant('retry' as const), gap: fc.integer({ min: 0, max: 400 }) }),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.array(op, { maxLength: 300 }),
        (ratio, minPerSecond, window, start, ops) => {
          let now = start;
          const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
          const b = retryBudget({ ratio, minPerSecond, window, clock });
          const model = new BudgetModel(ratio, minPerSecond, window);
          for (const o of ops) {
            now += o.gap;
            if (o.kind === 'call') {
              b.recordCall();
              model.call(now);
            } else {
              const granted = b.tryRetry();
              expect(granted).toBe(model.retry(now));
              // At the moment of every grant, the window's retries (this one included) stay within the limit.
              if (granted) expect(model.counts(now).retries).toBeLessThanOrEqual(model.limit(now) + 1e-9);
            }
            const { calls, retries } = model.counts(now);
            expect(b.stats.calls).toBe(calls);
            expect(b.stats.retries).toBe(retries);
          }
        },
      ),
      {
        numRuns: 150,
        // A fractional bucket width (103 / 10 = 10.3): 309 / 10.3 rounds just below 30, so the
        // call at 309 sits in bucket 29, not 30. A model that compared times with bucket edges
        // instead of bucket indices disagreed here (once in ~800 runs).
        examples: [
          [
            0,
            0,
            103,
            0,
            [
              { kind: 'call', gap: 309 },
              { kind: 'call', gap: 93 },
            ],
          ],
        ],
      },
    );
  });

  describe('validation', () => {
    const bad: [string, RetryBudgetOptions, string][] = [
      ['negative ratio', { ratio: -0.1 }, 'ratio'],
      ['NaN ratio', { ratio: Number.NaN }, 'ratio'],
      ['Infinity ratio', { ratio: Number.POSITIVE_INFINITY }, 'ratio'],
      ['negative minPerSecond', { minPerSecond: -1 }, 'minPerSecond'],
      ['Infinity minPerSecond', { minPerSecond: Number.POSITIVE_INFINITY }, 'minPerSecond'],
      ['zero window', { window: 0 }, 'window'],
      ['Infinity window', { window: Number.POSITIVE_INFINITY }, 'window'],
      ['bad clock', { clock: {} as never }, 'clock'],
      ['unknown key', { ttl: 5 } as RetryBudgetOptions, 'ttl'],
    ];
    it.each(bad)('rejects %s', (_name, options, path) => {
      let error: unknown;
      try {
        retryBudget(options);
      } catch (e) {
        error = e;
      }
      expect(isOptionsValidationError(error)).toBe(true);
      expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([path]);
    });
  });
});
