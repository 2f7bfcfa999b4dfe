/**
 * Two rules of the abort-aware wait (core/wait.ts): a cancelled wait never calls back, even
 * when the cancel comes while its scope is aborting (the scope hands the abort to its
 * listeners one by one, so a listener heard first, here another wait's `then`, may cancel a
 * wait whose listener is still due); and a wait on a scope that has already aborted ends at
 * once and subscribes nothing, not even upward to the caller's signal.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { ExecutionContext } from './context';
import { waitFor, type WaitEnd } from './wait';

describe('waitFor', () => {
  it('a wait cancelled by the then of another wait while their scope aborts does not call its own then', async () => {
    const clock = new VirtualClock();
    const ctx = new ExecutionContext(clock, undefined, 'op', undefined).withScope(Number.POSITIVE_INFINITY);
    const ends: [string, WaitEnd][] = [];
    let cancelSecond: () => void = () => {};
    waitFor(ctx, 100, (end) => {
      ends.push(['first', end]);
      cancelSecond();
    });
    cancelSecond = waitFor(ctx, 100, (end) => ends.push(['second', end]));
    ctx.scope.abort('stop');
    expect(ends).toEqual([['first', { aborted: true, reason: 'stop' }]]);
    expect(clock.pending).toBe(0);
    await clock.runAll();
    expect(ends).toHaveLength(1);
  });

  it('a wait on a scope that aborted on its own ends at once and subscribes nothing: no timer, no listener on the caller signal', () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const inner = new ExecutionContext(clock, { signal: ac.signal }, 'op', undefined).withScope(Number.POSITIVE_INFINITY);
    inner.scope.abort('expired');
    const ends: WaitEnd[] = [];
    waitFor(inner, 100, (end) => ends.push(end));
    expect(ends).toEqual([{ aborted: true, reason: 'expired' }]);
    expect(clock.pending).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
