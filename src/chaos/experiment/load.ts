/**
 * A bounded load driver on an injected clock: calls a function at a rate (calls per
 * second, an open model: calls start on time whether or not earlier ones finished) or
 * with a fixed concurrency (a closed model: N workers, each starts its next call when the
 * previous one settles). Bounded in count (`maxCalls`) and in time (`duration`); it stops
 * by itself and leaves no timer behind.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../../core/clock';
import { isThenable } from '../../core/outcome';
import { timerServiceFor, type TimerEntry, type TimerService } from '../../core/timer-service';
import { rules, validateOptions } from '../../core/validation';
import { reportInternalError } from '../../core/report';

/** One settled call of a load run. */
export interface LoadCallResult {
  /** Call number, 0-based, in start order. */
  readonly index: number;
  /** Clock time the call started. */
  readonly start: number;
  /** Clock time it settled. */
  readonly end: number;
  /** Whether it resolved (`true`) or threw / rejected (`false`). */
  readonly ok: boolean;
  /** The error, when it failed. */
  readonly error: unknown;
  /** What the call resolved with, when it succeeded. */
  readonly value?: unknown;
  /** The call's user (`userKey(index)`), when `userKey` was given and returned a non-empty string. */
  readonly user?: string | undefined;
}

/** Options of {@link startLoad}. Give exactly one of `rate` and `concurrency`. */
export interface LoadOptions {
  /** The call to drive; receives the call number (0-based). May return a promise. Required. */
  readonly fn: (index: number) => unknown;
  /** Calls started per second, on schedule (open model). */
  readonly rate?: number | undefined;
  /** Number of workers, each running one call at a time (closed model). */
  readonly concurrency?: number | undefined;
  /** No more calls than this are started. @defaultValue 100 000 */
  readonly maxCalls?: number | undefined;
  /** No call starts after this many ms. @defaultValue `Infinity` (bounded by `maxCalls` and `stop()`) */
  readonly duration?: number | undefined;
  /**
   * Rate mode: a call due while this many are in flight is not started; it is counted in
   * `dropped` (as k6 drops iterations when it runs out of VUs). @defaultValue 1 000
   */
  readonly maxInFlight?: number | undefined;
  /** Concurrency mode: pause (ms) of a worker between two calls. @defaultValue 0 */
  readonly thinkTime?: number | undefined;
  /**
   * The user (player, tenant…) of call number `index`, reported with its result and
   * counted in an experiment's blast radius. Give the same function the user key that
   * `fn` uses for the call. An error it throws is reported (`onCallbackError`) and the call
   * carries no user. @defaultValue none (calls carry no user)
   */
  readonly userKey?: ((index: number) => string) | undefined;
  /** The clock the schedule runs on. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Called when each call settles (also for calls that settle after the run stopped). Errors it throws are ignored. */
  readonly onResult?: ((result: LoadCallResult) => void) | undefined;
}

/** Counters of a load run. */
export interface LoadStats {
  /** Calls started. */
  readonly started: number;
  /** Calls settled (including those after `stop()`). */
  readonly settled: number;
  /** Calls that resolved. */
  readonly succeeded: number;
  /** Calls that threw or rejected. */
  readonly failed: number;
  /** Calls in flight now. */
  readonly inFlight: number;
  /** Rate mode: calls not started because `maxInFlight` calls were in flight. */
  readonly dropped: number;
  /** Whether the run has stopped starting calls. */
  readonly stopped: boolean;
}

/** A running load, returned by {@link startLoad}. */
export interface LoadRun {
  /** Counters, live. */
  readonly stats: LoadStats;
  /** Stops starting calls now (idempotent). Calls in flight go on and are still reported to `onResult`. */
  stop(): void;
  /** Resolves once the run has stopped (by itself or by `stop()`) and no call is in flight. */
  readonly done: Promise<LoadStats>;
}

const loadSchema = {
  fn: rules.required(rules.func('a function (index) => unknown')),
  rate: rules.number(0, 1_000_000, { exclusiveMin: true }),
  concurrency: rules.integer(1, 100_000),
  maxCalls: rules.integer(0, 100_000_000),
  duration: rules.duration(0, { allowInfinity: true }),
  maxInFlight: rules.integer(1, 1_000_000),
  thinkTime: rules.duration(0),
  userKey: rules.func('a function (index) => string'),
  clock: rules.clock(),
  onResult: rules.func(),
};

/** @internal Validates load options (shared with the experiment runner's `load`). */
export function validateLoadOptions(
  subject: string,
  options: unknown,
  extraKeys: Record<string, ReturnType<typeof rules.any>> = {},
  omit: readonly string[] = [],
): LoadOptions {
  const schema: Record<string, ReturnType<typeof rules.any>> = { ...loadSchema, ...extraKeys };
  for (const key of omit) delete schema[key];
  return validateOptions<LoadOptions>(subject, options, schema, (o, issues) => {
    if ((o.rate === undefined) === (o.concurrency === undefined)) {
      issues.push({ path: 'rate', value: o.rate, expected: 'given, or `concurrency` given, but not both' });
    }
    if (o.thinkTime !== undefined && o.concurrency === undefined) {
      issues.push({ path: 'thinkTime', value: o.thinkTime, expected: 'used with `concurrency` only' });
    }
    if (o.maxInFlight !== undefined && o.rate === undefined) {
      issues.push({ path: 'maxInFlight', value: o.maxInFlight, expected: 'used with `rate` only' });
    }
  });
}

/**
 * Starts driving `fn`. The run stops by itself after `maxCalls` calls or `duration` ms,
 * or when `stop()` is called; its timers live in the clock's timer service and are gone
 * once it stops.
 *
 * @example
 * ```ts
 * const run = startLoad({ fn: () => api.leaderboard(), rate: 50, duration: 10_000 });
 * const stats = await run.done; // ~500 calls
 * ```
 */
export function startLoad(options: LoadOptions): LoadRun {
  const o = validateLoadOptions('startLoad', options);
  const run = o.rate !== undefined ? new RateLoad(o, o.rate) : new ConcurrencyLoad(o, o.concurrency as number);
  run.start();
  return run;
}

/** What both load models share: the counters, launching one call, stopping, `done`. */
abstract class LoadDriver implements LoadRun {
  readonly done: Promise<LoadStats>;
  protected readonly clock: Clock;
  protected readonly timers: TimerService;
  protected readonly maxCalls: number;
  /** When the run started, on the clock. */
  protected readonly t0: number;
  /** No call starts at or after this clock time. */
  protected readonly endAt: number;
  protected started = 0;
  protected inFlight = 0;
  protected stopped = false;
  private settled = 0;
  private succeeded = 0;
  private failed = 0;
  protected dropped = 0;
  private resolveDone: (s: LoadStats) => void = () => undefined;

  constructor(private readonly o: LoadOptions) {
    this.clock = o.clock ?? systemClock;
    this.timers = timerServiceFor(this.clock);
    this.maxCalls = o.maxCalls ?? 100_000;
    this.t0 = this.clock.now();
    this.endAt = this.t0 + (o.duration ?? Number.POSITIVE_INFINITY);
    this.done = new Promise<LoadStats>((r) => (this.resolveDone = r));
  }

  get stats(): LoadStats {
    const { started, settled, succeeded, failed, inFlight, dropped, stopped } = this;
    return { started, settled, succeeded, failed, inFlight, dropped, stopped };
  }

  /** Stops starting calls (idempotent); a property, so `run.stop` can be passed around. */
  readonly stop = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimers();
    this.maybeDone();
  };

  /** Starts the schedule. */
  abstract start(): void;

  /** Cancels the model's timers (on stop). */
  protected abstract cancelTimers(): void;

  /** Starts call number `started`; `after` runs when it settles, unless the run stopped. */
  protected launch(after: (() => void) | undefined): void {
    const index = this.started++;
    this.inFlight++;
    const start = this.clock.now();
    const user = this.userOf(index);
    const fn = this.o.fn;
    let result: unknown;
    try {
      result = fn(index);
    } catch (error) {
      this.settle({ index, start, ok: false, error, user }, after);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.settle({ index, start, ok: true, error: undefined, value, user }, after),
        (error: unknown) => this.settle({ index, start, ok: false, error, user }, after),
      );
    } else {
      this.settle({ index, start, ok: true, error: undefined, value: result, user }, after);
    }
  }

  /** The user of call `index` (`undefined` without `userKey`, or when it throws or gives no name). */
  private userOf(index: number): string | undefined {
    const key = this.o.userKey;
    if (key === undefined) return undefined;
    try {
      const user = key(index);
      return typeof user === 'string' && user !== '' ? user : undefined;
    } catch (error) {
      reportInternalError(error, 'load.userKey');
      return undefined;
    }
  }

  /** Whether no further call may start: `maxCalls` started or the duration is over. */
  protected exhausted(): boolean {
    return this.started >= this.maxCalls || this.clock.now() >= this.endAt;
  }

  private settle(r: Omit<LoadCallResult, 'end'>, after: (() => void) | undefined): void {
    this.inFlight--;
    this.settled++;
    if (r.ok) this.succeeded++;
    else this.failed++;
    const onResult = this.o.onResult;
    if (onResult !== undefined) {
      try {
        onResult({ ...r, end: this.clock.now() });
      } catch (thrown) {
        reportInternalError(thrown, 'load.onResult');
        // a failing listener must not stop the load
      }
    }
    if (!this.stopped) after?.();
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.stopped && this.inFlight === 0) this.resolveDone(this.stats);
  }
}

/** The open model: calls start on schedule, `rate` per second, whether earlier ones finished or not. */
class RateLoad extends LoadDriver {
  private readonly interval: number;
  private readonly maxInFlight: number;
  /** Calls due so far (launched or dropped). */
  private due = 0;
  private tick: TimerEntry | undefined;

  constructor(o: LoadOptions, rate: number) {
    super(o);
    this.interval = 1000 / rate;
    this.maxInFlight = o.maxInFlight ?? 1000;
  }

  start(): void {
    if (this.maxCalls === 0 || this.t0 >= this.endAt) this.stop();
    else this.fire();
  }

  protected cancelTimers(): void {
    this.tick?.cancel();
    this.tick = undefined;
  }

  private readonly fire = (): void => {
    this.tick = undefined;
    const now = this.clock.now();
    // Start every call due by now (a host timer fires on whole milliseconds, maybe late).
    while (!this.stopped && this.due < this.maxCalls) {
      const at = this.t0 + this.due * this.interval;
      if (at >= this.endAt) break;
      if (at > now) {
        this.tick = this.timers.schedule(at, this.fire);
        return;
      }
      this.due++;
      if (this.inFlight >= this.maxInFlight) this.dropped++;
      else this.launch(undefined);
    }
    this.stop(); // the next call would be due at or after the end, or maxCalls is reached
  };
}

/** The closed model: `workers` workers, each starting its next call when the previous one settles (after `thinkTime`). */
class ConcurrencyLoad extends LoadDriver {
  private readonly think: number;
  /** Workers still running. */
  private running: number;
  private endTimer: TimerEntry | undefined;
  /** Workers' think-time timers. */
  private readonly pauses = new Set<TimerEntry>();

  constructor(
    o: LoadOptions,
    private readonly workers: number,
  ) {
    super(o);
    this.think = o.thinkTime ?? 0;
    this.running = workers;
  }

  start(): void {
    if (this.endAt !== Number.POSITIVE_INFINITY) this.endTimer = this.timers.schedule(this.endAt, this.stop);
    for (let w = 0; w < this.workers; w++) {
      if (this.exhausted()) {
        if (--this.running === 0) this.stop();
        continue;
      }
      this.launch(this.next);
    }
  }

  protected cancelTimers(): void {
    this.endTimer?.cancel();
    this.endTimer = undefined;
    for (const e of this.pauses) e.cancel();
    this.pauses.clear();
  }

  /** A worker's call settled: pause, then resume. */
  private readonly next = (): void => {
    if (this.stopped) return;
    if (this.think > 0) {
      const entry = this.timers.schedule(this.clock.now() + this.think, () => {
        this.pauses.delete(entry);
        this.resume();
      });
      this.pauses.add(entry);
    } else {
      // A fresh microtask: no recursion with synchronous functions.
      void Promise.resolve().then(this.resume);
    }
  };

  /** A worker starts its next call, or retires when the run is exhausted. */
  private readonly resume = (): void => {
    if (this.stopped) return;
    if (this.exhausted()) {
      if (--this.running === 0) this.stop();
      return;
    }
    this.launch(this.next);
  };
}
