/**
 * `breakwater/testing/arbitraries`: fast-check arbitraries for property tests of code
 * that uses breakwater: valid and invalid policy options, fault schedules for
 * `scriptedDependency` (from `breakwater/testing`), and latency distributions.
 *
 * This is the one entry point that imports `fast-check` (≥ 3, an optional peer
 * dependency: `npm install --save-dev fast-check`); `breakwater/testing` and the rest of
 * breakwater load without it.
 *
 * @packageDocumentation
 */
import fc from 'fast-check';
import { distributions, type LatencyDistribution } from '../chaos/distributions';
import type { BulkheadOptions } from '../bulkhead/options';
import type { CircuitBreakerOptions } from '../circuit-breaker/options';
import type { FallbackOptions } from '../fallback/options';
import type { RetryOptions } from '../retry/options';
import type { TimeoutOptions } from '../timeout/options';
import type { ScriptObject, ScriptStep, TimelineEntry } from './scripted-dependency';

/** Options with some fields broken on purpose, and the paths of those fields. */
export interface InvalidOptions<O> {
  /** The options (typed as `O` for convenience: they are not valid `O`s). */
  readonly options: O;
  /** Paths of the broken fields, as `OptionsValidationError.issues[].path` names them. */
  readonly invalid: readonly string[];
}


/** Drops keys whose value is `undefined` (nicer counterexamples). */
function compact<O extends object>(o: O): O {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as O;
}

interface Corruption {
  readonly key: string;
  readonly value: unknown;
  readonly path: string;
}

function field(key: string, ...values: unknown[]): Corruption[] {
  return values.map((value) => ({ key, value, path: key }));
}

/** Corrupts 1..n distinct fields of valid options (and maybe adds a misspelt key). */
function invalidFrom<O extends object>(valid: fc.Arbitrary<O>, corruptions: readonly Corruption[], typo: string): fc.Arbitrary<InvalidOptions<O>> {
  const byKey = new Map<string, Corruption[]>();
  for (const c of corruptions) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  const perKey = [...byKey.values()].map((cs) => fc.constantFrom(...cs));
  return fc
    .tuple(valid, fc.subarray(perKey, { minLength: 1 }).chain((arbs) => fc.tuple(...arbs)), fc.boolean())
    .map(([options, picked, addTypo]) => {
      const out: Record<string, unknown> = { ...(options as Record<string, unknown>) };
      for (const c of picked) out[c.key] = c.value;
      const invalid = picked.map((c) => c.path);
      if (addTypo) {
        out[typo] = 1;
        invalid.push(typo);
      }
      return { options: out as O, invalid };
    });
}

// ------------------------------------------------------------------- retry
// The generators are documented where `arbitraries` lists them, at the end of this file.

function retryOptions(fixed: Partial<RetryOptions> = {}): fc.Arbitrary<RetryOptions> {
  return fc
    .record({
      maxAttempts: fc.integer({ min: 1, max: 10 }),
      backoff: fc.constantFrom('exponential' as const, 'linear' as const, 'constant' as const),
      delay: fc.integer({ min: 0, max: 2_000 }),
      extra: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
      factor: fc.option(fc.double({ min: 1, max: 4, noNaN: true }), { nil: undefined }),
      jitter: fc.option(fc.constantFrom('none' as const, 'full' as const, 'equal' as const, 'decorrelated' as const), { nil: undefined }),
      maxDuration: fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
    })
    .map((r) => {
      const jitter = r.jitter === 'decorrelated' && r.backoff !== 'exponential' ? 'full' : r.jitter;
      const factor = r.backoff === 'exponential' && jitter !== 'decorrelated' ? r.factor : undefined;
      return compact<RetryOptions>({
        maxAttempts: r.maxAttempts,
        backoff: r.backoff,
        delay: r.delay,
        maxDelay: r.extra === undefined ? undefined : r.delay + r.extra,
        factor,
        jitter,
        maxDuration: r.maxDuration,
        ...fixed,
      });
    });
}

const retryCorruptions: readonly Corruption[] = [
  ...field('maxAttempts', 0, -1, 1.5, Number.NaN, '3', null),
  ...field('delay', -1, Number.NaN, Number.POSITIVE_INFINITY, '200'),
  ...field('factor', 0.5, -2, Number.NaN, 'x'),
  ...field('maxDelay', -1, Number.NaN, 'x'),
  ...field('jitter', 'random', 1),
  ...field('backoff', 'fibonacci', 3),
  ...field('maxDuration', 0, -5, Number.NaN),
  ...field('name', '', 5),
  ...field('random', 42),
  ...field('clock', {}),
  ...field('handle', 'x', []),
];

function invalidRetryOptions(): fc.Arbitrary<InvalidOptions<RetryOptions>> {
  return invalidFrom(retryOptions(), retryCorruptions, 'maxAttempt');
}

// ------------------------------------------------------------------- circuit breaker

function circuitBreakerOptions(fixed: Partial<CircuitBreakerOptions> = {}): fc.Arbitrary<CircuitBreakerOptions> {
  const halfOpen = fc.record(
    {
      maxProbes: fc.integer({ min: 1, max: 5 }),
      successThreshold: fc.integer({ min: 1, max: 5 }),
      probeTimeout: fc.oneof(fc.integer({ min: 1, max: 120_000 }), fc.constant(Number.POSITIVE_INFINITY)),
    },
    { requiredKeys: [] },
  );
  const consecutive = fc.record({ failureThreshold: fc.integer({ min: 1, max: 10 }) });
  const count = fc.integer({ min: 1, max: 50 }).chain((size) =>
    fc.record({
      window: fc.constant({ kind: 'count' as const, size }),
      minimumThroughput: fc.integer({ min: 1, max: size }),
      failureRateThreshold: fc.double({ min: 0.01, max: 1, noNaN: true }),
    }),
  );
  const time = fc.record({
    window: fc.record({ kind: fc.constant('time' as const), duration: fc.integer({ min: 100, max: 60_000 }), buckets: fc.integer({ min: 1, max: 20 }) }),
    minimumThroughput: fc.integer({ min: 1, max: 50 }),
    failureRateThreshold: fc.double({ min: 0.01, max: 1, noNaN: true }),
    slow: fc.option(
      fc.record({ slowCallDuration: fc.integer({ min: 1, max: 10_000 }), slowCallRateThreshold: fc.double({ min: 0.01, max: 1, noNaN: true }) }),
      { nil: undefined },
    ),
  }).map(({ slow, ...rest }) => ({ ...rest, ...(slow ?? {}) }));
  return fc
    .record({ rule: fc.oneof(consecutive, count, time), recoveryTimeout: fc.integer({ min: 0, max: 60_000 }), halfOpen })
    .map(({ rule, recoveryTimeout, halfOpen: h }) => compact<CircuitBreakerOptions>({ ...rule, recoveryTimeout, halfOpen: h, ...fixed }));
}

const breakerCorruptions: readonly Corruption[] = [
  ...field('recoveryTimeout', -1, Number.NaN, 'soon'),
  { key: 'halfOpen', value: 7, path: 'halfOpen' },
  { key: 'halfOpen', value: { maxProbes: 0 }, path: 'halfOpen.maxProbes' },
  { key: 'halfOpen', value: { successThreshold: 1.5 }, path: 'halfOpen.successThreshold' },
  { key: 'halfOpen', value: { probeTimeout: 0 }, path: 'halfOpen.probeTimeout' },
  ...field('name', '', 1),
  ...field('clock', 'now'),
  ...field('handleResult', 'x'),
];

function invalidCircuitBreakerOptions(): fc.Arbitrary<InvalidOptions<CircuitBreakerOptions>> {
  return invalidFrom(circuitBreakerOptions(), breakerCorruptions, 'recoverTimeout');
}

// ------------------------------------------------------------------- timeout

function timeoutOptions(fixed: Partial<TimeoutOptions> = {}): fc.Arbitrary<TimeoutOptions> {
  return fc
    .record({ duration: fc.integer({ min: 1, max: 60_000 }), strategy: fc.option(fc.constantFrom('aggressive' as const, 'cooperative' as const), { nil: undefined }) })
    .map((o) => compact<TimeoutOptions>({ ...o, ...fixed }));
}

const timeoutCorruptions: readonly Corruption[] = [
  ...field('duration', 0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '1s'),
  ...field('strategy', 'eager', true),
  ...field('name', ''),
  ...field('clock', 1),
];

function invalidTimeoutOptions(): fc.Arbitrary<InvalidOptions<TimeoutOptions>> {
  return invalidFrom(timeoutOptions(), timeoutCorruptions, 'durration');
}

// ------------------------------------------------------------------- bulkhead

function bulkheadOptions(fixed: Partial<BulkheadOptions> = {}): fc.Arbitrary<BulkheadOptions> {
  return fc
    .record({
      maxConcurrent: fc.integer({ min: 1, max: 32 }),
      maxQueue: fc.option(fc.integer({ min: 0, max: 64 }), { nil: undefined }),
      queueTimeout: fc.option(fc.integer({ min: 1, max: 30_000 }), { nil: undefined }),
    })
    .map((o) => compact<BulkheadOptions>({ ...o, ...fixed }));
}

const bulkheadCorruptions: readonly Corruption[] = [
  ...field('maxConcurrent', 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '4'),
  ...field('maxQueue', -1, 0.5, Number.NaN),
  ...field('queueTimeout', 0, -1, Number.NaN),
  ...field('name', ''),
];

function invalidBulkheadOptions(): fc.Arbitrary<InvalidOptions<BulkheadOptions>> {
  return invalidFrom(bulkheadOptions(), bulkheadCorruptions, 'maxConcurrency');
}

// ------------------------------------------------------------------- fallback

function fallbackOptions<T = string>(value?: fc.Arbitrary<T>, fixed: Partial<FallbackOptions<T>> = {}): fc.Arbitrary<FallbackOptions<T>> {
  const v = value ?? (fc.string() as unknown as fc.Arbitrary<T>);
  const tier = fc.oneof(
    v.filter((x) => typeof x !== 'function' && !isPlain(x)),
    v.map((x) => Object.defineProperty(() => x, 'name', { value: 'constantTier' })),
  );
  return fc.array(tier, { minLength: 1, maxLength: 3 }).map((tiers) => compact<FallbackOptions<T>>({ tiers: tiers as FallbackOptions<T>['tiers'], ...fixed }));
}

function isPlain(x: unknown): boolean {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
}

const fallbackCorruptions: readonly Corruption[] = [
  ...field('tiers', [], 'cache', null),
  ...field('name', '', 0),
  ...field('handle', 5),
  ...field('handleResult', true),
  ...field('clock', {}),
];

function invalidFallbackOptions(): fc.Arbitrary<InvalidOptions<FallbackOptions>> {
  return invalidFrom(fallbackOptions() as fc.Arbitrary<FallbackOptions>, fallbackCorruptions, 'tier');
}

// ------------------------------------------------------------------- faults

/** Options of {@link arbitraries.faultSchedule} and {@link arbitraries.faultTimeline}. */
export interface FaultScheduleOptions<T = unknown> {
  /** Longest schedule (number of scripted calls, or of timeline periods). @defaultValue 20 */
  readonly maxLength?: number;
  /** Value of successful calls. @defaultValue `undefined` */
  readonly value?: T;
  /** Errors failing calls pick from. @defaultValue a `ScriptedFailure` naming the call */
  readonly errors?: readonly unknown[];
  /** Delays of slow calls (and of failures that take time). @defaultValue integers in [1, 1000] ms */
  readonly latency?: fc.Arbitrary<number>;
  /**
   * Relative weights of step kinds; a kind whose weight is not > 0 is never drawn (at
   * least one must be > 0). @defaultValue `{ ok: 4, fail: 3, slow: 2, hang: 1 }`
   */
  readonly weights?: {
    /** Weight of `ok` steps that answer at once. @defaultValue `4` */
    readonly ok?: number;
    /** Weight of `fail` steps (some of which take time, drawn from `latency`). @defaultValue `3` */
    readonly fail?: number;
    /** Weight of slow `ok` steps, whose delay is drawn from `latency`. @defaultValue `2` */
    readonly slow?: number;
    /** Weight of `hang` steps. @defaultValue `1` */
    readonly hang?: number;
  };
  /** What calls past the schedule do. @defaultValue `{ kind: 'ok' }` (the dependency recovers) */
  readonly otherwise?: ScriptStep<T>;
  /** Timeline only: the span (ms) the periods cover. @defaultValue 60 000 */
  readonly horizon?: number;
}

function step<T>(o: FaultScheduleOptions<T> = {}): fc.Arbitrary<ScriptStep<T>> {
  const w = { ok: 4, fail: 3, slow: 2, hang: 1, ...o.weights };
  const latency = o.latency ?? fc.integer({ min: 1, max: 1_000 });
  const value = o.value;
  const ok: ScriptStep<T> = value === undefined ? { kind: 'ok' } : { kind: 'ok', value };
  const error: fc.Arbitrary<{ error?: unknown }> = o.errors === undefined || o.errors.length === 0 ? fc.constant({}) : fc.constantFrom(...o.errors).map((e) => ({ error: e }));
  const options: fc.WeightedArbitrary<ScriptStep<T>>[] = [];
  if (w.ok > 0) options.push({ arbitrary: fc.constant(ok), weight: w.ok });
  if (w.fail > 0) {
    options.push({
      arbitrary: fc.tuple(error, fc.option(latency, { nil: undefined, freq: 3 })).map(([e, d]) => ({ kind: 'fail' as const, ...e, ...(d === undefined ? {} : { delay: d }) })),
      weight: w.fail,
    });
  }
  if (w.slow > 0) options.push({ arbitrary: latency.map((d) => ({ ...ok, delay: d })), weight: w.slow });
  if (w.hang > 0) options.push({ arbitrary: fc.constant({ kind: 'hang' as const }), weight: w.hang });
  if (options.length === 0) throw new RangeError('faultSchedule: every weight is 0');
  return fc.oneof(...options);
}

function faultSchedule<T = undefined>(options: FaultScheduleOptions<T> = {}): fc.Arbitrary<ScriptObject<T>> {
  return fc
    .array(step(options), { maxLength: options.maxLength ?? 20 })
    .map((calls) => ({ calls, otherwise: options.otherwise ?? (options.value === undefined ? { kind: 'ok' } : { kind: 'ok', value: options.value }) }));
}

function faultTimeline<T = undefined>(options: FaultScheduleOptions<T> = {}): fc.Arbitrary<ScriptObject<T>> {
  const horizon = options.horizon ?? 60_000;
  return fc
    .array(fc.record({ from: fc.integer({ min: 0, max: horizon }), step: step(options) }), { maxLength: options.maxLength ?? 20 })
    .map((entries) => {
      const timeline: TimelineEntry<T>[] = [...entries].sort((a, b) => a.from - b.from);
      return { timeline, otherwise: options.otherwise ?? (options.value === undefined ? { kind: 'ok' } : { kind: 'ok', value: options.value }) };
    });
}

function latencyDistribution(max = 2_000): fc.Arbitrary<LatencyDistribution> {
  const ms = fc.integer({ min: 0, max });
  return fc.oneof(
    ms.map((v) => distributions.fixed(v)),
    fc.tuple(ms, ms).map(([a, b]) => distributions.uniform(Math.min(a, b), Math.max(a, b))),
    fc.tuple(ms, fc.integer({ min: 0, max: Math.max(1, Math.floor(max / 4)) })).map(([mean, stdDev]) => distributions.normal({ mean, stdDev, max })),
    fc.integer({ min: 1, max: Math.max(2, Math.floor(max / 4)) }).chain((median) =>
      fc.integer({ min: median + 1, max: Math.max(median + 1, max) }).map((p99) => distributions.lognormal({ median, p99, max })),
    ),
    fc.array(ms, { minLength: 1, maxLength: 20 }).map((samples) => distributions.empirical(samples)),
  );
}

/**
 * fast-check arbitraries for breakwater: valid options (`retryOptions`, …), invalid ones
 * with the paths they break (`invalidRetryOptions`, …), fault schedules for
 * `scriptedDependency`, and latency distributions.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbitraries } from 'breakwater/testing/arbitraries';
 *
 * fc.assert(fc.property(arbitraries.invalidTimeoutOptions(), ({ options, invalid }) => {
 *   try { timeout(options); return false; }
 *   catch (e) { return isOptionsValidationError(e) && invalid.every((p) => e.issues.some((i) => i.path === p)); }
 * }));
 * ```
 */
export const arbitraries = {
  /**
   * Valid {@link RetryOptions}: 1–10 attempts, every backoff kind and (compatible) jitter,
   * a base `delay` of 0–2 000 ms, and sometimes a `maxDelay` (up to 20 s above `delay`),
   * a `factor` (1–4, exponential only) and a `maxDuration` (1 ms–120 s). The `fixed`
   * fields (e.g. `{ clock, random }`) are added to every value, replacing drawn ones.
   *
   * @example
   * ```ts
   * fc.assert(fc.property(arbitraries.retryOptions({ clock }), (o) => { retry(o); }));
   * ```
   */
  retryOptions,
  /** Retry options with 1+ broken fields (and maybe a misspelt key), with the broken paths. */
  invalidRetryOptions,
  /**
   * Valid {@link CircuitBreakerOptions}: a consecutive-failure rule (1–10 failures), a
   * count window (1–50 calls) or a time window (100 ms–60 s, 1–20 buckets, maybe with a
   * slow-call rule); a `recoveryTimeout` of 0–60 s; half-open options with 1–5 probes.
   * The `fixed` fields are added to every value, replacing drawn ones.
   */
  circuitBreakerOptions,
  /** Circuit breaker options with 1+ broken fields (and maybe a misspelt key), with the broken paths. */
  invalidCircuitBreakerOptions,
  /**
   * Valid {@link TimeoutOptions}: a `duration` of 1 ms to 60 s, with either strategy or
   * none (the default). The `fixed` fields are added to every value, replacing drawn ones.
   */
  timeoutOptions,
  /** Timeout options with 1+ broken fields (and maybe a misspelt key), with the broken paths. */
  invalidTimeoutOptions,
  /**
   * Valid {@link BulkheadOptions}: 1–32 slots, maybe a `maxQueue` of 0–64 and maybe a
   * `queueTimeout` of 1 ms–30 s. The `fixed` fields are added to every value, replacing
   * drawn ones.
   */
  bulkheadOptions,
  /** Bulkhead options with 1+ broken fields (and maybe a misspelt key), with the broken paths. */
  invalidBulkheadOptions,
  /**
   * Valid {@link FallbackOptions}: 1–3 tiers, each a constant drawn from `value`, the
   * arbitrary of fallback values (default `fc.string()`; functions and plain objects it
   * draws are not used as constants), or a function returning one. The `fixed` fields are
   * added to every value, replacing drawn ones.
   */
  fallbackOptions,
  /** Fallback options with 1+ broken fields (and maybe a misspelt key), with the broken paths. */
  invalidFallbackOptions,
  /**
   * One {@link ScriptStep}, drawn with the given `weights`: an `ok` step (answers at once),
   * a `fail` step (at once or after a `latency` delay), a slow `ok` step (after a
   * `latency` delay) or a `hang` step. Throws a `RangeError` when no weight is > 0.
   */
  step,
  /**
   * A call-numbered fault schedule for `scriptedDependency` (`breakwater/testing`): up to `maxLength` steps
   * (ok / fail / slow / hang, weighted), then `otherwise`.
   *
   * @example
   * ```ts
   * fc.assert(fc.asyncProperty(arbitraries.faultSchedule({ value: 'paid' }), async (schedule) => {
   *   const gateway = scriptedDependency(schedule, clock);
   *   // … drive the service, check its promises …
   * }));
   * ```
   */
  faultSchedule,
  /**
   * A time-based fault schedule for `scriptedDependency` (`breakwater/testing`): up to `maxLength` periods
   * starting between 0 and `horizon` ms, each with one weighted step (an outage, a slow
   * period, a healthy one). Calls before the first period follow `otherwise`.
   */
  faultTimeline,
  /**
   * A latency distribution (the chaos module's {@link LatencyDistribution}: fixed,
   * uniform, normal, lognormal or empirical) whose samples all lie in [0, `max`] ms
   * (`max` defaults to 2 000).
   */
  latencyDistribution,
} as const;
