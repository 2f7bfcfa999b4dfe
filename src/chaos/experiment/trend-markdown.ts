/**
 * The trend report as Markdown: the latest score and its change, a sparkline of the
 * score, the runs (latest first) and each experiment's verdicts run after run. Every
 * text from a journal is escaped.
 *
 * @packageDocumentation
 */
import { escapeMarkdown, formatDuration, formatRate } from './report-format';
import type { TrendRun, TrendView } from './trend';
import { runLabel, runTime } from './trend-html';

const BARS = '▁▂▃▄▅▆▇█';

/** @internal A sparkline of scores 0–100 (`·` for a run without a score). */
export function sparkline(scores: readonly (number | null)[]): string {
  return scores.map((s) => (s === null ? '·' : (BARS[Math.min(BARS.length - 1, Math.floor((Math.max(0, Math.min(100, s)) / 100) * BARS.length))] as string))).join('');
}

const num = (x: number): string => (Math.round(x * 10) / 10).toString();

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function verdicts(r: TrendRun): string {
  return Object.entries(r.verdicts)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
}

/** @internal The trend as Markdown. */
export function trendMarkdown(view: TrendView): string {
  const { trend, runs } = view;
  const out: string[] = [`# ${escapeMarkdown(view.title)}`, ''];
  if (runs.length === 0) {
    out.push('No run in the history yet.');
    return `${out.join('\n')}\n`;
  }
  const latest = [...runs].reverse().find((r) => r.score !== null);
  const change = trend.scoreChange;
  out.push(
    `**Latest resilience score: ${latest === undefined ? 'n/a' : `${num(latest.score as number)} / 100`}**${change === null ? '' : ` (${change > 0 ? '+' : ''}${num(change)} since the run before)`} · ${runs.length} run(s), ${escapeMarkdown(runLabel(runs[0] as TrendRun))} to ${escapeMarkdown(runLabel(runs[runs.length - 1] as TrendRun))}${trend.runs.length > runs.length ? ` (the latest ${runs.length} of ${trend.runs.length})` : ''}`,
  );
  out.push('');
  out.push(`Score, oldest to latest: \`${sparkline(runs.map((r) => r.score))}\``);
  out.push('');
  let previous: number | null = null;
  const rows = runs.map((r) => {
    const delta = r.score !== null && previous !== null ? r.score - previous : null;
    if (r.score !== null) previous = r.score;
    return [
      String(r.index),
      escapeMarkdown(runTime(r)),
      escapeMarkdown(r.name),
      r.score === null ? 'n/a' : num(r.score),
      delta === null ? '' : `${delta > 0 ? '+' : ''}${num(delta)}`,
      formatDuration(r.mttr),
      formatDuration(r.worstMttr),
      formatRate(r.availabilityUnderFault),
      verdicts(r),
      String(r.unrecovered),
    ];
  });
  out.push('## Runs, latest first', '');
  out.push(table(['#', 'started', 'suite', 'score', 'change', 'MTTR (mean)', 'MTTR (worst)', 'availability under fault', 'verdicts', 'not recovered'], rows.reverse()));
  out.push('');
  const shown = runs.slice(-12);
  const names = trend.experimentNames.filter((n) => shown.some((r) => r.experiments.some((e) => e.name === n)));
  if (names.length > 0) {
    out.push('## Experiments, run after run', '');
    out.push(`_P pass · F fail · H halted · A aborted · S skipped; the latest ${shown.length} runs, oldest first_`, '');
    out.push(
      table(
        ['experiment', ...shown.map((r) => escapeMarkdown(runLabel(r)))],
        names.map((n) => [escapeMarkdown(n), ...shown.map((r) => r.experiments.find((e) => e.name === n)?.verdict.slice(0, 1).toUpperCase() ?? '·')]),
      ),
    );
    out.push('');
  }
  out.push('_MTTR: faults off until the steady state held again, mean over the experiments that recovered. Availability under fault: successful share of every call completed while faults were on. Score: weighted resilience score of the run (0–100)._');
  return `${out.join('\n')}\n`;
}
