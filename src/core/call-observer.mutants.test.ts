/**
 * The end of a call's observation (core/call-observer.ts): once it ends, the call has no
 * observer any more, so another observer may watch it (a tracing policy inside a retry
 * observes each attempt's run anew) and the ended one hears none of its function's runs.
 */
import { describe, expect, it } from 'vitest';
import { callFunction } from './alone';
import { observeCall, observing, type CallObserver } from './call-observer';
import { systemClock } from './clock';
import { ExecutionContext } from './context';

/** An observer that records the attempts it saw under `name` in `log`. */
function recorder(name: string, log: string[]): CallObserver {
  return {
    event: () => {},
    attempt: (ctx, run) => {
      log.push(`${name} ${ctx.attempt}`);
      return run(ctx);
    },
  };
}

describe('observeCall', () => {
  it('once an observation ends, the call can be observed again, and only the new observer hears its runs', () => {
    const call = new ExecutionContext(systemClock, undefined, 'default', undefined);
    call.fn = () => 'value';
    const log: string[] = [];
    const stopFirst = observeCall(call, recorder('first', log));
    expect(stopFirst).toBeDefined();
    expect(observeCall(call, recorder('refused', log))).toBeUndefined();
    expect(callFunction(call)).toBe('value');
    stopFirst?.();
    expect(call.observer).toBeUndefined();
    expect(callFunction(call)).toBe('value');

    const stopSecond = observeCall(call, recorder('second', log));
    expect(stopSecond).toBeDefined();
    expect(callFunction(call.forAttempt(2))).toBe('value');
    stopFirst?.(); // a second end of the first observation leaves the second one in place
    expect(call.observer).toBeDefined();
    stopSecond?.();
    expect(log).toEqual(['first 1', 'second 2']);
    expect(observing()).toBe(false);
  });
});
