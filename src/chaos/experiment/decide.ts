/**
 * The verdict rules of a chaos experiment, written once: {@link decide} says what each
 * evaluated window means — go on, or end with `pass`, `fail`, `halted`, `aborted` or
 * `skipped` — and how the recovery streak and MTTR move. It is a pure function of the
 * window's place in the plan, what the window measured and what earlier windows
 * established; the runner only carries its result out (faults off, load stopped,
 * rollbacks) and `runExperiment`'s documentation points here.
 *
 * @packageDocumentation
 */
import type { BrokenCheck } from './checks';
import type { ExperimentPhase, Verdict } from './journal';
import { round } from './window-stats';

/** Where an evaluated window sits in the plan. */
export interface WindowPlace {
  /** The window's phase. */
  readonly phase: ExperimentPhase;
  /** The next window's phase; `undefined` when this window is the experiment's last. */
  readonly next: ExperimentPhase | undefined;
}

/** What an evaluated window measured (times in ms since the start of the experiment). */
export interface WindowFacts {
  /** When the window began. */
  readonly start: number;
  /** When it was evaluated. */
  readonly end: number;
  /** The steady state held (`true`), broke (`false`), or had no data (`null`). */
  readonly steady: boolean | null;
  /** The first steady-state check that broke. */
  readonly breach: BrokenCheck | undefined;
  /** The first `hard` check (steady-state or `halt`) that broke. */
  readonly hardBreach: BrokenCheck | undefined;
  /**
   * A chaos controller found inactive at the evaluation, with its reason (the runner
   * consults the controllers only while faults are on); `undefined` when all are active.
   */
  readonly chaosOff: { readonly reason: string | undefined } | undefined;
}

/** What the windows so far established, and the two numbers of the plan the rules need. */
export interface Progress {
  /** Consecutive good recovery evaluations that count as recovered (`recoveryStreak`). */
  readonly recoveryStreak: number;
  /** Planned length of the recovery phase (ms), for the reason of a `fail`. */
  readonly recovery: number;
  /** When the faults went off (`null` while they have not). */
  readonly faultsOffAt: number | null;
  /** The steady state held in at least one baseline window. */
  readonly baselineHeld: boolean;
  /** The steady state was evaluated on data at least once while faults were on. */
  readonly checkedUnderFault: boolean;
  /** A steady-state check broke while faults were on. */
  readonly breachedUnderFault: boolean;
  /** Consecutive recovery windows in which the steady state held, up to this one. */
  readonly streak: number;
  /** When the current streak's first window began. */
  readonly streakStart: number;
  /** Faults off → start of the first full streak (ms); `null` until there is one. */
  readonly mttr: number | null;
}

/** How an experiment ends. */
export interface Ending {
  readonly verdict: Verdict;
  /** Why, in words (the journal's `reason`). */
  readonly reason: string;
}

/** What a window means for the experiment. */
export interface Decision {
  /** The progress after this window. */
  readonly progress: Progress;
  /** A steady-state breach under fault to record for time to detect (`breach <check id>`). */
  readonly detected: string | undefined;
  /** The ending, or `undefined`: go on with the next window. */
  readonly ending: Ending | undefined;
}

/** Whether faults are on in `phase` (ramp and inject). */
export function faultsOnIn(phase: ExperimentPhase): boolean {
  return phase === 'ramp' || phase === 'inject';
}

/** The progress before the first window. */
export function initialProgress(recoveryStreak: number, recovery: number): Progress {
  return { recoveryStreak, recovery, faultsOffAt: null, baselineHeld: false, checkedUnderFault: false, breachedUnderFault: false, streak: 0, streakStart: 0, mttr: null };
}

/**
 * The verdict rules. After each evaluated window:
 *
 * - **baseline** (faults off): a broken steady-state check ends the experiment `skipped`
 *   (nothing is injected); a window where the steady state held marks the baseline as
 *   held; a baseline that ends without one held window (no call completed) is `skipped`.
 * - **ramp and inject** (faults on): a steady-state breach is recorded for time to detect
 *   but is no failure; a chaos controller found inactive ends it `aborted`; a broken `hard`
 *   or `halt` check ends it `halted`.
 * - **recovery** (faults off): each window where the steady state held extends the
 *   streak, any other resets it; the first streak of `recoveryStreak` windows gives the
 *   MTTR, from the faults going off to the streak's first window.
 * - **the last window**: `pass` when an MTTR was found, `fail` otherwise.
 *
 * Endings that happen outside a window (chaos not armed at the start, an error of the
 * runner itself, a fault that cannot be switched off) are `aborted` by the runner.
 *
 * @example
 * ```ts
 * const d = decide({ phase: 'recovery', next: undefined }, window, progress);
 * if (d.ending !== undefined) finish(d.ending.verdict, d.ending.reason);
 * ```
 */
export function decide(place: WindowPlace, window: WindowFacts, progress: Progress): Decision {
  let p = progress;
  let detected: string | undefined;
  const end = (verdict: Verdict, reason: string): Decision => ({ progress: p, detected, ending: { verdict, reason } });
  const at = window.end;

  if (place.phase === 'baseline') {
    if (window.steady === false) {
      const b = window.breach as BrokenCheck;
      return end('skipped', `baseline not met: ${b.id} broke at ${at} ms (value ${String(b.value)}); nothing was injected`);
    }
    if (window.steady === true) p = { ...p, baselineHeld: true };
  } else if (faultsOnIn(place.phase)) {
    if (window.steady !== null) p = { ...p, checkedUnderFault: true };
    if (window.breach !== undefined) {
      p = { ...p, breachedUnderFault: true };
      detected = `breach ${window.breach.id}`;
    }
    if (window.chaosOff !== undefined) return end('aborted', `chaos was switched off during the experiment (${window.chaosOff.reason ?? 'not armed'})`);
    if (window.hardBreach !== undefined) {
      const h = window.hardBreach;
      return end('halted', `halt condition ${h.id} broke at ${at} ms (value ${String(h.value)}): faults switched off`);
    }
  } else if (window.steady === true) {
    const streakStart = p.streak === 0 ? window.start : p.streakStart;
    const streak = p.streak + 1;
    const recovered = streak >= p.recoveryStreak && p.mttr === null && p.faultsOffAt !== null;
    p = { ...p, streak, streakStart, mttr: recovered ? round(Math.max(0, streakStart - (p.faultsOffAt as number))) : p.mttr };
  } else p = { ...p, streak: 0 };

  if (place.next === undefined) {
    if (p.mttr !== null) {
      const why =
        p.checkedUnderFault && !p.breachedUnderFault
          ? `steady state held while the faults were on and after (${p.recoveryStreak} consecutive evaluations in recovery)`
          : `steady state back ${p.mttr} ms after the faults went off (${p.recoveryStreak} consecutive evaluations)`;
      return end('pass', why);
    }
    return end('fail', `steady state not back within the ${p.recovery} ms recovery window (needed ${p.recoveryStreak} consecutive evaluations)`);
  }
  if (place.next !== place.phase && place.phase === 'baseline' && !p.baselineHeld) {
    return end('skipped', 'baseline not met: no call completed during the baseline, so the steady state could not be verified; nothing was injected');
  }
  return { progress: p, detected, ending: undefined };
}
