/**
 * The chaos experiment driver: it runs a {@link Plan} — baseline → (ramp) → inject →
 * recovery — on the experiment's clock, drives the load, switches the faults, closes and
 * evaluates each window, and carries out what `decide` (decide.ts) says the window means;
 * then it runs the rollbacks and writes the journal.
 *
 * The runner only schedules on the experiment's clock (through the clock's timer service):
 * on the system clock it runs in real time, on a `VirtualClock` it runs as fast as the
 * test advances the clock (`await clock.runAll()`). No timer of it survives the
 * experiment.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../../core/clock';
import { timerServiceFor, type TimerEntry } from '../../core/timer-service';
import { evaluateChecks } from './checks';
import { CircuitWatch } from './circuit-watch';
import { decide, faultsOnIn, initialProgress, type Ending, type Progress } from './decide';
import type { ExperimentObserver, ExperimentOptions } from './experiment-options';
import { Detection, FaultSwitch } from './fault-switch';
import { GaugeSampler } from './gauges';
import { ImpactMeter, planExperiment, type ExperimentPlan } from './impact';
import type { EvaluationRecord, ExperimentJournal, ExperimentPhase, RollbackRecord, SeriesPoint, Verdict } from './journal';
import { startLoad, type LoadRun } from './load';
import { PhaseLog } from './plan';
import { runRollbacks } from './rollbacks';
import { describeError, safely, safeIso, safeOperation } from './user-callbacks';
import { Measurements, round, seriesPoint, summarize } from './window-stats';

/**
 * Runs one chaos experiment and resolves with its journal (it never rejects for what
 * happens during the run: that is in the verdict). Rejects with an
 * `OptionsValidationError` for bad options, naming every bad field and threshold.
 *
 * The phases: `baseline` (faults off), `ramp` (optional) and `inject` (faults on),
 * `recovery` (faults off), each cut into windows of `schedule.evaluationInterval`. After
 * each window the checks are evaluated over the calls that completed in it, and `decide`
 * (in `decide.ts`, the one place the verdict rules are written) says whether the
 * experiment goes on or ends with `pass`, `fail`, `halted`, `aborted` or `skipped`.
 * Besides, the verdict is `aborted` when the chaos controller(s) are not armed and active
 * at the start (then nothing runs: no load, no rollbacks), when the runner itself fails (a
 * fault's `enable()` throwing…), or when a fault cannot be switched off at the end.
 * Whatever the ending of a started experiment, the faults go off, the load stops, and the
 * rollbacks run once each, in order, even when one fails.
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

/** @internal Plans and runs an experiment, `position` of `of` in a suite. */
export async function runPlanned(options: ExperimentOptions, position: number, of: number): Promise<ExperimentJournal> {
  return new ExperimentRun(planExperiment(options), position, of).run();
}

/** One run of a planned experiment. */
class ExperimentRun {
  private readonly o: ExperimentOptions;
  private readonly clock: Clock;
  /** The start on the clock: every time of the journal is relative to it. */
  private t0 = 0;
  private readonly faults: FaultSwitch;
  private readonly detection: Detection;
  private readonly circuits: CircuitWatch;
  private readonly measurements = new Measurements();
  /** Blast radius and SLOs. */
  private readonly impact: ImpactMeter;
  /** The user's gauges, read at every evaluation. */
  private readonly gauges: GaugeSampler;
  private readonly phases = new PhaseLog();
  private readonly evaluations: EvaluationRecord[] = [];
  private readonly series: SeriesPoint[] = [];
  /** What the windows so far established (see `decide`). */
  private progress: Progress;
  /** The window being measured. */
  private windowIndex = 0;
  private phase: ExperimentPhase = 'baseline';
  /** Set once, when the experiment ends. */
  private ending: Ending | undefined;
  private load: LoadRun | undefined;
  private timer: TimerEntry | undefined;
  private resolveEnd: () => void = () => undefined;

  constructor(
    private readonly p: ExperimentPlan,
    private readonly position: number,
    private readonly of: number,
  ) {
    this.o = p.o;
    this.clock = this.o.clock ?? systemClock;
    this.faults = new FaultSwitch(this.o.faults, this.o.controller, this.o.name, this.o.fleet === true);
    this.detection = new Detection(this.faults);
    this.circuits = new CircuitWatch(this.o.circuitBreakers ?? [], this.clock, (at, what) => this.detection.note(at, what));
    this.progress = initialProgress(p.streak, this.o.schedule.recovery);
    this.impact = new ImpactMeter(p);
    this.gauges = new GaugeSampler(this.o.gauges);
  }

  async run(): Promise<ExperimentJournal> {
    this.t0 = this.clock.now();
    this.notify((obs) => obs.onStart?.({ experiment: this.o.name, hypothesis: this.o.hypothesis, duration: this.p.total, position: this.position, of: this.of }));
    const off = this.faults.inactive();
    if (off !== undefined) {
      this.ending = { verdict: 'aborted', reason: `refused to start: chaos is off (${off.reason ?? 'not armed'})` };
      return this.end([]);
    }
    const ended = new Promise<void>((r) => (this.resolveEnd = r));
    try {
      this.faults.reset();
      this.t0 = this.clock.now();
      this.circuits.start(this.t0);
      this.enterPhase(0);
      this.load = this.startLoad();
      this.schedule();
    } catch (error) {
      this.finish('aborted', `runner error: ${describeError(error)}`);
    }
    await ended;
    return this.end(await runRollbacks(this.o.rollbacks ?? [], this.o.rollbackTimeout ?? 10_000, this.clock));
  }

  private end(rollbacks: RollbackRecord[]): ExperimentJournal {
    const journal = this.journal(rollbacks);
    this.notify((obs) => obs.onEnd?.(journal));
    return journal;
  }

  private now(): number {
    return round(this.clock.now() - this.t0);
  }

  private notify(fn: (obs: ExperimentObserver) => void): void {
    const obs = this.o.progress;
    if (obs !== undefined) safely(() => fn(obs));
  }

  private startLoad(): LoadRun {
    const l = this.o.load;
    const opOf = l.operation;
    return startLoad({
      fn: l.fn,
      clock: this.clock,
      ...(l.rate !== undefined ? { rate: l.rate } : {}),
      ...(l.concurrency !== undefined ? { concurrency: l.concurrency } : {}),
      ...(l.maxInFlight !== undefined ? { maxInFlight: l.maxInFlight } : {}),
      ...(l.thinkTime !== undefined ? { thinkTime: l.thinkTime } : {}),
      ...(l.userKey !== undefined ? { userKey: l.userKey } : {}),
      maxCalls: l.maxCalls ?? 100_000,
      duration: this.p.total,
      onResult: (r) => {
        if (this.ending !== undefined) return;
        const op = opOf === undefined ? 'default' : typeof opOf === 'string' ? opOf : safeOperation(opOf, r.index);
        this.measurements.record(op, r.ok, r.end - r.start, this.phase);
        this.impact.record(op, r, this.phase);
        this.circuits.afterCall();
      },
    });
  }

  /** Arms the timer that ends the current window. */
  private schedule(): void {
    const w = this.p.windows[this.windowIndex];
    if (w === undefined) return;
    this.timer = timerServiceFor(this.clock).schedule(this.t0 + w.end, () => {
      this.timer = undefined;
      try {
        this.evaluate();
      } catch (error) {
        this.finish('aborted', `runner error: ${describeError(error)}`);
      }
    });
  }

  private enterPhase(index: number): void {
    const w = this.p.windows[index] as { phase: ExperimentPhase; start: number };
    const at = this.now();
    if (!this.phases.enter(w.phase, at)) return;
    this.phase = w.phase;
    const intensity = this.o.intensity;
    if (faultsOnIn(w.phase)) {
      if (w.phase === 'ramp') {
        const ramp = this.p.phases.find((ph) => ph.phase === 'ramp') as { start: number; end: number };
        intensity?.ramp(this.clock, this.t0 + ramp.start, this.t0 + ramp.end);
      } else intensity?.set(1);
      this.faults.on(at, this.fleetLease(at));
    } else {
      if (w.phase === 'recovery') this.faults.off(at);
      intensity?.set(0);
    }
    this.notify((obs) => obs.onPhase?.({ experiment: this.o.name, phase: w.phase, elapsed: at, duration: this.p.total }));
  }

  /** How long the other instances of a fleet keep the faults on if the "off" never comes: to the inject phase's planned end, plus one window (≥ 1 s). */
  private fleetLease(at: number): number {
    const inject = this.p.phases.find((ph) => ph.phase === 'inject');
    return Math.max(1, (inject?.end ?? at) - at) + Math.max(1_000, this.o.schedule.evaluationInterval);
  }

  /** Ends the current window: evaluates it, records it, and does what `decide` says. */
  private evaluate(): void {
    if (this.ending !== undefined) return;
    const index = this.windowIndex;
    const w = this.p.windows[index] as { phase: ExperimentPhase; start: number; end: number };
    this.circuits.beforeEvaluation();
    const at = this.now();
    const closed = this.measurements.closeWindow(at);
    const length = at > closed.start ? at - closed.start : w.end - w.start;
    const checked = evaluateChecks(this.p.checks, closed.tallies, { time: at, phase: w.phase, window: index, length });
    this.evaluations.push(...checked.records);
    const annotated = this.impact.annotate(seriesPoint(index, w.phase, closed, at, length, this.circuits.takeWindow(), checked.steady), closed.tallies, at);
    const readings = this.gauges.sample();
    const point: SeriesPoint = readings === undefined ? annotated : { ...annotated, gauges: readings };
    this.series.push(point);
    this.notify((obs) => obs.onEvaluation?.({ experiment: this.o.name, elapsed: at, duration: this.p.total, point, impact: this.impact.snapshot(this.phases.records, at) }));

    const next = this.p.windows[index + 1];
    const decision = decide(
      { phase: w.phase, next: next?.phase },
      { start: closed.start, end: at, steady: checked.steady, breach: checked.breach, hardBreach: checked.hardBreach, chaosOff: faultsOnIn(w.phase) ? this.faults.inactive() : undefined },
      { ...this.progress, faultsOffAt: this.faults.offAt },
    );
    this.progress = decision.progress;
    if (decision.detected !== undefined) this.detection.note(at, decision.detected);
    if (decision.ending !== undefined) return this.finish(decision.ending.verdict, decision.ending.reason);
    this.windowIndex = index + 1;
    if (next !== undefined && next.phase !== w.phase) this.enterPhase(index + 1);
    this.schedule();
  }

  private finish(verdict: Verdict, reason: string): void {
    if (this.ending !== undefined) return;
    this.ending = { verdict, reason };
    this.timer?.cancel();
    this.timer = undefined;
    const problem = this.faults.off(this.now());
    if (problem !== undefined && verdict !== 'aborted') this.ending = { verdict: 'aborted', reason: `${reason}; then ${problem}` };
    this.o.intensity?.set(1);
    this.load?.stop();
    this.circuits.stop();
    this.phases.close(this.now());
    this.resolveEnd();
  }

  private journal(rollbacks: RollbackRecord[]): ExperimentJournal {
    const o = this.o;
    const share = (pred: (p: SeriesPoint) => boolean): number | null => {
      const pts = this.series.filter((p) => pred(p) && p.steady !== null);
      return pts.length === 0 ? null : round(pts.filter((p) => p.steady === true).length / pts.length);
    };
    const stats = this.load?.stats;
    const s = o.schedule;
    const m = this.measurements;
    return {
      kind: 'experiment',
      version: 1,
      experiment: o.name,
      hypothesis: o.hypothesis,
      seed: o.seed ?? null,
      startedAt: o.wallClock === undefined ? null : safeIso(o.wallClock),
      schedule: { baseline: s.baseline, ramp: s.ramp ?? 0, inject: s.inject, recovery: s.recovery, evaluationInterval: s.evaluationInterval, recoveryStreak: this.p.streak },
      phases: this.phases.records,
      faults: o.faults.map((f) => f.name),
      checks: this.p.checks.map((c) => c.record),
      evaluations: this.evaluations,
      series: this.series,
      injections: this.faults.injections(),
      faultsOnAt: this.faults.onAt,
      faultsOffAt: this.faults.offAt,
      timeToDetect: this.detection.timeToDetect,
      detectedBy: this.detection.by,
      mttr: this.progress.mttr,
      circuitsClosedAfter: this.circuits.closedAfter(this.faults.offAt),
      rollbacks,
      summary: { overall: summarize(m.overall), underFault: summarize(m.underFault), phases: m.phases(), started: stats?.started ?? 0, dropped: stats?.dropped ?? 0 },
      ...this.impact.snapshot(this.phases.records),
      heldDuringInjection: share((p) => faultsOnIn(p.phase)),
      heldDuringRecovery: share((p) => p.phase === 'recovery'),
      verdict: this.ending?.verdict ?? 'aborted',
      reason: this.ending?.reason ?? '',
      duration: this.phases.records.length === 0 ? 0 : this.now(),
    };
  }
}
