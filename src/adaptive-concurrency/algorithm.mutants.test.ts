/**
 * Rules shared by the algorithms that the property tests leave unpinned (issue #23, mutation
 * testing): a window in which exactly half of the limit was in flight counts as using the
 * limit (only fewer than half is "app-limited"), and the step of `'vegas'` is at least 1.
 */
import { describe, expect, it } from 'vitest';
import { AimdRule } from './aimd';
import { appLimited, logStep, type WindowStats } from './algorithm';

function window(maxInFlight: number): WindowStats {
  return { latency: 5, meanInFlight: maxInFlight, maxInFlight, drops: 0, samples: 10 };
}

describe('appLimited', () => {
  it('is true only when fewer than half of the limit were in flight', () => {
    expect(appLimited(10, window(4))).toBe(true);
    expect(appLimited(10, window(5))).toBe(false);
    expect(appLimited(9, window(4))).toBe(true);
    expect(appLimited(9, window(5))).toBe(false);
  });

  it('so aimd grows the limit after a window without a drop that had exactly half of it in flight', () => {
    expect(new AimdRule({ kind: 'aimd' }).next(10, window(5))).toEqual({ limit: 11, cut: false });
  });
});

describe('logStep', () => {
  it('is log10 of the limit, and never below 1', () => {
    expect(logStep(1_000)).toBe(3);
    expect(logStep(100)).toBe(2);
    expect(logStep(5)).toBe(1);
    expect(logStep(1)).toBe(1);
  });
});
