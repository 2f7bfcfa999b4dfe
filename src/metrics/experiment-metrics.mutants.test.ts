/**
 * Pins the rules of {@link ExperimentMetrics} and {@link combinePrometheus} that the main
 * tests leave loose: bad options are reported under `createExperimentMetrics`; `observer()`
 * takes an observer object or nothing (`null` is refused with its own message); MTTR is
 * exported in seconds; the `window` burn rate exists only while a run is in a phase (not
 * while idle); every SLO sample carries its experiment, operation and scope labels; and
 * `combinePrometheus` accepts only non-null objects with a `toPrometheus` method, refusing
 * the others (`null`, functions) with its own message.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentImpact } from '../chaos/experiment/impact';
import type { ExperimentJournal, SeriesPoint } from '../chaos/experiment/journal';
import type { SloRecord } from '../chaos/experiment/slo';
import { combinePrometheus, createExperimentMetrics, type ExperimentMetrics } from './experiment-metrics';
import { ExperimentMetricNames } from './names';
import type { MetricSample } from './snapshot';

/** A finished run of `experiment`, with only the fields metrics reads. */
function journal(experiment: string, fields: Partial<Record<keyof ExperimentJournal, unknown>> = {}): ExperimentJournal {
  return { kind: 'experiment', experiment, verdict: 'pass', timeToDetect: null, mttr: null, ...fields } as unknown as ExperimentJournal;
}

/** An SLO record of `operation` with distinct numbers everywhere. */
function slo(operation: string): SloRecord {
  const usage = (burnRate: number, budgetConsumed: number): SloRecord['overall'] => ({ calls: 10, failures: 1, duration: 1_000, burnRate, budgetConsumed });
  return { operation, objective: 0.99, window: 3_600_000, overall: usage(2, 0.25), underFault: usage(8, 0.5), peakBurnRate: 12, peakAt: 2_000, met: false };
}

/** An impact with SLO numbers and no blast radius worth reading. */
function impact(...slos: SloRecord[]): ExperimentImpact {
  return { slos } as unknown as ExperimentImpact;
}

/** An evaluation point whose window burn rates are `burnRates`. */
function point(burnRates: Record<string, number | null>): SeriesPoint {
  return { window: 0, phase: 'inject', start: 0, end: 500, calls: 10, failures: 1, errorRate: 0.1, p50: 5, p99: 5, throughput: 20, circuits: {}, steady: true, burnRates };
}

/** The samples of one family (experiment families have no histograms). */
function family(m: ExperimentMetrics, name: string): readonly MetricSample[] {
  return (m.collect().find((f) => f.name === name)?.samples ?? []) as readonly MetricSample[];
}

const evaluation = (experiment: string, burnRates: Record<string, number | null>, slos: SloRecord[]) => ({ experiment, elapsed: 500, duration: 5_000, point: point(burnRates), impact: impact(...slos) });
const start = (experiment: string) => ({ experiment, hypothesis: 'h', duration: 5_000, position: 1, of: 1 });

describe('createExperimentMetrics: options', () => {
  it('reports bad options under the name createExperimentMetrics', () => {
    expect(() => createExperimentMetrics({ maxExperiments: 0 })).toThrow(/^Invalid createExperimentMetrics options: expected `maxExperiments`/);
  });
});

describe('ExperimentMetrics.observer(): what it accepts', () => {
  it('works without a next observer (nothing to forward to)', () => {
    const m = createExperimentMetrics();
    const observer = m.observer();
    observer.onStart?.(start('x'));
    observer.onPhase?.({ experiment: 'x', phase: 'inject', elapsed: 0, duration: 1_000 });
    observer.onEnd?.(journal('x'));
    expect(family(m, ExperimentMetricNames.runs).find((s) => s.labels['verdict'] === 'pass')?.value).toBe(1);
  });

  it('refuses null with its own TypeError naming the value', () => {
    const m = createExperimentMetrics();
    expect(() => m.observer(null as never)).toThrow(new TypeError('ExperimentMetrics.observer() expects an observer object or nothing, got null'));
    expect(() => m.observer(3 as never)).toThrow('ExperimentMetrics.observer() expects an observer object or nothing, got 3');
  });
});

describe('ExperimentMetrics.record(): last-run numbers', () => {
  it('exports MTTR and time to detect in seconds (journal milliseconds / 1000)', () => {
    const m = createExperimentMetrics();
    m.record(journal('x', { mttr: 2_500, timeToDetect: 750 }));
    expect(family(m, ExperimentMetricNames.mttr)).toEqual([{ labels: { experiment: 'x' }, value: 2.5 }]);
    expect(family(m, ExperimentMetricNames.timeToDetect)).toEqual([{ labels: { experiment: 'x' }, value: 0.75 }]);
  });
});

describe('ExperimentMetrics: SLO samples', () => {
  it('exports the window burn rate only once the run is in a phase, never while idle', () => {
    const m = createExperimentMetrics();
    const observer = m.observer();
    const windowRate = (): readonly MetricSample[] => family(m, ExperimentMetricNames.sloBurnRate).filter((s) => s.labels['scope'] === 'window');
    observer.onStart?.(start('x'));
    observer.onEvaluation?.(evaluation('x', { 'shop.buy': 40 }, [slo('shop.buy')]));
    expect(windowRate()).toEqual([]); // no phase announced yet: the experiment is still idle
    observer.onPhase?.({ experiment: 'x', phase: 'inject', elapsed: 0, duration: 1_000 });
    observer.onEvaluation?.(evaluation('x', { 'shop.buy': 40 }, [slo('shop.buy')]));
    expect(windowRate()).toEqual([{ labels: { experiment: 'x', operation: 'shop.buy', scope: 'window' }, value: 40 }]);
  });

  it('labels every burn rate and budget sample with experiment, operation and scope', () => {
    const m = createExperimentMetrics();
    m.record(journal('x', { slos: [slo('shop.buy')] }));
    const l = { experiment: 'x', operation: 'shop.buy' };
    expect(family(m, ExperimentMetricNames.sloObjective)).toEqual([{ labels: l, value: 0.99 }]);
    expect(family(m, ExperimentMetricNames.sloBurnRate)).toEqual([
      { labels: { ...l, scope: 'under_fault' }, value: 8 },
      { labels: { ...l, scope: 'overall' }, value: 2 },
      { labels: { ...l, scope: 'peak' }, value: 12 },
    ]);
    expect(family(m, ExperimentMetricNames.sloBudgetConsumed)).toEqual([
      { labels: { ...l, scope: 'under_fault' }, value: 0.5 },
      { labels: { ...l, scope: 'overall' }, value: 0.25 },
    ]);
  });
});

describe('combinePrometheus(): what it accepts', () => {
  const message = 'combinePrometheus() expects sources with toPrometheus() (a Metrics or ExperimentMetrics)';

  it('accepts objects with a toPrometheus method and renders them one after the other', () => {
    expect(combinePrometheus({ toPrometheus: () => 'a\n' }, { toPrometheus: () => 'b\n' }).toPrometheus()).toBe('a\nb\n');
  });

  it('refuses null with its own TypeError, not a property-access error', () => {
    expect(() => combinePrometheus(null as never)).toThrow(new TypeError(message));
  });

  it('refuses a function even when it carries a toPrometheus method', () => {
    const fn = Object.assign(() => 'x', { toPrometheus: () => 'x' });
    expect(() => combinePrometheus(fn as never)).toThrow(new TypeError(message));
  });
});
