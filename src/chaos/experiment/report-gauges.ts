/**
 * The gauges of an experiment in the reports: one HTML chart with a line per gauge (the
 * readings the runner took at every evaluation, see the `gauges` option), and a Markdown
 * table of each gauge's readings by phase.
 *
 * @packageDocumentation
 */
import type { ExperimentJournal, ExperimentPhase, SeriesPoint } from './journal';
import { lineChart, SERIES_COLORS, type Frame } from './report-charts';

/** @internal The `data-chart` id of the gauges chart. */
export const GAUGES_CHART_ID = 'gauges';

/** @internal The gauge names of a journal, in the order they first appear in its series. */
export function gaugeNames(j: ExperimentJournal): string[] {
  const names: string[] = [];
  for (const p of j.series) for (const n of Object.keys(p.gauges ?? {})) if (!names.includes(n)) names.push(n);
  return names;
}

/** @internal A reading in a label: three significant digits (whole numbers from 1 000 on). */
export function formatGauge(v: number): string {
  return Math.abs(v) >= 1000 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
}

const reading = (name: string) => (p: SeriesPoint): number | null => p.gauges?.[name] ?? null;

/** @internal The gauges chart: one line per gauge, on one axis; none when the experiment had no gauges. */
export function gaugesChart(f: Frame): string {
  const names = gaugeNames(f.j);
  if (names.length === 0) return '';
  const colorOf = (i: number): readonly [string, string] => SERIES_COLORS[i % SERIES_COLORS.length] as readonly [string, string];
  const [first, ...rest] = names as [string, ...string[]];
  const title = names.length === 1 ? `Gauge: ${first}` : `Gauges: ${names.map((n, i) => `${n} (${colorOf(i)[1]})`).join(', ')}`;
  return lineChart(f, {
    id: GAUGES_CHART_ID,
    title,
    value: reading(first),
    label: first,
    color: colorOf(0)[0],
    more: rest.map((n, i) => ({ value: reading(n), color: colorOf(i + 1)[0], label: n })),
    format: formatGauge,
    thresholds: [],
  });
}

/** @internal One gauge's readings over the windows of one phase. */
export interface GaugeStats {
  /** Windows with a reading. */
  readonly readings: number;
  readonly min: number | null;
  readonly mean: number | null;
  readonly max: number | null;
  /** The reading of the phase's last window that had one. */
  readonly last: number | null;
}

/** @internal A gauge's readings in the windows of `phase` (every window when `phase` is undefined). */
export function gaugeStats(j: ExperimentJournal, name: string, phase?: ExperimentPhase): GaugeStats {
  let n = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let last: number | null = null;
  for (const p of j.series) {
    if (phase !== undefined && p.phase !== phase) continue;
    const v = p.gauges?.[name];
    if (v === undefined || v === null) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    last = v;
  }
  if (n === 0) return { readings: 0, min: null, mean: null, max: null, last: null };
  return { readings: n, min, mean: Math.round((sum / n) * 1000) / 1000, max, last };
}

/**
 * @internal The Markdown table of the gauges: per phase that ran, the mean and the range of
 * the readings, then the last reading of the experiment; `undefined` without gauges.
 */
export function gaugesMarkdown(j: ExperimentJournal, table: (head: readonly string[], rows: readonly (readonly string[])[]) => string, escape: (text: string) => string): string | undefined {
  const names = gaugeNames(j);
  if (names.length === 0) return undefined;
  const phases = j.phases.map((p) => p.phase).filter((p, i, all) => all.indexOf(p) === i);
  const f = formatGauge;
  const cell = (s: GaugeStats): string => (s.readings === 0 ? '-' : s.min === s.max ? f(s.mean as number) : `${f(s.mean as number)} (${f(s.min as number)}–${f(s.max as number)})`);
  const rows = names.map((name) => {
    const all = gaugeStats(j, name);
    return [escape(name), ...phases.map((ph) => cell(gaugeStats(j, name, ph))), all.last === null ? '-' : f(all.last)];
  });
  return `Gauges (mean and range of the readings per phase, one reading per evaluation):\n\n${table(['gauge', ...phases, 'last'], rows)}\n`;
}
