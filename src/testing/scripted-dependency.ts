/**
 * A fake dependency that follows a script: per call number or per point in time, it
 * succeeds, fails, answers slowly, or hangs, on a (virtual) clock.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { currentContext, type ExecutionContext } from '../core/context';

/**
 * What one call of a {@link ScriptedDependency} does. `delay` (ms on the clock) is how long
 * it takes before it answers; a `hang` never answers (it rejects only when its signal
 * aborts).
 */
export type ScriptStep<T = unknown> =
  | {
      /** `'ok'`: the call resolves. */
      readonly kind: 'ok';
      /** The value it resolves with. @defaultValue the script's `value` (see {@link ScriptObject.value}) */
      readonly value?: T;
      /** Time (ms on the clock) before it resolves; a finite number ≥ 0. @defaultValue `0` (at once) */
      readonly delay?: number;
    }
  | {
      /** `'fail'`: the call rejects. */
      readonly kind: 'fail';
      /** The error it rejects with. @defaultValue a {@link ScriptedFailure} naming the call number */
      readonly error?: unknown;
      /** Time (ms on the clock) before it rejects; a finite number ≥ 0. @defaultValue `0` (at once) */
      readonly delay?: number;
    }
  | {
      /** `'hang'`: the call never answers; it rejects with the abort reason when its signal aborts. */
      readonly kind: 'hang';
    };

/** Builders of {@link ScriptStep}s. */
export const Step = {
  /** Answers `value` after `delay` ms (default: at once). */
  ok<T>(value?: T, delay?: number): ScriptStep<T> {
    return withDelay({ kind: 'ok', ...(value === undefined ? {} : { value }) }, delay);
  },
  /** Fails with `error` (default: a {@link ScriptedFailure}) after `delay` ms (default: at once). */
  fail(error?: unknown, delay?: number): ScriptStep<never> {
    return withDelay({ kind: 'fail', ...(error === undefined ? {} : { error }) }, delay);
  },
  /** Answers `value` after `delay` ms: a slow call. */
  slow<T>(delay: number, value?: T): ScriptStep<T> {
    return withDelay({ kind: 'ok', ...(value === undefined ? {} : { value }) }, delay);
  },
  /** Never answers; rejects with the abort reason when its signal aborts. */
  hang(): ScriptStep<never> {
    return HANG;
  },
} as const;

const HANG: ScriptStep<never> = Object.freeze({ kind: 'hang' });

function withDelay<S extends { kind: 'ok' | 'fail' }>(step: S, delay: number | undefined): S {
  return (delay === undefined || delay === 0 ? step : { ...step, delay }) as S;
}

/** One entry of a time-based script: from `from` ms after the dependency was made, calls do `step`. */
export interface TimelineEntry<T = unknown> {
  /** Milliseconds after the dependency's creation (on its clock) from which `step` applies. */
  readonly from: number;
  /** What calls starting in this period do. */
  readonly step: ScriptStep<T>;
}

/**
 * A script. A call looks for its step in this order: `calls[n - 1]` for the n-th call
 * (1-based), then the last `timeline` entry whose `from` has passed, then `otherwise`.
 */
export interface ScriptObject<T = unknown> {
  /** Steps by call number: the first call does `calls[0]`, and so on. */
  readonly calls?: readonly ScriptStep<T>[];
  /** Steps by time (sorted by `from` or not: the latest `from` ≤ elapsed time wins). */
  readonly timeline?: readonly TimelineEntry<T>[];
  /** The step of calls that nothing else covers. @defaultValue `Step.ok()` */
  readonly otherwise?: ScriptStep<T>;
  /** The value of `ok` steps that give none. @defaultValue `undefined` */
  readonly value?: T;
  /**
   * When true, slow and hanging calls ignore their signal (a dependency that does not
   * honour cancellation). @defaultValue false
   */
  readonly ignoreAbort?: boolean;
}

/**
 * A script: a {@link ScriptObject}, an array of steps (shorthand for `{ calls }`), or a
 * function of the call number (1-based) and the elapsed time (ms since creation).
 */
export type Script<T = unknown> =
  | ScriptObject<T>
  | readonly ScriptStep<T>[]
  | ((call: number, elapsed: number) => ScriptStep<T>);

/** The default error of a `fail` step. */
export class ScriptedFailure extends Error {
  /** The call number (1-based) that failed. */
  readonly call: number;
  constructor(call: number) {
    super(`scripted failure of call #${call}`);
    this.name = 'ScriptedFailure';
    this.call = call;
  }
}

/** What happened to one call of a {@link ScriptedDependency}. */
export interface CallRecord<T = unknown> {
  /** Call number, 1-based. */
  readonly call: number;
  /** Clock time when the call started. */
  readonly start: number;
  /** Clock time when it settled; `undefined` while pending. */
  end: number | undefined;
  /** The step it followed. */
  readonly step: ScriptStep<T>;
  /** How it ended so far. */
  outcome: 'pending' | 'ok' | 'fail' | 'aborted';
  /**
   * The breakwater execution context of the call that invoked it (read with
   * `currentContext()`), when invoked during a policy call's synchronous start.
   */
  readonly context: ExecutionContext | undefined;
  /** `context.attempt` at the time of the call. */
  readonly attempt: number | undefined;
}

/** What a scripted dependency may be called with: nothing, a signal, or anything with a `signal` (an `ExecutionContext`). */
export type ScriptedCallArg =
  | AbortSignal
  | {
      /** The signal that aborts slow and hanging calls (e.g. an `ExecutionContext`'s `signal`). */
      readonly signal?: AbortSignal | undefined;
    }
  | undefined;

/**
 * A fake dependency made by {@link scriptedDependency}: call it like a client method.
 */
export interface ScriptedDependency<T = unknown> {
  /**
   * Runs one call. The abort signal is `arg` (or `arg.signal`), else the signal of the
   * current breakwater call (read only for slow and hanging steps).
   */
  (arg?: ScriptedCallArg): Promise<T>;
  /** Number of calls so far. */
  readonly calls: number;
  /** Calls in flight now. */
  readonly active: number;
  /** The highest number of calls in flight at once so far. */
  readonly maxActive: number;
  /** One record per call, in call order. */
  readonly log: readonly CallRecord<T>[];
  /** Forgets past calls (count, log, peak); the script starts again from call 1 and elapsed time 0. */
  reset(): void;
}

function isSignal(v: unknown): v is AbortSignal {
  return typeof v === 'object' && v !== null && typeof (v as AbortSignal).aborted === 'boolean' && typeof (v as AbortSignal).addEventListener === 'function';
}

function validStep(step: unknown): step is ScriptStep {
  if (typeof step !== 'object' || step === null) return false;
  const s = step as { kind?: unknown; delay?: unknown };
  if (s.kind !== 'ok' && s.kind !== 'fail' && s.kind !== 'hang') return false;
  return s.delay === undefined || (typeof s.delay === 'number' && s.delay >= 0 && Number.isFinite(s.delay));
}

function badStep(where: string, step: unknown): TypeError {
  return new TypeError(`scriptedDependency: ${where} must be a step ({ kind: 'ok' | 'fail' | 'hang', delay?: finite ms ≥ 0 }), got ${JSON.stringify(step)}`);
}

/**
 * Makes a fake dependency that follows `script` on `clock`.
 *
 * @param script - what each call does (see {@link Script}).
 * @param clock - the clock that times slow calls (usually a `VirtualClock`).
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const gateway = scriptedDependency<string>(
 *   { calls: [Step.fail(), Step.slow(3_000, 'late'), Step.hang()], otherwise: Step.ok('paid') },
 *   clock,
 * );
 * await gateway().catch(() => 'failed'); // call 1 fails
 * ```
 */
export function scriptedDependency<T = undefined>(script: Script<T>, clock: Clock): ScriptedDependency<T> {
  const fnScript = typeof script === 'function' ? script : undefined;
  const obj: ScriptObject<T> | undefined = fnScript !== undefined ? undefined : Array.isArray(script) ? { calls: script as readonly ScriptStep<T>[] } : (script as ScriptObject<T>);
  if (obj !== undefined) {
    if (typeof obj !== 'object' || obj === null) throw new TypeError(`scriptedDependency: expected a script object, array or function, got ${String(obj)}`);
    obj.calls?.forEach((s, i) => {
      if (!validStep(s)) throw badStep(`calls[${i}]`, s);
    });
    obj.timeline?.forEach((e, i) => {
      if (typeof e !== 'object' || e === null || !(typeof e.from === 'number' && e.from >= 0)) {
        throw new TypeError(`scriptedDependency: timeline[${i}].from must be a number ≥ 0, got ${JSON.stringify(e)}`);
      }
      if (!validStep(e.step)) throw badStep(`timeline[${i}].step`, e.step);
    });
    if (obj.otherwise !== undefined && !validStep(obj.otherwise)) throw badStep('otherwise', obj.otherwise);
  }
  if (clock === undefined || typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function') {
    throw new TypeError('scriptedDependency: expected a clock as second argument');
  }
  const timeline = obj?.timeline === undefined ? [] : [...obj.timeline].sort((a, b) => a.from - b.from);
  const otherwise: ScriptStep<T> = obj?.otherwise ?? { kind: 'ok' };
  const ignoreAbort = obj?.ignoreAbort === true;
  let origin = clock.now();
  let calls = 0;
  let active = 0;
  let maxActive = 0;
  let log: CallRecord<T>[] = [];

  const stepFor = (n: number, elapsed: number): ScriptStep<T> => {
    if (fnScript !== undefined) {
      const s = fnScript(n, elapsed);
      if (!validStep(s)) throw badStep(`the script function's result for call #${n}`, s);
      return s;
    }
    const byCall = obj?.calls?.[n - 1];
    if (byCall !== undefined) return byCall;
    for (let i = timeline.length - 1; i >= 0; i--) {
      const e = timeline[i] as TimelineEntry<T>;
      if (e.from <= elapsed) return e.step;
    }
    return otherwise;
  };

  const call = (arg?: ScriptedCallArg): Promise<T> => {
    const n = ++calls;
    const ctx = currentContext();
    const start = clock.now();
    const step = stepFor(n, start - origin);
    const record: CallRecord<T> = { call: n, start, end: undefined, step, outcome: 'pending', context: ctx, attempt: ctx?.attempt };
    log.push(record);
    const settle = (outcome: 'ok' | 'fail' | 'aborted'): void => {
      record.end = clock.now();
      record.outcome = outcome;
      active--;
    };
    active++;
    if (active > maxActive) maxActive = active;
    const answer = (resolve: (v: T) => void, reject: (e: unknown) => void): void => {
      if (step.kind === 'ok') {
        settle('ok');
        resolve((step.value !== undefined ? step.value : obj?.value) as T);
      } else if (step.kind === 'fail') {
        settle('fail');
        reject(step.error !== undefined ? step.error : new ScriptedFailure(n));
      }
    };
    const delay = step.kind === 'hang' ? Number.POSITIVE_INFINITY : (step.delay ?? 0);
    if (delay === 0) return new Promise<T>(answer);
    return new Promise<T>((resolve, reject) => {
      let signal: AbortSignal | undefined;
      if (!ignoreAbort) {
        if (isSignal(arg)) signal = arg;
        else if (arg !== undefined && arg !== null) signal = arg.signal;
        else signal = ctx?.signal;
      }
      if (signal?.aborted === true) {
        settle('aborted');
        reject(signal.reason);
        return;
      }
      let handle: unknown;
      const onAbort = (): void => {
        if (handle !== undefined) clock.clearTimeout(handle);
        settle('aborted');
        reject((signal as AbortSignal).reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (delay !== Number.POSITIVE_INFINITY) {
        handle = clock.setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          answer(resolve, reject);
        }, delay);
      }
    });
  };

  const dep = call as ScriptedDependency<T>;
  Object.defineProperties(dep, {
    calls: { get: () => calls, enumerable: true },
    active: { get: () => active, enumerable: true },
    maxActive: { get: () => maxActive, enumerable: true },
    log: { get: () => log, enumerable: true },
    reset: {
      value: () => {
        calls = 0;
        maxActive = active; // calls still in flight stay counted until they settle
        log = [];
        origin = clock.now();
      },
    },
  });
  return dep;
}
