/**
 * @internal The permits of the half-open state: at most `maxProbes` trial calls at once,
 * `successThreshold` successes to close, and a `probeTimeout` after which a hung probe's
 * permit expires, so the breaker cannot stay half-open forever.
 *
 * @packageDocumentation
 */
import { keepShape } from '../core/shapes';

/** @internal The permit of one trial call. Only the permit object handed out can give it back. */
export class ProbePermit {
  constructor(
    /** @internal Where the permit is held in {@link ProbePermits}. */
    readonly slot: number,
    /** When the trial call started (the clock of the breaker). */
    readonly start: number,
  ) {}
}

// Its map outlives a full GC between two half-open periods (see core/shapes.ts); `start` is
// a clock time, a double.
keepShape(new ProbePermit(0, 0.5));

/**
 * @internal The trial calls of one half-open period. {@link ProbePermits.reset} starts a new
 * period: permits handed out before it are no longer held, so their results no longer count.
 */
export class ProbePermits {
  /** The permits held, by slot; `undefined` = a free slot. */
  private readonly holders: (ProbePermit | undefined)[];
  /** Slots that hold a permit (expired or not). */
  private held = 0;
  /** Trial calls that succeeded in this half-open period. */
  private succeeded = 0;
  /** True when permits can expire (`probeTimeout` is finite): results must then be timed. */
  readonly expires: boolean;

  constructor(
    readonly maxProbes: number,
    readonly successThreshold: number,
    /** Ms after which a trial call loses its permit; `Infinity`: never. */
    readonly probeTimeout: number,
  ) {
    this.holders = new Array<ProbePermit | undefined>(maxProbes).fill(undefined);
    this.expires = probeTimeout !== Number.POSITIVE_INFINITY;
  }

  /** Successes counted in this half-open period. */
  get successes(): number {
    return this.succeeded;
  }

  /** A permit for a trial call starting at `now`, or `undefined` when `maxProbes` permits are held and none has expired. */
  acquire(now: number): ProbePermit | undefined {
    if (this.held === this.maxProbes && this.expireHung(now) === 0) return undefined;
    const holders = this.holders;
    // Stryker disable next-line EqualityOperator: held < maxProbes here, so a free slot comes before the end and slot = length is never reached
    for (let slot = 0; slot < holders.length; slot++) {
      if (holders[slot] === undefined) {
        const permit = new ProbePermit(slot, now);
        holders[slot] = permit;
        this.held++;
        return permit;
      }
    }
    return undefined; // unreachable: `held` < `maxProbes` means a free slot
  }

  /**
   * Gives a permit back when its trial call ended, `heldFor` ms after it started. True when
   * the result counts: the permit was still held (no {@link ProbePermits.reset} since, not
   * expired and taken over) and `heldFor` is under `probeTimeout`.
   */
  release(permit: ProbePermit, heldFor: number): boolean {
    const slot = permit.slot;
    if (this.holders[slot] !== permit) return false;
    this.holders[slot] = undefined;
    this.held--;
    return heldFor < this.probeTimeout;
  }

  /** Frees the permits of trial calls that have run `probeTimeout` ms or more at `now`; returns how many. */
  expireHung(now: number): number {
    // Stryker disable next-line ConditionalExpression: with probeTimeout Infinity no permit is ever old enough, so the loop frees none
    if (!this.expires) return 0;
    const holders = this.holders;
    let freed = 0;
    // Stryker disable next-line EqualityOperator: holders[length] is undefined, which the loop skips like a free slot
    for (let slot = 0; slot < holders.length; slot++) {
      const p = holders[slot];
      if (p !== undefined && now - p.start >= this.probeTimeout) {
        holders[slot] = undefined;
        freed++;
      }
    }
    this.held -= freed;
    return freed;
  }

  /** Trial calls holding an unexpired permit at `now` (changes nothing). */
  active(now: number): number {
    let n = 0;
    for (const p of this.holders) if (p !== undefined && now - p.start < this.probeTimeout) n++;
    return n;
  }

  /** Counts one successful trial call; true when that makes `successThreshold`. */
  recordSuccess(): boolean {
    return ++this.succeeded >= this.successThreshold;
  }

  /** Sets the successes counted so far (restoring a snapshot). */
  restoreSuccesses(n: number): void {
    this.succeeded = n;
  }

  /** Starts a new period: no permit is held and no success counted. */
  reset(): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with no permit held every slot is already free, so filling them again changes nothing
    if (this.held > 0) this.holders.fill(undefined);
    this.held = 0;
    this.succeeded = 0;
  }
}
