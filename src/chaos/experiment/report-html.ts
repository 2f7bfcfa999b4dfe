/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no external
 * URL or asset), with a verdict table and, per experiment, charts over time of error
 * rate, p99 latency, throughput and circuit state (and the SLOs' burn rates and the
 * experiment's gauges, when it has them), shaded by phase. Every text from a journal is
 * escaped. The chart primitives are in `report-charts.ts`.
 *
 * @packageDocumentation
 */
import { isCircuitState, type CircuitState } from '../../core/circuit-states';
import type { AnyJournal, ExperimentJournal, ExperimentPhase, SeriesPoint, SuiteJournal, Verdict } from './journal';
import { experimentScore } from './journal';
import { blastRadiusTables, formatBurn, impactCells, impactColumns, impactHead, sloTable, type TextTable } from './report-impact';
import { formatDuration, formatRate, headline } from './report-markdown';
import { escapeHtml, figure, frame, lineChart, markers, MB, ML, MT, num, PHASE_FILL, phaseBands, SERIES_COLORS, xAxis, type Frame } from './report-charts';
import { gaugesChart } from './report-gauges';

export { escapeHtml } from './report-charts';

const VERDICT_COLOR: Readonly<Record<Verdict, string>> = {
  pass: '#1a7f37',
  fail: '#cf222e',
  halted: '#9a3412',
  aborted: '#6e7781',
  skipped: '#8c959f',
};
const STATE_COLOR: Readonly<Record<CircuitState, string>> = { closed: '#2da44e', 'half-open': '#d4a72c', open: '#cf222e', isolated: '#82071e' };

/** @internal The four charts of an experiment, by `data-chart` id. */
export const CHART_IDS = ['error-rate', 'p99-latency', 'throughput', 'circuit-state'] as const;

/** @internal The chart an experiment with `slos` adds: each SLO's burn rate per window. */
export const BURN_RATE_CHART_ID = 'slo-burn-rate';

function circuitChart(f: Frame): string {
  const names: string[] = [];
  for (const p of f.j.series) for (const n of Object.keys(p.circuits)) if (!names.includes(n)) names.push(n);
  const row = 32;
  const legendH = 20;
  const height = MT + MB + legendH + Math.max(1, names.length) * row + 6;
  const plotBottom = height - legendH;
  const out: string[] = [phaseBands(f, plotBottom)];
  if (names.length === 0) {
    out.push(`<text x="${ML + f.plotW / 2}" y="${MT + 22}" text-anchor="middle" class="note">no circuit breaker watched (option circuitBreakers)</text>`);
  }
  names.forEach((name, i) => {
    const y0 = MT + 4 + i * row;
    out.push(`<text x="${ML + 4}" y="${y0 + 10}" class="lane-label">${escapeHtml(name)}</text>`);
    for (const p of f.j.series) {
      const s = p.circuits[name];
      if (s === undefined) continue;
      const x0 = f.x(p.start);
      const x1 = f.x(p.end);
      out.push(
        `<rect x="${num(x0)}" y="${y0 + 13}" width="${num(Math.max(0.5, x1 - x0 - 0.5))}" height="${row - 18}" fill="${(isCircuitState(s) ? STATE_COLOR[s] : undefined) ?? '#8c959f'}" class="state state-${escapeHtml(s)}"><title>${escapeHtml(`${name}: ${s} during ${formatDuration(p.start)}–${formatDuration(p.end)}`)}</title></rect>`,
      );
    }
  });
  out.push(markers(f, plotBottom));
  out.push(xAxis(f, plotBottom));
  const legend = Object.entries(STATE_COLOR)
    .map(([s, c], i) => `<rect x="${ML + i * 96}" y="${height - 14}" width="10" height="10" fill="${c}"/><text x="${ML + 14 + i * 96}" y="${height - 5}" class="tick">${escapeHtml(s)}</text>`)
    .join('');
  return figure('circuit-state', 'Circuit state (worst state in each window)', height, out.join('') + legend);
}

function thresholdsOf(j: ExperimentJournal, metric: string, map: (v: number) => number | null): { value: number; label: string }[] {
  const out: { value: number; label: string }[] = [];
  for (const c of j.checks) {
    if (c.operation !== '*' || c.metric !== metric) continue;
    const m = /^(rate|p\(\s*99\s*\))\s*(<=?|>=?)\s*(\S+)$/.exec(c.threshold.replace(/\s+/g, ''));
    if (m === null) continue;
    const v = map(Number(m[3]));
    if (v !== null && Number.isFinite(v)) out.push({ value: v, label: `${metric} ${c.threshold}` });
  }
  return out;
}

function charts(j: ExperimentJournal): string {
  const f = frame(j);
  const errorThresholds = [
    ...thresholdsOf(j, 'errorRate', (v) => v),
    ...thresholdsOf(j, 'availability', (v) => 1 - v),
  ];
  return [
    lineChart(f, {
      id: 'error-rate',
      title: 'Error rate (failed share of completed calls)',
      value: (p) => p.errorRate,
      format: (v) => `${num(v * 100)}%`,
      max: 1,
      thresholds: errorThresholds,
      color: '#cf222e',
    }),
    lineChart(f, {
      id: 'p99-latency',
      title: 'p99 latency',
      value: (p) => p.p99,
      format: (v) => formatDuration(v),
      thresholds: thresholdsOf(j, 'latency', (v) => v),
      color: '#8250df',
    }),
    lineChart(f, {
      id: 'throughput',
      title: 'Throughput (completed calls per second)',
      value: (p) => p.throughput,
      format: (v) => `${num(v)}/s`,
      thresholds: thresholdsOf(j, 'throughput', (v) => v),
      color: '#0969da',
    }),
    circuitChart(f),
    burnRateChart(f),
    gaugesChart(f),
  ].join('');
}

/** Each SLO's burn rate per window, with a line at 1 (the budget lasts the window); none without `slos`. */
function burnRateChart(f: Frame): string {
  const slos = f.j.slos ?? [];
  if (slos.length === 0) return '';
  const colorOf = (i: number): readonly [string, string] => SERIES_COLORS[i % SERIES_COLORS.length] as readonly [string, string];
  const series = slos.map((s, i) => ({ value: (p: SeriesPoint) => p.burnRates?.[s.operation] ?? null, color: colorOf(i)[0] }));
  const [first, ...more] = series as [(typeof series)[number], ...typeof series];
  const names = slos.map((s, i) => (slos.length === 1 ? s.operation : `${s.operation} (${colorOf(i)[1]})`));
  return lineChart(f, {
    id: BURN_RATE_CHART_ID,
    title: `SLO burn rate per window: ${names.join(', ')}`,
    value: first.value,
    more,
    format: (v) => formatBurn(v),
    thresholds: [{ value: 1, label: 'burn rate 1 (budget lasts the window)' }, ...burnThresholds(f.j)],
    color: first.color,
  });
}

/** The `burn_rate` thresholds of the checks (`burn_rate<14.4` draws a line at 14.4). */
function burnThresholds(j: ExperimentJournal): { value: number; label: string }[] {
  const out: { value: number; label: string }[] = [];
  for (const c of j.checks) {
    const m = /^burn_rate(<=?|>=?)(\S+)$/.exec(c.threshold.replace(/\s+/g, ''));
    if (m !== null && Number.isFinite(Number(m[2]))) out.push({ value: Number(m[2]), label: `${c.operation} ${c.threshold}` });
  }
  return out;
}

/** A plain-text table, escaped, with its notes. */
function textTable(t: TextTable): string {
  const head = t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${i > 0 ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<h3>${escapeHtml(t.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>${t.notes.map((n) => `<p class="small">${escapeHtml(n)}</p>`).join('')}`;
}

function badge(v: Verdict): string {
  return `<span class="badge" style="background:${VERDICT_COLOR[v]}">${escapeHtml(v.toUpperCase())}</span>`;
}

function verdictTable(rows: readonly { j: ExperimentJournal; weight?: number; score?: number | null; anchor: string }[]): string {
  const suite = rows.some((r) => r.weight !== undefined);
  const cols = impactColumns(rows.map((r) => r.j));
  const head = ['experiment', 'verdict', 'availability under fault', 'p99 under fault', 'time to detect', 'MTTR', 'circuits closed after', 'injections', ...impactHead(cols), ...(suite ? ['weight', 'score'] : [])];
  const body = rows
    .map((r) => {
      const h = headline(r.j);
      const inj = Object.values(r.j.injections).reduce((a, b) => a + b, 0);
      const cells = [
        `<a href="#${r.anchor}">${escapeHtml(r.j.experiment)}</a>`,
        badge(r.j.verdict),
        escapeHtml(formatRate(h.availability)),
        escapeHtml(formatDuration(h.p99)),
        escapeHtml(formatDuration(r.j.timeToDetect)),
        escapeHtml(formatDuration(r.j.mttr)),
        escapeHtml(formatDuration(r.j.circuitsClosedAfter)),
        String(inj),
        ...impactCells(r.j, cols).map(escapeHtml),
        ...(suite ? [String(r.weight), r.score === null || r.score === undefined ? 'excluded' : num(r.score)] : []),
      ];
      return `<tr>${cells.map((c, i) => `<td${i >= 2 ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<table class="verdicts"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(j: ExperimentJournal, anchor: string): string {
  const h = headline(j);
  const score = experimentScore(j);
  const facts: [string, string][] = [
    ['availability under fault', formatRate(h.availability)],
    ['p99 under fault', formatDuration(h.p99)],
    ['time to detect', formatDuration(j.timeToDetect)],
    ['MTTR', formatDuration(j.mttr)],
    ['circuits closed after', formatDuration(j.circuitsClosedAfter)],
    ['injections', String(Object.values(j.injections).reduce((a, b) => a + b, 0))],
    ['score', score === null ? 'excluded' : num(score)],
  ];
  const checkRows = j.checks
    .map((c) => {
      const evs = j.evaluations.filter((e) => e.check === c.id);
      const broken = evs.filter((e) => e.pass === false).length;
      return `<tr><td>${escapeHtml(c.operation)}</td><td>${escapeHtml(c.metric)}</td><td><code>${escapeHtml(c.threshold)}</code></td><td>${escapeHtml(c.role === 'halt' ? 'halt' : c.hard ? 'steady state, hard' : 'steady state')}</td><td class="n">${broken}/${evs.length}</td></tr>`;
    })
    .join('');
  const rollbackRows = j.rollbacks
    .map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${r.ok ? 'ok' : `<span class="bad">failed</span>: ${escapeHtml(r.error ?? '')}`}</td><td class="n">${escapeHtml(formatDuration(r.duration))}</td></tr>`)
    .join('');
  const evRows = j.evaluations
    .map((e) => `<tr${e.pass === false ? ' class="broken"' : ''}><td class="n">${escapeHtml(formatDuration(e.time))}</td><td>${escapeHtml(e.phase)}</td><td>${escapeHtml(e.check)}</td><td class="n">${e.value === null ? '-' : escapeHtml(String(e.value))}</td><td>${e.pass === null ? 'no data' : e.pass ? 'ok' : 'broken'}</td></tr>`)
    .join('');
  return [
    `<section class="experiment" id="${anchor}">`,
    `<h2>${escapeHtml(j.experiment)} ${badge(j.verdict)}</h2>`,
    `<blockquote>${escapeHtml(j.hypothesis)}</blockquote>`,
    `<p class="reason">${escapeHtml(j.reason)}</p>`,
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`,
    j.detectedBy === null ? '' : `<p class="small">First detection: ${escapeHtml(j.detectedBy)}.</p>`,
    j.phases.length === 0 ? `<p class="note">No measurements: the experiment did not start.</p>` : `<div class="legend">${(Object.keys(PHASE_FILL) as ExperimentPhase[]).map((p) => `<span><i style="background:${PHASE_FILL[p]}"></i>${escapeHtml(p)}</span>`).join('')}<span><i class="l-on"></i>faults on/off</span><span><i class="l-detect"></i>detected</span><span><i class="l-recover"></i>recovered</span><span><i class="l-threshold"></i>threshold</span></div><div class="charts">${charts(j)}</div>`,
    [...blastRadiusTables(j), sloTable(j)].map((t) => (t === undefined ? '' : textTable(t))).join(''),
    `<h3>Checks</h3><table><thead><tr><th>operation</th><th>metric</th><th>threshold</th><th>role</th><th>broken</th></tr></thead><tbody>${checkRows}</tbody></table>`,
    `<h3>Injections</h3><table><thead><tr><th>fault</th><th>injections</th></tr></thead><tbody>${Object.entries(j.injections).map(([n, c]) => `<tr><td>${escapeHtml(n)}</td><td class="n">${c}</td></tr>`).join('')}</tbody></table>`,
    j.rollbacks.length === 0 ? '' : `<h3>Rollbacks</h3><table><thead><tr><th>rollback</th><th>result</th><th>duration</th></tr></thead><tbody>${rollbackRows}</tbody></table>`,
    j.evaluations.length === 0 ? '' : `<details><summary>All ${j.evaluations.length} evaluations</summary><table><thead><tr><th>time</th><th>phase</th><th>check</th><th>value</th><th>result</th></tr></thead><tbody>${evRows}</tbody></table></details>`,
    `<p class="small">Seed ${escapeHtml(j.seed === null ? 'none' : String(j.seed))} · evaluation every ${escapeHtml(formatDuration(j.schedule.evaluationInterval))} · recovery needs ${j.schedule.recoveryStreak} consecutive good evaluations${j.startedAt === null ? '' : ` · started ${escapeHtml(j.startedAt)}`}</p>`,
    `</section>`,
  ].join('\n');
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0;padding:24px}
main{max-width:1180px;margin:0 auto}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 8px;display:flex;align-items:center;gap:10px}
h3{font-size:15px;margin:18px 0 6px}
.score{display:inline-block;font-size:34px;font-weight:700;margin:8px 0}
.score small{font-size:15px;color:#59636e;font-weight:400}
.badge{color:#fff;border-radius:4px;padding:2px 8px;font-size:12px;font-weight:700;letter-spacing:.04em}
section.experiment,header{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:18px 20px;margin:0 0 20px}
blockquote{margin:0 0 8px;padding:4px 12px;border-left:4px solid #d1d9e0;color:#59636e;font-style:italic}
.reason{margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e1e6eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.broken td{background:#fff0ef}
.facts{display:grid;grid-template-columns:repeat(7,1fr);gap:8px;margin:0 0 8px}
.facts div{background:#f6f8fa;border-radius:6px;padding:6px 10px}
dt{font-size:11px;color:#59636e;text-transform:uppercase;letter-spacing:.04em}
dd{margin:0;font-size:17px;font-weight:600;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}
figure.chart{margin:0;border:1px solid #e1e6eb;border-radius:6px;padding:6px 6px 2px;background:#fff}
figcaption{font-weight:600;font-size:13px;margin:0 0 2px 4px}
svg{max-width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
svg .phase-label{font-size:11px;fill:#1f2328;font-weight:600}
svg .axis{stroke:#8c959f;stroke-width:1}
svg .grid{stroke:#d1d9e0;stroke-width:.6;stroke-dasharray:2 3}
svg .threshold{stroke:#bf8700;stroke-width:1.4;stroke-dasharray:6 4}
svg .threshold-label{fill:#9a6700;font-size:10px}
svg .marker{stroke-width:1.4}
svg .m-on,svg .m-off{stroke:#1f2328;stroke-dasharray:3 3}
svg .m-detect{stroke:#cf222e}
svg .m-recover{stroke:#1a7f37}
svg .note{font-style:italic}
svg .lane-label{font-size:11px;fill:#1f2328;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:#59636e;margin:4px 0 8px}
.legend i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:-1px;border:1px solid #d1d9e0}
.legend i.l-on{border:0;border-top:2px dashed #1f2328;height:0}
.legend i.l-detect{border:0;border-top:2px solid #cf222e;height:0}
.legend i.l-recover{border:0;border-top:2px solid #1a7f37;height:0}
.legend i.l-threshold{border:0;border-top:2px dashed #bf8700;height:0}
.small{font-size:12px;color:#59636e}
p.note{font-style:italic;color:#59636e;background:#f6f8fa;border-radius:6px;padding:10px 12px}
.bad{color:#cf222e;font-weight:600}
details{margin-top:12px}
summary{cursor:pointer;color:#0969da}
a{color:#0969da;text-decoration:none}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
@media (max-width:900px){.charts{grid-template-columns:1fr}.facts{grid-template-columns:repeat(4,1fr)}}
@media print{body{background:#fff;padding:0}section.experiment,header{break-inside:avoid;border:0}}
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function suiteHtml(s: SuiteJournal): string {
  const counts = (Object.entries(s.verdicts) as [Verdict, number][]).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(', ');
  const header = [
    `<header>`,
    `<h1>Chaos report: ${escapeHtml(s.name)}</h1>`,
    `<div class="score">${s.score === null ? 'n/a' : escapeHtml(num(s.score))}<small> / 100 resilience score</small></div>`,
    `<p class="small">${s.experiments.length} experiment(s): ${escapeHtml(counts)} · ${escapeHtml(formatDuration(s.duration))}${s.seed === null ? '' : ` · seed ${escapeHtml(String(s.seed))}`}${s.startedAt === null ? '' : ` · started ${escapeHtml(s.startedAt)}`}</p>`,
    verdictTable(s.experiments.map((e, i) => ({ j: e.journal, weight: e.weight, score: e.score, anchor: `exp-${i + 1}` }))),
    `</header>`,
  ].join('\n');
  return page(`Chaos report: ${s.name}`, [header, ...s.experiments.map((e, i) => section(e.journal, `exp-${i + 1}`))].join('\n'));
}

/**
 * Renders a journal as one self-contained HTML page: inline CSS and SVG, no script and no
 * external URL, so it can be attached to a CI run or mailed as is. For a suite: the
 * resilience score and the verdict table, then one section per experiment with its
 * charts (error rate, p99 latency, throughput, circuit state; with `slos`, each SLO's
 * burn rate; with `gauges`, one line per gauge; shaded by phase, with thresholds and
 * markers for faults on/off, detection and recovery), checks, injections, rollbacks and
 * every evaluation.
 *
 * @example
 * ```ts
 * writeFileSync('reports/chaos-report.html', renderHtml(suite));
 * ```
 */
export function renderHtml(journal: AnyJournal): string {
  if (journal.kind === 'suite') return suiteHtml(journal);
  const header = [`<header>`, `<h1>Chaos experiment: ${escapeHtml(journal.experiment)}</h1>`, verdictTable([{ j: journal, anchor: 'exp-1' }]), `</header>`].join('\n');
  return page(`Chaos experiment: ${journal.experiment}`, `${header}\n${section(journal, 'exp-1')}`);
}
