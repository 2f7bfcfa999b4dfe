import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeout } from '../timeout/timeout';
import { VirtualClock } from '../testing/virtual-clock';
import type { Clock } from './clock';
import { onCallbackError } from './report';
import { systemClock } from './clock';
import { TimerService, timerServiceFor } from './timer-service';

/** One turn of the event loop. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock on `virtual` whose host-timer handles record ref/unref into `calls`. */
function recordingClock(virtual: VirtualClock, calls: string[], unref: () => void = () => calls.push('unref')): Clock {
  return {
    now: () => virtual.now(),
    setTimeout: (fn, ms) => {
      calls.push('set');
      return { inner: virtual.setTimeout(fn, ms), ref: () => calls.push('ref'), unref };
    },
    clearTimeout: (h) => {
      calls.push('clear');
      virtual.clearTimeout((h as { inner: unknown }).inner);
    },
  };
}

describe('timer service: letting the process go when nothing is pending', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('calls that follow one another within a turn toggle no ref: one deferred unref for the whole burst', async () => {
    const calls: string[] = [];
    const s = new TimerService(recordingClock(new VirtualClock(), calls));
    const defer = vi.spyOn(globalThis, 'setImmediate');
    for (let i = 0; i < 100; i++) s.schedule(1_000, () => {}).cancel();
    expect(calls).toEqual(['set']);
    expect(defer).toHaveBeenCalledTimes(1);
    defer.mockRestore();
    await turn();
    expect(calls).toEqual(['set', 'unref']);
    expect(s.pending).toBe(0);
  });

  it('an entry scheduled before the deferred check keeps the host ref’d; the check after it settles lets go', async () => {
    const calls: string[] = [];
    const s = new TimerService(recordingClock(new VirtualClock(), calls));
    s.schedule(1_000, () => {}).cancel();
    const held = s.schedule(1_000, () => {});
    await turn();
    expect(calls).toEqual(['set']); // still pending: the process must wait for it
    held.cancel();
    await turn();
    expect(calls).toEqual(['set', 'unref']);
  });

  it('a host timer that fired meanwhile is not unref’d again', async () => {
    const calls: string[] = [];
    const virtual = new VirtualClock();
    const s = new TimerService(recordingClock(virtual, calls));
    let fired = 0;
    s.schedule(10, () => fired++);
    s.schedule(10, () => {}).cancel(); // one entry still pending: no check queued
    await virtual.advance(10);
    expect(fired).toBe(1);
    await turn();
    expect(calls).toEqual(['set']);
  });

  it('without setImmediate on the platform, unrefs at once', () => {
    const calls: string[] = [];
    const s = new TimerService(recordingClock(new VirtualClock(), calls));
    const g = globalThis as { setImmediate?: unknown };
    const saved = g.setImmediate;
    g.setImmediate = undefined;
    try {
      s.schedule(1_000, () => {}).cancel();
    } finally {
      g.setImmediate = saved;
    }
    expect(calls).toEqual(['set', 'unref']);
  });

  it('an unref that throws is reported, and the call it followed has settled with its own value', async () => {
    const virtual = new VirtualClock();
    const boom = new Error('unref failed');
    const calls: string[] = [];
    const clock = recordingClock(virtual, calls, () => {
      throw boom;
    });
    const reported: unknown[] = [];
    const sub = onCallbackError((error) => reported.push(error));
    try {
      const t = timeout({ duration: 1_000, clock });
      await expect(t.execute(() => Promise.resolve('value'))).resolves.toBe('value');
      await turn();
      expect(reported).toEqual([boom]);
      // The next idle period tries again, and reports again.
      await expect(t.execute(() => 'again')).resolves.toBe('again');
      await turn();
      expect(reported).toEqual([boom, boom]);
      expect(calls).toEqual(['set', 'ref']);
    } finally {
      sub.dispose();
    }
  });

  it('on the system clock: ref’d while a burst of timeout calls runs, unref’d one turn after it', async () => {
    // The service's own host timer is asked, not the count of the process's active timers:
    // a timer that another test file left in the same worker could end inside this test.
    const service = timerServiceFor(systemClock);
    const host = (): NodeJS.Timeout => (service as unknown as { host: NodeJS.Timeout }).host;
    await turn();
    const t = timeout(60_000);
    for (let i = 0; i < 20; i++) await t.execute(async () => i);
    expect(service.pending).toBe(0);
    expect(host().hasRef()).toBe(true); // still ref'd within the turn of the burst
    await turn();
    expect(host().hasRef()).toBe(false);
  });
});
