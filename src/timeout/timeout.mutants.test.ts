/**
 * Rules of the timeout policy that mutation testing (issue #23) found unpinned: the exact
 * upper bound of `duration`, the policy's name in its validation error, and that a timeout
 * the function did not fail behind carries no `cause`.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { OptionsValidationError, TimeoutError } from '../core/errors';
import { onCallbackError } from '../core/report';
import { VirtualClock } from '../testing/virtual-clock';
import { MAX_TIMEOUT_DURATION } from './options';
import { timeout } from './timeout';
import { rejection } from '../../test/support/promises';

const hang = (): Promise<never> => new Promise<never>(() => {});

describe('timeout duration bounds', () => {
  it('accepts exactly 2^31 - 1 ms, the largest delay a host timer supports, and nothing above it', () => {
    expect(MAX_TIMEOUT_DURATION).toBe(2 ** 31 - 1);
    expect(timeout(2 ** 31 - 1).duration).toBe(2 ** 31 - 1);
    expect(timeout({ duration: 2 ** 31 - 1 }).duration).toBe(2 ** 31 - 1);
    expect(() => timeout(2 ** 31 - 1 + 0.5)).toThrow(OptionsValidationError);
  });

  it('names the timeout policy in the message of its validation error', () => {
    expect(() => timeout(0)).toThrow(/^Invalid timeout options: expected `duration`/);
  });
});

describe('the cause of a TimeoutError', () => {
  it('an aggressive timeout rejects with a TimeoutError that has no cause at all', async () => {
    const clock = new VirtualClock();
    const settled = rejection(timeout({ duration: 10, clock }).execute(hang));
    await clock.advance(10);
    const error = await settled;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Object.prototype.hasOwnProperty.call(error, 'cause')).toBe(false);
    expect((error as TimeoutError).duration).toBe(10);
  });

  it('a deadline already past on entry rejects without running, with a TimeoutError that has no cause', async () => {
    const clock = new VirtualClock(1_000);
    let ran = false;
    const error = await rejection(
      timeout({ duration: 50, clock }).execute(
        () => {
          ran = true;
          return 1;
        },
        { deadline: 1_000 },
      ),
    );
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Object.prototype.hasOwnProperty.call(error, 'cause')).toBe(false);
  });
});

describe('a lone timeout whose settling throws', () => {
  it('reports the error and rejects the caller with it: the promise never stays pending', async () => {
    const virtual = new VirtualClock();
    const boom = new Error('clearTimeout failed');
    // A clock whose timer handles cannot unref and whose clearTimeout throws: the timer
    // service clears its host timer when the call's entry, the last pending one, is removed
    // as the call settles.
    const clock: Clock = {
      now: () => virtual.now(),
      setTimeout: (fn, ms) => virtual.setTimeout(fn, ms),
      clearTimeout: () => {
        throw boom;
      },
    };
    const reported: unknown[] = [];
    const sub = onCallbackError((error) => reported.push(error));
    try {
      const t = timeout({ duration: 1_000, clock });
      const error = await rejection(t.execute(() => Promise.resolve('value')));
      expect(error).toBe(boom);
      expect(reported).toEqual([boom]);
    } finally {
      sub.dispose();
    }
  });
});
