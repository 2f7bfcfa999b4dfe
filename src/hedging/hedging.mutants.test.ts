/**
 * Rules of the hedging policy that mutation testing (issue #23) found unpinned by the other
 * hedging tests: what a delay function may return, what `describe()` says of a custom
 * `handleResult` and budget, and what `hedgedActions()` says when it gets no function.
 * Every timed test runs on the virtual clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onCallbackError } from '../core/report';
import { VirtualClock } from '../testing/virtual-clock';
import { fakeDependency } from '../../test/support/hedging-dependency';
import { hedgedActions, hedging } from './hedging';

/** Runs `body` and returns the errors (and their sources) reported through `onCallbackError` meanwhile. */
async function reported(body: () => Promise<void>): Promise<[unknown, string][]> {
  const seen: [unknown, string][] = [];
  const sub = onCallbackError((error, source) => seen.push([error, source]));
  try {
    await body();
  } finally {
    sub.dispose();
  }
  return seen;
}

describe('hedging: what a delay function returns', () => {
  it('0 starts the hedge at once, with nothing reported', async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 100 : 10, value: i }));
    const policy = hedging({ delay: () => 0, clock });
    const errors = await reported(async () => {
      const call = policy.execute(dep.fn);
      await clock.runAll();
      await expect(call).resolves.toBe(1);
    });
    expect(errors).toEqual([]);
    expect(dep.calls.map((c) => c.startedAt)).toEqual([0, 0]);
  });

  it('property: a negative number, NaN or a non-number is reported as a TypeError naming it, and that hedge waits for a failure only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
          fc.constant(Number.NaN),
          fc.constantFrom<unknown>('30', undefined, null, {}),
        ),
        async (bad) => {
          const clock = new VirtualClock();
          const dep = fakeDependency(clock, () => ({ ms: 100, value: 'slow' }));
          const policy = hedging({ name: 'reads', delay: () => bad as number, clock });
          const errors = await reported(async () => {
            const call = policy.execute(dep.fn);
            await clock.runAll();
            await expect(call).resolves.toBe('slow');
          });
          expect(dep.calls).toHaveLength(1);
          expect(errors).toHaveLength(1);
          const [error, source] = errors[0] as [Error, string];
          expect(source).toBe('hedging "reads" delay');
          expect(error).toBeInstanceOf(TypeError);
          expect(error.message).toBe(`the delay function returned ${String(bad)}, not a number ≥ 0`);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('hedging: describe', () => {
  it('says "custom" for a handleResult and for a budget that is not a retryBudget', () => {
    const budget = { recordCall: (): void => undefined, tryRetry: (): boolean => true, clock: new VirtualClock() };
    const options = hedging({ delay: 10, handleResult: () => false, budget, clock: budget.clock }).describe().options;
    expect(options).toMatchObject({ handle: 'every error', handleResult: 'custom', budget: 'custom' });
  });
});

describe('hedgedActions', () => {
  it('says what it got when it gets no function', () => {
    expect(() => hedgedActions(...([] as unknown as [() => 1]))).toThrow('hedgedActions() expects one or more functions, got none');
    expect(() => hedgedActions('primary' as unknown as () => 1, () => 1)).toThrow('hedgedActions() expects one or more functions, got string');
    expect(() => hedgedActions(() => 1, 2 as unknown as () => 1)).toThrow('hedgedActions() expects one or more functions, got number');
  });
});
