/**
 * Options of the adaptive concurrency policies, their defaults and validation.
 *
 * @packageDocumentation
 */
import { handleRules, type HandleOptions } from '../core/classify';
import type { Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { OptionsValidationError, type ValidationIssue } from '../core/errors';
import { collectIssues, isPlainObject, rules, type Rule, type Schema } from '../core/validation';
import { ALGORITHM_NAMES, type AdaptiveAlgorithmName, type LimitRule } from './algorithm';
import { AimdRule, aimdSchema, type AimdOptions } from './aimd';
import { Gradient2Rule, gradient2Schema, type Gradient2Options } from './gradient2';
import { VegasRule, vegasDefaults, vegasSchema, type VegasOptions } from './vegas';

/**
 * An algorithm with its tuning: `{ kind: 'gradient2' | 'aimd' | 'vegas', … }`.
 *
 * @example
 * ```ts
 * const tuned: AdaptiveAlgorithmOptions = { kind: 'aimd', backoffRatio: 0.8, latencyThreshold: 500 };
 * ```
 */
export type AdaptiveAlgorithmOptions = Gradient2Options | AimdOptions | VegasOptions;

/**
 * Options of {@link adaptiveConcurrency}.
 *
 * @typeParam T - the result type `handleResult` inspects.
 *
 * @example
 * ```ts
 * const options: AdaptiveConcurrencyOptions = { name: 'db', initialLimit: 20, minLimit: 4, maxLimit: 200, maxQueue: 100 };
 * const db = adaptiveConcurrency(options);
 * ```
 */
export interface AdaptiveConcurrencyOptions<T = unknown> extends HandleOptions<T> {
  /**
   * The limit to start from, before any latency is known: an integer within
   * [`minLimit`, `maxLimit`]. Start near what you believe the dependency serves at once;
   * too high is found out by the first probes, too low grows by about √limit per round trip.
   */
  readonly initialLimit: number;
  /** The limit never goes below this: an integer ≥ 1. */
  readonly minLimit: number;
  /** The limit never goes above this: an integer ≥ `minLimit`. */
  readonly maxLimit: number;
  /**
   * How the limit moves: an algorithm name, or an object with the name in `kind` and its
   * tuning (see {@link Gradient2Options}, {@link AimdOptions}, {@link VegasOptions}).
   * @defaultValue `'gradient2'`
   */
  readonly algorithm?: AdaptiveAlgorithmName | AdaptiveAlgorithmOptions | undefined;
  /**
   * How many calls may wait, in arrival order, for a slot under the limit; beyond it calls
   * are rejected with `ConcurrencyLimitedError` (`reason: 'full'`). `0` rejects as soon as
   * the limit is reached (load shedding); `Infinity` never rejects (use with `queueTimeout`).
   * An integer ≥ 0, or `Infinity`.
   * @defaultValue `0`
   */
  readonly maxQueue?: number | undefined;
  /**
   * Longest time (ms) a call may wait in the queue; after it the call leaves and rejects with
   * `ConcurrencyLimitedError` (`reason: 'queue-timeout'`). A duration > 0, or `Infinity`.
   * @defaultValue `Infinity`
   */
  readonly queueTimeout?: number | undefined;
  /** Name used in events, metrics and errors. @defaultValue `'adaptive-concurrency'` */
  readonly name?: string | undefined;
  /**
   * Clock on which latency is measured (and queue timeouts run). The policy keeps its
   * samples across calls, so a pipeline must run on the same clock.
   * @defaultValue `systemClock`
   */
  readonly clock?: Clock | undefined;
}

/**
 * Options of {@link adaptiveConcurrency.partitioned}: each key gets a limit of its own,
 * learned from its own calls.
 *
 * @example
 * ```ts
 * const perShard = adaptiveConcurrency.partitioned({
 *   key: (ctx) => ctx.labels.shard ?? 'main', initialLimit: 10, minLimit: 2, maxLimit: 100,
 * });
 * ```
 */
export interface PartitionedAdaptiveConcurrencyOptions<T = unknown> extends AdaptiveConcurrencyOptions<T> {
  /**
   * Picks the partition of a call (a shard, a region, a tenant). A key function that throws
   * (or returns a non-string) rejects the call with that error (a `TypeError` for a
   * non-string) without running it.
   */
  readonly key: (ctx: ExecutionContext) => string;
  /**
   * Most partitions alive at once. A partition lives while it has calls in flight or waiting
   * and is dropped (with what it learned) the moment it goes idle, so memory follows the live
   * keys. A call that would open one more rejects with `ConcurrencyLimitedError`
   * (`reason: 'max-partitions'`). An integer ≥ 1, or `Infinity`.
   * @defaultValue `Infinity`
   */
  readonly maxPartitions?: number | undefined;
}

/**
 * Default values of the optional adaptive concurrency options.
 *
 * @example
 * ```ts
 * adaptiveConcurrencyDefaults.algorithm; // 'gradient2'
 * ```
 */
export const adaptiveConcurrencyDefaults = {
  /** Default of {@link AdaptiveConcurrencyOptions.algorithm}. */
  algorithm: 'gradient2',
  /** Default of {@link AdaptiveConcurrencyOptions.maxQueue}: reject as soon as the limit is reached. */
  maxQueue: 0,
  /** Default of {@link AdaptiveConcurrencyOptions.queueTimeout} (ms): no limit on the wait. */
  queueTimeout: Number.POSITIVE_INFINITY,
  /** Default of {@link AdaptiveConcurrencyOptions.name}. */
  name: 'adaptive-concurrency',
  /** Default of {@link PartitionedAdaptiveConcurrencyOptions.maxPartitions}. */
  maxPartitions: Number.POSITIVE_INFINITY,
} as const;

/** The tuning schema of each algorithm. */
const ALGORITHM_SCHEMAS: Readonly<Record<AdaptiveAlgorithmName, Schema>> = {
  gradient2: gradient2Schema,
  aimd: aimdSchema,
  vegas: vegasSchema,
};

const isAlgorithmName = (v: unknown): v is AdaptiveAlgorithmName => typeof v === 'string' && (ALGORITHM_NAMES as readonly string[]).includes(v);

const algorithmRule: Rule = {
  expected: `one of ${ALGORITHM_NAMES.map((n) => `'${n}'`).join(', ')}, or an object { kind: one of them, …tuning }`,
  check: (v) => isAlgorithmName(v) || (isPlainObject(v) && isAlgorithmName(v['kind'])),
};

const limitRule = rules.required(rules.integer(1));

/** @internal */
export const adaptiveConcurrencySchema: Schema = {
  initialLimit: limitRule,
  minLimit: limitRule,
  maxLimit: limitRule,
  algorithm: algorithmRule,
  maxQueue: rules.integer(0, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
  queueTimeout: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  name: rules.string(),
  clock: rules.clock(),
  ...handleRules,
};

/** @internal */
export const partitionedAdaptiveConcurrencySchema: Schema = {
  ...adaptiveConcurrencySchema,
  key: rules.required(rules.func('a function (ctx) => string')),
  maxPartitions: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
};

/**
 * @internal Validates the options (the algorithm's tuning included, by its `kind`) and
 * throws one {@link OptionsValidationError} naming every bad field.
 */
export function validateAdaptiveOptions<O extends AdaptiveConcurrencyOptions>(subject: string, input: unknown, schema: Schema): O {
  const issues: ValidationIssue[] = [];
  collectIssues(input ?? {}, schema, '', issues);
  if (isPlainObject(input)) {
    const algorithm = input['algorithm'];
    if (isPlainObject(algorithm) && isAlgorithmName(algorithm['kind'])) {
      collectIssues(algorithm, ALGORITHM_SCHEMAS[algorithm['kind']], 'algorithm.', issues);
      crossAlgorithm(algorithm, issues);
    }
    crossLimits(input, issues);
  }
  if (issues.length > 0) throw new OptionsValidationError(subject, issues);
  return input as O;
}

const validLimit = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/** minLimit ≤ initialLimit ≤ maxLimit, checked when the fields themselves are valid. */
function crossLimits(o: Record<string, unknown>, issues: ValidationIssue[]): void {
  const { minLimit, maxLimit, initialLimit } = o;
  if (validLimit(minLimit) && validLimit(maxLimit) && maxLimit < minLimit) {
    issues.push({ path: 'maxLimit', value: maxLimit, expected: `an integer ≥ minLimit (${minLimit})` });
    return;
  }
  if (validLimit(initialLimit)) {
    if (validLimit(minLimit) && initialLimit < minLimit) {
      issues.push({ path: 'initialLimit', value: initialLimit, expected: `an integer ≥ minLimit (${minLimit})` });
    } else if (validLimit(maxLimit) && initialLimit > maxLimit) {
      issues.push({ path: 'initialLimit', value: initialLimit, expected: `an integer ≤ maxLimit (${maxLimit})` });
    }
  }
}

/** Vegas: beta > alpha (with defaults filled in). */
function crossAlgorithm(a: Record<string, unknown>, issues: ValidationIssue[]): void {
  if (a['kind'] !== 'vegas') return;
  const alpha = a['alpha'] ?? vegasDefaults.alpha;
  const beta = a['beta'] ?? vegasDefaults.beta;
  if (typeof alpha === 'number' && typeof beta === 'number' && alpha > 0 && Number.isFinite(beta) && beta <= alpha) {
    issues.push({ path: 'algorithm.beta', value: beta, expected: `a finite number > alpha (${alpha})` });
  }
}

/** @internal The rule of a validated `algorithm` option. */
export function createRule(algorithm: AdaptiveAlgorithmName | AdaptiveAlgorithmOptions | undefined): LimitRule {
  const spec = algorithm ?? adaptiveConcurrencyDefaults.algorithm;
  const kind = typeof spec === 'string' ? spec : spec.kind;
  const tuning = typeof spec === 'string' ? undefined : spec;
  if (kind === 'aimd') return new AimdRule(tuning as AimdOptions | undefined);
  if (kind === 'vegas') return new VegasRule(tuning as VegasOptions | undefined);
  return new Gradient2Rule(tuning as Gradient2Options | undefined);
}
