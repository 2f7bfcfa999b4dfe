// The blast radius and SLO parts of the Markdown and HTML reports, on a VirtualClock run
// where the fault fails `<shop|buy>` (a hostile operation name) for a cohort of players.
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../core/policy';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { VirtualClock } from '../../testing/virtual-clock';
import { faultInjection } from '../call-faults';
import { createChaosController } from '../guards';
import type { ExperimentOptions } from './experiment-options';
import type { ExperimentJournal } from './journal';
import { BURN_RATE_CHART_ID, CHART_IDS, renderHtml } from './report-html';
import { formatBudget, formatBurn, formatObjective, formatUsers, formatWindow } from './report-impact';
import { renderMarkdown } from './report-markdown';
import { runExperiment } from './runner';
import { runSuite } from './suite';

const SHOP = '<shop|buy>';

function options(clock: VirtualClock, extra: Partial<ExperimentOptions> = {}): ExperimentOptions {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const dep = scriptedDependency({ otherwise: Step.ok('done', 5) }, clock);
  const fault = faultInjection({ name: 'shop-down', clock, controller, target: { operations: [SHOP] }, cohort: { label: 'userId', percent: 30 } });
  const p = pipeline(fault);
  const player = (i: number): string => `p${Math.floor(i / 2) % 40}`;
  const op = (i: number): string => (i % 2 === 0 ? SHOP : 'leaderboard.read');
  return {
    name: 'shop down',
    hypothesis: 'only the cohort cannot buy',
    faults: [fault],
    load: { fn: (i: number) => p.execute(() => dep(), { operation: op(i), labels: { userId: player(i) } }), rate: 40, operation: op, userKey: player },
    steadyState: { 'leaderboard.read': { errorRate: ['rate<0.01'] } },
    halt: { [SHOP]: { errorRate: ['burn_rate<1000'] } },
    schedule: { baseline: 1_000, inject: 2_000, recovery: 2_000, evaluationInterval: 500 },
    slos: { [SHOP]: { objective: 0.999 }, '*': { objective: 0.99, window: 7 * 86_400_000 } },
    clock,
    ...extra,
  };
}

async function journal(extra: Partial<ExperimentOptions> = {}): Promise<ExperimentJournal> {
  const clock = new VirtualClock();
  const p = runExperiment(options(clock, extra));
  await clock.runAll();
  return p;
}

describe('impact in the Markdown report', () => {
  it('adds users affected and SLO budget to the verdict table, and the blast radius and SLO tables, escaped', async () => {
    const j = await journal();
    expect(j.verdict).toBe('pass');
    const md = renderMarkdown(j);
    const b = j.blastRadius!;
    expect(md).toContain('| experiment | verdict | availability under fault | p99 under fault | time to detect | MTTR | circuits closed after | injections | users affected under fault | SLO budget used |');
    expect(md).toContain(`| ${b.underFault.affectedUsers} of ${b.underFault.users} (`);
    expect(md).toContain('**Blast radius**');
    expect(md).toContain(`| while faults were on | ${b.underFault.calls} | ${b.underFault.affectedCalls} (${b.underFault.failedCalls} failed, 0 degraded) |`);
    expect(md).toContain('**Affected operations**');
    expect(md).toContain('| &lt;shop\\|buy&gt; |');
    expect(md).toContain('**SLOs**');
    expect(md).toContain('| &lt;shop\\|buy&gt; | 99.9% | 30 days |');
    expect(md).toContain('| \\* | 99% | 7 days |');
    expect(md).not.toContain('<shop');
  });

  it('leaves the impact columns out when no experiment measured users or SLOs', async () => {
    const j = await journal({ slos: undefined, halt: undefined, load: { ...options(new VirtualClock()).load, userKey: undefined } });
    const md = renderMarkdown(j);
    expect(md).not.toContain('users affected under fault');
    expect(md).not.toContain('SLO budget used');
    expect(md).not.toContain('**SLOs**');
    expect(md).toContain('_Users not counted: give the load a userKey._');
  });
});

describe('impact in the HTML report', () => {
  it('draws the burn rate of every SLO per window, with the budget line and the burn_rate thresholds', async () => {
    const j = await journal();
    const html = renderHtml(j);
    for (const id of [...CHART_IDS, BURN_RATE_CHART_ID]) expect(html).toContain(`data-chart="${id}"`);
    const chart = html.slice(html.indexOf(`data-chart="${BURN_RATE_CHART_ID}"`));
    expect(chart).toContain('SLO burn rate per window: &lt;shop|buy&gt; (orange), * (blue)');
    expect(chart).toContain('burn rate 1 (budget lasts the window)');
    expect(chart).toContain('&lt;shop|buy&gt; burn_rate&lt;1000');
    expect((chart.match(/<polyline[^>]*stroke="#bc4c00"/g) ?? []).length).toBeGreaterThan(0);
    expect((chart.match(/<polyline[^>]*stroke="#0969da"/g) ?? []).length).toBeGreaterThan(0);
    expect(html).toContain('<h3>Blast radius</h3>');
    expect(html).toContain('<h3>SLOs</h3>');
    expect(html).toContain('<th>users affected under fault</th><th>SLO budget used</th>');
    expect(html).not.toMatch(/NaN|Infinity|undefined|<shop/);
    expect(html).not.toMatch(/https?:\/\/|<script/i);
  });

  it('a suite shows the impact columns for every experiment, "-" where one measured nothing', async () => {
    const clock = new VirtualClock();
    const withImpact = options(clock);
    const without: ExperimentOptions = { ...options(clock), name: 'plain', slos: undefined, halt: undefined, load: { ...withImpact.load, userKey: undefined } };
    const run = runSuite({ name: 'drill', experiments: [{ experiment: withImpact }, { experiment: without }] });
    await clock.runAll();
    const s = await run;
    const html = renderHtml(s);
    expect(html).toContain('<th>users affected under fault</th><th>SLO budget used</th><th>weight</th>');
    const md = renderMarkdown(s);
    expect(md).toMatch(/\| 2 \| plain \| \*\*pass\*\* \|.* \| - \| - \| 1 \| 100 \|/);
  });
});

describe('impact formats', () => {
  it('formats windows, burn rates, objectives, budgets and users', () => {
    expect([formatWindow(30 * 86_400_000), formatWindow(86_400_000), formatWindow(6 * 3_600_000), formatWindow(45 * 60_000), formatWindow(1_500)]).toEqual(['30 days', '1 day', '6 h', '45 min', '1.5 s']);
    expect([formatBurn(14.4), formatBurn(0.123), formatBurn(1234.5), formatBurn(null)]).toEqual(['14.4×', '0.12×', '1235×', '-']);
    expect([formatObjective(0.999), formatObjective(0.9999), formatObjective(0.95)]).toEqual(['99.9%', '99.99%', '95%']);
    expect([formatBudget(0.02), formatBudget(0.00001), formatBudget(0), formatBudget(null)]).toEqual(['2.00%', '<0.01%', '0%', '-']);
    const scope = { calls: 10, affectedCalls: 2, failedCalls: 2, degradedCalls: 0, users: 20_000, affectedUsers: 4_000, affectedUserShare: 0.2, affectedOperations: 1, estimated: true };
    expect(formatUsers(scope)).toBe('≈4000 of ≈20000 (20.0%)');
    expect(formatUsers({ ...scope, users: null, affectedUsers: null })).toBe('-');
  });
});
