import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { CancellationScope } from './cancellation-scope';
import { ExecutionContext } from './context';
import { waitFor, type WaitEnd } from './wait';

/** An AbortController and the number of abort listeners its signal has right now. */
function countingSignal(): { ac: AbortController; active: () => number } {
  const ac = new AbortController();
  return { ac, active: () => getEventListeners(ac.signal, 'abort').length };
}

describe('ExecutionContext', () => {
  it('creates no signal and subscribes nothing until the signal is read', () => {
    const { ac, active } = countingSignal();
    const ctx = new ExecutionContext(new VirtualClock(), { signal: ac.signal }, 'op', undefined);
    expect(active()).toBe(0);
    const s = ctx.signal;
    expect(active()).toBe(1);
    expect(ctx.signal).toBe(s);
    ac.abort('stop');
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe('stop');
    expect(ctx.cancelledByCaller).toBe(true);
  });

  it('removes its listener from the caller signal when disposed, and never re-adds it', () => {
    const { ac, active } = countingSignal();
    const ctx = new ExecutionContext(new VirtualClock(), { signal: ac.signal }, 'op', undefined);
    void ctx.signal;
    ctx.rootScope.dispose();
    expect(active()).toBe(0);
    const child = ctx.withScope(Number.POSITIVE_INFINITY).scope;
    void child.signal;
    expect(active()).toBe(0);
  });

  it('child scopes abort with their parent and on their own; the outer view keeps its own scope', () => {
    const ctx = new ExecutionContext(new VirtualClock(), undefined, 'op', undefined);
    const outerView = ctx.withScope(Number.POSITIVE_INFINITY);
    const innerView = outerView.withScope(Number.POSITIVE_INFINITY);
    expect(innerView.scope.parent).toBe(outerView.scope);
    const innerSignal = innerView.signal;
    outerView.scope.abort('outer expired');
    expect(innerSignal.aborted).toBe(true);
    expect(innerSignal.reason).toBe('outer expired');
    expect(innerView.signal).toBe(innerSignal); // a view's signal never changes
    expect(ctx.scope).toBe(ctx.rootScope);
    const again = ctx.withScope(Number.POSITIVE_INFINITY);
    again.scope.abort('own');
    expect(ctx.rootScope.aborted).toBe(false);
    expect(ctx.signal.aborted).toBe(false);
    expect(again.signal.aborted).toBe(true);
  });

  it('remaining() counts down to the deadline and never below 0', async () => {
    const clock = new VirtualClock(1000);
    const ctx = new ExecutionContext(clock, { deadline: 1500 }, 'op', undefined);
    expect(ctx.remaining()).toBe(500);
    await clock.advance(700);
    expect(ctx.remaining()).toBe(0);
  });

  it('a scope already aborted hands out an aborted signal', () => {
    const s = new CancellationScope(undefined, undefined);
    s.abort('r');
    expect(s.signal.aborted).toBe(true);
    let called = false;
    s.subscribe(() => { called = true; })();
    expect(called).toBe(false);
  });
});

describe('caller signal sharing', () => {
  it('many calls under one signal share one listener, and the last one out removes it', () => {
    const { ac, active } = countingSignal();
    const ctxs = Array.from({ length: 1000 }, () => new ExecutionContext(new VirtualClock(), { signal: ac.signal }, 'op', undefined));
    const signals = ctxs.map((c) => c.signal);
    expect(active()).toBe(1);
    ctxs.slice(0, 999).forEach((c) => c.dispose());
    expect(active()).toBe(1);
    ctxs[999]!.dispose();
    expect(active()).toBe(0);
    expect(signals.every((s) => !s.aborted)).toBe(true);
  });

  it('an abort reaches every follower once', () => {
    const { ac, active } = countingSignal();
    const ctxs = Array.from({ length: 100 }, () => new ExecutionContext(new VirtualClock(), { signal: ac.signal }, 'op', undefined));
    const signals = ctxs.map((c) => c.signal);
    ac.abort('shutdown');
    expect(signals.every((s) => s.aborted && s.reason === 'shutdown')).toBe(true);
    expect(active()).toBe(0);
  });
});

describe('waitFor', () => {
  it('ends after the delay on the clock', async () => {
    const clock = new VirtualClock();
    const ctx = new ExecutionContext(clock, undefined, 'op', undefined);
    const ends: [number, WaitEnd][] = [];
    waitFor(ctx, 100, (e) => ends.push([clock.now(), e]));
    await clock.advance(99);
    expect(ends).toEqual([]);
    await clock.advance(1);
    expect(ends).toEqual([[100, { aborted: false }]]);
    expect(clock.pending).toBe(0);
  });

  it('ends in the same tick as the caller abort, and leaves no timer or listener', () => {
    const clock = new VirtualClock();
    const { ac, active } = countingSignal();
    const ctx = new ExecutionContext(clock, { signal: ac.signal }, 'op', undefined);
    const ends: WaitEnd[] = [];
    waitFor(ctx, 1000, (e) => ends.push(e));
    expect(active()).toBe(1);
    ac.abort('bye');
    expect(ends).toEqual([{ aborted: true, reason: 'bye' }]);
    expect(clock.pending).toBe(0);
    expect(active()).toBe(0);
  });

  it('Infinity waits for the abort only; cancel drops everything without calling back', () => {
    const clock = new VirtualClock();
    const ctx = new ExecutionContext(clock, undefined, 'op', undefined).withScope(Number.POSITIVE_INFINITY);
    const scope = ctx.scope;
    const ends: WaitEnd[] = [];
    waitFor(ctx, Number.POSITIVE_INFINITY, (e) => ends.push(e));
    expect(clock.pending).toBe(0);
    scope.abort('timeout');
    expect(ends).toEqual([{ aborted: true, reason: 'timeout' }]);
    const cancel = waitFor(new ExecutionContext(clock, undefined, 'op', undefined), 10, (e) => ends.push(e));
    cancel();
    expect(clock.pending).toBe(0);
    expect(ends).toHaveLength(1);
  });

  it('an already-aborted scope ends the wait at once', () => {
    const ac = new AbortController();
    ac.abort('early');
    const ctx = new ExecutionContext(new VirtualClock(), { signal: ac.signal }, 'op', undefined);
    const ends: WaitEnd[] = [];
    waitFor(ctx, 10, (e) => ends.push(e));
    expect(ends).toEqual([{ aborted: true, reason: 'early' }]);
  });
});
