/**
 * Rules of the circuit breaker that the mutation run (issue #23) found unpinned: what a
 * call costs in clock reads when nothing needs its duration and nobody listens, on the
 * chain path (the breaker in a pipeline) and for a probe (no event is built either), and
 * that a breaker nobody listens to never touches the clock's timers.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';

const fail = (): never => {
  throw new Error('boom');
};

/** A virtual clock that counts its `now()` reads and its timer calls. */
function countingClock(inner = new VirtualClock()): Clock & { reads: number; timerCalls: number; inner: VirtualClock } {
  const c = {
    reads: 0,
    timerCalls: 0,
    inner,
    now() {
      c.reads++;
      return inner.now();
    },
    setTimeout(fn: () => void, ms: number) {
      c.timerCalls++;
      return inner.setTimeout(fn, ms);
    },
    clearTimeout(h: unknown) {
      c.timerCalls++;
      inner.clearTimeout(h);
    },
  };
  return c;
}

describe('circuitBreaker: costs when nothing needs a duration and nobody listens', () => {
  it('a closed-state call run through a pipeline reads no clock under the consecutive rule', async () => {
    const clock = countingClock();
    const breaker = circuitBreaker({ clock });
    const p = pipeline(breaker);
    for (let i = 0; i < 10; i++) await p.execute(() => i);
    for (let i = 0; i < 3; i++) await p.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed');
    expect(clock.reads).toBe(0);
  });

  it('a probe reads the clock once, when it is admitted, without a probe timeout or a slow-call rule', async () => {
    const clock = countingClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10, halfOpen: { probeTimeout: Number.POSITIVE_INFINITY } });
    await breaker.execute(fail).catch(() => {});
    await clock.inner.advance(10);
    const before = clock.reads;
    await expect(breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
    expect(clock.reads - before).toBe(1);
  });
});

describe('circuitBreaker: the recovery timer of a breaker nobody listens to', () => {
  it('is never set nor cleared: no setTimeout or clearTimeout through open, half-open, closed, isolated and reset', async () => {
    const clock = countingClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10 });
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open');
    await clock.inner.advance(10);
    await breaker.execute(() => 'probe');
    expect(breaker.state).toBe('closed');
    breaker.isolate();
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(clock.timerCalls).toBe(0);
  });
});
