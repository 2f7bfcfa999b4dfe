/**
 * Runtime checks of `breakwater` itself: a pipeline with every policy, then each policy's
 * defining behaviour, option validation, error brands and events. Everything timed runs on
 * the `VirtualClock`; each expected number follows from the options written next to it.
 */
import { deepEqual, equal, includes, ok, rejects, throws } from '../support/runtime-assert';
import type { Check, Library } from './library';

/** A pipeline of all six policies in the recommended order, in front of a scripted dependency. */
async function everyPolicy({ core, testing }: Library) {
  const { pipeline, fallback, retry, circuitBreaker, timeout, bulkhead, rateLimiter, isBrokenCircuitError } = core;
  const { VirtualClock, scriptedDependency, Step } = testing;
  const clock = new VirtualClock();
  const breaker = circuitBreaker({ name: 'gateway', failureThreshold: 5, recoveryTimeout: 1_000, clock });
  const pool = bulkhead({ name: 'pool', maxConcurrent: 2, maxQueue: 1, clock });
  const quota = rateLimiter({ name: 'quota', rate: 100, per: 1_000, burst: 100, clock });
  const checkout = pipeline(
    { name: 'checkout' },
    fallback({ tiers: ['queued'], clock }),
    retry({ maxAttempts: 3, delay: 100, factor: 2, jitter: 'none', clock }),
    breaker,
    timeout({ duration: 500, clock }),
    pool,
    quota,
  );
  const seen: string[] = [];
  const sub = checkout.onEvent((e) => {
    // Per-attempt successes, failures and admissions are left out: the rest tells the story.
    if (e.type !== 'success' && e.type !== 'failure' && e.type !== 'admitted') seen.push(`${clock.now()} ${e.policy}:${e.type}`);
  });
  // Call 1: fails, then hangs past the 500 ms timeout, then succeeds: answered at 100 + 500 + 200.
  const dep = scriptedDependency<string>({ calls: [Step.fail(), Step.slow(1_000, 'late'), Step.ok('paid')], otherwise: Step.fail() }, clock);
  const first = checkout.execute(() => dep(), { operation: 'shop.buy' });
  await clock.advance(800);
  equal(await first, 'paid', 'the third attempt answers');
  deepEqual(dep.log.map((c) => c.outcome), ['fail', 'aborted', 'ok'], 'what the dependency saw');
  // Call 2: the dependency is down; three failures (800, 900, 1 100), then the fallback.
  const second = checkout.execute(() => dep());
  await clock.advance(300);
  equal(await second, 'queued', 'call 2 falls back');
  // Call 3: two more failures make 5 in a row: the breaker opens at 1 200; the last attempt
  // (1 400) is rejected by the open circuit and not retried; the fallback answers.
  const third = checkout.execute(() => dep());
  await clock.advance(300);
  equal(await third, 'queued', 'call 3 falls back');
  equal(breaker.state, 'open', 'breaker state after 5 failures in a row');
  deepEqual(
    seen,
    [
      '0 retry:retry',
      '600 timeout:timeout',
      '600 retry:retry',
      '800 checkout:executed',
      '800 retry:retry',
      '900 retry:retry',
      '1100 retry:give-up',
      '1100 fallback:fallback',
      '1100 checkout:executed',
      '1100 retry:retry',
      '1200 gateway:opened',
      '1200 retry:retry',
      '1400 gateway:rejected',
      '1400 retry:give-up',
      '1400 fallback:fallback',
      '1400 checkout:executed',
    ],
    'events seen by the pipeline listener',
  );
  sub.dispose();
  const direct = await rejects(breaker.execute(() => 'never runs'), 'a call through the open breaker');
  ok(isBrokenCircuitError(direct), `expected a BrokenCircuitError, got ${String(direct)}`);
  equal(direct.retryAfter, 800, 'retryAfter: opened at 1 200, recovery at 2 200, now 1 400');
  deepEqual(pool.stats, { active: 0, queued: 0, maxConcurrent: 2, maxQueue: 1 }, 'bulkhead stats when idle');
  return { calls: dep.calls, end: clock.now() };
}

async function retryBackoff({ core, testing }: Library) {
  const { retry, isResilienceError } = core;
  const { VirtualClock, seededRandom } = testing;
  const clock = new VirtualClock();
  const at: number[] = [];
  const policy = retry({ maxAttempts: 4, delay: 100, factor: 3, maxDelay: 500, jitter: 'none', clock });
  const call = rejects(
    policy.execute(() => {
      at.push(clock.now());
      throw new Error(`attempt ${at.length}`);
    }),
    'a call that always fails',
  );
  await clock.runAll();
  const error = await call;
  ok(error instanceof Error && error.message === 'attempt 4', `retry rethrows the last failure unchanged, got ${String(error)}`);
  ok(!isResilienceError(error), 'the last failure is not wrapped');
  deepEqual(at, [0, 100, 400, 900], 'attempt times: delays 100, 300, then 900 capped at 500');
  // Full jitter with a seeded random: the same seed gives the same delays on every runtime.
  const jittered = new VirtualClock();
  const times: number[] = [];
  const j = retry({ maxAttempts: 4, delay: 100, factor: 2, jitter: 'full', clock: jittered, random: seededRandom(7) });
  const jcall = rejects(
    j.execute(() => {
      times.push(jittered.now());
      throw new Error('x');
    }),
    'the jittered call',
  );
  await jittered.runAll();
  await jcall;
  ok(times[1]! <= 100 && times[2]! - times[1]! <= 200 && times[3]! - times[2]! <= 400, `full jitter stays under the backoff: ${times.join(', ')}`);
  return { jitteredAttemptTimes: times.join(',') };
}

async function circuitBreakerLifecycle({ core, testing }: Library) {
  const { circuitBreaker, isBrokenCircuitError, isCircuitBreakerSnapshot } = core;
  const { VirtualClock } = testing;
  const clock = new VirtualClock();
  const breaker = circuitBreaker({ name: 'db', failureThreshold: 2, recoveryTimeout: 1_000, clock });
  const states: string[] = [];
  const sub = breaker.onEvent((e) => {
    if (e.type === 'opened' || e.type === 'half-opened' || e.type === 'closed') states.push(e.type);
  });
  const boom = () => Promise.reject(new Error('down'));
  await rejects(breaker.execute(boom), 'failure 1');
  await rejects(breaker.execute(boom), 'failure 2');
  equal(breaker.state, 'open', 'state after 2 failures');
  await clock.advance(400);
  const rejected = await rejects(breaker.execute(() => 'x'), 'a call while open');
  ok(isBrokenCircuitError(rejected), 'the open circuit rejects with BrokenCircuitError');
  equal(rejected.retryAfter, 600, 'retryAfter counts down with the clock');
  await clock.advance(600);
  equal(breaker.state, 'half-open', 'state once recoveryTimeout has passed');
  equal(await breaker.execute(() => 'probe ok'), 'probe ok', 'the probe runs');
  equal(breaker.state, 'closed', 'a successful probe closes the circuit');
  deepEqual(states, ['opened', 'half-opened', 'closed'], 'transition events');
  breaker.isolate();
  equal(breaker.state, 'isolated', 'isolate() forces it open');
  const snap = JSON.parse(JSON.stringify(breaker.snapshot())) as unknown;
  ok(isCircuitBreakerSnapshot(snap), 'the snapshot survives JSON');
  const restored = circuitBreaker({ name: 'db', failureThreshold: 2, recoveryTimeout: 1_000, clock, restore: snap });
  equal(restored.state, 'isolated', 'a breaker restored from the snapshot');
  breaker.reset();
  equal(breaker.state, 'closed', 'reset() closes it');
  sub.dispose();
}

async function timeoutStrategies({ core, testing }: Library) {
  const { timeout, isTimeoutError } = core;
  const { VirtualClock } = testing;
  const clock = new VirtualClock();
  let signal: AbortSignal | undefined;
  const aggressive = rejects(
    timeout({ duration: 250, clock }).execute((ctx) => {
      signal = ctx.signal;
      return new Promise<string>(() => {});
    }),
    'an aggressive timeout',
  );
  await clock.advance(250);
  const error = await aggressive;
  ok(isTimeoutError(error), `expected a TimeoutError, got ${String(error)}`);
  equal(error.duration, 250, 'the error carries the duration');
  ok(signal?.aborted === true, 'the signal of the abandoned work is aborted');
  ok(signal instanceof AbortSignal, "ctx.signal is this runtime's AbortSignal");
  // Cooperative (from 250 ms): the signal aborts at the deadline, the call waits for the function.
  const coop = timeout({ duration: 100, strategy: 'cooperative', clock }).execute(
    (ctx) =>
      new Promise<string>((resolve) => {
        ctx.signal.addEventListener('abort', () => clock.setTimeout(() => resolve(`stopped at ${clock.now()}`), 5));
      }),
  );
  await clock.advance(105);
  equal(await coop, 'stopped at 355', 'the cooperative function ends on its own terms, 5 ms after the abort');
  // Nested deadlines: the inner timeout never outlives the outer one.
  const nested = core.pipeline(timeout({ duration: 50, clock }), timeout({ duration: 1_000, clock }));
  const remaining = await nested.execute((ctx) => ctx.remaining());
  equal(remaining, 50, 'remaining() under nested timeouts');
}

async function bulkheadLimits({ core, testing }: Library) {
  const { bulkhead, isBulkheadRejectedError } = core;
  const { VirtualClock } = testing;
  const clock = new VirtualClock();
  const pool = bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeout: 1_000, clock });
  const release: (() => void)[] = [];
  const hold = () => new Promise<string>((resolve) => release.push(() => resolve('done')));
  const a = pool.execute(hold);
  const controller = new AbortController();
  const b = pool.execute(hold, { signal: controller.signal });
  const c = pool.execute(hold);
  deepEqual([pool.stats.active, pool.stats.queued], [1, 2], 'one running, two queued');
  const d = await rejects(pool.execute(hold), 'a call over maxConcurrent + maxQueue');
  ok(isBulkheadRejectedError(d), `expected a BulkheadRejectedError, got ${String(d)}`);
  controller.abort(new Error('player left'));
  const aborted = await rejects(b, 'the aborted waiter');
  equal((aborted as Error).message, 'player left', 'the waiter rejects with the caller\'s reason');
  equal(pool.stats.queued, 1, 'an aborted waiter leaves the queue at once');
  release.shift()?.();
  equal(await a, 'done', 'the first call');
  await testing.flushMicrotasks();
  equal(pool.stats.active, 1, 'the queued call got the slot');
  release.shift()?.();
  equal(await c, 'done', 'the queued call');
  deepEqual([pool.stats.active, pool.stats.queued], [0, 0], 'idle');
}

async function fallbackTiers({ core, testing }: Library) {
  const { fallback, lastKnownGood, isFallbackExhaustedError } = core;
  const { VirtualClock } = testing;
  const clock = new VirtualClock();
  const cache = lastKnownGood({ maxAge: 1_000 });
  const tiers: string[] = [];
  const profile = fallback<string>({
    clock,
    tiers: [
      () => {
        tiers.push('secondary');
        throw new Error('secondary down');
      },
      cache,
      'guest profile',
    ],
  });
  equal(await profile.execute(() => 'fresh', { operation: 'profile.get' }), 'fresh', 'a success records the value');
  await clock.advance(500);
  equal(await profile.execute(() => Promise.reject(new Error('db down')), { operation: 'profile.get' }), 'fresh', 'the last known good value within maxAge');
  await clock.advance(600);
  equal(await profile.execute(() => Promise.reject(new Error('db down')), { operation: 'profile.get' }), 'guest profile', 'past maxAge the constant tier answers');
  deepEqual(tiers, ['secondary', 'secondary'], 'the secondary tier was tried first each time');
  const none = fallback({ tiers: [() => Promise.reject(new Error('tier down'))], clock });
  const exhausted = await rejects(none.execute(() => Promise.reject(new Error('primary down'))), 'every tier failing');
  ok(isFallbackExhaustedError(exhausted), `expected a FallbackExhaustedError, got ${String(exhausted)}`);
}

async function rateLimiting({ core, testing }: Library) {
  const { rateLimiter, isRateLimitedError } = core;
  const { VirtualClock } = testing;
  const clock = new VirtualClock();
  // 10 per second (one every 100 ms), bursts of 3.
  const limiter = rateLimiter({ name: 'partner', rate: 10, per: 1_000, burst: 3, clock });
  for (let i = 0; i < 3; i++) equal(await limiter.execute(() => i), i, `burst call ${i + 1}`);
  const limited = await rejects(limiter.execute(() => 'over'), 'the 4th call of the burst');
  ok(isRateLimitedError(limited), `expected a RateLimitedError, got ${String(limited)}`);
  equal(limited.retryAfter, 100, 'retryAfter: one emission interval');
  await clock.advance(100);
  equal(await limiter.execute(() => 'later'), 'later', 'admitted after retryAfter');
  // maxWait: a call waits for its slot instead of being refused.
  const smoothed = rateLimiter({ rate: 10, per: 1_000, burst: 1, maxWait: 500, clock });
  await smoothed.execute(() => 'first');
  let admittedAt = -1;
  const waiting = smoothed.execute(() => (admittedAt = clock.now()));
  equal(smoothed.queued, 1, 'one call waits');
  await clock.advance(100);
  await waiting;
  equal(admittedAt, 200, 'the waiter runs when its slot comes');
  const partitioned = rateLimiter.partitioned({ rate: 1, per: 1_000, key: (ctx) => ctx.labels['player'] ?? 'anonymous', clock });
  equal(partitioned.tryAcquire('ann').allowed, true, "ann's first call");
  equal(partitioned.tryAcquire('ann').allowed, false, "ann's second call");
  equal(partitioned.tryAcquire('bob').allowed, true, "bob is not slowed by ann");
}

function optionsValidation({ core }: Library) {
  const { retry, circuitBreaker, isOptionsValidationError } = core;
  const error = throws(() => retry({ maxAttempts: 0, delay: -1, maxAtempts: 3 } as never), 'retry with bad options');
  ok(isOptionsValidationError(error), `expected an OptionsValidationError, got ${String(error)}`);
  deepEqual(error.issues.map((i) => i.path).sort(), ['delay', 'maxAtempts', 'maxAttempts'], 'every bad field, the unknown key included');
  includes(error.message, 'maxAttempts', 'the message names the field');
  const breaker = throws(() => circuitBreaker({ failureThreshold: 1.5 }), 'a fractional threshold');
  ok(isOptionsValidationError(breaker), 'the breaker validates too');
}

async function errorsAndEvents({ core, chaos, testing }: Library) {
  const { pipeline, retry, timeout, TimeoutError, ChaosInjectedError, isTimeoutError, isResilienceError, isChaosInjectedError, ErrorCodes, onCallbackError } = core;
  const { VirtualClock } = testing;
  const error = new TimeoutError(10);
  ok(isTimeoutError(error) && isResilienceError(error) && error instanceof Error, 'brands and Error');
  equal(error.code, ErrorCodes.timeout, 'stable code');
  // The entry points share one copy of the core (the build's shared chunks): an error made by
  // breakwater/chaos is an instance of the class breakwater exports.
  const clock = new VirtualClock();
  const controller = chaos.createChaosController({ env: { [chaos.CHAOS_ENV_SWITCH]: '1' }, clock });
  controller.arm({ environment: 'test' });
  const injected = await rejects(chaos.faultInjection({ name: 'boom', controller, clock }).execute(() => 'real'), 'an injected failure');
  ok(injected instanceof ChaosInjectedError && isChaosInjectedError(injected), `one ChaosInjectedError class for both entry points, got ${String(injected)}`);
  // A throwing listener never reaches the call; the error goes to onCallbackError handlers.
  const reported: string[] = [];
  const handler = onCallbackError((e, source) => reported.push(`${source}: ${(e as Error).message}`));
  const p = pipeline({ name: 'events' }, retry({ maxAttempts: 2, delay: 10, clock }), timeout({ duration: 100, clock }));
  const sub = p.on('retry', () => {
    throw new Error('listener bug');
  });
  let n = 0;
  const call = p.execute(() => (++n === 1 ? Promise.reject(new Error('flaky')) : 'ok'));
  await clock.runAll();
  equal(await call, 'ok', 'a throwing listener never breaks the call');
  equal(reported.length, 1, 'the listener error is reported once');
  includes(reported[0]!, 'listener bug', 'the report');
  sub.dispose();
  handler.dispose();
}

/** The checks of `breakwater` (the core and its policies). */
export const policyChecks: readonly Check[] = [
  { name: 'pipeline with every policy (fallback › retry › breaker › timeout › bulkhead › rate limiter)', run: everyPolicy },
  { name: 'retry: backoff, cap, seeded jitter, last failure rethrown', run: retryBackoff },
  { name: 'circuit breaker: open, half-open, close, isolate, snapshot and restore', run: circuitBreakerLifecycle },
  { name: 'timeout: aggressive, cooperative, nested deadlines', run: timeoutStrategies },
  { name: 'bulkhead: limit, queue, rejection, aborted waiter', run: bulkheadLimits },
  { name: 'fallback: tiers in order, last known good within maxAge, exhausted', run: fallbackTiers },
  { name: 'rate limiter: burst, retryAfter, maxWait, partitions', run: rateLimiting },
  { name: 'options validation: one error naming every bad field', run: optionsValidation },
  { name: 'errors and events: brands, one shared core, listener errors reported', run: errorsAndEvents, expectsCallbackErrors: true },
];
