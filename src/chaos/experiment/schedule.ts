/**
 * Game days on a schedule: a suite run every `every` ms, only while the chaos controller
 * is armed and inside its rules' time windows, never two runs at once, each run's report
 * written with its date, and a bounded history of journals kept (and exportable as JSON)
 * for the trend report. A halt of the controller stops the schedule.
 *
 * The schedule keeps one timer at a time, on the suite's clock, `unref`'d while it waits
 * for a tick (a tick that is due, and a run's own timers, keep the process alive, as any
 * work in progress does), so an idle process exits by itself; `keepAlive: true` keeps it
 * alive instead.
 *
 * @packageDocumentation
 */
import { systemClock, unrefTimer, type Clock } from '../../core/clock';
import { OptionsValidationError, type ValidationIssue } from '../../core/errors';
import { reportInternalError } from '../../core/report';
import { collectIssues, isPlainObject, rules, type Rule } from '../../core/validation';
import type { ChaosStatus } from '../guards';
import type { ExperimentOptions } from './experiment-options';
import { planExperiment } from './impact';
import { renderJson, type SuiteJournal } from './journal';
import { renderHtml } from './report-html';
import { renderMarkdown } from './report-markdown';
import { runSuite, type SuiteOptions } from './suite';
import { gameDayHistory, renderTrend, type GameDayHistory, type TrendReport } from './trend';

/**
 * What the schedule asks before each run: a chaos controller (`chaos`, or one of `createChaosController`).
 *
 * @example
 * ```ts
 * const gate: ScheduleGate = chaos; // any ChaosController
 * ```
 */
export interface ScheduleGate {
  /** The controller's state: a run starts only when `active`; a halt (`haltReason` while not armed) stops the schedule. */
  status(): Pick<ChaosStatus, 'armed' | 'active' | 'reason' | 'haltReason'>;
}

/**
 * Writes one file of a game day: `name` (a file name, no directory) and its content.
 *
 * @example
 * ```ts
 * const writer: GameDayWriter = (name, content) => writeFile(join('reports/game-days', name), content);
 * ```
 */
export type GameDayWriter = (name: string, content: string) => void | Promise<void>;

/**
 * One report of a scheduled run, as given to `onReport`.
 *
 * @example
 * ```ts
 * scheduleSuite(gameDay, { every, policy: chaos, onReport: (r) => notifyTeam(`game day ${r.run} (${r.date}): score ${r.journal.score}`) });
 * ```
 */
export interface GameDayReport {
  /** Runs of this schedule so far, this one included. */
  readonly run: number;
  /** When the run started (ISO 8601, wall clock). */
  readonly date: string;
  /** `date` made safe for a file name (`2025-01-06T09-00-00.000Z`). */
  readonly stamp: string;
  /** The run's journal. */
  readonly journal: SuiteJournal;
  /** The history, this run included. */
  readonly history: GameDayHistory;
}

/**
 * A tick at which no run started, as given to `onSkip`.
 *
 * @example
 * ```ts
 * scheduleSuite(gameDay, { every, policy: chaos, onSkip: (s) => log.info(`${s.date}: no game day (${s.reason})`) });
 * ```
 */
export interface SkippedTick {
  /** When (ISO 8601, wall clock). */
  readonly date: string;
  /** Why: the controller's reason (`not armed…`, `…outside the time windows…`) or a run still in progress. */
  readonly reason: string;
  /** How many ticks this covers (several when a run outlasted them). */
  readonly ticks: number;
}

/**
 * Options of {@link scheduleSuite}.
 *
 * @example
 * ```ts
 * const options: ScheduleOptions = { every: 24 * 3_600_000, policy: chaos, history: gameDayHistory({ limit: 104 }) };
 * ```
 */
export interface ScheduleOptions {
  /** Time between two ticks (ms), e.g. `7 * 24 * 3_600_000`. Ticks fall at start + k × every. Required. */
  readonly every: number;
  /** The chaos controller that gates each run (arming, time windows, halt). Required. */
  readonly policy: ScheduleGate;
  /** The clock of the ticks. @defaultValue the suite's clock, else its first experiment's, else the system clock */
  readonly clock?: Clock | undefined;
  /** Wall-clock time (epoch ms) for the reports' dates (and the journals' `startedAt`, unless the suite has its own). @defaultValue `() => new Date().getTime()` */
  readonly wallClock?: (() => number) | undefined;
  /** Receives each run's report; awaited before the next tick is armed. An error it throws is reported (`onCallbackError`). @defaultValue none */
  readonly onReport?: ((report: GameDayReport) => void | Promise<void>) | undefined;
  /**
   * Writes each run's files: `game-day-<stamp>.json`, `.md` and `.html`, then
   * `history.json`, `trend.html` and `trend.md`. Awaited, in that order; an error is
   * reported and the next file is still written. @defaultValue none
   */
  readonly writer?: GameDayWriter | undefined;
  /** The history the runs are appended to. @defaultValue a new `gameDayHistory()` */
  readonly history?: GameDayHistory | undefined;
  /** Told about the ticks at which no run started. @defaultValue none */
  readonly onSkip?: ((skip: SkippedTick) => void) | undefined;
  /** Stop after this many runs. @defaultValue `Infinity` */
  readonly maxRuns?: number | undefined;
  /** Tick once at once (then every `every`). @defaultValue false (the first tick is `every` from now) */
  readonly runAtStart?: boolean | undefined;
  /** Keep the process alive between runs (the tick timer is then not `unref`'d). @defaultValue false */
  readonly keepAlive?: boolean | undefined;
}

/**
 * How a schedule ended.
 *
 * @example
 * ```ts
 * const end = await schedule.done;
 * if (end.cause === 'halted') log.warn(end.reason);
 * ```
 */
export interface ScheduleEnd {
  /** `stopped`: `stop()`; `halted`: the controller was halted; `max-runs`: `maxRuns` reached; `failed`: a run could not start (its options are invalid). */
  readonly cause: 'stopped' | 'halted' | 'max-runs' | 'failed';
  /** In words. */
  readonly reason: string;
  /** Runs made. */
  readonly runs: number;
}

/**
 * A schedule's state.
 *
 * @example
 * ```ts
 * const { state, runs, nextTickAt } = schedule.status();
 * ```
 */
export interface ScheduleStatus {
  /** Waiting for its next tick, running a suite, or stopped. */
  readonly state: 'waiting' | 'running' | 'stopped';
  /** Runs so far. */
  readonly runs: number;
  /** Ticks at which no run started. */
  readonly skipped: number;
  /** Why the last skipped tick did not run; `null` when none was skipped. */
  readonly lastSkip: string | null;
  /** Clock time of the next tick; `null` while running or when stopped. */
  readonly nextTickAt: number | null;
  /** How it ended; `null` while it goes on. */
  readonly end: ScheduleEnd | null;
}

/**
 * A running schedule: see {@link scheduleSuite}.
 *
 * @example
 * ```ts
 * const schedule: ScheduledSuite = scheduleSuite(gameDay, { every, policy: chaos });
 * process.once('SIGTERM', () => void schedule.stop('shutting down'));
 * ```
 */
export interface ScheduledSuite {
  /** The history the runs are appended to. */
  readonly history: GameDayHistory;
  /** The schedule's state. */
  status(): ScheduleStatus;
  /**
   * Stops: no tick after this; resolves once a run in progress (and its report) is done.
   * From inside `onReport` or `writer`, call it without awaiting it: the schedule ends
   * when the callback returns.
   */
  stop(reason?: string): Promise<ScheduleEnd>;
  /** Resolves when the schedule ends, whatever ends it. */
  readonly done: Promise<ScheduleEnd>;
}

function isHistory(v: unknown): v is GameDayHistory {
  return typeof v === 'object' && v !== null && typeof (v as GameDayHistory).add === 'function' && Array.isArray((v as GameDayHistory).journals) && typeof (v as GameDayHistory).limit === 'number';
}

const MAX_TIMER = 2_147_483_647; // longest setTimeout delay; longer waits are chained
const systemWallClock = (): number => new Date().getTime();

/** `2025-01-06T09:00:00.000Z` → `2025-01-06T09-00-00.000Z`. */
function stampOf(date: string): string {
  return date.replace(/:/g, '-');
}

const scheduleSchema = {
  every: rules.required(rules.duration(0, { exclusiveMin: true })),
  policy: rules.required({ expected: 'a chaos controller (an object with a status() method)', check: (v) => typeof v === 'object' && v !== null && typeof (v as ScheduleGate).status === 'function' }),
  clock: rules.clock(),
  wallClock: rules.func(),
  onReport: rules.func(),
  writer: rules.func(),
  history: { expected: 'a gameDayHistory()', check: isHistory } satisfies Rule,
  onSkip: rules.func(),
  maxRuns: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
  runAtStart: rules.boolean(),
  keepAlive: rules.boolean(),
};

/** Validates what can be validated of the suite before its first run (the rest fails that run). */
function checkSuite(suite: unknown, issues: ValidationIssue[]): void {
  if (!isPlainObject(suite)) {
    issues.push({ path: 'suite', value: suite, expected: 'suite options ({ name, experiments, … })' });
    return;
  }
  if (typeof suite['name'] !== 'string' || suite['name'] === '') issues.push({ path: 'suite.name', value: suite['name'], expected: 'a non-empty string' });
  const list = suite['experiments'];
  if (!Array.isArray(list) || list.length === 0) {
    issues.push({ path: 'suite.experiments', value: list, expected: 'a non-empty array of { experiment, weight? }' });
    return;
  }
  list.forEach((e: unknown, i) => {
    const options = isPlainObject(e) ? e['experiment'] : undefined;
    try {
      planExperiment(options as ExperimentOptions);
    } catch (error) {
      if (!(error instanceof OptionsValidationError)) throw error;
      for (const issue of error.issues) issues.push({ ...issue, path: `suite.experiments[${i}].experiment.${issue.path}` });
    }
  });
}

class Schedule implements ScheduledSuite {
  readonly history: GameDayHistory;
  readonly done: Promise<ScheduleEnd>;
  private resolveDone: (end: ScheduleEnd) => void = () => undefined;
  private readonly clock: Clock;
  private readonly wall: () => number;
  private readonly origin: number;
  private due: number;
  private timer: unknown = undefined;
  private state: ScheduleStatus['state'] = 'waiting';
  private runs = 0;
  private skipped = 0;
  private lastSkip: string | null = null;
  private end: ScheduleEnd | null = null;
  private stopReason: string | undefined = undefined;
  private current: Promise<void> | undefined = undefined;

  constructor(
    private readonly suite: SuiteOptions,
    private readonly o: ScheduleOptions,
  ) {
    this.clock = o.clock ?? suite.clock ?? suite.experiments[0]?.experiment.clock ?? systemClock;
    this.wall = o.wallClock ?? systemWallClock;
    this.history = o.history ?? gameDayHistory();
    this.done = new Promise((r) => (this.resolveDone = r));
    this.origin = this.clock.now();
    this.due = o.runAtStart === true ? this.origin : this.origin + o.every;
    this.arm();
  }

  status(): ScheduleStatus {
    return { state: this.state, runs: this.runs, skipped: this.skipped, lastSkip: this.lastSkip, nextTickAt: this.state === 'waiting' ? this.due : null, end: this.end };
  }

  async stop(reason = 'stopped by stop()'): Promise<ScheduleEnd> {
    if (this.end !== null) return this.end;
    this.stopReason ??= reason;
    this.disarm();
    if (this.current !== undefined) await this.current; // the run's end finishes the schedule
    this.finish('stopped', this.stopReason);
    return this.done;
  }

  private date(wall: () => number = this.wall): string {
    try {
      return new Date(wall()).toISOString();
    } catch (error) {
      reportInternalError(error, 'scheduleSuite wallClock');
      return new Date(0).toISOString();
    }
  }

  /**
   * One timer for the next tick, chained when the wait is longer than a timer can be.
   * Waiting is background work (`unref`'d); a tick already due (`runAtStart`, or a tick at
   * the moment a run ended) is work in progress and keeps the process alive until it runs.
   */
  private arm(): void {
    if (this.end !== null) return; // a callback (onSkip…) may have stopped it
    const delay = Math.min(MAX_TIMER, Math.max(0, this.due - this.clock.now()));
    this.timer = this.clock.setTimeout(() => this.fire(), delay);
    if (this.o.keepAlive !== true && delay > 0) unrefTimer(this.timer);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.end !== null || this.stopReason !== undefined) return;
    if (this.clock.now() < this.due) return this.arm();
    let status: ReturnType<ScheduleGate['status']>;
    try {
      status = this.o.policy.status();
    } catch (error) {
      reportInternalError(error, 'scheduleSuite policy.status()');
      return this.skip(`the chaos controller's status() threw: ${error instanceof Error ? error.message : String(error)}`, 1);
    }
    if (this.halted(status)) return;
    if (status.active !== true) return this.skip(status.reason ?? 'chaos is not active', 1);
    this.run();
  }

  /** Ends the schedule when the controller was halted; true when it did. */
  private halted(status: ReturnType<ScheduleGate['status']>): boolean {
    if (status.armed || status.haltReason === undefined) return false;
    this.finish('halted', `chaos was halted (${status.haltReason})`);
    return true;
  }

  private skip(reason: string, ticks: number): void {
    this.skipped += ticks;
    this.lastSkip = reason;
    const onSkip = this.o.onSkip;
    if (onSkip !== undefined) {
      try {
        onSkip({ date: this.date(), reason, ticks });
      } catch (error) {
        reportInternalError(error, 'scheduleSuite onSkip');
      }
    }
    this.next();
  }

  /**
   * Moves `due` to the first tick not before now and after the one just handled (a tick
   * at the very moment a run ends still runs; those a run outlasted are counted as
   * skipped) and arms it.
   */
  private next(): void {
    const now = this.clock.now();
    const handled = Math.round((this.due - this.origin) / this.o.every);
    const k = Math.max(handled + 1, Math.ceil((now - this.origin) / this.o.every));
    const missed = k - 1 - handled;
    this.due = this.origin + k * this.o.every;
    this.state = 'waiting';
    if (missed > 0) {
      this.skipped += missed;
      this.lastSkip = 'the previous run was still in progress';
      const onSkip = this.o.onSkip;
      if (onSkip !== undefined) {
        try {
          onSkip({ date: this.date(), reason: this.lastSkip, ticks: missed });
        } catch (error) {
          reportInternalError(error, 'scheduleSuite onSkip');
        }
      }
    }
    this.arm();
  }

  private run(): void {
    this.state = 'running';
    this.runs++;
    const run = this.runs;
    const wallClock = this.suite.wallClock ?? this.wall;
    const date = this.date(wallClock);
    this.current = runSuite({ ...this.suite, wallClock }).then(
      async (ran) => {
        // The run's date is its start: runSuite reads the wall clock as it ends.
        const journal: SuiteJournal = { ...ran, startedAt: date };
        await this.report(run, date, journal);
        this.current = undefined;
        this.after();
      },
      (error: unknown) => {
        this.current = undefined;
        this.finish('failed', `run ${run} could not start: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  private after(): void {
    if (this.end !== null) return;
    if (this.stopReason !== undefined) return this.finish('stopped', this.stopReason);
    let status: ReturnType<ScheduleGate['status']> | undefined;
    try {
      status = this.o.policy.status();
    } catch (error) {
      reportInternalError(error, 'scheduleSuite policy.status()');
    }
    if (status !== undefined && this.halted(status)) return;
    if (this.runs >= (this.o.maxRuns ?? Number.POSITIVE_INFINITY)) return this.finish('max-runs', `maxRuns (${this.runs}) reached`);
    this.next();
  }

  private async report(run: number, date: string, journal: SuiteJournal): Promise<void> {
    this.history.add(journal);
    const stamp = stampOf(date);
    const writer = this.o.writer;
    if (writer !== undefined) {
      let trend: TrendReport | undefined;
      const trendOfHistory = (): TrendReport => (trend ??= renderTrend(this.history.journals));
      const files: [string, () => string][] = [
        [`game-day-${stamp}.json`, () => renderJson(journal)],
        [`game-day-${stamp}.md`, () => renderMarkdown(journal)],
        [`game-day-${stamp}.html`, () => renderHtml(journal)],
        ['history.json', () => `${JSON.stringify(this.history)}\n`],
        ['trend.html', () => trendOfHistory().html],
        ['trend.md', () => trendOfHistory().markdown],
      ];
      for (const [name, content] of files) {
        try {
          await writer(name, content());
        } catch (error) {
          reportInternalError(error, `scheduleSuite writer (${name})`);
        }
      }
    }
    if (this.o.onReport !== undefined) {
      try {
        await this.o.onReport({ run, date, stamp, journal, history: this.history });
      } catch (error) {
        reportInternalError(error, 'scheduleSuite onReport');
      }
    }
  }

  private finish(cause: ScheduleEnd['cause'], reason: string): void {
    if (this.end !== null) return;
    this.disarm();
    this.state = 'stopped';
    this.end = { cause, reason, runs: this.runs };
    this.resolveDone(this.end);
  }
}

/**
 * Runs a suite on a schedule: a tick every `every` ms (at start + k × every); at each tick
 * a run starts only if `policy` (the chaos controller the suite's faults obey) is armed
 * and inside its rules' time windows (`status().active`), and none is in progress (a tick
 * that falls during a run is skipped: runs never overlap). After each run its journal is
 * appended to `history` (bounded), its files go to `writer`, and `onReport` gets it with
 * its date. A halted controller (`chaos.halt()`) ends the schedule at the next tick, or at
 * the end of the run it interrupted (which the halt itself aborts); so do `stop()` and
 * `maxRuns`. A disarmed controller only skips ticks: arm it again and the game days go on.
 *
 * One timer at a time, `unref`'d between runs unless `keepAlive`: nothing of the schedule
 * keeps an idle process alive, and after the end no timer is left. Options are validated
 * at once (one `OptionsValidationError` naming every bad field, including the suite's
 * experiments).
 *
 * @example
 * ```ts
 * chaos.arm({ environment: 'staging', rules: { windows: [{ days: ['tue'], fromHour: 14, toHour: 16 }] } });
 * // Ticks daily at the time it starts (start it between 14:00 and 16:00 UTC): only
 * // Tuesday's tick falls inside the window, so the game day runs weekly.
 * const weekly = scheduleSuite(gameDay, {
 *   every: 24 * 3_600_000,
 *   policy: chaos,
 *   writer: (name, content) => writeFile(join('reports', name), content),
 *   history: gameDayHistory({ limit: 104 }),
 * });
 * // …and on shutdown:
 * await weekly.stop();
 * ```
 */
export function scheduleSuite(suite: SuiteOptions, options: ScheduleOptions): ScheduledSuite {
  const issues: ValidationIssue[] = [];
  collectIssues(options, scheduleSchema, '', issues);
  checkSuite(suite, issues);
  if (issues.length > 0) throw new OptionsValidationError('scheduleSuite', issues);
  return new Schedule(suite, options);
}
