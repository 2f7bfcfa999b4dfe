/**
 * Pins rules of the execution context that the other tests leave loose:
 * - the `executed` event counts the attempts a retry made, also when the call allocated
 *   none of its rarely needed state before the second attempt (a retry inside a timeout),
 *   and the latest numbering wins: an inner retry that starts over at attempt 1 records 1;
 * - a timeout that opens the call's first scope makes it follow the caller's signal;
 * - a lone timeout narrows the deadline and `remaining()` of the view the function gets;
 * - a view reports `aborted` when its own scope (an expired timeout) or, with no scope at
 *   all, the caller's signal has aborted;
 * - with `abortOnSettle`, a signal handed out during the call aborts when it settles, with
 *   a `DOMException` `AbortError` "The call has settled" (a plain `Error` with the same
 *   message where `DOMException` does not exist); the call's flag reads back;
 * - the `executed` event's `fallback` and `injected` are true exactly when a fallback tier
 *   answered or a chaos fault was injected, whether or not the call made its rare state;
 *   the flags' setters also clear them;
 * - `currentContext()` is the outer call again after any number of nested synchronous calls.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChaosController } from '../chaos/guards';
import { faultInjection } from '../chaos/index';
import { fallback } from '../fallback/index';
import { retry } from '../retry/index';
import { VirtualClock } from '../testing/virtual-clock';
import { timeout } from '../timeout/index';
import { currentContext, ExecutionContext } from './context';
import type { ExecutedEvent } from './events';
import { pipeline } from './policy';

/** A retry that waits 10 ms (on `clock`) between attempts. */
function retrying(clock: VirtualClock, maxAttempts: number): ReturnType<typeof retry> {
  return retry({ maxAttempts, backoff: 'constant', delay: 10, jitter: 'none', clock });
}

describe('the attempt count of the executed event', () => {
  it('counts the second attempt of a retry inside a timeout (no rare state made before it)', async () => {
    const clock = new VirtualClock();
    const p = pipeline(timeout({ duration: 1_000, clock }), retrying(clock, 3));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    let runs = 0;
    const call = p.execute(() => {
      runs++;
      if (runs === 1) throw new Error('first');
      return 'ok';
    });
    await clock.advance(10);
    await expect(call).resolves.toBe('ok');
    expect(runs).toBe(2);
    expect(events.map((e) => e.attempts)).toEqual([2]);
  });

  it('counts the attempts of a lone retry', async () => {
    const clock = new VirtualClock();
    const p = pipeline(retrying(clock, 3));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    let runs = 0;
    const call = p.execute(() => {
      runs++;
      if (runs < 3) throw new Error('again');
      return 'ok';
    });
    await clock.advance(10);
    await clock.advance(10);
    await expect(call).resolves.toBe('ok');
    expect(events.map((e) => e.attempts)).toEqual([3]);
  });

  it('an inner retry that starts over at attempt 1 records 1 again', async () => {
    const clock = new VirtualClock();
    const p = pipeline(retrying(clock, 2), retrying(clock, 1));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    const attempts: number[] = [];
    const call = p.execute((ctx) => {
      attempts.push(ctx.attempt);
      if (attempts.length === 1) throw new Error('first');
      return 'ok';
    });
    await clock.advance(10);
    await expect(call).resolves.toBe('ok');
    expect(attempts).toEqual([1, 1]);
    expect(events.map((e) => e.attempts)).toEqual([1]);
  });
});

describe('cancellation scopes and deadlines', () => {
  it('the first scope a timeout opens follows the caller\'s signal', async () => {
    const clock = new VirtualClock();
    const p = pipeline(timeout({ duration: 1_000, clock }));
    const ac = new AbortController();
    let signal: AbortSignal | undefined;
    let release: (v: number) => void = () => undefined;
    const call = p.execute((ctx) => {
      signal = ctx.signal;
      return new Promise<number>((res) => {
        release = res;
      });
    }, { signal: ac.signal });
    const settled = call.catch(() => undefined);
    expect(signal?.aborted).toBe(false);
    ac.abort('stop');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe('stop');
    release(1);
    await settled;
  });

  it('a lone timeout narrows the deadline and remaining() of the function\'s view', async () => {
    const clock = new VirtualClock(1_000);
    const t = timeout({ duration: 100, clock });
    const seen = await t.execute((ctx) => [ctx.deadline, ctx.remaining()]);
    expect(seen).toEqual([1_100, 100]);
  });

  it('a view inside an expired timeout scope is aborted, and so is a view with no scope once the caller aborts', () => {
    const clock = new VirtualClock();
    const view = new ExecutionContext(clock, undefined, 'op', undefined).withScope(100);
    expect(view.aborted).toBe(false);
    view.scope.abort('expired');
    expect(view.aborted).toBe(true);

    const ac = new AbortController();
    const ctx = new ExecutionContext(clock, { signal: ac.signal }, 'op', undefined);
    expect(ctx.aborted).toBe(false);
    ac.abort('stop');
    expect(ctx.aborted).toBe(true);
  });
});

describe('abortOnSettle', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('aborts a signal handed out during the call once it settles, with an AbortError DOMException', async () => {
    const p = pipeline();
    let signal: AbortSignal | undefined;
    let flag: boolean | undefined;
    await p.execute((ctx) => {
      flag = ctx.abortOnSettle;
      signal = ctx.signal;
      return 1;
    }, { abortOnSettle: true });
    expect(flag).toBe(true);
    expect(signal?.aborted).toBe(true);
    const reason = signal?.reason as DOMException;
    expect(reason).toBeInstanceOf(DOMException);
    expect(reason.name).toBe('AbortError');
    expect(reason.message).toBe('The call has settled');
  });

  it('is off by default: the flag reads false and the signal stays live', async () => {
    const p = pipeline();
    let signal: AbortSignal | undefined;
    let flag: boolean | undefined;
    await p.execute((ctx) => {
      flag = ctx.abortOnSettle;
      signal = ctx.signal;
      return 1;
    });
    expect(flag).toBe(false);
    expect(signal?.aborted).toBe(false);
  });

  it('without DOMException the reason is an Error with the same message', async () => {
    vi.stubGlobal('DOMException', undefined);
    const p = pipeline();
    let signal: AbortSignal | undefined;
    await p.execute((ctx) => {
      signal = ctx.signal;
      return 1;
    }, { abortOnSettle: true });
    vi.unstubAllGlobals();
    expect(signal?.aborted).toBe(true);
    const reason = signal?.reason as Error;
    expect(reason).toBeInstanceOf(Error);
    expect(reason.message).toBe('The call has settled');
  });
});

describe('the fallback and injected flags of the executed event', () => {
  function armed(clock: VirtualClock): ReturnType<typeof createChaosController> {
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test' });
    return controller;
  }

  it('fallback is true when a tier answered, also for a call that made no rare state', async () => {
    const p = pipeline(fallback({ tiers: ['spare'] }));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    await expect(p.execute(() => { throw new Error('down'); })).resolves.toBe('spare');
    expect(events.map((e) => [e.fallback, e.injected])).toEqual([[true, false]]);
  });

  it('fallback and injected are false for a call that made its rare state but used neither', async () => {
    const p = pipeline(fallback({ tiers: ['spare'] }));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    await expect(p.execute((ctx) => { ctx.properties.seen = true; return 'real'; })).resolves.toBe('real');
    await expect(p.execute((ctx) => { void ctx.signal; return 'real'; })).resolves.toBe('real');
    expect(events.map((e) => [e.fallback, e.injected])).toEqual([[false, false], [false, false]]);
  });

  it('injected is true when a chaos fault was injected, also for a call that made no rare state', async () => {
    const clock = new VirtualClock();
    const p = pipeline(faultInjection({ controller: armed(clock), clock }));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    let ran = false;
    await expect(p.execute(() => { ran = true; return 'real'; })).rejects.toThrow();
    expect(ran).toBe(false);
    expect(events.map((e) => [e.fallback, e.injected])).toEqual([[false, true]]);
  });

  it('the flags\' setters clear them again', () => {
    const ctx = new ExecutionContext(new VirtualClock(), undefined, 'op', undefined);
    ctx.usedFallback = true;
    ctx.injected = true;
    ctx.abortOnSettle = true;
    expect([ctx.usedFallback, ctx.injected, ctx.abortOnSettle]).toEqual([true, true, true]);
    ctx.usedFallback = false;
    ctx.injected = false;
    ctx.abortOnSettle = false;
    expect([ctx.usedFallback, ctx.injected, ctx.abortOnSettle]).toEqual([false, false, false]);
  });
});

describe('currentContext() around nested calls', () => {
  it('is the outer call again after more nested synchronous calls than its holder lives', async () => {
    const p = pipeline();
    let after: ExecutionContext | undefined;
    let outerCtx: ExecutionContext | undefined;
    await p.execute((outer) => {
      outerCtx = outer;
      for (let i = 0; i < 300; i++) void p.execute(() => i);
      after = currentContext();
      return 1;
    });
    expect(outerCtx).toBeDefined();
    expect(after).toBe(outerCtx);
  });
});
