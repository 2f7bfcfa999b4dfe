// The Markdown and HTML reports of a sample suite run on a VirtualClock.
import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../circuit-breaker/index';
import { pipeline, type Policy } from '../../core/policy';
import { fallback } from '../../fallback/index';
import { retry } from '../../retry/index';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { seededRandom } from '../../testing/seeded-random';
import { VirtualClock } from '../../testing/virtual-clock';
import { timeout } from '../../timeout/index';
import { latencyInjection, faultInjection } from '../call-faults';
import { createChaosController } from '../guards';
import type { SuiteJournal } from './journal';
import { renderHtml, CHART_IDS, escapeHtml } from './report-html';
import { escapeMarkdown, formatDuration, formatRate, renderMarkdown } from './report-markdown';
import type { ExperimentOptions } from './experiment-options';
import { runSuite } from './suite';

/** A suite with a pass, a fail, a halt, a skip and a refusal, and hostile names. */
async function sampleSuite(): Promise<SuiteJournal> {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const schedule = { baseline: 2_000, ramp: 1_000, inject: 4_000, recovery: 4_000, evaluationInterval: 500 };
  const make = (name: string, outer: (b: ReturnType<typeof circuitBreaker>) => Policy[], fault: 'error' | 'latency', extra: Partial<ExperimentOptions> = {}): ExperimentOptions => {
    const dep = scriptedDependency((n) => Step.ok(n, 20 + (n % 5) * 10), clock);
    const f = fault === 'error' ? faultInjection({ name: `${name}-errors`, clock, controller }) : latencyInjection({ name: `${name}-slow`, latency: 900, clock, controller });
    const breaker = circuitBreaker({ name: `${name}-breaker`, failureThreshold: 5, recoveryTimeout: 2_000, clock });
    const p = pipeline(...outer(breaker), f);
    return {
      name,
      hypothesis: `${name} keeps players playing`,
      faults: [f],
      load: { fn: () => p.execute(() => dep()), rate: 20 },
      steadyState: { '*': { errorRate: ['rate<0.05'], latency: ['p(99)<500'] } },
      schedule,
      circuitBreakers: [breaker],
      clock,
      seed: 42,
      ...extra,
    };
  };
  const unarmed = createChaosController({ env: {}, clock });
  const p = runSuite({
    name: 'game <backend> & "friends"',
    seed: 42,
    experiments: [
      { weight: 3, experiment: make('payments', (b) => [fallback({ tiers: ['queued'], clock }), retry({ maxAttempts: 2, delay: 20, clock, random: seededRandom(42) }), b], 'error', { rollbacks: [function restoreFeatureFlags() {}] }) },
      { weight: 2, experiment: make('leaderboard', (b) => [b, timeout({ duration: 300, clock })], 'latency', { steadyState: { '*': { errorRate: ['rate<0.05'] } } }) },
      { weight: 1, experiment: make('<script>alert(1)</script>', () => [], 'error', { steadyState: { '*': { availability: [{ threshold: 'rate>0.9', hard: true }] } } }) },
      { weight: 1, experiment: make('matchmaking', (b) => [b], 'error', { schedule: { ...schedule, recovery: 1_500 } }) },
      { weight: 1, experiment: make('cdn', (b) => [b], 'error', { controller: unarmed }) },
    ],
    wallClock: () => Date.UTC(2026, 10, 25, 9, 30),
  });
  await clock.runAll();
  return p;
}

describe('the sample suite', () => {
  it('has the verdicts the script implies', async () => {
    const s = await sampleSuite();
    expect(s.experiments.map((e) => e.journal.verdict)).toEqual(['pass', 'pass', 'halted', 'fail', 'aborted']);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: no external URL, no script, no external asset', async () => {
    const html = renderHtml(await sampleSuite());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*\/\//i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.every((h) => h?.startsWith('#'))).toBe(true);
  });

  it('has every chart for every experiment that ran, shaded by phase, and the verdict table', async () => {
    const s = await sampleSuite();
    const html = renderHtml(s);
    const sections = html.split('<section class="experiment"').slice(1);
    expect(sections.length).toBe(5);
    for (const [i, sec] of sections.entries()) {
      const ran = (s.experiments[i]?.journal.phases.length ?? 0) > 0;
      for (const id of CHART_IDS) expect(sec.includes(`data-chart="${id}"`)).toBe(ran);
      if (ran) {
        expect(sec).toContain('class="phase phase-baseline"');
        expect(sec).toContain('<polyline');
      } else expect(sec).toContain('No measurements: the experiment did not start.');
    }
    expect(sections[0]).toContain('class="phase phase-ramp"');
    expect(sections[0]).toContain('class="phase phase-inject"');
    expect(sections[0]).toContain('class="phase phase-recovery"');
    expect(sections[0]).toContain('class="state state-open"');
    expect(sections[0]).toContain('class="threshold"');
    expect(html).toContain('<table class="verdicts">');
    expect((html.match(/<tr><td><a href="#exp-/g) ?? []).length).toBe(5);
    expect(html).toContain('resilience score');
    expect(html).toContain(`>${String(s.score)}<small>`);
  });

  it('escapes every text from the journal', async () => {
    const html = renderHtml(await sampleSuite());
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('game &lt;backend&gt; &amp; &quot;friends&quot;');
    expect(escapeHtml(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  });

  it('renders a single experiment as a page too, with well-formed SVG numbers', async () => {
    const s = await sampleSuite();
    const html = renderHtml((s.experiments[0] as SuiteJournal['experiments'][number]).journal);
    expect(html).toContain('<h1>Chaos experiment: payments</h1>');
    for (const id of CHART_IDS) expect(html).toContain(`data-chart="${id}"`);
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    // every <svg> closes
    expect((html.match(/<svg /g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
  });
});

describe('renderMarkdown', () => {
  it('starts with the score and a verdict table, then one section per experiment', async () => {
    const s = await sampleSuite();
    const md = renderMarkdown(s);
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Chaos report: game &lt;backend&gt; &amp; "friends"');
    expect(md).toContain(`**Resilience score: ${String(s.score)} / 100** · 5 experiment(s): 2 pass, 1 fail, 1 halted, 1 aborted`);
    expect(md).toContain('| # | experiment | verdict | availability under fault | p99 under fault | time to detect | MTTR | circuits closed after | injections | weight | score |');
    expect(md).toMatch(/\| 1 \| payments \| \*\*pass\*\* \| 100% \|/);
    // MTTR 0 (the fallback hid the outage) beside the 1.1 s the breaker took to close again.
    expect(md).toContain('| 1 | payments | **pass** | 100% | 9 ms | 100 ms | 0 ms | 1.1 s |');
    expect(md).toContain('- circuits closed again: 1.1 s after the faults went off');
    expect(md).toContain('| 5 | cdn | **aborted** |');
    expect((md.match(/^## /gm) ?? []).length).toBe(5);
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(md).not.toContain('<script>');
    expect(md).toContain('| restoreFeatureFlags | ok |');
  });

  it('renders one experiment with its checks, injections and breaches', async () => {
    const s = await sampleSuite();
    const j = (s.experiments[3] as SuiteJournal['experiments'][number]).journal;
    const md = renderMarkdown(j);
    expect(md.startsWith('# Chaos experiment: matchmaking\n')).toBe(true);
    expect(md).toContain('**Verdict: fail.**');
    expect(md).toContain('| \\* | errorRate | `rate<0.05` | steady state |');
    expect(md).toContain('| matchmaking-errors |');
    expect(md).toMatch(/Breaches \(\d+/);
  });

  it('escapes Markdown and formats numbers', () => {
    expect(escapeMarkdown('a|b*c_[d]\n<e>')).toBe('a\\|b\\*c\\_\\[d\\] &lt;e&gt;');
    expect(formatDuration(812)).toBe('812 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(null)).toBe('-');
    expect(formatRate(0.995)).toBe('99.5%');
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(0.0123)).toBe('1.23%');
    expect(formatRate(null)).toBe('-');
  });
});
