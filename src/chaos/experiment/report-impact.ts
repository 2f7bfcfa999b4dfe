/**
 * The blast radius and SLO parts of the reports, as plain-text tables that the Markdown
 * and HTML renderers escape and lay out: one source for both formats.
 *
 * @packageDocumentation
 */
import type { ImpactScope } from './blast-radius';
import type { ExperimentJournal } from './journal';
import { formatDuration, formatRate } from './report-format';

/** @internal A table of plain text (not escaped), with notes to print under it. */
export interface TextTable {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

/** Operations listed by name in a report: the most affected first. */
const MAX_OPERATION_ROWS = 20;

/** @internal An SLO window: `30 days`, `6 h`, `45 min`, or a duration. */
export function formatWindow(ms: number): string {
  const day = 86_400_000;
  const hour = 3_600_000;
  if (ms >= day && ms % day === 0) return `${ms / day} day${ms === day ? '' : 's'}`;
  if (ms >= hour && ms % hour === 0) return `${ms / hour} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return formatDuration(ms);
}

/** @internal A burn rate: `14.4×`, `-` for none. */
export function formatBurn(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '-';
  return `${rate >= 100 ? Math.round(rate) : Math.round(rate * 100) / 100}×`;
}

/** @internal An objective: `99.9%`, `99.99%` (every significant digit, unlike {@link formatRate}). */
export function formatObjective(o: number): string {
  return `${Number((o * 100).toPrecision(6))}%`;
}

/** @internal A share of an error budget: as {@link formatRate}, but `<0.01%` rather than a rounded 0. */
export function formatBudget(b: number | null | undefined): string {
  return b !== null && b !== undefined && b > 0 && b < 0.0001 ? '<0.01%' : formatRate(b);
}

/** @internal `14 of 50 (28.0%)`, `≈` before estimates, `-` without users. */
export function formatUsers(s: ImpactScope): string {
  if (s.users === null || s.affectedUsers === null) return '-';
  const approx = s.estimated ? '≈' : '';
  return `${approx}${s.affectedUsers} of ${approx}${s.users} (${formatRate(s.affectedUserShare)})`;
}

/** @internal Which impact columns the verdict table of these journals needs: only those some journal has data for. */
export function impactColumns(journals: readonly ExperimentJournal[]): { readonly users: boolean; readonly slo: boolean } {
  return {
    users: journals.some((j) => j.blastRadius?.usersTracked === true),
    slo: journals.some((j) => (j.slos?.length ?? 0) > 0),
  };
}

/** @internal The heads of the impact columns. */
export function impactHead(cols: { readonly users: boolean; readonly slo: boolean }): string[] {
  return [...(cols.users ? ['users affected under fault'] : []), ...(cols.slo ? ['SLO budget used'] : [])];
}

/** @internal The impact cells of one journal's verdict row: affected users under fault, and the most budget any SLO used. */
export function impactCells(j: ExperimentJournal, cols: { readonly users: boolean; readonly slo: boolean }): string[] {
  const out: string[] = [];
  if (cols.users) out.push(j.blastRadius?.usersTracked === true ? formatUsers(j.blastRadius.underFault) : '-');
  if (cols.slo) {
    let worst: { op: string; used: number } | undefined;
    for (const s of j.slos ?? []) {
      const used = s.overall.budgetConsumed;
      if (used !== null && (worst === undefined || used > worst.used)) worst = { op: s.operation, used };
    }
    out.push(worst === undefined ? '-' : `${formatBudget(worst.used)} (${worst.op})`);
  }
  return out;
}

/** @internal The blast radius tables of a journal (none for a journal without one). */
export function blastRadiusTables(j: ExperimentJournal): TextTable[] {
  const b = j.blastRadius;
  if (b === undefined) return [];
  const scope = (name: string, s: ImpactScope): string[] => [
    name,
    String(s.calls),
    `${s.affectedCalls} (${s.failedCalls} failed, ${s.degradedCalls} degraded)`,
    formatUsers(s),
    String(s.affectedOperations),
  ];
  const notes: string[] = [];
  if (!b.usersTracked) notes.push('Users not counted: give the load a userKey.');
  else if (b.overall.estimated || b.underFault.estimated) {
    notes.push(`≈: more than ${b.exactUpTo} distinct users, so the counts are HyperLogLog estimates (relative standard error 0.81 %).`);
  }
  const tables: TextTable[] = [
    {
      title: 'Blast radius',
      head: ['scope', 'calls', 'affected calls', 'users affected', 'operations affected'],
      rows: [scope('while faults were on', b.underFault), scope('whole experiment', b.overall)],
      notes,
    },
  ];
  const hit = b.operations.filter((o) => o.failed + o.degraded > 0).sort((x, y) => y.failed + y.degraded - (x.failed + x.degraded));
  if (hit.length > 0) {
    const shown = hit.slice(0, MAX_OPERATION_ROWS);
    tables.push({
      title: 'Affected operations',
      head: ['operation', 'calls', 'failed', 'degraded', 'affected while faults were on'],
      rows: shown.map((o) => [o.operation, String(o.calls), String(o.failed), String(o.degraded), `${o.affectedUnderFault} of ${o.callsUnderFault}`]),
      notes: hit.length > shown.length ? [`${hit.length - shown.length} more operation(s) not shown.`] : [],
    });
  }
  return tables;
}

/** @internal The SLO table of a journal (none without SLOs). */
export function sloTable(j: ExperimentJournal): TextTable | undefined {
  const slos = j.slos ?? [];
  if (slos.length === 0) return undefined;
  return {
    title: 'SLOs',
    head: ['operation', 'objective', 'window', 'burn rate under fault', 'budget used under fault', 'burn rate overall', 'budget used overall', 'peak window burn rate', 'objective met'],
    rows: slos.map((s) => [
      s.operation,
      formatObjective(s.objective),
      formatWindow(s.window),
      formatBurn(s.underFault.burnRate),
      formatBudget(s.underFault.budgetConsumed),
      formatBurn(s.overall.burnRate),
      formatBudget(s.overall.budgetConsumed),
      s.peakBurnRate === null ? '-' : `${formatBurn(s.peakBurnRate)} at ${formatDuration(s.peakAt)}`,
      s.met === null ? '-' : s.met ? 'yes' : 'no',
    ]),
    notes: ['Budget used: burn rate × duration / window, as if the experiment’s traffic rate held for the whole window.'],
  };
}
