/**
 * A deterministic clock for tests: time moves only when the test says so, timers fire in
 * order, and promise continuations run between them, so a pipeline with retries,
 * timeouts and queue waits completes in microseconds of real time.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { Heap } from '../core/heap';

interface VirtualTimer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  callback: (() => void) | undefined;
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

/**
 * Resolves after every promise continuation queued so far (and every one those queue)
 * has run: it waits for one macrotask hop (`setImmediate` on Node).
 *
 * @example
 * ```ts
 * const p = somethingAsync();
 * await flushMicrotasks(); // p's `.then` callbacks have run
 * ```
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A {@link Clock} whose time is moved by hand.
 *
 * - `setTimeout` / `clearTimeout` are O(log n); a timer of `Infinity` ms never fires.
 * - `advance`, `advanceTo`, `runAll` and `runUntilIdle` fire due timers in time order
 *   (ties in scheduling order) and let every promise continuation run before and after
 *   each timer, so code that awaits between timers sees the time it expects.
 * - Calls to those four methods are serialized: starting one while another runs waits
 *   for it.
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
  private live = 0;
  private readonly timers = new Map<number, VirtualTimer>();
  private readonly heap = new Heap<VirtualTimer>(before);
  private running: Promise<void> = Promise.resolve();
  private firedCount = 0;

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

  /** Schedules `callback` at `now() + ms` (negative or NaN delays count as 0; `Infinity` never fires). */
  setTimeout(callback: () => void, ms: number): VirtualTimerHandle {
    const delay = ms > 0 ? ms : 0; // NaN > 0 is false
    const timer: VirtualTimer = { id: this.nextId++, at: this.time + delay, seq: this.seq++, callback };
    this.timers.set(timer.id, timer);
    this.live++;
    if (timer.at !== Number.POSITIVE_INFINITY) this.heap.push(timer);
    return { id: timer.id };
  }

  /** Cancels a timer; unknown or spent handles are ignored. */
  clearTimeout(handle: unknown): void {
    if (typeof handle !== 'object' || handle === null) return;
    const id = (handle as Partial<VirtualTimerHandle>).id;
    if (typeof id !== 'number') return;
    const t = this.timers.get(id);
    if (t === undefined) return;
    this.timers.delete(id);
    t.callback = undefined; // stays in the heap, skipped when reached
    this.live--;
  }

  /** Number of timers scheduled and not yet fired or cleared (including `Infinity` ones). */
  get pending(): number {
    return this.live;
  }

  /** Number of timers fired since construction. */
  get fired(): number {
    return this.firedCount;
  }

  /** Time of the next timer that will fire, or `undefined` when none will. */
  nextTimerAt(): number | undefined {
    return this.peek()?.at;
  }

  private peek(): VirtualTimer | undefined {
    const h = this.heap;
    for (let t = h.peek(); t !== undefined; t = h.peek()) {
      if (t.callback !== undefined) return t;
      h.pop();
    }
    return undefined;
  }

  private fireNext(limit: number): boolean {
    const t = this.peek();
    if (t === undefined || t.at > limit) return false;
    this.heap.pop();
    this.timers.delete(t.id);
    this.live--;
    const cb = t.callback as () => void;
    t.callback = undefined;
    if (t.at > this.time) this.time = t.at;
    this.firedCount++;
    cb();
    return true;
  }

  private serialize(job: () => Promise<void>): Promise<void> {
    const run = this.running.then(job, job);
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due (including timers those
   * timers schedule) in time order, with promise continuations flushed before and after
   * each one. Ends with `now()` equal to the start time plus `ms`.
   */
  advance(ms: number): Promise<void> {
    if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      return Promise.reject(new RangeError(`advance() expects a finite duration ≥ 0, got ${String(ms)}`));
    }
    return this.serialize(() => this.advanceInner(this.time + ms));
  }

  /** Moves time forward to the absolute time `target` (see {@link VirtualClock.advance}); a past `target` only runs due timers. */
  advanceTo(target: number): Promise<void> {
    if (!Number.isFinite(target)) return Promise.reject(new RangeError(`advanceTo() expects a finite time, got ${String(target)}`));
    return this.serialize(() => this.advanceInner(target));
  }

  private async advanceInner(target: number): Promise<void> {
    await flushMicrotasks();
    while (this.fireNext(target)) await flushMicrotasks();
    if (target > this.time) this.time = target;
    await flushMicrotasks();
  }

  /**
   * Fires every pending timer in time order, including timers scheduled meanwhile, until
   * none is left (timers of `Infinity` ms are not run). Throws after `maxTimers` timers
   * (a timer that always re-arms itself).
   * @param maxTimers - @defaultValue 100000
   */
  runAll(maxTimers = 100_000): Promise<void> {
    return this.serialize(async () => {
      await flushMicrotasks();
      let fired = 0;
      while (this.fireNext(Number.POSITIVE_INFINITY)) {
        if (++fired > maxTimers) {
          throw new Error(`VirtualClock.runAll(): more than ${maxTimers} timers fired; is a timer re-arming itself forever?`);
        }
        await flushMicrotasks();
      }
    });
  }

  /** Runs pending promise continuations and the timers already due, without moving time. */
  runUntilIdle(): Promise<void> {
    return this.serialize(() => this.advanceInner(this.time));
  }
}
