/**
 * @internal Test helpers of the adaptive concurrency limit, on the virtual clock: a simulated
 * dependency with a capacity (it serves that many calls at once; the others wait in its FIFO
 * queue, so they get slower), a closed loop of callers, a recorder of the limit over time,
 * and the nearest-rank percentile. Not part of the package.
 */
import type { Random } from '../../src/core/random';
import type { AdaptiveLimitChangedEvent } from '../../src/adaptive-concurrency/events';
import { isConcurrencyLimitedError } from '../../src/adaptive-concurrency/errors';
import type { VirtualClock } from '../../src/testing/virtual-clock';

/** Options of {@link SimulatedDependency}. */
export interface SimulatedDependencyOptions {
  readonly clock: VirtualClock;
  /** Calls served at once; the others queue. */
  readonly capacity: number;
  /** Mean service time of one call (ms). */
  readonly serviceTime: number;
  /** Each service time is uniform in `serviceTime × [1 − jitter, 1 + jitter]`. @defaultValue 0.2 */
  readonly jitter?: number;
  /** Seeded randomness for the service times. */
  readonly random: Random;
}

/**
 * A dependency that serves `capacity` calls at once, each for about `serviceTime` ms, and
 * queues the rest in arrival order: past its capacity, every extra call in flight adds
 * `serviceTime / capacity` to everyone's latency (Little's law). `capacity` and
 * `serviceTime` may change at any time (a capacity rise starts waiting calls at once).
 */
export class SimulatedDependency {
  capacity: number;
  serviceTime: number;
  private readonly clock: VirtualClock;
  private readonly jitter: number;
  private readonly random: Random;
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  /** Calls served to the end. */
  served = 0;
  /** Most calls inside at once (served and waiting). */
  peak = 0;

  constructor(options: SimulatedDependencyOptions) {
    this.clock = options.clock;
    this.capacity = options.capacity;
    this.serviceTime = options.serviceTime;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random;
  }

  /** Calls inside now (served and waiting). */
  get inside(): number {
    return this.busy + this.waiting.length - this.head;
  }

  /** One call: resolves when it has been served. */
  call(): Promise<void> {
    return new Promise<void>((resolve) => {
      const start = (): void => {
        this.busy++;
        const ms = this.serviceTime * (1 - this.jitter + 2 * this.jitter * this.random());
        this.clock.setTimeout(() => {
          this.busy--;
          this.served++;
          this.startWaiting();
          resolve();
        }, ms);
      };
      if (this.busy < this.capacity && this.head === this.waiting.length) start();
      else this.waiting.push(start);
      if (this.inside > this.peak) this.peak = this.inside;
    });
  }

  /** Changes the capacity; waiting calls start at once if it rose. */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.busy < this.capacity && this.head < this.waiting.length) {
      const start = this.waiting[this.head] as () => void;
      this.waiting[this.head++] = noop;
      start();
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}

function noop(): void {}

/** What {@link closedLoop} reports. */
export interface ClosedLoop {
  /** Resolves when every caller has stopped (after `until`). */
  readonly done: Promise<void>;
  /** Calls that completed. */
  readonly completed: () => number;
  /** Calls rejected with `ConcurrencyLimitedError`. */
  readonly rejected: () => number;
}

/**
 * `callers` callers, each calling `call()` again as soon as its previous call settles, until
 * the clock reaches `until`. A call rejected with `ConcurrencyLimitedError` is retried after
 * `backoff()` ms; any other error fails `done`.
 */
export function closedLoop(options: {
  readonly clock: VirtualClock;
  readonly callers: number;
  readonly until: number;
  readonly call: () => Promise<unknown>;
  readonly backoff?: () => number;
}): ClosedLoop {
  const { clock, callers, until, call, backoff } = options;
  let completed = 0;
  let rejected = 0;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));
  const caller = async (): Promise<void> => {
    while (clock.now() < until) {
      try {
        await call();
        completed++;
      } catch (error) {
        if (!isConcurrencyLimitedError(error) || backoff === undefined) throw error;
        rejected++;
        await sleep(backoff());
      }
    }
  };
  const done = Promise.all(Array.from({ length: callers }, caller)).then(() => undefined);
  return { done, completed: () => completed, rejected: () => rejected };
}

/** The limit over time, from `limit-changed` events: `[time, limit]` pairs, the first at `start`. */
export class LimitTrace {
  readonly points: [number, number][];

  constructor(start: number, initial: number) {
    this.points = [[start, initial]];
  }

  /** A listener to pass to `policy.on('limit-changed', …)`. */
  readonly listener = (e: AdaptiveLimitChangedEvent): void => {
    this.points.push([e.time, e.limit]);
  };

  /** The limit at time `t`. */
  at(t: number): number {
    let limit = (this.points[0] as [number, number])[1];
    for (const [time, l] of this.points) {
      if (time > t) break;
      limit = l;
    }
    return limit;
  }

  /** Lowest and highest limit over [from, to). */
  range(from: number, to: number): [number, number] {
    let lo = this.at(from);
    let hi = lo;
    for (const [time, l] of this.points) {
      if (time < from || time >= to) continue;
      if (l < lo) lo = l;
      if (l > hi) hi = l;
    }
    return [lo, hi];
  }

  /** The earliest time in [from, to) at which the limit satisfies `test`; `undefined` when it never does. */
  firstAt(from: number, to: number, test: (limit: number) => boolean): number | undefined {
    if (test(this.at(from))) return from;
    for (const [time, l] of this.points) if (time > from && time < to && test(l)) return time;
    return undefined;
  }

  /** The median limit over [from, to), sampled every `step` ms. */
  median(from: number, to: number, step = 100): number {
    const xs: number[] = [];
    for (let t = from; t < to; t += step) xs.push(this.at(t));
    return nearestRank(xs, 50);
  }

  /**
   * The earliest time in [from, to] from which the limit stays within [lo, hi] until `to`;
   * `undefined` when it is outside the band at `to`.
   */
  settledAt(from: number, to: number, lo: number, hi: number): number | undefined {
    const inside = (l: number): boolean => l >= lo && l <= hi;
    if (!inside(this.at(to))) return undefined;
    let since = from;
    if (!inside(this.at(from))) since = Number.NaN;
    for (const [time, l] of this.points) {
      if (time <= from || time > to) continue;
      if (inside(l)) {
        if (Number.isNaN(since)) since = time;
      } else since = Number.NaN;
    }
    return since;
  }
}

/** The nearest-rank percentile `p` (0–100] of `values` (`NaN` when empty). */
export function nearestRank(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
