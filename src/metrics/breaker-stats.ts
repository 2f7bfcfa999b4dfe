/**
 * Statistics of one circuit breaker computed from its transitions: time in each state,
 * openings by reason, outages, MTTR, MTBF and the half-open recovery rate.
 *
 * @packageDocumentation
 */
import type { BreakerSnapshot } from './snapshot';
import type { CircuitState } from '../core/circuit-states';
import { bump, toRecord } from './counts';

/**
 * @internal The statistics of one breaker, moved by its transitions. An outage starts
 * when the breaker leaves `closed` and ends when it is `closed` again: MTTR is the mean
 * outage length, MTBF the mean time between the starts of consecutive outages. A
 * half-open episode ends `closed` (a recovery) or `open` (a failed recovery).
 */
export class BreakerStats {
  private state: CircuitState;
  private since: number;
  private readonly time: Record<CircuitState, number> = { closed: 0, open: 0, 'half-open': 0, isolated: 0 };
  private readonly openings = new Map<string, number>();
  private outages = 0;
  private outageStart: number | undefined = undefined;
  private lastOutageStart: number | undefined = undefined;
  private mttrSum = 0;
  private mttrCount = 0;
  private mtbfSum = 0;
  private mtbfCount = 0;
  private recovered = 0;
  private reopened = 0;

  /** `state` is the breaker's state when first seen, at `since`. */
  constructor(
    readonly name: string,
    state: CircuitState,
    since: number,
  ) {
    this.state = state;
    this.since = since;
  }

  /**
   * The breaker moved to `to` at `time`. An opening (to `open` or `isolated`) counts even
   * from the same state; another transition to the current state is ignored.
   */
  transition(to: CircuitState, time: number, reason: string | undefined): void {
    const from = this.state;
    const opening = to === 'open' || to === 'isolated';
    // Stryker disable next-line ConditionalExpression: equivalent for `false` — a repeated closed or half-open transition would only split the time of the same state (no outage starts or ends: outageStart is undefined while closed)
    if (from === to && !opening) return;
    if (time > this.since) {
      this.time[from] += time - this.since;
      this.since = time;
    }
    if (opening) {
      bump(this.openings, reason ?? (to === 'isolated' ? 'isolated' : 'unknown'));
      if (from === 'half-open' && to === 'open') this.reopened++;
    }
    if (from === 'closed' && to !== 'closed') {
      this.outages++;
      if (this.lastOutageStart !== undefined) {
        this.mtbfSum += time - this.lastOutageStart;
        this.mtbfCount++;
      }
      this.lastOutageStart = time;
      this.outageStart = time;
    } else if (to === 'closed') {
      if (from === 'half-open') this.recovered++;
      if (this.outageStart !== undefined) {
        this.mttrSum += time - this.outageStart;
        this.mttrCount++;
        this.outageStart = undefined;
      }
    }
    this.state = to;
  }

  /**
   * The statistics at `now`, the current state counted up to `now`. `live` is the state
   * read from the breaker itself when it is observed, else the last state its events told.
   */
  snapshot(now: number, live: CircuitState | undefined): BreakerSnapshot {
    const timeInState = { ...this.time };
    if (now > this.since) timeInState[this.state] += now - this.since;
    const episodes = this.recovered + this.reopened;
    return {
      name: this.name,
      state: live ?? this.state,
      timeInState,
      openings: toRecord(this.openings),
      outages: this.outages,
      mttr: this.mttrCount > 0 ? this.mttrSum / this.mttrCount : undefined,
      mtbf: this.mtbfCount > 0 ? this.mtbfSum / this.mtbfCount : undefined,
      recoveries: this.recovered,
      failedRecoveries: this.reopened,
      recoveryRate: episodes > 0 ? this.recovered / episodes : undefined,
    };
  }
}
