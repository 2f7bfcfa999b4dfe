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
import { ExperimentMetricNames, MetricNames } from '../../src/metrics/names';

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
});
