import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { retryBudget } from '../retry/index';
import { VirtualClock } from '../testing/virtual-clock';
import { hedging } from './hedging';
import type { HedgingOptions } from './options';

function issues(options: unknown): ValidationIssue[] {
  try {
    hedging(options as HedgingOptions);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return [...(e as { issues: ValidationIssue[] }).issues];
  }
  throw new Error('expected hedging() to reject the options');
}

describe('hedging options validation', () => {
  const bad: [string, unknown, string][] = [
    ['no options', undefined, 'delay'],
    ['no delay', {}, 'delay'],
    ['negative delay', { delay: -1 }, 'delay'],
    ['NaN delay', { delay: Number.NaN }, 'delay'],
    ['string delay', { delay: '30ms' }, 'delay'],
    ['delay as an array', { delay: [95] }, 'delay'],
    ['adaptive delay without percentile', { delay: {} }, 'delay.percentile'],
    ['percentile 0', { delay: { percentile: 0 } }, 'delay.percentile'],
    ['percentile 100', { delay: { percentile: 100 } }, 'delay.percentile'],
    ['percentile as a string', { delay: { percentile: '95' } }, 'delay.percentile'],
    ['window 0', { delay: { percentile: 95, window: 0 } }, 'delay.window'],
    ['window fractional', { delay: { percentile: 95, window: 10.5 } }, 'delay.window'],
    ['window too large', { delay: { percentile: 95, window: 1e6 } }, 'delay.window'],
    ['minSamples 0', { delay: { percentile: 95, minSamples: 0 } }, 'delay.minSamples'],
    ['minSamples over window', { delay: { percentile: 95, window: 10, minSamples: 11 } }, 'delay.minSamples'],
    ['negative warmUpDelay', { delay: { percentile: 95, warmUpDelay: -1 } }, 'delay.warmUpDelay'],
    ['negative min', { delay: { percentile: 95, min: -1 } }, 'delay.min'],
    ['Infinity min', { delay: { percentile: 95, min: Number.POSITIVE_INFINITY } }, 'delay.min'],
    ['min over max', { delay: { percentile: 95, min: 50, max: 10 } }, 'delay.min'],
    ['unknown adaptive key', { delay: { percentile: 95, p: 99 } }, 'delay.p'],
    ['maxHedgedAttempts negative', { delay: 10, maxHedgedAttempts: -1 }, 'maxHedgedAttempts'],
    ['maxHedgedAttempts over 10', { delay: 10, maxHedgedAttempts: 11 }, 'maxHedgedAttempts'],
    ['maxHedgedAttempts fractional', { delay: 10, maxHedgedAttempts: 1.5 }, 'maxHedgedAttempts'],
    ['maxHedgedAttempts Infinity', { delay: 10, maxHedgedAttempts: Number.POSITIVE_INFINITY }, 'maxHedgedAttempts'],
    ['budget not a budget', { delay: 10, budget: { ratio: 0.1 } }, 'budget'],
    ['budget on another clock', { delay: 10, budget: retryBudget({ clock: new VirtualClock() }) }, 'budget'],
    ['empty name', { delay: 10, name: '' }, 'name'],
    ['clock without timers', { delay: 10, clock: { now: () => 0 } }, 'clock'],
    ['handle not a function', { delay: 10, handle: 'TypeError' }, 'handle'],
    ['handleResult not a function', { delay: 10, handleResult: 503 }, 'handleResult'],
    ['unknown key', { delay: 10, maxAttempts: 3 }, 'maxAttempts'],
    ['the issue’s action option is not an option', { delay: 10, actions: () => undefined }, 'actions'],
  ];
  for (const [what, options, path] of bad) {
    it(`rejects ${what} (\`${path}\`)`, () => {
      expect(issues(options).map((i) => i.path)).toEqual([path]);
    });
  }

  it('names every bad field in one error, nested ones included, with its value and what it must be', () => {
    let message = '';
    try {
      hedging({ delay: { percentile: 120, window: -3 }, maxHedgedAttempts: 20, name: 7 } as unknown as HedgingOptions);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('Invalid hedging options');
    expect(message).toContain('expected `delay.percentile` to be a number > 0 and < 100, got 120');
    expect(message).toContain('expected `delay.window` to be an integer ≥ 1 and ≤ 100000, got -3');
    expect(message).toContain('expected `maxHedgedAttempts` to be an integer ≥ 0 and ≤ 10, got 20');
    expect(message).toContain('expected `name` to be a non-empty string, got 7');
  });

  it('accepts every form of delay and the defaults', () => {
    const clock = new VirtualClock();
    expect(hedging({ delay: 0 }).maxHedgedAttempts).toBe(1);
    expect(hedging({ delay: Number.POSITIVE_INFINITY }).currentDelay).toBe(Number.POSITIVE_INFINITY);
    expect(hedging({ delay: () => 5 }).currentDelay).toBeUndefined();
    expect(hedging({ delay: { percentile: 99.9, window: 2_000 }, clock }).describe().options['delay']).toMatchObject({ minSamples: 1_000 });
    expect(hedging({ delay: { percentile: 50 }, clock }).describe().options['delay']).toMatchObject({ minSamples: 10 });
    expect(hedging({ delay: { percentile: 95, window: 5 }, clock }).describe().options['delay']).toMatchObject({ minSamples: 5 });
    expect(hedging({ delay: { percentile: 95, max: 300 }, clock }).currentDelay).toBe(300); // warm-up: max
    expect(hedging({ delay: 10, budget: retryBudget({ clock }), clock }).budget).toBeDefined();
    expect(hedging({ delay: 10, maxHedgedAttempts: 10 }).maxHedgedAttempts).toBe(10);
  });
});
