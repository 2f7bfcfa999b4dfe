/**
 * The rules of chaos/guards.ts that its other tests leave loose, read directly:
 * - `isChaosArmingError` answers true only for a ChaosArmingError, not for any other
 *   breakwater error;
 * - invalid controller options name the subject ("chaos controller") and what `env` must be;
 * - an `arm()` that the environment switch refuses (unset, or unreadable) joins the fleet
 *   unheld: the fleet's confirmation changes nothing and is not announced;
 * - `halt()` without a reason records "halted"; `haltReason` is only set by a halt (local or
 *   from the fleet) while armed, and a later halt while disarmed keeps the earlier reason;
 * - the hot path reads the controller's clock only with a `maxDuration`, and a halt asks the
 *   clock to cancel only a timer it holds;
 * - the time-window answer is cached only for the UTC hour it was computed in: a wall clock
 *   that steps back, or jumps far ahead, is evaluated again;
 * - a fault that untracked its effects is not released on halt; a release that throws is
 *   reported (with its source) and does not stop the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { ChaosInjectedError, isOptionsValidationError, type OptionsValidationError } from '../core/errors';
import { onCallbackError } from '../core/report';
import type { Subscription } from '../core/events';
import { VirtualClock } from '../testing/virtual-clock';
import type { ChaosFleet, ChaosFleetMember } from './fleet';
import { createChaosController, isChaosArmingError, type ActiveEffects } from './guards';

const ON = { BREAKWATER_CHAOS: '1' };
const HOUR = 3_600_000;

const subs: Subscription[] = [];
afterEach(() => {
  for (const s of subs.splice(0)) s.dispose();
});

/** A fleet that records what the member tells it and hands the member to the test. */
function recordingFleet(): { fleet: ChaosFleet; log: string[]; member: () => ChaosFleetMember } {
  const log: string[] = [];
  let joined: ChaosFleetMember | undefined;
  const fleet: ChaosFleet = {
    joinChaos(member) {
      joined = member;
      log.push('join');
      return {
        changed: () => log.push('changed'),
        halt: (reason) => log.push(`halt:${reason}`),
        switchFaults: () => undefined,
        leave: () => log.push('leave'),
      };
    },
  };
  return { fleet, log, member: () => joined as ChaosFleetMember };
}

/** A VirtualClock that counts `now()` reads and records `clearTimeout` handles. */
class RecordingClock implements Clock {
  reads = 0;
  readonly cleared: unknown[] = [];
  readonly inner = new VirtualClock(0);
  now(): number {
    this.reads++;
    return this.inner.now();
  }
  setTimeout(callback: () => void, ms: number): unknown {
    return this.inner.setTimeout(callback, ms);
  }
  clearTimeout(handle: unknown): void {
    this.cleared.push(handle);
    this.inner.clearTimeout(handle);
  }
}

describe('isChaosArmingError', () => {
  it('is false for breakwater errors that are not arming errors', () => {
    expect(isChaosArmingError(new ChaosInjectedError('gateway'))).toBe(false);
    let thrown: unknown;
    try {
      createChaosController({ env: ON }).arm({ environment: 42 as unknown as string });
    } catch (e) {
      thrown = e;
    }
    expect(isOptionsValidationError(thrown)).toBe(true);
    expect(isChaosArmingError(thrown)).toBe(false);
  });
});

describe('controller options', () => {
  it('an invalid env names the chaos controller and what env must be', () => {
    let thrown: unknown;
    try {
      createChaosController({ env: 5 as unknown as Record<string, string> });
    } catch (e) {
      thrown = e;
    }
    expect(isOptionsValidationError(thrown)).toBe(true);
    const err = thrown as OptionsValidationError;
    expect(err.message).toMatch(/^Invalid chaos controller options: /);
    expect(err.issues.map((i) => `${i.path}: ${i.expected}`)).toEqual(['env: an object of environment variables']);
  });

  it('env: null is refused as well (not read as "no env given")', () => {
    expect(() => createChaosController({ env: null as unknown as Record<string, string> })).toThrow("expected `env` to be an object of environment variables, got null");
  });
});

describe('joining a fleet while the environment switch refuses', () => {
  it('with the switch unset, the member joins unheld: the fleet confirming it is no change', () => {
    const f = recordingFleet();
    const c = createChaosController({ env: {} });
    const s = c.arm({ environment: 'staging', coordinator: f.fleet });
    expect(s).toMatchObject({ armed: false, fleet: true });
    f.member().hold(undefined);
    expect(f.log).toEqual(['join']);
    expect(f.member().announcement().state).toBe('off');
  });

  it('with an unreadable environment, the member joins unheld as well', () => {
    const env = new Proxy({} as Record<string, string | undefined>, {
      get() {
        throw new Error('NotCapable: requires env access');
      },
    });
    const f = recordingFleet();
    const c = createChaosController({ env });
    const s = c.arm({ environment: 'staging', coordinator: f.fleet });
    expect(s).toMatchObject({ armed: false, fleet: true });
    expect(s.reason).toMatch(/could not be read/);
    f.member().hold(undefined);
    expect(f.log).toEqual(['join']);
  });
});

describe('halt reasons', () => {
  it('halt() without a reason records "halted"', () => {
    const c = createChaosController({ env: ON });
    c.arm({ environment: 'staging' });
    const s = c.halt();
    expect(s.haltReason).toBe('halted');
    expect(s.reason).toBe('halted: halted');
  });

  it('a halt while not armed sets no haltReason, and keeps the one of the last armed halt', () => {
    const c = createChaosController({ env: ON });
    expect(c.halt('nothing to stop').haltReason).toBeUndefined();
    c.arm({ environment: 'staging' });
    expect(c.halt('first').haltReason).toBe('first');
    const s = c.halt('second');
    expect(s.haltReason).toBe('first');
    expect(s.reason).toBe('halted: second');
  });

  it('a fleet halt of a controller that is not armed sets no haltReason', () => {
    const f = recordingFleet();
    const c = createChaosController({ env: {} });
    c.arm({ environment: 'staging', coordinator: f.fleet });
    f.member().halt('incident 4711');
    const s = c.status();
    expect(s.reason).toBe('halted: incident 4711');
    expect(s.haltReason).toBeUndefined();
  });
});

describe('clock use', () => {
  it('without a maxDuration, deciding never reads the clock', () => {
    const clock = new RecordingClock();
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'staging' });
    clock.reads = 0;
    expect(c.isActive()).toBe(true);
    expect(c.isArmed()).toBe(true);
    expect(c.status().active).toBe(true);
    expect(clock.reads).toBe(0);
  });

  it('with a maxDuration, deciding reads the clock', () => {
    const clock = new RecordingClock();
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'staging', maxDuration: 1000 });
    clock.reads = 0;
    expect(c.isActive()).toBe(true);
    expect(clock.reads).toBe(1);
  });

  it('a halt asks the clock to cancel only the expiry timer it holds', () => {
    const clock = new RecordingClock();
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'staging' });
    c.halt('x');
    c.arm({ environment: 'staging' });
    c.disarm();
    expect(clock.cleared).toEqual([]);
    c.arm({ environment: 'staging', maxDuration: 1000 });
    c.halt('y');
    expect(clock.cleared).toHaveLength(1);
    expect(clock.cleared[0]).toBeDefined();
    c.halt('z');
    expect(clock.cleared).toHaveLength(1);
  });
});

describe('time-window cache', () => {
  /** A controller armed with `windows`, its wall clock set by the test. */
  function windowed(windows: { days?: ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[]; fromHour?: number; toHour?: number }[], start: number) {
    const w = { now: start };
    const c = createChaosController({ env: ON, clock: new VirtualClock(), wallClock: () => w.now });
    c.arm({ environment: 'staging', rules: { windows } });
    return { c, w };
  }

  it('within one UTC hour the answer stays; the next hour is evaluated again', () => {
    const { c, w } = windowed([{ fromHour: 2, toHour: 3 }], 2 * HOUR);
    expect(c.isActive()).toBe(true);
    w.now = 3 * HOUR - 1;
    expect(c.isActive()).toBe(true);
    w.now = 3 * HOUR;
    expect(c.isActive()).toBe(false);
  });

  it('a wall clock stepping back two hours is evaluated again', () => {
    const { c, w } = windowed([{ fromHour: 2, toHour: 3 }], 2 * HOUR + 5);
    expect(c.isActive()).toBe(true);
    w.now = HOUR / 2; // 00:30 UTC, outside 02–03
    expect(c.isActive()).toBe(false);
  });

  it('a wall clock stepping back before the epoch is evaluated again', () => {
    // 1970-01-01 is a Thursday; one second earlier is Wednesday.
    const { c, w } = windowed([{ days: ['thu'] }], 0);
    expect(c.isActive()).toBe(true);
    w.now = -1000;
    expect(c.isActive()).toBe(false);
  });

  it('a wall clock jumping far ahead is evaluated again', () => {
    const { c, w } = windowed([{ days: ['thu'] }], 1);
    expect(c.isActive()).toBe(true);
    w.now = HOUR * HOUR; // 3,600,000 hours = 150,000 days after a Thursday: a Monday
    expect(new Date(w.now).getUTCDay()).toBe(1);
    expect(c.isActive()).toBe(false);
  });
});

describe('tracked effects', () => {
  it('a fault that untracked its effects is not released on halt', () => {
    const c = createChaosController({ env: ON });
    c.arm({ environment: 'staging' });
    let released = 0;
    const effects: ActiveEffects = { releaseEffects: () => void released++ };
    c.track(effects);
    c.untrack(effects);
    c.halt('x');
    expect(released).toBe(0);
  });

  it('a release that throws is reported and does not stop the others', () => {
    const reported: [unknown, string][] = [];
    subs.push(onCallbackError((error, source) => reported.push([error, source])));
    const c = createChaosController({ env: ON });
    c.arm({ environment: 'staging' });
    const boom = new Error('release failed');
    let released = 0;
    c.track({
      releaseEffects: () => {
        throw boom;
      },
    });
    c.track({ releaseEffects: () => void released++ });
    c.halt('x');
    expect(released).toBe(1);
    expect(reported).toEqual([[boom, 'a fault releasing its effects on halt']]);
  });
});
