/**
 * The plan of an experiment: its options validated all at once (every bad field, load
 * option and threshold in one `OptionsValidationError`), its checks compiled, and its
 * schedule cut into phases and evaluation windows.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, type ValidationIssue } from '../../core/errors';
import { collectIssues, isPlainObject, rules, type Rule } from '../../core/validation';
import { compileChecks, type CompiledCheck } from './checks';
import type { ChaosGate, ExperimentOptions } from './experiment-options';
import { gaugesRule, validateGauges } from './gauges';
import { FaultIntensity } from './intensity';
import type { ExperimentPhase, PhaseRecord } from './journal';
import { validateLoadOptions } from './load';

function isFault(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return typeof f['name'] === 'string' && typeof f['enable'] === 'function' && typeof f['disable'] === 'function' && typeof f['injections'] === 'number';
}

function isCircuit(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && 'state' in v;
}

function isGate(v: unknown): v is ChaosGate {
  return typeof v === 'object' && v !== null && typeof (v as ChaosGate).status === 'function' && typeof (v as ChaosGate).halt === 'function';
}

const positive = rules.duration(0, { exclusiveMin: true });

const experimentSchema = {
  name: rules.required(rules.string()),
  hypothesis: rules.required(rules.string()),
  faults: rules.required(rules.arrayOf({ expected: 'a fault (name, enable(), disable(), injections)', check: isFault }, { minLength: 1 })),
  load: rules.required({ expected: 'an object { fn, rate | concurrency, … }', check: isPlainObject }),
  steadyState: rules.required({ expected: 'checks: { [operation]: { errorRate?, availability?, latency?, throughput? } } or [{ metric, threshold }]', check: (v) => isPlainObject(v) || Array.isArray(v) }),
  schedule: rules.required(
    rules.object(
      {
        baseline: rules.required(positive),
        ramp: rules.duration(0),
        inject: rules.required(positive),
        recovery: rules.required(positive),
        evaluationInterval: rules.required(positive),
      },
      'an object { baseline, ramp?, inject, recovery, evaluationInterval } (ms)',
    ),
  ),
  halt: { expected: 'checks (as steadyState)', check: (v: unknown) => isPlainObject(v) || Array.isArray(v) } satisfies Rule,
  rollbacks: rules.arrayOf(rules.func()),
  rollbackTimeout: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  seed: rules.number(),
  clock: rules.clock(),
  wallClock: rules.func(),
  controller: { expected: 'a chaos controller', check: isGate } satisfies Rule,
  fleet: rules.boolean(),
  circuitBreakers: rules.arrayOf({ expected: 'a circuit breaker ({ name, state })', check: isCircuit }),
  recoveryStreak: rules.integer(1, 1000),
  intensity: { expected: 'a FaultIntensity (from faultIntensity())', check: (v: unknown) => v instanceof FaultIntensity } satisfies Rule,
  progress: { expected: 'an observer object', check: (v: unknown) => typeof v === 'object' && v !== null } satisfies Rule,
  gauges: gaugesRule,
};

/** One evaluation window of the plan (ms since the start). */
export interface PlannedWindow {
  readonly phase: ExperimentPhase;
  readonly start: number;
  readonly end: number;
}

/** A validated experiment, ready to run. */
export interface Plan {
  /** The options (validated). */
  readonly o: ExperimentOptions;
  /** The steady-state checks, then the halt checks. */
  readonly checks: readonly CompiledCheck[];
  /** Every evaluation window, in order: each phase cut into `evaluationInterval`s. */
  readonly windows: readonly PlannedWindow[];
  /** The phases with a duration, in order. */
  readonly phases: readonly PhaseRecord[];
  /** Consecutive good evaluations that count as recovered. */
  readonly streak: number;
  /** Planned duration (ms). */
  readonly total: number;
}

/** Validates `options` (throwing one `OptionsValidationError` naming every bad field) and plans the run. */
export function plan(options: ExperimentOptions): Plan {
  // Every bad field at once: the top level, the load, every threshold, the schedule.
  const checks: CompiledCheck[] = [];
  const issues: ValidationIssue[] = [];
  collectIssues(options, experimentSchema, '', issues);
  if (!isPlainObject(options)) throw new OptionsValidationError('runExperiment', issues);
  const o = options as ExperimentOptions;
  const bad = (key: string): boolean => issues.some((i) => i.path === key || i.path.startsWith(`${key}.`));
  if (!bad('load')) {
    try {
      // The runner owns the load's clock, duration and result handler.
      validateLoadOptions('load', o.load, { operation: rules.anyOf(rules.string(), rules.func()) }, ['clock', 'duration', 'onResult']);
    } catch (error) {
      for (const i of (error as { issues?: readonly ValidationIssue[] }).issues ?? []) issues.push({ ...i, path: `load.${i.path}` });
    }
  }
  if (!bad('steadyState')) {
    const before = issues.length;
    compileChecks(o.steadyState, 'steady-state', 'steadyState', issues, checks);
    if (issues.length === before && checks.length === 0) issues.push({ path: 'steadyState', value: o.steadyState, expected: 'at least one check' });
  }
  if (o.halt !== undefined && !bad('halt')) compileChecks(o.halt, 'halt', 'halt', issues, checks);
  if (!bad('gauges')) validateGauges(o.gauges, issues);
  if (!bad('faults')) {
    const names = o.faults.map((f) => f.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) issues.push({ path: 'faults', value: dup, expected: 'faults with distinct names' });
  }
  if (!bad('schedule') && !bad('recoveryStreak')) {
    const s = o.schedule;
    const streak = o.recoveryStreak ?? 3;
    if (Math.ceil(s.recovery / s.evaluationInterval) < streak) {
      issues.push({ path: 'schedule.recovery', value: s.recovery, expected: `long enough for ${streak} evaluations (recoveryStreak) of ${s.evaluationInterval} ms` });
    }
  }
  if (issues.length > 0) throw new OptionsValidationError('runExperiment', issues);
  const s = o.schedule;
  const phases: PhaseRecord[] = [];
  let t = 0;
  for (const [phase, d] of [['baseline', s.baseline], ['ramp', s.ramp ?? 0], ['inject', s.inject], ['recovery', s.recovery]] as const) {
    if (d > 0) {
      phases.push({ phase, start: t, end: t + d });
      t += d;
    }
  }
  const windows: PlannedWindow[] = [];
  for (const p of phases) {
    for (let w = p.start; w < p.end; w += s.evaluationInterval) windows.push({ phase: p.phase, start: w, end: Math.min(w + s.evaluationInterval, p.end) });
  }
  return { o, checks, windows, phases, streak: o.recoveryStreak ?? 3, total: t };
}

/** The phases as they ran (a halt cuts the last one short). */
export class PhaseLog {
  readonly records: PhaseRecord[] = [];

  /** Starts `phase` at `at`, ending the previous one; `false` (nothing done) when `phase` is already running. */
  enter(phase: ExperimentPhase, at: number): boolean {
    const prev = this.records[this.records.length - 1];
    if (prev !== undefined && prev.phase === phase) return false;
    this.close(at);
    this.records.push({ phase, start: at, end: at });
    return true;
  }

  /** Ends the running phase at `at`. */
  close(at: number): void {
    const last = this.records[this.records.length - 1];
    if (last !== undefined) this.records[this.records.length - 1] = { ...last, end: at };
  }
}
