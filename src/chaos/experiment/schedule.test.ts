// scheduleSuite on a VirtualClock: runs only inside the chaos rules' time windows and while
// armed, stops on halt, never overlaps, reports each run with its date, keeps a bounded
// history, and leaves no timer behind. The world (test/support/litmus-gameday.ts) maps
// 1 virtual ms to 1 wall minute, starting Monday 2025-01-06 06:00 UTC.
import { describe, expect, it } from 'vitest';
import { onCallbackError } from '../../core/report';
import { isOptionsValidationError, type OptionsValidationError } from '../../core/errors';
import type { Clock } from '../../core/clock';
import { GAME_DAY_BASE, WALL_SCALE, gameDayWorld } from '../../../test/support/litmus-gameday';
import type { SuiteJournal } from './journal';
import { scheduleSuite, type GameDayReport, type ScheduleOptions, type SkippedTick } from './schedule';
import { gameDayHistory, parseGameDayHistory } from './trend';

const OFFICE_HOURS = { windows: [{ fromHour: 9, toHour: 17 }] };
const virtualAt = (iso: string): number => (Date.parse(iso) - GAME_DAY_BASE) / WALL_SCALE;

function validationError(fn: () => unknown): OptionsValidationError {
  try {
    fn();
  } catch (error) {
    if (isOptionsValidationError(error)) return error;
    throw error;
  }
  throw new Error('expected an OptionsValidationError');
}

describe('scheduleSuite: windows, arming and halt', () => {
  it('every 100 ms on a virtual clock with a policy window: runs only inside the window, and stops on halt', async () => {
    const w = gameDayWorld({ rules: OFFICE_HOURS });
    const reports: GameDayReport[] = [];
    const skips: SkippedTick[] = [];
    const s = scheduleSuite(w.suite, { every: 100, policy: w.controller, wallClock: w.wallClock, onReport: (r) => void reports.push(r), onSkip: (k) => void skips.push(k) });
    expect(s.status()).toMatchObject({ state: 'waiting', runs: 0, nextTickAt: 100 });

    await w.clock.advanceTo(1_250); // 06:00 Monday → 02:50 Tuesday, wall time
    // Ticks at 100 (07:40) … 1 200 (02:00): inside 09:00–17:00 only 200, 300, 400, 500 and 600.
    expect(reports.map((r) => r.date)).toEqual(['2025-01-06T09:20:00.000Z', '2025-01-06T11:00:00.000Z', '2025-01-06T12:40:00.000Z', '2025-01-06T14:20:00.000Z', '2025-01-06T16:00:00.000Z']);
    for (const r of reports) {
      const hour = new Date(r.date).getUTCHours();
      expect(hour >= 9 && hour < 17).toBe(true);
      expect(r.journal.startedAt).toBe(r.date);
      expect(r.journal.experiments.map((e) => e.journal.verdict)).toEqual(['pass', 'pass']);
    }
    expect(reports.map((r) => r.run)).toEqual([1, 2, 3, 4, 5]);
    expect(skips.map((k) => k.date)).toEqual(['2025-01-06T07:40:00.000Z', ...[700, 800, 900, 1_000, 1_100, 1_200].map((t) => new Date(GAME_DAY_BASE + t * WALL_SCALE).toISOString())]);
    expect(skips.every((k) => k.reason === 'armed, but outside the time windows of the chaos rules' && k.ticks === 1)).toBe(true);
    expect(s.status()).toMatchObject({ state: 'waiting', runs: 5, skipped: 7, nextTickAt: 1_300 });

    w.controller.halt('incident declared');
    await w.clock.advanceTo(1_300);
    const end = await s.done;
    expect(end).toEqual({ cause: 'halted', reason: 'chaos was halted (incident declared)', runs: 5 });
    expect(s.status()).toMatchObject({ state: 'stopped', nextTickAt: null, end });
    expect(w.clock.pending).toBe(0); // no timer left behind
    await w.clock.advance(10_000);
    expect(reports).toHaveLength(5);
    expect(s.history.journals).toHaveLength(5);
  });

  it('a halt during a run aborts that run (the runner sees chaos go off) and ends the schedule when it ends', async () => {
    const w = gameDayWorld();
    const s = scheduleSuite(w.suite, { every: 100, policy: w.controller, wallClock: w.wallClock });
    await w.clock.advanceTo(115); // the first experiment is injecting (110–120)
    expect(s.status().state).toBe('running');
    w.controller.halt('red button');
    await w.clock.advanceTo(400);
    expect(await s.done).toEqual({ cause: 'halted', reason: 'chaos was halted (red button)', runs: 1 });
    const journal = s.history.journals[0] as SuiteJournal;
    expect(journal.experiments[0]?.journal.verdict).toBe('aborted');
    expect(journal.experiments[0]?.journal.reason).toContain('halted: red button');
    expect(w.clock.pending).toBe(0);
  });

  it('a controller that is not armed only skips: arm it and the game days go on (disarm is no halt)', async () => {
    const w = gameDayWorld({ armed: false });
    const s = scheduleSuite(w.suite, { every: 100, policy: w.controller, wallClock: w.wallClock, maxRuns: 2 });
    await w.clock.advanceTo(250);
    expect(s.status()).toMatchObject({ runs: 0, skipped: 2 });
    expect(s.status().lastSkip).toMatch(/^not armed: chaos\.arm\(\) was never called/);
    w.controller.arm({ environment: 'test' });
    await w.clock.advanceTo(380);
    w.controller.disarm();
    await w.clock.advanceTo(480);
    expect(s.status()).toMatchObject({ state: 'waiting', runs: 1, skipped: 3 });
    w.controller.arm({ environment: 'test' });
    await w.clock.advanceTo(600);
    expect(await s.done).toEqual({ cause: 'max-runs', reason: 'maxRuns (2) reached', runs: 2 });
    expect(w.clock.pending).toBe(0);
  });

  it('a controller halted before the schedule starts ends it at its first tick', async () => {
    const w = gameDayWorld();
    w.controller.halt('still investigating');
    const s = scheduleSuite(w.suite, { every: 100, policy: w.controller, runAtStart: true });
    await w.clock.advanceTo(1);
    expect(await s.done).toMatchObject({ cause: 'halted', runs: 0 });
  });
});

describe('scheduleSuite: runs never overlap', () => {
  it('a tick that falls during a run is skipped; the next run starts at the next tick', async () => {
    const w = gameDayWorld();
    const starts: number[] = [];
    const skips: SkippedTick[] = [];
    const s = scheduleSuite(w.suite, {
      every: 30, // the suite takes 70 ms
      policy: w.controller,
      wallClock: w.wallClock,
      onReport: (r) => void starts.push(virtualAt(r.date)),
      onSkip: (k) => void skips.push(k),
      maxRuns: 3,
    });
    await w.clock.advanceTo(1_000);
    expect(await s.done).toMatchObject({ cause: 'max-runs', runs: 3 });
    // Run 1 at 30 ends at 100 (ticks 60 and 90 missed), run 2 at 120 ends at 190 (150, 180 missed), run 3 at 210.
    expect(starts).toEqual([30, 120, 210]);
    for (const [i, r] of s.history.journals.entries()) expect(starts[i]! + r.duration).toBeLessThanOrEqual(starts[i + 1] ?? Infinity);
    expect(skips).toEqual([
      { date: new Date(GAME_DAY_BASE + 100 * WALL_SCALE).toISOString(), reason: 'the previous run was still in progress', ticks: 2 },
      { date: new Date(GAME_DAY_BASE + 190 * WALL_SCALE).toISOString(), reason: 'the previous run was still in progress', ticks: 2 },
    ]);
    expect(s.status().skipped).toBe(4);
  });

  it('a tick at the very moment a run ends still runs', async () => {
    const w = gameDayWorld();
    const starts: number[] = [];
    const s = scheduleSuite(w.suite, { every: 35, policy: w.controller, wallClock: w.wallClock, maxRuns: 2, onReport: (r) => void starts.push(virtualAt(r.date)) });
    await w.clock.advanceTo(300);
    await s.done;
    expect(starts).toEqual([35, 105]); // run 1 ends at 105, a tick; 70 fell during it
    expect(s.status().skipped).toBe(1);
  });
});

describe('scheduleSuite: stop and timers', () => {
  it('stop() while waiting ends at once; stop() during a run waits for the run and its report', async () => {
    const w = gameDayWorld();
    const idle = scheduleSuite(w.suite, { every: 100, policy: w.controller });
    expect(await idle.stop()).toEqual({ cause: 'stopped', reason: 'stopped by stop()', runs: 0 });
    expect(w.clock.pending).toBe(0);

    const reported: number[] = [];
    const busy = scheduleSuite(w.suite, { every: 100, policy: w.controller, runAtStart: true, onReport: async (r) => void reported.push(r.run) });
    await w.clock.advanceTo(w.clock.now() + 10);
    expect(busy.status().state).toBe('running');
    const stopping = busy.stop('shutting down');
    let settled = false;
    void stopping.then(() => (settled = true));
    await w.clock.advanceTo(w.clock.now() + 20);
    expect(settled).toBe(false); // the run goes on to its end
    await w.clock.advanceTo(w.clock.now() + 100);
    expect(await stopping).toEqual({ cause: 'stopped', reason: 'shutting down', runs: 1 });
    expect(reported).toEqual([1]);
    expect(await busy.stop('again')).toEqual({ cause: 'stopped', reason: 'shutting down', runs: 1 });
    expect(w.clock.pending).toBe(0);
  });

  it('stop() from a callback ends the schedule with no timer left', async () => {
    const w = gameDayWorld({ armed: false });
    const fromSkip = scheduleSuite(w.suite, { every: 100, policy: w.controller, onSkip: () => void fromSkip.stop('enough') });
    await w.clock.advanceTo(100);
    expect(await fromSkip.done).toEqual({ cause: 'stopped', reason: 'enough', runs: 0 });
    expect(w.clock.pending).toBe(0);
    w.controller.arm({ environment: 'test' });
    const fromReport = scheduleSuite(w.suite, { every: 100, policy: w.controller, onReport: () => void fromReport.stop('one is enough') });
    await w.clock.advanceTo(w.clock.now() + 300);
    expect(await fromReport.done).toEqual({ cause: 'stopped', reason: 'one is enough', runs: 1 });
    expect(w.clock.pending).toBe(0);
  });

  it('the tick timer is unref’d while it waits, unless keepAlive; one timer at a time', () => {
    const unrefs: number[] = [];
    const live = new Set<number>();
    let id = 0;
    const clock: Clock = {
      now: () => 0,
      setTimeout: () => {
        const h = ++id;
        live.add(h);
        return { unref: () => void unrefs.push(h), ref: () => undefined, id: h };
      },
      clearTimeout: (h) => void live.delete((h as { id: number }).id),
    };
    const w = gameDayWorld();
    const quiet = scheduleSuite(w.suite, { every: 1_000, policy: w.controller, clock });
    expect(unrefs).toEqual([1]);
    const loud = scheduleSuite(w.suite, { every: 1_000, policy: w.controller, clock, keepAlive: true });
    expect(unrefs).toEqual([1]);
    const due = scheduleSuite(w.suite, { every: 1_000, policy: w.controller, clock, runAtStart: true });
    expect(unrefs).toEqual([1]); // a tick that is due is work in progress: it keeps the process alive
    expect(live.size).toBe(3);
    void quiet.stop();
    void loud.stop();
    void due.stop();
    expect(live.size).toBe(0);
  });

  it('an `every` longer than a timer can wait is chained, and ticks on time', async () => {
    const w = gameDayWorld();
    const delays: number[] = [];
    const clock: Clock = { now: () => w.clock.now(), setTimeout: (fn, ms) => (delays.push(ms), w.clock.setTimeout(fn, ms)), clearTimeout: (h) => w.clock.clearTimeout(h) };
    const forty = 40 * 24 * 3_600_000;
    const starts: number[] = [];
    const s = scheduleSuite(w.suite, { every: forty, policy: w.controller, clock, wallClock: () => w.clock.now(), maxRuns: 1, onReport: (r) => void starts.push(Date.parse(r.date)) });
    await w.clock.advanceTo(forty + 100);
    expect(await s.done).toMatchObject({ cause: 'max-runs' });
    expect(starts).toEqual([forty]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
    expect(delays.filter((d) => d > 1_000)).toEqual([2_147_483_647, forty - 2_147_483_647]);
  });
});

describe('scheduleSuite: reports and history', () => {
  it('the writer gets each run’s reports with its date, then the history and the trend', async () => {
    const w = gameDayWorld();
    const files = new Map<string, string>();
    const order: string[] = [];
    const s = scheduleSuite(w.suite, {
      every: 100,
      policy: w.controller,
      wallClock: w.wallClock,
      history: gameDayHistory({ limit: 2 }),
      maxRuns: 3,
      writer: async (name, content) => {
        await Promise.resolve();
        order.push(name);
        files.set(name, content);
      },
    });
    await w.clock.advanceTo(400);
    expect(await s.done).toMatchObject({ cause: 'max-runs', runs: 3 });
    expect(order.slice(0, 6)).toEqual([
      'game-day-2025-01-06T07-40-00.000Z.json',
      'game-day-2025-01-06T07-40-00.000Z.md',
      'game-day-2025-01-06T07-40-00.000Z.html',
      'history.json',
      'trend.html',
      'trend.md',
    ]);
    expect(order).toHaveLength(18);
    expect(JSON.parse(files.get('game-day-2025-01-06T11-00-00.000Z.json') as string)).toMatchObject({ kind: 'suite', name: 'game day', startedAt: '2025-01-06T11:00:00.000Z' });
    expect(files.get('game-day-2025-01-06T11-00-00.000Z.html')).toContain('<svg');
    // The history is bounded (limit 2) and reads back as it was written.
    const back = parseGameDayHistory(files.get('history.json') as string);
    expect(back.limit).toBe(2);
    expect(back.journals.map((j) => j.startedAt)).toEqual(['2025-01-06T09:20:00.000Z', '2025-01-06T11:00:00.000Z']);
    expect(back.journals).toEqual(s.history.journals);
    expect(files.get('trend.md')).toContain('| 2 | 2025-01-06 11:00 UTC | game day |');
    expect(files.get('trend.html')).toContain('data-chart="trend-score"');
  });

  it('a writer or onReport that throws is reported; the other files are still written and the schedule goes on', async () => {
    const w = gameDayWorld();
    const reported: string[] = [];
    const sub = onCallbackError((_, source) => reported.push(source));
    try {
      const written: string[] = [];
      const s = scheduleSuite(w.suite, {
        every: 100,
        policy: w.controller,
        maxRuns: 2,
        writer: (name) => {
          if (name === 'history.json') throw new Error('disk full');
          written.push(name);
        },
        onReport: () => Promise.reject(new Error('mail server down')),
      });
      await w.clock.advanceTo(300);
      expect(await s.done).toMatchObject({ cause: 'max-runs', runs: 2 });
      expect(written.filter((n) => n.startsWith('trend'))).toHaveLength(4);
      expect(reported).toEqual(['scheduleSuite writer (history.json)', 'scheduleSuite onReport', 'scheduleSuite writer (history.json)', 'scheduleSuite onReport']);
    } finally {
      sub.dispose();
    }
  });

  it('a run that cannot start (invalid suite options only runSuite checks) ends the schedule as failed', async () => {
    const w = gameDayWorld();
    const s = scheduleSuite({ ...w.suite, progress: 42 as never }, { every: 100, policy: w.controller });
    await w.clock.advanceTo(100);
    const end = await s.done;
    expect(end.cause).toBe('failed');
    expect(end.reason).toMatch(/^run 1 could not start: Invalid runSuite options: expected `progress`/);
    expect(w.clock.pending).toBe(0);
  });

  it('history: bounded, checked when read back', () => {
    const h = gameDayHistory({ limit: 1 });
    expect(() => h.add({ kind: 'suite' } as never)).toThrow(/journals\[0\]\.name/);
    expect(() => parseGameDayHistory('{')).toThrow(/valid JSON/);
    expect(() => parseGameDayHistory('{"kind":"game-day-history","version":2,"journals":[]}')).toThrow(/kind: "game-day-history", version: 1/);
    const e = validationError(() => parseGameDayHistory(JSON.stringify({ kind: 'game-day-history', version: 1, limit: 5, journals: [{ kind: 'experiment', experiment: 'x', verdict: 'won', mttr: -1, faultsOffAt: null, heldDuringInjection: 2, heldDuringRecovery: null, startedAt: 'soon', summary: { underFault: { calls: 1, failures: 2 } } }] })));
    expect(e.issues.map((i) => i.path)).toEqual([
      'journals[0].verdict',
      'journals[0].mttr',
      'journals[0].heldDuringInjection',
      'journals[0].startedAt',
      'journals[0].summary.underFault',
    ]);
    expect(parseGameDayHistory('{"kind":"game-day-history","version":1,"limit":3,"journals":[]}', { limit: 7 }).limit).toBe(7);
  });
});

describe('scheduleSuite: options', () => {
  it('one error names every bad option and every bad experiment field, before anything runs', () => {
    const w = gameDayWorld();
    const bad = { ...w.suite, experiments: [{ experiment: { ...w.suite.experiments[0]!.experiment, schedule: { baseline: 10, inject: 10, recovery: 5, evaluationInterval: 5 } } }] };
    const e = validationError(() => scheduleSuite(bad, { every: 0, policy: {} as never, maxRuns: 0, keepAlive: 'yes', when: 'tuesday' } as unknown as ScheduleOptions));
    expect(e.issues.map((i) => i.path)).toEqual(['when', 'every', 'policy', 'maxRuns', 'keepAlive', 'suite.experiments[0].experiment.schedule.recovery']);
    expect(w.clock.pending).toBe(0);
    expect(validationError(() => scheduleSuite({} as never, { every: 1, policy: w.controller })).issues.map((i) => i.path)).toEqual(['suite.name', 'suite.experiments']);
  });
});
