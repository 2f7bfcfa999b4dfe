/**
 * A policy run on its own with nobody listening takes the promise-native path
 * (core/alone.ts); with a listener it runs through the chain. Both must be the same call:
 * same value or error, same number of runs, same attempt numbers and the same context rules
 * (currentContext during the function's start, signals aborted on settle with
 * `abortOnSettle`). These tests run every scenario both ways and compare.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currentContext, type ExecutionContext } from '../../src/core/context';
import type { Policy } from '../../src/core/policy';
import { pipeline } from '../../src/index';
import { bulkhead } from '../../src/bulkhead/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { fallback } from '../../src/fallback/index';
import { rateLimiter } from '../../src/rate-limiter/index';
import { retry } from '../../src/retry/index';
import { timeout } from '../../src/timeout/index';

/** One run of the function: a value or an error, synchronous or not. */
type Step = { readonly ok: boolean; readonly sync: boolean; readonly value: number };
const stepArb: fc.Arbitrary<Step> = fc.record({ ok: fc.boolean(), sync: fc.boolean(), value: fc.integer({ min: 0, max: 99 }) });

interface Trace {
  readonly results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[];
  readonly attempts: number[];
  readonly sawContext: boolean[];
  readonly signalsAbortedAfter: boolean[];
}

/** Three calls in a row through `policy`, the function's runs following `steps` (the last one repeats). */
async function run(policy: Policy, steps: readonly Step[], listen: boolean): Promise<Trace> {
  const sub = listen ? policy.onEvent(() => undefined) : undefined;
  const attempts: number[] = [];
  const sawContext: boolean[] = [];
  const views: ExecutionContext[] = [];
  const results: Trace['results'] = [];
  let i = 0;
  for (let call = 0; call < 3; call++) {
    try {
      const value = await policy.execute(
        (ctx) => {
          attempts.push(ctx.attempt);
          sawContext.push(currentContext() === ctx);
          views.push(ctx);
          void ctx.signal; // hand out a signal: abortOnSettle must abort it once the call settles
          const step = steps[Math.min(i++, steps.length - 1)] as Step;
          if (step.sync) {
            if (step.ok) return step.value;
            throw new Error(`fail ${step.value}`);
          }
          return step.ok ? Promise.resolve(step.value) : Promise.reject(new Error(`fail ${step.value}`));
        },
        { abortOnSettle: true },
      );
      results.push({ ok: true, value });
    } catch (error) {
      results.push({ ok: false, error: (error as Error).message });
    }
  }
  sub?.dispose();
  return { results, attempts, sawContext, signalsAbortedAfter: views.map((v) => v.signal.aborted) };
}

const makers: Record<string, () => Policy> = {
  retry: () => retry({ maxAttempts: 3, delay: 0, backoff: 'constant' }),
  fallback: () => fallback({ tiers: [-1] }),
  bulkhead: () => bulkhead({ maxConcurrent: 2, maxQueue: 2 }),
  'empty pipeline': () => pipeline(),
  // Opens after 2 failures in a row: some scenarios open it, and later calls are refused.
  'circuit breaker': () => circuitBreaker({ failureThreshold: 2, recoveryTimeout: 60_000 }),
  // 3 calls per scenario fit the burst: admitted at once (alone) as through the chain.
  'rate limiter': () => rateLimiter({ rate: 1, per: 60_000, burst: 3 }),
  // Never expires here (test/semantics/timeout-alone.property.test.ts races the deadline).
  timeout: () => timeout(60_000),
};

describe('the promise-native path of a lone policy is the same call as the chain', () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: same result, runs, attempts and context rules with and without a listener`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 9 }), async (steps) => {
          const alone = await run(make(), steps, false);
          const chained = await run(make(), steps, true);
          expect(alone).toEqual(chained);
          expect(alone.sawContext.every(Boolean)).toBe(true);
          expect(alone.signalsAbortedAfter.every(Boolean)).toBe(true);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('a lone bulkhead gives its slot back whatever the outcome, and queues when full', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    let release!: () => void;
    const first = b.execute(() => new Promise<number>((r) => (release = () => r(1))));
    const second = b.execute(() => 2); // queued: runs through the chain
    expect(b.stats).toMatchObject({ active: 1, queued: 1 });
    release();
    await expect(first).resolves.toBe(1);
    await expect(second).resolves.toBe(2);
    await expect(b.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(b.stats).toMatchObject({ active: 0, queued: 0 });
  });

  it('a lone rate limiter refuses as the chain does, and a throwing store rejects the call', async () => {
    const limited = rateLimiter({ rate: 1, per: 60_000, burst: 1 });
    await expect(limited.execute(() => 1)).resolves.toBe(1);
    await expect(limited.execute(() => 2)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    const broken = rateLimiter({
      rate: 1,
      store: {
        consume() {
          throw new Error('store bug');
        },
      },
    });
    await expect(broken.execute(() => 1)).rejects.toThrow('store bug');
  });
});
