/**
 * The drill's two latency experiments (issue #17): the live leaderboard under a long latency
 * tail of the database, read with the hedge and without it side by side, and a capacity drop
 * of the database that the adaptive limit follows. Each records its own readings as
 * experiment gauges (the p99 of both reads; the limit and the capacity), which the HTML
 * report charts next to the runner's own charts.
 */
import type { CircuitBreakerPolicy } from '../../src/index';
import { systemClock, type Clock } from '../../src/index';
import type { AdaptiveConcurrencyPolicy } from '../../src/adaptive-concurrency/index';
import { percentile, startLoad, type ChaosController, type ExperimentFault, type ExperimentGauges, type ExperimentJournal, type ExperimentOptions, type LoadRun } from '../../src/chaos/index';
import { expectOk } from './answers';
import type { DatabaseSim } from './dependencies';
import type { DrillExperimentOptions } from './experiments';

/** The options every experiment of the drill shares (schedule, recovery streak, halt, controller, seed, progress). */
export type SharedOptions = Pick<ExperimentOptions, 'schedule' | 'recoveryStreak' | 'halt' | 'controller' | 'seed' | 'progress'>;

/**
 * The durations of one path of a load, timed by the load itself: its p99 over the last
 * `span` ms (what the gauge reads at each evaluation), and the durations of the calls that
 * started while the fault was on.
 */
export class LatencyTrail {
  private recent: { readonly end: number; readonly ms: number }[] = [];
  /** Durations (ms) of the calls that started while the fault was on. */
  readonly underFault: number[] = [];

  constructor(
    private readonly span: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Runs and times `call` (failed calls count too, as in the runner's own numbers). */
  async time<T>(faultOn: boolean, call: () => Promise<T>): Promise<T> {
    const start = this.clock.now();
    try {
      return await call();
    } finally {
      const end = this.clock.now();
      this.recent.push({ end, ms: end - start });
      if (faultOn) this.underFault.push(end - start);
      this.trim(end);
    }
  }

  /** The p99 (ms, nearest rank) of the calls that ended in the last `span` ms; `null` when none did. */
  p99(): number | null {
    this.trim(this.clock.now());
    return p99Of(this.recent.map((r) => r.ms));
  }

  /** The p99 (ms) of the calls that started while the fault was on; `null` when none did. */
  p99UnderFault(): number | null {
    return p99Of(this.underFault);
  }

  private trim(now: number): void {
    let i = 0;
    while (i < this.recent.length && (this.recent[i] as { end: number }).end < now - this.span) i++;
    if (i > 0) this.recent = this.recent.slice(i);
  }
}

function p99Of(values: readonly number[]): number | null {
  return values.length === 0 ? null : Math.round(percentile([...values].sort((a, b) => a - b), 99) * 10) / 10;
}

/** What the two experiments' loads saw, for the drill's summary lines. */
export interface LatencyRecords {
  /** Live leaderboard reads with the hedge. */
  readonly hedged: LatencyTrail;
  /** The same reads without it. */
  readonly unhedged: LatencyTrail;
  /** Leaderboard answers of the capacity-drop experiment: all, and stale ones, while the capacity was down and overall. */
  readonly boards: { answers: number; stale: number; answersUnderFault: number; staleUnderFault: number };
}

/** Fresh records; `span`: the window of the p99 gauges (ms). */
export function latencyRecords(span = 1_000): LatencyRecords {
  return { hedged: new LatencyTrail(span), unhedged: new LatencyTrail(span), boards: { answers: 0, stale: 0, answersUnderFault: 0, staleUnderFault: 0 } };
}

/**
 * The "fault" of the capacity-drop experiment: the database server runs `reduced` queries at
 * once at full speed instead of its normal capacity (a replica lost, a vacuum running), so
 * past that every query is slower in proportion. It obeys the chaos controller (while chaos
 * is not active, the capacity is the normal one) and counts the queries that ran at the
 * lowered capacity as its injections.
 */
export class DatabaseCapacityDrop implements ExperimentFault {
  readonly name = 'database-capacity-drop';
  /** Queries that ran at the lowered capacity. */
  injections = 0;
  private on = false;

  constructor(
    private readonly db: DatabaseSim,
    private readonly reduced: number,
    readonly controller: ChaosController,
  ) {}

  /** The capacity the database's queries get now. */
  get capacity(): number {
    return this.active() ? this.reduced : this.db.capacity;
  }

  enable(): void {
    this.on = true;
    this.db.capacityDrop = () => {
      if (!this.active()) return undefined;
      this.injections++;
      return this.reduced;
    };
  }

  disable(): void {
    this.on = false;
    this.db.capacityDrop = undefined;
  }

  private active(): boolean {
    return this.on && this.controller.status().active;
  }
}

/** The gauges of the long-tail experiment: the p99 of the reads that ended in the last second (ms), with and without the hedge. */
export const LONG_TAIL_GAUGES = { hedged: 'hedged p99, last 1 s (ms)', unhedged: 'unhedged p99, last 1 s (ms)' } as const;
/** The gauges of the capacity-drop experiment: the adaptive limit, and the queries the database serves at once at full speed. */
export const CAPACITY_GAUGES = { limit: 'database limit', capacity: 'database capacity' } as const;

/** The long tail's gauges: each kind of read's p99 over the last second, timed by the load itself. */
export function longTailGauges(records: LatencyRecords): ExperimentGauges {
  return {
    [LONG_TAIL_GAUGES.hedged]: () => records.hedged.p99(),
    [LONG_TAIL_GAUGES.unhedged]: () => records.unhedged.p99(),
  };
}

/** The capacity drop's gauges: the adaptive limit in front of the database, and the capacity its queries get. */
export function capacityGauges(limit: AdaptiveConcurrencyPolicy | undefined, drop: DatabaseCapacityDrop): ExperimentGauges {
  return {
    [CAPACITY_GAUGES.limit]: () => limit?.limit ?? null, // no limit without the policies (--compare): no reading
    [CAPACITY_GAUGES.capacity]: () => drop.capacity,
  };
}

const LIVE_REGIONS = ['eu', 'na', 'sa', 'asia'] as const;
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;
const callsFor = (rate: number, s: ExperimentOptions['schedule']): number => Math.ceil((rate * (s.baseline + (s.ramp ?? 0) + s.inject + s.recovery)) / 1_000) + 10;

/**
 * The long tail: one database read in twenty waits about 1 s. The experiment's load reads the
 * live leaderboard (the database read is the answer: no cache, no stale board) with the hedge,
 * at 2× the drill's rate; the hypothesis and the runner's numbers are about these reads. A
 * control group reads the same board without the hedge at the same rate, beside the
 * experiment and unmeasured by the runner (its reads would count in the experiment's p99);
 * both kinds' p99 over the last second are gauges. Each load keeps at most 12 reads in flight:
 * a process stalled by a busy machine does not fire a second's worth of reads the moment it
 * wakes up (the reads it skips are counted as dropped).
 */
export function longTailExperiment(o: DrillExperimentOptions, shared: SharedOptions, breakers: readonly CircuitBreakerPolicy[], records: LatencyRecords): ExperimentOptions {
  const fault = o.server.resilience.faults.databaseLongTail;
  const rate = o.timing.rate * 2;
  // At least 3 s of fault: a p99 needs a few slow reads, and the reads the fault still holds
  // when it goes off are released at once (so the last second of the fault adds few).
  const schedule = { ...shared.schedule, inject: Math.max(3_000, shared.schedule.inject) };
  const duration = schedule.baseline + (schedule.ramp ?? 0) + schedule.inject + schedule.recovery;
  const read = (hedged: boolean) => async (i: number): Promise<void> => {
    await (hedged ? records.hedged : records.unhedged).time(fault.isEnabled, async () => {
      expectOk('GET /leaderboard/live', await o.client.liveLeaderboard(pick(LIVE_REGIONS, i), 10, hedged));
    });
  };
  let control: LoadRun | undefined;
  const hedgedRead = read(true);
  const unhedgedRead = read(false);
  return {
    ...shared,
    name: 'leaderboard-long-tail',
    hypothesis:
      'While one database read in twenty takes about 1 s, live leaderboards read with the hedge stay above 99 % available with a p99 under 500 ms, half the tail; the same reads without the hedge, beside them, show the tail.',
    faults: [fault],
    schedule,
    load: {
      fn: (i) => {
        // The control group starts with the experiment's first read and stops with it (rollback).
        control ??= startLoad({ fn: unhedgedRead, rate, duration, maxCalls: callsFor(rate, schedule), maxInFlight: 12 });
        return hedgedRead(i);
      },
      rate,
      maxCalls: callsFor(rate, schedule),
      maxInFlight: 12,
      operation: 'leaderboard.live',
    },
    steadyState: { '*': { availability: ['rate>0.99'], latency: ['p(99)<500'] } },
    circuitBreakers: breakers,
    gauges: longTailGauges(records),
    rollbacks: [
      async function stopControlGroup() {
        control?.stop();
        await control?.done;
      },
    ],
  };
}

/**
 * The capacity drop: the database serves 2 queries at once at full speed instead of 8. The
 * load refreshes leaderboards (`fresh=1`: the cached board is skipped, so the database is
 * asked) at 4× the drill's rate, more than the dropped capacity can serve; the adaptive
 * limit and the capacity are gauges.
 */
export function capacityDropExperiment(o: DrillExperimentOptions, shared: SharedOptions, breakers: readonly CircuitBreakerPolicy[], records: LatencyRecords): ExperimentOptions {
  const drop = new DatabaseCapacityDrop(o.server.dependencies.database, 2, o.controller);
  const limit = o.server.resilience.databaseLimit;
  const rate = o.timing.rate * 4;
  const boards = records.boards;
  const refresh = async (i: number): Promise<void> => {
    const underFault = drop.capacity < o.server.dependencies.database.capacity;
    const answer = expectOk('GET /leaderboard', await o.client.leaderboard(pick(LIVE_REGIONS, i), 10, true));
    const stale = (answer.body as { stale?: unknown }).stale === true;
    boards.answers++;
    if (stale) boards.stale++;
    if (underFault) {
      boards.answersUnderFault++;
      if (stale) boards.staleUnderFault++;
    }
  };
  return {
    ...shared,
    name: 'database-capacity-drop',
    hypothesis:
      'When the database can serve 2 queries at once at full speed instead of 8, refreshed leaderboards stay above 99 % available and answer within their 400 ms budget (p99; stale when the database cannot answer in time), while the adaptive limit falls with the capacity and rises again after it.',
    faults: [drop],
    load: { fn: refresh, rate, maxCalls: callsFor(rate, shared.schedule), maxInFlight: 200, operation: 'leaderboard.top' },
    // Within the read's own 400 ms budget: at 4× the drill's rate the HTTP layer of a busy
    // two-core machine adds its share to the p99, stale or fresh.
    steadyState: { '*': { availability: ['rate>0.99'], latency: ['p(99)<400'] } },
    circuitBreakers: breakers,
    gauges: capacityGauges(limit, drop),
  };
}

const ms = (v: number | null): string => (v === null ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

/** One line about the long-tail experiment of a run (`hedged: false` for a run without the policies, where neither read is hedged). */
export function longTailLine(r: LatencyRecords, label = 'Long tail', hedged = true): string {
  if (r.hedged.underFault.length === 0) return `${label}: not in this run`;
  const what = `${label}: p99 of live leaderboard reads while one database read in twenty took ~1 s:`;
  if (!hedged) return `${what} ${ms(r.hedged.p99UnderFault())} and ${ms(r.unhedged.p99UnderFault())} (neither read hedged: the policies are off)`;
  return `${what} ${ms(r.hedged.p99UnderFault())} with the hedge, ${ms(r.unhedged.p99UnderFault())} without (${r.hedged.underFault.length} and ${r.unhedged.underFault.length} reads)`;
}

/** The readings of a gauge in the windows of one phase. */
export function gaugeReadings(j: ExperimentJournal, gauge: string, phase: ExperimentJournal['series'][number]['phase']): number[] {
  const out: number[] = [];
  for (const p of j.series) {
    const v = p.gauges?.[gauge];
    if (p.phase === phase && typeof v === 'number') out.push(v);
  }
  return out;
}

/** One line about the capacity-drop experiment of a run. */
export function capacityLine(j: ExperimentJournal | undefined, r: LatencyRecords, label = 'Capacity drop'): string {
  if (j === undefined) return `${label}: not in this run`;
  const last = (xs: readonly number[]): string => (xs.length === 0 ? '–' : String(Math.round((xs[xs.length - 1] as number) * 10) / 10));
  const lowest = (xs: readonly number[]): string => (xs.length === 0 ? '–' : String(Math.round(Math.min(...xs) * 10) / 10));
  const b = r.boards;
  return (
    `${label}: database limit ${last(gaugeReadings(j, CAPACITY_GAUGES.limit, 'baseline'))} before, ${lowest(gaugeReadings(j, CAPACITY_GAUGES.limit, 'inject'))} at the lowest while the capacity was ${lowest(gaugeReadings(j, CAPACITY_GAUGES.capacity, 'inject'))}, ` +
    `${last(gaugeReadings(j, CAPACITY_GAUGES.limit, 'recovery'))} at the end; ${b.staleUnderFault} of ${b.answersUnderFault} boards stale during the drop`
  );
}
