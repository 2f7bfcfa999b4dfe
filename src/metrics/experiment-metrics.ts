/**
 * Chaos experiment metrics for Prometheus: the state of each experiment while it runs,
 * the verdicts, time to detect and MTTR of its runs, its blast radius and the SLO budget
 * it burns (names in `ExperimentMetricNames`). An experiment feeds them through an
 * observer given as its `progress` (live), or a finished journal is recorded (a run of
 * another process, a history read back from disk).
 *
 * Metrics loads no chaos code: it reads the experiment's journal and observer types only
 * (`import type`).
 *
 * @packageDocumentation
 */
import { rules, validateOptions } from '../core/validation';
import type { ExperimentImpact } from '../chaos/experiment/impact';
import type { ExperimentObserver } from '../chaos/experiment/experiment-options';
import type { ExperimentJournal, ExperimentPhase, SuiteJournal, Verdict } from '../chaos/experiment/journal';
import { EXPERIMENT_METRIC_HELP, ExperimentMetricNames, OVERFLOW_VALUE } from './names';
import { renderPrometheus, type PrometheusSource } from './prometheus';
import type { MetricFamily, MetricSample } from './snapshot';

/**
 * Options of {@link createExperimentMetrics}.
 *
 * @example
 * ```ts
 * const options: ExperimentMetricsOptions = { maxExperiments: 20 };
 * ```
 */
export interface ExperimentMetricsOptions {
  /** Experiments tracked by name; the runs of further names are counted under `_other`. @defaultValue 100 */
  readonly maxExperiments?: number | undefined;
}

/** The phases of the `phase` gauge: an experiment's phases, and `idle` between runs. */
const PHASES: readonly (ExperimentPhase | 'idle')[] = ['idle', 'baseline', 'ramp', 'inject', 'recovery'];
const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'halted', 'aborted', 'skipped'];

/** What is known of one SLO of an experiment. */
interface SloState {
  objective: number;
  window: number | undefined;
  underFault: number | undefined;
  overall: number | undefined;
  peak: number | undefined;
  budgetUnderFault: number | undefined;
  budgetOverall: number | undefined;
}

/** What is known of one experiment. */
interface ExperimentState {
  phase: ExperimentPhase | 'idle';
  runs: Record<Verdict, number>;
  lastVerdict: Verdict | undefined;
  timeToDetect: number | undefined;
  mttr: number | undefined;
  impact: ExperimentImpact | undefined;
  slos: Map<string, SloState>;
}

const schema = { maxExperiments: rules.integer(1, 100_000) };

/**
 * Collects chaos experiment metrics. Give `observer()` as an experiment's (or a suite's)
 * `progress` to follow runs live, or `record()` finished journals; render with
 * `toPrometheus()`, or serve it beside the resilience metrics with
 * {@link combinePrometheus}.
 *
 * Memory is bounded by `maxExperiments` names and the SLOs they declare.
 *
 * @example
 * ```ts
 * const experiments = createExperimentMetrics();
 * const journal = await runExperiment({ ...paymentsDown, progress: experiments.observer() });
 * const handler = createMetricsHandler(combinePrometheus(metrics, experiments));
 * ```
 */
export class ExperimentMetrics implements PrometheusSource {
  private readonly max: number;
  private readonly byName = new Map<string, ExperimentState>();

  /** Use {@link createExperimentMetrics}. */
  constructor(options: ExperimentMetricsOptions = {}) {
    const o = validateOptions<ExperimentMetricsOptions>('createExperimentMetrics', options, schema);
    this.max = o.maxExperiments ?? 100;
  }

  /**
   * An observer to give as an experiment's or a suite's `progress`: the phase gauge
   * follows the run, the blast radius and SLO gauges move at every evaluation (the
   * `window` burn rate exists only while the run goes on), and the run's journal is
   * recorded when it ends. `next` (e.g. a `progressReporter`) receives every callback
   * after the metrics are updated.
   *
   * @example
   * ```ts
   * await runSuite({ ...drill, progress: experiments.observer(progressReporter({ stream: process.stderr })) });
   * ```
   */
  observer(next?: ExperimentObserver): ExperimentObserver {
    if (next !== undefined && (typeof next !== 'object' || next === null)) {
      throw new TypeError(`ExperimentMetrics.observer() expects an observer object or nothing, got ${String(next)}`);
    }
    return {
      onStart: (info) => {
        const s = this.state(info.experiment);
        s.impact = undefined;
        for (const slo of s.slos.values()) clearRun(slo);
        next?.onStart?.(info);
      },
      onPhase: (info) => {
        this.state(info.experiment).phase = info.phase;
        next?.onPhase?.(info);
      },
      onEvaluation: (info) => {
        const s = this.state(info.experiment);
        if (info.impact !== undefined) this.applyImpact(s, info.impact, info.point.burnRates);
        next?.onEvaluation?.(info);
      },
      onEnd: (journal) => {
        this.record(journal);
        next?.onEnd?.(journal);
      },
    };
  }

  /**
   * Records a finished run (every experiment of a suite): its verdict counts, and its
   * verdict, time to detect, MTTR, blast radius and SLO numbers become the
   * experiment's "last run" values. The experiment goes back to `idle`.
   *
   * @example
   * ```ts
   * experiments.record(JSON.parse(readFileSync('reports/2026-11-25/chaos-report.json', 'utf8')));
   * ```
   */
  record(journal: ExperimentJournal | SuiteJournal): void {
    if (journal.kind === 'suite') {
      for (const e of journal.experiments) this.record(e.journal);
      return;
    }
    const s = this.state(journal.experiment);
    s.phase = 'idle';
    s.runs[journal.verdict]++;
    s.lastVerdict = journal.verdict;
    s.timeToDetect = journal.timeToDetect === null ? undefined : journal.timeToDetect / 1000;
    s.mttr = journal.mttr === null ? undefined : journal.mttr / 1000;
    s.impact = undefined;
    for (const slo of s.slos.values()) clearRun(slo);
    if (journal.blastRadius !== undefined) this.applyImpact(s, { blastRadius: journal.blastRadius, slos: journal.slos ?? [] }, undefined);
    else if (journal.slos !== undefined) this.applySlos(s, journal.slos, undefined);
  }

  /** The metric families, in {@link ExperimentMetricNames} order (empty ones included). */
  collect(): MetricFamily[] {
    const out = new Map<string, MetricSample[]>();
    for (const name of Object.values(ExperimentMetricNames)) out.set(name, []);
    const add = (name: string, labels: Record<string, string>, value: number | undefined | null): void => {
      if (value !== undefined && value !== null) (out.get(name) as MetricSample[]).push({ labels, value });
    };
    const N = ExperimentMetricNames;
    for (const [experiment, s] of this.byName) {
      const l = { experiment };
      for (const p of PHASES) add(N.phase, { ...l, phase: p }, s.phase === p ? 1 : 0);
      for (const v of VERDICTS) add(N.runs, { ...l, verdict: v }, s.runs[v]);
      if (s.lastVerdict !== undefined) for (const v of VERDICTS) add(N.lastVerdict, { ...l, verdict: v }, s.lastVerdict === v ? 1 : 0);
      add(N.timeToDetect, l, s.timeToDetect);
      add(N.mttr, l, s.mttr);
      const b = s.impact?.blastRadius;
      if (b !== undefined) {
        for (const [scope, x] of [['under_fault', b.underFault], ['overall', b.overall]] as const) {
          add(N.users, { ...l, scope }, x.users);
          add(N.affectedUsers, { ...l, scope }, x.affectedUsers);
          add(N.affectedCalls, { ...l, scope }, x.affectedCalls);
          add(N.affectedOperations, { ...l, scope }, x.affectedOperations);
        }
      }
      for (const [operation, slo] of s.slos) {
        const o = { ...l, operation };
        add(N.sloObjective, o, slo.objective);
        add(N.sloBurnRate, { ...o, scope: 'window' }, s.phase === 'idle' ? undefined : slo.window);
        add(N.sloBurnRate, { ...o, scope: 'under_fault' }, slo.underFault);
        add(N.sloBurnRate, { ...o, scope: 'overall' }, slo.overall);
        add(N.sloBurnRate, { ...o, scope: 'peak' }, slo.peak);
        add(N.sloBudgetConsumed, { ...o, scope: 'under_fault' }, slo.budgetUnderFault);
        add(N.sloBudgetConsumed, { ...o, scope: 'overall' }, slo.budgetOverall);
      }
    }
    const families: MetricFamily[] = [];
    for (const [name, samples] of out) {
      const [type, help] = EXPERIMENT_METRIC_HELP[name as keyof typeof EXPERIMENT_METRIC_HELP];
      families.push({ name, help, type: type as 'counter' | 'gauge', samples });
    }
    return families;
  }

  /** The metrics in the Prometheus text exposition format (families without samples left out). */
  toPrometheus(): string {
    return renderPrometheus(this.collect());
  }

  private state(name: string): ExperimentState {
    let s = this.byName.get(name);
    if (s !== undefined) return s;
    const key = this.byName.size < this.max ? name : OVERFLOW_VALUE;
    s = this.byName.get(key);
    if (s === undefined) {
      s = { phase: 'idle', runs: { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 }, lastVerdict: undefined, timeToDetect: undefined, mttr: undefined, impact: undefined, slos: new Map() };
      this.byName.set(key, s);
    }
    return s;
  }

  private applyImpact(s: ExperimentState, impact: ExperimentImpact, window: Readonly<Record<string, number | null>> | undefined): void {
    s.impact = impact;
    this.applySlos(s, impact.slos, window);
  }

  private applySlos(s: ExperimentState, slos: ExperimentImpact['slos'], window: Readonly<Record<string, number | null>> | undefined): void {
    for (const r of slos) {
      let slo = s.slos.get(r.operation);
      // Stryker disable next-line ConditionalExpression: equivalent — a fresh SloState gets every field assigned below and Map.set keeps the key's order, so reusing or replacing it is unobservable
      if (slo === undefined) {
        slo = { objective: r.objective, window: undefined, underFault: undefined, overall: undefined, peak: undefined, budgetUnderFault: undefined, budgetOverall: undefined };
        s.slos.set(r.operation, slo);
      }
      slo.objective = r.objective;
      slo.window = window?.[r.operation] ?? undefined;
      slo.underFault = r.underFault.burnRate ?? undefined;
      slo.overall = r.overall.burnRate ?? undefined;
      slo.peak = r.peakBurnRate ?? undefined;
      slo.budgetUnderFault = r.underFault.budgetConsumed ?? undefined;
      slo.budgetOverall = r.overall.budgetConsumed ?? undefined;
    }
  }
}

/** Forgets the numbers of the last run (a new run starts, or one ended without them). */
function clearRun(slo: SloState): void {
  slo.window = slo.underFault = slo.overall = slo.peak = slo.budgetUnderFault = slo.budgetOverall = undefined;
}

/**
 * Chaos experiment metrics for Prometheus (see {@link ExperimentMetrics}).
 *
 * @example
 * ```ts
 * const experiments = createExperimentMetrics({ maxExperiments: 50 });
 * await runExperiment({ ...options, progress: experiments.observer() });
 * experiments.toPrometheus(); // resilience_experiment_runs_total{experiment="payment gateway down",verdict="pass"} 1 …
 * ```
 */
export function createExperimentMetrics(options: ExperimentMetricsOptions = {}): ExperimentMetrics {
  return new ExperimentMetrics(options);
}

/**
 * One Prometheus source that renders several, one after the other (their metric names
 * must differ, as those of a `Metrics` aggregator and an `ExperimentMetrics` do): serve
 * both on one `/metrics`.
 *
 * @example
 * ```ts
 * createServer(createMetricsHandler(combinePrometheus(metrics, experiments))).listen(9464);
 * ```
 */
export function combinePrometheus(...sources: PrometheusSource[]): PrometheusSource {
  for (const s of sources) {
    if (typeof s !== 'object' || s === null || typeof s.toPrometheus !== 'function') {
      throw new TypeError('combinePrometheus() expects sources with toPrometheus() (a Metrics or ExperimentMetrics)');
    }
  }
  return { toPrometheus: () => sources.map((s) => s.toPrometheus()).join('') };
}
