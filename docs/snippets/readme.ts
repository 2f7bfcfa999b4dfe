// Quick start, as shown in README.md. Type-checked by `npm test`.
import { bulkhead, circuitBreaker, fallback, isBrokenCircuitError, pipeline, retry, timeout } from '../../src/index';

interface Receipt {
  readonly id: string;
  readonly queued?: boolean;
}
declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const backupGateway: { charge(orderId: string): Promise<Receipt> };

// --8<-- [start:quick-start]
const payments = pipeline(
  { name: 'payments' },
  fallback<Receipt>({ tiers: [() => backupGateway.charge('order-1'), { id: 'pending', queued: true }] }),
  retry({ maxAttempts: 3, delay: 200, maxDelay: 2_000, jitter: 'full' }),
  circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  timeout(2_000),
  bulkhead({ maxConcurrent: 32, maxQueue: 64 }),
);

payments.onEvent((event) => console.log(`[${event.policy}] ${event.type}`));

export async function charge(orderId: string): Promise<Receipt> {
  try {
    return await payments.execute((ctx) => gateway.charge(orderId, { signal: ctx.signal }), {
      operation: 'payment.charge',
    });
  } catch (error) {
    if (isBrokenCircuitError(error)) console.warn(`gateway down, retry in ${error.retryAfter} ms`);
    throw error;
  }
}
// --8<-- [end:quick-start]
