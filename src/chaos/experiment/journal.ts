/**
 * The experiment journal (plain JSON: what happened, when, and the verdict) and the
 * resilience score of a suite.
 *
 * Every time in a journal is in milliseconds since the experiment started, on the
 * experiment's clock, so a run on a `VirtualClock` with the same seed gives the same
 * journal, byte for byte.
 *
 * @packageDocumentation
 */
import type { BlastRadius } from './blast-radius';
import type { SloRecord } from './slo';
import type { ThresholdMetric } from './thresholds';

/** How an experiment ended. See the docs page for the exact rules. */
export type Verdict = 'pass' | 'fail' | 'halted' | 'aborted' | 'skipped';

/** The phases of an experiment, in order. `ramp` is present only when scheduled. */
export type ExperimentPhase = 'baseline' | 'ramp' | 'inject' | 'recovery';

/** When a phase ran (ms since the start). A phase cut short by a halt ends early. */
export interface PhaseRecord {
  /** The phase. */
  readonly phase: ExperimentPhase;
  /** Start (ms since the start of the experiment). */
  readonly start: number;
  /** End (ms since the start of the experiment). */
  readonly end: number;
}

/** A steady-state or halt check, as the journal lists it. */
export interface CheckRecord {
  /** Stable id, e.g. `'*:errorRate:rate<0.01'`. */
  readonly id: string;
  /** The operation it looks at (`'*'` = every call). */
  readonly operation: string;
  /** What it measures. */
  readonly metric: ThresholdMetric;
  /** The threshold expression. */
  readonly threshold: string;
  /** `'steady-state'`: part of the hypothesis; `'halt'`: only a halt condition. */
  readonly role: 'steady-state' | 'halt';
  /** Broken during ramp or inject → the experiment halts at once. */
  readonly hard: boolean;
}

/** One check evaluated over one window. */
export interface EvaluationRecord {
  /** Time of the evaluation (the end of its window). */
  readonly time: number;
  /** The phase of the window. */
  readonly phase: ExperimentPhase;
  /** Index of the window in `series`. */
  readonly window: number;
  /** The check's id (see `checks`). */
  readonly check: string;
  /** The check's threshold expression (repeated for readers of a single line). */
  readonly threshold: string;
  /** The measured value, `null` when nothing completed in the window. */
  readonly value: number | null;
  /** Whether the threshold held; `null` for no data. */
  readonly pass: boolean | null;
}

/** Circuit states as recorded (the breaker's own names). */
export type RecordedCircuitState = string;

/** Measurements of one evaluation window (every call, all operations). */
export interface SeriesPoint {
  /** Window index. */
  readonly window: number;
  /** The phase of the window. */
  readonly phase: ExperimentPhase;
  /** Window start (ms since the start of the experiment). */
  readonly start: number;
  /** Window end (ms), the time of its evaluation. */
  readonly end: number;
  /** Calls that completed in the window. */
  readonly calls: number;
  /** Failed calls among them. */
  readonly failures: number;
  /** `failures / calls`; `null` when no call completed. */
  readonly errorRate: number | null;
  /** Median duration (ms, nearest rank); `null` when no call completed. */
  readonly p50: number | null;
  /** 99th-percentile duration (ms, nearest rank); `null` when no call completed. */
  readonly p99: number | null;
  /** Completed calls per second. */
  readonly throughput: number;
  /** Each watched circuit breaker's worst state during the window (open > half-open > closed). */
  readonly circuits: Readonly<Record<string, RecordedCircuitState>>;
  /** Whether every steady-state check held (`null`: no data for at least one, and none broke). */
  readonly steady: boolean | null;
  /** With `slos`: each SLO's burn rate over the window, by operation (`null`: no call of it completed). */
  readonly burnRates?: Readonly<Record<string, number | null>>;
  /**
   * With `gauges`: each gauge's reading at the end of the window, by gauge name (`null`: the
   * gauge had no reading, threw, or returned something other than a finite number).
   */
  readonly gauges?: Readonly<Record<string, number | null>>;
}

/** What a rollback did. */
export interface RollbackRecord {
  /** Position in the `rollbacks` option. */
  readonly index: number;
  /** The function's name, or `rollback #i`. */
  readonly name: string;
  /** Whether it returned (or resolved) without throwing. */
  readonly ok: boolean;
  /** The error's message when it failed. */
  readonly error?: string;
  /** ms it took (on the experiment's clock). */
  readonly duration: number;
}

/** Numbers of a phase (or of the whole run). */
export interface PhaseSummary {
  /** Completed calls. */
  readonly calls: number;
  /** Failed calls among them. */
  readonly failures: number;
  /** Successful share of completed calls; `null` when none completed. */
  readonly availability: number | null;
  /** Median duration (ms, nearest rank); `null` when none completed. */
  readonly p50: number | null;
  /** 99th-percentile duration (ms, nearest rank); `null` when none completed. */
  readonly p99: number | null;
  /** Longest duration (ms); `null` when none completed. */
  readonly max: number | null;
}

/** The journal of one experiment. JSON-serialisable (no `undefined`, `NaN` or `Infinity`). */
export interface ExperimentJournal {
  /** Discriminates an experiment journal from a suite journal. */
  readonly kind: 'experiment';
  /** Journal format version. */
  readonly version: 1;
  /** The experiment's name. */
  readonly experiment: string;
  /** The hypothesis, in words. */
  readonly hypothesis: string;
  /** The seed given to the experiment (`null` when none). */
  readonly seed: number | null;
  /** Wall-clock start (ISO 8601), only when a `wallClock` was given. */
  readonly startedAt: string | null;
  /** The schedule as configured (ms). */
  readonly schedule: {
    /** Baseline duration (ms). */
    readonly baseline: number;
    /** Ramp duration (ms), 0 when none. */
    readonly ramp: number;
    /** Inject duration (ms). */
    readonly inject: number;
    /** Recovery duration (ms). */
    readonly recovery: number;
    /** Evaluation window length (ms). */
    readonly evaluationInterval: number;
    /** Consecutive good evaluations that count as recovered. */
    readonly recoveryStreak: number;
  };
  /** Phases as they ran. */
  readonly phases: readonly PhaseRecord[];
  /** Names of the faults. */
  readonly faults: readonly string[];
  /** The checks: steady state and halt conditions. */
  readonly checks: readonly CheckRecord[];
  /** Every check at every evaluation, in time order. */
  readonly evaluations: readonly EvaluationRecord[];
  /** One point per evaluation window. */
  readonly series: readonly SeriesPoint[];
  /** Injections per fault during this experiment. */
  readonly injections: Readonly<Record<string, number>>;
  /** When faults went on (ms), `null` if they never did. */
  readonly faultsOnAt: number | null;
  /** When faults went off (ms), `null` if they never went on. */
  readonly faultsOffAt: number | null;
  /** Time from faults on to the first breach of a steady-state check or the first circuit opening; `null` when neither happened. */
  readonly timeToDetect: number | null;
  /** What was detected first, e.g. `'breach *:errorRate:rate<0.01'` or `'circuit payment-gateway opened'`. */
  readonly detectedBy: string | null;
  /**
   * Time from faults off to the start of the first run of `recoveryStreak` consecutive
   * evaluation windows in which the steady state held (0 when it held from the first
   * recovery window on); `null` when it did not come back (or faults never went on).
   */
  readonly mttr: number | null;
  /**
   * Time from faults off until every watched circuit breaker was closed again and stayed
   * closed to the end: how long the dependency path itself took to heal, which the steady
   * state hides when a fallback kept users served (an MTTR of 0 with breakers still open
   * is a fallback, not a recovery). 0 when none was open or half-open after the faults
   * went off; `null` when a circuit was not closed at the end, none was watched, or faults
   * never went on.
   */
  readonly circuitsClosedAfter: number | null;
  /** What each rollback did, in order. */
  readonly rollbacks: readonly RollbackRecord[];
  /** Per phase and overall. */
  readonly summary: {
    /** Every completed call. */
    readonly overall: PhaseSummary;
    /** Calls that completed while faults were on (ramp and inject): what users saw during the outage. */
    readonly underFault: PhaseSummary;
    /** Per phase that ran. */
    readonly phases: Readonly<Partial<Record<ExperimentPhase, PhaseSummary>>>;
    /** Load calls started / dropped (rate mode: too many in flight). */
    readonly started: number;
    /** Load calls not started because too many were in flight (rate mode). */
    readonly dropped: number;
  };
  /**
   * Distinct users and operations whose calls failed or were degraded, under fault and
   * overall. Written by `runExperiment`; absent from journals of other sources.
   */
  readonly blastRadius?: BlastRadius;
  /** Each declared SLO's error budget consumed and burn rate (empty without `slos`). Written by `runExperiment`. */
  readonly slos?: readonly SloRecord[];
  /** Share (0–1) of ramp + inject evaluations with data in which the steady state held; `null` when none. */
  readonly heldDuringInjection: number | null;
  /** Share (0–1) of recovery evaluations with data in which the steady state held; `null` when none. */
  readonly heldDuringRecovery: number | null;
  /** How it ended. */
  readonly verdict: Verdict;
  /** Why, in words. */
  readonly reason: string;
  /** Total duration (ms). */
  readonly duration: number;
}

/** One experiment of a suite, with its weight and score. */
export interface SuiteEntry {
  /** Its weight in the suite score. */
  readonly weight: number;
  /** This experiment's score (0–100), `null` when excluded (skipped, aborted). */
  readonly score: number | null;
  /** Its journal. */
  readonly journal: ExperimentJournal;
}

/** The journal of a suite. */
export interface SuiteJournal {
  /** Discriminates a suite journal from an experiment journal. */
  readonly kind: 'suite';
  /** Journal format version. */
  readonly version: 1;
  /** The suite's name. */
  readonly name: string;
  /** The seed given to the suite (`null` when none). */
  readonly seed: number | null;
  /** Wall-clock start (ISO 8601), only when a `wallClock` was given. */
  readonly startedAt: string | null;
  /** The experiments, in the order they ran. */
  readonly experiments: readonly SuiteEntry[];
  /** Weighted resilience score 0–100 (one decimal), `null` when every experiment was excluded. */
  readonly score: number | null;
  /** Number of experiments per verdict. */
  readonly verdicts: Readonly<Record<Verdict, number>>;
  /** Total duration (ms) on the suite's clock. */
  readonly duration: number;
}

/** A journal of either kind. */
export type AnyJournal = ExperimentJournal | SuiteJournal;

/**
 * The score (0–100) of one experiment, or `null` when it says nothing about resilience:
 *
 * - `pass`: 50 + 50 × (share of ramp/inject evaluations in which the steady state held);
 * - `fail`: 25 × (that share) + 25 × (share of recovery evaluations in which it held);
 * - `halted`: 0 (a hard limit broke while faults were on);
 * - `skipped`, `aborted`: `null` (excluded from the suite score).
 *
 * A share with no evaluation counts as 1 for `pass` and 0 for `fail`.
 *
 * @example
 * ```ts
 * experimentScore(journal); // 87.5
 * ```
 */
export function experimentScore(
  journal: Pick<ExperimentJournal, 'verdict' | 'heldDuringInjection' | 'heldDuringRecovery'>,
): number | null {
  switch (journal.verdict) {
    case 'pass':
      return 50 + 50 * (journal.heldDuringInjection ?? 1);
    case 'fail':
      return 25 * (journal.heldDuringInjection ?? 0) + 25 * (journal.heldDuringRecovery ?? 0);
    case 'halted':
      return 0;
    default:
      return null;
  }
}

/**
 * The weighted resilience score of a suite: Σ weightᵢ · scoreᵢ / Σ weightᵢ over the
 * experiments with a score (see {@link experimentScore}), rounded to one decimal;
 * `null` when none has one or all weights are 0. Only finite positive weights count; the
 * weights are scaled by the largest first, so tiny ones (even subnormal) still average.
 *
 * @example
 * ```ts
 * resilienceScore([{ weight: 3, score: 100 }, { weight: 1, score: 0 }]); // 75
 * ```
 */
export function resilienceScore(entries: readonly { readonly weight: number; readonly score: number | null }[]): number | null {
  const counts = (e: { readonly weight: number; readonly score: number | null }): boolean => e.score !== null && e.weight > 0 && e.weight < Infinity;
  let max = 0;
  for (const e of entries) if (counts(e) && e.weight > max) max = e.weight;
  if (max === 0) return null;
  let num = 0;
  let den = 0;
  for (const e of entries) {
    if (!counts(e)) continue;
    const w = e.weight / max;
    num += w * (e.score as number);
    den += w;
  }
  return Math.round((num / den) * 10) / 10;
}

/**
 * The journal as JSON text (2-space indented). Journals hold no `undefined`, `NaN` or
 * `Infinity`, so parsing it back gives an equal object.
 *
 * @example
 * ```ts
 * writeFileSync('reports/chaos-report.json', renderJson(suite));
 * ```
 */
export function renderJson(journal: AnyJournal): string {
  return `${JSON.stringify(journal, null, 2)}\n`;
}
