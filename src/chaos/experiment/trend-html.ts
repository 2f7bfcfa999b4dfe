/**
 * The trend report as HTML: one self-contained page (inline CSS and SVG, no script, no
 * external URL or asset) with three charts across runs — resilience score, MTTR,
 * availability under fault — a table of the runs and each experiment's verdicts run
 * after run. Every text from a journal is escaped.
 *
 * @packageDocumentation
 */
import type { Verdict } from './journal';
import { formatDuration, formatRate } from './report-format';
import { niceStep } from './report-charts';
import { escapeHtml } from './report-html';
import type { TrendRun, TrendView } from './trend';

/** @internal The charts of the trend page, by `data-chart` id. */
export const TREND_CHART_IDS = ['trend-score', 'trend-mttr', 'trend-availability'] as const;

const W = 720;
const H = 230;
const ML = 62;
const MR = 16;
const MT = 18;
const MB = 42;

const VERDICT_COLOR: Readonly<Record<Verdict, string>> = { pass: '#1a7f37', fail: '#cf222e', halted: '#9a3412', aborted: '#6e7781', skipped: '#8c959f' };
const num = (x: number): string => (Math.round(x * 10) / 10).toString();

/** @internal `2025-01-06` of an ISO time, or `#3` without one. */
export function runLabel(r: TrendRun): string {
  return r.startedAt === null ? `#${r.index}` : r.startedAt.slice(0, 10);
}

/** @internal `2025-01-06 14:00 UTC` of an ISO time, `-` without one. */
export function runTime(r: TrendRun): string {
  return r.startedAt === null ? '-' : `${r.startedAt.slice(0, 10)} ${r.startedAt.slice(11, 16)} UTC`;
}


interface ChartSpec {
  readonly id: (typeof TREND_CHART_IDS)[number];
  readonly title: string;
  readonly value: (r: TrendRun) => number | null;
  readonly format: (v: number) => string;
  readonly color: string;
  /** Fixed axis range; otherwise from the data (from 0). */
  readonly range?: readonly [number, number];
}

function chart(runs: readonly TrendRun[], spec: ChartSpec): string {
  const plotW = W - ML - MR;
  const plotH = H - MT - MB;
  const x = (i: number): number => ML + (runs.length <= 1 ? plotW / 2 : (i / (runs.length - 1)) * plotW);
  const values = runs.map(spec.value);
  const lo = spec.range?.[0] ?? 0;
  let hi = spec.range?.[1] ?? 0;
  if (spec.range === undefined) {
    for (const v of values) if (v !== null && v > hi) hi = v;
    hi = hi > 0 ? hi * 1.1 : 1;
  }
  const step = niceStep(hi - lo, 4);
  if (spec.range === undefined) hi = Math.ceil(hi / step) * step;
  const y = (v: number): number => MT + plotH - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * plotH;
  const out: string[] = [];
  for (let v = lo; v <= hi + 1e-9; v += step) {
    out.push(`<line x1="${ML}" y1="${num(y(v))}" x2="${W - MR}" y2="${num(y(v))}" class="grid"/>`);
    out.push(`<text x="${ML - 6}" y="${num(y(v) + 4)}" text-anchor="end" class="tick">${escapeHtml(spec.format(v))}</text>`);
  }
  // At most about 8 labels, the last run always; none crowding the last one.
  const every = Math.max(1, Math.ceil(runs.length / 8));
  const lastAt = runs.length - 1;
  runs.forEach((r, i) => {
    if (i !== lastAt && (i % every !== 0 || lastAt - i < every / 2 + 0.5)) return;
    const anchor = runs.length === 1 ? 'middle' : i === 0 ? 'start' : i === lastAt ? 'end' : 'middle';
    out.push(`<line x1="${num(x(i))}" y1="${H - MB}" x2="${num(x(i))}" y2="${H - MB + 4}" class="axis"/>`);
    out.push(`<text x="${num(x(i))}" y="${H - MB + 16}" text-anchor="${anchor}" class="tick">${escapeHtml(runLabel(r))}</text>`);
  });
  // The line, broken where a run has no value.
  let seg: string[] = [];
  const segs: string[][] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (seg.length > 0) segs.push(seg);
      seg = [];
    } else seg.push(`${num(x(i))},${num(y(v))}`);
  });
  if (seg.length > 0) segs.push(seg);
  for (const s of segs) if (s.length > 1) out.push(`<polyline points="${s.join(' ')}" fill="none" stroke="${spec.color}" stroke-width="2" class="series"/>`);
  values.forEach((v, i) => {
    const r = runs[i] as TrendRun;
    if (v === null) {
      out.push(`<text x="${num(x(i))}" y="${H - MB - 6}" text-anchor="middle" class="none">n/a<title>${escapeHtml(`${r.name} (${runLabel(r)}): no value`)}</title></text>`);
      return;
    }
    const bad = r.verdicts.fail + r.verdicts.halted > 0;
    out.push(
      `<circle cx="${num(x(i))}" cy="${num(y(v))}" r="${bad ? 4 : 3}" fill="${bad ? VERDICT_COLOR.fail : spec.color}" class="point"><title>${escapeHtml(`${r.name} (${runLabel(r)}): ${spec.format(v)}`)}</title></circle>`,
    );
  });
  out.push(`<line x1="${ML}" y1="${H - MB}" x2="${W - MR}" y2="${H - MB}" class="axis"/>`);
  out.push(`<line x1="${ML}" y1="${MT}" x2="${ML}" y2="${H - MB}" class="axis"/>`);
  out.push(`<text x="${ML + plotW / 2}" y="${H - 6}" text-anchor="middle" class="tick">run (start date)</text>`);
  return `<figure class="chart" data-chart="${spec.id}"><figcaption>${escapeHtml(spec.title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(spec.title)}"><title>${escapeHtml(spec.title)}</title>${out.join('')}</svg></figure>`;
}

function charts(runs: readonly TrendRun[]): string {
  const avail = runs.map((r) => r.availabilityUnderFault).filter((v): v is number => v !== null);
  const lowest = avail.length === 0 ? 0.9 : Math.min(...avail);
  // Availability lives near 1: zoom on [floor to 5 %, 100 %] so small losses show.
  const floor = Math.max(0, Math.min(0.9, Math.floor(lowest * 20) / 20));
  return [
    chart(runs, { id: 'trend-score', title: 'Resilience score (0–100)', value: (r) => r.score, format: (v) => num(v), color: '#0969da', range: [0, 100] }),
    chart(runs, { id: 'trend-mttr', title: 'MTTR (mean over the experiments that recovered)', value: (r) => r.mttr, format: (v) => formatDuration(v), color: '#8250df' }),
    chart(runs, { id: 'trend-availability', title: 'Availability under fault (every call completed while faults were on)', value: (r) => r.availabilityUnderFault, format: (v) => formatRate(v), color: '#1a7f37', range: [floor, 1] }),
  ].join('');
}

function verdictCounts(r: TrendRun): string {
  return (Object.entries(r.verdicts) as [Verdict, number][])
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `<span class="v" style="color:${VERDICT_COLOR[v]}">${n} ${escapeHtml(v)}</span>`)
    .join(', ');
}

function runsTable(runs: readonly TrendRun[]): string {
  let previous: number | null = null;
  const rows = runs.map((r) => {
    const delta = r.score !== null && previous !== null ? r.score - previous : null;
    if (r.score !== null) previous = r.score;
    const cells = [
      String(r.index),
      escapeHtml(runTime(r)),
      escapeHtml(r.name),
      r.score === null ? 'n/a' : num(r.score),
      delta === null ? '' : `<span class="${delta < 0 ? 'down' : 'up'}">${delta > 0 ? '+' : ''}${num(delta)}</span>`,
      escapeHtml(formatDuration(r.mttr)),
      escapeHtml(formatDuration(r.worstMttr)),
      escapeHtml(formatRate(r.availabilityUnderFault)),
      verdictCounts(r),
      String(r.unrecovered),
    ];
    return `<tr>${cells.map((c, i) => `<td${i === 0 || (i >= 3 && i <= 7) || i === 9 ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  const head = ['#', 'started', 'suite', 'score', 'change', 'MTTR (mean)', 'MTTR (worst)', 'availability under fault', 'verdicts', 'not recovered'];
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.reverse().join('')}</tbody></table>`;
}

function matrix(view: TrendView): string {
  const runs = view.runs.slice(-16);
  const names = view.trend.experimentNames.filter((n) => runs.some((r) => r.experiments.some((e) => e.name === n)));
  if (names.length === 0) return '';
  const head = `<tr><th>experiment</th>${runs.map((r) => `<th class="c">${escapeHtml(runLabel(r))}</th>`).join('')}</tr>`;
  const rows = names
    .map((n) => {
      const cells = runs.map((r) => {
        const e = r.experiments.find((x) => x.name === n);
        if (e === undefined) return '<td class="c">·</td>';
        const tip = `${n} on ${runLabel(r)}: ${e.verdict}${e.score === null ? '' : `, score ${num(e.score)}`}, MTTR ${formatDuration(e.mttr)}, availability ${formatRate(e.availability)}`;
        return `<td class="c"><span class="cell" style="background:${VERDICT_COLOR[e.verdict]}" title="${escapeHtml(tip)}">${escapeHtml(e.verdict.slice(0, 1).toUpperCase())}</span></td>`;
      });
      return `<tr><td>${escapeHtml(n)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  return `<h2>Experiments, run after run</h2><p class="small">P pass · F fail · H halted · A aborted · S skipped (the latest ${runs.length} runs)</p><table class="matrix"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0;padding:24px}
main{max-width:1180px;margin:0 auto}
header,section{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:18px 20px;margin:0 0 20px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 8px}
.score{font-size:34px;font-weight:700}
.score small{font-size:15px;color:#59636e;font-weight:400}
.up{color:#1a7f37;font-weight:600}
.down{color:#cf222e;font-weight:600}
.small{font-size:12px;color:#59636e}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e1e6eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.c{text-align:center}
.cell{display:inline-block;min-width:20px;color:#fff;border-radius:4px;font-size:11px;font-weight:700;padding:1px 4px}
.charts{display:grid;grid-template-columns:1fr;gap:12px}
figure.chart{margin:0;border:1px solid #e1e6eb;border-radius:6px;padding:6px 6px 2px;background:#fff}
figcaption{font-weight:600;font-size:13px;margin:0 0 2px 4px}
svg{max-width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
svg .axis{stroke:#8c959f;stroke-width:1}
svg .grid{stroke:#d1d9e0;stroke-width:.6;stroke-dasharray:2 3}
svg .none{font-style:italic}
@media print{body{background:#fff;padding:0}header,section{break-inside:avoid;border:0}}
`;

/** @internal The trend page. */
export function trendHtml(view: TrendView): string {
  const { trend, runs } = view;
  const latest = [...runs].reverse().find((r) => r.score !== null);
  const change = trend.scoreChange;
  const first = runs[0];
  const last = runs[runs.length - 1];
  const period = first === undefined || last === undefined ? 'no run yet' : `${runs.length} run(s), ${runLabel(first)} to ${runLabel(last)}${trend.runs.length > runs.length ? ` (the latest ${runs.length} of ${trend.runs.length})` : ''}`;
  const header = [
    '<header>',
    `<h1>${escapeHtml(view.title)}</h1>`,
    `<div class="score">${latest === undefined ? 'n/a' : escapeHtml(num(latest.score as number))}<small> / 100, latest resilience score</small>${change === null ? '' : ` <span class="${change < 0 ? 'down' : 'up'}">${change > 0 ? '+' : ''}${escapeHtml(num(change))}</span>`}</div>`,
    `<p class="small">${escapeHtml(period)}</p>`,
    '</header>',
  ].join('\n');
  const body =
    runs.length === 0
      ? '<section><p>No run in the history yet.</p></section>'
      : [`<section><div class="charts">${charts(runs)}</div></section>`, `<section><h2>Runs, latest first</h2>${runsTable(runs)}</section>`, `<section>${matrix(view)}</section>`].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(view.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header}
${body}
</main>
</body>
</html>
`;
}
