/**
 * The experiment's checks: the k6-style thresholds of `steadyState` and `halt`, compiled
 * once for the experiment (every bad one reported), and evaluated over each window's
 * calls.
 *
 * @packageDocumentation
 */
import type { ValidationIssue } from '../../core/errors';
import { isPlainObject } from '../../core/validation';
import type { Checks } from './experiment-options';
import type { CheckRecord, EvaluationRecord, ExperimentPhase } from './journal';
import { evaluateThreshold, parseThreshold, ThresholdSyntaxError, type Threshold, type ThresholdMetric } from './thresholds';
import { CallTally, round } from './window-stats';

/** A check ready to evaluate: its journal record and its parsed threshold. */
export interface CompiledCheck {
  readonly record: CheckRecord;
  readonly threshold: Threshold;
  /** For a `burn_rate` threshold: the objective of the SLO of the check's operation (set by `planExperiment`). */
  readonly objective?: number | undefined;
}

/** A check that broke in a window, with the value it measured. */
export interface BrokenCheck {
  /** The check's id, e.g. `*:errorRate:rate<0.1`. */
  readonly id: string;
  /** The measured value (rounded as in the journal). */
  readonly value: number | null;
}

/** The checks of one window. */
export interface WindowEvaluation {
  /** One record per check, in the order of the checks. */
  readonly records: readonly EvaluationRecord[];
  /**
   * Whether the steady state held: `false` when a steady-state check broke, else `null`
   * when one had no data, else `true`.
   */
  readonly steady: boolean | null;
  /** The first steady-state check that broke. */
  readonly breach: BrokenCheck | undefined;
  /** The first `hard` check (steady-state or halt) that broke, whatever the phase. */
  readonly hardBreach: BrokenCheck | undefined;
}

const METRICS: readonly ThresholdMetric[] = ['errorRate', 'availability', 'latency', 'throughput'];

/**
 * Compiles `input` (per operation or flat) into `out`, pushing one issue per bad entry
 * (paths under `path`). `halt` checks are all hard.
 */
export function compileChecks(input: Checks, role: CheckRecord['role'], path: string, issues: ValidationIssue[], out: CompiledCheck[]): void {
  const add = (operation: string, metric: ThresholdMetric, spec: unknown, where: string, hardDefault: boolean): void => {
    let expr: unknown = spec;
    let hard = hardDefault;
    if (isPlainObject(spec)) {
      const keys = Object.keys(spec).filter((k) => k !== 'threshold' && k !== 'hard');
      if (keys.length > 0) {
        issues.push({ path: `${where}.${keys[0] as string}`, value: spec[keys[0] as string], expected: 'not present (unknown option)' });
        return;
      }
      expr = spec['threshold'];
      if (spec['hard'] !== undefined) {
        if (typeof spec['hard'] !== 'boolean') {
          issues.push({ path: `${where}.hard`, value: spec['hard'], expected: 'a boolean' });
          return;
        }
        hard = hardDefault || spec['hard'];
      }
    }
    if (typeof expr !== 'string') {
      issues.push({ path: where, value: spec, expected: 'a threshold string such as "rate<0.01" or { threshold, hard? }' });
      return;
    }
    try {
      const threshold = parseThreshold(expr, metric);
      const id = `${operation}:${metric}:${threshold.source}`;
      out.push({ threshold, record: { id: role === 'halt' ? `halt:${id}` : id, operation, metric, threshold: threshold.source, role, hard } });
    } catch (error) {
      issues.push({ path: where, value: expr, expected: error instanceof ThresholdSyntaxError ? error.message.replace(/^Invalid threshold .*? at /, 'a valid threshold (problem at ') + ')' : 'a valid threshold' });
    }
  };
  const hardDefault = role === 'halt';
  if (Array.isArray(input)) {
    (input as readonly unknown[]).forEach((c, i) => {
      const where = `${path}[${i}]`;
      if (!isPlainObject(c)) {
        issues.push({ path: where, value: c, expected: 'a check { metric, threshold, operation?, hard? }' });
        return;
      }
      const unknown = Object.keys(c).find((k) => !['metric', 'threshold', 'operation', 'hard'].includes(k));
      if (unknown !== undefined) {
        issues.push({ path: `${where}.${unknown}`, value: c[unknown], expected: 'not present (unknown option)' });
        return;
      }
      if (!METRICS.includes(c['metric'] as ThresholdMetric)) {
        issues.push({ path: `${where}.metric`, value: c['metric'], expected: `one of ${METRICS.map((m) => JSON.stringify(m)).join(', ')}` });
        return;
      }
      const op = c['operation'] ?? '*';
      if (typeof op !== 'string' || op === '') {
        issues.push({ path: `${where}.operation`, value: op, expected: 'a non-empty string' });
        return;
      }
      add(op, c['metric'] as ThresholdMetric, { threshold: c['threshold'], ...(c['hard'] !== undefined ? { hard: c['hard'] } : {}) }, where, hardDefault);
    });
    return;
  }
  for (const op of Object.keys(input)) {
    const byMetric = (input as Record<string, unknown>)[op];
    if (op === '' || op === '__proto__' || op === 'constructor' || op === 'prototype') {
      issues.push({ path: `${path}.${op}`, value: byMetric, expected: 'an operation name' });
      continue;
    }
    if (!isPlainObject(byMetric)) {
      issues.push({ path: `${path}.${op}`, value: byMetric, expected: 'an object { errorRate?, availability?, latency?, throughput? }' });
      continue;
    }
    for (const metric of Object.keys(byMetric)) {
      const list = byMetric[metric];
      if (!METRICS.includes(metric as ThresholdMetric)) {
        issues.push({ path: `${path}.${op}.${metric}`, value: list, expected: `a metric: ${METRICS.join(', ')}` });
        continue;
      }
      if (!Array.isArray(list)) {
        issues.push({ path: `${path}.${op}.${metric}`, value: list, expected: 'an array of thresholds' });
        continue;
      }
      list.forEach((spec: unknown, i: number) => add(op, metric as ThresholdMetric, spec, `${path}.${op}.${metric}[${i}]`, hardDefault));
    }
  }
}

/** Where and when a window is evaluated (copied into its evaluation records). */
export interface EvaluationPoint {
  /** Evaluation time (ms since the start). */
  readonly time: number;
  /** The window's phase. */
  readonly phase: ExperimentPhase;
  /** The window's number. */
  readonly window: number;
  /** The window's length (ms), for rates per second. */
  readonly length: number;
}

const EMPTY = new CallTally();

/**
 * Evaluates every check over a window's calls (`tallies` by operation, `'*'` for all,
 * durations sorted). Pure: what the window means for the experiment is for `decide` (decide.ts) to say.
 */
export function evaluateChecks(checks: readonly CompiledCheck[], tallies: ReadonlyMap<string, CallTally>, at: EvaluationPoint): WindowEvaluation {
  const records: EvaluationRecord[] = [];
  let steady: boolean | null = true;
  let breach: BrokenCheck | undefined;
  let hardBreach: BrokenCheck | undefined;
  for (const c of checks) {
    const t = tallies.get(c.record.operation) ?? EMPTY;
    const r = evaluateThreshold(c.record.metric, c.threshold, { calls: t.calls, failures: t.failures, durations: t.durations, length: at.length, objective: c.objective });
    const value = r.value === null ? null : round(r.value);
    records.push({ time: at.time, phase: at.phase, window: at.window, check: c.record.id, threshold: c.record.threshold, value, pass: r.pass });
    if (r.pass === false) {
      if (c.record.role === 'steady-state') {
        steady = false;
        breach ??= { id: c.record.id, value };
      }
      if (c.record.hard) hardBreach ??= { id: c.record.id, value };
    } else if (r.pass === null && c.record.role === 'steady-state' && steady === true) steady = null;
  }
  return { records, steady, breach, hardBreach };
}
