/**
 * The aggregator on the real policies (retry, circuit breaker, timeout, bulkhead) on a
 * virtual clock: MTTR, MTBF, outcomes and live gauges come out exact.
 */
import { describe, expect, it } from 'vitest';
import { bulkhead } from '../bulkhead/index';
import { circuitBreaker } from '../circuit-breaker/index';
import { fallback } from '../fallback/index';
import { pipeline } from '../core/policy';
import { retry } from '../retry/index';
import { VirtualClock } from '../testing/virtual-clock';
import { timeout } from '../timeout/index';
import { createMetrics } from './aggregator';

describe('metrics on the real policies', () => {
  it('counts a scripted outage exactly', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock, failureThreshold: 2, recoveryTimeout: 10_000 });
    const pool = bulkhead({ name: 'pool', clock, maxConcurrent: 2, maxQueue: 0 });
    const payments = pipeline(
      { name: 'payments' },
      retry({ name: 'retry', clock, maxAttempts: 2, delay: 100, jitter: 'none' }),
      breaker,
      timeout({ duration: 1_000, clock }),
      pool,
    );
    const metrics = createMetrics({ clock, availabilityWindow: 60_000, availabilityBuckets: 60 });
    metrics.observe(payments);
    let failing = true;
    const call = async (): Promise<unknown> => {
      const p = payments.execute(() => (failing ? Promise.reject(new Error('down')) : 'ok'), { operation: 'charge' }).catch((e: unknown) => e);
      await clock.advance(0);
      await clock.advance(100);
      return p;
    };

    await call(); // t=0 attempt 1 fails, t=100 attempt 2 fails: opened at 100, give-up
    expect(breaker.state).toBe('open');
    await clock.advanceTo(5_000);
    await call(); // rejected by the open circuit
    await clock.advanceTo(10_100);
    failing = false;
    await call(); // half-open at 10 100, the probe succeeds: closed at 10 100
    expect(breaker.state).toBe('closed');
    await clock.advanceTo(20_000);
    failing = true;
    await call(); // opened again at 20 100
    await clock.advanceTo(30_000);
    breaker.isolate(); // manual transitions are heard too
    await clock.advanceTo(31_000);
    breaker.reset();

    // A call in flight shows in the bulkhead gauge.
    let release!: (v: string) => void;
    const inflight = payments.execute(() => new Promise<string>((r) => (release = r)), { operation: 'charge' });
    await clock.advance(0);
    expect(metrics.snapshot().bulkheads).toEqual([{ name: 'pool', active: 1, queued: 0, maxConcurrent: 2, maxQueue: 0 }]);
    release('ok');
    await inflight;

    const snap = metrics.snapshot();
    const b = snap.breakers.find((x) => x.name === 'gateway');
    expect(b?.state).toBe('closed');
    expect(b?.outages).toBe(2);
    expect(b?.mttr).toBe((10_000 + (31_000 - 20_100)) / 2);
    expect(b?.mtbf).toBe(20_100 - 100);
    expect(b?.recoveries).toBe(1);
    expect(b?.openings).toEqual({ failures: 2, isolated: 1 });
    expect(b?.timeInState.open).toBe(10_000 + (30_000 - 20_100));
    expect(b?.timeInState.isolated).toBe(1_000);
    const calls = snap.calls.find((c) => c.policy === 'payments' && c.operation === 'charge');
    expect(calls?.outcomes).toMatchObject({ success: 2, failure: 2, rejected: 1 });
    expect(calls?.rejections).toEqual({ 'circuit-open': 1 });
    expect(snap.retries[0]).toMatchObject({ policy: 'retry', retries: 2 });
    expect(metrics.snapshot().bulkheads[0]?.active).toBe(0);
    // Availability over the last 60 s (t = 31 s): every call so far.
    expect(calls?.availability).toBe(2 / 5);
    expect(metrics.toPrometheus()).toContain('resilience_circuit_mtbf_seconds{policy="gateway"} 20');
  });

  it('counts a fallback answer as a fallback outcome and as available', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ name: 'profile' }, fallback({ name: 'cache', tiers: ['cached'], clock }), retry({ clock, maxAttempts: 1 }));
    const metrics = createMetrics({ clock });
    metrics.observe(p);
    expect(await p.execute(() => Promise.reject(new Error('down')), { operation: 'profile.load' })).toBe('cached');
    expect(await p.execute(() => 'fresh', { operation: 'profile.load' })).toBe('fresh');
    const snap = metrics.snapshot();
    expect(snap.calls[0]?.outcomes).toMatchObject({ fallback: 1, success: 1, failure: 0 });
    expect(snap.calls[0]?.availability).toBe(1);
    expect(snap.fallbacks).toEqual([{ pipeline: 'profile', policy: 'cache', operation: 'profile.load', labels: {}, tiers: { '0': 1 }, exhausted: 0 }]);
  });
});
