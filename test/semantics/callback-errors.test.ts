/**
 * Issue #21: one rule for errors thrown by user callbacks — reported through one documented
 * hook (`onCallbackError`), never silently swallowed, never breaking the call.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { behaviorInjection, createChaosController, faultInjection } from '../../src/chaos';
import { circuitBreaker, fallback, lastKnownGood, onCallbackError, pipeline, retry, type Subscription } from '../../src/index';

const subs: Subscription[] = [];
afterEach(() => {
  for (const s of subs.splice(0)) s.dispose();
  vi.restoreAllMocks();
});

function collect(): [unknown, string][] {
  const got: [unknown, string][] = [];
  subs.push(onCallbackError((error, source) => got.push([error, source])));
  return got;
}

describe('errors thrown by user callbacks', () => {
  it('a throwing handle or handleResult answers "no" and is reported, not swallowed', async () => {
    const got = collect();
    const boom = new Error('bad predicate');
    const p = pipeline(retry({ maxAttempts: 3, delay: 0, handle: () => { throw boom; } }));
    await expect(p.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const q = circuitBreaker({ handleResult: () => { throw boom; } });
    await expect(q.execute(() => 7)).resolves.toBe(7);
    expect(got).toEqual([
      [boom, 'handle'],
      [boom, 'handleResult'],
    ]);
  });

  it('a throwing event listener and a throwing lastKnownGood key are reported with their source', async () => {
    const got = collect();
    const p = pipeline(fallback({ tiers: [lastKnownGood({ maxAge: 1_000, key: () => { throw new Error('key'); } })] }));
    p.on('executed', () => {
      throw new Error('listener');
    });
    await expect(p.execute(() => 1)).resolves.toBe(1);
    expect(got.map(([e, s]) => `${s}: ${(e as Error).message}`)).toEqual(['lastKnownGood key: key', 'an event listener: listener']);
  });

  it('goes to console.error when no handler is registered, and a throwing handler is ignored', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const p = retry({ maxAttempts: 1, handle: () => { throw new Error('x'); } });
    await p.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]?.[0])).toContain('handle threw');
    spy.mockClear();
    subs.push(onCallbackError(() => { throw new Error('handler fails'); }));
    await p.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(spy).not.toHaveBeenCalled();
  });

  it('chaos: a throwing decision callback means "do not inject", and a throwing behavior never breaks the call; both are reported', async () => {
    const got = collect();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' } });
    controller.arm({ environment: 'test' });
    const broken = faultInjection({ name: 'broken-when', controller, when: () => { throw new Error('when'); } });
    await expect(broken.execute(() => 'untouched')).resolves.toBe('untouched');
    const side = behaviorInjection({ name: 'side', controller, behavior: () => { throw new Error('behavior'); } });
    await expect(side.execute(() => 'still runs')).resolves.toBe('still runs');
    expect(got.map(([e, s]) => `${s}: ${(e as Error).message}`)).toEqual([
      'fault "broken-when" decision (rate, when, cohort, target or random): when',
      'behaviorInjection "side" behavior: behavior',
    ]);
    controller.disarm();
  });

  it('validates its argument', () => {
    expect(() => onCallbackError(42 as never)).toThrow(/expects a function/);
  });
});
