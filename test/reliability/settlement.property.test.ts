/**
 * Model/property tests of the reliability guarantees, on the VirtualClock, under random
 * fault schedules, durations and caller aborts:
 *
 * - every call settles exactly once and none hangs (after `clock.runAll()` every promise
 *   has settled, and every layer of the chain delivered exactly one outcome per run);
 * - no unhandled rejection (a process listener fails the file);
 * - no listener left on the caller's AbortSignal after its call;
 * - no timer left (VirtualClock.pending and the timer service both 0);
 * - bulkhead and half-open limits never exceeded; retry attempts, `maxDuration` and
 *   deadlines respected, and no attempt starts after the caller aborted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timerServiceFor } from '../../src/core/timer-service';
import type { ExecutionContext } from '../../src/core/context';
import { pipeline, type Policy } from '../../src/core/policy';
import { isTimeoutError } from '../../src/core/errors';
import { retry, retryBudget } from '../../src/retry/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { fallback } from '../../src/fallback/index';
import { createChaosController, faultInjection, hang, latencyInjection, outcomeInjection } from '../../src/chaos/index';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { seededRandom } from '../../src/testing/seeded-random';
import {
  ProbePolicy,
  abortPlanArb,
  depStepArb,
  macrotask,
  scheduledDependency,
  track,
  trapUnhandledRejections,
  type AbortPlan,
  type DepStep,
  type TrackedCall,
} from './support';

const unhandled = trapUnhandledRejections();

/** Runs from the environment (CI may raise them); ≥ 1000 by default. */
const RUNS = Number(process.env['RELIABILITY_RUNS'] ?? 1000);

interface CallPlan {
  readonly startAt: number;
  readonly abort: AbortPlan;
  readonly deadline: number | undefined;
}

function callPlanArb(maxStart = 1_000, withDeadline = false): fc.Arbitrary<CallPlan> {
  return fc.record({
    startAt: fc.integer({ min: 0, max: maxStart }),
    abort: abortPlanArb(),
    deadline: withDeadline ? fc.option(fc.integer({ min: 1, max: 3_000 }), { nil: undefined }) : fc.constant(undefined),
  });
}

interface Scenario {
  readonly clock: VirtualClock;
  readonly policy: Policy;
  readonly steps: readonly DepStep[];
  readonly calls: readonly CallPlan[];
  readonly probes: readonly ProbePolicy[];
  /** Extra checks once everything has settled. */
  readonly after?: (calls: readonly TrackedCall[], started: readonly number[]) => void;
}

/**
 * Starts every call at its time, runs the clock out, then checks the common guarantees.
 * Returns the tracked calls.
 */
async function play(s: Scenario): Promise<readonly TrackedCall[]> {
  const { clock, policy } = s;
  const dep = scheduledDependency(s.steps, clock);
  const calls: TrackedCall[] = [];
  const started: number[] = [];
  let begun = 0;
  for (const [i, plan] of s.calls.entries()) {
    clock.setTimeout(() => {
      started[i] = clock.now();
      begun++;
      const deadline = plan.deadline === undefined ? undefined : clock.now() + plan.deadline;
      calls[i] = track((signal) => policy.execute(dep.fn, { signal, deadline }), plan.abort, clock);
    }, plan.startAt);
  }
  await clock.runAll();
  await macrotask();
  // Never hung: every call settled, exactly once (calls are indexed like their plans).
  expect(begun).toBe(s.calls.length);
  for (const c of calls) expect(c.settlements).toBe(1);
  // Every layer delivered exactly one outcome per run.
  for (const p of s.probes) p.assertBalanced();
  expect(dep.running()).toBe(0);
  // No timer left, library or test.
  expect(clock.pending).toBe(0);
  expect(timerServiceFor(clock).pending).toBe(0);
  // No listener left on any caller's signal.
  for (const c of calls) expect(c.controller?.listeners ?? 0).toBe(0);
  expect(unhandled.take()).toEqual([]);
  s.after?.(calls, started);
  return calls;
}

const steps = (max = 200): fc.Arbitrary<DepStep[]> => fc.array(depStepArb(max), { minLength: 1, maxLength: 12 });

describe('retry under random faults', () => {
  it('settles every call once, never exceeds maxAttempts, maxDuration or the deadline, never retries after an abort', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxAttempts: fc.integer({ min: 1, max: 6 }),
          delay: fc.integer({ min: 0, max: 300 }),
          jitter: fc.constantFrom('none', 'full', 'equal', 'decorrelated'),
          maxDuration: fc.option(fc.integer({ min: 1, max: 2_000 }), { nil: undefined }),
          budget: fc.boolean(),
          listen: fc.boolean(),
          seed: fc.integer(),
        }),
        steps(),
        fc.array(callPlanArb(1_000, true), { minLength: 1, maxLength: 12 }),
        async (o, deps, plans) => {
          const clock = new VirtualClock();
          const r = retry({
            clock,
            random: seededRandom(o.seed),
            maxAttempts: o.maxAttempts,
            delay: o.delay,
            jitter: o.jitter,
            ...(o.maxDuration !== undefined ? { maxDuration: o.maxDuration } : {}),
            ...(o.budget ? { budget: retryBudget({ clock, ratio: 0.2, minPerSecond: 1 }) } : {}),
          });
          if (o.listen) r.onEvent(() => {});
          const outer = new ProbePolicy('outer', clock);
          const inner = new ProbePolicy('inner', clock);
          const attempts = new Map<ExecutionContext, { count: number; start: number; deadline: number }>();
          const violations: string[] = [];
          outer.onRun = (ctx) => attempts.set(ctx.call, { count: 0, start: clock.now(), deadline: ctx.deadline });
          inner.onRun = (ctx) => {
            const a = attempts.get(ctx.call);
            if (a === undefined) return void violations.push('attempt of an unknown call');
            a.count++;
            if (ctx.attempt !== a.count) violations.push(`ctx.attempt ${ctx.attempt} on attempt ${a.count}`);
            if (a.count > o.maxAttempts) violations.push(`attempt ${a.count} > maxAttempts ${o.maxAttempts}`);
            if (a.count > 1) {
              if (clock.now() >= a.deadline) violations.push(`attempt ${a.count} at ${clock.now()} ≥ deadline ${a.deadline}`);
              if (o.maxDuration !== undefined && clock.now() > a.start + o.maxDuration) {
                violations.push(`attempt ${a.count} at ${clock.now()} past maxDuration (start ${a.start})`);
              }
              if (ctx.cancelledByCaller) violations.push(`attempt ${a.count} started after the caller aborted`);
            }
          };
          const p = pipeline(outer, r, inner);
          await play({ clock, policy: p, steps: deps, calls: plans, probes: [outer, inner] });
          expect(violations).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('circuit breaker under random faults', () => {
  it('settles every call once and never admits more than maxProbes trial calls per half-open period', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rule: fc.constantFrom('consecutive', 'count', 'time'),
          failureThreshold: fc.integer({ min: 1, max: 4 }),
          size: fc.integer({ min: 2, max: 8 }),
          maxProbes: fc.integer({ min: 1, max: 3 }),
          successThreshold: fc.integer({ min: 1, max: 3 }),
          recoveryTimeout: fc.integer({ min: 1, max: 400 }),
          slow: fc.boolean(),
        }),
        steps(),
        fc.array(callPlanArb(2_000), { minLength: 1, maxLength: 16 }),
        async (o, deps, plans) => {
          const clock = new VirtualClock();
          const windowed = o.rule !== 'consecutive';
          const breaker = circuitBreaker({
            clock,
            recoveryTimeout: o.recoveryTimeout,
            halfOpen: { maxProbes: o.maxProbes, successThreshold: o.successThreshold },
            ...(windowed
              ? {
                  window: o.rule === 'count' ? { kind: 'count' as const, size: o.size } : { kind: 'time' as const, duration: 500, buckets: 5 },
                  minimumThroughput: 2,
                  failureRateThreshold: 0.5,
                  ...(o.slow ? { slowCallDuration: 100, slowCallRateThreshold: 0.8 } : {}),
                }
              : { failureThreshold: o.failureThreshold }),
          });
          // Track half-open periods and the trial calls admitted in each.
          let period = 0;
          let open = false;
          let active = 0;
          let maxActive = 0;
          const probeOf = new Map<ExecutionContext, number>();
          breaker.on('half-opened', () => {
            period++;
            open = true;
            active = 0;
          });
          breaker.on('opened', () => (open = false));
          breaker.on('closed', () => (open = false));
          const outer = new ProbePolicy('outer', clock);
          const inner = new ProbePolicy('inner', clock);
          inner.onRun = (ctx) => {
            if (!open) return;
            probeOf.set(ctx.call, period);
            active++;
            if (active > maxActive) maxActive = active;
            expect(breaker.stats.activeProbes).toBeLessThanOrEqual(o.maxProbes);
          };
          inner.onSettle = (ctx) => {
            const p = probeOf.get(ctx.call);
            probeOf.delete(ctx);
            if (p === period && open) active--;
          };
          await play({ clock, policy: pipeline(outer, breaker, inner), steps: deps, calls: plans, probes: [outer, inner] });
          expect(maxActive).toBeLessThanOrEqual(o.maxProbes);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('timeout under random faults', () => {
  it('settles every call once; an aggressive timeout settles by its deadline (or the call deadline)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ duration: fc.integer({ min: 1, max: 500 }), strategy: fc.constantFrom('aggressive' as const, 'cooperative' as const), nested: fc.boolean() }),
        steps(),
        fc.array(callPlanArb(1_000, true), { minLength: 1, maxLength: 12 }),
        async (o, deps, plans) => {
          const clock = new VirtualClock();
          const t = timeout({ clock, duration: o.duration, strategy: o.strategy });
          const policies: Policy[] = o.nested ? [timeout({ clock, duration: Math.ceil(o.duration / 2) + 1 }), t] : [t];
          const outer = new ProbePolicy('outer', clock);
          const inner = new ProbePolicy('inner', clock);
          const limits = new Map<ExecutionContext, number>();
          const late: string[] = [];
          outer.onRun = (ctx) => limits.set(ctx.call, Math.min(ctx.deadline, clock.now() + o.duration));
          outer.onSettle = (ctx, out) => {
            const limit = limits.get(ctx.call) as number;
            limits.delete(ctx);
            if (o.strategy === 'aggressive' && !o.nested && clock.now() > limit) late.push(`settled at ${clock.now()} > ${limit}`);
            if (!out.ok && isTimeoutError(out.error) && clock.now() < limit && !o.nested) late.push(`timed out early at ${clock.now()} < ${limit}`);
          };
          await play({ clock, policy: pipeline(outer, ...policies, inner), steps: deps, calls: plans, probes: [outer, inner] });
          expect(late).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('bulkhead under random faults', () => {
  it('settles every call once and never runs more than maxConcurrent or queues more than maxQueue', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxConcurrent: fc.integer({ min: 1, max: 4 }),
          maxQueue: fc.integer({ min: 0, max: 5 }),
          queueTimeout: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
          timed: fc.boolean(),
        }),
        steps(),
        fc.array(callPlanArb(300), { minLength: 1, maxLength: 20 }),
        async (o, deps, plans) => {
          const clock = new VirtualClock();
          const b = bulkhead({
            clock,
            maxConcurrent: o.maxConcurrent,
            maxQueue: o.maxQueue,
            ...(o.queueTimeout !== undefined ? { queueTimeout: o.queueTimeout } : {}),
          });
          const over: string[] = [];
          b.on('queued', (e) => {
            if (e.queued > o.maxQueue) over.push(`queued ${e.queued}`);
          });
          const outer = new ProbePolicy('outer', clock);
          const inner = new ProbePolicy('inner', clock);
          inner.onRun = () => {
            const st = b.stats;
            if (st.active > o.maxConcurrent || st.queued > o.maxQueue) over.push(`stats ${st.active}/${st.queued}`);
          };
          // A timeout outside abandons queued and running calls: the limit must still hold.
          const chain: Policy[] = o.timed ? [outer, timeout({ clock, duration: 150 }), b, inner] : [outer, b, inner];
          await play({ clock, policy: pipeline(...chain), steps: deps, calls: plans, probes: [outer, inner] });
          expect(inner.maxInFlight).toBeLessThanOrEqual(o.maxConcurrent);
          expect(over).toEqual([]);
          expect(b.stats.active).toBe(0);
          expect(b.stats.queued).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('partitioned: the limit holds per partition and idle partitions are dropped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        steps(),
        fc.array(fc.tuple(callPlanArb(300), fc.constantFrom('a', 'b', 'c')), { minLength: 1, maxLength: 20 }),
        async (maxConcurrent, maxQueue, deps, plans) => {
          const clock = new VirtualClock();
          const b = bulkhead.partitioned({ clock, maxConcurrent, maxQueue, key: (ctx) => ctx.labels['tenant'] ?? '?' });
          const running = new Map<string, number>();
          let worst = 0;
          const outer = new ProbePolicy('outer', clock);
          const inner = new ProbePolicy('inner', clock);
          inner.onRun = (ctx) => {
            const k = ctx.labels['tenant'] ?? '?';
            const n = (running.get(k) ?? 0) + 1;
            running.set(k, n);
            worst = Math.max(worst, n);
          };
          inner.onSettle = (ctx) => {
            const k = ctx.labels['tenant'] ?? '?';
            running.set(k, (running.get(k) ?? 1) - 1);
          };
          const p = pipeline(outer, timeout({ clock, duration: 200 }), b, inner);
          const dep = scheduledDependency(deps, clock);
          const calls: TrackedCall[] = [];
          for (const [plan, tenant] of plans) {
            clock.setTimeout(() => {
              calls.push(track((signal) => p.execute(dep.fn, { signal, labels: { tenant } }), plan.abort, clock));
            }, plan.startAt);
          }
          await clock.runAll();
          await macrotask();
          for (const c of calls) expect(c.settlements).toBe(1);
          outer.assertBalanced();
          inner.assertBalanced();
          expect(worst).toBeLessThanOrEqual(maxConcurrent);
          expect(b.stats.partitions).toBe(0);
          expect(clock.pending).toBe(0);
          for (const c of calls) expect(c.controller?.listeners ?? 0).toBe(0);
          expect(unhandled.take()).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

type TierKind = 'const' | 'throw' | 'reject' | 'resolve' | 'slow';
const tierArb = fc.constantFrom<TierKind>('const', 'throw', 'reject', 'resolve', 'slow');

function makeTier(kind: TierKind, clock: VirtualClock): unknown {
  switch (kind) {
    case 'const':
      return 'constant';
    case 'throw':
      return () => {
        throw new Error('tier threw');
      };
    case 'reject':
      return () => Promise.reject(new Error('tier rejected'));
    case 'resolve':
      return () => Promise.resolve('tier value');
    case 'slow':
      return () => new Promise((resolve) => clock.setTimeout(() => resolve('slow tier'), 50));
  }
}

describe('fallback under random faults', () => {
  it('settles every call once whatever the tiers do', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tierArb, { minLength: 1, maxLength: 4 }), steps(), fc.array(callPlanArb(), { minLength: 1, maxLength: 10 }), async (tiers, deps, plans) => {
        const clock = new VirtualClock();
        const f = fallback({ clock, tiers: tiers.map((k) => makeTier(k, clock)) });
        const outer = new ProbePolicy('outer', clock);
        const inner = new ProbePolicy('inner', clock);
        const calls = await play({ clock, policy: pipeline(outer, f, inner), steps: deps, calls: plans, probes: [outer, inner] });
        // A call that the caller did not cancel and whose tiers include a constant never fails.
        if (tiers.includes('const')) {
          for (const [i, c] of calls.entries()) if (plans[i]?.abort.kind === 'none') expect(c.outcome?.ok).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

type FaultKind = 'error' | 'latency' | 'hang' | 'outcome';
const faultArb = fc.constantFrom<FaultKind>('error', 'latency', 'hang', 'outcome');

function makeFault(kind: FaultKind, clock: VirtualClock, rate: number, seed: number) {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const common = { clock, controller, rate, random: seededRandom(seed) };
  switch (kind) {
    case 'error':
      return { controller, fault: faultInjection(common) };
    case 'latency':
      return { controller, fault: latencyInjection({ ...common, latency: 120 }) };
    case 'hang':
      return { controller, fault: hang(common) };
    case 'outcome':
      return { controller, fault: outcomeInjection({ ...common, result: 'fake' }) };
  }
}

describe('chaos faults under random schedules', () => {
  it('every fault settles every call once (a hang inside a timeout, or halted midway)', async () => {
    await fc.assert(
      fc.asyncProperty(
        faultArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        fc.option(fc.integer({ min: 0, max: 1_500 }), { nil: undefined }),
        steps(),
        fc.array(callPlanArb(), { minLength: 1, maxLength: 10 }),
        async (kind, rate, seed, haltAt, deps, plans) => {
          const clock = new VirtualClock();
          const { controller, fault } = makeFault(kind, clock, rate, seed);
          if (haltAt !== undefined) clock.setTimeout(() => controller.halt('test'), haltAt);
          const outer = new ProbePolicy('outer', clock);
          const inner = new ProbePolicy('inner', clock);
          await play({ clock, policy: pipeline(outer, timeout({ clock, duration: 300 }), fault, inner), steps: deps, calls: plans, probes: [outer, inner] });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('full pipeline: fallback › retry › breaker › timeout › bulkhead › chaos', () => {
  it('settles every call exactly once at every layer, keeps every limit and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxAttempts: fc.integer({ min: 1, max: 4 }),
          delay: fc.integer({ min: 0, max: 100 }),
          failureThreshold: fc.integer({ min: 1, max: 4 }),
          recoveryTimeout: fc.integer({ min: 1, max: 300 }),
          maxProbes: fc.integer({ min: 1, max: 2 }),
          duration: fc.integer({ min: 1, max: 300 }),
          strategy: fc.constantFrom('aggressive' as const, 'cooperative' as const),
          maxConcurrent: fc.integer({ min: 1, max: 3 }),
          maxQueue: fc.integer({ min: 0, max: 3 }),
          fault: faultArb,
          rate: fc.double({ min: 0, max: 1, noNaN: true }),
          seed: fc.integer(),
          tiers: fc.array(tierArb, { minLength: 1, maxLength: 2 }),
          listen: fc.boolean(),
          handleRejections: fc.boolean(),
        }),
        steps(150),
        fc.array(callPlanArb(1_000, true), { minLength: 1, maxLength: 10 }),
        async (o, deps, plans) => {
          const clock = new VirtualClock();
          const { fault } = makeFault(o.fault, clock, o.rate, o.seed);
          const breaker = circuitBreaker({ clock, failureThreshold: o.failureThreshold, recoveryTimeout: o.recoveryTimeout, halfOpen: { maxProbes: o.maxProbes } });
          const b = bulkhead({ clock, maxConcurrent: o.maxConcurrent, maxQueue: o.maxQueue });
          const r = retry({
            clock,
            random: seededRandom(o.seed),
            maxAttempts: o.maxAttempts,
            delay: o.delay,
            ...(o.handleRejections ? { handle: () => true } : {}),
          });
          const probes = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((n) => new ProbePolicy(n, clock));
          const [p0, p1, p2, p3, p4, p5, p6] = probes as [ProbePolicy, ProbePolicy, ProbePolicy, ProbePolicy, ProbePolicy, ProbePolicy, ProbePolicy];
          const attempts = new Map<ExecutionContext, number>();
          const bad: string[] = [];
          p1.onRun = (ctx) => attempts.set(ctx.call, 0);
          p2.onRun = (ctx) => {
            const n = (attempts.get(ctx.call) ?? 0) + 1;
            attempts.set(ctx.call, n);
            if (n > o.maxAttempts) bad.push(`attempt ${n}`);
          };
          const p = pipeline(
            { name: 'full' },
            p0,
            fallback({ clock, tiers: o.tiers.map((k) => makeTier(k, clock)) }),
            p1,
            r,
            p2,
            breaker,
            p3,
            timeout({ clock, duration: o.duration, strategy: o.strategy }),
            p4,
            b,
            p5,
            fault,
            p6,
          );
          if (o.listen) p.onEvent(() => {});
          await play({ clock, policy: p, steps: deps, calls: plans, probes });
          expect(bad).toEqual([]);
          expect(p5.maxInFlight).toBeLessThanOrEqual(o.maxConcurrent);
          expect(b.stats).toMatchObject({ active: 0, queued: 0 });
          expect(breaker.stats.activeProbes).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
