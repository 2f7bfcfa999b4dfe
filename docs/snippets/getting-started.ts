// Examples of docs/getting-started.md. Type-checked by `npm test`; every ts block of the page is copied from here.
import { createServer } from 'node:http';
import {
  bulkhead,
  circuitBreaker,
  fallback,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isTimeoutError,
  pipeline,
  retry,
  timeout,
} from '../../src/index';
import { createMetrics, createMetricsHandler } from '../../src/metrics/index';
import { chaos, paymentGatewayDown } from '../../src/chaos/index';
import { VirtualClock } from '../../src/testing/index';

interface Entry {
  readonly player: string;
  readonly score: number;
}
interface Receipt {
  readonly id: string;
  readonly pending?: boolean;
}
declare const leaderboardApi: { top(region: string, opts: { signal: AbortSignal }): Promise<Entry[]> };
declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const log: { info(message: string): void; warn(message: string): void };
declare function queueForLater(orderId: string): Receipt;

// --8<-- [start:first-pipeline]
// A read that may fail now and then: try up to 3 times, never wait more than 500 ms per try.
const leaderboard = pipeline(
  { name: 'leaderboard' },
  retry({ maxAttempts: 3, delay: 100, jitter: 'full' }),
  timeout(500),
);

export function topScores(region: string): Promise<Entry[]> {
  // ctx.signal aborts when the timeout expires: pass it on so the request really stops.
  return leaderboard.execute((ctx) => leaderboardApi.top(region, { signal: ctx.signal }), {
    operation: 'leaderboard.top',
  });
}
// --8<-- [end:first-pipeline]

// --8<-- [start:full-pipeline]
const payments = pipeline(
  { name: 'payments' },
  // 5. all else failed: accept the order and charge it later
  fallback<Receipt>({ tiers: [(ctx) => queueForLater(String(ctx.properties['orderId']))] }),
  // 4. transient failures get two more tries, with exponential backoff and jitter
  retry({ maxAttempts: 3, delay: 200, maxDelay: 2_000 }),
  // 3. after 5 failures in a row, stop calling the gateway for 30 s
  circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  // 2. one attempt may take 2 s at most
  timeout(2_000),
  // 1. at most 32 charges in flight, 64 waiting
  bulkhead({ maxConcurrent: 32, maxQueue: 64 }),
);

export function charge(orderId: string): Promise<Receipt> {
  return payments.execute((ctx) => gateway.charge(orderId, { signal: ctx.signal }), {
    operation: 'payment.charge',
    properties: { orderId },
  });
}
// --8<-- [end:full-pipeline]

// --8<-- [start:errors]
export async function chargeOrExplain(orderId: string): Promise<string> {
  try {
    const receipt = await charge(orderId);
    return receipt.pending === true ? 'accepted, will be charged shortly' : `charged: ${receipt.id}`;
  } catch (error) {
    if (isBrokenCircuitError(error)) return `payments are down, try again in ${Math.ceil(error.retryAfter / 1000)} s`;
    if (isBulkheadRejectedError(error)) return 'too busy right now, try again';
    if (isTimeoutError(error)) return 'the payment provider is slow, try again';
    throw error; // anything else is a bug: let it surface
  }
}
// --8<-- [end:errors]

// --8<-- [start:events]
// Every event of every policy of the pipeline, with the policy's name and the operation.
const all = payments.onEvent((event) => log.info(`[${event.policy}] ${event.type} ${event.operation}`));

// Or one kind of event, fully typed.
const breakerWatch = payments.on('opened', (e) => log.warn(`${e.policy} opened (${e.reason}); retry in ${e.retryAfter} ms`));
const retries = payments.on('retry', (e) => log.info(`attempt ${e.attempt} failed, next in ${Math.round(e.delay)} ms`));

// Listeners cost nothing when there are none; dispose of them when you are done.
export function stopListening(): void {
  all.dispose();
  breakerWatch.dispose();
  retries.dispose();
}
// --8<-- [end:events]

// --8<-- [start:metrics]
const metrics = createMetrics();
metrics.observe(payments);
metrics.observe(leaderboard);

const serveMetrics = createMetricsHandler(metrics);
createServer((req, res) => {
  if (req.url === '/metrics') serveMetrics(req, res);
  else res.writeHead(404).end();
}).listen(9464, '127.0.0.1');
// --8<-- [end:metrics]

// --8<-- [start:metrics-read]
export function report(): void {
  for (const call of metrics.snapshot().calls) {
    log.info(`${call.operation}: availability ${call.availability}, p99 ${call.duration.p99} ms`);
  }
}
// --8<-- [end:metrics-read]

// --8<-- [start:chaos]
// Faults go innermost. They do nothing unless the process runs with BREAKWATER_CHAOS=1
// and the code arms chaos for a named, non-production environment.
const gatewayDown = paymentGatewayDown({ rate: 0.5 });
const rehearsal = pipeline(
  { name: 'payments-rehearsal' },
  fallback<Receipt>({ tiers: [{ id: 'pending', pending: true }] }),
  retry({ maxAttempts: 3, delay: 200 }),
  circuitBreaker({ name: 'payment-gateway-rehearsal', failureThreshold: 5 }),
  timeout(2_000),
  gatewayDown,
);

export async function rehearse(): Promise<void> {
  const status = chaos.arm({ environment: 'staging', maxDuration: 10 * 60_000 });
  if (!status.armed) log.info(`chaos is off: ${status.reason}`);
  const receipt = await rehearsal.execute((ctx) => gateway.charge('order-1', { signal: ctx.signal }));
  log.info(`${receipt.id} after ${gatewayDown.injections} injected failure(s)`);
  chaos.halt('rehearsal over'); // the kill switch: synchronous, global
}
// --8<-- [end:chaos]

// --8<-- [start:testing]
export async function retriesWithoutWaiting(): Promise<number> {
  const clock = new VirtualClock();
  let calls = 0;
  const policy = retry({ clock, maxAttempts: 3, delay: 1_000, jitter: 'none' });
  const result = policy.execute(() => {
    calls++;
    if (calls < 3) throw new Error('flaky');
    return calls;
  });
  await clock.runAll(); // 1 s + 2 s of backoff pass in no time
  return result; // 3
}
// --8<-- [end:testing]
