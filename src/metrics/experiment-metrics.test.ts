// Chaos experiment metrics: followed live through the observer, recorded from journals,
// and valid under `promtool check metrics`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { faultInjection } from '../chaos/call-faults';
import type { ExperimentObserver, ExperimentOptions } from '../chaos/experiment/experiment-options';
import type { ExperimentJournal } from '../chaos/experiment/journal';
import { runSuite } from '../chaos/experiment/suite';
import { createChaosController } from '../chaos/guards';
import { isOptionsValidationError } from '../core/errors';
import { pipeline } from '../core/policy';
import { scriptedDependency, Step } from '../testing/scripted-dependency';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { combinePrometheus, createExperimentMetrics } from './experiment-metrics';
import { ExperimentMetricNames } from './names';
import { runToEnd as runWith } from '../../test/support/run-experiment';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;
const skipReason = hasPromtool ? '' : ' (SKIPPED: promtool not on PATH; install the Debian package `prometheus`)';

/** An experiment whose fault fails every shop.buy of 40 players while the faults are on (1–3 s). */
function experiment(clock: VirtualClock, name = 'shop down'): ExperimentOptions {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const dep = scriptedDependency({ otherwise: Step.ok('done', 5) }, clock);
  const fault = faultInjection({ name: 'shop-down', clock, controller, target: { operations: ['shop.buy'] } });
  const p = pipeline(fault);
  const op = (i: number): string => (i % 2 === 0 ? 'shop.buy' : 'leaderboard.read');
  return {
    name,
    hypothesis: 'leaderboards stay up',
    faults: [fault],
    load: { fn: (i: number) => p.execute(() => dep(), { operation: op(i) }), rate: 40, operation: op, userKey: (i) => `p${Math.floor(i / 2) % 40}` },
    steadyState: { 'leaderboard.read': { errorRate: ['rate<0.01'] } },
    schedule: { baseline: 1_000, inject: 2_000, recovery: 2_000, evaluationInterval: 500 },
    slos: { 'shop.buy': { objective: 0.99, window: 3_600_000 } },
    clock,
  };
}

/** The samples of an exposition, as `name{labels} value` lines keyed by everything before the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('ExperimentMetrics', () => {
  it('follows a run live, then keeps its last-run numbers', async () => {
    const clock = new VirtualClock();
    const experiments = createExperimentMetrics();
    const during: string[] = [];
    const forwarded: string[] = [];
    const next: ExperimentObserver = {
      onStart: () => forwarded.push('start'),
      onPhase: (i) => forwarded.push(i.phase),
      onEvaluation: () => during.push(experiments.toPrometheus()),
      onEnd: () => forwarded.push('end'),
    };
    const j = await runWith(clock, { ...experiment(clock), progress: experiments.observer(next) });
    expect(j.verdict).toBe('pass');
    expect(forwarded).toEqual(['start', 'baseline', 'inject', 'recovery', 'end']);
    const e = 'experiment="shop down"';
    // The evaluation at 2 000 ms (window 3, inject): every shop.buy fails; calls 40–79 came from players 20–39.
    const mid = samples(during[3] as string);
    expect(mid.get(`resilience_experiment_phase{${e},phase="inject"}`)).toBe(1);
    expect(mid.get(`resilience_experiment_phase{${e},phase="idle"}`)).toBe(0);
    expect(mid.get(`resilience_experiment_slo_burn_rate{${e},operation="shop.buy",scope="window"}`)).toBe(100);
    expect(mid.get(`resilience_experiment_affected_users{${e},scope="under_fault"}`)).toBe(20);
    expect(mid.get(`resilience_experiment_runs_total{${e},verdict="pass"}`)).toBe(0);
    expect(mid.has(`resilience_experiment_last_verdict{${e},verdict="pass"}`)).toBe(false);

    const end = samples(experiments.toPrometheus());
    const slo = j.slos?.[0];
    const b = j.blastRadius;
    expect(end.get(`resilience_experiment_phase{${e},phase="idle"}`)).toBe(1);
    expect(end.get(`resilience_experiment_runs_total{${e},verdict="pass"}`)).toBe(1);
    expect(end.get(`resilience_experiment_last_verdict{${e},verdict="pass"}`)).toBe(1);
    expect(end.get(`resilience_experiment_last_verdict{${e},verdict="fail"}`)).toBe(0);
    expect(end.get(`resilience_experiment_mttr_seconds{${e}}`)).toBe((j.mttr as number) / 1000);
    expect(j.timeToDetect).toBeNull(); // the leaderboard check never broke, no breaker watched: nothing detected
    expect(end.has(`resilience_experiment_time_to_detect_seconds{${e}}`)).toBe(false);
    expect(end.get(`resilience_experiment_users{${e},scope="overall"}`)).toBe(b?.overall.users);
    expect(end.get(`resilience_experiment_affected_users{${e},scope="overall"}`)).toBe(b?.overall.affectedUsers);
    expect(end.get(`resilience_experiment_affected_calls{${e},scope="under_fault"}`)).toBe(b?.underFault.affectedCalls);
    expect(end.get(`resilience_experiment_affected_operations{${e},scope="overall"}`)).toBe(1);
    expect(end.get(`resilience_experiment_slo_objective_ratio{${e},operation="shop.buy"}`)).toBe(0.99);
    expect(end.get(`resilience_experiment_slo_burn_rate{${e},operation="shop.buy",scope="overall"}`)).toBe(slo?.overall.burnRate);
    expect(end.get(`resilience_experiment_slo_burn_rate{${e},operation="shop.buy",scope="peak"}`)).toBe(100);
    expect(end.get(`resilience_experiment_slo_budget_consumed_ratio{${e},operation="shop.buy",scope="overall"}`)).toBe(slo?.overall.budgetConsumed);
    expect(end.has(`resilience_experiment_slo_burn_rate{${e},operation="shop.buy",scope="window"}`)).toBe(false); // only while running
  });

  it('records journals read back, suites included, and forgets the last run’s numbers that a new run lacks', async () => {
    const clock = new VirtualClock();
    const run = runSuite({ name: 'drill', experiments: [{ experiment: experiment(clock, 'a') }, { experiment: { ...experiment(clock, 'b'), slos: undefined, schedule: { baseline: 1_000, inject: 1_000, recovery: 500, evaluationInterval: 500 }, recoveryStreak: 1 } }] });
    await clock.runAll();
    const suite = await run;
    const experiments = createExperimentMetrics();
    experiments.record(JSON.parse(JSON.stringify(suite)) as typeof suite);
    experiments.record(suite.experiments[0]?.journal as ExperimentJournal);
    const s = samples(experiments.toPrometheus());
    expect(s.get('resilience_experiment_runs_total{experiment="a",verdict="pass"}')).toBe(2);
    expect(s.get(`resilience_experiment_runs_total{experiment="b",verdict="${suite.experiments[1]?.journal.verdict}"}`)).toBe(1);
    expect([...s.keys()].some((k) => k.startsWith('resilience_experiment_slo_') && k.includes('experiment="b"'))).toBe(false);
    // A run of "a" without SLO numbers and without recovery clears the gauges it no longer has.
    const a = suite.experiments[0]?.journal as ExperimentJournal;
    experiments.record({ ...a, verdict: 'fail', mttr: null, slos: [], blastRadius: undefined } as unknown as ExperimentJournal);
    const after = samples(experiments.toPrometheus());
    expect(after.get('resilience_experiment_last_verdict{experiment="a",verdict="fail"}')).toBe(1);
    expect(after.has('resilience_experiment_mttr_seconds{experiment="a"}')).toBe(false);
    expect(after.has('resilience_experiment_slo_burn_rate{experiment="a",operation="shop.buy",scope="overall"}')).toBe(false);
    expect(after.get('resilience_experiment_slo_objective_ratio{experiment="a",operation="shop.buy"}')).toBe(0.99);
  });

  it('counts experiments past maxExperiments under _other, and validates its options', () => {
    const experiments = createExperimentMetrics({ maxExperiments: 1 });
    const base = { kind: 'experiment', verdict: 'pass', timeToDetect: null, mttr: 0 } as unknown as ExperimentJournal;
    for (const name of ['x', 'y', 'z']) experiments.record({ ...base, experiment: name });
    const s = samples(experiments.toPrometheus());
    expect(s.get('resilience_experiment_runs_total{experiment="x",verdict="pass"}')).toBe(1);
    expect(s.get('resilience_experiment_runs_total{experiment="_other",verdict="pass"}')).toBe(2);
    let error: unknown;
    try {
      createExperimentMetrics({ maxExperiments: 0, max: 3 } as never);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    expect(String(error)).toContain('maxExperiments');
    expect(String(error)).toContain('unknown option `max`');
    expect(() => experiments.observer(3 as never)).toThrow(TypeError);
  });

  it('lists every family, in ExperimentMetricNames order; renders nothing before any run', () => {
    const experiments = createExperimentMetrics();
    expect(experiments.collect().map((f) => f.name)).toEqual(Object.values(ExperimentMetricNames));
    expect(experiments.toPrometheus()).toBe('');
  });

  it('combinePrometheus serves the resilience and the experiment metrics together', () => {
    const metrics = createMetrics({ clock: new VirtualClock() });
    const experiments = createExperimentMetrics();
    experiments.record({ kind: 'experiment', experiment: 'x', verdict: 'halted', timeToDetect: 100, mttr: null } as unknown as ExperimentJournal);
    const text = combinePrometheus(metrics, experiments).toPrometheus();
    expect(text).toBe(metrics.toPrometheus() + experiments.toPrometheus());
    expect(text).toContain('resilience_experiment_last_verdict{experiment="x",verdict="halted"} 1');
    expect(text).toContain('resilience_experiment_time_to_detect_seconds{experiment="x"} 0.1');
    expect(() => combinePrometheus({} as never)).toThrow(TypeError);
  });

  it.skipIf(!hasPromtool)(`passes promtool check metrics, during and after a run, beside the resilience metrics${skipReason}`, async () => {
    const clock = new VirtualClock();
    const metrics = createMetrics({ clock });
    const experiments = createExperimentMetrics();
    const during: string[] = [];
    await runWith(clock, { ...experiment(clock, 'shop "down" \\ now'), progress: experiments.observer({ onEvaluation: () => during.push(combinePrometheus(metrics, experiments).toPrometheus()) }) });
    for (const text of [during[4] as string, combinePrometheus(metrics, experiments).toPrometheus()]) {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
      expect(text).toContain('experiment="shop \\"down\\" \\\\ now"');
    }
  });
});
