/**
 * A property test of the shop under 1 000 random payment-gateway fault schedules
 * (failures, slow answers, hangs), each with random purchase arrivals, on a virtual
 * clock: the whole run takes a few seconds of real time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraries } from '../../src/testing/arbitraries';
import { VirtualClock, scriptedDependency, seededRandom, watchPipeline } from '../../src/testing/index';
import { PAYMENT_LIMITS, Shop, type ChargeRequest, type PaymentGateway, type PurchaseResult } from './shop';

/** Worst case of one purchase: every attempt times out, with the longest retry sleeps between. */
const WORST_CASE_MS = PAYMENT_LIMITS.attempts * PAYMENT_LIMITS.attemptTimeout + (PAYMENT_LIMITS.attempts - 1) * PAYMENT_LIMITS.maxRetryDelay;

describe('shop purchases under random gateway faults', () => {
  it('never lose, double-charge or hang a purchase (1 000 schedules)', async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(
        arbitraries.faultSchedule({ maxLength: 30, latency: fc.integer({ min: 1, max: 2_000 }) }),
        fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 10 }),
        fc.integer(),
        async (schedule, arrivals, seed) => {
          const clock = new VirtualClock();
          const dependency = scriptedDependency(schedule, clock);
          const calls: { readonly orderId: string; readonly call: number }[] = [];
          const gateway: PaymentGateway = {
            charge: (request: ChargeRequest, { signal }) => {
              calls.push({ orderId: request.orderId, call: dependency.calls + 1 });
              const call = dependency.calls + 1;
              return tracked(signal).then(() => ({ receiptId: `r-${call}` }));
            },
          };
          const shop = new Shop(gateway, { clock, random: seededRandom(seed) });
          const watch = watchPipeline(shop.payments);
          const tracked = watch.track(dependency);

          const results: { result: PurchaseResult | 'rejected'; start: number; end: number }[] = [];
          for (const [i, at] of arrivals.entries()) {
            clock.setTimeout(() => {
              const start = clock.now();
              shop.purchase(`player-${i}`, 499).then(
                (result) => results.push({ result, start, end: clock.now() }),
                () => results.push({ result: 'rejected', start, end: clock.now() }),
              );
            }, at);
          }
          await clock.runAll();

          // Every purchase settled, none rejected, none took longer than the worst case.
          expect(results).toHaveLength(arrivals.length);
          for (const r of results) {
            expect(r.result).not.toBe('rejected');
            expect(r.end - r.start).toBeLessThanOrEqual(WORST_CASE_MS);
          }
          const byOrder = new Map<string, PurchaseResult>();
          for (const r of results) if (r.result !== 'rejected') byOrder.set(r.result.orderId, r.result);
          for (const [orderId, result] of byOrder) {
            const own = calls.filter((c) => c.orderId === orderId);
            const paid = own.filter((c) => dependency.log[c.call - 1]?.outcome === 'ok');
            // Never charged twice, never more attempts than configured.
            expect(paid.length).toBeLessThanOrEqual(1);
            expect(own.length).toBeLessThanOrEqual(PAYMENT_LIMITS.attempts);
            if (result.status === 'completed') {
              // Completed exactly when the gateway took the money, with that receipt.
              expect(result.receiptId).toBe(`r-${paid[0]?.call}`);
              expect(shop.pendingOrders.some((o) => o.orderId === orderId)).toBe(false);
            } else {
              // Pending orders are queued for later and were not charged.
              expect(paid).toHaveLength(0);
              expect(shop.pendingOrders.filter((o) => o.orderId === orderId)).toHaveLength(1);
            }
          }
          // The policies kept their own promises (breaker probes, retry attempts).
          watch.check();
          watch.dispose();
        },
      ),
      { numRuns: 1_000 },
    );
    // Virtual time: 1 000 schedules of up to ten purchases take seconds, not hours.
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
