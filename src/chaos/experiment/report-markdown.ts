/**
 * The Markdown report of an experiment or a suite: a verdict table first, then one
 * section per experiment (numbers by phase, checks, gauges, injections, rollbacks,
 * breaches).
 *
 * @packageDocumentation
 */
import type { AnyJournal, ExperimentJournal, ExperimentPhase, PhaseSummary, SuiteJournal } from './journal';
import { experimentScore } from './journal';
import { escapeMarkdown, formatDuration, formatRate } from './report-format';
import { gaugesMarkdown } from './report-gauges';
import { blastRadiusTables, impactCells, impactColumns, impactHead, sloTable, type TextTable } from './report-impact';

export { escapeMarkdown, formatDuration, formatRate } from './report-format';

/** @internal The numbers an experiment is summed up by: the calls made while faults were on. */
export function headline(j: ExperimentJournal): PhaseSummary {
  return j.summary.underFault;
}

const PHASES: readonly ExperimentPhase[] = ['baseline', 'ramp', 'inject', 'recovery'];

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A plain-text table, escaped, with its notes. */
function textTable(t: TextTable): string {
  const out = [`**${t.title}**`, '', table(t.head.map(escapeMarkdown), t.rows.map((r) => r.map(escapeMarkdown)))];
  if (t.notes.length > 0) out.push('', ...t.notes.map((n) => `_${escapeMarkdown(n)}_`));
  out.push('');
  return out.join('\n');
}

type Columns = ReturnType<typeof impactColumns>;

function verdictRow(j: ExperimentJournal, extra: readonly string[], cols: Columns): string[] {
  const h = headline(j);
  const injections = Object.values(j.injections).reduce((a, b) => a + b, 0);
  return [
    ...extra,
    escapeMarkdown(j.experiment),
    `**${j.verdict}**`,
    formatRate(h.availability),
    formatDuration(h.p99),
    formatDuration(j.timeToDetect),
    formatDuration(j.mttr),
    formatDuration(j.circuitsClosedAfter),
    String(injections),
    ...impactCells(j, cols).map(escapeMarkdown),
  ];
}

const VERDICT_HEAD = ['experiment', 'verdict', 'availability under fault', 'p99 under fault', 'time to detect', 'MTTR', 'circuits closed after', 'injections'];

function experimentSection(j: ExperimentJournal, level: string): string {
  const out: string[] = [];
  out.push(`${level} ${escapeMarkdown(j.experiment)}: ${j.verdict.toUpperCase()}`);
  out.push('');
  out.push(`> ${escapeMarkdown(j.hypothesis)}`);
  out.push('');
  out.push(`**Verdict: ${j.verdict}.** ${escapeMarkdown(j.reason)}`);
  out.push('');
  const facts = [
    `time to detect: ${formatDuration(j.timeToDetect)}${j.detectedBy === null ? '' : ` (${escapeMarkdown(j.detectedBy)})`}`,
    `MTTR: ${formatDuration(j.mttr)} (steady state held for ${j.schedule.recoveryStreak} consecutive evaluations)`,
    `circuits closed again: ${j.circuitsClosedAfter === null ? '-' : `${formatDuration(j.circuitsClosedAfter)} after the faults went off`}`,
    `faults: ${j.faults.map(escapeMarkdown).join(', ')}; on at ${formatDuration(j.faultsOnAt)}, off at ${formatDuration(j.faultsOffAt)}`,
    `evaluation every ${formatDuration(j.schedule.evaluationInterval)}; seed ${j.seed === null ? 'none' : String(j.seed)}${j.startedAt === null ? '' : `; started ${j.startedAt}`}`,
  ];
  const score = experimentScore(j);
  if (score !== null) facts.push(`score: ${Math.round(score * 10) / 10} / 100`);
  out.push(...facts.map((f) => `- ${f}`));
  out.push('');
  const phaseRows: string[][] = [];
  for (const ph of PHASES) {
    const rec = j.phases.find((p) => p.phase === ph);
    const s = j.summary.phases[ph];
    if (rec === undefined) continue;
    phaseRows.push([
      ph,
      `${formatDuration(rec.start)} → ${formatDuration(rec.end)}`,
      String(s?.calls ?? 0),
      String(s?.failures ?? 0),
      formatRate(s?.availability),
      formatDuration(s?.p50 ?? null),
      formatDuration(s?.p99 ?? null),
      formatDuration(s?.max ?? null),
    ]);
  }
  if (phaseRows.length > 0) {
    out.push(table(['phase', 'time', 'calls', 'failures', 'availability', 'p50', 'p99', 'max'], phaseRows));
    out.push('');
  }
  if (j.checks.length > 0) {
    const rows = j.checks.map((c) => {
      const evs = j.evaluations.filter((e) => e.check === c.id);
      const broke = (ph: ExperimentPhase): string => {
        const inPhase = evs.filter((e) => e.phase === ph);
        if (inPhase.length === 0) return '-';
        return `${inPhase.filter((e) => e.pass === false).length}/${inPhase.length}`;
      };
      return [
        escapeMarkdown(c.operation),
        c.metric,
        `\`${c.threshold.replace(/`/g, "'")}\``,
        c.role === 'halt' ? 'halt' : c.hard ? 'steady state, hard' : 'steady state',
        broke('baseline'),
        broke('ramp'),
        broke('inject'),
        broke('recovery'),
      ];
    });
    out.push(table(['operation', 'metric', 'threshold', 'role', 'broken in baseline', 'ramp', 'inject', 'recovery'], rows));
    out.push('');
  }
  for (const t of [...blastRadiusTables(j), sloTable(j)]) if (t !== undefined) out.push(textTable(t));
  const gauges = gaugesMarkdown(j, table, escapeMarkdown);
  if (gauges !== undefined) out.push(gauges);
  const inj = Object.entries(j.injections);
  if (inj.length > 0) {
    out.push(table(['fault', 'injections'], inj.map(([n, c]) => [escapeMarkdown(n), String(c)])));
    out.push('');
  }
  if (j.rollbacks.length > 0) {
    out.push(
      table(
        ['rollback', 'result', 'duration'],
        j.rollbacks.map((r) => [escapeMarkdown(r.name), r.ok ? 'ok' : `failed: ${escapeMarkdown(r.error ?? 'error')}`, formatDuration(r.duration)]),
      ),
    );
    out.push('');
  }
  const breaches = j.evaluations.filter((e) => e.pass === false);
  if (breaches.length > 0) {
    const shown = breaches.slice(0, 20);
    out.push(`Breaches (${breaches.length}${breaches.length > shown.length ? `, first ${shown.length} shown` : ''}):`);
    out.push('');
    out.push(
      table(
        ['time', 'phase', 'check', 'value'],
        shown.map((e) => [formatDuration(e.time), e.phase, escapeMarkdown(e.check), e.value === null ? '-' : String(e.value)]),
      ),
    );
    out.push('');
  }
  return out.join('\n');
}

function suiteMarkdown(s: SuiteJournal): string {
  const out: string[] = [];
  out.push(`# Chaos report: ${escapeMarkdown(s.name)}`);
  out.push('');
  const counts = (Object.entries(s.verdicts) as [string, number][]).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`);
  out.push(`**Resilience score: ${s.score === null ? 'n/a' : `${s.score} / 100`}** · ${s.experiments.length} experiment(s): ${counts.join(', ')}`);
  out.push('');
  const cols = impactColumns(s.experiments.map((e) => e.journal));
  out.push(
    table(
      ['#', ...VERDICT_HEAD, ...impactHead(cols), 'weight', 'score'],
      s.experiments.map((e, i) => [...verdictRow(e.journal, [String(i + 1)], cols), String(e.weight), e.score === null ? 'excluded' : String(Math.round(e.score * 10) / 10)]),
    ),
  );
  out.push('');
  for (const e of s.experiments) {
    out.push(experimentSection(e.journal, '##'));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * Renders a journal as Markdown: for a suite, the resilience score and a verdict table
 * (verdict, availability and p99 during injection, time to detect, MTTR; users affected
 * and SLO budget used when an experiment measured them), then one section per
 * experiment (with its blast radius and SLOs); for one experiment, its section with a
 * one-row verdict table.
 *
 * @example
 * ```ts
 * writeFileSync('reports/chaos-report.md', renderMarkdown(suite));
 * ```
 */
export function renderMarkdown(journal: AnyJournal): string {
  if (journal.kind === 'suite') return suiteMarkdown(journal);
  const cols = impactColumns([journal]);
  const out = [`# Chaos experiment: ${escapeMarkdown(journal.experiment)}`, '', table([...VERDICT_HEAD, ...impactHead(cols)], [verdictRow(journal, [], cols)]), '', experimentSection(journal, '##')];
  return `${out.join('\n').trimEnd()}\n`;
}
