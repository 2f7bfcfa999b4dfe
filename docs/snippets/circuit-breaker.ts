// The circuit breaker, as shown in docs/circuit-breaker.md. Type-checked by `npm test`.
import { circuitBreaker, CircuitBreakerEvents, type CircuitBreakerSnapshot } from '../../src/circuit-breaker/index';
import { isBrokenCircuitError, pipeline } from '../../src/index';
import { retry } from '../../src/retry/index';
import { timeout } from '../../src/timeout/index';

interface Order {
  readonly id: string;
}
interface ChargeResponse {
  readonly status: number;
  readonly receipt?: string;
}
declare const gateway: { charge(order: Order, opts: { signal: AbortSignal }): Promise<ChargeResponse> };
declare const store: { get(key: string): Promise<string | null>; set(key: string, value: string): Promise<void> };
declare const log: { warn(message: string): void; info(message: string): void };
declare function queueForLater(order: Order, retryAfterMs: number): Promise<ChargeResponse>;
declare const order: Order;
declare const app: { get(path: string, handler: () => unknown): void };

// --8<-- [start:quick-start]
const breaker = circuitBreaker({
  name: 'payment-gateway',
  failureThreshold: 5, // open after 5 failures in a row
  recoveryTimeout: 30_000, // stay open 30 s, then let one probe through
  handleResult: (res: ChargeResponse) => res.status >= 500, // a 5xx answer is a failure too
});

async function charge(o: Order): Promise<ChargeResponse> {
  try {
    return await breaker.execute((ctx) => gateway.charge(o, { signal: ctx.signal }));
  } catch (e) {
    if (isBrokenCircuitError(e)) return queueForLater(o, e.retryAfter); // rejected without calling
    throw e;
  }
}
// --8<-- [end:quick-start]

// --8<-- [start:count-window]
const byCount = circuitBreaker({
  name: 'leaderboard-db',
  window: { kind: 'count', size: 50 }, // the last 50 calls
  minimumThroughput: 20, // judge nothing before 20 calls are in the window
  failureRateThreshold: 0.5, // open when ≥ 50 % of them failed
});
// --8<-- [end:count-window]

// --8<-- [start:time-window]
const byTime = circuitBreaker({
  name: 'leaderboard-db',
  window: { kind: 'time', duration: 10_000, buckets: 10 }, // the last ~10 s, in 1 s buckets
  minimumThroughput: 20,
  failureRateThreshold: 0.5,
  slowCallDuration: 800, // a call taking ≥ 800 ms is slow (even when it succeeds)
  slowCallRateThreshold: 0.8, // open when ≥ 80 % of the calls in the window were slow
});
// --8<-- [end:time-window]

// --8<-- [start:half-open]
const careful = circuitBreaker({
  name: 'matchmaking',
  failureThreshold: 3,
  recoveryTimeout: 10_000,
  halfOpen: {
    maxProbes: 2, // two trial calls at once; the rest are rejected, not queued
    successThreshold: 3, // three successful trials close the breaker
    probeTimeout: 5_000, // a trial still running after 5 s gives its permit back
  },
});
// --8<-- [end:half-open]

// --8<-- [start:growing-recovery]
const backingOff = circuitBreaker({
  name: 'social-login',
  // 5 s after the first open, then 10 s, 20 s, 40 s… capped at 2 min while probes keep failing.
  recoveryTimeout: (consecutiveOpens) => Math.min(5_000 * 2 ** (consecutiveOpens - 1), 120_000),
});
// --8<-- [end:growing-recovery]

// --8<-- [start:pipeline]
const payments = pipeline(
  { name: 'payments' },
  retry({ maxAttempts: 3, delay: 200 }), // does not retry BrokenCircuitError by default
  circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  timeout(2_000), // inside the breaker: a hung call becomes a counted failure
);
await payments.execute((ctx) => gateway.charge(order, { signal: ctx.signal }), { operation: 'payment.charge' });
// --8<-- [end:pipeline]

// --8<-- [start:events]
breaker.on(CircuitBreakerEvents.opened, (e) => log.warn(`${e.policy} opened (${e.reason}), next probe in ${e.retryAfter} ms`));
breaker.on(CircuitBreakerEvents.halfOpened, (e) => log.info(`${e.policy} is probing`));
breaker.on(CircuitBreakerEvents.closed, (e) => log.info(`${e.policy} closed (${e.reason})`));
breaker.on(CircuitBreakerEvents.failure, (e) => {
  if (e.slow) log.warn(`slow failure: ${e.duration} ms`);
});
// --8<-- [end:events]

// --8<-- [start:on-time]
// A listener of `half-opened`: while the breaker is open it keeps one unref'd timer, so this
// runs when the recovery timeout elapses, even if no call comes.
const probing = breaker.on(CircuitBreakerEvents.halfOpened, () => log.info('payments: the gateway may be back'));

// Reading never changes the breaker: 'half-open' as soon as it is due, before any call.
app.get('/health/payments', () => ({ state: breaker.state, failureRate: breaker.stats.failureRate }));

probing.dispose(); // the last listener is gone: so is the timer
// --8<-- [end:on-time]

// --8<-- [start:manual]
breaker.isolate(); // maintenance: reject everything (retryAfter = Infinity) until reset()
console.log(breaker.state); // 'isolated'
breaker.reset(); // closed again, counts cleared
console.log(breaker.stats); // { state: 'closed', rule: 'consecutive', consecutiveFailures: 0, … }
// --8<-- [end:manual]

// --8<-- [start:snapshot]
// Before shutting down (or periodically):
await store.set('breaker:payment-gateway', JSON.stringify(breaker.snapshot()));

// On start-up: an open breaker stays open for the rest of its break, in the new process.
const saved = await store.get('breaker:payment-gateway');
const restored = circuitBreaker({
  name: 'payment-gateway',
  failureThreshold: 5,
  recoveryTimeout: 30_000,
  ...(saved === null ? {} : { restore: JSON.parse(saved) as CircuitBreakerSnapshot }),
});
// --8<-- [end:snapshot]

export { byCount, byTime, careful, backingOff, charge, restored };
