// Property test of the schedule's timing rule on a VirtualClock: with any tick interval and
// any pattern of open and closed ticks, runs start exactly at the ticks a model says
// (an open tick with no run in progress; a tick at the very moment a run ends counts),
// so they never overlap and never start at a closed tick.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gameDayWorld } from '../../../test/support/litmus-gameday';
import type { SuiteJournal } from './journal';
import { scheduleSuite, type ScheduleGate } from './schedule';

const RUN_MS = 35; // one experiment of the game-day world

describe('scheduleSuite: properties', () => {
  it('runs start at open ticks with no run in progress, and only there', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(5, 7, 35), fc.integer({ min: 5, max: 60 })), fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }), fc.boolean(), async (every, open, runAtStart) => {
        const w = gameDayWorld();
        const suite = { name: 'one', experiments: [{ experiment: w.experiment('db', true) }], clock: w.clock };
        const tick = (): number => Math.round(w.clock.now() / every);
        const gate: ScheduleGate = { status: () => ({ armed: true, active: open[tick()] === true, reason: 'closed', haltReason: undefined }) };
        const starts: number[] = [];
        const s = scheduleSuite(suite, { every, policy: gate, runAtStart, wallClock: () => w.clock.now(), onReport: (r) => void starts.push(Date.parse(r.date)) });
        const last = (open.length - 1) * every;
        await w.clock.advanceTo(last);
        const stopped = s.stop();
        await w.clock.advanceTo(last + RUN_MS);
        await stopped;
        // The model.
        const expected: number[] = [];
        let busyUntil = Number.NEGATIVE_INFINITY;
        for (let k = runAtStart ? 0 : 1; k < open.length; k++) {
          const t = k * every;
          if (t < busyUntil || open[k] !== true) continue;
          expected.push(t);
          busyUntil = t + RUN_MS;
        }
        expect(starts).toEqual(expected);
        const journals = s.history.journals as SuiteJournal[];
        for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeGreaterThanOrEqual(starts[i - 1]! + journals[i - 1]!.duration);
        expect(w.clock.pending).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});
