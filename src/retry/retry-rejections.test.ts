/**
 * Issue #15 item 1: a retry never retries an execution rejection (an open circuit, a full
 * bulkhead) unless `retryRejections: true`, whatever a custom `handle` says; and the
 * rejection's `retryAfter` pushback is honoured only under that opt-in.
 */
import { describe, expect, it, vi } from 'vitest';
import { bulkhead } from '../bulkhead/bulkhead';
import { circuitBreaker } from '../circuit-breaker/circuit-breaker';
import { isBrokenCircuitError, isBulkheadRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import type { RetryEvent } from './events';
import { retry, type RetryPolicy } from './retry';

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
const isServerSide = (e: unknown): boolean => !(e instanceof HttpError) || e.status >= 500;

function record(p: RetryPolicy): RetryEvent[] {
  const events: RetryEvent[] = [];
  p.onEvent((e) => {
    if (e.kind === 'retry') events.push(e as RetryEvent);
  });
  return events;
}

/** An open breaker on `clock` (tripped by one direct failure), with `recoveryTimeout` ms. */
function openBreaker(clock: VirtualClock, recoveryTimeout = 1_000) {
  const breaker = circuitBreaker({ name: 'profile-api', clock, failureThreshold: 1, recoveryTimeout, handle: isServerSide });
  return breaker.execute(() => Promise.reject(new HttpError(503))).then(
    () => {
      throw new Error('expected the trip call to fail');
    },
    () => {
      expect(breaker.state).toBe('open');
      return breaker;
    },
  );
}

describe('retry and execution rejections (#15 item 1)', () => {
  it('a custom handle does not retry an open circuit: zero calls, zero retries, no sleep', async () => {
    const clock = new VirtualClock();
    const breaker = await openBreaker(clock);
    const r = retry({ clock, maxAttempts: 3, handle: isServerSide });
    const events = record(r);
    const fn = vi.fn(() => 'profile');
    const started = clock.now();
    const error = await pipeline(r, breaker)
      .execute(fn)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(fn).not.toHaveBeenCalled();
    expect(events).toEqual([]); // no `retry`, and no `give-up` either: retry never considered it
    expect(clock.now()).toBe(started); // failed without sleeping
    expect(clock.pending).toBe(0);
  });

  it('a custom handle does not retry a full bulkhead', async () => {
    const clock = new VirtualClock();
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 0, clock });
    let release: () => void = () => undefined;
    const holder = pool.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const r = retry({ clock, maxAttempts: 3, handle: (e) => e instanceof Error });
    const events = record(r);
    const fn = vi.fn(() => 'ok');
    const error = await pipeline(r, pool)
      .execute(fn)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect(fn).not.toHaveBeenCalled();
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
    release();
    await holder;
  });

  it('a retry rejected by the breaker it just opened gives up with reason "rejected"', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 60_000 });
    const r = retry({ clock, maxAttempts: 5, delay: 10, jitter: 'none', handle: isServerSide });
    const events = record(r);
    const fn = vi.fn(() => Promise.reject(new HttpError(503)));
    const p = pipeline(r, breaker).execute(fn);
    const settled = p.catch((e: unknown) => e);
    await clock.runAll();
    expect(isBrokenCircuitError(await settled)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events.map((e) => e.type)).toEqual(['retry', 'give-up']);
    expect(events[1]).toMatchObject({ attempts: 2, reason: 'rejected' });
  });

  it('retryRejections: true retries an open circuit after its retryAfter, then the probe runs', async () => {
    const clock = new VirtualClock();
    const breaker = await openBreaker(clock, 1_000);
    await clock.advance(300); // 700 ms left until a probe is admitted
    const r = retry({ clock, maxAttempts: 3, delay: 10, jitter: 'none', handle: isServerSide, retryRejections: true });
    const events = record(r);
    const calls: number[] = [];
    const p = pipeline(r, breaker).execute(() => {
      calls.push(clock.now());
      return 'profile';
    });
    await clock.runAll();
    await expect(p).resolves.toBe('profile');
    expect(events).toMatchObject([{ type: 'retry', attempt: 1, delay: 700 }]);
    expect(isBrokenCircuitError((events[0] as { error?: unknown } | undefined)?.error)).toBe(true);
    expect(calls).toEqual([1_000]); // not 10 ms after the rejection (the backoff), but when the breaker half-opened
    expect(breaker.state).toBe('closed');
  });

  it('retryRejections: true gives up at once on a pushback above maxDelay (an isolated breaker)', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock });
    breaker.isolate();
    const r = retry({ clock, maxAttempts: 3, maxDelay: 5_000, retryRejections: true });
    const events = record(r);
    const fn = vi.fn(() => 'x');
    await expect(pipeline(r, breaker).execute(fn)).rejects.toSatisfy(isBrokenCircuitError);
    expect(fn).not.toHaveBeenCalled();
    expect(events).toMatchObject([{ type: 'give-up', attempts: 1, reason: 'not-handled' }]);
    expect(clock.pending).toBe(0);
  });

  it('a rejection pushback is not used without the opt-in, even by a retryAfter that would read it', async () => {
    const clock = new VirtualClock();
    const breaker = await openBreaker(clock, 1_000);
    const retryAfter = vi.fn((e: unknown) => (isBrokenCircuitError(e) ? e.retryAfter : undefined));
    const r = retry({ clock, handle: () => true, retryAfter });
    await expect(pipeline(r, breaker).execute(() => 'x')).rejects.toSatisfy(isBrokenCircuitError);
    expect(retryAfter).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
  });

  it('retryRejections must be a boolean', () => {
    expect(() => retry({ retryRejections: 'yes' as never })).toThrow(/`retryRejections`.*a boolean.*"yes"|`retryRejections`/);
  });
});
