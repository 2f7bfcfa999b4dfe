/**
 * Game days over months: the trend of a history of journals (one per run of a suite) —
 * resilience score, MTTR and availability under fault, run after run — and its report as
 * one self-contained HTML page with inline SVG charts (`trend-html.ts`) and as Markdown
 * (`trend-markdown.ts`). Journals are read defensively: a history file may have been
 * edited by hand, so every field the trend reads is checked and every bad one named.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, type ValidationIssue } from '../../core/errors';
import { isPlainObject, rules, validateOptions } from '../../core/validation';
import { experimentScore, resilienceScore, type AnyJournal, type ExperimentJournal, type Verdict } from './journal';
import { trendHtml } from './trend-html';
import { trendMarkdown } from './trend-markdown';

/**
 * A bounded, exportable history of game-day journals, oldest first.
 *
 * @example
 * ```ts
 * const history: GameDayHistory = gameDayHistory({ limit: 104 });
 * history.add(await runSuite(gameDay));
 * writeFileSync('reports/history.json', JSON.stringify(history));
 * ```
 */
export interface GameDayHistory {
  /** Most journals kept; the oldest go first. */
  readonly limit: number;
  /** The journals kept, oldest first. */
  readonly journals: readonly AnyJournal[];
  /** Appends a journal (dropping the oldest past `limit`). */
  add(journal: AnyJournal): void;
  /** The history as plain JSON data (`JSON.stringify(history)` uses it). */
  toJSON(): GameDayHistoryData;
}

/**
 * A history as stored (`history.json`).
 *
 * @example
 * ```ts
 * const data: GameDayHistoryData = history.toJSON(); // { kind: 'game-day-history', version: 1, limit, journals }
 * ```
 */
export interface GameDayHistoryData {
  /** Discriminates the file. */
  readonly kind: 'game-day-history';
  /** Format version. */
  readonly version: 1;
  /** Most journals kept. */
  readonly limit: number;
  /** The journals, oldest first. */
  readonly journals: readonly AnyJournal[];
}

/**
 * Options of {@link gameDayHistory}.
 *
 * @example
 * ```ts
 * gameDayHistory({ limit: 12, journals: previous.journals });
 * ```
 */
export interface GameDayHistoryOptions {
  /** Most journals kept. @defaultValue 52 (a year of weekly game days) */
  readonly limit?: number | undefined;
  /** Journals to start with, oldest first (only the latest `limit` are kept). @defaultValue none */
  readonly journals?: readonly AnyJournal[] | undefined;
}

/**
 * One experiment of one run, as the trend sees it.
 *
 * @example
 * ```ts
 * const flaky = trendOf(journals).runs.flatMap((r) => r.experiments).filter((e) => e.verdict === 'fail');
 * ```
 */
export interface TrendExperiment {
  /** The experiment's name. */
  readonly name: string;
  /** Its verdict. */
  readonly verdict: Verdict;
  /** Its score (0–100), `null` when excluded (skipped, aborted). */
  readonly score: number | null;
  /** Its MTTR (ms), `null` when it did not recover or faults never went off. */
  readonly mttr: number | null;
  /** Availability of the calls completed while its faults were on; `null` without calls (a cluster experiment has none). */
  readonly availability: number | null;
}

/**
 * One run (one journal) of the history.
 *
 * @example
 * ```ts
 * const latest = trendOf(history.journals).runs.at(-1);
 * console.log(latest?.score, latest?.mttr, latest?.availabilityUnderFault);
 * ```
 */
export interface TrendRun {
  /** Position in the history (1 = oldest given). */
  readonly index: number;
  /** The suite's (or the single experiment's) name. */
  readonly name: string;
  /** When it started (ISO 8601), `null` when the journal has no wall-clock time. */
  readonly startedAt: string | null;
  /** The resilience score (0–100, one decimal) computed from the experiments' verdicts and weights; `null` when none was scored. */
  readonly score: number | null;
  /** Mean MTTR (ms) over the experiments that recovered; `null` when none did. */
  readonly mttr: number | null;
  /** Longest MTTR (ms) of the run; `null` when none recovered. */
  readonly worstMttr: number | null;
  /** Successful share of every call completed while faults were on, all experiments pooled; `null` without such calls. */
  readonly availabilityUnderFault: number | null;
  /** Calls completed while faults were on, all experiments. */
  readonly callsUnderFault: number;
  /** Experiments whose faults went off and whose steady state never came back. */
  readonly unrecovered: number;
  /** Experiments per verdict. */
  readonly verdicts: Readonly<Record<Verdict, number>>;
  /** Each experiment of the run, in order. */
  readonly experiments: readonly TrendExperiment[];
}

/**
 * The trend of a history.
 *
 * @example
 * ```ts
 * const { runs, experimentNames, scoreChange } = trendOf(history.journals);
 * ```
 */
export interface Trend {
  /** Every run, oldest first (as given). */
  readonly runs: readonly TrendRun[];
  /** Every experiment name met, in first-seen order. */
  readonly experimentNames: readonly string[];
  /** Latest run's score minus the score of the run with a score before it; `null` when fewer than two runs have one. */
  readonly scoreChange: number | null;
}

/**
 * Options of {@link renderTrend}.
 *
 * @example
 * ```ts
 * renderTrend(history.journals, { title: 'Shop and login: game days', maxRuns: 26 });
 * ```
 */
export interface TrendOptions {
  /** Title of the report. @defaultValue `'Game days: resilience over time'` */
  readonly title?: string | undefined;
  /** Only the latest this many runs are drawn and listed (the trend itself covers all). @defaultValue 100 */
  readonly maxRuns?: number | undefined;
}

/**
 * What {@link renderTrend} returns.
 *
 * @example
 * ```ts
 * const report: TrendReport = renderTrend(history.journals);
 * writeFileSync('reports/trend.html', report.html);
 * ```
 */
export interface TrendReport {
  /** One self-contained HTML page: inline CSS and SVG, no script, no external URL. */
  readonly html: string;
  /** The same as Markdown (tables and a sparkline of the score). */
  readonly markdown: string;
  /** The numbers drawn. */
  readonly trend: Trend;
}

const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'halted', 'aborted', 'skipped'];
const MAX_ISSUES = 50;

const isNum = (v: unknown, min = 0, max = Number.POSITIVE_INFINITY): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const isNumOrNull = (v: unknown, min = 0, max = Number.POSITIVE_INFINITY): boolean => v === null || isNum(v, min, max);
const isTimeOrNull = (v: unknown): boolean => v === null || (typeof v === 'string' && v.length <= 64 && Number.isFinite(Date.parse(v)));

function push(issues: ValidationIssue[], path: string, value: unknown, expected: string): void {
  if (issues.length < MAX_ISSUES) issues.push({ path, value, expected });
}

/** @internal Checks the fields of an experiment journal the trend reads. */
function checkExperiment(j: unknown, path: string, issues: ValidationIssue[]): boolean {
  const before = issues.length;
  if (!isPlainObject(j) || j['kind'] !== 'experiment') {
    push(issues, path, j, 'an experiment journal (kind "experiment")');
    return false;
  }
  if (typeof j['experiment'] !== 'string') push(issues, `${path}.experiment`, j['experiment'], 'a string');
  if (!VERDICTS.includes(j['verdict'] as Verdict)) push(issues, `${path}.verdict`, j['verdict'], `one of ${VERDICTS.join(', ')}`);
  if (!isNumOrNull(j['mttr'])) push(issues, `${path}.mttr`, j['mttr'], 'a duration in ms ≥ 0 or null');
  if (!isNumOrNull(j['faultsOffAt'])) push(issues, `${path}.faultsOffAt`, j['faultsOffAt'], 'a time in ms ≥ 0 or null');
  if (!isNumOrNull(j['heldDuringInjection'], 0, 1)) push(issues, `${path}.heldDuringInjection`, j['heldDuringInjection'], 'a share 0–1 or null');
  if (!isNumOrNull(j['heldDuringRecovery'], 0, 1)) push(issues, `${path}.heldDuringRecovery`, j['heldDuringRecovery'], 'a share 0–1 or null');
  if (!isTimeOrNull(j['startedAt'])) push(issues, `${path}.startedAt`, j['startedAt'], 'an ISO 8601 time or null');
  const uf = isPlainObject(j['summary']) ? j['summary']['underFault'] : undefined;
  if (!isPlainObject(uf) || !Number.isInteger(uf['calls']) || !isNum(uf['calls']) || !Number.isInteger(uf['failures']) || !isNum(uf['failures'], 0, uf['calls'] as number)) {
    push(issues, `${path}.summary.underFault`, uf, 'an object with integer calls ≥ 0 and failures between 0 and calls');
  }
  return issues.length === before;
}

/** @internal Checks one journal of a history (either kind); returns whether it is readable. */
export function checkTrendJournal(j: unknown, path: string, issues: ValidationIssue[]): boolean {
  if (isPlainObject(j) && j['kind'] === 'suite') {
    const before = issues.length;
    if (typeof j['name'] !== 'string') push(issues, `${path}.name`, j['name'], 'a string');
    if (!isTimeOrNull(j['startedAt'])) push(issues, `${path}.startedAt`, j['startedAt'], 'an ISO 8601 time or null');
    const list = j['experiments'];
    if (!Array.isArray(list) || list.length > 10_000) push(issues, `${path}.experiments`, list, 'an array of at most 10 000 entries');
    else {
      list.forEach((e: unknown, i) => {
        const p = `${path}.experiments[${i}]`;
        if (!isPlainObject(e)) return push(issues, p, e, 'an object { weight, score, journal }');
        if (!isNum(e['weight'])) push(issues, `${p}.weight`, e['weight'], 'a finite number ≥ 0');
        checkExperiment(e['journal'], `${p}.journal`, issues);
      });
    }
    return issues.length === before;
  }
  return checkExperiment(j, path, issues);
}

/** @internal Validates a list of journals for the trend (one `OptionsValidationError` naming every bad field). */
export function validateJournals(subject: string, journals: unknown): readonly AnyJournal[] {
  const issues: ValidationIssue[] = [];
  if (!Array.isArray(journals)) throw new OptionsValidationError(subject, [{ path: 'journals', value: journals, expected: 'an array of journals' }]);
  journals.forEach((j: unknown, i) => checkTrendJournal(j, `journals[${i}]`, issues));
  if (issues.length > 0) throw new OptionsValidationError(subject, issues);
  return journals as readonly AnyJournal[];
}

function experimentOf(j: ExperimentJournal): TrendExperiment {
  const uf = j.summary.underFault;
  const score = experimentScore(j);
  return {
    name: j.experiment,
    verdict: j.verdict,
    score: score === null ? null : Math.round(score * 10) / 10,
    mttr: j.mttr,
    availability: uf.calls > 0 ? (uf.calls - uf.failures) / uf.calls : null,
  };
}

/** @internal The numbers of one run. */
export function trendRun(journal: AnyJournal, index: number): TrendRun {
  const entries = journal.kind === 'suite' ? journal.experiments.map((e) => ({ weight: e.weight, journal: e.journal })) : [{ weight: 1, journal }];
  const experiments = entries.map((e) => experimentOf(e.journal));
  const verdicts: Record<Verdict, number> = { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 };
  let calls = 0;
  let ok = 0;
  let unrecovered = 0;
  const mttrs: number[] = [];
  for (const { journal: j } of entries) {
    verdicts[j.verdict]++;
    calls += j.summary.underFault.calls;
    ok += j.summary.underFault.calls - j.summary.underFault.failures;
    if (j.mttr !== null) mttrs.push(j.mttr);
    else if (j.faultsOffAt !== null) unrecovered++;
  }
  const mean = mttrs.length === 0 ? null : Math.round((mttrs.reduce((a, b) => a + b, 0) / mttrs.length) * 10) / 10;
  return {
    index,
    name: journal.kind === 'suite' ? journal.name : journal.experiment,
    startedAt: journal.startedAt,
    score: resilienceScore(entries.map((e) => ({ weight: e.weight, score: experimentScore(e.journal) }))),
    mttr: mean,
    worstMttr: mttrs.length === 0 ? null : Math.max(...mttrs),
    availabilityUnderFault: calls === 0 ? null : ok / calls,
    callsUnderFault: calls,
    unrecovered,
    verdicts,
    experiments,
  };
}

/**
 * The trend of a history of journals (oldest first): per run, the resilience score
 * (computed again from each experiment's verdict and weight, as `runSuite` does), the
 * mean and worst MTTR of the experiments that recovered, and the availability of every
 * call completed while faults were on (pooled over the run's experiments). Throws an
 * `OptionsValidationError` naming every field of the journals it cannot read.
 *
 * @example
 * ```ts
 * const { runs, scoreChange } = trendOf(history.journals);
 * if (scoreChange !== null && scoreChange < -10) alertTeam(`resilience score fell by ${-scoreChange}`);
 * ```
 */
export function trendOf(journals: readonly AnyJournal[]): Trend {
  return computeTrend(validateJournals('trendOf', journals));
}

function computeTrend(list: readonly AnyJournal[]): Trend {
  const runs = list.map((j, i) => trendRun(j, i + 1));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const e of r.experiments) {
      if (!seen.has(e.name)) {
        seen.add(e.name);
        names.push(e.name);
      }
    }
  }
  const scored = runs.filter((r) => r.score !== null);
  const last = scored[scored.length - 1];
  const previous = scored[scored.length - 2];
  const scoreChange = last !== undefined && previous !== undefined ? Math.round(((last.score as number) - (previous.score as number)) * 10) / 10 : null;
  return { runs, experimentNames: names, scoreChange };
}

const optionsSchema = {
  title: rules.string(),
  maxRuns: rules.integer(1, 100_000),
};

/**
 * Renders the trend of a history of journals (oldest first; suites or single experiments,
 * in-process or from Litmus): the resilience score, the MTTR and the availability under
 * fault run after run, as one self-contained HTML page (inline CSS and three inline SVG
 * charts, no script, no external URL) and as Markdown (a table per run with the change
 * of score, a sparkline, and each experiment's verdicts across runs). All text from the
 * journals is escaped. See {@link trendOf} for the numbers.
 *
 * @example
 * ```ts
 * const { html, markdown } = renderTrend(history.journals);
 * writeFileSync('reports/trend.html', html);
 * writeFileSync('reports/trend.md', markdown);
 * ```
 */
export function renderTrend(journals: readonly AnyJournal[], options: TrendOptions = {}): TrendReport {
  const o = validateOptions<TrendOptions>('renderTrend', options, optionsSchema);
  const trend = computeTrend(validateJournals('renderTrend', journals));
  const view = { trend, title: o.title ?? 'Game days: resilience over time', runs: trend.runs.slice(-(o.maxRuns ?? 100)) };
  return { html: trendHtml(view), markdown: trendMarkdown(view), trend };
}

/** @internal What the renderers draw. */
export interface TrendView {
  readonly trend: Trend;
  readonly title: string;
  /** The runs drawn (the latest `maxRuns`). */
  readonly runs: readonly TrendRun[];
}

const historyLimit = rules.integer(1, 100_000);

/**
 * A bounded history of game-day journals (oldest first; past `limit` the oldest go), as
 * {@link scheduleSuite} keeps it and the drill's `--history DIR` stores it.
 * `JSON.stringify(history)` gives the `history.json` data; {@link parseGameDayHistory}
 * reads it back.
 *
 * @example
 * ```ts
 * const history = gameDayHistory({ limit: 104 }); // two years of weekly game days
 * history.add(await runSuite(gameDay));
 * writeFileSync('reports/history.json', JSON.stringify(history));
 * ```
 */
export function gameDayHistory(options: GameDayHistoryOptions = {}): GameDayHistory {
  const o = validateOptions<GameDayHistoryOptions>('gameDayHistory', options, {
    limit: historyLimit,
    journals: { expected: 'an array of journals', check: (v) => Array.isArray(v) },
  });
  const limit = o.limit ?? 52;
  const list: AnyJournal[] = [...validateJournals('gameDayHistory', o.journals ?? [])].slice(-limit);
  return {
    limit,
    get journals(): readonly AnyJournal[] {
      return list.slice();
    },
    add(journal: AnyJournal): void {
      list.push(...validateJournals('history.add', [journal]));
      if (list.length > limit) list.splice(0, list.length - limit);
    },
    toJSON(): GameDayHistoryData {
      return { kind: 'game-day-history', version: 1, limit, journals: list.slice() };
    },
  };
}

/**
 * Reads a history back from its JSON text (as `JSON.stringify(history)` wrote it). The
 * text is untrusted: every journal is checked for the fields the trend reads, and one
 * `OptionsValidationError` names every bad one. `limit` overrides the stored limit.
 *
 * @example
 * ```ts
 * const history = existsSync(file) ? parseGameDayHistory(readFileSync(file, 'utf8')) : gameDayHistory();
 * ```
 */
export function parseGameDayHistory(text: string, options: { readonly limit?: number | undefined } = {}): GameDayHistory {
  const o = validateOptions<{ limit?: number }>('parseGameDayHistory', options, { limit: historyLimit });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new OptionsValidationError('game-day history', [{ path: '(json)', value: String(error), expected: 'valid JSON' }]);
  }
  if (!isPlainObject(data) || data['kind'] !== 'game-day-history' || data['version'] !== 1) {
    throw new OptionsValidationError('game-day history', [{ path: '(root)', value: data, expected: 'an object { kind: "game-day-history", version: 1, limit, journals }' }]);
  }
  const storedLimit = historyLimit.check(data['limit']) ? (data['limit'] as number) : undefined;
  return gameDayHistory({ limit: o.limit ?? storedLimit, journals: data['journals'] as AnyJournal[] });
}
