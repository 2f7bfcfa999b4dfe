// Blast radius and SLOs of experiments on a VirtualClock. 50 players; call i starts at
// 20·i ms and takes 5 ms; player ⌊i/2⌋ mod 50 makes call i, a shop.buy for even i and a
// leaderboard.read for odd i; the fault fails shop.buy for a 30 % cohort of players while
// the faults are on (1 000–3 000 ms). `model` derives every expected number from that script
// and the cohort (isInCohort).
import { afterEach, describe, expect, it } from 'vitest';
import { isOptionsValidationError, type OptionsValidationError } from '../../core/errors';
import { pipeline, type Policy } from '../../core/policy';
import { onCallbackError } from '../../core/report';
import { fallback } from '../../fallback/index';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { VirtualClock } from '../../testing/virtual-clock';
import { faultInjection } from '../call-faults';
import { createChaosController } from '../guards';
import { isInCohort } from '../targeting';
import type { ExperimentImpact } from './impact';
import type { ExperimentOptions } from './experiment-options';
import { runExperiment } from './runner';
import { runSuite } from './suite';
import { runToEnd as run } from '../../../test/support/run-experiment';

const PLAYERS = 50;
const CALLS = 250; // 5 s at 50 calls/s
const player = (i: number): string => `p${Math.floor(i / 2) % PLAYERS}`;
const opOf = (i: number): string => (i % 2 === 0 ? 'shop.buy' : 'leaderboard.read');
const HOUR = 3_600_000;
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The script's calls: when each completes, and whether the fault fails it. */
const model = Array.from({ length: CALLS }, (_, i) => {
  const end = i * 20 + 5;
  const underFault = end >= 1_000 && end < 3_000;
  return { i, end, window: Math.floor(end / 500), op: opOf(i), user: player(i), underFault, failed: underFault && opOf(i) === 'shop.buy' && isInCohort(player(i), 30) };
});
const distinct = (xs: readonly string[]): number => new Set(xs).size;
const shopUnderFault = model.filter((c) => c.underFault && c.op === 'shop.buy');
const failed = model.filter((c) => c.failed);
const cohortHit = distinct(failed.map((c) => c.user));

function setup(extra: { withFallback?: boolean; latency?: number } = {}) {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const dep = scriptedDependency({ otherwise: Step.ok('done', extra.latency ?? 5) }, clock);
  const fault = faultInjection({ name: 'shop-down', clock, controller, target: { operations: ['shop.buy'] }, cohort: { label: 'userId', percent: 30 } });
  const p: Policy = extra.withFallback === true ? pipeline(fallback({ tiers: ['queued'], clock }), fault) : pipeline(fault);
  const options: ExperimentOptions = {
    name: 'shop down for a cohort',
    hypothesis: 'leaderboards stay up; only the cohort cannot buy',
    faults: [fault],
    load: {
      fn: (i: number) => p.execute(() => dep(), { operation: opOf(i), labels: { userId: player(i) } }),
      rate: 50,
      operation: opOf,
      userKey: player,
    },
    steadyState: { 'leaderboard.read': { errorRate: ['rate<0.01'] } },
    schedule: { baseline: 1_000, inject: 2_000, recovery: 2_000, evaluationInterval: 500 },
    slos: { 'shop.buy': { objective: 0.99, window: HOUR } },
    clock,
  };
  return { clock, options };
}

let unhook: (() => void) | undefined;
afterEach(() => {
  unhook?.();
  unhook = undefined;
});

describe('blast radius', () => {
  it('counts the distinct players and the operations the faults hurt, under fault and overall', async () => {
    const { clock, options } = setup();
    const j = await run(clock, options);
    expect(j.verdict).toBe('pass');
    expect(cohortHit).toBeGreaterThan(5); // the script is a real test: some players are hit, not all
    expect(cohortHit).toBeLessThan(25);
    const b = j.blastRadius!;
    expect(b.usersTracked).toBe(true);
    const uf = model.filter((c) => c.underFault);
    expect(b.underFault).toEqual({
      calls: uf.length,
      affectedCalls: failed.length,
      failedCalls: failed.length,
      degradedCalls: 0,
      users: distinct(uf.map((c) => c.user)),
      affectedUsers: cohortHit,
      affectedUserShare: Math.round((cohortHit / distinct(uf.map((c) => c.user))) * 1000) / 1000,
      affectedOperations: 1,
      estimated: false,
    });
    expect(b.overall).toMatchObject({ calls: CALLS, affectedCalls: failed.length, users: PLAYERS, affectedUsers: cohortHit, affectedOperations: 1 });
    const ops = (op: string) => {
      const cs = model.filter((c) => c.op === op);
      const f = cs.filter((c) => c.failed).length;
      return { operation: op, calls: cs.length, failed: f, degraded: 0, callsUnderFault: cs.filter((c) => c.underFault).length, affectedUnderFault: f };
    };
    expect(b.operations).toEqual([ops('leaderboard.read'), ops('shop.buy')]);
    expect(JSON.parse(JSON.stringify(j))).toStrictEqual(j);
  });

  it('counts answers of a fallback as degraded when told, and slow calls past degradedAfter', async () => {
    const a = setup({ withFallback: true });
    const j = await run(a.clock, { ...a.options, blastRadius: { degraded: (c) => c.value === 'queued' } });
    expect(j.blastRadius?.underFault).toMatchObject({ failedCalls: 0, degradedCalls: failed.length, affectedUsers: cohortHit });

    const b = setup({ latency: 10 });
    const slow = await run(b.clock, { ...b.options, blastRadius: { degradedAfter: 9 } });
    // Every successful call takes 10 ms: each one is degraded, so every player is affected.
    expect(slow.blastRadius?.overall).toMatchObject({ calls: CALLS, failedCalls: failed.length, degradedCalls: CALLS - failed.length, affectedUsers: PLAYERS, affectedOperations: 2 });
  });

  it('estimates past exactUpTo, and says so', async () => {
    const { clock, options } = setup();
    const j = await run(clock, { ...options, blastRadius: { exactUpTo: 10 } });
    const s = j.blastRadius!.overall;
    expect(s.estimated).toBe(true);
    expect(Math.abs((s.users as number) - PLAYERS)).toBeLessThanOrEqual(2);
    expect(Math.abs((s.affectedUsers as number) - cohortHit)).toBeLessThanOrEqual(1);
  });

  it('without userKey counts calls and operations, and no users', async () => {
    const { clock, options } = setup();
    const { userKey: _ignored, ...load } = options.load;
    const j = await run(clock, { ...options, load });
    expect(j.blastRadius?.usersTracked).toBe(false);
    expect(j.blastRadius?.underFault).toMatchObject({ affectedCalls: failed.length, users: null, affectedUsers: null, affectedUserShare: null, affectedOperations: 1, estimated: false });
  });

  it('reports a throwing userKey or degraded callback and goes on', async () => {
    const seen: string[] = [];
    unhook = onCallbackError((_e, what) => seen.push(what)).dispose;
    const { clock, options } = setup();
    const j = await run(clock, {
      ...options,
      load: { ...options.load, userKey: (i) => (i === 7 ? (null as unknown as string) : i === 8 ? fail('no user') : player(i)) },
      blastRadius: { degraded: () => fail('bad predicate') },
    });
    expect(j.verdict).toBe('pass');
    expect(j.blastRadius?.overall.users).toBe(PLAYERS); // calls 7 and 8 carry no user; their players call again later
    expect(seen).toContain('load.userKey');
    expect(seen).toContain('blastRadius.degraded');
  });

  it('gives observers the impact so far at every evaluation', async () => {
    const { clock, options } = setup();
    const seen: ExperimentImpact[] = [];
    await run(clock, { ...options, progress: { onEvaluation: (info) => void (info.impact !== undefined && seen.push(info.impact)) } });
    expect(seen).toHaveLength(10);
    const byWindow = seen.map((s) => s.blastRadius.underFault.affectedUsers);
    const expected = seen.map((_, w) => distinct(failed.filter((c) => c.window <= w).map((c) => c.user)));
    expect(byWindow).toEqual(expected);
    expect(seen[3]?.slos[0]?.overall.duration).toBe(2_000);
    expect(seen[3]?.slos[0]?.underFault.duration).toBe(1_000);
  });
});

describe('SLOs', () => {
  it('reports the burn rate and the budget consumed, overall, under fault and per window', async () => {
    const { clock, options } = setup();
    const j = await run(clock, options);
    const shop = model.filter((c) => c.op === 'shop.buy');
    const windowRate = (w: number): number | null => {
      const cs = shop.filter((c) => c.window === w);
      return cs.length === 0 ? null : r6(cs.filter((c) => c.failed).length / cs.length / 0.01);
    };
    const rates = Array.from({ length: 10 }, (_, w) => windowRate(w));
    const peak = Math.max(...rates.map((r) => r ?? -1));
    const burnAll = failed.length / shop.length / 0.01;
    const burnUnder = failed.length / shopUnderFault.length / 0.01;
    expect(j.slos).toEqual([
      {
        operation: 'shop.buy',
        objective: 0.99,
        window: HOUR,
        overall: { calls: shop.length, failures: failed.length, duration: 5_000, burnRate: r6(burnAll), budgetConsumed: r6((burnAll * 5_000) / HOUR) },
        underFault: { calls: shopUnderFault.length, failures: failed.length, duration: 2_000, burnRate: r6(burnUnder), budgetConsumed: r6((burnUnder * 2_000) / HOUR) },
        peakBurnRate: peak,
        peakAt: (rates.indexOf(peak) + 1) * 500,
        met: false,
      },
    ]);
    expect(j.series.map((p) => p.burnRates?.['shop.buy'])).toEqual(rates);
  });

  it('halts on a burn-rate halt check (errorRate burn_rate<5) in the first inject window over it', async () => {
    const { clock, options } = setup();
    const shop = model.filter((c) => c.op === 'shop.buy');
    const first = [2, 3, 4, 5].find((w) => {
      const cs = shop.filter((c) => c.window === w);
      return cs.filter((c) => c.failed).length / cs.length / 0.01 >= 5;
    }) as number;
    expect(first).toBeDefined();
    const j = await run(clock, { ...options, halt: { 'shop.buy': { errorRate: ['burn_rate<5'] } } });
    expect(j.verdict).toBe('halted');
    expect(j.reason).toContain('halt:shop.buy:errorRate:burn_rate<5');
    expect(j.faultsOffAt).toBe((first + 1) * 500);
    expect(j.slos?.[0]?.peakBurnRate).toBeGreaterThanOrEqual(5);
  });

  it('an SLO on * counts every call; no SLO gives an empty list', async () => {
    const a = setup();
    const j = await run(a.clock, { ...a.options, slos: { '*': { objective: 0.9 } } });
    expect(j.slos?.[0]).toMatchObject({ operation: '*', window: 30 * 24 * HOUR, overall: { calls: CALLS, failures: failed.length }, met: failed.length / CALLS <= 0.1 });
    const b = setup();
    const { slos: _none, ...noSlos } = b.options;
    const k = await run(b.clock, noSlos);
    expect(k.slos).toEqual([]);
    expect(k.series.every((p) => p.burnRates === undefined)).toBe(true);
  });
});

describe('validation', () => {
  it('names every bad field at once: the plan, slos, blastRadius, load.userKey and a burn_rate without SLO', async () => {
    const { options } = setup();
    const bad = {
      ...options,
      schedule: { ...options.schedule, baseline: -1 },
      load: { ...options.load, userKey: 'p1' },
      slos: { 'shop.buy': { objective: 1, window: 0, budget: 3 } },
      blastRadius: { exactUpTo: -1, degradedAfter: 'slow' },
      halt: { 'leaderboard.read': { errorRate: ['burn_rate<2'] } },
    } as unknown as ExperimentOptions;
    const error = await runExperiment(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOptionsValidationError(error)).toBe(true);
    const paths = (error as OptionsValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['schedule.baseline', 'load.userKey', 'slos.shop.buy.budget', 'slos.shop.buy.objective', 'slos.shop.buy.window', 'blastRadius.exactUpTo', 'blastRadius.degradedAfter', 'halt']));
    expect((error as Error).message).toContain('burn_rate reads slos["leaderboard.read"]');
  });

  it('a suite validates slos before the first experiment runs', async () => {
    const { options } = setup();
    await expect(
      runSuite({ name: 's', experiments: [{ experiment: options }, { experiment: { ...options, steadyState: { '*': { availability: ['burn_rate<1'] } } } }] }),
    ).rejects.toThrow('burn_rate reads slos["*"]');
  });

  it('rejects slos that are not an object without piling up burn-rate issues', async () => {
    const { options } = setup();
    const error = (await runExperiment({ ...options, slos: 3, halt: { 'shop.buy': { errorRate: ['burn_rate<2'] } } } as unknown as ExperimentOptions).catch((e: unknown) => e)) as OptionsValidationError;
    expect(error.issues.map((i) => i.path)).toEqual(['slos']);
  });
});

function fail(message: string): never {
  throw new Error(message);
}
