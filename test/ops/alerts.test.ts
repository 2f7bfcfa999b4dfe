/**
 * The alert rules of docs/ops/alerts.yml: valid (`promtool check rules`), every alert unit
 * tested (`promtool test rules docs/ops/alerts.test.yml`) with a case where it fires and one
 * where it stays silent, the tests able to fail (a rule that never fires, or always fires,
 * breaks its cases), and only metric names that breakwater/metrics exports.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { faultInjection } from '../../src/chaos/call-faults';
import { runExperiment } from '../../src/chaos/experiment/runner';
import { createChaosController } from '../../src/chaos/guards';
import { pipeline } from '../../src/core/policy';
import { createExperimentMetrics } from '../../src/metrics/experiment-metrics';
import { ExperimentMetricNames, MetricNames } from '../../src/metrics/names';
import { scriptedDependency, Step } from '../../src/testing/scripted-dependency';
import { VirtualClock } from '../../src/testing/virtual-clock';

const opsDir = resolve(__dirname, '../../docs/ops');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;
const skipReason = hasPromtool ? '' : ' (SKIPPED: promtool not on PATH; install the Debian package `prometheus`)';
if (!hasPromtool) console.warn(`[ops tests] promtool not found: alert rule tests skipped${skipReason}`);

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] | null }[] }[];
}

const rulesText = readFileSync(join(opsDir, 'alerts.yml'), 'utf8');
const rules = parse(rulesText) as RuleFile;
const tests = parse(readFileSync(join(opsDir, 'alerts.test.yml'), 'utf8')) as RuleTests;
const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert])));

const scratch = mkdtempSync(join(tmpdir(), 'bw-alerts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function promtoolRun(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('docs/ops/alerts.yml', () => {
  it('has the seed’s experiment alerts besides the resilience ones', () => {
    expect(alerts).toEqual(
      expect.arrayContaining(['ChaosExperimentFailed', 'ChaosExperimentUserImpactHigh', 'ChaosExperimentRecoverySlow', 'ChaosExperimentSloBurning', 'ChaosExperimentSloBudgetSpent', 'CircuitOpenTooLong']),
    );
    expect(new Set(alerts).size).toBe(alerts.length);
  });

  it('uses only metric names that breakwater/metrics exports', () => {
    const known = new Set<string>([...Object.values(MetricNames), ...Object.values(ExperimentMetricNames)]);
    for (const s of ['_bucket', '_sum', '_count']) known.add(MetricNames.callDuration + s);
    const used = new Set(rulesText.match(/\bresilience_[a-z_]+\b/g) ?? []);
    for (const n of used) expect(known, n).toContain(n);
    for (const n of [ExperimentMetricNames.lastVerdict, ExperimentMetricNames.affectedUsers, ExperimentMetricNames.users, ExperimentMetricNames.mttr, ExperimentMetricNames.sloBurnRate, ExperimentMetricNames.sloBudgetConsumed]) {
      expect(used).toContain(n);
    }
  });

  it('unit-tests every alert with a case where it fires and one where it stays silent', () => {
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a} fires in some case`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a} stays silent in some case`).toBe(true);
    }
    for (const c of cases) expect(alerts).toContain(c.alertname);
  });

  it.skipIf(!hasPromtool)(`passes promtool check rules${skipReason}`, () => {
    const r = promtoolRun(['check', 'rules', 'alerts.yml'], opsDir);
    expect(r.out).toContain(`SUCCESS: ${rules.groups.reduce((n, g) => n + g.rules.length, 0)} rules found`);
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasPromtool)(`passes promtool test rules${skipReason}`, () => {
    const r = promtoolRun(['test', 'rules', 'alerts.test.yml'], opsDir);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasPromtool)(`has tests that fail for every alert that stops firing, or fires all the time${skipReason}`, () => {
    copyFileSync(join(opsDir, 'alerts.test.yml'), join(scratch, 'alerts.test.yml'));
    for (const expr of ['vector(1) > 2', 'vector(1)']) {
      const mutated = parse(rulesText) as RuleFile;
      for (const g of mutated.groups) for (const r of g.rules) if (r.alert !== undefined) r.expr = expr;
      writeFileSync(join(scratch, 'alerts.yml'), stringify(mutated));
      const r = promtoolRun(['test', 'rules', 'alerts.test.yml'], scratch);
      expect(r.status, `every alert replaced by ${expr}`).not.toBe(0);
      // promtool reports every failing case: each alert must be among them.
      for (const a of alerts) expect(r.out, `${a} as ${expr}`).toContain(`alertname: ${a},`);
    }
  });

  it.skipIf(!hasPromtool)(`fires on what createExperimentMetrics exports, live and after the run${skipReason}`, async () => {
    // Every shop.buy of 40 players fails while the faults are on (1–3 s); SLO 99 % over an hour.
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test' });
    const dep = scriptedDependency({ otherwise: Step.ok('done', 5) }, clock);
    const fault = faultInjection({ name: 'shop-down', clock, controller, target: { operations: ['shop.buy'] } });
    const p = pipeline(fault);
    const op = (i: number): string => (i % 2 === 0 ? 'shop.buy' : 'leaderboard.read');
    const experiments = createExperimentMetrics();
    const live: string[] = [];
    const run = runExperiment({
      name: 'shop down',
      hypothesis: 'leaderboards stay up',
      faults: [fault],
      load: { fn: (i: number) => p.execute(() => dep(), { operation: op(i) }), rate: 40, operation: op, userKey: (i) => `p${Math.floor(i / 2) % 40}` },
      steadyState: { 'leaderboard.read': { errorRate: ['rate<0.01'] } },
      schedule: { baseline: 1_000, inject: 2_000, recovery: 2_000, evaluationInterval: 500 },
      slos: { 'shop.buy': { objective: 0.99, window: 3_600_000 } },
      clock,
      progress: experiments.observer({ onEvaluation: () => live.push(experiments.toPrometheus()) }),
    });
    await clock.runAll();
    const journal = await run;
    // Scraped as job "game", held for 3 minutes.
    const series = (text: string) =>
      text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => {
          const i = l.lastIndexOf(' ');
          return { series: l.slice(0, i).replace('{', '{job="game",'), values: `${l.slice(i + 1)}x3` };
        });
    const exprOf = (alert: string): string => rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)?.expr as string;
    const during = live[3] as string; // evaluated at 2 000 ms, faults on: 20 players hit of 20 under fault, burn 100×
    const budget = journal.slos?.[0]?.overall.budgetConsumed as number;
    expect(budget).toBeGreaterThan(0.02);
    const file = {
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series(during),
          promql_expr_test: [
            { expr: exprOf('ChaosExperimentSloBurning'), eval_time: '2m', exp_samples: [{ labels: '{job="game",experiment="shop down",operation="shop.buy"}', value: 100 }] },
            { expr: exprOf('ChaosExperimentUserImpactHigh'), eval_time: '2m', exp_samples: [{ labels: '{job="game",experiment="shop down"}', value: 1 }] },
            { expr: exprOf('ChaosExperimentFailed'), eval_time: '2m', exp_samples: [] },
          ],
        },
        {
          interval: '1m',
          input_series: series(experiments.toPrometheus()),
          promql_expr_test: [
            { expr: exprOf('ChaosExperimentSloBurning'), eval_time: '2m', exp_samples: [] }, // no window burn once the run ended
            { expr: exprOf('ChaosExperimentSloBudgetSpent'), eval_time: '2m', exp_samples: [{ labels: '{job="game",experiment="shop down",operation="shop.buy"}', value: budget }] },
            { expr: exprOf('ChaosExperimentRecoverySlow'), eval_time: '2m', exp_samples: [] }, // MTTR 0
          ],
        },
      ],
    };
    writeFileSync(join(scratch, 'exported.test.yml'), stringify(file));
    const r = promtoolRun(['test', 'rules', 'exported.test.yml'], scratch);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});
