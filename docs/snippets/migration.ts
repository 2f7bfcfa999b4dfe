// Examples of docs/migration.md (the breakwater side). Type-checked by `npm test`; every
// ts block of the page is copied from here. The peer libraries' side is shown in js blocks.
import {
  bulkhead,
  circuitBreaker,
  currentContext,
  fallback,
  isBrokenCircuitError,
  pipeline,
  retry,
  timeout,
} from '../../src/index';
import { resilient } from '../../src/decorators/index';
import { createMetrics } from '../../src/metrics/index';

interface Receipt {
  readonly id: string;
  readonly pending?: boolean;
}
export class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
declare function getJson(url: string, opts: { signal: AbortSignal }): Promise<unknown>;
declare function chargeCard(orderId: string, signal?: AbortSignal): Promise<Receipt>;
interface Profile {
  readonly name: string;
}
declare function fetchProfile(id: string, signal: AbortSignal): Promise<Profile>;
declare const log: { info(message: string): void; warn(message: string): void };

// --8<-- [start:cockatiel-basic]
// new ExponentialBackoff(): from 128 ms, doubling, up to 30 s; full jitter (the default) is closest.
const retryPolicy = retry({ maxAttempts: 4, delay: 128, maxDelay: 30_000 });
const breaker = circuitBreaker({ name: 'example-api', failureThreshold: 5, recoveryTimeout: 10_000 });
const retryWithBreaker = pipeline(retryPolicy, breaker);

export async function load(): Promise<unknown> {
  try {
    return await retryWithBreaker.execute((ctx) => getJson('https://example.com', { signal: ctx.signal }));
  } catch (error) {
    if (isBrokenCircuitError(error)) log.warn(`circuit open, back in ${error.retryAfter} ms`);
    throw error;
  }
}
// --8<-- [end:cockatiel-basic]

// --8<-- [start:cockatiel-more]
const serverErrors = (e: unknown): boolean => e instanceof HttpError && e.status >= 500;

const sampled = circuitBreaker({
  name: 'profiles',
  handle: serverErrors,
  window: { kind: 'time', duration: 30_000 }, // SamplingBreaker({ duration: 30_000 …
  failureRateThreshold: 0.2, //                   threshold: 0.2,
  minimumThroughput: 150, //                      minimumRps: 5 → 5 × 30 s
  recoveryTimeout: 10_000, //                   halfOpenAfter
});
const profiles = pipeline(
  fallback<Profile | null>({ tiers: [null] }), // fallback(handleAll, null)
  retry({ maxAttempts: 3, handle: serverErrors }),
  sampled,
  timeout({ duration: 2_000, strategy: 'aggressive' }), // timeout(2_000, TimeoutStrategy.Aggressive)
  bulkhead({ maxConcurrent: 10, maxQueue: 100 }), // bulkhead(10, 100)
);

sampled.on('opened', (e) => log.warn(`profiles breaker opened: ${e.reason}`)); // onBreak
sampled.on('closed', () => log.info('profiles breaker closed')); // onReset
sampled.on('half-opened', () => log.info('profiles breaker half-open')); // onHalfOpen

export const getProfile = (id: string): Promise<unknown> => profiles.execute((ctx) => fetchProfile(id, ctx.signal));
// --8<-- [end:cockatiel-more]

// --8<-- [start:cockatiel-decorator]
export class ProfileService {
  @resilient(profiles)
  async get(id: string): Promise<unknown> {
    const ctx = currentContext(); // instead of a context appended to the arguments
    return fetchProfile(id, ctx?.signal ?? new AbortController().signal);
  }
}
// --8<-- [end:cockatiel-decorator]

// --8<-- [start:opossum]
// errorFilter: a 404 is the caller's problem. It must neither trip the breaker nor get the
// fallback's value: opossum rejects with the original error and skips the fallback.
const countsAsFailure = (e: unknown): boolean => !(e instanceof HttpError && e.status === 404);

export const payments = pipeline(
  { name: 'payments' },
  fallback<Receipt>({ tiers: [{ id: 'pending', pending: true }], handle: countsAsFailure }), // breaker.fallback(...)
  circuitBreaker({
    name: 'payments',
    window: { kind: 'time', duration: 10_000, buckets: 10 }, // rollingCountTimeout, rollingCountBuckets
    failureRateThreshold: 0.5, // errorThresholdPercentage: 50
    minimumThroughput: 10, // volumeThreshold: 10
    recoveryTimeout: 30_000, // resetTimeout
    handle: countsAsFailure, // errorFilter, inverted
  }),
  bulkhead({ maxConcurrent: 32 }), // capacity: 32 (outside the timeout: a timed-out call frees its slot)
  timeout(3_000), // timeout: 3000 (and ctx.signal instead of abortController)
);

payments.on('opened', () => log.warn('payments breaker opened')); // 'open'
payments.on('half-opened', () => log.info('payments breaker half-open')); // 'halfOpen'
payments.on('closed', () => log.info('payments breaker closed')); // 'close'
payments.on('fallback', () => log.info('served the fallback')); // 'fallback'
payments.on('timeout', () => log.warn('charge timed out')); // 'timeout'
payments.on('rejected', () => log.warn('short-circuited')); // 'reject'

// breaker.fire(orderId): wrap() gives a function with chargeCard's parameters.
const charge = payments.wrap((orderId: string) => chargeCard(orderId, currentContext()?.signal));

export async function checkout(orderId: string): Promise<Receipt> {
  return charge(orderId);
}
// --8<-- [end:opossum]

// --8<-- [start:opossum-metrics]
// Instead of opossum-prometheus: one aggregator for every pipeline, served on /metrics.
const metrics = createMetrics();
metrics.observe(payments);
export const scrape = (): string => metrics.toPrometheus();
// --8<-- [end:opossum-metrics]

// --8<-- [start:p-retry]
class NotFoundError extends Error {}

const unicorns = retry({
  maxAttempts: 6, // retries: 5 → 6 attempts in all
  delay: 1_000, // minTimeout
  factor: 2, // factor
  jitter: 'none', // randomize: false (consider 'full' for many clients)
  handle: (e) => !(e instanceof NotFoundError), // instead of throwing AbortError
});

unicorns.on('retry', (e) => log.info(`Attempt ${e.attempt} failed. Retrying in ${Math.round(e.delay)} ms.`)); // onFailedAttempt

export async function run(signal: AbortSignal): Promise<Blob> {
  return unicorns.execute(
    async (ctx) => {
      const response = await fetch('https://sindresorhus.com/unicorn', { signal: ctx.signal });
      if (response.status === 404) throw new NotFoundError(response.statusText);
      return response.blob();
    },
    { signal }, // signal
  );
}
// --8<-- [end:p-retry]
