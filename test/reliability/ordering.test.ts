/**
 * Ordering of events, under random fault schedules in the full pipeline on the
 * VirtualClock: events are emitted synchronously, in time order; a call's `executed` event
 * comes after every event of its own settle path and before its promise reactions run;
 * retry attempts count up from 1 and `give-up` comes once, after the last `retry`; a
 * fallback runs only after the inner policies gave up, tiers in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResilienceEvent } from '../../src/core/events';
import { pipeline } from '../../src/core/policy';
import { retry } from '../../src/retry/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { fallback } from '../../src/fallback/index';
import { createChaosController, faultInjection, latencyInjection } from '../../src/chaos/index';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { seededRandom } from '../../src/testing/seeded-random';
import { depStepArb, macrotask, scheduledDependency, trapUnhandledRejections } from './support';

const unhandled = trapUnhandledRejections();
const RUNS = Number(process.env['RELIABILITY_RUNS'] ?? 1000);

type Logged = { readonly event: ResilienceEvent & Record<string, unknown>; readonly seq: number };

describe('event ordering in the full pipeline', () => {
  it('is causal and time-ordered for every call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(depStepArb(100), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 10 }),
        fc.integer(),
        fc.integer({ min: 1, max: 4 }),
        async (steps, starts, seed, maxAttempts) => {
          const clock = new VirtualClock();
          const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
          controller.arm({ environment: 'test' });
          const random = seededRandom(seed);
          const p = pipeline(
            { name: 'ordered' },
            fallback<unknown>({ clock, tiers: [() => Promise.reject(new Error('tier 0')), 'tier 1'] }),
            retry({ clock, random, maxAttempts, delay: 10 }),
            circuitBreaker({ clock, failureThreshold: 3, recoveryTimeout: 50 }),
            timeout({ clock, duration: 80 }),
            bulkhead({ clock, maxConcurrent: 2, maxQueue: 3 }),
            latencyInjection({ clock, controller, random, rate: 0.3, latency: 30 }),
            faultInjection({ clock, controller, random, rate: 0.2 }),
          );
          let seq = 0;
          const log: Logged[] = [];
          let lastTime = -Infinity;
          const bad: string[] = [];
          p.onEvent((e) => {
            if (e.time < lastTime) bad.push(`event ${e.kind}/${e.type} at ${e.time} after one at ${lastTime}`);
            if (e.time !== clock.now()) bad.push(`event ${e.kind}/${e.type} stamped ${e.time} at ${clock.now()}`);
            lastTime = e.time;
            log.push({ event: e as ResilienceEvent & Record<string, unknown>, seq: seq++ });
          });
          const dep = scheduledDependency(steps, clock);
          const settledAt = new Map<string, number>();
          for (const [i, at] of starts.entries()) {
            const op = `call-${i}`;
            clock.setTimeout(() => {
              const mark = (): void => {
                settledAt.set(op, seq);
                const mine = log.filter((l) => l.event.operation === op);
                const last = mine[mine.length - 1];
                if (last?.event.type !== 'executed') bad.push(`${op}: promise settled before its executed event`);
              };
              p.execute(dep.fn, { operation: op }).then(mark, mark);
            }, at);
          }
          await clock.runAll();
          await macrotask();
          expect(settledAt.size).toBe(starts.length);
          for (const [i] of starts.entries()) {
            const op = `call-${i}`;
            const mine = log.filter((l) => l.event.operation === op).map((l) => l.event);
            const executed = mine.filter((e) => e.type === 'executed');
            expect(executed).toHaveLength(1);
            const upTo = mine.slice(0, mine.indexOf(executed[0] as (typeof mine)[number]) + 1);
            // Retry: attempts 1, 2, … then at most one give-up, after every retry of the call.
            const retries = upTo.filter((e) => e.kind === 'retry' && e.type === 'retry').map((e) => e['attempt']);
            expect(retries).toEqual(retries.map((_, k) => k + 1));
            expect(retries.length).toBeLessThan(maxAttempts);
            const giveUps = upTo.filter((e) => e.type === 'give-up');
            expect(giveUps.length).toBeLessThanOrEqual(1);
            if (giveUps.length === 1) {
              const lastRetry = upTo.map((e) => e.type).lastIndexOf('retry');
              expect(upTo.indexOf(giveUps[0] as (typeof mine)[number])).toBeGreaterThan(lastRetry);
            }
            // Nothing of the call's own policies after it settled (late work it abandoned is silent).
            expect(mine.slice(upTo.length).map((e) => `${e.kind}/${e.type}`)).toEqual([]);
            // Fallback: only after the retry layer is done with the call; tiers in order.
            const tiers = upTo.filter((e) => e.kind === 'fallback' && e.type === 'fallback');
            expect(tiers.map((e) => e['tier'])).toEqual(tiers.map((_, k) => k));
            if (tiers.length > 0) {
              const firstTier = upTo.indexOf(tiers[0] as (typeof mine)[number]);
              expect(upTo.slice(firstTier).some((e) => e.kind === 'retry' || e.kind === 'circuit-breaker' || e.kind === 'timeout')).toBe(false);
            }
            expect(executed[0]?.['attempts']).toBeLessThanOrEqual(maxAttempts);
          }
          expect(bad).toEqual([]);
          expect(unhandled.take()).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
