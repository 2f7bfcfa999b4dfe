/**
 * The limit estimator: gathers latency samples into windows, keeps the no-load latency, and
 * asks the algorithm for a new limit once per window. Fixed memory: a few numbers, whatever
 * the number of calls.
 *
 * - **Windows.** A window closes after `max(10, limit)` samples: about one round trip of the
 *   calls in flight, so the latency a window sees already reflects the previous move (one
 *   move per round trip, as TCP moves its window once per RTT). A probe window needs
 *   `max(10, probe limit)`.
 * - **Which calls are timed.** A call is timed when, with it, at least half of the limit is in
 *   flight (the limit is in play); below that one call in 32 is (enough to follow the no-load
 *   latency), so an uncontended call reads no clock.
 * - **No-load latency.** The lowest window latency of the current period and the previous one
 *   (a period is about 40 windows): it falls at once with a faster window, and forgets old
 *   lows after two periods.
 * - **Probes.** Under sustained load every sample includes the limiter's own queueing, so the
 *   no-load latency could never be seen again. Once per period the estimator admits at most
 *   half of the limit for one window (the probe) and times only calls admitted under it: with
 *   the dependency's queue drained, that window shows the no-load latency. When a probe finds
 *   a latency more than 10 % lower, the next probe comes two windows later and goes twice as
 *   deep (a limit learned far above the capacity is found out in a few probes). One that
 *   finds it more than 10 % higher is repeated likewise: if halving its load did not lower
 *   the latency by 15 %, nothing was queueing, and that latency is adopted.
 * - **Is it us?** While the algorithm cuts the limit because latency is high, the estimator
 *   checks Little's law: if it were the limiter's own queueing, 30 % fewer calls in flight
 *   would mean clearly less latency. When the calls in flight have fallen by 30 % and latency
 *   has not fallen by 15 %, the dependency became slower for everyone: that latency becomes
 *   the no-load latency and the limit goes back to where it was before that step, instead of
 *   collapsing to `minLimit`.
 *
 * @packageDocumentation
 */
import { appLimited, type LimitRule, type WindowStats } from './algorithm';

/** Fewest samples of a window. */
const WINDOW_SAMPLES = 10;
/** Windows between two probes (a period of the no-load minimum). */
const PROBE_INTERVAL = 40;
/** Windows before the first probe. */
const FIRST_PROBE = 2;
/** Windows before a repeated probe, after one that found a lower latency. */
const REPEAT_PROBE = 2;
/** A probe within this fraction of the no-load latency confirms it; one lower by more is repeated, deeper. */
const PROBE_MARGIN = 0.1;
/** Deepest probe: this fraction of the limit. */
const MIN_PROBE_DEPTH = 1 / 64;
/** First probe depth: half of the limit. */
const PROBE_DEPTH = 0.5;
/** The in-flight drop (fraction kept) after which the queueing check compares latencies. */
const SHRINK = 0.7;
/** Latency above this fraction of the reference did not respond to the in-flight drop. */
const RESPONSE = 0.85;
/** @internal Calls admitted below {@link LimitEstimator.timedFrom}: one in this many is timed (a power of two). */
export const SPARSE_SAMPLING = 32;

/** @internal One limit: its estimate, windows, no-load latency and probes. */
export class LimitEstimator {
  /** The current estimate, a real number in [minLimit, maxLimit]. */
  private estimate: number;
  // The open window.
  private samples = 0;
  private latencySamples = 0;
  private latencySum = 0;
  private inFlightSum = 0;
  private maxInFlight = 0;
  private drops = 0;
  private skipped = 0;
  // The no-load latency: the lowest window latency of this period and the previous one.
  private noLoad = Number.NaN;
  private periodMin = Number.POSITIVE_INFINITY;
  private previousMin = Number.POSITIVE_INFINITY;
  private windows = 0;
  private nextCheckpoint = FIRST_PROBE;
  private probeDepth = PROBE_DEPTH;
  /** Mean latency (ms) of the last closed window (`NaN` before the first, or when it held only fast failures). */
  lastLatency = Number.NaN;
  /** True while a probe window runs (admission is capped at {@link LimitEstimator.probeLimit}). */
  probing = false;
  /** The admission limit of the running probe. */
  probeLimit = 0;
  // The reference of the queueing check (NaN: none).
  private refInFlight = Number.NaN;
  private refLatency = Number.NaN;
  private refEstimate = Number.NaN;
  /** The latency of the last probe that came out higher than the no-load latency (NaN: none). */
  private lastHighProbe = Number.NaN;

  constructor(
    readonly rule: LimitRule,
    readonly minLimit: number,
    readonly maxLimit: number,
    initialLimit: number,
  ) {
    this.estimate = initialLimit;
  }

  /** The limit: the whole part of the estimate, within [minLimit, maxLimit]. */
  get limit(): number {
    return Math.floor(this.estimate);
  }

  /** How many calls may be in flight now: the limit, or the probe's limit during a probe. */
  get admissionLimit(): number {
    return this.probing ? this.probeLimit : Math.floor(this.estimate);
  }

  /** The estimated no-load latency (ms); `NaN` before the first window with a latency. */
  get noLoadLatency(): number {
    return this.noLoad;
  }

  /**
   * Calls admitted with at least this many in flight (themselves included) are timed: half
   * the limit (the limit is in play), or 0 during a probe (every call is timed).
   */
  get timedFrom(): number {
    return this.probing ? 0 : Math.ceil(this.estimate / 2);
  }

  /**
   * Whether to time the call just admitted, with `inFlight` calls in flight (itself
   * included): from {@link LimitEstimator.timedFrom} on, and one call in 32 below it. (The
   * gate applies the same rule with cached numbers on its hot path.)
   */
  wantsSample(inFlight: number): boolean {
    if (inFlight >= this.timedFrom) return true;
    // Stryker disable next-line UpdateOperator: equivalent — counting down reaches a multiple of 32 at the same calls (-32 % 32 is -0, and -0 === 0)
    return ++this.skipped % SPARSE_SAMPLING === 0;
  }

  /**
   * Records the sample of a timed call: its latency (ms), the calls in flight when it was
   * admitted (itself included), and whether it failed in a way `handle` counts. Returns true
   * when the sample closed a window (the limit or the admission limit may have moved).
   */
  sample(latency: number, inFlight: number, failed: boolean): boolean {
    // During a probe, a call admitted before it waited behind the old load: not a probe sample.
    if (this.probing && inFlight > this.probeLimit) return false;
    this.samples++;
    if (failed || latency > this.rule.slowAfter) this.drops++;
    // A failure faster than the no-load latency says nothing about queueing (NaN: not yet known).
    if (!failed || latency >= this.noLoad) {
      this.latencySamples++;
      this.latencySum += latency;
      this.inFlightSum += inFlight;
    }
    if (inFlight > this.maxInFlight) this.maxInFlight = inFlight;
    const size = this.probing ? this.probeLimit : Math.floor(this.estimate);
    if (this.samples < (size > WINDOW_SAMPLES ? size : WINDOW_SAMPLES)) return false;
    this.closeWindow();
    return true;
  }

  private closeWindow(): void {
    const n = this.latencySamples;
    const window: WindowStats = {
      latency: n > 0 ? this.latencySum / n : Number.NaN,
      meanInFlight: n > 0 ? this.inFlightSum / n : Number.NaN,
      maxInFlight: this.maxInFlight,
      drops: this.drops,
      samples: this.samples,
    };
    this.samples = this.latencySamples = this.latencySum = this.inFlightSum = this.maxInFlight = this.drops = 0;
    this.windows++;
    this.lastLatency = window.latency;
    if (this.probing) {
      this.endProbe(window.latency);
      return;
    }
    if (n > 0) this.observe(window.latency);
    const step = this.rule.next(this.estimate, window, this.noLoad);
    let next = step.limit;
    if (step.cut && n > 0) next = this.checkQueueing(window, next);
    else this.refInFlight = Number.NaN;
    this.estimate = this.clamp(next);
    if (this.windows >= this.nextCheckpoint) this.checkpoint(window);
  }

  private clamp(limit: number): number {
    if (!(limit >= this.minLimit)) return this.minLimit; // NaN included
    return limit > this.maxLimit ? this.maxLimit : limit;
  }

  /** A window latency: the no-load latency follows it down at once. */
  private observe(latency: number): void {
    if (latency < this.periodMin) this.periodMin = latency;
    this.noLoad = Math.min(this.previousMin, this.periodMin);
  }

  /**
   * The algorithm cuts the limit because latency is high. If the calls in flight have fallen
   * by 30 % since the reference and latency has not fallen by 15 %, the latency is not the
   * limiter's own queueing: adopt it as the no-load latency and undo the cut since then.
   */
  private checkQueueing(window: WindowStats, next: number): number {
    const inFlight = window.meanInFlight;
    const latency = window.latency;
    if (Number.isNaN(this.refInFlight) || latency * RESPONSE > this.refLatency) {
      this.reference(inFlight, latency);
      return next;
    }
    if (inFlight > Math.max(this.refInFlight * SHRINK, this.minLimit)) return next;
    if (latency > this.refLatency * RESPONSE) {
      this.noLoad = this.periodMin = this.previousMin = latency;
      const restored = Math.max(next, this.refEstimate);
      this.refInFlight = Number.NaN;
      return restored;
    }
    this.reference(inFlight, latency);
    return next;
  }

  private reference(inFlight: number, latency: number): void {
    this.refInFlight = inFlight;
    this.refLatency = latency;
    this.refEstimate = this.estimate;
  }

  /** Once per period: start a probe, or only begin a new period when there is nothing to probe. */
  private checkpoint(window: WindowStats): void {
    const probeLimit = Math.max(this.minLimit, Math.floor(this.estimate * this.probeDepth));
    if (!this.rule.usesNoLoad || appLimited(this.estimate, window) || probeLimit >= Math.floor(this.estimate)) {
      this.previousMin = this.periodMin;
      this.periodMin = Number.POSITIVE_INFINITY;
      if (this.previousMin !== Number.POSITIVE_INFINITY) this.noLoad = this.previousMin;
      this.nextCheckpoint = this.windows + PROBE_INTERVAL;
      return;
    }
    this.probing = true;
    this.probeLimit = probeLimit;
  }

  /**
   * A probe window ended with mean latency `latency`:
   * - lower than the no-load latency by more than 10 %: the old value held queueing; take the
   *   lower one and probe again soon, twice as deep;
   * - within 10 % of it: confirmed; a new period starts (forgetting lows older than a period);
   * - higher: either the probe did not drain the queue, or the dependency became slower. Probe
   *   again soon, twice as deep; if halving the probe's load did not lower its latency by 15 %,
   *   that latency is the dependency's own: adopt the lower of the two readings.
   */
  private endProbe(latency: number): void {
    this.probing = false;
    if (!(latency > 0)) {
      this.nextCheckpoint = this.windows + PROBE_INTERVAL;
      return;
    }
    const noLoad = this.noLoad;
    if (latency <= noLoad * (1 + PROBE_MARGIN) || Number.isNaN(noLoad)) {
      const lowered = noLoad - latency > noLoad * PROBE_MARGIN;
      this.newPeriod(latency);
      this.lastHighProbe = Number.NaN;
      this.deepen(lowered);
      return;
    }
    const previous = this.lastHighProbe;
    if (!Number.isNaN(previous) && latency >= previous * RESPONSE) {
      // Half the load, about the same latency: it is not queueing. Take the lower reading.
      this.noLoad = this.periodMin = this.previousMin = Math.min(latency, previous);
      this.lastHighProbe = Number.NaN;
      this.deepen(false);
      return;
    }
    this.lastHighProbe = latency;
    this.deepen(true);
  }

  /** The probe's latency closes this period and opens the next one. */
  private newPeriod(latency: number): void {
    this.previousMin = Math.min(this.periodMin, latency);
    this.periodMin = latency;
    this.noLoad = this.previousMin;
  }

  /** Schedules the next probe: soon and twice as deep, or after a period at the first depth. */
  private deepen(again: boolean): void {
    this.probeDepth = again ? Math.max(this.probeDepth / 2, MIN_PROBE_DEPTH) : PROBE_DEPTH;
    this.nextCheckpoint = this.windows + (again ? REPEAT_PROBE : PROBE_INTERVAL);
  }
}
