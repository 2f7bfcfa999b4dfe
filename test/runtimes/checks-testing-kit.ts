/**
 * Runtime checks of `breakwater/testing` (virtual clock, seeded random, scripted
 * dependencies, pipeline description, invariant monitors), `breakwater/testing/arbitraries`
 * with fast-check, `breakwater/decorators`, and the policies on this runtime's real timers.
 */
import { deepEqual, equal, ok, rejects, throws } from '../support/runtime-assert';
import type { Check, Library } from './library';

async function virtualClock({ testing }: Library) {
  const { VirtualClock, flushMicrotasks } = testing;
  const clock = new VirtualClock(1_000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
  const cancelled = clock.setTimeout(() => fired.push('never'), 150);
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 200);
  clock.clearTimeout(cancelled);
  equal(clock.pending, 3, 'pending timers');
  await clock.advance(100);
  deepEqual(fired, ['a@1100'], 'advance() fires what is due');
  await clock.runAll();
  deepEqual(fired, ['a@1100', 'b@1200', 'c@1200'], 'runAll() fires in time order, ties in creation order');
  equal(clock.fired, 3, 'fired count');
  // flushMicrotasks settles promise chains (it uses whichever macrotask this runtime has).
  let settled = false;
  void Promise.resolve().then(() => Promise.resolve()).then(() => (settled = true));
  await flushMicrotasks();
  ok(settled, 'flushMicrotasks() let the chain settle');
}

function seededRandomness({ testing }: Library) {
  const a = testing.seededRandom(42);
  const b = testing.seededRandom(42);
  const draws = Array.from({ length: 8 }, () => a());
  deepEqual(Array.from({ length: 8 }, () => b()), draws, 'the same seed draws the same numbers');
  ok(draws.every((x) => x >= 0 && x < 1), 'draws are in [0, 1)');
  ok(new Set(draws).size === draws.length, 'draws differ');
  return { draws: draws.map((x) => x.toFixed(12)).join(',') };
}

async function scriptedDependencies({ core, testing }: Library) {
  const { VirtualClock, scriptedDependency, Step } = testing;
  const clock = new VirtualClock();
  const gateway = scriptedDependency<string>({ calls: [Step.fail(new Error('503')), Step.slow(3_000, 'late'), Step.hang()], otherwise: Step.ok('paid') }, clock);
  const guarded = core.timeout({ duration: 1_000, clock });
  equal(await guarded.execute(() => gateway()).catch(() => 'failed'), 'failed', 'call 1 fails at once');
  const second = guarded.execute(() => gateway()).catch(() => 'timed out');
  await clock.advance(1_000);
  equal(await second, 'timed out', 'call 2 is cut by the timeout');
  const third = guarded.execute(() => gateway()).catch(() => 'timed out');
  await clock.advance(1_000);
  equal(await third, 'timed out', 'call 3 hangs until the timeout');
  equal(await guarded.execute(() => gateway()), 'paid', 'then it succeeds');
  deepEqual(gateway.log.map((c) => c.outcome), ['fail', 'aborted', 'aborted', 'ok'], 'the call log');
  // A timeline counts from the dependency's creation.
  const later = new VirtualClock();
  const redis = scriptedDependency<string>({ timeline: [{ from: 10_000, step: Step.fail() }, { from: 40_000, step: Step.ok('hit') }], otherwise: Step.ok('hit') }, later);
  equal(await redis(), 'hit', 'healthy before 10 s');
  await later.advanceTo(20_000);
  await rejects(redis(), 'down between 10 s and 40 s');
  await later.advanceTo(40_000);
  equal(await redis(), 'hit', 'healthy again at 40 s');
}

async function describeAndInvariants({ core, testing }: Library) {
  const { pipeline, retry, circuitBreaker, timeout, bulkhead } = core;
  const { VirtualClock, describePipeline, flattenPipeline, watchPipeline, scriptedDependency, Step, InvariantViolationError } = testing;
  const clock = new VirtualClock();
  const policy = pipeline(
    { name: 'payments' },
    retry({ maxAttempts: 3, delay: 10, clock }),
    circuitBreaker({ name: 'gateway', failureThreshold: 2, recoveryTimeout: 500, clock }),
    timeout({ duration: 200, clock }),
    bulkhead({ maxConcurrent: 2, maxQueue: 4, clock }),
  );
  deepEqual(flattenPipeline(policy).map((p) => p.kind), ['retry', 'circuit-breaker', 'timeout', 'bulkhead'], 'flattened kinds');
  const description = describePipeline(policy);
  equal(description.name, 'payments', 'described name');
  equal((description.policies?.[0]?.options as { maxAttempts?: number } | undefined)?.maxAttempts, 3, 'described retry options');
  const watch = watchPipeline(policy);
  const dep = scriptedDependency<string>({ calls: [Step.fail(), Step.slow(300, 'late'), Step.hang(), Step.fail(), Step.fail()], otherwise: Step.ok('ok', 5) }, clock);
  const call = watch.track(dep);
  for (let i = 0; i < 20; i++) clock.setTimeout(() => void policy.execute(() => call()).catch(() => {}), i * 60);
  await clock.runAll();
  watch.check(); // throws InvariantViolationError naming every broken rule
  deepEqual(watch.violations, [], 'no invariant broken');
  watch.dispose();
  ok(new InvariantViolationError(['x']) instanceof Error, 'InvariantViolationError is an Error');
}

async function decorators({ core, decorators: d, testing }: Library) {
  const clock = new testing.VirtualClock();
  const seen: string[] = [];
  const shared = core.pipeline({ name: 'shop' }, core.retry({ maxAttempts: 3, delay: 10, clock }));
  class Shop {
    calls = 0;
    @d.resilient(shared)
    async buy(item: string): Promise<string> {
      const ctx = core.currentContext();
      seen.push(`${item}#${ctx?.attempt}:${ctx?.operation}`);
      if (++this.calls < 3) throw new Error('flaky');
      return `bought ${item}`;
    }

    @d.fallback({ tiers: [() => 'cached board'], clock })
    @d.timeout({ duration: 100, clock })
    async board(): Promise<string> {
      return new Promise<string>(() => {});
    }
  }
  const shop = new Shop();
  const bought = shop.buy('sword');
  await clock.runAll();
  equal(await bought, 'bought sword', 'the decorated method retried');
  deepEqual(seen, ['sword#1:Shop.buy', 'sword#2:Shop.buy', 'sword#3:Shop.buy'], 'currentContext() inside the method');
  equal(d.policyOf(shop, 'buy'), shared, 'policyOf() gives the policy');
  const board = shop.board();
  await clock.advance(100);
  equal(await board, 'cached board', 'stacked shorthands: the timeout cuts, the fallback answers');
}

async function arbitraries({ core, arbitraries: a, fc, testing }: Library) {
  const { retry, isOptionsValidationError, pipeline, circuitBreaker, timeout } = core;
  for (const options of fc.sample(a.arbitraries.retryOptions(), { numRuns: 30, seed: 1 })) retry(options);
  fc.assert(
    fc.property(a.arbitraries.invalidRetryOptions(), ({ options, invalid }) => {
      const error = throws(() => retry(options), 'invalid retry options');
      ok(isOptionsValidationError(error), `expected an OptionsValidationError, got ${String(error)}`);
      const paths = error.issues.map((i) => i.path);
      return invalid.every((p) => paths.includes(p));
    }),
    { numRuns: 50, seed: 2 },
  );
  await fc.assert(
    fc.asyncProperty(a.arbitraries.faultSchedule({ value: 'ok', maxLength: 20 }), fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 10 }), async (schedule, arrivals) => {
      const clock = new testing.VirtualClock();
      const dependency = testing.scriptedDependency(schedule, clock);
      const policy = pipeline(circuitBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, halfOpen: { maxProbes: 2 }, clock }), timeout({ duration: 500, clock }));
      const watch = testing.watchPipeline(policy);
      const call = watch.track(dependency);
      for (const at of arrivals) clock.setTimeout(() => void policy.execute(() => call()).catch(() => {}), at);
      await clock.runAll();
      watch.check();
      watch.dispose();
    }),
    { numRuns: 40, seed: 3 },
  );
}

/** The policies on this runtime's own timers (the default system clock): a few tens of ms. */
async function realTimers({ core }: Library) {
  const { pipeline, retry, timeout, bulkhead, isTimeoutError, isBulkheadRejectedError, systemClock } = core;
  const start = systemClock.now();
  const error = await rejects(timeout(30).execute(() => new Promise(() => {})), 'a hung call under a 30 ms timeout');
  ok(isTimeoutError(error), `expected a TimeoutError, got ${String(error)}`);
  const elapsed = systemClock.now() - start;
  ok(elapsed >= 25, `the timeout did not fire early (${elapsed.toFixed(1)} ms)`);
  let n = 0;
  equal(await pipeline(retry({ maxAttempts: 3, delay: 5 })).execute(() => (++n < 3 ? Promise.reject(new Error('flaky')) : n)), 3, 'retry on real sleeps');
  const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 20 });
  const hold = pool.execute(() => new Promise((resolve) => globalThis.setTimeout(resolve, 60)));
  const waited = await rejects(pool.execute(() => 'x'), 'a waiter past queueTimeout');
  ok(isBulkheadRejectedError(waited), `expected a BulkheadRejectedError, got ${String(waited)}`);
  await hold;
}

/** The checks of `breakwater/testing`, `breakwater/testing/arbitraries`, `breakwater/decorators` and real timers. */
export const testingKitChecks: readonly Check[] = [
  { name: 'testing: VirtualClock ordering, cancellation and flushMicrotasks', run: virtualClock },
  { name: 'testing: seededRandom draws the same numbers everywhere', run: seededRandomness },
  { name: 'testing: scripted dependencies by call and by time', run: scriptedDependencies },
  { name: 'testing: describePipeline, flattenPipeline and invariant monitors', run: describeAndInvariants },
  { name: 'testing: fast-check arbitraries and a property over fault schedules', run: arbitraries },
  { name: 'decorators: @resilient and stacked shorthands on class methods', run: decorators },
  { name: 'real timers: timeout, retry sleeps and queue timeout on the system clock', run: realTimers },
];
