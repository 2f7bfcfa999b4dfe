/**
 * Rules of the recovery timer that the mutation run (issue #23) found unpinned: the delay it
 * asks the clock for (negative → 0, capped at the longest platform delay), and a timer the
 * clock failed to cancel never firing `onFire` for a cleared or replaced arming, and where
 * the errors of the clock, of `onFire` and of a `recoveryTimeout` function are reported.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { VirtualClock } from '../testing/virtual-clock';
import { onCallbackError } from '../core/report';
import { RecoveryTimer, recoveryTimeoutFor } from './recovery-timer';

const MAX_TIMER_DELAY = 2_147_483_647;

/** A VirtualClock whose `clearTimeout` cancels nothing, and whose handles are all `undefined` when `noHandles`. */
function leakyClock(clock: VirtualClock, noHandles: boolean): Clock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => {
      const handle = clock.setTimeout(fn, ms);
      return noHandles ? undefined : handle;
    },
    clearTimeout: () => undefined,
  };
}

describe('RecoveryTimer: the delay it asks for', () => {
  it('property: the clock gets the delay clamped to [0, 2^31 - 1] ms', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.double({ min: -1e12, max: 1e12, noNaN: true })), (delay) => {
        const asked: number[] = [];
        const clock: Clock = {
          now: () => 0,
          setTimeout: (_fn, ms) => {
            asked.push(ms);
            return {};
          },
          clearTimeout: () => undefined,
        };
        new RecoveryTimer(clock, 'test timer', () => undefined).arm(delay);
        expect(asked).toEqual([Math.min(MAX_TIMER_DELAY, Math.max(0, delay))]);
        expect(asked[0]).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('RecoveryTimer: a timer the clock did not cancel', () => {
  it('a cleared arming never fires, even when the clock hands out no handles', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const timer = new RecoveryTimer(leakyClock(clock, true), 'test timer', () => fired++);
    timer.arm(100);
    expect(timer.armed).toBe(true);
    timer.clear();
    await clock.advance(100); // the clock's timer still runs
    expect(fired).toBe(0);
    expect(timer.armed).toBe(false);
  });

  it('only the latest arming fires: an earlier one, cleared but still on the clock, does not', async () => {
    const clock = new VirtualClock();
    const firedAt: number[] = [];
    const timer = new RecoveryTimer(leakyClock(clock, false), 'test timer', () => firedAt.push(clock.now()));
    timer.arm(100);
    timer.clear();
    timer.arm(200);
    await clock.advance(100);
    expect(firedAt).toEqual([]);
    expect(timer.armed).toBe(true);
    await clock.advance(100);
    expect(firedAt).toEqual([200]);
    expect(timer.armed).toBe(false);
  });
});

describe('RecoveryTimer: errors are reported under its label, never thrown', () => {
  function reported(run: () => void): [unknown, string][] {
    const seen: [unknown, string][] = [];
    const sub = onCallbackError((error, source) => seen.push([error, source]));
    try {
      run();
    } finally {
      sub.dispose();
    }
    return seen;
  }

  it('is not armed before arm(); a clock whose clearTimeout throws still leaves it cleared', () => {
    const boom = new Error('clear failed');
    const clock: Clock = { now: () => 0, setTimeout: () => ({}), clearTimeout: () => { throw boom; } };
    const timer = new RecoveryTimer(clock, 'test timer', () => undefined);
    expect(timer.armed).toBe(false);
    timer.arm(10);
    expect(reported(() => timer.clear())).toEqual([[boom, 'test timer']]);
    expect(timer.armed).toBe(false);
  });

  it('an onFire that throws is reported and leaves the timer disarmed', async () => {
    const clock = new VirtualClock();
    const boom = new Error('fire failed');
    const timer = new RecoveryTimer(clock, 'test timer', () => {
      throw boom;
    });
    timer.arm(10);
    const seen: [unknown, string][] = [];
    const sub = onCallbackError((error, source) => seen.push([error, source]));
    await clock.advance(10);
    sub.dispose();
    expect(seen).toEqual([[boom, 'test timer']]);
    expect(timer.armed).toBe(false);
  });

  it('a recoveryTimeout function that throws is reported with the breaker name and counts as 60 000', () => {
    const boom = new Error('no timeout');
    let ms = 0;
    const seen = reported(() => {
      ms = recoveryTimeoutFor(() => { throw boom; }, 1, 'payments');
    });
    expect(ms).toBe(60_000);
    expect(seen).toEqual([[boom, 'circuit breaker "payments" recoveryTimeout']]);
  });
});
