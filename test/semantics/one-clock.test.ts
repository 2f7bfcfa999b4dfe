/**
 * Issue #15 item 2: one clock per pipeline, really. A policy that keeps time across calls
 * (a circuit breaker, a chaos fault, a retry with a budget) pins its clock, the system
 * clock when it was given none, and a pipeline refuses to run it on another clock instead
 * of silently mixing wall time and virtual time.
 */
import { describe, expect, it } from 'vitest';
import { faultInjection } from '../../src/chaos';
import {
  bulkhead,
  circuitBreaker,
  fallback,
  isBrokenCircuitError,
  pipeline,
  retry,
  retryBudget,
  systemClock,
  timeout,
  type Clock,
} from '../../src/index';
import { VirtualClock } from '../../src/testing';
import { refusal } from '../support/refusal';

describe('one clock per pipeline (issue #15 item 2)', () => {
  it('refuses a breaker built without a clock inside a pipeline on a virtual clock, naming the breaker', () => {
    const clock = new VirtualClock();
    const e = refusal(() => pipeline({ clock }, retry(), circuitBreaker({ name: 'gateway' })));
    expect(e.message).toContain("circuit-breaker 'gateway'");
    expect(e.message).toContain('system clock');
    expect(e.message).toContain('a pipeline runs on one clock');
  });

  it('refuses chaos faults and budgeted retries on the system clock in a virtual pipeline', () => {
    const clock = new VirtualClock();
    refusal(() => pipeline({ clock }, faultInjection({ name: 'boom', error: () => new Error('x') })));
    refusal(() => pipeline({ clock }, retry({ budget: retryBudget() })));
  });

  it('refuses the mix when the time-keeping policy sits in a nested pipeline', () => {
    const clock = new VirtualClock();
    const inner = pipeline(circuitBreaker());
    refusal(() => pipeline({ clock }, retry(), inner));
    refusal(() => pipeline(circuitBreaker({ clock }), inner));
  });

  it('a breaker given the pipeline clock half-opens on virtual time', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1_000 });
    const p = pipeline({ clock }, retry({ maxAttempts: 1 }), breaker);
    await expect(p.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(p.execute(() => 1)).rejects.toSatisfy(isBrokenCircuitError);
    await clock.advance(1_000);
    await expect(p.execute(() => 2)).resolves.toBe(2);
    expect(breaker.state).toBe('closed');
  });

  it('policies that only read the call clock follow the pipeline clock', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock }, fallback({ tiers: ['stale'] }), retry({ maxAttempts: 2, delay: 100, jitter: 'none' }), timeout(50), bulkhead({ maxConcurrent: 2 }));
    expect(p.clock).toBe(clock);
    let calls = 0;
    const call = p.execute(() => {
      calls++;
      return new Promise<string>(() => undefined);
    });
    await clock.advance(50);
    expect(calls).toBe(1);
    await clock.advance(100);
    expect(calls).toBe(2);
    await clock.advance(50);
    await expect(call).resolves.toBe('stale');
  });

  it('a pipeline without a clock adopts the clock its time-keeping policy pins', () => {
    const clock = new VirtualClock();
    expect(pipeline(retry(), circuitBreaker({ clock })).clock).toBe(clock);
    expect(pipeline(retry(), circuitBreaker()).clock).toBe(systemClock);
  });

  it('two default breakers agree, also when one comes from another copy of the package', () => {
    expect(() => pipeline(circuitBreaker(), circuitBreaker())).not.toThrow();
    // The CJS build has its own systemClock object; it carries the same brand.
    const otherCopy = Object.defineProperty({ ...systemClock }, Symbol.for('breakwater.systemClock'), { value: true }) as Clock;
    expect(() => pipeline(circuitBreaker(), circuitBreaker({ clock: otherCopy }))).not.toThrow();
  });
});
