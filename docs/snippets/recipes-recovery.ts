// The "Retry queued work after recovery" recipe of docs/recipes.md. Type-checked by
// `npm test` and run by src/circuit-breaker/recovery-recipe.test.ts on the VirtualClock.
import { circuitBreaker, isBrokenCircuitError, pipeline, systemClock, timeout, type Clock } from '../../src/index';

export interface Purchase {
  readonly id: string;
  readonly playerId: string;
  readonly sku: string;
  /** Failed charges so far (a declined card must not block the queue for ever). */
  failures: number;
}
export interface PaymentGateway {
  charge(purchase: Purchase, opts: { signal: AbortSignal }): Promise<void>;
}

// --8<-- [start:recovery-queue]
export function createShop(gateway: PaymentGateway, clock: Clock = systemClock, maxFailures = 3) {
  const paymentBreaker = circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000, clock });
  const payments = pipeline({ name: 'payments', clock }, paymentBreaker, timeout({ duration: 2_000, clock }));
  const pending: Purchase[] = []; // accepted while the gateway was down: the player sees "pending"
  const failed: Purchase[] = []; // to refund or to show as failed
  let draining = false;

  const charge = (p: Purchase): Promise<void> =>
    payments.execute((ctx) => gateway.charge(p, { signal: ctx.signal }), { operation: 'shop.charge' });

  async function buy(p: Purchase): Promise<'charged' | 'pending'> {
    try {
      await charge(p);
      return 'charged';
    } catch (e) {
      if (!isBrokenCircuitError(e)) throw e;
      pending.push(p); // the breaker is open: keep the order, charge it after recovery
      return 'pending';
    }
  }

  // One at a time, while the breaker admits calls. After recovery the first charge is the
  // half-open probe: if it fails, the breaker opens again, the next charge is rejected,
  // and the rest waits for the next `half-opened`.
  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (pending.length > 0) {
        const p = pending.shift() as Purchase;
        try {
          await charge(p);
        } catch (e) {
          if (isBrokenCircuitError(e)) {
            pending.unshift(p); // not tried: still first in line
            return;
          }
          if (++p.failures < maxFailures) pending.push(p);
          else failed.push(p);
        }
      }
    } finally {
      draining = false;
    }
  }

  // `half-opened` comes when the recovery timeout elapses, even with no traffic: while it
  // has a listener, the breaker keeps one unref'd timer. `closed` covers a recovery that a
  // live call's probe made first. Never wait for `state === 'closed'` without calling: a
  // half-open breaker closes only when a probe succeeds.
  const subs = [paymentBreaker.on('half-opened', () => void drain()), paymentBreaker.on('closed', () => void drain())];
  const close = (): void => subs.forEach((s) => s.dispose());

  return { buy, pending, failed, breaker: paymentBreaker, close };
}
// --8<-- [end:recovery-queue]
