/**
 * Leaks, in process and on the VirtualClock: 100 000 calls through every policy leave no
 * timer (VirtualClock and timer service), no listener on a long-lived caller signal, and
 * no growth in internal maps (bulkhead partitions, breaker probes, lastKnownGood entries,
 * metrics series) beyond their documented caps. The heap check after a global GC runs in
 * a child process (see heap.test in exit.test.ts, which needs `node --expose-gc`).
 */
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/core/policy';
import type { ExecutionContext } from '../../src/core/context';
import { timerServiceFor } from '../../src/core/timer-service';
import { retry, retryBudget } from '../../src/retry/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { fallback, lastKnownGood } from '../../src/fallback/index';
import { createChaosController, faultInjection, hang, latencyInjection } from '../../src/chaos/index';
import { createMetrics } from '../../src/metrics/index';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { seededRandom } from '../../src/testing/seeded-random';
import { CountingController, DependencyError, macrotask, trapUnhandledRejections } from './support';

const unhandled = trapUnhandledRejections();
const CALLS = Number(process.env['RELIABILITY_LEAK_CALLS'] ?? 100_000);

describe('100 000 calls through every policy on the VirtualClock', () => {
  it('leave no timer, no listener and no map beyond its cap', async () => {
    const clock = new VirtualClock();
    const random = seededRandom(42);
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test', maxDuration: 10 * 60_000 });
    const metrics = createMetrics({ clock, maxOperations: 50, maxLabelSets: 50, labelKeys: ['tenant'] });
    const budget = retryBudget({ clock, ratio: 0.5, minPerSecond: 10 });
    const lkg = lastKnownGood({ maxAge: 5_000, maxEntries: 100 });
    const breaker = circuitBreaker({
      clock,
      window: { kind: 'time', duration: 1_000, buckets: 10 },
      minimumThroughput: 20,
      failureRateThreshold: 0.9,
      recoveryTimeout: 50,
      halfOpen: { maxProbes: 2 },
    });
    const partitions = bulkhead.partitioned({ clock, maxConcurrent: 8, maxQueue: 50, queueTimeout: 40, key: (ctx) => ctx.labels['tenant'] ?? 'none' });
    const p = pipeline(
      { name: 'leaks' },
      fallback<unknown>({ clock, tiers: [lkg, 'default'] }),
      retry({ clock, random, maxAttempts: 3, delay: 1, maxDelay: 5, budget }),
      breaker,
      timeout({ clock, duration: 60_000 }), // never fires: its entries must all be cancelled
      timeout({ clock, duration: 30 }),
      partitions,
      latencyInjection({ clock, controller, random, rate: 0.05, latency: 3 }),
      hang({ clock, controller, random, rate: 0.002 }),
      faultInjection({ clock, controller, random, rate: 0.05 }),
    );
    metrics.observe(p);
    let events = 0;
    const sub = p.onEvent(() => events++);

    // One long-lived signal shared by every call (a server's shutdown signal), plus a
    // per-call one for some calls: neither may keep a listener after its call.
    const shutdown = new CountingController();
    const perCall: CountingController[] = [];
    const dep = (ctx: ExecutionContext): unknown => {
      const r = random();
      if (r < 0.02) return ctx.signal.aborted ? 'aborted' : 'read the signal';
      if (r < 0.1) throw new DependencyError(0);
      if (r < 0.2) return Promise.reject(new DependencyError(0));
      if (r < 0.25) return new Promise((resolve) => clock.setTimeout(() => resolve('slow'), 2));
      return r < 0.6 ? 'sync' : Promise.resolve('async');
    };
    let settled = 0;
    let ok = 0;
    const BATCH = 2_000;
    for (let start = 0; start < CALLS; start += BATCH) {
      for (let i = start; i < Math.min(CALLS, start + BATCH); i++) {
        let signal: AbortSignal = shutdown.signal;
        if (i % 50 === 0) {
          const c = new CountingController();
          perCall.push(c);
          signal = c.signal;
          if (i % 100 === 0) clock.setTimeout(() => c.abort(new Error('caller gave up')), 1);
        }
        p.execute(dep, { signal, operation: `op-${i % 500}`, labels: { tenant: `t${i % 300}` } }).then(
          () => {
            settled++;
            ok++;
          },
          () => settled++,
        );
      }
      await clock.runAll();
      await macrotask();
      expect(shutdown.listeners).toBe(0);
    }
    sub.dispose();

    expect(settled).toBe(CALLS);
    expect(ok).toBeGreaterThan(CALLS / 2);
    expect(events).toBeGreaterThan(0);
    expect(clock.pending).toBe(0);
    expect(timerServiceFor(clock).pending).toBe(0);
    expect(shutdown.listeners).toBe(0);
    expect(shutdown.added).toBeGreaterThan(0); // the check above could fail: calls did subscribe
    for (const c of perCall) expect(c.listeners).toBe(0);
    expect(partitions.stats).toMatchObject({ active: 0, queued: 0, partitions: 0 });
    expect(breaker.stats.activeProbes).toBe(0);
    expect(lkg.size).toBeLessThanOrEqual(100);
    const snap = metrics.snapshot();
    // 50 operations + the `_other` series, per executing policy.
    expect(snap.calls.length).toBeLessThanOrEqual(51 * 51);
    expect(snap.dropped.operations).toBeGreaterThan(0);
    const total = snap.calls.reduce((n, s) => n + s.total, 0);
    expect(total).toBe(CALLS);
    expect(unhandled.take()).toEqual([]);
  }, 60_000);

  it('a long-lived caller signal keeps no listener across calls that read ctx.signal (control: the counter works)', async () => {
    const clock = new VirtualClock();
    const t = timeout({ clock, duration: 100 });
    const c = new CountingController();
    let during = -1;
    const done = t.execute(
      async (ctx) => {
        void ctx.signal;
        during = c.listeners;
        await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 10));
      },
      { signal: c.signal },
    );
    await clock.runAll();
    await done;
    expect(during).toBe(1);
    expect(c.listeners).toBe(0);
  });
});
