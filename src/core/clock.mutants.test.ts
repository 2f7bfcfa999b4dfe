/**
 * The timer-handle helpers of core/clock.ts, read directly: only an object (not `null`, not
 * a number, not a function) with the method is ref'd or unref'd; `canUnref` wants both
 * methods; the system clock reads the platform's time.
 */
import { describe, expect, it, vi } from 'vitest';
import { canUnref, refTimer, systemClock, unrefTimer } from './clock';

describe('unrefTimer', () => {
  it('unrefs an object with unref() and says so', () => {
    const unref = vi.fn();
    expect(unrefTimer({ unref })).toBe(true);
    expect(unref).toHaveBeenCalledOnce();
  });

  it('leaves everything else alone and says it did not', () => {
    expect(unrefTimer(null)).toBe(false);
    expect(unrefTimer(undefined)).toBe(false);
    expect(unrefTimer(42)).toBe(false);
    expect(unrefTimer({})).toBe(false);
    const unref = vi.fn();
    // A browser-style numeric id or a function carrying the method is not a timer object.
    expect(unrefTimer(Object.assign(() => {}, { unref }))).toBe(false);
    expect(unref).not.toHaveBeenCalled();
  });
});

describe('refTimer', () => {
  it('refs an object with ref() only', () => {
    const ref = vi.fn();
    refTimer({ ref });
    expect(ref).toHaveBeenCalledOnce();
    expect(() => refTimer(null)).not.toThrow();
    expect(() => refTimer(7)).not.toThrow();
    expect(() => refTimer({})).not.toThrow();
    expect(() => refTimer({ ref: 'no' })).not.toThrow();
    const onFunction = vi.fn();
    refTimer(Object.assign(() => {}, { ref: onFunction }));
    expect(onFunction).not.toHaveBeenCalled();
  });
});

describe('canUnref', () => {
  it('is true only for an object with both ref() and unref()', () => {
    const both = { ref() {}, unref() {} };
    expect(canUnref(both)).toBe(true);
    expect(canUnref({ unref() {} })).toBe(false);
    expect(canUnref({ ref() {} })).toBe(false);
    expect(canUnref(null)).toBe(false);
    expect(canUnref(3)).toBe(false);
    expect(canUnref(Object.assign(() => {}, both))).toBe(false);
  });
});

describe('systemClock', () => {
  it('reads the platform time in milliseconds', () => {
    const before = performance.now();
    const now = systemClock.now();
    expect(typeof now).toBe('number');
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(performance.now());
  });

  it('clears a timer through the platform, so its callback never runs', () => {
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    try {
      const handle = systemClock.setTimeout(() => {}, 60_000);
      systemClock.clearTimeout(handle);
      expect(clear).toHaveBeenCalledWith(handle);
    } finally {
      clear.mockRestore();
    }
  });
});
