// Experiment gauges on a VirtualClock: the runner reads them at the end of every window
// (calls every 100 ms, 20 ms each, windows of 500 ms), records them in the series, and the
// reports draw them; a gauge that throws is recorded as null and reported.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isOptionsValidationError, type OptionsValidationError } from '../../core/errors';
import { pipeline } from '../../core/policy';
import { onCallbackError } from '../../core/report';
import { fallback } from '../../fallback/index';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { VirtualClock } from '../../testing/virtual-clock';
import { faultInjection } from '../call-faults';
import { createChaosController } from '../guards';
import type { ExperimentOptions } from './experiment-options';
import { GaugeSampler } from './gauges';
import { renderJson, type ExperimentJournal } from './journal';
import { GAUGES_CHART_ID, formatGauge, gaugeStats } from './report-gauges';
import { renderHtml } from './report-html';
import { renderMarkdown } from './report-markdown';
import { runExperiment } from './runner';
import { runSuite } from './suite';
import { runToEnd as run } from '../../../test/support/run-experiment';

const schedule = { baseline: 1_000, inject: 1_000, recovery: 1_500, evaluationInterval: 500 };

/** A 20 ms dependency behind a fallback and an error fault; `completed` counts settled calls. */
function setup() {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const dep = scriptedDependency({ otherwise: Step.ok('ok', 20) }, clock);
  const fault = faultInjection({ name: 'errors', clock, controller });
  const p = pipeline(fallback({ tiers: ['fallback'], clock }), fault);
  const state = { completed: 0, fallbacks: 0 };
  const options: ExperimentOptions = {
    name: 'gauged',
    hypothesis: 'the fallback answers',
    faults: [fault],
    load: {
      fn: async () => {
        const v = await p.execute(() => dep());
        state.completed++;
        if (v === 'fallback') state.fallbacks++;
      },
      rate: 10,
    },
    steadyState: { '*': { errorRate: ['rate<0.1'] } },
    schedule,
    clock,
  };
  return { clock, options, state };
}

let unhook: (() => void) | undefined;
afterEach(() => {
  unhook?.();
  unhook = undefined;
});

describe('runExperiment: gauges', () => {
  it('reads every gauge at the end of every window, on the experiment clock', async () => {
    const { clock, options, state } = setup();
    const t0 = clock.now();
    let reads = 0;
    const j = await run(clock, {
      ...options,
      gauges: {
        'since start': () => clock.now() - t0,
        completed: () => state.completed,
        'fallback share': () => (state.completed === 0 ? null : state.fallbacks / state.completed),
        reads: () => ++reads,
      },
    });
    expect(j.verdict).toBe('pass');
    expect(j.series).toHaveLength(7);
    // Read at each window's end, once per window and never otherwise.
    expect(j.series.map((p) => p.gauges?.['since start'])).toEqual(j.series.map((p) => p.end));
    expect(j.series.map((p) => p.gauges?.['reads'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(reads).toBe(7);
    // What the load had completed by then: the calls of every window so far (5 per window).
    let sum = 0;
    expect(j.series.map((p) => p.gauges?.['completed'])).toEqual(j.series.map((p) => (sum += p.calls)));
    expect(j.series.map((p) => p.gauges?.['completed'])).toEqual([5, 10, 15, 20, 25, 30, 35]);
    // The fault was on from 1 000 to 2 000: 10 of the 35 calls fell back.
    expect(j.series.map((p) => p.gauges?.['fallback share'])).toEqual([0, 0, 0.333, 0.5, 0.4, 0.333, 0.286]);
    expect(Object.keys(j.series[0]?.gauges ?? {})).toEqual(['since start', 'completed', 'fallback share', 'reads']);
    expect(clock.pending).toBe(0);
  });

  it('records null for a gauge with no reading, a non-finite or non-number one, and one that throws (reported; the experiment goes on)', async () => {
    const seen: { what: string; message: string }[] = [];
    unhook = onCallbackError((e, what) => seen.push({ what, message: (e as Error).message })).dispose;
    const { clock, options } = setup();
    const j = await run(clock, {
      ...options,
      gauges: {
        none: () => null,
        nan: () => Number.NaN,
        infinite: () => Number.POSITIVE_INFINITY,
        text: () => '12' as unknown as number,
        broken: () => {
          throw new Error('gauge down');
        },
        fine: () => 1.23456,
      },
    });
    expect(j.verdict).toBe('pass');
    for (const p of j.series) expect(p.gauges).toStrictEqual({ none: null, nan: null, infinite: null, text: null, broken: null, fine: 1.235 });
    expect(seen).toHaveLength(j.series.length);
    expect(seen[0]).toEqual({ what: 'gauge "broken"', message: 'gauge down' });
    expect(JSON.parse(renderJson(j))).toStrictEqual(j); // plain JSON: the nulls survive, no NaN
  });

  it('leaves the series without gauges when none are given', async () => {
    const { clock, options } = setup();
    const j = await run(clock, options);
    expect(j.series.length).toBeGreaterThan(0);
    for (const p of j.series) expect('gauges' in p).toBe(false);
    expect(renderHtml(j)).not.toContain(`data-chart="${GAUGES_CHART_ID}"`);
    expect(renderMarkdown(j)).not.toContain('Gauges');
  });

  it('validates the gauges with the other options: one error names each bad gauge, its value and what it must be', async () => {
    const { options } = setup();
    const error = await runExperiment({
      ...options,
      gauges: { ok: () => 1, limit: 8 as unknown as () => number, '': () => 1 },
      recoveryStreak: 0,
    }).catch((e: unknown) => e);
    expect(isOptionsValidationError(error)).toBe(true);
    const issues = (error as OptionsValidationError).issues;
    expect(issues).toContainEqual({ path: 'gauges.limit', value: 8, expected: 'a function returning the reading (a number, or null for none)' });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['gauges[""]', 'recoveryStreak']));
    expect(issues.map((i) => i.path)).not.toContain('gauges.ok');
    const notAnObject = await runExperiment({ ...options, gauges: [() => 1] as unknown as ExperimentOptions['gauges'] }).catch((e: unknown) => e);
    expect((notAnObject as OptionsValidationError).issues).toEqual([{ path: 'gauges', value: [expect.any(Function)], expected: 'an object of gauges { [name]: () => number | null }' }]);
    // A suite validates every experiment's gauges before running any.
    const suite = await runSuite({ name: 's', experiments: [{ experiment: options }, { experiment: { ...options, gauges: { x: 'no' as unknown as () => number } } }] }).catch((e: unknown) => e);
    expect((suite as OptionsValidationError).issues?.map((i) => i.path)).toEqual(['gauges.x']);
  });
});

describe('the reports draw the gauges', () => {
  async function gauged(): Promise<ExperimentJournal> {
    const { clock, options, state } = setup();
    return run(clock, { ...options, gauges: { completed: () => state.completed, '<b>fallbacks</b>': () => state.fallbacks, below: () => -state.fallbacks } });
  }

  it('HTML: one chart, one line per gauge in its own colour, names escaped, every point inside the plot', async () => {
    const html = renderHtml(await gauged());
    const chart = /<figure class="chart" data-chart="gauges">[\s\S]*?<\/figure>/.exec(html)?.[0] ?? '';
    expect(chart).not.toBe('');
    expect(html.match(/data-chart="gauges"/g)).toHaveLength(1);
    expect(chart).toContain('Gauges: completed (orange), &lt;b&gt;fallbacks&lt;/b&gt; (blue), below (purple)');
    expect(chart).not.toContain('<b>');
    const strokes = [...chart.matchAll(/<polyline [^>]*stroke="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(strokes)).toEqual(new Set(['#bc4c00', '#0969da', '#8250df']));
    // Each point names its gauge; the negative gauge stays inside the plot (the axis goes below 0).
    expect(chart).toContain('<title>completed, 0 ms–500 ms (baseline): 5</title>');
    expect(chart).toContain('<title>below, 1.5 s–2 s (inject): -10</title>');
    const ys = [...chart.matchAll(/<circle [^>]*cy="([-\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys.length).toBe(3 * 7);
    for (const y of ys) {
      expect(y).toBeGreaterThanOrEqual(26);
      expect(y).toBeLessThanOrEqual(210 - 30);
    }
  });

  it('Markdown: the mean and range of each gauge per phase, and its last reading', async () => {
    const md = renderMarkdown(await gauged());
    expect(md).toContain('Gauges (mean and range of the readings per phase, one reading per evaluation):');
    expect(md).toContain('| gauge | baseline | inject | recovery | last |');
    expect(md).toContain('| completed | 7.5 (5–10) | 17.5 (15–20) | 30 (25–35) | 35 |');
    expect(md).toContain('| &lt;b&gt;fallbacks&lt;/b&gt; | 0 | 7.5 (5–10) | 10 | 10 |');
  });
});

describe('gauge readings (numeric rules)', () => {
  it('a finite reading is kept to the microsecond, anything else is null', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0)), (v) => {
        const r = new GaugeSampler({ g: () => v }).sample()?.['g'];
        if (!Number.isFinite(v)) return r === null;
        return typeof r === 'number' && Number.isFinite(r) && !Object.is(r, -0) && Math.abs(r - v) <= 0.0005 + Math.abs(v) * Number.EPSILON;
      }),
    );
  });

  it('per phase: min ≤ mean ≤ max, last is the last reading, and the readings with no value are left out', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }), { maxLength: 30 }), (values) => {
        const j = { series: values.map((v, i) => ({ window: i, phase: 'inject', gauges: { g: v } })) } as unknown as ExperimentJournal;
        const s = gaugeStats(j, 'g', 'inject');
        const present = values.filter((v): v is number => v !== null);
        if (present.length === 0) return s.readings === 0 && s.mean === null && s.last === null;
        const mean = s.mean as number;
        return (
          s.readings === present.length &&
          s.min === Math.min(...present) &&
          s.max === Math.max(...present) &&
          mean >= (s.min as number) - 0.001 &&
          mean <= (s.max as number) + 0.001 &&
          s.last === present[present.length - 1]
        );
      }),
    );
  });

  it('formats readings with three significant digits', () => {
    expect([formatGauge(12.345), formatGauge(0.012345), formatGauge(-3), formatGauge(1234.5), formatGauge(999.4)]).toEqual(['12.3', '0.0123', '-3', '1235', '999']);
  });
});
