// The trend of a game-day history: the numbers per run, the HTML page (self-contained,
// escaped, three charts) and the Markdown. Headless Chromium renders the page in
// test/chaos/trend-chromium.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../../core/errors';
import { chaosResult } from '../../../test/support/litmus-fixtures';
import { gameDayWorld } from '../../../test/support/litmus-gameday';
import { fromLitmusResult } from '../litmus-result';
import type { ExperimentJournal, SuiteJournal } from './journal';
import { runSuite } from './suite';
import { renderTrend, trendOf } from './trend';
import { TREND_CHART_IDS } from './trend-html';
import { sparkline } from './trend-markdown';

let base: SuiteJournal;

beforeAll(async () => {
  const w = gameDayWorld();
  const run = runSuite({ ...w.suite, wallClock: w.wallClock });
  await w.clock.runAll();
  base = await run;
});

/** An experiment journal with the numbers the trend reads. */
function exp(name: string, o: { verdict?: ExperimentJournal['verdict']; mttr?: number | null; faultsOffAt?: number | null; calls?: number; failures?: number; held?: number | null }): ExperimentJournal {
  const j = base.experiments[0]!.journal;
  return {
    ...j,
    experiment: name,
    verdict: o.verdict ?? 'pass',
    mttr: o.mttr === undefined ? 0 : o.mttr,
    faultsOffAt: o.faultsOffAt === undefined ? 20 : o.faultsOffAt,
    heldDuringInjection: o.held === undefined ? 1 : o.held,
    heldDuringRecovery: 1,
    summary: { ...j.summary, underFault: { ...j.summary.underFault, calls: o.calls ?? 100, failures: o.failures ?? 0 } },
  };
}

function suite(startedAt: string | null, experiments: [number, ExperimentJournal][], name = 'game day'): SuiteJournal {
  return { ...base, name, startedAt, experiments: experiments.map(([weight, journal]) => ({ weight, score: 0, journal })), score: 12.3 };
}

describe('trendOf', () => {
  it('per run: score from verdicts and weights, mean and worst MTTR, pooled availability, unrecovered', () => {
    const t = trendOf([
      suite('2025-01-06T14:00:00.000Z', [
        [3, exp('gateway down', { mttr: 1_000, calls: 100, failures: 10 })],
        [1, exp('cdn slow', { mttr: 3_000, calls: 300, failures: 0, held: 0.5 })],
      ]),
      suite('2025-01-13T14:00:00.000Z', [
        [3, exp('gateway down', { verdict: 'fail', mttr: null, calls: 100, failures: 60, held: 0 })],
        [1, exp('cdn slow', { verdict: 'aborted', mttr: null, faultsOffAt: null, calls: 0 })],
      ]),
      fromLitmusResult(JSON.stringify(chaosResult())),
    ]);
    const [a, b, c] = t.runs;
    // 3·100 + 1·75 over 4; the stored score (12.3) is not trusted.
    expect(a).toMatchObject({ index: 1, startedAt: '2025-01-06T14:00:00.000Z', score: 93.8, mttr: 2_000, worstMttr: 3_000, availabilityUnderFault: 390 / 400, callsUnderFault: 400, unrecovered: 0 });
    expect(a?.verdicts).toEqual({ pass: 2, fail: 0, halted: 0, aborted: 0, skipped: 0 });
    // fail with held 0 and recovery 1: 25; the aborted one is excluded.
    expect(b).toMatchObject({ score: 25, mttr: null, worstMttr: null, availabilityUnderFault: 0.4, unrecovered: 1 });
    expect(c).toMatchObject({ name: 'litmus: game-server-pod-delete/pod-delete', score: 100, availabilityUnderFault: null, callsUnderFault: 0 });
    expect(c?.experiments).toEqual([{ name: 'litmus: game-server-pod-delete/pod-delete', verdict: 'pass', score: 100, mttr: null, availability: null }]);
    expect(t.experimentNames).toEqual(['gateway down', 'cdn slow', 'litmus: game-server-pod-delete/pod-delete']);
    expect(t.scoreChange).toBe(75);
  });

  it('no change without two scored runs; an empty history is an empty trend', () => {
    expect(trendOf([]).runs).toEqual([]);
    expect(trendOf([]).scoreChange).toBeNull();
    expect(trendOf([suite(null, [[1, exp('x', { verdict: 'skipped' })]]), suite(null, [[1, exp('x', {})]])]).scoreChange).toBeNull();
  });

  it('names every field it cannot read', () => {
    let caught: unknown;
    try {
      trendOf([{ kind: 'suite', name: 7, startedAt: null, experiments: [{ weight: -1, journal: { kind: 'experiment' } }] }, 'x'] as never);
    } catch (error) {
      caught = error;
    }
    expect(isOptionsValidationError(caught)).toBe(true);
    const paths = (caught as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual([
      'journals[0].name',
      'journals[0].experiments[0].weight',
      'journals[0].experiments[0].journal.experiment',
      'journals[0].experiments[0].journal.verdict',
      'journals[0].experiments[0].journal.mttr',
      'journals[0].experiments[0].journal.faultsOffAt',
      'journals[0].experiments[0].journal.heldDuringInjection',
      'journals[0].experiments[0].journal.heldDuringRecovery',
      'journals[0].experiments[0].journal.startedAt',
      'journals[0].experiments[0].journal.summary.underFault',
      'journals[1]',
    ]);
  });
});

describe('renderTrend', () => {
  const history = (): SuiteJournal[] =>
    Array.from({ length: 6 }, (_, i) =>
      suite(`2025-0${1 + Math.floor(i / 4)}-${String(6 + 7 * (i % 4)).padStart(2, '0')}T14:00:00.000Z`, [
        [2, exp('gateway down', { mttr: 1_000 + 200 * i, calls: 200, failures: 20 - 3 * i, held: 0.5 + i / 12 })],
        [1, exp('<script>alert("x")</script>', { verdict: i === 2 ? 'fail' : 'pass', mttr: i === 2 ? null : 500, held: 1 })],
      ]),
    );

  it('one self-contained HTML page: three SVG charts, no script, no external URL, every text escaped', () => {
    const { html, trend } = renderTrend(history(), { title: 'Shop & login <weekly>' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const id of TREND_CHART_IDS) expect(html).toContain(`data-chart="${id}"`);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html.match(/<polyline /g)?.length).toBeGreaterThanOrEqual(2);
    expect(html).not.toMatch(/<script|src=|href="http|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('<title>Shop &amp; login &lt;weekly&gt;</title>');
    expect(trend.runs).toHaveLength(6);
    // Latest first in the table, with the change of score.
    expect(html.indexOf('2025-02-13 14:00 UTC')).toBeLessThan(html.indexOf('2025-01-06 14:00 UTC'));
    expect(html).toContain(`class="up">+${Math.round(((trend.runs[5]!.score as number) - (trend.runs[4]!.score as number)) * 10) / 10}`);
  });

  it('Markdown: the latest score and its change, a sparkline, the runs and each experiment run after run', () => {
    const { markdown, trend } = renderTrend(history());
    const latest = trend.runs[5]!;
    expect(markdown).toContain(`**Latest resilience score: ${latest.score} / 100** (+${trend.scoreChange} since the run before) · 6 run(s), 2025-01-06 to 2025-02-13`);
    expect(markdown).toContain(`\`${sparkline(trend.runs.map((r) => r.score))}\``);
    expect(markdown).toContain('| 6 | 2025-02-13 14:00 UTC | game day |');
    expect(markdown).toContain('| &lt;script&gt;alert("x")&lt;/script&gt; | P | P | F | P | P | P |');
  });

  it('maxRuns keeps the latest runs on the page; an empty history renders too', () => {
    const { html, markdown } = renderTrend(history(), { maxRuns: 2 });
    expect(markdown).toContain('(the latest 2 of 6)');
    expect(html).not.toContain('2025-01-06');
    const empty = renderTrend([]);
    expect(empty.html).toContain('No run in the history yet.');
    expect(empty.markdown).toContain('No run in the history yet.');
    expect(() => renderTrend([], { maxRuns: 0, colour: 'red' } as never)).toThrow(/`maxRuns`.*unknown option `colour`|unknown option `colour`.*`maxRuns`/);
  });

  it('a run without a value breaks its line and says n/a', () => {
    const { html } = renderTrend([suite(null, [[1, exp('x', { verdict: 'aborted', mttr: null, faultsOffAt: null })]]), ...history().slice(0, 2)]);
    expect(html).toContain('>n/a<title>');
    expect(html).toContain('>#1<');
  });
});

describe('sparkline', () => {
  it('maps 0–100 onto eight bars, · for none', () => {
    expect(sparkline([0, 12.5, 50, 99.9, 100, null, -5, 140])).toBe('▁▂▅██·▁█');
  });
});
