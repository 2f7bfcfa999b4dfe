/**
 * One timer service per clock: every deadline of every call (timeouts, retry sleeps,
 * queue waits) lives in 1 ms buckets behind a single host timer.
 *
 * - Scheduling is O(1) when the bucket exists (the common case: many calls with the same
 *   timeout land in the same millisecond), O(log buckets) when it is new.
 * - Cancelling is O(1): entries are unlinked from their bucket's list.
 * - The host timer is armed only while some entry is pending. When the last entry goes,
 *   the host timer is `unref`'d where the platform allows it (Node), otherwise cleared,
 *   so an idle process exits by itself; with `unref`, a burst of sequential calls costs no
 *   `setTimeout`/`clearTimeout` pair each.
 * - Entries fire at or after their deadline, never before, and in deadline order across
 *   buckets; within a bucket in scheduling order.
 *
 * @packageDocumentation
 */
import { canUnref, refTimer, unrefTimer, type Clock } from './clock';
import { Heap } from './heap';
import { reportInternalError } from './report';
import { keepShape } from './shapes';

/** @internal A scheduled callback; `cancel()` is idempotent. */
export interface TimerEntry {
  /** Removes the entry; no effect once fired or cancelled. */
  cancel(): void;
}

/**
 * @internal An entry of the timer service that is its own callback (the object protocol): an
 * object that carries the state its timer needs and implements `fire()`, so a per-call object
 * is scheduled with {@link TimerService.add} and needs no closure and no separate entry.
 * Implement it with the three list fields set to `undefined`, and remove it with
 * {@link cancelTask}; `fire()` runs at most once per `add()`, never after `cancelTask()`.
 *
 * An interface, not a base class: a class that extends another is constructed through
 * V8's generic construct stub, not inlined (a four-policy pipeline paid ~400 instructions
 * a call for a three-level timeout entry).
 */
export interface TimerTask {
  /** Neighbours in the bucket's list (the timer service's own fields). */
  prev: TimerTask | undefined;
  next: TimerTask | undefined;
  /** The bucket while pending; `undefined` once fired or cancelled. */
  bucket: Bucket | undefined;
  /** Called once when the deadline has passed. */
  fire(): void;
}

/** @internal Removes a {@link TimerTask} when it is pending (idempotent). */
export function cancelTask(task: TimerTask): void {
  const bucket = task.bucket;
  if (bucket !== undefined) bucket.service.remove(task);
}

/** A callback scheduled by {@link TimerService.schedule}. */
class Entry implements TimerTask, TimerEntry {
  prev: TimerTask | undefined = undefined;
  next: TimerTask | undefined = undefined;
  bucket: Bucket | undefined = undefined;
  constructor(private callback: (() => void) | undefined) {}
  fire(): void {
    const cb = this.callback as () => void;
    this.callback = undefined;
    cb();
  }
  cancel(): void {
    cancelTask(this);
    // Stryker disable next-line all: releasing the callback of a dead entry frees memory, which no test observes
    this.callback = undefined;
  }
}

/** @internal The pending tasks of one millisecond, in scheduling order. */
export class Bucket {
  head: TimerTask | undefined = undefined;
  tail: TimerTask | undefined = undefined;
  constructor(
    readonly key: number,
    /** The service it belongs to (what `cancelTask()` calls): one per bucket, not per task. */
    readonly service: TimerService,
  ) {}
}

// Their maps outlive a full GC between calls (see core/shapes.ts); 0.5: deadlines are doubles.
keepShape(new Entry(undefined)).bucket = keepShape(new Bucket(1, undefined as unknown as TimerService));

/**
 * The last host timer of each service, kept once spent or cleared: with no entry pending no
 * platform timer object would be alive at a full GC, and the optimized code of schedule(),
 * remove() and fire(), specialised on its hidden class, would be deoptimized (see
 * core/shapes.ts). Never read.
 */
const spentHosts = new WeakMap<TimerService, unknown>();

/** @internal The timer service of one clock. Get it with {@link timerServiceFor}. */
export class TimerService {
  private readonly buckets = new Map<number, Bucket>();
  /**
   * The bucket the last `add()` used, while it is in `buckets`: calls that start in the same
   * millisecond with the same timeout share a bucket, and this saves them the map lookup.
   */
  private last: Bucket | undefined = undefined;
  private readonly keys = new Heap<number>((a, b) => a < b);
  private host: unknown = undefined;
  /** Bucket key the host timer is armed for; Infinity when none is armed. */
  private armedFor = Number.POSITIVE_INFINITY;
  private refed = false;
  private count = 0;
  /** True once the host timer is known to support unref: empty buckets are then swept lazily. */
  private lazy = false;
  /** True while a deferred {@link letGo} is queued (see {@link idle}). */
  private letting = false;
  private readonly fireBound = (): void => this.fire();
  private readonly letGoBound = (): void => this.letGo();

  constructor(private readonly clock: Clock) {}

  /** Number of pending entries. */
  get pending(): number {
    return this.count;
  }

  /** Schedules `callback` at absolute time `deadline` (clock ms). */
  schedule(deadline: number, callback: () => void): TimerEntry {
    const entry = new Entry(callback);
    this.add(entry, deadline);
    return entry;
  }

  /** @internal Schedules `task` at absolute time `deadline` (clock ms); it must not be pending already. */
  add(task: TimerTask, deadline: number): void {
    const key = Math.ceil(deadline);
    let bucket = this.last;
    // Kept small (the slow paths are methods): add() is inlined into every policy that
    // schedules, and V8 gives each optimized function a bounded inlining budget.
    if (bucket === undefined || bucket.key !== key) bucket = this.bucketFor(key);
    task.bucket = bucket;
    if (bucket.tail === undefined) {
      bucket.head = bucket.tail = task;
    } else {
      task.prev = bucket.tail;
      bucket.tail.next = task;
      bucket.tail = task;
    }
    this.count++;
    if (key < this.armedFor) this.arm(key);
    else if (!this.refed) this.wake();
  }

  /** The bucket of `key`, made when missing; remembered for the next `add()`. */
  private bucketFor(key: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new Bucket(key, this);
      this.buckets.set(key, bucket);
      this.keys.push(key);
    }
    this.last = bucket;
    return bucket;
  }

  /** An entry is pending again under the idle (unref'd) host timer: let it hold the process. */
  private wake(): void {
    refTimer(this.host);
    this.refed = true;
  }

  /** @internal */
  remove(entry: TimerTask): void {
    const bucket = entry.bucket as Bucket;
    entry.bucket = undefined;
    if (entry.prev !== undefined) entry.prev.next = entry.next;
    else bucket.head = entry.next;
    if (entry.next !== undefined) entry.next.prev = entry.prev;
    else bucket.tail = entry.prev;
    entry.prev = entry.next = undefined;
    // An emptied bucket stays in the map until the host timer passes it (it is cheap, and the
    // next calls in the same millisecond reuse it); without an unref-able host it goes now.
    if (bucket.head === undefined && !this.lazy && this.buckets.get(bucket.key) === bucket) this.drop(bucket);
    if (--this.count === 0) this.idle();
  }

  /** Removes an (empty) bucket from the map, and from the `add()` shortcut. */
  private drop(bucket: Bucket): void {
    this.buckets.delete(bucket.key);
    if (this.last === bucket) this.last = undefined;
  }

  /** Forgets every bucket (no entry is pending). */
  private forget(): void {
    this.keys.clear();
    this.buckets.clear();
    this.last = undefined;
  }

  private arm(key: number): void {
    if (this.host !== undefined) this.clock.clearTimeout(this.host);
    // Platform timers overflow past 2^31-1 ms (Node fires them after 1 ms): arm at most that
    // far ahead; fire() re-arms for what is still in the future.
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(0, key - this.clock.now()));
    this.host = this.clock.setTimeout(this.fireBound, delay);
    this.lazy = canUnref(this.host);
    this.armedFor = key;
    this.refed = true;
  }

  /** No entry is pending: let the process go. */
  private idle(): void {
    // Stryker disable next-line ConditionalExpression,BlockStatement: the host is missing only inside fire(), which sweeps the buckets itself, or for a clock whose setTimeout returns nothing, where the else branch below forgets them too
    if (this.host === undefined) {
      this.forget();
      return;
    }
    if (this.lazy) {
      // The unref is deferred to the next turn of the event loop: calls that follow one
      // another within a turn (each settling before the next starts) would otherwise toggle
      // the host timer's ref twice each, two native calls. The process can exit one turn
      // after the last call ends (the pending setImmediate holds it that long).
      if (this.refed && !this.letting) {
        const defer = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
        if (typeof defer === 'function') {
          this.letting = true;
          defer(this.letGoBound);
        } else this.letGo();
      }
    } else {
      this.clock.clearTimeout(this.host);
      spentHosts.set(this, this.host);
      this.host = undefined;
      this.armedFor = Number.POSITIVE_INFINITY;
      this.forget();
    }
  }

  /** Unrefs the host timer if nothing is pending (any more): the process may exit. */
  private letGo(): void {
    this.letting = false;
    if (this.count !== 0 || !this.refed) return;
    this.refed = false;
    try {
      unrefTimer(this.host);
    } catch (error) {
      // A clock whose timer handle throws on unref(): no call is left to reject.
      reportInternalError(error);
    }
  }

  private fire(): void {
    spentHosts.set(this, this.host);
    this.host = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    // Stryker disable next-line BooleanLiteral: with the host gone, refed is read again only after arm() has set it
    this.refed = false;
    const now = this.clock.now();
    for (;;) {
      const key = this.keys.peek();
      if (key === undefined) return;
      const bucket = this.buckets.get(key);
      if (bucket === undefined || bucket.head === undefined) {
        // Emptied by cancellation: sweep it.
        this.keys.pop();
        if (bucket !== undefined) this.drop(bucket);
        continue;
      }
      if (key > now) {
        this.arm(key);
        return;
      }
      // Fire the bucket's entries one by one through remove(), so callbacks may cancel
      // or schedule other entries (even into this bucket) safely.
      let entry = bucket.head;
      while (entry !== undefined) {
        this.remove(entry);
        try {
          entry.fire();
        } catch (error) {
          reportInternalError(error);
        }
        entry = bucket.head;
      }
    }
  }
}


/** Largest delay platform timers accept (2^31 - 1 ms, about 24.8 days). */

const MAX_TIMER_DELAY = 2_147_483_647;

const services = new WeakMap<Clock, TimerService>();

/** @internal The one timer service of `clock`. */
export function timerServiceFor(clock: Clock): TimerService {
  let service = services.get(clock);
  if (service === undefined) {
    service = new TimerService(clock);
    services.set(clock, service);
  }
  return service;
}
