/**
 * What the experiment measures of its calls: per evaluation window and operation, per
 * phase, overall and under fault. Memory is one number per completed call.
 *
 * @packageDocumentation
 */
import type { ExperimentPhase, PhaseSummary, SeriesPoint } from './journal';
import { percentile } from './thresholds';

/** Rounds to the microsecond (three decimals), as every number of the journal. */
export const round = (x: number): number => Math.round(x * 1000) / 1000;
const nul = (x: number): number | null => (Number.isFinite(x) ? round(x) : null);

/** Completed calls of one group: how many, how many failed, and their durations (ms). */
export class CallTally {
  calls = 0;
  failures = 0;
  durations: number[] = [];

  add(ok: boolean, duration: number): void {
    this.calls++;
    if (!ok) this.failures++;
    this.durations.push(duration);
  }

  /** Sorts the durations in place (for percentiles) and returns them. */
  sorted(): number[] {
    return this.durations.sort((a, b) => a - b);
  }
}

/** The journal's summary of a tally. */
export function summarize(t: CallTally): PhaseSummary {
  const d = t.sorted();
  return {
    calls: t.calls,
    failures: t.failures,
    availability: t.calls === 0 ? null : round((t.calls - t.failures) / t.calls),
    p50: nul(percentile(d, 50)),
    p99: nul(percentile(d, 99)),
    max: d.length === 0 ? null : round(d[d.length - 1] as number),
  };
}

/** A closed window: its calls by operation (`'*'`: all), durations sorted, and when it began. */
export interface ClosedWindow {
  readonly tallies: ReadonlyMap<string, CallTally>;
  /** When the window began (ms since the start; later than planned on a busy real clock). */
  readonly start: number;
}

/** The measurements of one experiment. */
export class Measurements {
  /** Every call of the experiment. */
  readonly overall = new CallTally();
  /** The calls of ramp and inject: what users saw during the outage. */
  readonly underFault = new CallTally();
  private readonly byPhase = new Map<ExperimentPhase, CallTally>();
  private window = new Map<string, CallTally>();
  private windowStart = 0;

  /** Counts a completed call of `operation` in the current window and in `phase`. */
  record(operation: string, ok: boolean, duration: number, phase: ExperimentPhase): void {
    const d = round(duration);
    tally(this.window, operation).add(ok, d);
    if (operation !== '*') tally(this.window, '*').add(ok, d);
    this.overall.add(ok, d);
    if (phase === 'ramp' || phase === 'inject') this.underFault.add(ok, d);
    tally(this.byPhase, phase).add(ok, d);
  }

  /** Ends the current window at `at` (ms since the start) and begins the next one. */
  closeWindow(at: number): ClosedWindow {
    const tallies = this.window;
    for (const t of tallies.values()) t.sorted();
    const closed = { tallies, start: this.windowStart };
    this.window = new Map();
    this.windowStart = at;
    return closed;
  }

  /** The journal's summary per phase (phases without calls are absent). */
  phases(): Partial<Record<ExperimentPhase, PhaseSummary>> {
    const out: Partial<Record<ExperimentPhase, PhaseSummary>> = {};
    for (const [phase, t] of this.byPhase) out[phase] = summarize(t);
    return out;
  }
}

function tally<K>(map: Map<K, CallTally>, key: K): CallTally {
  let t = map.get(key);
  if (t === undefined) map.set(key, (t = new CallTally()));
  return t;
}

/** The series point of a closed window (`length`: its length in ms, for throughput). */
export function seriesPoint(
  index: number,
  phase: ExperimentPhase,
  window: ClosedWindow,
  end: number,
  length: number,
  circuits: Record<string, string>,
  steady: boolean | null,
): SeriesPoint {
  const all = window.tallies.get('*') ?? new CallTally();
  return {
    window: index,
    phase,
    start: window.start,
    end,
    calls: all.calls,
    failures: all.failures,
    errorRate: all.calls === 0 ? null : round(all.failures / all.calls),
    p50: nul(percentile(all.durations, 50)),
    p99: nul(percentile(all.durations, 99)),
    throughput: round((all.calls * 1000) / length),
    circuits,
    steady,
  };
}
