// Examples of docs/retry.md. Type-checked by `npm test`; every ts block of the page is copied from here.
import {
  circuitBreaker,
  exponentialBackoff,
  pipeline,
  retry,
  retryBudget,
  timeout,
} from '../../src/index';
import { VirtualClock } from '../../src/testing/index';

interface Profile {
  readonly id: string;
}
declare const api: {
  profile(id: string, opts: { signal: AbortSignal }): Promise<Profile>;
  leaderboard(opts: { signal: AbortSignal }): Promise<Response>;
};
declare const log: { info(message: string): void; warn(message: string): void };

// --8<-- [start:basic]
const profiles = retry({
  maxAttempts: 4, // the first attempt + 3 retries
  delay: 100, // base delay of the first retry (ms)
  factor: 2, // exponential: 100, 200, 400… before jitter
  maxDelay: 2_000, // no single sleep is longer
  jitter: 'full', // uniform in [0, base): AWS's recommendation
});

profiles.on('retry', (e) => log.info(`attempt ${e.attempt} failed; retrying in ${Math.round(e.delay)} ms`));
profiles.on('give-up', (e) => log.warn(`gave up after ${e.attempts} attempt(s): ${e.reason}`));

export function loadProfile(id: string): Promise<Profile> {
  return profiles.execute((ctx) => api.profile(id, { signal: ctx.signal }));
}
// --8<-- [end:basic]

// --8<-- [start:pushback]
const leaderboard = retry({
  maxAttempts: 3,
  maxDelay: 10_000,
  // A returned 503 or 429 is a failure too: retried, and on the last attempt returned as is.
  handleResult: (res: Response) => res.status === 503 || res.status === 429,
  // Honour the server's Retry-After (seconds); undefined falls back to the backoff.
  retryAfter: (failure) => {
    const header = failure instanceof Response ? failure.headers.get('retry-after') : null;
    return header === null ? undefined : Number(header) * 1_000;
  },
});

export function loadLeaderboard(): Promise<Response> {
  return leaderboard.execute((ctx) => api.leaderboard({ signal: ctx.signal }));
}
// --8<-- [end:pushback]

// --8<-- [start:rejected-opt-in]
// By default an open circuit is not retried, whatever `handle` says: the breaker's
// BrokenCircuitError goes straight through. To wait for the breaker instead, opt in; the
// sleep then lasts the error's retryAfter (until the breaker admits a probe).
const patient = pipeline(
  retry({
    maxAttempts: 3,
    maxDelay: 5_000, // a breaker that needs longer (or is isolated) is not waited for
    retryRejections: true,
  }),
  circuitBreaker({ name: 'social-login', recoveryTimeout: 3_000 }),
);
// --8<-- [end:rejected-opt-in]

// --8<-- [start:budget]
// One budget for every pipeline that calls the payment gateway: over any 10 s window,
// retries add at most 20 % to the calls, plus 10 retries per second whatever the traffic.
const gatewayBudget = retryBudget({ ratio: 0.2, minPerSecond: 10, window: 10_000 });

const chargeRetry = retry({ maxAttempts: 3, budget: gatewayBudget });
const charge = pipeline(chargeRetry, timeout(2_000));
const refund = pipeline(retry({ maxAttempts: 5, budget: gatewayBudget }), timeout(5_000));

chargeRetry.on('budget-exhausted', (e) => log.warn(`retry budget spent; attempt ${e.attempt} not retried`));
// --8<-- [end:budget]

// --8<-- [start:deadline]
// The caller has 1.5 s in all: no retry is scheduled whose sleep would end after that,
// and if the player leaves (the signal aborts) a sleep ends at once.
const quick = retry({ maxAttempts: 10, delay: 200, maxDuration: 1_500 });

export function matchmake(request: { signal: AbortSignal; deadline: number }): Promise<Profile> {
  return quick.execute((ctx) => api.profile('lobby', { signal: ctx.signal }), {
    signal: request.signal,
    deadline: request.deadline,
  });
}
// --8<-- [end:deadline]

// --8<-- [start:backoff-value]
const backoff = exponentialBackoff({ delay: 100, factor: 2, maxDelay: 1_000, jitter: 'equal' });

backoff.base(3); // 400: the delay before jitter of the 3rd retry
backoff.bounds(3, 0); // { min: 200, max: 400 }: equal jitter keeps the upper half
backoff.preview(5, () => 0.5); // [75, 150, 300, 600, 750]
const gentler = backoff.with({ jitter: 'full' }); // a new value; `backoff` is unchanged

const shop = retry({ backoff: gentler, maxAttempts: 4 });
// --8<-- [end:backoff-value]

// --8<-- [start:testing]
export async function retriesTwiceInVirtualTime(): Promise<number> {
  const clock = new VirtualClock();
  const policy = retry({ clock, maxAttempts: 3, delay: 1_000, jitter: 'none' });
  let calls = 0;
  const result = policy.execute(() => {
    calls++;
    if (calls < 3) throw new Error('flaky');
    return calls;
  });
  await clock.runAll(); // sleeps 1 s, then 2 s, in microseconds of real time
  return result; // resolves with 3 at virtual time 3000
}
// --8<-- [end:testing]

export { charge, patient, refund, shop };
