// Examples of docs/testing.md. Type-checked by `npm test`; every ts block of the page is copied from here.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { circuitBreaker, isOptionsValidationError, pipeline, retry, timeout, type OptionsValidationError } from '../../src/index';
import { arbitraries } from '../../src/testing/arbitraries';
import {
  Step,
  VirtualClock,
  describePipeline,
  flattenPipeline,
  scriptedDependency,
  seededRandom,
  watchPipeline,
} from '../../src/testing/index';

// --8<-- [start:virtual-clock]
it('retries a flaky call in virtual time', async () => {
  const clock = new VirtualClock();
  const random = seededRandom(42);
  const policy = pipeline(
    retry({ maxAttempts: 3, delay: 1_000, clock, random }),
    timeout({ duration: 5_000, clock }),
  );
  let calls = 0;
  const result = policy.execute(async () => {
    if (++calls < 3) throw new Error('flaky');
    return 'ok';
  });
  await clock.runAll(); // fires the retry sleeps in order, in virtual time
  expect(await result).toBe('ok');
  expect(calls).toBe(3);
});
// --8<-- [end:virtual-clock]

// --8<-- [start:scripted]
it('follows a script', async () => {
  const clock = new VirtualClock();
  // By call number: fail, answer after 3 s, hang; then succeed.
  const gateway = scriptedDependency<string>(
    { calls: [Step.fail(new Error('503')), Step.slow(3_000, 'late'), Step.hang()], otherwise: Step.ok('paid') },
    clock,
  );
  // By time: healthy, down from 10 s to 40 s, healthy again.
  const redis = scriptedDependency<string>(
    {
      timeline: [
        { from: 10_000, step: Step.fail() },
        { from: 40_000, step: Step.ok('hit') },
      ],
      otherwise: Step.ok('hit'),
    },
    clock,
  );
  const guarded = timeout({ duration: 1_000, clock });
  await guarded.execute(() => gateway()).catch(() => 'failed'); // call 1 fails at once
  const second = guarded.execute(() => gateway()).catch(() => 'timed out'); // call 2 is slow
  await clock.advance(1_000); // the timeout cuts it (the dependency sees the abort)
  expect(await second).toBe('timed out');
  expect(gateway.log.map((c) => c.outcome)).toEqual(['fail', 'aborted']);
  expect(await redis()).toBe('hit');
});
// --8<-- [end:scripted]

// --8<-- [start:property]
it('keeps the breaker and timeout promises under 1 000 fault schedules', async () => {
  await fc.assert(
    fc.asyncProperty(
      arbitraries.faultSchedule({ value: 'ok', maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 20 }),
      async (schedule, arrivals) => {
        const clock = new VirtualClock();
        const dependency = scriptedDependency(schedule, clock);
        const policy = pipeline(
          circuitBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, halfOpen: { maxProbes: 2 }, clock }),
          timeout({ duration: 500, clock }),
        );
        const watch = watchPipeline(policy);
        const call = watch.track(dependency);
        for (const at of arrivals) clock.setTimeout(() => void policy.execute(() => call()).catch(() => {}), at);
        await clock.runAll();
        watch.check(); // throws InvariantViolationError naming every broken rule
        watch.dispose();
      },
    ),
    { numRuns: 1_000 },
  );
});
// --8<-- [end:property]

// --8<-- [start:invalid-options]
it('rejects every bad retry option, naming it', () => {
  fc.assert(
    fc.property(arbitraries.invalidRetryOptions(), ({ options, invalid }) => {
      try {
        retry(options);
        return false;
      } catch (error) {
        const paths = (error as OptionsValidationError).issues.map((i) => i.path);
        return isOptionsValidationError(error) && invalid.every((p) => paths.includes(p));
      }
    }),
  );
});
// --8<-- [end:invalid-options]

// --8<-- [start:describe]
it('builds the payments pipeline as designed', () => {
  const payments = pipeline(
    { name: 'payments' },
    retry({ maxAttempts: 3 }),
    circuitBreaker({ name: 'payment-gateway', failureThreshold: 5 }),
    timeout(2_000),
  );
  expect(flattenPipeline(payments).map((p) => p.kind)).toEqual(['retry', 'circuit-breaker', 'timeout']);
  expect(describePipeline(payments)).toMatchObject({
    policies: [{ options: { maxAttempts: 3 } }, { options: { failureThreshold: 5 } }, { options: { duration: 2_000 } }],
  });
});
// --8<-- [end:describe]
