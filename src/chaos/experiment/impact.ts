/**
 * What an experiment measures of its impact on users: the blast radius (distinct users
 * and operations its failed or degraded calls touched) and the SLOs (error budget
 * consumed, burn rate). `planExperiment` validates the two options that declare them
 * (`slos`, `blastRadius`) together with the rest of the plan (one
 * `OptionsValidationError` for every bad field) and resolves each `burn_rate` check
 * against the SLO of its operation; `ImpactMeter` measures one run.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, type ValidationIssue } from '../../core/errors';
import { reportInternalError } from '../../core/report';
import { isPlainObject } from '../../core/validation';
import { BlastRadiusMeter, validateBlastRadius, type BlastRadius, type BlastRadiusOptions } from './blast-radius';
import { compileChecks, type CompiledCheck } from './checks';
import { faultsOnIn } from './decide';
import type { ExperimentOptions } from './experiment-options';
import type { ExperimentPhase, PhaseRecord, SeriesPoint } from './journal';
import type { LoadCallResult } from './load';
import { plan, type Plan } from './plan';
import { compileSlos, SloMeter, type CompiledSlo, type SloRecord } from './slo';
import type { CallTally } from './window-stats';

/**
 * The blast radius and SLO usage of a run (so far, while it runs): what an observer's
 * `onEvaluation` receives as `impact`.
 *
 * @example
 * ```ts
 * const progress: ExperimentObserver = { onEvaluation: ({ impact }) => console.log(impact?.blastRadius.underFault.affectedUsers) };
 * ```
 */
export interface ExperimentImpact {
  /** Distinct users and operations affected, under fault and overall. */
  readonly blastRadius: BlastRadius;
  /** Each declared SLO's budget consumed and burn rate (empty without `slos`). */
  readonly slos: readonly SloRecord[];
}

/** The impact part of a plan. */
export interface ImpactPlan {
  /** The SLOs, validated. */
  readonly slos: readonly CompiledSlo[];
  /** The `blastRadius` option (validated). */
  readonly blastRadius: BlastRadiusOptions;
}

/** A validated experiment with its impact measurement, ready to run. */
export interface ExperimentPlan extends Plan {
  readonly impact: ImpactPlan;
}

/**
 * Validates `options` — the plan's fields (plan.ts), `slos` and `blastRadius`, and that
 * every `burn_rate` check has an SLO on its operation — throwing one
 * `OptionsValidationError` that names every bad field, and plans the run.
 */
export function planExperiment(options: ExperimentOptions): ExperimentPlan {
  if (!isPlainObject(options)) return { ...plan(options), impact: { slos: [], blastRadius: {} } }; // plan() throws
  const { slos, blastRadius, ...core } = options;
  const issues: ValidationIssue[] = [];
  let base: Plan | undefined;
  try {
    base = plan(core);
  } catch (error) {
    if (!(error instanceof OptionsValidationError)) throw error;
    issues.push(...error.issues);
  }
  const compiled = compileSlos(slos, issues);
  validateBlastRadius(blastRadius, issues);
  const sloOf = new Map(compiled.map((s) => [s.operation, s] as const));
  const checks = (base?.checks ?? recompile(options)).map((c): CompiledCheck => {
    if (c.threshold.aggregate !== 'burn_rate') return c;
    const slo = sloOf.get(c.record.operation);
    if (slo === undefined) {
      const op = c.record.operation;
      const reported = issues.some((i) => i.path === 'slos' || i.path === `slos.${op}` || i.path.startsWith(`slos.${op}.`));
      if (!reported) {
        issues.push({ path: c.record.role === 'halt' ? 'halt' : 'steadyState', value: c.record.id, expected: `a check whose operation has an SLO: burn_rate reads slos[${JSON.stringify(op)}]` });
      }
      return c;
    }
    return { ...c, objective: slo.objective };
  });
  if (issues.length > 0 || base === undefined) throw new OptionsValidationError('runExperiment', issues);
  return { ...base, o: options, checks, impact: { slos: compiled, blastRadius: (blastRadius ?? {}) as BlastRadiusOptions } };
}

/** The checks of options whose plan failed (to find their `burn_rate` checks); bad ones are skipped. */
function recompile(o: ExperimentOptions): CompiledCheck[] {
  const out: CompiledCheck[] = [];
  const scratch: ValidationIssue[] = [];
  const fits = (v: unknown): boolean => isPlainObject(v) || Array.isArray(v);
  if (fits(o.steadyState)) compileChecks(o.steadyState, 'steady-state', 'steadyState', scratch, out);
  if (fits(o.halt)) compileChecks(o.halt as NonNullable<ExperimentOptions['halt']>, 'halt', 'halt', scratch, out);
  return out;
}

/** Measures the blast radius and the SLOs of one run. */
export class ImpactMeter {
  private readonly blast: BlastRadiusMeter;
  private readonly slos: SloMeter;
  private readonly hasSlos: boolean;

  constructor(p: ExperimentPlan) {
    this.blast = new BlastRadiusMeter(p.impact.blastRadius, reportInternalError);
    if (p.o.load.userKey !== undefined) this.blast.trackUsers();
    this.slos = new SloMeter(p.impact.slos);
    this.hasSlos = p.impact.slos.length > 0;
  }

  /** Counts a completed call of `operation`, in `phase`. */
  record(operation: string, r: LoadCallResult, phase: ExperimentPhase): void {
    const faultsOn = faultsOnIn(phase);
    this.blast.record(operation, r.ok, r.end - r.start, r.value, r.user, faultsOn);
    this.slos.record(operation, r.ok, faultsOn);
  }

  /** The series point of a closed window, with each SLO's burn rate over it (`at`: its evaluation time). */
  annotate(point: SeriesPoint, tallies: ReadonlyMap<string, CallTally>, at: number): SeriesPoint {
    if (!this.hasSlos) return point;
    const none = { calls: 0, failures: 0 };
    return { ...point, burnRates: this.slos.window((op) => tallies.get(op) ?? none, at) };
  }

  /** The impact so far: `now` (ms since the start) ends the running phase while the run goes on. */
  snapshot(phases: readonly PhaseRecord[], now?: number): ExperimentImpact {
    return { blastRadius: this.blast.result(), slos: this.slos.records(phases, now) };
  }
}
