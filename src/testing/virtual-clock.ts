/**
 * A deterministic clock for tests: time moves only when the test says so, timers fire in
 * order, and promise continuations run between them, so a pipeline with retries,
 * timeouts and queue waits completes in microseconds of real time.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';

interface VirtualTimer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Handle returned by {@link VirtualClock.setTimeout}. */
export interface VirtualTimerHandle {
  /** Timer id, unique within its clock. */
  readonly id: number;
}

type Scheduler = (fn: () => void) => void;

/** @internal One macrotask hop: lets every queued promise continuation run. */
const macrotask: Scheduler = (() => {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') {
    const si = g.setImmediate;
    return (fn: () => void) => {
      si(fn);
    };
  }
  if (typeof g.MessageChannel === 'function') {
    return (fn: () => void) => {
      const ch = new g.MessageChannel!();
      ch.port1.onmessage = () => {
        ch.port1.close();
        fn();
      };
      ch.port2.postMessage(0);
    };
  }
  return (fn: () => void) => {
    globalThis.setTimeout(fn, 0);
  };
})();

/** Resolves after every promise continuation queued so far (and those they queue) has run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}

/**
 * A {@link Clock} whose time is moved by hand.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const p = pipeline(retry({ maxAttempts: 3, delay: 1_000, clock }), timeout({ duration: 5_000, clock }));
 * const result = p.execute(() => flakyCall());
 * await clock.runAll();          // runs the retry sleeps and timeouts in virtual time
 * await result;
 * ```
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, VirtualTimer>();
  /** Sorted lazily: timers ordered by (at, seq). */
  private queue: VirtualTimer[] = [];
  private dirty = false;

  /**
   * @param start - initial time in ms. @defaultValue 0
   */
  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`VirtualClock start must be a finite number, got ${String(start)}`);
    this.time = start;
  }

  /** Current virtual time (ms). */
  now(): number {
    return this.time;
  }

  /** Schedules `callback` at `now() + ms` (negative or NaN delays count as 0). */
  setTimeout(callback: () => void, ms: number): VirtualTimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : ms === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : 0;
    const timer: VirtualTimer = { id: this.nextId++, at: this.time + delay, seq: this.seq++, callback };
    this.timers.set(timer.id, timer);
    this.queue.push(timer);
    this.dirty = true;
    return { id: timer.id };
  }

  /** Cancels a timer; unknown handles are ignored. */
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null && typeof (handle as VirtualTimerHandle).id === 'number') {
      this.timers.delete((handle as VirtualTimerHandle).id);
    }
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Time of the next pending timer, or `undefined`. */
  nextTimerAt(): number | undefined {
    return this.peek()?.at;
  }

  private peek(): VirtualTimer | undefined {
    if (this.dirty) {
      this.queue = this.queue.filter((t) => this.timers.has(t.id));
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.dirty = false;
    }
    while (this.queue.length > 0 && !this.timers.has((this.queue[0] as VirtualTimer).id)) this.queue.shift();
    return this.queue[0];
  }

  private fireNext(limit: number): boolean {
    const t = this.peek();
    if (t === undefined || t.at > limit) return false;
    this.queue.shift();
    this.timers.delete(t.id);
    if (t.at > this.time) this.time = t.at;
    t.callback();
    return true;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due (including timers those
   * timers schedule) in time order, with promise continuations flushed before and after
   * each one. Ends with `now()` equal to the start time plus `ms`.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance() expects a duration ≥ 0, got ${String(ms)}`);
    await this.advanceTo(this.time + ms);
  }

  /** Moves time forward to the absolute time `target` (see {@link VirtualClock.advance}). */
  async advanceTo(target: number): Promise<void> {
    await flushMicrotasks();
    while (this.fireNext(target)) await flushMicrotasks();
    if (target > this.time) this.time = target;
    await flushMicrotasks();
  }

  /**
   * Fires every pending timer in time order, including timers scheduled meanwhile, until
   * none is left. Throws after `maxTimers` timers (a timer that always re-arms itself).
   * @param maxTimers - @defaultValue 100000
   */
  async runAll(maxTimers = 100_000): Promise<void> {
    await flushMicrotasks();
    let fired = 0;
    while (this.fireNext(Number.POSITIVE_INFINITY)) {
      if (++fired > maxTimers) throw new Error(`VirtualClock.runAll(): more than ${maxTimers} timers fired; is a timer re-arming itself forever?`);
      await flushMicrotasks();
    }
  }

  /** Runs pending promise continuations and the timers already due, without moving time. */
  async runUntilIdle(): Promise<void> {
    await this.advanceTo(this.time);
  }
}
