/**
 * Property tests of the hedging policy on the virtual clock, under random delays (fixed,
 * zero, on-failure-only, per-attempt functions, adaptive), attempt latencies and outcomes
 * (success, handled and unhandled failures, flagged results, execution rejections,
 * synchronous answers), functions that honour or ignore their signal, caller aborts,
 * enclosing timeouts and budgets:
 *
 * - a hedged call settles exactly once (its strategy delivers one outcome, its promise
 *   settles), and never runs more than `1 + maxHedgedAttempts` attempts, numbered 1, 2, …;
 * - no timer and no listener is left behind once it settles: the virtual clock and the
 *   timer service have nothing pending, the caller's signal has no listener; no unhandled
 *   rejection;
 * - every attempt still running when the call settles has its signal aborted; the winner's
 *   signal is not;
 * - hedges start only after `delay` ms with no answer, or at once after a handled failure;
 * - the adaptive delay is the nearest-rank percentile of the last `window` latencies,
 *   clamped to `[min, max]`, or the warm-up delay below `minSamples`;
 * - with a budget, hedges never exceed `ratio × calls + floor` within one window.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { ExecutionRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { retryBudget } from '../retry/index';
import { timeout } from '../timeout/index';
import { VirtualClock } from '../testing/virtual-clock';
import { abortPlanArb, ProbePolicy, track, trapUnhandledRejections } from '../../test/reliability/support';
import { percentile } from '../../test/support/hedging-dependency';
import type { HedgeStartedEvent } from './events';
import { hedging } from './hedging';
import { LatencyWindow } from './latency-window';
import type { HedgingDelay } from './options';

const unhandled = trapUnhandledRejections();
afterEach(() => {
  expect(unhandled.take()).toEqual([]);
});

class Transient extends Error {}
class Fatal extends Error {}

type Kind = 'ok' | 'transient' | 'fatal' | 'flagged' | 'rejected' | 'sync-ok' | 'sync-throw';

interface Step {
  readonly kind: Kind;
  readonly ms: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom<Kind>('ok', 'ok', 'transient', 'transient', 'fatal', 'flagged', 'rejected', 'sync-ok', 'sync-throw'),
  ms: fc.integer({ min: 0, max: 300 }),
});

type DelayPlan = { readonly kind: 'fixed'; readonly ms: number } | { readonly kind: 'infinite' } | { readonly kind: 'function'; readonly ms: readonly number[] };

const delayArb: fc.Arbitrary<DelayPlan> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('fixed' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150 })) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'infinite' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('function' as const), ms: fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1, maxLength: 4 }) }) },
);

function delayOf(plan: DelayPlan): HedgingDelay {
  if (plan.kind === 'fixed') return plan.ms;
  if (plan.kind === 'infinite') return Number.POSITIVE_INFINITY;
  const ms = plan.ms;
  return (info) => ms[(info.attempt - 2) % ms.length] as number;
}

const scenarioArb = fc.record({
  maxHedgedAttempts: fc.integer({ min: 0, max: 4 }),
  delay: delayArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
  readsSignal: fc.boolean(),
  honoursAbort: fc.boolean(),
  abort: abortPlanArb(400),
  outerTimeout: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined, freq: 3 }),
  budgetRatio: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 2, noNaN: true }) },
  ),
});

interface Run {
  readonly n: number;
  readonly ctx: ExecutionContext;
  readonly startedAt: number;
  ended: boolean;
}

describe('hedging properties (virtual clock)', () => {
  it('settles exactly once, runs at most 1 + maxHedgedAttempts attempts, leaves no timer or listener, aborts the losers', async () => {
    let hedgedCalls = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const clock = new VirtualClock();
        const budget = s.budgetRatio === undefined ? undefined : retryBudget({ ratio: s.budgetRatio, minPerSecond: 0, clock });
        const policy = hedging<string>({
          delay: delayOf(s.delay),
          maxHedgedAttempts: s.maxHedgedAttempts,
          handle: Transient,
          handleResult: (v) => v === 'flagged',
          clock,
          ...(budget === undefined ? {} : { budget }),
        });
        const hedges: HedgeStartedEvent[] = [];
        policy.on('hedge', (e) => hedges.push(e));
        const probe = new ProbePolicy('probe', clock);
        const chain = s.outerTimeout === undefined ? pipeline(probe, policy) : pipeline(probe, timeout({ duration: s.outerTimeout, clock }), policy);
        const runs: Run[] = [];
        const fn = (ctx: ExecutionContext): unknown => {
          const n = runs.length + 1;
          const step = s.steps[(n - 1) % s.steps.length] as Step;
          const run: Run = { n, ctx, startedAt: clock.now(), ended: false };
          runs.push(run);
          if (step.kind === 'sync-ok') {
            run.ended = true;
            return `sync ${n}`;
          }
          if (step.kind === 'sync-throw') {
            run.ended = true;
            throw new Transient(`sync ${n}`);
          }
          const signal = s.readsSignal ? ctx.signal : undefined;
          return new Promise((resolve, reject) => {
            const timer = clock.setTimeout(() => {
              run.ended = true;
              signal?.removeEventListener('abort', onAbort);
              if (step.kind === 'ok') resolve(`ok ${n}`);
              else if (step.kind === 'flagged') resolve('flagged');
              else if (step.kind === 'transient') reject(new Transient(String(n)));
              else if (step.kind === 'fatal') reject(new Fatal(String(n)));
              else reject(new ExecutionRejectedError(`rejected ${n}`));
            }, step.ms);
            const onAbort = (): void => {
              if (!s.honoursAbort) return;
              run.ended = true;
              clock.clearTimeout(timer);
              reject((signal as AbortSignal).reason);
            };
            signal?.addEventListener('abort', onAbort, { once: true });
          });
        };
        let settledAt = -1;
        let runningAtSettle: Run[] = [];
        probe.onSettle = () => {
          settledAt = clock.now();
          runningAtSettle = runs.filter((r) => !r.ended);
        };
        const call = track((signal) => chain.execute(fn, signal === undefined ? undefined : { signal }), s.abort, clock);
        await clock.runAll();
        await Promise.resolve();

        // Exactly once.
        expect(call.settlements).toBe(1);
        probe.assertBalanced();
        // At most 1 + maxHedgedAttempts attempts, numbered 1, 2, … in starting order.
        expect(runs.length).toBeLessThanOrEqual(1 + s.maxHedgedAttempts);
        expect(runs.map((r) => r.ctx.attempt)).toEqual(runs.map((r) => r.n));
        // Nothing left behind.
        expect(clock.pending).toBe(0);
        expect(timerServiceFor(clock).pending).toBe(0);
        if (call.controller !== undefined) expect(call.controller.listeners).toBe(0);
        // Every attempt running at settlement was aborted; a winner's signal was not.
        for (const r of runningAtSettle) expect(r.ctx.signal.aborted).toBe(true);
        if (call.outcome?.ok === true && typeof call.outcome.value === 'string' && call.outcome.value.startsWith('ok ')) {
          // (Read only when the function read it during its run: a signal first read after the
          // call reflects whatever the caller did since.)
          const winner = runs[Number(call.outcome.value.slice(3)) - 1] as Run;
          if (s.readsSignal) expect(winner.ctx.signal.aborted).toBe(false);
        }
        // Hedges: attempt k + 1 started after a delay with no answer, or at once after a handled failure.
        expect(hedges.map((e) => e.attempt)).toEqual(runs.slice(1).map((r) => r.n));
        for (const e of hedges) {
          const started = runs[e.attempt - 1] as Run;
          const previous = runs[e.attempt - 2] as Run;
          if (e.trigger === 'delay') expect(started.startedAt).toBe(previous.startedAt + e.delay);
          else expect(e.error instanceof Transient || e.result === 'flagged').toBe(true);
          expect(started.startedAt).toBeLessThanOrEqual(settledAt);
        }
        // One call in the window, no floor: a budget grants ⌊ratio⌋ hedges at most.
        if (budget !== undefined) expect(hedges.length).toBeLessThanOrEqual(Math.floor((s.budgetRatio as number) + 1e-9));
        if (runs.length > 1) hedgedCalls++;
      }),
      { numRuns: 600 },
    );
    expect(hedgedCalls).toBeGreaterThan(100);
  });

  it('with a budget, hedges never exceed ratio × calls + floor within one window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 25 }),
        async (ratio, minPerSecond, maxHedgedAttempts, gaps) => {
          const clock = new VirtualClock();
          // Every call starts within one window of 10 s; each first attempt takes 100 ms, past the 10 ms delay.
          const budget = retryBudget({ ratio, minPerSecond, window: 10_000, clock });
          const policy = hedging({ delay: 10, maxHedgedAttempts, budget, clock });
          let hedges = 0;
          let refused = 0;
          policy.on('hedge', () => hedges++);
          policy.on('hedge-budget-exhausted', () => refused++);
          const calls: Promise<unknown>[] = [];
          for (const gap of gaps) {
            await clock.advance(gap);
            calls.push(policy.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(1), 100))));
            expect(hedges).toBeLessThanOrEqual(ratio * calls.length + (minPerSecond * 10_000) / 1000 + 1e-9);
          }
          await clock.runAll();
          await Promise.all(calls);
          expect(hedges).toBeLessThanOrEqual(ratio * gaps.length + minPerSecond * 10 + 1e-9);
          expect(budget.stats.retries).toBe(hedges);
          // A refusal ends the hedging of its call: at most one per call.
          expect(refused).toBeLessThanOrEqual(gaps.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the latency window answers the nearest-rank percentile of its last `size` latencies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0.5, max: 99.5, noNaN: true }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 2_000, noNaN: true })), { maxLength: 150 }),
        (size, p, latencies) => {
          const w = new LatencyWindow(size, p);
          expect(w.value()).toBeUndefined();
          latencies.forEach((ms, i) => {
            w.record(ms);
            const last = latencies.slice(Math.max(0, i + 1 - size), i + 1);
            expect(w.samples).toBe(last.length);
            expect(w.value()).toBe(percentile(last, p));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the adaptive delay is the warm-up delay below minSamples, then the percentile clamped to [min, max]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          percentile: fc.integer({ min: 1, max: 99 }),
          window: fc.integer({ min: 1, max: 30 }),
          min: fc.integer({ min: 0, max: 60 }),
          span: fc.integer({ min: 0, max: 200 }),
          warmUpDelay: fc.integer({ min: 0, max: 500 }),
        }),
        fc.array(fc.integer({ min: 0, max: 250 }), { minLength: 1, maxLength: 40 }),
        async (a, latencies) => {
          const clock = new VirtualClock();
          const minSamples = Math.max(1, Math.ceil(a.window / 2));
          const delay = { percentile: a.percentile, window: a.window, min: a.min, max: a.min + a.span, minSamples, warmUpDelay: a.warmUpDelay };
          const policy = hedging({ delay, maxHedgedAttempts: 0, clock });
          const seen: number[] = [];
          for (const ms of latencies) {
            const p = policy.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(ms), ms)));
            await clock.runAll();
            await p;
            seen.push(ms);
            const last = seen.slice(-a.window);
            const expected = last.length < minSamples ? a.warmUpDelay : Math.min(a.min + a.span, Math.max(a.min, percentile(last, a.percentile)));
            expect(policy.currentDelay).toBe(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
