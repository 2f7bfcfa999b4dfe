// The experiment runner on a VirtualClock with scripted dependencies: every number below
// follows from the script (calls every 100 ms, faults on at 1 000 ms, windows of 500 ms).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circuitBreaker, type CircuitBreakerPolicy } from '../../circuit-breaker/index';
import { isOptionsValidationError } from '../../core/errors';
import { pipeline, type Policy } from '../../core/policy';
import { fallback } from '../../fallback/index';
import { retry } from '../../retry/index';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { seededRandom } from '../../testing/seeded-random';
import { VirtualClock } from '../../testing/virtual-clock';
import { faultInjection } from '../call-faults';
import { createChaosController, type ChaosController } from '../guards';
import type { ExperimentJournal } from './journal';
import type { ExperimentFault, ExperimentOptions } from './experiment-options';
import { faultIntensity } from './intensity';
import { runExperiment } from './runner';
import { runSuite } from './suite';
import { runToEnd as run } from '../../../test/support/run-experiment';

interface World {
  clock: VirtualClock;
  controller: ChaosController;
}

function world(armed = true): World {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  if (armed) controller.arm({ environment: 'test' });
  return { clock, controller };
}

const schedule = { baseline: 1_000, inject: 2_000, recovery: 3_000, evaluationInterval: 500 };

function rollbackSpies(): { fns: (() => unknown)[]; calls: number[] } {
  const calls = [0, 0, 0];
  return {
    calls,
    fns: [
      function restoreConfig() {
        calls[0]!++;
      },
      async function restoreCache() {
        calls[1]!++;
        await Promise.resolve();
      },
      () => {
        calls[2]!++;
      },
    ],
  };
}

/** A gateway pipeline: the policies under test around an error fault, in front of a 20 ms dependency. */
function gateway(w: World, outer: (breaker: CircuitBreakerPolicy) => Policy[], opts: { recoveryTimeout?: number; failureThreshold?: number } = {}) {
  const { clock, controller } = w;
  const dep = scriptedDependency({ otherwise: Step.ok('charged', 20) }, clock);
  const fault = faultInjection({ name: 'gateway-down', clock, controller });
  const breaker = circuitBreaker({ name: 'gateway', failureThreshold: opts.failureThreshold ?? 3, recoveryTimeout: opts.recoveryTimeout ?? 1_500, clock });
  const p = pipeline(...outer(breaker), fault);
  return { dep, fault, breaker, call: () => p.execute(() => dep()) };
}

describe('runExperiment: verdicts', () => {
  it('a resilient pipeline (fallback + retry + breaker) passes: the steady state holds through the outage', async () => {
    const w = world();
    const g = gateway(w, (b) => [fallback({ tiers: ['queued'], clock: w.clock }), retry({ maxAttempts: 2, delay: 10, clock: w.clock }), b]);
    const rb = rollbackSpies();
    const j = await run(w.clock, {
      name: 'gateway down',
      hypothesis: 'checkout stays available',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { availability: [{ threshold: 'rate>0.99', hard: true }], latency: ['p(99)<500'] } },
      schedule,
      circuitBreakers: [g.breaker],
      rollbacks: rb.fns,
      clock: w.clock,
    });
    expect(j.verdict).toBe('pass');
    expect(j.heldDuringInjection).toBe(1);
    expect(j.summary.phases.inject?.availability).toBe(1);
    expect(j.injections['gateway-down']).toBeGreaterThan(0);
    // The breaker opens on its 3rd failure: call at 1 000 fails, its retry at 1 010 fails, call at 1 100 fails.
    expect(j.timeToDetect).toBe(100);
    expect(j.detectedBy).toBe('circuit gateway opened');
    expect(j.mttr).toBe(0); // the steady state never broke: it held from the first recovery window on
    expect(j.reason).toContain('steady state held while the faults were on');
    // The fallback hid the outage, not the breaker's healing: half-open at 2 600 (fault on:
    // reopens), again at 4 100; that probe succeeds at 4 120, 1 120 ms after faults off.
    expect(j.circuitsClosedAfter).toBe(1_120);
    expect(rb.calls).toEqual([1, 1, 1]);
    expect(j.rollbacks.map((r) => [r.name, r.ok])).toEqual([
      ['restoreConfig', true],
      ['restoreCache', true],
      ['rollback #3', true],
    ]);
    expect(w.clock.pending).toBe(0);
    expect(JSON.parse(JSON.stringify(j))).toStrictEqual(j); // plain JSON: no undefined, NaN or Infinity
  });

  it('a pipeline without breaker or fallback halts at the first evaluation under fault, and rolls back once', async () => {
    const w = world();
    const g = gateway(w, () => [retry({ maxAttempts: 2, delay: 10, clock: w.clock })]);
    const rb = rollbackSpies();
    const j = await run(w.clock, {
      name: 'gateway down, no protection',
      hypothesis: 'checkout stays available',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { availability: [{ threshold: 'rate>0.99', hard: true }] } },
      schedule,
      rollbacks: rb.fns,
      clock: w.clock,
    });
    expect(j.verdict).toBe('halted');
    expect(j.reason).toContain('*:availability:rate>0.99');
    expect(j.phases.map((p) => [p.phase, p.start, p.end])).toEqual([
      ['baseline', 0, 1_000],
      ['inject', 1_000, 1_500],
    ]);
    expect(j.faultsOffAt).toBe(1_500);
    expect(j.timeToDetect).toBe(500); // the breach at the first inject evaluation
    expect(j.mttr).toBeNull();
    expect(g.fault.isEnabled).toBe(false);
    expect(rb.calls).toEqual([1, 1, 1]);
    // nothing measured after the halt
    expect(j.series.length).toBe(3);
    const callsAtHalt = g.dep.calls;
    await w.clock.advance(5_000);
    expect(g.dep.calls).toBe(callsAtHalt);
    expect(w.clock.pending).toBe(0); // no timer of the experiment outlives it
  });

  it('a breaker without fallback: time to detect and MTTR are what the script implies', async () => {
    const w = world();
    const g = gateway(w, (b) => [b]);
    const j = await run(w.clock, {
      name: 'breaker only',
      hypothesis: 'errors stop within 1.5 s of the gateway coming back',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      circuitBreakers: [g.breaker],
      clock: w.clock,
    });
    // Opens at the 3rd failure: calls at 1 000, 1 100, 1 200.
    expect(j.timeToDetect).toBe(200);
    // Half-open at 2 700 (fault still on: reopens), again at 4 200: the probe succeeds at 4 220.
    // Window 4 000–4 500 holds two rejections; 4 500–5 000 is the first clean one.
    expect(j.faultsOffAt).toBe(3_000);
    expect(j.mttr).toBe(1_500);
    expect(j.circuitsClosedAfter).toBe(1_220);
    expect(j.reason).toContain('steady state back 1500 ms after the faults went off');
    expect(j.verdict).toBe('pass');
    expect(j.series.find((p) => p.start === 1_000)?.circuits).toEqual({ gateway: 'open' });
    expect(j.series.find((p) => p.start === 4_500)?.circuits).toEqual({ gateway: 'closed' });
    expect(j.heldDuringRecovery).toBe(0.5);
  });

  it('fails when the steady state is not back within the recovery window', async () => {
    const w = world();
    const g = gateway(w, (b) => [b]);
    const rb = rollbackSpies();
    const j = await run(w.clock, {
      name: 'breaker only, short recovery',
      hypothesis: 'errors stop within 1.5 s',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule: { ...schedule, recovery: 1_500 },
      circuitBreakers: [g.breaker],
      rollbacks: rb.fns,
      clock: w.clock,
    });
    expect(j.verdict).toBe('fail');
    expect(j.mttr).toBeNull();
    // The breaker healed (probe at 4 200 succeeds at 4 220) though the steady state had no time to show it.
    expect(j.circuitsClosedAfter).toBe(1_220);
    expect(j.reason).toContain('not back within the 1500 ms recovery window');
    expect(rb.calls).toEqual([1, 1, 1]);
  });

  it('is skipped when the baseline is not met, and injects nothing', async () => {
    const w = world();
    const dep = scriptedDependency({ otherwise: Step.fail() }, w.clock);
    const enables: number[] = [];
    const fault: ExperimentFault = {
      name: 'spy',
      injections: 0,
      controller: w.controller,
      enable: () => enables.push(w.clock.now()),
      disable: () => undefined,
    };
    const rb = rollbackSpies();
    const j = await run(w.clock, {
      name: 'broken before we start',
      hypothesis: 'h',
      faults: [fault],
      load: { fn: () => dep(), rate: 10 },
      steadyState: [{ metric: 'errorRate', threshold: 'rate<0.1' }],
      schedule,
      rollbacks: rb.fns,
      clock: w.clock,
    });
    expect(j.verdict).toBe('skipped');
    expect(j.reason).toMatch(/^baseline not met: \*:errorRate:rate<0\.1 broke at 500 ms/);
    expect(enables).toEqual([]);
    expect(j.faultsOnAt).toBeNull();
    expect(j.phases).toEqual([{ phase: 'baseline', start: 0, end: 500 }]);
    expect(rb.calls).toEqual([1, 1, 1]);
  });

  it('is skipped when no call completes during the baseline', async () => {
    const w = world();
    const dep = scriptedDependency({ otherwise: Step.hang() }, w.clock);
    const fault = faultInjection({ clock: w.clock, controller: w.controller });
    const p = runExperiment({
      name: 'silent',
      hypothesis: 'h',
      faults: [fault],
      load: { fn: () => dep(), rate: 10, maxInFlight: 5 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      clock: w.clock,
    });
    await w.clock.advance(1_000);
    const j = await p;
    expect(j.verdict).toBe('skipped');
    expect(j.reason).toContain('no call completed');
    expect(j.summary.dropped).toBe(5);
    expect(fault.injections).toBe(0);
  });

  it('is aborted by a runner error (a fault that cannot be switched on); rollbacks still run once', async () => {
    const w = world();
    const g = gateway(w, (b) => [b]);
    const broken: ExperimentFault = {
      name: 'broken',
      injections: 0,
      controller: w.controller,
      enable: () => {
        throw new Error('cannot reach the chaos agent');
      },
      disable: () => undefined,
    };
    const rb = rollbackSpies();
    const j = await run(w.clock, {
      name: 'runner error',
      hypothesis: 'h',
      faults: [g.fault, broken],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      rollbacks: rb.fns,
      clock: w.clock,
    });
    expect(j.verdict).toBe('aborted');
    expect(j.reason).toBe('runner error: Error: cannot reach the chaos agent');
    expect(j.faultsOffAt).toBe(1_000);
    expect(g.fault.isEnabled).toBe(false);
    expect(rb.calls).toEqual([1, 1, 1]);
  });

  it('refuses to start when chaos is not armed, saying why (nothing runs, no rollback)', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: {}, clock });
    controller.arm({ environment: 'test' }); // the environment switch is missing: stays disarmed
    const dep = scriptedDependency({ otherwise: Step.ok() }, clock);
    const rb = rollbackSpies();
    const j = await run(clock, {
      name: 'not armed',
      hypothesis: 'h',
      faults: [faultInjection({ clock, controller })],
      load: { fn: () => dep(), rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      rollbacks: rb.fns,
      clock,
    });
    expect(j.verdict).toBe('aborted');
    expect(j.reason).toContain('refused to start: chaos is off');
    expect(j.reason).toContain('BREAKWATER_CHAOS');
    expect(dep.calls).toBe(0);
    expect(rb.calls).toEqual([0, 0, 0]);
    expect(j.phases).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('is aborted when chaos is halted (kill switch) while faults are on', async () => {
    const w = world();
    const g = gateway(w, (b) => [fallback({ tiers: ['queued'], clock: w.clock }), b]);
    const rb = rollbackSpies();
    const p = runExperiment({
      name: 'kill switch',
      hypothesis: 'h',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      rollbacks: rb.fns,
      clock: w.clock,
    });
    await w.clock.advance(1_200);
    w.controller.halt('operator pressed the red button');
    await w.clock.runAll();
    const j = await p;
    expect(j.verdict).toBe('aborted');
    expect(j.reason).toContain('operator pressed the red button');
    expect(j.phases.at(-1)).toEqual({ phase: 'inject', start: 1_000, end: 1_500 });
    expect(rb.calls).toEqual([1, 1, 1]);
  });

  it('runs every rollback even when one throws or hangs, and records each result', async () => {
    const w = world();
    const g = gateway(w, (b) => [fallback({ tiers: ['queued'], clock: w.clock }), b]);
    const ran: string[] = [];
    const j = await run(w.clock, {
      name: 'rollbacks',
      hypothesis: 'h',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      rollbacks: [
        () => {
          ran.push('a');
          throw new TypeError('config store is read-only');
        },
        () => {
          ran.push('b');
          return new Promise(() => undefined); // never settles
        },
        async () => {
          ran.push('c');
          await Promise.reject(new Error('cache flush failed'));
        },
        function last() {
          ran.push('d');
        },
      ],
      rollbackTimeout: 2_000,
      clock: w.clock,
    });
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
    expect(j.rollbacks).toEqual([
      { index: 0, name: 'rollback #1', ok: false, error: 'TypeError: config store is read-only', duration: 0 },
      { index: 1, name: 'rollback #2', ok: false, error: 'Error: did not settle within 2000 ms (rollbackTimeout)', duration: 2_000 },
      { index: 2, name: 'rollback #3', ok: false, error: 'Error: cache flush failed', duration: 0 },
      { index: 3, name: 'last', ok: true, duration: 0 },
    ]);
    expect(j.verdict).toBe('pass');
  });
});

describe('runExperiment: measurements and determinism', () => {
  it('the same seed gives the same journal; another seed another one', async () => {
    const once = async (seed: number): Promise<string> => {
      const w = world();
      const dep = scriptedDependency((n) => Step.ok(n, 5 + (n % 7) * 3), w.clock);
      const fault = faultInjection({ name: 'flaky', rate: 0.3, random: seededRandom(seed), clock: w.clock, controller: w.controller });
      const breaker = circuitBreaker({ name: 'b', failureThreshold: 4, recoveryTimeout: 700, clock: w.clock });
      const p = pipeline(retry({ maxAttempts: 3, delay: 15, jitter: 'full', random: seededRandom(seed + 1), clock: w.clock }), breaker, fault);
      const j = await run(w.clock, {
        name: 'determinism',
        hypothesis: 'h',
        seed,
        faults: [fault],
        load: { fn: () => p.execute(() => dep()), rate: 40 },
        steadyState: { '*': { errorRate: ['rate<0.05'], latency: ['p(99)<200', 'avg<100'] } },
        schedule: { baseline: 1_000, ramp: 500, inject: 1_500, recovery: 1_500, evaluationInterval: 250 },
        circuitBreakers: [breaker],
        clock: w.clock,
      });
      return JSON.stringify(j);
    };
    const a = await once(7);
    expect(await once(7)).toBe(a);
    expect(await once(8)).not.toBe(a);
    const parsed = JSON.parse(a) as ExperimentJournal;
    expect(parsed.seed).toBe(7);
    expect(parsed.phases.map((p) => p.phase)).toEqual(['baseline', 'ramp', 'inject', 'recovery']);
  });

  it('watches a circuit breaker through its events: state read once, a manual reset recorded at its exact time', async () => {
    const w = world();
    const g = gateway(w, (b) => [b]);
    let reads = 0;
    const watched = new Proxy(g.breaker, {
      get(target, key) {
        if (key === 'state') reads++;
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    // Between two calls (every 100 ms, 20 ms each): the breaker, open since its failed probe
    // at 2 700, is reset by hand at 3 050, after the faults went off at 3 000.
    w.clock.setTimeout(() => g.breaker.reset(), 3_050);
    const j = await run(w.clock, {
      name: 'reset by hand',
      hypothesis: 'h',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      circuitBreakers: [watched],
      clock: w.clock,
    });
    expect(reads).toBe(1); // at the start; never polled after a call or at an evaluation
    expect(j.timeToDetect).toBe(200);
    expect(j.circuitsClosedAfter).toBe(50); // polling would have seen it at the next call's end (3 120)
    expect(j.series.find((p) => p.start === 2_500)?.circuits).toEqual({ gateway: 'open' });
    expect(j.series.find((p) => p.start === 3_500)?.circuits).toEqual({ gateway: 'closed' });
    expect(w.clock.pending).toBe(0);
  });

  it('records per-operation checks, time series and injections per fault', async () => {
    const w = world();
    const fast = scriptedDependency({ otherwise: Step.ok('a', 10) }, w.clock);
    const slow = scriptedDependency({ otherwise: Step.ok('b', 40) }, w.clock);
    const fault = faultInjection({ name: 'b-errors', clock: w.clock, controller: w.controller, target: { operations: ['op.b'] } });
    const p = pipeline(fault);
    const j = await run(w.clock, {
      name: 'ops',
      hypothesis: 'h',
      faults: [fault],
      load: {
        fn: (i) => (i % 2 === 0 ? p.execute(() => fast(), { operation: 'op.a' }) : p.execute(() => slow(), { operation: 'op.b' })),
        rate: 20,
        operation: (i) => (i % 2 === 0 ? 'op.a' : 'op.b'),
      },
      steadyState: { 'op.a': { errorRate: ['rate==0'], latency: ['max<=10'] }, 'op.b': { errorRate: ['rate<0.5'] } },
      schedule: { baseline: 1_000, inject: 1_000, recovery: 1_500, evaluationInterval: 500 },
      clock: w.clock,
    });
    expect(j.checks.map((c) => c.id)).toEqual(['op.a:errorRate:rate==0', 'op.a:latency:max<=10', 'op.b:errorRate:rate<0.5']);
    const injectEvals = j.evaluations.filter((e) => e.phase === 'inject');
    expect(injectEvals.filter((e) => e.check.startsWith('op.a')).every((e) => e.pass === true)).toBe(true);
    expect(injectEvals.filter((e) => e.check === 'op.b:errorRate:rate<0.5').map((e) => e.value)).toEqual([1, 1]);
    expect(j.injections).toEqual({ 'b-errors': 10 });
    expect(j.series[0]).toMatchObject({ window: 0, phase: 'baseline', start: 0, end: 500, calls: 10, failures: 0, errorRate: 0, p50: 10, p99: 40, throughput: 20, steady: true });
    expect(j.series.find((s) => s.start === 1_000)).toMatchObject({ calls: 10, failures: 5, errorRate: 0.5, steady: false });
    expect(j.verdict).toBe('pass');
    expect(j.mttr).toBe(0);
  });

  it('ramps fault intensity from 0 to 1 across the ramp phase', async () => {
    const w = world();
    const intensity = faultIntensity();
    const dep = scriptedDependency({ otherwise: Step.ok() }, w.clock);
    const fault = faultInjection({ name: 'ramped', rate: intensity.scale(1), random: seededRandom(3), clock: w.clock, controller: w.controller });
    const p = pipeline(fallback<unknown>({ tiers: ['x'], clock: w.clock }), fault);
    const levels: [string, number][] = [];
    const j = await run(w.clock, {
      name: 'ramp',
      hypothesis: 'h',
      faults: [fault],
      intensity,
      load: { fn: () => p.execute(() => dep()), rate: 100 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule: { baseline: 500, ramp: 2_000, inject: 500, recovery: 1_500, evaluationInterval: 500 },
      progress: { onEvaluation: (e) => levels.push([e.point.phase, intensity.level]) },
      clock: w.clock,
    });
    expect(levels.filter(([ph]) => ph === 'ramp').map(([, l]) => l)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(levels.filter(([ph]) => ph === 'recovery').every(([, l]) => l === 0)).toBe(true);
    expect(intensity.level).toBe(1); // back to "no experiment"
    // Injections grow with the level: about 1/8, 3/8, 5/8, 7/8 of 50 calls per ramp window.
    expect(j.injections['ramped']).toBeGreaterThan(100);
    expect(j.injections['ramped']).toBeLessThan(160);
  });

  it('drives a concurrency load and counts it', async () => {
    const w = world();
    const dep = scriptedDependency({ otherwise: Step.ok(1, 50) }, w.clock);
    const fault = faultInjection({ clock: w.clock, controller: w.controller, rate: 0 });
    const j = await run(w.clock, {
      name: 'closed model',
      hypothesis: 'h',
      faults: [fault],
      load: { fn: () => dep(), concurrency: 2 },
      steadyState: { '*': { throughput: ['rate>=36'] } },
      schedule: { baseline: 1_000, inject: 1_000, recovery: 1_000, evaluationInterval: 500, ramp: 0 },
      recoveryStreak: 2,
      clock: w.clock,
    });
    expect(j.verdict).toBe('pass');
    expect(j.summary.started).toBe(120); // 2 workers × 20 calls per second × 3 s
    expect(j.series.map((p) => p.throughput)).toEqual([36, 40, 40, 40, 40, 40]); // the calls ending at 500 land after the first evaluation
    expect(dep.maxActive).toBe(2);
  });

  it('time to detect is the earlier of the breaker opening ((failureThreshold − 1) × call interval) and the first breach', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.constantFrom(4, 5, 10, 20), async (threshold, rate) => {
        const w = world();
        const g = gateway(w, (b) => [b], { failureThreshold: threshold });
        const j = await run(w.clock, {
          name: 'ttd',
          hypothesis: 'h',
          faults: [g.fault],
          load: { fn: g.call, rate },
          steadyState: { '*': { errorRate: ['rate<0.5'] } },
          schedule: { baseline: 1_000, inject: 2_000, recovery: 3_000, evaluationInterval: 1_000 },
          circuitBreakers: [g.breaker],
          clock: w.clock,
        });
        // The breaker opens at the threshold-th failing call; the first evaluation under
        // fault (1 000 ms after faults on) sees the breach: whichever comes first detects.
        const opening = ((threshold - 1) * 1000) / rate;
        expect(j.timeToDetect).toBe(Math.min(opening, 1000));
        expect(j.detectedBy).toBe(opening < 1000 ? 'circuit gateway opened' : 'breach *:errorRate:rate<0.5');
      }),
      { numRuns: 20 },
    );
  });
  it('MTTR follows from the breaker recovery timeout, for any timeout (reference model of the script)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }).map((k) => k * 100), async (recoveryTimeout) => {
        // The model: calls every 100 ms; faults on 1 000–3 000 ms; the breaker opens at the
        // 3rd failure (1 200 ms); a probe is the first call ≥ opening + recoveryTimeout and
        // fails while faults are on. Rejections complete at once; a failure at t falls in
        // window ⌊t / 500⌋ (a call at a window's end lands in the next window).
        let openedAt = 1_200;
        let probe = Math.ceil((openedAt + recoveryTimeout) / 100) * 100;
        while (probe < 3_000) {
          openedAt = probe;
          probe = Math.ceil((openedAt + recoveryTimeout) / 100) * 100;
        }
        const lastFailure = probe - 100;
        const expected = lastFailure < 3_000 ? 0 : (Math.floor(lastFailure / 500) + 1) * 500 - 3_000;
        const w = world();
        const g = gateway(w, (b) => [b], { recoveryTimeout });
        const j = await run(w.clock, {
          name: 'mttr',
          hypothesis: 'h',
          faults: [g.fault],
          load: { fn: g.call, rate: 10 },
          steadyState: { '*': { errorRate: ['rate<0.1'] } },
          schedule: { baseline: 1_000, inject: 2_000, recovery: 6_000, evaluationInterval: 500 },
          circuitBreakers: [g.breaker],
          clock: w.clock,
        });
        expect(j.mttr).toBe(expected);
        expect(j.verdict).toBe('pass');
      }),
      { numRuns: 15 },
    );
  });
});

describe('runExperiment: options', () => {
  const base = (w: World): ExperimentOptions => ({
    name: 'x',
    hypothesis: 'h',
    faults: [faultInjection({ clock: w.clock, controller: w.controller })],
    load: { fn: () => 1, rate: 10 },
    steadyState: { '*': { errorRate: ['rate<0.1'] } },
    schedule,
    clock: w.clock,
  });

  it('reports every bad field and threshold in one OptionsValidationError', async () => {
    const w = world();
    const error = await runExperiment({
      ...base(w),
      steadyState: { '*': { errorRate: ['p(99)<3'], latency: ['p(99<800', { threshold: 'avg<1', hard: 'yes' as unknown as boolean }] } },
      schedule: { baseline: 0, inject: 1_000, recovery: 500, evaluationInterval: 250 },
      load: { fn: () => 1, duration: 5_000 } as never,
      recoveryStreak: 0,
      extra: true,
    } as unknown as ExperimentOptions).catch((e: unknown) => e);
    expect(isOptionsValidationError(error)).toBe(true);
    const msg = (error as Error).message;
    expect(msg).toContain('unknown option `extra`');
    expect(msg).toContain('`schedule.baseline`');
    expect(msg).toContain('`recoveryStreak`');
    expect(msg).toContain('unknown option `load.duration`'); // the schedule sets the load's duration
    expect(msg).toContain('`steadyState.*.errorRate[0]`'); // reported together with the fields above
    const again = await runExperiment({
      ...base(w),
      steadyState: { '*': { errorRate: ['p(99)<3'], latency: ['p(99<800', { threshold: 'avg<1', hard: 'yes' as unknown as boolean }] } },
      load: { fn: () => 1 },
    }).catch((e: unknown) => e);
    const m2 = (again as Error).message;
    expect(m2).toContain('`load.rate`');
    expect(m2).toContain('`steadyState.*.errorRate[0]`');
    expect(m2).toContain('an aggregation that applies to errorRate: rate, count');
    expect(m2).toContain('`steadyState.*.latency[0]`');
    expect(m2).toContain('`steadyState.*.latency[1].hard`');
  });

  it('rejects a recovery window too short for the recovery streak, and duplicate fault names', async () => {
    const w = world();
    const f = faultInjection({ name: 'same', clock: w.clock, controller: w.controller });
    const e = await runExperiment({ ...base(w), faults: [f, f], schedule: { ...schedule, recovery: 1_000 }, recoveryStreak: 3 }).catch((x: unknown) => x);
    expect((e as Error).message).toContain('`schedule.recovery` to be long enough for 3 evaluations');
    expect((e as Error).message).toContain('faults with distinct names');
  });

  it('rejects an empty steady state and checks of unknown metrics', async () => {
    const w = world();
    const e1 = await runExperiment({ ...base(w), steadyState: {} }).catch((x: unknown) => x);
    expect((e1 as Error).message).toContain('at least one check');
    const e2 = await runExperiment({ ...base(w), steadyState: [{ metric: 'errors' as never, threshold: 'rate<1' }] }).catch((x: unknown) => x);
    expect((e2 as Error).message).toContain('`steadyState[0].metric`');
  });
});

describe('runSuite', () => {
  it('runs experiments in order and weighs their scores', async () => {
    const w = world();
    const resilient = gateway(w, (b) => [fallback({ tiers: ['queued'], clock: w.clock }), b]);
    const bare = gateway(w, () => []);
    const order: string[] = [];
    const exp = (name: string, g: ReturnType<typeof gateway>): ExperimentOptions => ({
      name,
      hypothesis: 'available',
      faults: [g.fault],
      load: { fn: g.call, rate: 10 },
      steadyState: { '*': { availability: [{ threshold: 'rate>0.9', hard: true }] } },
      schedule,
      clock: w.clock,
    });
    const p = runSuite({
      name: 'suite',
      seed: 1,
      experiments: [
        { weight: 3, experiment: exp('resilient', resilient) },
        { weight: 1, experiment: exp('bare', bare) },
      ],
      progress: { onStart: (i) => order.push(`${i.position}/${i.of} ${i.experiment}`) },
    });
    await w.clock.runAll();
    const s = await p;
    expect(order).toEqual(['1/2 resilient', '2/2 bare']);
    expect(s.experiments.map((e) => [e.journal.verdict, e.score])).toEqual([
      ['pass', 100],
      ['halted', 0],
    ]);
    expect(s.score).toBe(75);
    expect(s.verdicts).toEqual({ pass: 1, fail: 0, halted: 1, aborted: 0, skipped: 0 });
    expect(s.duration).toBe(6_000 + 1_500);
  });

  it('validates every experiment before running any', async () => {
    const w = world();
    const dep = scriptedDependency({ otherwise: Step.ok() }, w.clock);
    const good: ExperimentOptions = {
      name: 'ok',
      hypothesis: 'h',
      faults: [faultInjection({ clock: w.clock, controller: w.controller })],
      load: { fn: () => dep(), rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.1'] } },
      schedule,
      clock: w.clock,
    };
    const e = await runSuite({ name: 's', experiments: [{ experiment: good }, { experiment: { ...good, steadyState: { '*': { errorRate: ['nope'] } } } }] }).catch((x: unknown) => x);
    expect(isOptionsValidationError(e)).toBe(true);
    expect(dep.calls).toBe(0);
  });
});
