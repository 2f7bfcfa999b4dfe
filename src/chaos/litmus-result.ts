/**
 * The Litmus bridge, results side: a LitmusChaos `ChaosResult` (what `kubectl get
 * chaosresult -o json` prints) read into an experiment journal, so one report shows the
 * in-process experiments and the cluster ones side by side. The input is untrusted: it is
 * size-capped, read field by field (no key of it is ever assigned onto an object of ours),
 * and every problem found is named in one {@link LitmusResultError}. JSON is read with
 * `JSON.parse`; YAML through the parser the caller passes (breakwater has no dependency).
 *
 * @packageDocumentation
 */
import { ResilienceError, formatValue, isResilienceError } from '../core/errors';
import { OptionsValidationError } from '../core/errors';
import { collectIssues, isPlainObject, rules } from '../core/validation';
import { experimentScore, resilienceScore, type CheckRecord, type EvaluationRecord, type ExperimentJournal, type ExperimentPhase, type PhaseSummary, type SuiteEntry, type SuiteJournal, type Verdict } from './experiment/journal';

/** One probe of a Litmus run, as its `ChaosResult` reports it. */
export interface LitmusProbeResult {
  /** The probe's name. */
  readonly name: string;
  /** `httpProbe`, `promProbe`, `cmdProbe`, `k8sProbe`… */
  readonly type: string;
  /** `SOT`, `EOT`, `Edge`, `Continuous` or `OnChaos`. */
  readonly mode: string;
  /** Litmus's verdict of the probe: `Passed`, `Failed`, `N/A` or `Awaited`. */
  readonly verdict: string;
  /** Litmus's description of the outcome (truncated to 1 000 characters). */
  readonly description: string;
}

/** What a `ChaosResult` said, as read (kept on the journal as `litmus`). */
export interface LitmusResultDetails {
  /** `metadata.name` of the ChaosResult. */
  readonly name: string;
  /** `metadata.namespace`, `null` when absent. */
  readonly namespace: string | null;
  /** The ChaosEngine that ran it (`spec.engine`), `null` when absent. */
  readonly engine: string | null;
  /** The Litmus experiment (`spec.experiment`), e.g. `pod-delete`. */
  readonly experiment: string;
  /** `status.experimentStatus.phase`: `Running`, `Completed`, `Stopped`… */
  readonly phase: string;
  /** Litmus's verdict: `Pass`, `Fail`, `Stopped`, `Awaited` (not judged yet) or `Error`. */
  readonly verdict: 'Pass' | 'Fail' | 'Stopped' | 'Awaited' | 'Error';
  /** Share of probes that passed, in percent; `null` when Litmus had none yet. */
  readonly probeSuccessPercentage: number | null;
  /** The step that failed (`failureOutput.failedStep`, or `failStep` of older results); `null` when none. */
  readonly failedStep: string | null;
  /** Litmus's error code of a failure; `null` when none. */
  readonly errorCode: string | null;
  /** Every probe. */
  readonly probes: readonly LitmusProbeResult[];
  /** Runs of this ChaosResult so far (`status.history`), `null` when absent. */
  readonly history: { readonly passedRuns: number; readonly failedRuns: number; readonly stoppedRuns: number } | null;
  /** The targets Litmus lists (`status.history.targets`). */
  readonly targets: readonly { readonly name: string; readonly kind: string; readonly chaosStatus: string }[];
  /** The last update of the result (the latest `metadata.managedFields[].time`), ISO 8601; `null` when absent. */
  readonly updatedAt: string | null;
}

/**
 * A cluster experiment's journal: an {@link ExperimentJournal} with no in-process
 * measurements (no series, no calls), the probes as its checks, and what Litmus said.
 */
export interface LitmusJournal extends ExperimentJournal {
  /** Where the journal comes from. */
  readonly source: 'litmus';
  /** The ChaosResult as read. */
  readonly litmus: LitmusResultDetails;
}

/** Options of {@link fromLitmusResult}. */
export interface LitmusResultOptions {
  /**
   * Parses the text when it is not JSON (YAML, as `kubectl get chaosresult -o yaml`
   * prints): pass e.g. the `yaml` package's `parse`. Used only when the text does not
   * start with `{`. @defaultValue none (JSON only)
   */
  readonly parse?: ((text: string) => unknown) | undefined;
  /** Longest text accepted (characters). @defaultValue 1_048_576 */
  readonly maxLength?: number | undefined;
}

/** One problem of a ChaosResult: where, and what is wrong. */
export interface LitmusResultProblem {
  /** Path of the field, e.g. `status.experimentStatus.verdict`. */
  readonly path: string;
  /** What is wrong with it. */
  readonly problem: string;
}

/**
 * Thrown by {@link fromLitmusResult} for text that is not a readable ChaosResult; names
 * every problem found.
 */
export class LitmusResultError extends ResilienceError {
  /** Every problem found. */
  readonly problems: readonly LitmusResultProblem[];

  constructor(problems: readonly LitmusResultProblem[]) {
    super(`Not a readable Litmus ChaosResult: ${problems.map((p) => `${p.path}: ${p.problem}`).join('; ')}`);
    this.name = 'LitmusResultError';
    this.problems = problems;
  }
}

/** True for {@link LitmusResultError} (works across two copies of the package). */
export function isLitmusResultError(error: unknown): error is LitmusResultError {
  return isResilienceError(error) && error.name === 'LitmusResultError';
}

const MAX_TEXT = 1_048_576;
const MAX_PROBES = 1_000;
const MAX_STRING = 1_000;
const VERDICTS: Readonly<Record<string, LitmusResultDetails['verdict']>> = { pass: 'Pass', fail: 'Fail', stopped: 'Stopped', awaited: 'Awaited', error: 'Error' };

const optionsSchema = {
  parse: rules.func(),
  maxLength: rules.integer(1, 100 * MAX_TEXT),
};

/** Field-by-field reading of untrusted data, collecting problems. */
class Reader {
  readonly problems: LitmusResultProblem[] = [];

  problem(path: string, problem: string): void {
    if (this.problems.length < 50) this.problems.push({ path, problem });
  }

  /** An own property of a plain object (never an inherited one). */
  field(obj: unknown, key: string): unknown {
    return isPlainObject(obj) && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  }

  object(obj: unknown, key: string, path: string, required: boolean): Record<string, unknown> | undefined {
    const v = this.field(obj, key);
    if (v === undefined || v === null) {
      if (required) this.problem(path, 'missing (expected an object)');
      return undefined;
    }
    if (!isPlainObject(v)) {
      this.problem(path, `expected an object, got ${formatValue(v)}`);
      return undefined;
    }
    return v;
  }

  string(obj: unknown, key: string, path: string, required: boolean): string | undefined {
    const v = this.field(obj, key);
    if (v === undefined || v === null || v === '') {
      if (required) this.problem(path, 'missing (expected a non-empty string)');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.problem(path, `expected a string, got ${formatValue(v)}`);
      return undefined;
    }
    return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING - 1)}…` : v;
  }

  count(obj: unknown, key: string, path: string): number {
    const v = this.field(obj, key);
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      this.problem(path, `expected an integer ≥ 0, got ${formatValue(v)}`);
      return 0;
    }
    return v;
  }

  time(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    const t = typeof value === 'string' && value.length <= 64 ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(t)) {
      this.problem(path, `expected an RFC 3339 time, got ${formatValue(value)}`);
      return undefined;
    }
    return t;
  }
}

function parseText(text: string, o: LitmusResultOptions): unknown {
  const max = o.maxLength ?? MAX_TEXT;
  if (text.length > max) throw new LitmusResultError([{ path: '(text)', problem: `longer than maxLength (${text.length} > ${max} characters)` }]);
  const json = text.trimStart().startsWith('{');
  if (!json && o.parse === undefined) {
    throw new LitmusResultError([{ path: '(text)', problem: 'not JSON; to read YAML pass a parser: fromLitmusResult(text, { parse }) (e.g. the yaml package’s parse)' }]);
  }
  try {
    return json ? JSON.parse(text) : (o.parse as (t: string) => unknown)(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new LitmusResultError([{ path: '(text)', problem: `could not be parsed as ${json ? 'JSON' : 'YAML'}: ${message.slice(0, 200)}` }]);
  }
}

/** A probe verdict out of a `status` of the current shape (`{ verdict }`) or an older one (`{ PreChaos: 'Passed 👍', … }`). */
function probeVerdict(r: Reader, status: unknown, path: string): string {
  const v = r.field(status, 'verdict');
  if (typeof v === 'string' && v !== '') return v.slice(0, 32);
  if (!isPlainObject(status)) return 'N/A';
  const words = Object.values(status).filter((x): x is string => typeof x === 'string');
  if (words.some((w) => /^failed/i.test(w))) return 'Failed';
  if (words.length > 0 && words.every((w) => /^passed/i.test(w))) return 'Passed';
  if (v !== undefined) r.problem(`${path}.verdict`, `expected a string, got ${formatValue(v)}`);
  return 'N/A';
}

function readProbes(r: Reader, status: Record<string, unknown> | undefined): LitmusProbeResult[] {
  const list = r.field(status, 'probeStatuses') ?? r.field(status, 'probeStatus');
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    r.problem('status.probeStatuses', `expected an array, got ${formatValue(list)}`);
    return [];
  }
  if (list.length > MAX_PROBES) {
    r.problem('status.probeStatuses', `more than ${MAX_PROBES} probes (${list.length})`);
    return [];
  }
  return list.map((p: unknown, i) => {
    const path = `status.probeStatuses[${i}]`;
    if (!isPlainObject(p)) {
      r.problem(path, `expected an object, got ${formatValue(p)}`);
      return { name: `probe #${i + 1}`, type: '', mode: '', verdict: 'N/A', description: '' };
    }
    const st = r.field(p, 'status');
    return {
      name: r.string(p, 'name', `${path}.name`, false) ?? `probe #${i + 1}`,
      type: r.string(p, 'type', `${path}.type`, false) ?? '',
      mode: r.string(p, 'mode', `${path}.mode`, false) ?? '',
      verdict: probeVerdict(r, st, `${path}.status`),
      description: r.string(st, 'description', `${path}.status.description`, false) ?? '',
    };
  });
}

function percentage(r: Reader, v: unknown): number | null {
  if (v === undefined || v === null || v === '' || (typeof v === 'string' && /^(awaited|n\/a)$/i.test(v))) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(v) ? Number.parseFloat(v) : Number.NaN;
  if (!(n >= 0 && n <= 100)) {
    r.problem('status.experimentStatus.probeSuccessPercentage', `expected a percentage 0–100, got ${formatValue(v)}`);
    return null;
  }
  return n;
}

/** The details, or the problems thrown. */
function readDetails(value: unknown): { details: LitmusResultDetails; startedAt: number | undefined } {
  const r = new Reader();
  if (!isPlainObject(value)) throw new LitmusResultError([{ path: '(root)', problem: `expected an object, got ${formatValue(value)}` }]);
  const kind = r.field(value, 'kind');
  if (kind !== 'ChaosResult') r.problem('kind', `expected "ChaosResult", got ${formatValue(kind)}`);
  const api = r.field(value, 'apiVersion');
  if (api !== undefined && !(typeof api === 'string' && api.startsWith('litmuschaos.io/'))) r.problem('apiVersion', `expected litmuschaos.io/…, got ${formatValue(api)}`);
  const meta = r.object(value, 'metadata', 'metadata', true);
  const spec = r.object(value, 'spec', 'spec', false);
  const status = r.object(value, 'status', 'status', true);
  const es = r.object(status, 'experimentStatus', 'status.experimentStatus', false) ?? r.object(status, 'experimentstatus', 'status.experimentstatus', false);
  if (status !== undefined && es === undefined) r.problem('status.experimentStatus', 'missing (expected an object)');
  const name = r.string(meta, 'name', 'metadata.name', meta !== undefined) ?? '';
  const rawVerdict = r.string(es, 'verdict', 'status.experimentStatus.verdict', es !== undefined);
  const verdict = rawVerdict === undefined ? undefined : VERDICTS[rawVerdict.toLowerCase()];
  if (rawVerdict !== undefined && verdict === undefined) r.problem('status.experimentStatus.verdict', `expected Pass, Fail, Stopped, Awaited or Error, got ${formatValue(rawVerdict)}`);
  const failure = r.object(es, 'failureOutput', 'status.experimentStatus.failureOutput', false);
  const startedAt = r.time(r.field(meta, 'creationTimestamp'), 'metadata.creationTimestamp');
  let updated: number | undefined;
  const managed = r.field(meta, 'managedFields');
  if (Array.isArray(managed)) {
    managed.slice(0, 100).forEach((m: unknown, i) => {
      const t = r.time(r.field(m, 'time'), `metadata.managedFields[${i}].time`);
      if (t !== undefined && (updated === undefined || t > updated)) updated = t;
    });
  }
  const hist = r.object(status, 'history', 'status.history', false);
  const targets = r.field(hist, 'targets');
  const details: LitmusResultDetails = {
    name,
    namespace: r.string(meta, 'namespace', 'metadata.namespace', false) ?? null,
    engine: r.string(spec, 'engine', 'spec.engine', false) ?? null,
    experiment: r.string(spec, 'experiment', 'spec.experiment', false) ?? name,
    phase: r.string(es, 'phase', 'status.experimentStatus.phase', false) ?? 'unknown',
    verdict: verdict ?? 'Awaited',
    probeSuccessPercentage: percentage(r, r.field(es, 'probeSuccessPercentage')),
    failedStep: r.string(failure, 'failedStep', 'status.experimentStatus.failureOutput.failedStep', false) ?? r.string(es, 'failStep', 'status.experimentStatus.failStep', false) ?? null,
    errorCode: r.string(failure, 'errorCode', 'status.experimentStatus.failureOutput.errorCode', false) ?? null,
    probes: readProbes(r, status),
    history:
      hist === undefined
        ? null
        : { passedRuns: r.count(hist, 'passedRuns', 'status.history.passedRuns'), failedRuns: r.count(hist, 'failedRuns', 'status.history.failedRuns'), stoppedRuns: r.count(hist, 'stoppedRuns', 'status.history.stoppedRuns') },
    targets: Array.isArray(targets)
      ? targets.slice(0, MAX_PROBES).map((t: unknown, i) => ({
          name: r.string(t, 'name', `status.history.targets[${i}].name`, false) ?? '',
          kind: r.string(t, 'kind', `status.history.targets[${i}].kind`, false) ?? '',
          chaosStatus: r.string(t, 'chaosStatus', `status.history.targets[${i}].chaosStatus`, false) ?? '',
        }))
      : [],
    updatedAt: updated === undefined || (startedAt !== undefined && updated < startedAt) ? null : new Date(updated).toISOString(),
  };
  if (r.problems.length > 0) throw new LitmusResultError(r.problems);
  return { details, startedAt };
}

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
