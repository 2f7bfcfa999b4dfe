/**
 * The chart primitives of the HTML report: inline SVG line charts over an experiment's
 * time, shaded by phase, with thresholds and markers (faults on/off, detection, recovery).
 * `report-html.ts` draws the runner's charts with them, `report-gauges.ts` the gauges.
 *
 * @packageDocumentation
 */
import type { ExperimentJournal, ExperimentPhase, SeriesPoint } from './journal';
import { formatDuration } from './report-format';

/** @internal Escapes text for HTML content and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** @internal The background of each phase. */
export const PHASE_FILL: Readonly<Record<ExperimentPhase, string>> = {
  baseline: '#e6f0fa',
  ramp: '#fff1cc',
  inject: '#fde0de',
  recovery: '#e2f4e5',
};

/** @internal The colours of the lines of a chart with several series, with the names its title gives them. */
export const SERIES_COLORS: readonly (readonly [string, string])[] = [
  ['#bc4c00', 'orange'],
  ['#0969da', 'blue'],
  ['#8250df', 'purple'],
  ['#1a7f37', 'green'],
  ['#9a6700', 'ochre'],
];

/** @internal Chart width and height (px), and margins. */
export const W = 560;
export const H = 210;
export const ML = 58;
export const MR = 14;
export const MT = 26;
export const MB = 30;

/** @internal A number for SVG and labels: one decimal at most. */
export const num = (x: number): string => (Math.round(x * 10) / 10).toString();

/** @internal A round tick step (1, 2 or 5 × a power of ten) giving about `target` ticks over `range`. */
export function niceStep(range: number, target: number): number {
  if (!(range > 0)) return 1;
  const raw = range / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

/** @internal The time axis of one experiment's charts. */
export interface Frame {
  readonly j: ExperimentJournal;
  readonly duration: number;
  readonly x: (t: number) => number;
  readonly plotW: number;
  readonly plotH: number;
}

/** @internal The frame of an experiment's charts (`height`: of the chart). */
export function frame(j: ExperimentJournal, height = H): Frame {
  const last = j.series[j.series.length - 1];
  const duration = Math.max(1, j.duration, last?.end ?? 0);
  const plotW = W - ML - MR;
  return { j, duration, x: (t) => ML + (t / duration) * plotW, plotW, plotH: height - MT - MB };
}

/** @internal The phases as shaded bands. */
export function phaseBands(f: Frame, height: number): string {
  const out: string[] = [];
  for (const p of f.j.phases) {
    const x0 = f.x(p.start);
    const x1 = f.x(p.end);
    if (x1 <= x0) continue;
    out.push(`<rect class="phase phase-${p.phase}" x="${num(x0)}" y="${MT}" width="${num(x1 - x0)}" height="${num(height - MT - MB)}" fill="${PHASE_FILL[p.phase]}"><title>${escapeHtml(p.phase)}: ${escapeHtml(formatDuration(p.start))} to ${escapeHtml(formatDuration(p.end))}</title></rect>`);
    if (x1 - x0 > 34) out.push(`<text x="${num((x0 + x1) / 2)}" y="${MT - 8}" text-anchor="middle" class="phase-label">${escapeHtml(p.phase)}</text>`);
  }
  return out.join('');
}

/** @internal The time axis. */
export function xAxis(f: Frame, height: number): string {
  const step = niceStep(f.duration, 6);
  const out: string[] = [`<line x1="${ML}" y1="${height - MB}" x2="${W - MR}" y2="${height - MB}" class="axis"/>`];
  for (let t = 0; t <= f.duration + 1e-9; t += step) {
    const x = f.x(t);
    out.push(`<line x1="${num(x)}" y1="${height - MB}" x2="${num(x)}" y2="${height - MB + 4}" class="axis"/>`);
    out.push(`<text x="${num(x)}" y="${height - MB + 16}" text-anchor="middle" class="tick">${escapeHtml(formatDuration(t))}</text>`);
  }
  return out.join('');
}

/** @internal Lines at faults on/off, detection and recovery. */
export function markers(f: Frame, height: number): string {
  const j = f.j;
  const list: { t: number; label: string; cls: string }[] = [];
  if (j.faultsOnAt !== null) list.push({ t: j.faultsOnAt, label: 'faults on', cls: 'm-on' });
  if (j.faultsOffAt !== null) list.push({ t: j.faultsOffAt, label: 'faults off', cls: 'm-off' });
  if (j.timeToDetect !== null && j.faultsOnAt !== null) list.push({ t: j.faultsOnAt + j.timeToDetect, label: 'detected', cls: 'm-detect' });
  if (j.mttr !== null && j.faultsOffAt !== null) list.push({ t: j.faultsOffAt + j.mttr, label: 'recovered', cls: 'm-recover' });
  return list
    .map((m) => {
      const x = num(f.x(m.t));
      return `<line x1="${x}" y1="${MT}" x2="${x}" y2="${height - MB}" class="marker ${m.cls}"><title>${escapeHtml(m.label)} at ${escapeHtml(formatDuration(m.t))}</title></line>`;
    })
    .join('');
}

/** @internal One more series of a line chart. */
export interface MoreSeries {
  readonly value: (p: SeriesPoint) => number | null;
  readonly color: string;
  /** Named in each point's tooltip. @defaultValue none */
  readonly label?: string | undefined;
}

/** @internal What a line chart draws. */
export interface LineSpec {
  /** The `data-chart` id. */
  readonly id: string;
  readonly title: string;
  readonly value: (p: SeriesPoint) => number | null;
  readonly format: (v: number) => string;
  /** Fixed top of the y axis (e.g. 1 for rates). */
  readonly max?: number;
  readonly thresholds: readonly { readonly value: number; readonly label: string }[];
  readonly color: string;
  /** The first series' name in each point's tooltip. @defaultValue none */
  readonly label?: string | undefined;
  /** More series on the same axes (the burn rate of each SLO, each gauge). */
  readonly more?: readonly MoreSeries[];
}

/**
 * @internal A line chart of one or more series over the experiment's windows (`null`: no
 * point, the line breaks). The y axis starts at 0, or lower when a value is negative.
 */
export function lineChart(f: Frame, spec: LineSpec): string {
  const all: readonly MoreSeries[] = [{ value: spec.value, color: spec.color, label: spec.label }, ...(spec.more ?? [])];
  let top = spec.max ?? 0;
  let bottom = 0;
  for (const series of all) {
    for (const p of f.j.series) {
      const v = series.value(p);
      if (v === null) continue;
      if (spec.max === undefined && v > top) top = v;
      if (v < bottom) bottom = v;
    }
  }
  if (spec.max === undefined) {
    for (const t of spec.thresholds) if (t.value > top) top = t.value;
    top = top > 0 ? top * 1.1 : bottom < 0 ? 0 : 1;
  }
  const step = niceStep(top - bottom, 4);
  if (spec.max === undefined) top = Math.ceil(top / step) * step;
  bottom = Math.floor(bottom / step) * step;
  const y = (v: number): number => MT + f.plotH - ((Math.max(bottom, Math.min(v, top)) - bottom) / (top - bottom)) * f.plotH;
  const out: string[] = [];
  out.push(phaseBands(f, H));
  for (let v = bottom; v <= top + 1e-9; v += step) {
    out.push(`<line x1="${ML}" y1="${num(y(v))}" x2="${W - MR}" y2="${num(y(v))}" class="grid"/>`);
    out.push(`<text x="${ML - 6}" y="${num(y(v) + 4)}" text-anchor="end" class="tick">${escapeHtml(spec.format(v))}</text>`);
  }
  for (const t of spec.thresholds) {
    if (t.value > top || t.value < bottom) continue;
    out.push(`<line x1="${ML}" y1="${num(y(t.value))}" x2="${W - MR}" y2="${num(y(t.value))}" class="threshold"><title>threshold ${escapeHtml(t.label)}</title></line>`);
    out.push(`<text x="${W - MR - 4}" y="${num(y(t.value) - 4)}" text-anchor="end" class="threshold-label">${escapeHtml(t.label)}</text>`);
  }
  out.push(markers(f, H));
  for (const series of all) {
    const pts = f.j.series.map((p) => ({ t: (p.start + p.end) / 2, v: series.value(p), p }));
    // The series: segments broken where a window had no data.
    let seg: string[] = [];
    const segs: string[][] = [];
    for (const p of pts) {
      if (p.v === null) {
        if (seg.length > 0) segs.push(seg);
        seg = [];
      } else seg.push(`${num(f.x(p.t))},${num(y(p.v))}`);
    }
    if (seg.length > 0) segs.push(seg);
    for (const sg of segs) {
      if (sg.length > 1) out.push(`<polyline points="${sg.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2" class="series"/>`);
    }
    for (const p of pts) {
      if (p.v === null) continue;
      const bad = p.p.steady === false;
      out.push(
        `<circle cx="${num(f.x(p.t))}" cy="${num(y(p.v))}" r="${bad ? 3.2 : 2.4}" fill="${bad ? '#cf222e' : series.color}" class="point"><title>${escapeHtml(`${series.label === undefined ? '' : `${series.label}, `}${formatDuration(p.p.start)}–${formatDuration(p.p.end)} (${p.p.phase}): ${spec.format(p.v)}`)}</title></circle>`,
      );
    }
  }
  out.push(xAxis(f, H));
  out.push(`<line x1="${ML}" y1="${MT}" x2="${ML}" y2="${H - MB}" class="axis"/>`);
  return figure(spec.id, spec.title, H, out.join(''));
}

/** @internal A chart in its figure, with its caption and accessible title. */
export function figure(id: string, title: string, height: number, body: string): string {
  return `<figure class="chart" data-chart="${id}"><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${body}</svg></figure>`;
}
