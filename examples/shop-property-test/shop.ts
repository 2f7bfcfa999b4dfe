/**
 * A small game-shop purchase service, as a user of breakwater would write it: a payment
 * gateway call behind retry, a circuit breaker and a timeout, with a fallback that queues
 * the order for later when the gateway cannot take it now.
 *
 * Its property test (shop.test.ts) runs it against 1 000 random gateway fault schedules
 * on a virtual clock.
 */
import { circuitBreaker, fallback, pipeline, retry, timeout, type Clock, type Random } from '../../src/index';

/** What the gateway returns for a successful charge. */
export interface Receipt {
  readonly receiptId: string;
}

/** A charge request. */
export interface ChargeRequest {
  readonly orderId: string;
  readonly playerId: string;
  readonly amountCents: number;
}

/** The payment gateway client the shop depends on. */
export interface PaymentGateway {
  charge(request: ChargeRequest, options: { readonly signal: AbortSignal }): Promise<Receipt>;
}

/** How a purchase ended. */
export type PurchaseResult =
  | { readonly status: 'completed'; readonly orderId: string; readonly receiptId: string }
  | { readonly status: 'pending'; readonly orderId: string };

/** Tuning of the shop's payment pipeline (ms). */
export const PAYMENT_LIMITS = {
  attempts: 3,
  attemptTimeout: 1_000,
  maxRetryDelay: 400,
} as const;

const QUEUED: unique symbol = Symbol('queued');

/** The shop. `clock` and `random` are injected so tests can run it in virtual time. */
export class Shop {
  /** Orders the gateway could not take; a background job charges them later. */
  readonly pendingOrders: ChargeRequest[] = [];
  /** The payment pipeline (exposed for monitoring and tests). */
  readonly payments;
  private nextOrder = 1;

  constructor(
    private readonly gateway: PaymentGateway,
    deps: { readonly clock: Clock; readonly random: Random },
  ) {
    const { clock, random } = deps;
    this.payments = pipeline(
      { name: 'payments' },
      fallback<Receipt | typeof QUEUED>({
        tiers: [
          (ctx) => {
            this.pendingOrders.push(ctx.properties['order'] as ChargeRequest);
            return QUEUED;
          },
        ],
      }),
      retry({ maxAttempts: PAYMENT_LIMITS.attempts, delay: 100, maxDelay: PAYMENT_LIMITS.maxRetryDelay, jitter: 'full', clock, random }),
      circuitBreaker({ name: 'payment-gateway', failureThreshold: 3, recoveryTimeout: 5_000, clock }),
      timeout({ duration: PAYMENT_LIMITS.attemptTimeout, clock }),
    );
  }

  /** Buys an item: charges the player, or queues the charge when the gateway is unavailable. */
  async purchase(playerId: string, amountCents: number): Promise<PurchaseResult> {
    const order: ChargeRequest = { orderId: `o-${this.nextOrder++}`, playerId, amountCents };
    const receipt = await this.payments.execute<Receipt | typeof QUEUED>((ctx) => this.gateway.charge(order, { signal: ctx.signal }), {
      operation: 'shop.purchase',
      properties: { order },
    });
    if (receipt === QUEUED) return { status: 'pending', orderId: order.orderId };
    return { status: 'completed', orderId: order.orderId, receiptId: receipt.receiptId };
  }
}
