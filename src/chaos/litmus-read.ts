/**
 * Reading a LitmusChaos `ChaosResult` as untrusted data: the text is size-capped and
 * parsed (JSON, or YAML through the caller's parser), then read field by field (own
 * properties only: no key of it is ever assigned onto an object of ours), and every
 * problem found is named in one {@link LitmusResultError}. `litmus-result.ts` turns what
 * is read into an experiment journal.
 *
 * @packageDocumentation
 */
import { ResilienceError, formatValue, isResilienceError } from '../core/errors';
import { isPlainObject } from '../core/validation';

/**
 * One probe of a Litmus run, as its `ChaosResult` reports it.
 *
 * @example
 * ```ts
 * const failed = journal.litmus.probes.filter((p) => p.verdict === 'Failed').map((p) => p.name);
 * ```
 */
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

/**
 * How often a ChaosResult's experiment has run (`status.history`).
 *
 * @example
 * ```ts
 * const h: LitmusRunHistory = { passedRuns: 3, failedRuns: 1, stoppedRuns: 0 };
 * ```
 */
export interface LitmusRunHistory {
  /** Runs that passed. */
  readonly passedRuns: number;
  /** Runs that failed. */
  readonly failedRuns: number;
  /** Runs that were stopped. */
  readonly stoppedRuns: number;
}

/**
 * One target of a ChaosResult (`status.history.targets[]`).
 *
 * @example
 * ```ts
 * const t: LitmusTarget = { name: 'checkout', kind: 'deployment', chaosStatus: 'targeted' };
 * ```
 */
export interface LitmusTarget {
  /** The target's name. */
  readonly name: string;
  /** The target's kind (`deployment`, `statefulset`…). */
  readonly kind: string;
  /** Litmus's status for the target (`targeted`…). */
  readonly chaosStatus: string;
}

/**
 * What a `ChaosResult` said, as read (kept on the journal as `litmus`).
 *
 * @example
 * ```ts
 * const { verdict, probeSuccessPercentage, failedStep } = fromLitmusResult(text).litmus;
 * ```
 */
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
  readonly history: LitmusRunHistory | null;
  /** The targets Litmus lists (`status.history.targets`). */
  readonly targets: readonly LitmusTarget[];
  /** The last update of the result (the latest `metadata.managedFields[].time`), ISO 8601; `null` when absent. */
  readonly updatedAt: string | null;
}

/**
 * Options of {@link fromLitmusResult}.
 *
 * @example
 * ```ts
 * fromLitmusResult(yamlText, { parse: YAML.parse, maxLength: 256 * 1024 });
 * ```
 */
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

/**
 * One problem of a ChaosResult: where, and what is wrong.
 *
 * @example
 * ```ts
 * for (const p of error.problems) console.warn(`${p.path}: ${p.problem}`);
 * ```
 */
export interface LitmusResultProblem {
  /** Path of the field, e.g. `status.experimentStatus.verdict`. */
  readonly path: string;
  /** What is wrong with it. */
  readonly problem: string;
}

/**
 * Thrown by {@link fromLitmusResult} for text that is not a readable ChaosResult; names
 * every problem found.
 *
 * @example
 * ```ts
 * try {
 *   fromLitmusResult(text);
 * } catch (error) {
 *   if (isLitmusResultError(error)) console.warn(error.problems);
 * }
 * ```
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

/**
 * True for {@link LitmusResultError} (works across two copies of the package).
 *
 * @example
 * ```ts
 * if (isLitmusResultError(error)) log.warn({ problems: error.problems }, 'unreadable ChaosResult');
 * ```
 */
export function isLitmusResultError(error: unknown): error is LitmusResultError {
  return isResilienceError(error) && error.name === 'LitmusResultError';
}

/** @internal Longest text read by default. */
export const MAX_TEXT = 1_048_576;
/** @internal Most probes (and results of a list) read. */
export const MAX_PROBES = 1_000;
const MAX_STRING = 1_000;
const VERDICTS: Readonly<Record<string, LitmusResultDetails['verdict']>> = { pass: 'Pass', fail: 'Fail', stopped: 'Stopped', awaited: 'Awaited', error: 'Error' };

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
    const t = typeof value === 'string' && value.length <= 64 ? Date.parse(value) : undefined;
    if (t === undefined || !Number.isFinite(t)) {
      this.problem(path, `expected an RFC 3339 time, got ${formatValue(value)}`);
      return undefined;
    }
    return t;
  }
}

/** @internal The parsed text, or a LitmusResultError. */
export function parseText(text: string, o: LitmusResultOptions): unknown {
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
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(v) ? Number.parseFloat(v) : undefined;
  if (n === undefined || !(n >= 0 && n <= 100)) {
    r.problem('status.experimentStatus.probeSuccessPercentage', `expected a percentage 0–100, got ${formatValue(v)}`);
    return null;
  }
  return n;
}

/** @internal What a ChaosResult says, and its creation time (epoch ms); throws a LitmusResultError naming every problem. */
export function readDetails(value: unknown): { details: LitmusResultDetails; startedAt: number | undefined } {
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
