/**
 * Property: whatever the pipeline, the functions and the callers do, every span the tracing
 * policy starts ends exactly once, nothing touches a span after its end, each call has one
 * call span whose outcome and status agree with how the call settled, and no call stays
 * observed.
 */
import * as api from '@opentelemetry/api';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { idOf, parentOf, tracingSdk } from '../../test/support/tracing-sdk';
import { bulkhead } from '../bulkhead/index';
import { createChaosController } from '../chaos/guards';
import { faultInjection, latencyInjection } from '../chaos/index';
import { circuitBreaker } from '../circuit-breaker/index';
import { observing } from '../core/call-observer';
import type { ExecutionContext } from '../core/context';
import { pipeline, type Policy } from '../core/policy';
import { fallback } from '../fallback/index';
import { hedging } from '../hedging/index';
import { retry } from '../retry/index';
import { seededRandom } from '../testing/seeded-random';
import { VirtualClock, flushMicrotasks } from '../testing/virtual-clock';
import { timeout } from '../timeout/index';
import { TracingAttributes as A, tracing } from './index';

const sdk = tracingSdk();
beforeEach(() => sdk.reset());

/** What the function does in one attempt. */
type Behaviour =
  | { readonly kind: 'resolve' | 'reject'; readonly after: number }
  | { readonly kind: 'sync-value' | 'sync-throw' }
  | { readonly kind: 'until-aborted' };

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({ kind: fc.constantFrom('resolve' as const, 'reject' as const), after: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constantFrom('sync-value' as const, 'sync-throw' as const) }),
  fc.constant({ kind: 'until-aborted' as const }),
);

const scenario = fc.record({
  fallback: fc.boolean(),
  attempts: fc.constantFrom('once', 'retry', 'hedging', 'retry+hedging'),
  maxAttempts: fc.integer({ min: 2, max: 3 }),
  retryDelay: fc.integer({ min: 0, max: 20 }),
  breaker: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  timeout: fc.option(fc.record({ duration: fc.integer({ min: 1, max: 80 }), strategy: fc.constantFrom('aggressive' as const, 'cooperative' as const) }), { nil: undefined }),
  bulkhead: fc.option(fc.record({ maxConcurrent: fc.integer({ min: 1, max: 2 }), maxQueue: fc.integer({ min: 0, max: 1 }) }), { nil: undefined }),
  chaos: fc.option(fc.record({ kind: fc.constantFrom('error' as const, 'latency' as const), rate: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: undefined }),
  seed: fc.integer(),
  calls: fc.array(
    fc.record({
      start: fc.integer({ min: 0, max: 100 }),
      abortAt: fc.integer({ min: 0, max: 400 }),
      script: fc.array(behaviour, { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

function build(s: Scenario, clock: VirtualClock): Policy {
  const policies: Policy[] = [tracing({ api })];
  if (s.fallback) policies.push(fallback({ tiers: ['from fallback'] }));
  if (s.attempts === 'retry' || s.attempts === 'retry+hedging') {
    policies.push(retry({ maxAttempts: s.maxAttempts, delay: s.retryDelay, backoff: 'constant', jitter: 'none', clock }));
  }
  if (s.breaker !== undefined) policies.push(circuitBreaker({ failureThreshold: s.breaker, recoveryTimeout: 50, clock }));
  if (s.timeout !== undefined) policies.push(timeout({ ...s.timeout, clock }));
  if (s.attempts === 'hedging' || s.attempts === 'retry+hedging') policies.push(hedging({ delay: 15, maxHedgedAttempts: s.maxAttempts - 1, clock }));
  if (s.bulkhead !== undefined) policies.push(bulkhead({ ...s.bulkhead, clock }));
  if (s.chaos !== undefined) {
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test' });
    const common = { rate: s.chaos.rate, random: seededRandom(s.seed), clock, controller };
    policies.push(s.chaos.kind === 'error' ? faultInjection(common) : latencyInjection({ ...common, latency: 10 }));
  }
  return pipeline({ name: 'property' }, ...policies);
}

/** The function of one call: behaviour `script[k]` on its k-th run (the last one repeats). */
function fn(script: readonly Behaviour[], clock: VirtualClock): (ctx: ExecutionContext) => unknown {
  let k = 0;
  return (ctx) => {
    const b = script[Math.min(k++, script.length - 1)] as Behaviour;
    return sdk.userTracer.startActiveSpan('user.work', (span) => {
      const end = <T>(v: T): T => {
        span.end();
        return v;
      };
      switch (b.kind) {
        case 'sync-value':
          return end('sync');
        case 'sync-throw':
          end(undefined);
          throw new Error('sync failure');
        case 'until-aborted':
          return new Promise((_, reject) => {
            const signal = ctx.signal;
            const stop = (): void => reject(end(signal.reason));
            if (signal.aborted) stop();
            else signal.addEventListener('abort', stop, { once: true });
          });
        default:
          return new Promise((resolve, reject) => {
            clock.setTimeout(() => (b.kind === 'resolve' ? resolve(end('async')) : reject(end(new Error('async failure')))), b.after);
          });
      }
    });
  };
}

describe('tracing: no span left behind (property)', () => {
  it('every span started is ended exactly once; one call span per call agrees with its settlement', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        sdk.reset();
        const clock = new VirtualClock();
        const policy = build(s, clock);
        const settled: ({ ok: boolean } | undefined)[] = s.calls.map(() => undefined);
        s.calls.forEach((c, i) => {
          clock.setTimeout(() => {
            const caller = new AbortController();
            clock.setTimeout(() => caller.abort(new Error('caller gone')), c.abortAt);
            policy.execute(fn(c.script, clock), { operation: `call-${i}`, signal: caller.signal }).then(
              () => (settled[i] = { ok: true }),
              () => (settled[i] = { ok: false }),
            );
          }, c.start);
        });
        await clock.runAll();
        await flushMicrotasks();
        await clock.runAll();
        await flushMicrotasks();

        expect(settled.every((x) => x !== undefined)).toBe(true);
        expect(sdk.openSpans()).toEqual([]);
        expect(sdk.endedTwice()).toEqual([]);
        expect(sdk.diagnostics).toEqual([]);
        expect(observing()).toBe(false);

        const spans = sdk.exporter.getFinishedSpans();
        s.calls.forEach((_, i) => {
          const calls = spans.filter((x) => x.name === `call-${i}`);
          expect(calls).toHaveLength(1);
          const call = calls[0] as (typeof spans)[number];
          const outcome = call.attributes[A.outcome];
          const ok = settled[i]?.ok === true;
          if (ok) expect(['success', 'fallback', 'cancelled']).toContain(outcome);
          else expect(['failure', 'rejected', 'timeout', 'injected', 'cancelled']).toContain(outcome);
          const isError = outcome !== 'success' && outcome !== 'fallback' && outcome !== 'cancelled';
          expect(call.status.code).toBe(isError ? api.SpanStatusCode.ERROR : api.SpanStatusCode.UNSET);
          for (const attempt of spans.filter((x) => x.name === `call-${i} attempt`)) {
            expect(parentOf(attempt)).toBe(idOf(call));
            expect(typeof attempt.attributes[A.attempt]).toBe('number');
            expect(typeof attempt.attributes[A.outcome]).toBe('string');
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});
