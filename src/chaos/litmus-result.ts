/**
 * The Litmus bridge, results side: a LitmusChaos `ChaosResult` (what `kubectl get
 * chaosresult -o json` prints) read into an experiment journal, so one report shows the
 * in-process experiments and the cluster ones side by side. The reading of the untrusted
 * text is in `litmus-read.ts`.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, formatValue } from '../core/errors';
import { collectIssues, isPlainObject, rules } from '../core/validation';
import { experimentScore, resilienceScore, type CheckRecord, type EvaluationRecord, type ExperimentJournal, type ExperimentPhase, type PhaseSummary, type SuiteEntry, type SuiteJournal, type Verdict } from './experiment/journal';
import { LitmusResultError, MAX_PROBES, MAX_TEXT, isLitmusResultError, parseText, readDetails, type LitmusProbeResult, type LitmusResultDetails, type LitmusResultOptions } from './litmus-read';

/**
 * A cluster experiment's journal: an {@link ExperimentJournal} with no in-process
 * measurements (no series, no calls), the probes as its checks, and what Litmus said.
 *
 * @example
 * ```ts
 * const cluster: LitmusJournal = fromLitmusResult(text);
 * if (cluster.source === 'litmus') console.log(cluster.litmus.engine, cluster.verdict);
 * ```
 */
export interface LitmusJournal extends ExperimentJournal {
  /** Where the journal comes from. */
  readonly source: 'litmus';
  /** The ChaosResult as read. */
  readonly litmus: LitmusResultDetails;
}

const optionsSchema = {
  parse: rules.func(),
  maxLength: rules.integer(1, 100 * MAX_TEXT),
};

const OUR_VERDICT: Readonly<Record<LitmusResultDetails['verdict'], Verdict>> = { Pass: 'pass', Fail: 'fail', Stopped: 'aborted', Error: 'aborted', Awaited: 'skipped' };

/** The phase of our timeline a probe mode belongs to. */
function phaseOf(mode: string): ExperimentPhase {
  const m = mode.toLowerCase();
  return m === 'sot' ? 'baseline' : m === 'eot' || m === 'edge' ? 'recovery' : 'inject';
}

const judged = (p: LitmusProbeResult): boolean | null => (/^passed$/i.test(p.verdict) ? true : /^failed$/i.test(p.verdict) ? false : null);

/** Share of the probes of `modes` that passed, among those judged; `fallback` when none was. */
function heldShare(probes: readonly LitmusProbeResult[], modes: readonly string[], fallback: number | null): number | null {
  let n = 0;
  let ok = 0;
  for (const p of probes) {
    const v = judged(p);
    if (v === null || !modes.includes(p.mode.toLowerCase())) continue;
    n++;
    if (v) ok++;
  }
  return n === 0 ? fallback : Math.round((ok / n) * 10_000) / 10_000;
}

function reasonOf(d: LitmusResultDetails): string {
  const pct = d.probeSuccessPercentage === null ? '' : `; probes passed: ${d.probeSuccessPercentage}%`;
  const failed = d.probes.filter((p) => judged(p) === false).map((p) => p.name);
  switch (d.verdict) {
    case 'Pass':
      return `Litmus verdict Pass (phase ${d.phase})${pct}`;
    case 'Fail':
      return `Litmus verdict Fail (phase ${d.phase})${d.failedStep === null ? '' : ` at step "${d.failedStep}"`}${d.errorCode === null ? '' : ` (error ${d.errorCode})`}${pct}${failed.length > 0 ? `; failed probes: ${failed.join(', ')}` : ''}`;
    case 'Awaited':
      return `not judged yet: Litmus verdict Awaited (phase ${d.phase}); read the ChaosResult again once its phase is Completed`;
    default:
      return `ended before a verdict: Litmus verdict ${d.verdict} (phase ${d.phase})${d.failedStep === null ? '' : ` at step "${d.failedStep}"`}${pct}`;
  }
}

const EMPTY: PhaseSummary = { calls: 0, failures: 0, availability: null, p50: null, p99: null, max: null };

function journalOf(d: LitmusResultDetails, startedAt: number | undefined): LitmusJournal {
  const end = d.updatedAt === null ? undefined : Date.parse(d.updatedAt);
  const duration = startedAt !== undefined && end !== undefined ? end - startedAt : 0;
  const fallback = d.verdict === 'Pass' || d.verdict === 'Fail' ? (d.probeSuccessPercentage === null ? null : d.probeSuccessPercentage / 100) : null;
  const checks: CheckRecord[] = d.probes.map((p) => ({ id: `probe:${p.name}`, operation: p.name, metric: 'availability', threshold: `${p.type || 'probe'} (${p.mode || 'mode unknown'})`, role: 'steady-state', hard: false }));
  const evaluations: EvaluationRecord[] = d.probes.map((p) => {
    const pass = judged(p);
    return { time: duration, phase: phaseOf(p.mode), window: 0, check: `probe:${p.name}`, threshold: `${p.type || 'probe'} (${p.mode || 'mode unknown'})`, value: pass === null ? null : pass ? 1 : 0, pass };
  });
  const names = d.probes.map((p) => p.name);
  return {
    kind: 'experiment',
    version: 1,
    source: 'litmus',
    experiment: `litmus: ${d.engine === null ? d.experiment : `${d.engine}/${d.experiment}`}`,
    hypothesis: `the steady state (${names.length === 0 ? 'no probe recorded' : `probes ${names.join(', ')}`}) holds while Litmus runs ${d.experiment}`,
    seed: null,
    startedAt: startedAt === undefined ? null : new Date(startedAt).toISOString(),
    schedule: { baseline: 0, ramp: 0, inject: duration, recovery: 0, evaluationInterval: duration, recoveryStreak: 1 },
    phases: [],
    faults: [d.experiment],
    checks,
    evaluations,
    series: [],
    injections: {},
    faultsOnAt: null,
    faultsOffAt: null,
    timeToDetect: null,
    detectedBy: null,
    mttr: null,
    circuitsClosedAfter: null,
    rollbacks: [],
    summary: { overall: EMPTY, underFault: EMPTY, phases: {}, started: 0, dropped: 0 },
    heldDuringInjection: heldShare(d.probes, ['continuous', 'onchaos'], fallback),
    heldDuringRecovery: heldShare(d.probes, ['continuous', 'eot', 'edge'], fallback),
    verdict: OUR_VERDICT[d.verdict],
    reason: reasonOf(d),
    duration,
    litmus: d,
  };
}

/**
 * Reads a LitmusChaos `ChaosResult` into an experiment journal, so the reports
 * (`renderMarkdown`, `renderHtml`, `renderTrend`) show it beside the in-process
 * experiments (see {@link addClusterResults}). The verdict maps as `Pass` → `pass`,
 * `Fail` → `fail`, `Stopped` and `Error` → `aborted`, `Awaited` (still running) →
 * `skipped`; the last two are excluded from the resilience score. Each probe becomes a
 * steady-state check with one evaluation (`Passed` holds, `Failed` breaks, `N/A` and
 * `Awaited` have no data) in the phase its mode runs in (SOT baseline, Continuous and
 * OnChaos inject, EOT and Edge recovery); the shares of passed probes give
 * `heldDuringInjection` and `heldDuringRecovery` (so the experiment's score), falling back
 * to Litmus's `probeSuccessPercentage`. `startedAt` is the result's `creationTimestamp`
 * and `duration` runs to its last update (`managedFields`), 0 when unknown. There are no
 * in-process measurements: no calls, series, MTTR or time to detect.
 *
 * Throws a {@link LitmusResultError} naming every problem of text that is not a readable
 * ChaosResult, and an `OptionsValidationError` for bad options.
 *
 * @example
 * ```ts
 * import { parse } from 'yaml'; // any YAML parser; JSON needs none
 * const text = execFileSync('kubectl', ['get', 'chaosresult', 'game-server-pod-delete-pod-delete', '-n', 'game', '-o', 'json'], { encoding: 'utf8' });
 * const cluster = fromLitmusResult(text, { parse });
 * console.log(cluster.verdict, cluster.litmus.probeSuccessPercentage);
 * ```
 */
export function fromLitmusResult(text: string | Readonly<Record<string, unknown>>, options: LitmusResultOptions = {}): LitmusJournal {
  const o = checkOptions(options);
  const value = typeof text === 'string' ? parseText(text, o) : text;
  const { details, startedAt } = readDetails(value);
  return journalOf(details, startedAt);
}

/**
 * Reads every ChaosResult of a list (`kubectl get chaosresults -o json` prints a `List`
 * with `items`) or a single one; see {@link fromLitmusResult}. A bad item throws a
 * {@link LitmusResultError} whose paths start with `items[i].`.
 *
 * @example
 * ```ts
 * const cluster = fromLitmusResults(execFileSync('kubectl', ['get', 'chaosresults', '-n', 'game', '-o', 'json'], { encoding: 'utf8' }));
 * ```
 */
export function fromLitmusResults(text: string | Readonly<Record<string, unknown>>, options: LitmusResultOptions = {}): LitmusJournal[] {
  const o = checkOptions(options);
  const value = typeof text === 'string' ? parseText(text, o) : text;
  const items = isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, 'items') ? value['items'] : undefined;
  if (items === undefined) return [fromLitmusResult(value as Record<string, unknown>, options)];
  if (!Array.isArray(items)) throw new LitmusResultError([{ path: 'items', problem: `expected an array, got ${formatValue(items)}` }]);
  if (items.length > MAX_PROBES) throw new LitmusResultError([{ path: 'items', problem: `more than ${MAX_PROBES} results (${items.length})` }]);
  return items.map((item: unknown, i) => {
    try {
      const { details, startedAt } = readDetails(item);
      return journalOf(details, startedAt);
    } catch (error) {
      if (!isLitmusResultError(error)) throw error;
      throw new LitmusResultError(error.problems.map((p) => ({ path: `items[${i}].${p.path}`, problem: p.problem })));
    }
  });
}

function checkOptions(options: LitmusResultOptions): LitmusResultOptions {
  const issues: { path: string; value: unknown; expected: string }[] = [];
  collectIssues(options, optionsSchema, '', issues);
  if (issues.length > 0) throw new OptionsValidationError('fromLitmusResult', issues);
  return options ?? {};
}

/**
 * A suite journal with cluster experiments added (e.g. {@link fromLitmusResult}'s), so one
 * report shows both levels: the entries are appended with `weight`, and every entry's
 * score, the verdict counts and the resilience score are computed again.
 *
 * @example
 * ```ts
 * const suite = await runSuite(gameDay);
 * const both = addClusterResults(suite, fromLitmusResults(kubectlOutput), { weight: 2 });
 * writeFileSync('reports/chaos-report.html', renderHtml(both));
 * ```
 */
export function addClusterResults(suite: SuiteJournal, journals: readonly ExperimentJournal[], options: { readonly weight?: number | undefined } = {}): SuiteJournal {
  const issues: { path: string; value: unknown; expected: string }[] = [];
  collectIssues(options, { weight: rules.number(0) }, '', issues);
  if (!isPlainObject(suite) || suite.kind !== 'suite') issues.push({ path: 'suite', value: suite, expected: 'a suite journal' });
  if (!Array.isArray(journals) || !journals.every((j) => isPlainObject(j) && j.kind === 'experiment')) issues.push({ path: 'journals', value: journals, expected: 'an array of experiment journals' });
  if (issues.length > 0) throw new OptionsValidationError('addClusterResults', issues);
  const weight = options.weight ?? 1;
  const experiments: SuiteEntry[] = [...suite.experiments, ...journals.map((journal) => ({ weight, journal }))].map((e) => ({ weight: e.weight, score: experimentScore(e.journal), journal: e.journal }));
  const verdicts: Record<Verdict, number> = { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 };
  for (const e of experiments) verdicts[e.journal.verdict]++;
  return { ...suite, experiments, verdicts, score: resilienceScore(experiments) };
}
