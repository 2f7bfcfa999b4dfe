/**
 * The chaos experiment runner: baseline → (ramp) → inject → recovery, steady-state checks
 * written like k6 thresholds over the runner's own measurements, halt conditions,
 * rollbacks, and a journal with a verdict, time to detect and MTTR.
 *
 * The runner only schedules on the experiment's clock (through the clock's timer service):
 * on the system clock it runs in real time, on a `VirtualClock` it runs as fast as the
 * test advances the clock (`await clock.runAll()`). No timer of it survives the
 * experiment.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../../core/clock';
import { collectIssues, isPlainObject, rules, validateOptions, type Rule } from '../../core/validation';
import { OptionsValidationError, type ValidationIssue } from '../../core/errors';
import { isThenable } from '../../core/outcome';
import { timerServiceFor, type TimerEntry } from '../../core/timer-service';
import { chaos } from '../guards';
import {
  experimentScore,
  resilienceScore,
  type CheckRecord,
  type EvaluationRecord,
  type ExperimentJournal,
  type ExperimentPhase,
  type PhaseRecord,
  type PhaseSummary,
  type RollbackRecord,
  type SeriesPoint,
  type SuiteEntry,
  type SuiteJournal,
  type Verdict,
} from './journal';
import { startLoad, validateLoadOptions, type LoadOptions, type LoadRun } from './load';
import { evaluateThreshold, parseThreshold, percentile, ThresholdSyntaxError, type Threshold, type ThresholdMetric } from './thresholds';

/** What the runner needs of a fault: a name, a switch and a counter. Every `FaultPolicy` fits. */
export interface ExperimentFault {
  /** Name used in the journal (distinct within an experiment). */
  readonly name: string;
  /** Switches the fault on (called when the ramp or inject phase starts). */
  enable(): void;
  /** Switches the fault off at once (called at the start of the baseline and of recovery, and on halt). */
  disable(): void;
  /** Injections so far (the runner records the difference over the experiment). */
  readonly injections: number;
  /** The controller the fault obeys; the runner checks that it is armed. @defaultValue the global `chaos` */
  readonly controller?: ChaosGate | undefined;
}

/** What the runner needs of a chaos controller. `ChaosController` fits. */
export interface ChaosGate {
  /** Whether injection is allowed right now, and why not. */
  status(): {
    /** Armed and allowed to inject now. */
    readonly active: boolean;
    /** Why injection is off (`undefined` when active). */
    readonly reason: string | undefined;
  };
  /** The kill switch: stops every injection (used when a fault cannot be disabled). */
  halt(reason?: string): unknown;
}

/**
 * A circuit breaker whose state the runner records over time (a `CircuitBreakerPolicy`
 * fits). With `on`, openings are recorded at their exact time; without, the state is
 * read after every load call and at every evaluation.
 */
export interface WatchedCircuit {
  /** Name used in the journal and the charts. */
  readonly name: string;
  /** Current state: `closed`, `open`, `half-open` or `isolated`. */
  readonly state: string;
  /** Subscribes to openings (exact timestamps); optional. */
  on?(
    type: 'opened',
    listener: (event: {
      /** Clock time of the opening. */
      readonly time: number;
    }) => void,
  ): {
    /** Removes the listener. */
    dispose(): void;
  };
}

/** A threshold, optionally `hard` (broken during ramp or inject → the experiment halts at once). */
export type ThresholdSpec =
  | string
  | {
      /** The threshold expression, e.g. `p(99)<800`. */
      readonly threshold: string;
      /** Broken during ramp or inject → halt at once. @defaultValue false */
      readonly hard?: boolean | undefined;
    };

/** Thresholds per metric, for one operation. */
export interface OperationThresholds {
  /** On the failed share of completed calls: `rate<0.01`, `count<5`. */
  readonly errorRate?: readonly ThresholdSpec[] | undefined;
  /** On the successful share: `rate>0.995`. */
  readonly availability?: readonly ThresholdSpec[] | undefined;
  /** On call durations (ms): `p(99)<800`, `avg<200`, `max<2000`, `med<100`. */
  readonly latency?: readonly ThresholdSpec[] | undefined;
  /** On completed calls per second: `rate>40`. */
  readonly throughput?: readonly ThresholdSpec[] | undefined;
}

/** One check in the flat form. */
export interface CheckSpec {
  /** What the check measures. */
  readonly metric: ThresholdMetric;
  /** The threshold expression, e.g. `rate<0.01`. */
  readonly threshold: string;
  /** The operation (`'*'`: every call). @defaultValue `'*'` */
  readonly operation?: string | undefined;
  /** Halt at once when broken during ramp or inject. @defaultValue false */
  readonly hard?: boolean | undefined;
}

/**
 * Checks, either per operation (`{ '*': { errorRate: ['rate<0.01'] }, 'payment.charge': … }`,
 * `'*'` meaning every call) or as a flat list of {@link CheckSpec}.
 */
export type Checks = Readonly<Record<string, OperationThresholds>> | readonly CheckSpec[];

/** The durations (ms) of the phases. */
export interface ExperimentSchedule {
  /** Faults off; the steady state must hold here, or the experiment is skipped. */
  readonly baseline: number;
  /** Faults on, their intensity rising from 0 to 1 (see {@link faultIntensity}). @defaultValue 0 */
  readonly ramp?: number | undefined;
  /** Faults on at full intensity. */
  readonly inject: number;
  /** Faults off; the steady state must come back here. */
  readonly recovery: number;
  /** Length of an evaluation window (ms). Every phase is cut into windows of this length (the last one of a phase may be shorter). */
  readonly evaluationInterval: number;
}

/**
 * The load the runner drives for the whole experiment: {@link LoadOptions} without the
 * fields the runner owns (`duration`, `clock`, `onResult`), plus the operation of each
 * call. Give exactly one of `rate` and `concurrency`.
 */
export interface ExperimentLoad extends Omit<LoadOptions, 'duration' | 'clock' | 'onResult'> {
  /** The operation a call belongs to (a name, or a function of the call number). @defaultValue `'default'` */
  readonly operation?: string | ((index: number) => string) | undefined;
}

/** Receives the progress of an experiment (see `progressReporter`). Errors it throws are ignored. */
export interface ExperimentObserver {
  /** The experiment starts. */
  onStart?(info: ExperimentStartInfo): void;
  /** A phase starts. */
  onPhase?(info: { readonly experiment: string; readonly phase: ExperimentPhase; readonly elapsed: number; readonly duration: number }): void;
  /** A window was evaluated. */
  onEvaluation?(info: { readonly experiment: string; readonly elapsed: number; readonly duration: number; readonly point: SeriesPoint }): void;
  /** The experiment ended (after its rollbacks). */
  onEnd?(journal: ExperimentJournal): void;
}

/** Given to {@link ExperimentObserver.onStart}. */
export interface ExperimentStartInfo {
  /** The experiment's name. */
  readonly experiment: string;
  /** Its hypothesis. */
  readonly hypothesis: string;
  /** Planned duration (ms). */
  readonly duration: number;
  /** Position in a suite (1-based) and the suite's size; 1 of 1 outside a suite. */
  readonly position: number;
  /** Size of the suite. */
  readonly of: number;
}

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  /** Name of the experiment. Required. */
  readonly name: string;
  /** What you expect, in words: "checkout stays above 99.5 % when the gateway is slow". Required. */
  readonly hypothesis: string;
  /** The faults switched on during ramp and inject. Required (at least one). */
  readonly faults: readonly ExperimentFault[];
  /** The traffic. Required. */
  readonly load: ExperimentLoad;
  /** The steady-state hypothesis as checks. Required (at least one check). */
  readonly steadyState: Checks;
  /** The phases. Required. */
  readonly schedule: ExperimentSchedule;
  /** Extra checks that halt the experiment at once when broken during ramp or inject. @defaultValue none */
  readonly halt?: Checks | undefined;
  /** Run after the experiment ends, whatever the ending, in order, all of them. @defaultValue none */
  readonly rollbacks?: readonly (() => unknown)[] | undefined;
  /** A rollback that has not settled after this many ms is recorded as failed. @defaultValue 10 000 */
  readonly rollbackTimeout?: number | undefined;
  /** Recorded in the journal; build your faults' `random` from it (`seededRandom(seed)`). @defaultValue none */
  readonly seed?: number | undefined;
  /** The clock everything runs on. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Wall-clock time (epoch ms) for `startedAt` in the journal. @defaultValue none (no `startedAt`) */
  readonly wallClock?: (() => number) | undefined;
  /** The chaos controller that must be armed. @defaultValue the faults' controllers (the global `chaos` for faults without one) */
  readonly controller?: ChaosGate | undefined;
  /** Circuit breakers whose state is recorded over time and counts for time to detect. @defaultValue none */
  readonly circuitBreakers?: readonly WatchedCircuit[] | undefined;
  /** Consecutive evaluations in which the steady state holds that count as "recovered". @defaultValue 3 */
  readonly recoveryStreak?: number | undefined;
  /** Driven by the runner during the ramp (see {@link faultIntensity}). @defaultValue none */
  readonly intensity?: FaultIntensity | undefined;
  /** Progress receiver (see `progressReporter`). @defaultValue none */
  readonly progress?: ExperimentObserver | undefined;
}

// ------------------------------------------------------------------ intensity

/**
 * A dial from 0 to 1 that the runner turns during the ramp: give faults a rate made by
 * {@link FaultIntensity.scale} and pass the dial as the experiment's `intensity`. Outside
 * an experiment the level is 1.
 *
 * @example
 * ```ts
 * const intensity = faultIntensity();
 * const errors = faultInjection({ rate: intensity.scale(0.5) }); // 0 → 0.5 during the ramp
 * await runExperiment({ ...experiment, faults: [errors], intensity, schedule: { ...schedule, ramp: 10_000 } });
 * ```
 */
export class FaultIntensity {
  private clock: Clock | undefined = undefined;
  private from = 0;
  private to = 0;
  private fixed = 1;

  /** The current level, 0–1. */
  get level(): number {
    const c = this.clock;
    if (c === undefined) return this.fixed;
    const t = c.now();
    if (t >= this.to) return 1;
    if (t <= this.from) return 0;
    return (t - this.from) / (this.to - this.from);
  }

  /** A rate function for a fault's `rate` option: `max × level`. */
  scale(max: number): () => number {
    if (!(typeof max === 'number' && max >= 0 && max <= 1)) throw new RangeError(`FaultIntensity.scale() expects a rate in [0, 1], got ${String(max)}`);
    return () => max * this.level;
  }

  /** @internal Ramps linearly from `from` to `to` (clock times). */
  ramp(clock: Clock, from: number, to: number): void {
    this.clock = clock;
    this.from = from;
    this.to = to;
  }

  /** @internal Holds a fixed level. */
  set(level: number): void {
    this.clock = undefined;
    this.fixed = level;
  }
}

/**
 * Creates a {@link FaultIntensity} dial.
 *
 * @example
 * ```ts
 * const intensity = faultIntensity();
 * const slow = paymentGatewaySlow({ rate: intensity.scale(0.5) });
 * ```
 */
export function faultIntensity(): FaultIntensity {
  return new FaultIntensity();
}

// ------------------------------------------------------------------ validation

interface CompiledCheck {
  readonly record: CheckRecord;
  readonly threshold: Threshold;
}

const METRICS: readonly ThresholdMetric[] = ['errorRate', 'availability', 'latency', 'throughput'];

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
  circuitBreakers: rules.arrayOf({ expected: 'a circuit breaker ({ name, state })', check: isCircuit }),
  recoveryStreak: rules.integer(1, 1000),
  intensity: { expected: 'a FaultIntensity (from faultIntensity())', check: (v: unknown) => v instanceof FaultIntensity } satisfies Rule,
  progress: { expected: 'an observer object', check: (v: unknown) => typeof v === 'object' && v !== null } satisfies Rule,
};

function compileChecks(input: Checks, role: CheckRecord['role'], path: string, issues: ValidationIssue[], out: CompiledCheck[]): void {
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

interface Plan {
  readonly o: ExperimentOptions;
  readonly checks: readonly CompiledCheck[];
  readonly windows: readonly { readonly phase: ExperimentPhase; readonly start: number; readonly end: number }[];
  readonly phases: readonly PhaseRecord[];
  readonly streak: number;
}

function plan(options: ExperimentOptions): Plan {
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
  const windows: { phase: ExperimentPhase; start: number; end: number }[] = [];
  for (const p of phases) {
    for (let w = p.start; w < p.end; w += s.evaluationInterval) windows.push({ phase: p.phase, start: w, end: Math.min(w + s.evaluationInterval, p.end) });
  }
  return { o, checks, windows, phases, streak: o.recoveryStreak ?? 3 };
}

// ------------------------------------------------------------------ measurement

class Bucket {
  calls = 0;
  failures = 0;
  durations: number[] = [];
  add(ok: boolean, duration: number): void {
    this.calls++;
    if (!ok) this.failures++;
    this.durations.push(duration);
  }
  sorted(): number[] {
    return this.durations.sort((a, b) => a - b);
  }
}

const STATE_RANK: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };
const rank = (s: string): number => STATE_RANK[s] ?? 1;
const round = (x: number): number => Math.round(x * 1000) / 1000;
const nul = (x: number): number | null => (Number.isFinite(x) ? round(x) : null);

function summarize(b: Bucket): PhaseSummary {
  const d = b.sorted();
  return {
    calls: b.calls,
    failures: b.failures,
    availability: b.calls === 0 ? null : round((b.calls - b.failures) / b.calls),
    p50: nul(percentile(d, 50)),
    p99: nul(percentile(d, 99)),
    max: d.length === 0 ? null : round(d[d.length - 1] as number),
  };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'unknown error';
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // observers must not break an experiment
  }
}

// ------------------------------------------------------------------ the runner

/**
 * Runs one chaos experiment and resolves with its journal (it never rejects for what
 * happens during the run: that is in the verdict). Rejects with an
 * `OptionsValidationError` for bad options, naming every bad field and threshold.
 *
 * - `baseline`: faults off. A steady-state check broken here, or no data at all → verdict
 *   `skipped`, nothing is injected.
 * - `ramp` (optional) and `inject`: faults on. A `hard` check (or a `halt` check) broken →
 *   `halted` at once: faults off, load stopped, rollbacks run. A steady-state breach that is
 *   not hard is what the experiment measures (time to detect), not a failure.
 * - `recovery`: faults off. The steady state must hold for `recoveryStreak` consecutive
 *   evaluations before the end, or the verdict is `fail`; otherwise `pass`.
 * - The chaos controller(s) must be armed (and active) at the start, or the verdict is
 *   `aborted` with the controller's reason and nothing runs (no load, no rollbacks). If
 *   chaos is disarmed or halted while faults are on, the verdict is `aborted`.
 * - An error of the runner itself (a fault's `enable()` throwing…) → `aborted`.
 * - Rollbacks run once each, in order, after every ending of a started experiment, even
 *   when one fails.
 *
 * @example
 * ```ts
 * const journal = await runExperiment({
 *   name: 'payment gateway down',
 *   hypothesis: 'checkout stays available through the fallback queue',
 *   faults: [paymentGatewayDown({ clock })],
 *   load: { fn: () => checkout(), rate: 20 },
 *   steadyState: { '*': { availability: ['rate>0.99'], latency: ['p(99)<800'] } },
 *   schedule: { baseline: 5_000, inject: 20_000, recovery: 10_000, evaluationInterval: 1_000 },
 *   circuitBreakers: [breaker],
 *   clock,
 * });
 * console.log(journal.verdict, journal.mttr);
 * ```
 */
export function runExperiment(options: ExperimentOptions): Promise<ExperimentJournal> {
  return runPlanned(options, 1, 1);
}

async function runPlanned(options: ExperimentOptions, position: number, of: number): Promise<ExperimentJournal> {
  const p = plan(options);
  return new Experiment(p, position, of).run();
}

class Experiment {
  private readonly o: ExperimentOptions;
  private readonly clock: Clock;
  private t0 = 0;
  private readonly total: number;
  private readonly gates: ChaosGate[];
  private readonly evaluations: EvaluationRecord[] = [];
  private readonly series: SeriesPoint[] = [];
  private readonly phaseRecords: PhaseRecord[] = [];
  private readonly phaseBuckets = new Map<ExperimentPhase, Bucket>();
  private readonly overall = new Bucket();
  private readonly underFault = new Bucket();
  private window = new Map<string, Bucket>();
  private windowIndex = 0;
  /** When the current window began (ms since the start; later than planned on a busy real clock). */
  private windowStartedAt = 0;
  private phase: ExperimentPhase = 'baseline';
  private worst = new Map<string, string>();
  private readonly lastSeen = new Map<string, string>();
  private readonly startInjections: number[];
  private faultsOnAt: number | null = null;
  private faultsOffAt: number | null = null;
  private detectAt: number | null = null;
  private detectedBy: string | null = null;
  private streak = 0;
  private streakStart = 0;
  private mttr: number | null = null;
  /** Per circuit: when it last became closed (absent while it is not closed). */
  private readonly closedAt = new Map<string, number>();
  /** A steady-state check broke while faults were on. */
  private breachedUnderFault = false;
  /** The steady state was evaluated on data at least once while faults were on. */
  private checkedUnderFault = false;
  private baselineHeld = false;
  private verdict: Verdict | undefined = undefined;
  private reason = '';
  private ended = false;
  private load: LoadRun | undefined;
  private timer: TimerEntry | undefined;
  private readonly subscriptions: { dispose(): void }[] = [];
  private resolveEnd: () => void = () => undefined;

  constructor(
    private readonly p: Plan,
    private readonly position: number,
    private readonly of: number,
  ) {
    this.o = p.o;
    this.clock = this.o.clock ?? systemClock;
    this.total = p.phases.reduce((a, ph) => a + (ph.end - ph.start), 0);
    const gates = new Set<ChaosGate>();
    if (this.o.controller !== undefined) gates.add(this.o.controller);
    else for (const f of this.o.faults) gates.add(f.controller ?? chaos);
    this.gates = [...gates];
    this.startInjections = this.o.faults.map((f) => f.injections);
  }

  private now(): number {
    return round(this.clock.now() - this.t0);
  }

  private notify(fn: (obs: ExperimentObserver) => void): void {
    const obs = this.o.progress;
    if (obs !== undefined) safely(() => fn(obs));
  }

  async run(): Promise<ExperimentJournal> {
    this.t0 = this.clock.now();
    this.notify((obs) => obs.onStart?.({ experiment: this.o.name, hypothesis: this.o.hypothesis, duration: this.total, position: this.position, of: this.of }));
    for (const gate of this.gates) {
      const status = gate.status();
      if (!status.active) {
        this.verdict = 'aborted';
        this.reason = `refused to start: chaos is off (${status.reason ?? 'not armed'})`;
        const journal = this.journal([]);
        this.notify((obs) => obs.onEnd?.(journal));
        return journal;
      }
    }
    const ended = new Promise<void>((r) => (this.resolveEnd = r));
    try {
      // Baseline runs with every fault off (a fault starts switched on unless built with `enabled: false`).
      for (const f of this.o.faults) f.disable();
      this.t0 = this.clock.now();
      this.watchCircuits();
      this.enterPhase(0);
      const l = this.o.load;
      const opOf = l.operation;
      const maxCalls = l.maxCalls ?? 100_000;
      this.load = startLoad({
        fn: l.fn,
        clock: this.clock,
        ...(l.rate !== undefined ? { rate: l.rate } : {}),
        ...(l.concurrency !== undefined ? { concurrency: l.concurrency } : {}),
        ...(l.maxInFlight !== undefined ? { maxInFlight: l.maxInFlight } : {}),
        ...(l.thinkTime !== undefined ? { thinkTime: l.thinkTime } : {}),
        maxCalls,
        duration: this.total,
        onResult: (r) => {
          if (this.ended) return;
          const op = opOf === undefined ? 'default' : typeof opOf === 'string' ? opOf : safeOperation(opOf, r.index);
          this.record(op, r.ok, r.end - r.start);
        },
      });
      this.schedule();
    } catch (error) {
      this.finish('aborted', `runner error: ${describeError(error)}`);
    }
    await ended;
    const rollbacks = await this.rollback();
    const journal = this.journal(rollbacks);
    this.notify((obs) => obs.onEnd?.(journal));
    return journal;
  }

  private watchCircuits(): void {
    for (const c of this.o.circuitBreakers ?? []) {
      const s = c.state;
      this.lastSeen.set(c.name, s);
      this.worst.set(c.name, s);
      if (typeof c.on === 'function') {
        this.subscriptions.push(
          c.on('opened', (e) => {
            if (this.ended) return;
            this.noteState(c.name, 'open', typeof e.time === 'number' ? round(e.time - this.t0) : this.now());
          }),
        );
      }
    }
  }

  private pollCircuits(): void {
    for (const c of this.o.circuitBreakers ?? []) this.noteState(c.name, c.state, this.now());
  }

  private noteState(name: string, state: string, at: number): void {
    const prev = this.lastSeen.get(name);
    this.lastSeen.set(name, state);
    if (state !== 'closed') this.closedAt.delete(name);
    else if (prev !== undefined && prev !== 'closed') this.closedAt.set(name, at);
    const w = this.worst.get(name);
    if (w === undefined || rank(state) > rank(w)) this.worst.set(name, state);
    // An opening seen by an event and then by polling counts once (the poll sees no change).
    if ((state === 'open' || state === 'isolated') && prev !== 'open' && prev !== 'isolated') this.detect(at, `circuit ${name} opened`);
  }

  private detect(at: number, what: string): void {
    if (this.faultsOnAt === null || this.faultsOffAt !== null || at < this.faultsOnAt) return;
    if (this.detectAt === null || at < this.detectAt) {
      this.detectAt = at;
      this.detectedBy = what;
    }
  }

  private record(op: string, ok: boolean, duration: number): void {
    const d = round(duration);
    let b = this.window.get(op);
    if (b === undefined) this.window.set(op, (b = new Bucket()));
    b.add(ok, d);
    if (op !== '*') {
      let all = this.window.get('*');
      if (all === undefined) this.window.set('*', (all = new Bucket()));
      all.add(ok, d);
    }
    this.overall.add(ok, d);
    if (this.phase === 'ramp' || this.phase === 'inject') this.underFault.add(ok, d);
    let pb = this.phaseBuckets.get(this.phase);
    if (pb === undefined) this.phaseBuckets.set(this.phase, (pb = new Bucket()));
    pb.add(ok, d);
    if (this.o.circuitBreakers !== undefined) safely(() => this.pollCircuits());
  }

  private schedule(): void {
    const w = this.p.windows[this.windowIndex];
    if (w === undefined) return;
    this.timer = timerServiceFor(this.clock).schedule(this.t0 + w.end, () => {
      this.timer = undefined;
      try {
        this.tick();
      } catch (error) {
        this.finish('aborted', `runner error: ${describeError(error)}`);
      }
    });
  }

  private enterPhase(index: number): void {
    const w = this.p.windows[index] as { phase: ExperimentPhase; start: number };
    const prev = this.phaseRecords[this.phaseRecords.length - 1];
    if (prev !== undefined && prev.phase === w.phase) return;
    const at = this.now();
    if (prev !== undefined) this.phaseRecords[this.phaseRecords.length - 1] = { ...prev, end: at };
    this.phaseRecords.push({ phase: w.phase, start: at, end: at });
    this.phase = w.phase;
    const intensity = this.o.intensity;
    if (w.phase === 'ramp' || w.phase === 'inject') {
      if (w.phase === 'ramp') {
        const ramp = this.p.phases.find((ph) => ph.phase === 'ramp') as PhaseRecord;
        intensity?.ramp(this.clock, this.t0 + ramp.start, this.t0 + ramp.end);
      } else intensity?.set(1);
      if (this.faultsOnAt === null) {
        this.faultsOnAt = at;
        for (const f of this.o.faults) f.enable();
      }
    } else if (w.phase === 'recovery') {
      this.faultsOff();
      intensity?.set(0);
    } else intensity?.set(0);
    this.notify((obs) => obs.onPhase?.({ experiment: this.o.name, phase: w.phase, elapsed: at, duration: this.total }));
  }

  /** Switches every fault off; a fault that refuses is stopped by its controller's kill switch. Returns the first error. */
  private faultsOff(): string | undefined {
    if (this.faultsOnAt === null || this.faultsOffAt !== null) return undefined;
    this.faultsOffAt = this.now();
    let problem: string | undefined;
    for (const f of this.o.faults) {
      try {
        f.disable();
      } catch (error) {
        problem ??= `could not switch fault "${f.name}" off (${describeError(error)}); its controller was halted`;
        try {
          (f.controller ?? this.o.controller ?? chaos).halt(`experiment "${this.o.name}" could not disable fault "${f.name}"`);
        } catch {
          // nothing more we can do: reported in the verdict
        }
      }
    }
    return problem;
  }

  private tick(): void {
    if (this.ended) return;
    const index = this.windowIndex;
    const w = this.p.windows[index] as { phase: ExperimentPhase; start: number; end: number };
    if (this.o.circuitBreakers !== undefined) this.pollCircuits();
    const at = this.now();
    const start = this.windowStartedAt;
    const length = at > start ? at - start : w.end - w.start;
    let steady: boolean | null = true;
    let halt: CompiledCheck | undefined;
    const sorted = new Map<string, Bucket>();
    for (const [op, b] of this.window) {
      b.sorted();
      sorted.set(op, b);
    }
    const empty = new Bucket();
    let breach: CompiledCheck | undefined;
    for (const c of this.p.checks) {
      const b = sorted.get(c.record.operation) ?? empty;
      const r = evaluateThreshold(c.record.metric, c.threshold, { calls: b.calls, failures: b.failures, durations: b.durations, length });
      const value = r.value === null ? null : round(r.value);
      this.evaluations.push({ time: at, phase: w.phase, window: index, check: c.record.id, threshold: c.record.threshold, value, pass: r.pass });
      if (r.pass === false) {
        if (c.record.role === 'steady-state') {
          steady = false;
          breach ??= c;
        }
        if (c.record.hard && (w.phase === 'ramp' || w.phase === 'inject')) halt ??= c;
      } else if (r.pass === null && c.record.role === 'steady-state' && steady === true) steady = null;
    }
    const all = sorted.get('*') ?? empty;
    const circuits: Record<string, string> = {};
    for (const [name, s] of this.worst) circuits[name] = s;
    const point: SeriesPoint = {
      window: index,
      phase: w.phase,
      start,
      end: at,
      calls: all.calls,
      failures: all.failures,
      errorRate: all.calls === 0 ? null : round(all.failures / all.calls),
      p50: nul(percentile(all.durations, 50)),
      p99: nul(percentile(all.durations, 99)),
      throughput: round((all.calls * 1000) / length),
      circuits,
      steady,
    };
    this.series.push(point);
    // next window
    this.window = new Map();
    this.windowStartedAt = at;
    this.worst = new Map(this.lastSeen);
    this.notify((obs) => obs.onEvaluation?.({ experiment: this.o.name, elapsed: at, duration: this.total, point }));

    if (w.phase === 'baseline') {
      if (steady === false) return this.finish('skipped', `baseline not met: ${(breach as CompiledCheck).record.id} broke at ${at} ms (value ${String(this.evaluations.find((e) => e.time === at && e.check === (breach as CompiledCheck).record.id)?.value)}); nothing was injected`);
      if (steady === true) this.baselineHeld = true;
    } else if (w.phase === 'ramp' || w.phase === 'inject') {
      if (steady !== null) this.checkedUnderFault = true;
      if (breach !== undefined) {
        this.breachedUnderFault = true;
        this.detect(at, `breach ${breach.record.id}`);
      }
      for (const gate of this.gates) {
        const status = gate.status();
        if (!status.active) return this.finish('aborted', `chaos was switched off during the experiment (${status.reason ?? 'not armed'})`);
      }
      if (halt !== undefined) {
        const v = this.evaluations.find((e) => e.time === at && e.check === (halt as CompiledCheck).record.id)?.value;
        return this.finish('halted', `halt condition ${halt.record.id} broke at ${at} ms (value ${String(v)}): faults switched off`);
      }
    } else {
      if (steady === true) {
        if (this.streak === 0) this.streakStart = start;
        this.streak++;
        if (this.streak >= this.p.streak && this.mttr === null && this.faultsOffAt !== null) this.mttr = round(Math.max(0, this.streakStart - this.faultsOffAt));
      } else this.streak = 0;
    }

    const next = this.p.windows[index + 1];
    if (next === undefined) {
      if (this.mttr !== null) {
        const why =
          this.checkedUnderFault && !this.breachedUnderFault
            ? `steady state held while the faults were on and after (${this.p.streak} consecutive evaluations in recovery)`
            : `steady state back ${this.mttr} ms after the faults went off (${this.p.streak} consecutive evaluations)`;
        return this.finish('pass', why);
      }
      return this.finish('fail', `steady state not back within the ${this.o.schedule.recovery} ms recovery window (needed ${this.p.streak} consecutive evaluations)`);
    }
    if (next.phase !== w.phase) {
      if (w.phase === 'baseline' && !this.baselineHeld) return this.finish('skipped', 'baseline not met: no call completed during the baseline, so the steady state could not be verified; nothing was injected');
      this.windowIndex = index + 1;
      this.enterPhase(index + 1);
    } else this.windowIndex = index + 1;
    this.schedule();
  }

  private finish(verdict: Verdict, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.verdict = verdict;
    this.reason = reason;
    this.timer?.cancel();
    this.timer = undefined;
    const problem = this.faultsOff();
    if (problem !== undefined && verdict !== 'aborted') {
      this.verdict = 'aborted';
      this.reason = `${reason}; then ${problem}`;
    }
    this.o.intensity?.set(1);
    this.load?.stop();
    for (const s of this.subscriptions) safely(() => s.dispose());
    const at = this.now();
    const last = this.phaseRecords[this.phaseRecords.length - 1];
    if (last !== undefined) this.phaseRecords[this.phaseRecords.length - 1] = { ...last, end: at };
    this.resolveEnd();
  }

  private async rollback(): Promise<RollbackRecord[]> {
    const out: RollbackRecord[] = [];
    const list = this.o.rollbacks ?? [];
    const limit = this.o.rollbackTimeout ?? 10_000;
    for (let i = 0; i < list.length; i++) {
      const fn = list[i] as () => unknown;
      const name = fn.name !== '' ? fn.name : `rollback #${i + 1}`;
      const start = this.clock.now();
      let ok = true;
      let error: string | undefined;
      try {
        const r = fn();
        if (isThenable(r)) await withTimeout(r, limit, this.clock);
      } catch (e) {
        ok = false;
        error = describeError(e);
      }
      out.push({ index: i, name, ok, ...(error !== undefined ? { error } : {}), duration: round(this.clock.now() - start) });
    }
    return out;
  }

  /** Faults off → every watched circuit closed again (see {@link ExperimentJournal.circuitsClosedAfter}). */
  private circuitsClosedAfter(): number | null {
    const off = this.faultsOffAt;
    if (off === null || this.lastSeen.size === 0) return null;
    let latest = off;
    for (const [name, state] of this.lastSeen) {
      if (state !== 'closed') return null;
      const at = this.closedAt.get(name);
      if (at !== undefined && at > latest) latest = at;
    }
    return round(latest - off);
  }

  private journal(rollbacks: RollbackRecord[]): ExperimentJournal {
    const o = this.o;
    const injections: Record<string, number> = {};
    o.faults.forEach((f, i) => {
      let n = 0;
      try {
        n = f.injections - (this.startInjections[i] ?? 0);
      } catch {
        n = 0;
      }
      injections[f.name] = n;
    });
    const phases: Partial<Record<ExperimentPhase, PhaseSummary>> = {};
    for (const [ph, b] of this.phaseBuckets) phases[ph] = summarize(b);
    const share = (pred: (p: SeriesPoint) => boolean): number | null => {
      const pts = this.series.filter((p) => pred(p) && p.steady !== null);
      return pts.length === 0 ? null : round(pts.filter((p) => p.steady === true).length / pts.length);
    };
    const stats = this.load?.stats;
    const s = o.schedule;
    return {
      kind: 'experiment',
      version: 1,
      experiment: o.name,
      hypothesis: o.hypothesis,
      seed: o.seed ?? null,
      startedAt: o.wallClock === undefined ? null : safeIso(o.wallClock),
      schedule: {
        baseline: s.baseline,
        ramp: s.ramp ?? 0,
        inject: s.inject,
        recovery: s.recovery,
        evaluationInterval: s.evaluationInterval,
        recoveryStreak: this.p.streak,
      },
      phases: this.phaseRecords,
      faults: o.faults.map((f) => f.name),
      checks: this.p.checks.map((c) => c.record),
      evaluations: this.evaluations,
      series: this.series,
      injections,
      faultsOnAt: this.faultsOnAt,
      faultsOffAt: this.faultsOffAt,
      timeToDetect: this.detectAt === null || this.faultsOnAt === null ? null : round(this.detectAt - this.faultsOnAt),
      detectedBy: this.detectedBy,
      mttr: this.mttr,
      circuitsClosedAfter: this.circuitsClosedAfter(),
      rollbacks,
      summary: { overall: summarize(this.overall), underFault: summarize(this.underFault), phases, started: stats?.started ?? 0, dropped: stats?.dropped ?? 0 },
      heldDuringInjection: share((p) => p.phase === 'ramp' || p.phase === 'inject'),
      heldDuringRecovery: share((p) => p.phase === 'recovery'),
      verdict: this.verdict ?? 'aborted',
      reason: this.reason,
      duration: this.phaseRecords.length === 0 ? 0 : this.now(),
    };
  }
}

function safeOperation(fn: (index: number) => string, index: number): string {
  try {
    const op = fn(index);
    return typeof op === 'string' && op !== '' ? op : 'default';
  } catch {
    return 'default';
  }
}

function safeIso(wallClock: () => number): string | null {
  try {
    return new Date(wallClock()).toISOString();
  } catch {
    return null;
  }
}

function withTimeout(p: PromiseLike<unknown>, ms: number, clock: Clock): Promise<unknown> {
  if (ms === Number.POSITIVE_INFINITY) return Promise.resolve(p);
  return new Promise((resolve, reject) => {
    const entry = timerServiceFor(clock).schedule(clock.now() + ms, () => reject(new Error(`did not settle within ${ms} ms (rollbackTimeout)`)));
    p.then(
      (v) => {
        entry.cancel();
        resolve(v);
      },
      (e: unknown) => {
        entry.cancel();
        reject(e);
      },
    );
  });
}

// ------------------------------------------------------------------ suites

/** One experiment of a suite. */
export interface SuiteExperiment {
  /** Relative importance in the resilience score. @defaultValue 1 */
  readonly weight?: number | undefined;
  /** The experiment's options. */
  readonly experiment: ExperimentOptions;
}

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  /** Name of the suite. Required. */
  readonly name: string;
  /** The experiments, run one after the other. Required (at least one). */
  readonly experiments: readonly SuiteExperiment[];
  /** Recorded in the suite journal. @defaultValue none */
  readonly seed?: number | undefined;
  /** The clock used to time the suite. @defaultValue the first experiment's clock */
  readonly clock?: Clock | undefined;
  /** Wall-clock time for `startedAt`. @defaultValue none */
  readonly wallClock?: (() => number) | undefined;
  /** Progress receiver for every experiment (overrides theirs). @defaultValue each experiment's own */
  readonly progress?: ExperimentObserver | undefined;
}

const suiteSchema = {
  name: rules.required(rules.string()),
  experiments: rules.required(
    rules.arrayOf(
      {
        expected: 'an object { experiment, weight? } with a finite weight ≥ 0',
        check: (v) =>
          isPlainObject(v) &&
          isPlainObject(v['experiment']) &&
          Object.keys(v).every((k) => k === 'experiment' || k === 'weight') &&
          (v['weight'] === undefined || (typeof v['weight'] === 'number' && Number.isFinite(v['weight']) && v['weight'] >= 0)),
      },
      { minLength: 1 },
    ),
  ),
  seed: rules.number(),
  clock: rules.clock(),
  wallClock: rules.func(),
  progress: { expected: 'an observer object', check: (v: unknown) => typeof v === 'object' && v !== null } satisfies Rule,
};

/**
 * Runs experiments one after the other and resolves with the suite journal and its
 * weighted resilience score (see `resilienceScore`). Every experiment's options are
 * validated before the first one starts.
 *
 * @example
 * ```ts
 * const suite = await runSuite({
 *   name: 'game backend',
 *   experiments: [{ weight: 3, experiment: paymentsDown }, { weight: 1, experiment: cdnSlow }],
 * });
 * console.log(`resilience score ${suite.score}/100`);
 * ```
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteJournal> {
  const o = validateOptions<SuiteOptions>('runSuite', options, suiteSchema);
  const list = o.experiments.map((e) => ({ weight: e.weight ?? 1, options: o.progress === undefined ? e.experiment : { ...e.experiment, progress: o.progress } }));
  list.forEach((e) => plan(e.options)); // validate all before running any
  const clock = o.clock ?? list[0]?.options.clock ?? systemClock;
  const t0 = clock.now();
  const entries: SuiteEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as { weight: number; options: ExperimentOptions };
    const journal = await runPlanned(e.options, i + 1, list.length);
    entries.push({ weight: e.weight, score: experimentScore(journal), journal });
  }
  const verdicts: Record<Verdict, number> = { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 };
  for (const e of entries) verdicts[e.journal.verdict]++;
  return {
    kind: 'suite',
    version: 1,
    name: o.name,
    seed: o.seed ?? null,
    startedAt: o.wallClock === undefined ? null : safeIso(o.wallClock),
    experiments: entries,
    score: resilienceScore(entries),
    verdicts,
    duration: round(clock.now() - t0),
  };
}
