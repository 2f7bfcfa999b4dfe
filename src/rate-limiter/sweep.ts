/**
 * The idle sweep of the memory rate-limit store: an unref'd background timer that drops the
 * keys back to "full" when no call comes to drop them on access. It is timed by the first
 * held key to refill (not the last), comes at most once a second after a pass that kept
 * keys, and leaves out of its timing a key that refills beyond a platform timer's reach.
 *
 * Only a new state can be full sooner than the keys an armed pass was timed for (a held
 * key's time only moves later), so the store tells the sweep about new states only
 * ({@link IdleSweep.noteFull}): the hot path of a held key never touches it.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';

/** Float slack (ms) in comparisons: times and intervals are not always exact binary fractions. */
export const EPS = 1e-6;
/** The longest delay (ms) platform timers take. */
const MAX_TIMER_DELAY = 2_147_483_647;
/** Shortest time (ms) between two background sweep passes. */
const MIN_SWEEP_INTERVAL = 1_000;
/** Entries the background sweep inspects per timer turn. */
const SWEEP_CHUNK = 20_000;

/**
 * @internal The background sweep over a store's keys (`S`: the state of one key). Times are
 * relative to the store's origin, as `now()` gives them; `fullAt(state)` is the relative time
 * at which a state is back to "full" if nothing else comes.
 */
export class IdleSweep<S> {
  private timer: unknown = undefined;
  private pass: Iterator<[string, S]> | undefined;
  /** Earliest time (relative) at which a key the current pass kept is full again. */
  private passNext = Number.POSITIVE_INFINITY;
  /** Relative time of the armed pass; `Infinity` when none is armed (or a pass is running). */
  private at = Number.POSITIVE_INFINITY;
  /** No pass before this relative time: a pass that kept keys sets it to its time + `MIN_SWEEP_INTERVAL`. */
  private floor = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly keys: Map<string, S>,
    private readonly fullAt: (state: S) => number,
    private readonly now: () => number,
  ) {}

  /**
   * A new state is full again at relative time `full` (at `t` now): makes sure a pass comes
   * by `full` + `MIN_SWEEP_INTERVAL`.
   */
  noteFull(full: number, t: number): void {
    // Up to MIN_SWEEP_INTERVAL late is fine (a pass may wait that long anyway): re-arming
    // only for a bigger gain keeps timer churn off a stream of new keys.
    if (full + MIN_SWEEP_INTERVAL < this.at) this.arm(full, t);
  }

  /**
   * Arms the sweep for relative time `full` (at `t` now), not before `floor`, when that is
   * sooner than the pass already armed. While a pass runs, `full` joins the timing of its
   * next pass instead. A time beyond the longest delay a platform timer takes (a longer one
   * would fire at once) is left out: such a key refills so slowly that sweeping it is
   * pointless; it is dropped when touched or checked, or by a later pass once it is idle.
   */
  private arm(full: number, t: number): void {
    if (this.pass !== undefined) {
      this.passNext = Math.min(this.passNext, full);
      return;
    }
    const delay = Math.max(1, Math.ceil(Math.max(full, this.floor) - t));
    if (!(delay <= MAX_TIMER_DELAY) || !(t + delay < this.at)) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const handle = this.clock.setTimeout(() => this.run(), delay);
    this.timer = handle;
    this.at = t + delay;
    unrefTimer(handle); // background work: never keeps a process alive
  }

  /** One pass over every key, in chunks, then again for the keys it kept. */
  private run(): void {
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
    const t = this.now();
    let pass = this.pass;
    if (pass === undefined) {
      pass = this.pass = this.keys.entries();
      this.passNext = Number.POSITIVE_INFINITY;
    }
    for (let i = 0; i < SWEEP_CHUNK; i++) {
      const r = pass.next();
      if (r.done === true) {
        this.pass = undefined;
        break;
      }
      const [k, state] = r.value;
      const full = this.fullAt(state);
      // Stryker disable next-line EqualityOperator: equivalent — the boundary case (a difference equal to the 1e-6 float slack to the last bit) is not reachable from clock times
      if (full <= t + EPS) this.keys.delete(k);
      else this.passNext = Math.min(this.passNext, full);
    }
    if (this.pass !== undefined) {
      const handle = this.clock.setTimeout(() => this.run(), 0);
      this.timer = handle;
      unrefTimer(handle);
    } else if (this.keys.size > 0) {
      // Again when the first kept key is full, but not within a second: a pass is O(keys).
      // Keys beyond a timer's reach are left out: when only they remain, no timer is armed.
      this.floor = t + MIN_SWEEP_INTERVAL;
      this.arm(this.passNext, t);
      // Stryker disable next-line BlockStatement: equivalent — a pass runs no sooner than the floor, so once it has emptied the store the floor is in the past and max(full, floor) − now rounds up to the same delay
    } else {
      this.floor = Number.NEGATIVE_INFINITY;
    }
  }
}
