// The verdict rules as a table: one row per rule, inputs → the decision.
import { describe, expect, it } from 'vitest';
import { decide, initialProgress, type Progress, type WindowFacts, type WindowPlace } from './decide';
import type { Verdict } from './journal';

const start = initialProgress(3, 1_500); // recoveryStreak 3, recovery 1 500 ms
const healthy: WindowFacts = { start: 0, end: 500, steady: true, breach: undefined, hardBreach: undefined, chaosOff: undefined };
const breach = { id: '*:errorRate:rate<0.1', value: 0.4 };
const hard = { id: '*:availability:rate>0.99', value: 0.6 };
const broken: WindowFacts = { ...healthy, steady: false, breach };
const noData: WindowFacts = { ...healthy, steady: null };
const offAt3000: Progress = { ...start, faultsOffAt: 3_000, baselineHeld: true, checkedUnderFault: true };

interface Row {
  readonly rule: string;
  readonly place: WindowPlace;
  readonly window: WindowFacts;
  readonly progress: Progress;
  /** The ending (`undefined`: go on), a fragment of its reason, what is detected, and fields of the next progress. */
  readonly verdict: Verdict | undefined;
  readonly reason?: string;
  readonly detected?: string | undefined;
  readonly next?: Partial<Progress>;
}

const rows: readonly Row[] = [
  // baseline
  { rule: 'baseline held: go on, baseline marked held', place: { phase: 'baseline', next: 'baseline' }, window: healthy, progress: start, verdict: undefined, next: { baselineHeld: true } },
  { rule: 'baseline breach: skipped, naming the check, time and value', place: { phase: 'baseline', next: 'baseline' }, window: broken, progress: start, verdict: 'skipped', reason: 'baseline not met: *:errorRate:rate<0.1 broke at 500 ms (value 0.4); nothing was injected' },
  { rule: 'a hard check broken in the baseline is a breach, not a halt', place: { phase: 'baseline', next: 'inject' }, window: { ...broken, hardBreach: breach }, progress: start, verdict: 'skipped' },
  { rule: 'baseline without data: go on while the baseline lasts', place: { phase: 'baseline', next: 'baseline' }, window: noData, progress: start, verdict: undefined, next: { baselineHeld: false } },
  { rule: 'baseline ends never held: skipped (no call completed)', place: { phase: 'baseline', next: 'inject' }, window: noData, progress: start, verdict: 'skipped', reason: 'no call completed during the baseline' },
  { rule: 'baseline ends held: go on to the faults', place: { phase: 'baseline', next: 'ramp' }, window: noData, progress: { ...start, baselineHeld: true }, verdict: undefined },
  { rule: 'halt checks do not halt the baseline', place: { phase: 'baseline', next: 'baseline' }, window: { ...healthy, hardBreach: { id: 'halt:*:errorRate:rate<0.5', value: 1 } }, progress: start, verdict: undefined, next: { baselineHeld: true } },
  { rule: 'chaos switched off in the baseline is not read as an ending', place: { phase: 'baseline', next: 'baseline' }, window: { ...healthy, chaosOff: { reason: 'halted' } }, progress: start, verdict: undefined },
  // ramp and inject
  { rule: 'inject, steady state held: go on, checked under fault', place: { phase: 'inject', next: 'inject' }, window: healthy, progress: start, verdict: undefined, next: { checkedUnderFault: true, breachedUnderFault: false } },
  { rule: 'inject, no data: not checked', place: { phase: 'inject', next: 'inject' }, window: noData, progress: start, verdict: undefined, next: { checkedUnderFault: false } },
  { rule: 'inject, soft breach: detected, no ending', place: { phase: 'inject', next: 'inject' }, window: broken, progress: start, verdict: undefined, detected: 'breach *:errorRate:rate<0.1', next: { checkedUnderFault: true, breachedUnderFault: true } },
  { rule: 'ramp, soft breach: detected too', place: { phase: 'ramp', next: 'inject' }, window: broken, progress: start, verdict: undefined, detected: 'breach *:errorRate:rate<0.1' },
  { rule: 'inject, hard check broken: halted, and the breach detected', place: { phase: 'inject', next: 'inject' }, window: { ...broken, breach: hard, hardBreach: hard }, progress: start, verdict: 'halted', reason: 'halt condition *:availability:rate>0.99 broke at 500 ms (value 0.6): faults switched off', detected: 'breach *:availability:rate>0.99' },
  { rule: 'ramp, halt check broken (steady state held): halted, nothing detected', place: { phase: 'ramp', next: 'ramp' }, window: { ...healthy, hardBreach: { id: 'halt:*:errorRate:rate<0.5', value: 0.7 } }, progress: start, verdict: 'halted', reason: 'halt condition halt:*:errorRate:rate<0.5' },
  { rule: 'inject, chaos off: aborted with the controller\'s reason', place: { phase: 'inject', next: 'inject' }, window: { ...healthy, chaosOff: { reason: 'halted: red button' } }, progress: start, verdict: 'aborted', reason: 'chaos was switched off during the experiment (halted: red button)' },
  { rule: 'inject, chaos off without a reason: "not armed"', place: { phase: 'inject', next: 'recovery' }, window: { ...healthy, chaosOff: { reason: undefined } }, progress: start, verdict: 'aborted', reason: '(not armed)' },
  { rule: 'chaos off wins over a broken hard check', place: { phase: 'inject', next: 'inject' }, window: { ...broken, hardBreach: breach, chaosOff: { reason: 'expired' } }, progress: start, verdict: 'aborted', detected: 'breach *:errorRate:rate<0.1' },
  // recovery: the streak and MTTR
  { rule: 'recovery held: the streak starts at the window start', place: { phase: 'recovery', next: 'recovery' }, window: { ...healthy, start: 3_500, end: 4_000 }, progress: offAt3000, verdict: undefined, next: { streak: 1, streakStart: 3_500, mttr: null } },
  { rule: 'recovery held again: the streak grows, its start stays', place: { phase: 'recovery', next: 'recovery' }, window: { ...healthy, start: 4_000, end: 4_500 }, progress: { ...offAt3000, streak: 1, streakStart: 3_500 }, verdict: undefined, next: { streak: 2, streakStart: 3_500, mttr: null } },
  { rule: 'the streak reaches recoveryStreak: MTTR = streak start − faults off', place: { phase: 'recovery', next: 'recovery' }, window: { ...healthy, start: 4_500, end: 5_000 }, progress: { ...offAt3000, streak: 2, streakStart: 3_500 }, verdict: undefined, next: { streak: 3, mttr: 500 } },
  { rule: 'a later streak does not move the MTTR', place: { phase: 'recovery', next: 'recovery' }, window: { ...healthy, start: 6_000, end: 6_500 }, progress: { ...offAt3000, streak: 2, streakStart: 5_000, mttr: 500 }, verdict: undefined, next: { streak: 3, mttr: 500 } },
  { rule: 'recovery broken: the streak resets', place: { phase: 'recovery', next: 'recovery' }, window: broken, progress: { ...offAt3000, streak: 2, streakStart: 3_500 }, verdict: undefined, next: { streak: 0, mttr: null } },
  { rule: 'recovery without data: the streak resets too', place: { phase: 'recovery', next: 'recovery' }, window: noData, progress: { ...offAt3000, streak: 2, streakStart: 3_500 }, verdict: undefined, next: { streak: 0 } },
  { rule: 'a streak starting before the faults went off gives MTTR 0', place: { phase: 'recovery', next: 'recovery' }, window: { ...healthy, start: 3_000, end: 3_500 }, progress: { ...offAt3000, recoveryStreak: 1 }, verdict: undefined, next: { mttr: 0 } },
  { rule: 'recovery breach is no detection', place: { phase: 'recovery', next: 'recovery' }, window: { ...broken, hardBreach: breach }, progress: offAt3000, verdict: undefined, detected: undefined },
  // the last window
  { rule: 'last window, recovered after a breach: pass, MTTR in the reason', place: { phase: 'recovery', next: undefined }, window: { ...healthy, start: 4_500, end: 5_000 }, progress: { ...offAt3000, streak: 2, streakStart: 3_500, breachedUnderFault: true }, verdict: 'pass', reason: 'steady state back 500 ms after the faults went off (3 consecutive evaluations)', next: { mttr: 500 } },
  { rule: 'last window, never broken under fault: pass, held throughout', place: { phase: 'recovery', next: undefined }, window: healthy, progress: { ...offAt3000, streak: 3, mttr: 0 }, verdict: 'pass', reason: 'steady state held while the faults were on and after (3 consecutive evaluations in recovery)' },
  { rule: 'last window, recovered but never checked under fault: pass with MTTR', place: { phase: 'recovery', next: undefined }, window: healthy, progress: { ...offAt3000, checkedUnderFault: false, streak: 3, mttr: 0 }, verdict: 'pass', reason: 'steady state back 0 ms' },
  { rule: 'last window, streak too short: fail', place: { phase: 'recovery', next: undefined }, window: { ...healthy, start: 4_000, end: 4_500 }, progress: { ...offAt3000, streak: 1, streakStart: 3_500 }, verdict: 'fail', reason: 'steady state not back within the 1500 ms recovery window (needed 3 consecutive evaluations)', next: { streak: 2, mttr: null } },
  { rule: 'last window broken after an earlier recovery: still pass (MTTR found)', place: { phase: 'recovery', next: undefined }, window: broken, progress: { ...offAt3000, mttr: 500, breachedUnderFault: true }, verdict: 'pass', next: { streak: 0 } },
];

describe('decide: the verdict rules', () => {
  it.each(rows.map((r) => [r.rule, r] as const))('%s', (_rule, row) => {
    const d = decide(row.place, row.window, row.progress);
    expect(d.ending?.verdict).toBe(row.verdict);
    if (row.reason !== undefined) expect(d.ending?.reason).toContain(row.reason);
    if ('detected' in row) expect(d.detected).toBe(row.detected);
    if (row.next !== undefined) expect(d.progress).toMatchObject(row.next);
  });

  it('is pure: the progress it is given is not changed', () => {
    const p = Object.freeze({ ...offAt3000, streak: 2, streakStart: 3_500 });
    const d = decide({ phase: 'recovery', next: 'recovery' }, { ...healthy, start: 4_500, end: 5_000 }, p);
    expect(p.streak).toBe(2);
    expect(d.progress).not.toBe(p);
    expect(decide({ phase: 'recovery', next: 'recovery' }, { ...healthy, start: 4_500, end: 5_000 }, p)).toEqual(d);
  });

  it('covers every verdict', () => {
    expect(new Set(rows.map((r) => r.verdict))).toEqual(new Set(['pass', 'fail', 'halted', 'aborted', 'skipped', undefined]));
  });
});
