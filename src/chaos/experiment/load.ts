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
import { timerServiceFor, type TimerEntry } from '../../core/timer-service';
import { rules, validateOptions } from '../../core/validation';

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
  const clock = o.clock ?? systemClock;
  const timers = timerServiceFor(clock);
  const fn = o.fn;
  const maxCalls = o.maxCalls ?? 100_000;
  const onResult = o.onResult;
  const t0 = clock.now();
  const endAt = t0 + (o.duration ?? Number.POSITIVE_INFINITY);
  let started = 0;
  let settled = 0;
  let succeeded = 0;
  let failed = 0;
  let inFlight = 0;
  let dropped = 0;
  let stopped = false;
  let tick: TimerEntry | undefined;
  let endTimer: TimerEntry | undefined;
  const pauses = new Set<TimerEntry>(); // concurrency mode: workers' think-time timers
  let resolveDone: (s: LoadStats) => void = () => undefined;
  const done = new Promise<LoadStats>((r) => (resolveDone = r));

  const stats = (): LoadStats => ({ started, settled, succeeded, failed, inFlight, dropped, stopped });
  const maybeDone = (): void => {
    if (stopped && inFlight === 0) resolveDone(stats());
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    tick?.cancel();
    endTimer?.cancel();
    tick = endTimer = undefined;
    for (const e of pauses) e.cancel();
    pauses.clear();
    maybeDone();
  };

  /** Starts call number `started`; `after` runs when it settles (concurrency mode). */
  const launch = (after: (() => void) | undefined): void => {
    const index = started++;
    inFlight++;
    const start = clock.now();
    const finish = (ok: boolean, error: unknown): void => {
      inFlight--;
      settled++;
      if (ok) succeeded++;
      else failed++;
      if (onResult !== undefined) {
        try {
          onResult({ index, start, end: clock.now(), ok, error });
        } catch {
          // a failing listener must not stop the load
        }
      }
      if (!stopped) after?.();
      maybeDone();
    };
    let result: unknown;
    try {
      result = fn(index);
    } catch (error) {
      finish(false, error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => finish(true, undefined),
        (error: unknown) => finish(false, error),
      );
    } else {
      finish(true, undefined);
    }
  };

  const exhausted = (): boolean => started >= maxCalls || clock.now() >= endAt;

  if (o.rate !== undefined) {
    const interval = 1000 / o.rate;
    const maxInFlight = o.maxInFlight ?? 1000;
    let due = 0; // calls due so far (launched or dropped)
    const fire = (): void => {
      tick = undefined;
      const now = clock.now();
      // Start every call due by now (a host timer fires on whole milliseconds, maybe late).
      while (!stopped && due < maxCalls) {
        const at = t0 + due * interval;
        if (at >= endAt) break;
        if (at > now) {
          tick = timers.schedule(at, fire);
          return;
        }
        due++;
        if (inFlight >= maxInFlight) dropped++;
        else launch(undefined);
      }
      stop(); // the next call would be due at or after the end, or maxCalls is reached
    };
    if (maxCalls === 0 || t0 >= endAt) stop();
    else fire();
  } else {
    if (endAt !== Number.POSITIVE_INFINITY) endTimer = timers.schedule(endAt, stop);
    const workers = o.concurrency as number;
    const think = o.thinkTime ?? 0;
    let running = workers;
    const resume = (): void => {
      if (stopped) return;
      if (exhausted()) {
        if (--running === 0) stop();
        return;
      }
      launch(next);
    };
    const next = (): void => {
      if (stopped) return;
      if (think > 0) {
        const entry = timers.schedule(clock.now() + think, () => {
          pauses.delete(entry);
          resume();
        });
        pauses.add(entry);
      } else {
        // A fresh microtask: no recursion with synchronous functions.
        void Promise.resolve().then(resume);
      }
    };
    for (let w = 0; w < workers; w++) {
      if (exhausted()) {
        if (--running === 0) stop();
        continue;
      }
      launch(next);
    }
  }

  return {
    get stats() {
      return stats();
    },
    stop,
    done,
  };
}
