/**
 * Service level objectives of an experiment: what share of an operation's calls must
 * succeed over a long window, how fast the experiment burns that error budget, and how
 * much of it it spent.
 *
 * The arithmetic (as in Google's SRE workbook, chapter "Alerting on SLOs"):
 *
 * - the **error budget** of an SLO is the share of calls allowed to fail, 1 − objective
 *   (0.1 % for 99.9 %);
 * - the **burn rate** over some calls is their error rate divided by that budget: at a
 *   burn rate of 1 the budget lasts exactly the SLO's window, at 14.4 a 30-day budget is
 *   gone in 50 hours (and 2 % of it in one hour);
 * - the **budget consumed** by a period of `d` ms is burn rate × d / window, assuming the
 *   period's traffic rate is the window's (an experiment driving 50 calls/s measures the
 *   budget as if the service saw 50 calls/s all month).
 *
 * A call counts as good when the load's call resolved (a fallback's answer included), as
 * for `availability`.
 *
 * @packageDocumentation
 */
import type { ValidationIssue } from '../../core/errors';
import { isPlainObject } from '../../core/validation';
import { faultsOnIn } from './decide';
import type { PhaseRecord } from './journal';
import { round } from './window-stats';

/** 30 days in ms: the default window of an SLO. */
export const DEFAULT_SLO_WINDOW = 30 * 24 * 60 * 60 * 1000;

/**
 * An availability SLO of one operation (`'*'`: every call of the experiment together).
 *
 * @example
 * ```ts
 * const slos = { 'payment.charge': { objective: 0.999, window: 30 * 24 * 3_600_000 } };
 * ```
 */
export interface SloSpec {
  /** Share of calls that must succeed, greater than 0 and less than 1: `0.999` is 99.9 %. Required. */
  readonly objective: number;
  /** The window the objective holds over (ms). @defaultValue 30 days (2 592 000 000) */
  readonly window?: number | undefined;
}

/**
 * What an experiment spent of an SLO in one scope (the whole run, or while faults were on).
 *
 * @example
 * ```ts
 * const { burnRate, budgetConsumed } = journal.slos![0]!.underFault; // 363, 0.0028
 * ```
 */
export interface SloUsage {
  /** Completed calls of the operation. */
  readonly calls: number;
  /** Failed calls among them. */
  readonly failures: number;
  /** How long the scope lasted (ms): the experiment's duration, or ramp + inject as they ran. */
  readonly duration: number;
  /** Error rate / (1 − objective); `null` without calls. */
  readonly burnRate: number | null;
  /** Share of the window's error budget spent: burn rate × duration / window; `null` without calls. */
  readonly budgetConsumed: number | null;
}

/**
 * An SLO as the journal reports it (`journal.slos`).
 *
 * @example
 * ```ts
 * for (const slo of journal.slos ?? []) if (slo.met === false) console.log(`${slo.operation} missed its objective`);
 * ```
 */
export interface SloRecord {
  /** The operation (`'*'`: every call). */
  readonly operation: string;
  /** The objective (0–1). */
  readonly objective: number;
  /** The SLO's window (ms). */
  readonly window: number;
  /** Over the whole experiment. */
  readonly overall: SloUsage;
  /** While the faults were on (ramp and inject). */
  readonly underFault: SloUsage;
  /** The highest burn rate of an evaluation window with calls; `null` when none had any. */
  readonly peakBurnRate: number | null;
  /** When that window was evaluated (ms since the start); `null` with `peakBurnRate`. */
  readonly peakAt: number | null;
  /** Whether the experiment's calls met the objective overall (burn rate ≤ 1); `null` without calls. */
  readonly met: boolean | null;
}

/**
 * The burn rate of an error rate against an objective: `errorRate / (1 − objective)`.
 *
 * @example
 * ```ts
 * burnRate(0.0144, 0.999); // 14.4: a 30-day budget lasts 50 hours at this pace
 * ```
 */
export function burnRate(errorRate: number, objective: number): number {
  return errorRate / (1 - objective);
}

/**
 * The share of an SLO window's error budget spent by `duration` ms at `rate` (a burn
 * rate): `rate × duration / window`.
 *
 * @example
 * ```ts
 * errorBudgetConsumed(14.4, 3_600_000, 30 * 24 * 3_600_000); // 0.02: 2 % of the month's budget in an hour
 * ```
 */
export function errorBudgetConsumed(rate: number, duration: number, window: number): number {
  return (rate * duration) / window;
}

/** @internal The usage of `calls` calls with `failures` failures over `duration` ms. */
export function sloUsage(calls: number, failures: number, duration: number, objective: number, window: number): SloUsage {
  const rate = calls === 0 ? null : burnRate(failures / calls, objective);
  return {
    calls,
    failures,
    duration: round(duration),
    burnRate: rate === null ? null : round6(rate),
    budgetConsumed: rate === null ? null : round6(errorBudgetConsumed(rate, duration, window)),
  };
}

/** Six significant decimals (budgets are small numbers: 0.000347 of a month). */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** A validated SLO. */
export interface CompiledSlo {
  readonly operation: string;
  readonly objective: number;
  readonly window: number;
}

const isDuration = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Validates the `slos` option (pushing one issue per bad entry) and compiles it. */
export function compileSlos(input: unknown, issues: ValidationIssue[]): CompiledSlo[] {
  const out: CompiledSlo[] = [];
  if (input === undefined) return out;
  if (!isPlainObject(input)) {
    issues.push({ path: 'slos', value: input, expected: "an object { [operation]: { objective, window? } } ('*': every call)" });
    return out;
  }
  for (const op of Object.keys(input)) {
    const spec = input[op];
    const where = `slos.${op}`;
    if (op === '' || op === '__proto__' || op === 'constructor' || op === 'prototype') {
      issues.push({ path: where, value: spec, expected: 'an operation name' });
      continue;
    }
    if (!isPlainObject(spec)) {
      issues.push({ path: where, value: spec, expected: 'an SLO { objective, window? }' });
      continue;
    }
    let ok = true;
    for (const key of Object.keys(spec)) {
      if (key !== 'objective' && key !== 'window') {
        issues.push({ path: `${where}.${key}`, value: spec[key], expected: 'not present (unknown option)' });
        ok = false;
      }
    }
    const objective = spec['objective'];
    if (typeof objective !== 'number' || !(objective > 0 && objective < 1)) {
      issues.push({ path: `${where}.objective`, value: objective, expected: 'a number greater than 0 and less than 1 (0.999 = 99.9 %)' });
      ok = false;
    }
    const window = spec['window'] ?? DEFAULT_SLO_WINDOW;
    if (!isDuration(window)) {
      issues.push({ path: `${where}.window`, value: spec['window'], expected: 'a duration in ms > 0 (finite)' });
      ok = false;
    }
    if (ok) out.push({ operation: op, objective: objective as number, window: window as number });
  }
  return out;
}

/** Calls and failures of one SLO in one scope. */
class Tally {
  calls = 0;
  failures = 0;
}

/** The SLOs of one run: counts calls per SLO, overall and under fault, and the peak window burn rate. */
export class SloMeter {
  private readonly overall: Tally[];
  private readonly underFault: Tally[];
  private readonly peak: ({ rate: number; at: number } | undefined)[];

  constructor(private readonly slos: readonly CompiledSlo[]) {
    this.overall = slos.map(() => new Tally());
    this.underFault = slos.map(() => new Tally());
    this.peak = slos.map(() => undefined);
  }

  /** Counts a completed call of `operation`. */
  record(operation: string, ok: boolean, faultsOn: boolean): void {
    for (let i = 0; i < this.slos.length; i++) {
      const op = (this.slos[i] as CompiledSlo).operation;
      if (op !== '*' && op !== operation) continue;
      const all = this.overall[i] as Tally;
      all.calls++;
      if (!ok) all.failures++;
      if (faultsOn) {
        const t = this.underFault[i] as Tally;
        t.calls++;
        if (!ok) t.failures++;
      }
    }
  }

  /**
   * The burn rate of each SLO over a closed window (`count(op)`: its calls and failures;
   * `'*'` for all), keyed by operation; `null` for an SLO without calls in the window.
   * Keeps the peak.
   */
  window(count: (operation: string) => { readonly calls: number; readonly failures: number }, at: number): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    this.slos.forEach((s, i) => {
      const t = count(s.operation);
      const rate = t.calls === 0 ? null : round6(burnRate(t.failures / t.calls, s.objective));
      out[s.operation] = rate;
      const p = this.peak[i];
      if (rate !== null && (p === undefined || rate > p.rate)) this.peak[i] = { rate, at };
    });
    return out;
  }

  /**
   * The journal's records, for phases that ran as `phases`; while the run goes on, `now`
   * (ms since the start) ends the running phase.
   */
  records(phases: readonly PhaseRecord[], now?: number): SloRecord[] {
    let overallTime = 0;
    let faultTime = 0;
    phases.forEach((p, i) => {
      const end = i === phases.length - 1 && now !== undefined ? Math.max(p.end, now) : p.end;
      overallTime += end - p.start;
      if (faultsOnIn(p.phase)) faultTime += end - p.start;
    });
    return this.slos.map((s, i) => {
      const all = this.overall[i] as Tally;
      const uf = this.underFault[i] as Tally;
      const p = this.peak[i];
      return {
        operation: s.operation,
        objective: s.objective,
        window: s.window,
        overall: sloUsage(all.calls, all.failures, overallTime, s.objective, s.window),
        underFault: sloUsage(uf.calls, uf.failures, faultTime, s.objective, s.window),
        peakBurnRate: p?.rate ?? null,
        peakAt: p?.at ?? null,
        met: all.calls === 0 ? null : burnRate(all.failures / all.calls, s.objective) <= 1 + 1e-9,
      };
    });
  }
}
