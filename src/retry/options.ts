/**
 * Options of the retry policy, their defaults and their validation schema.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { systemClock } from '../core/clock';
import type { HandleOptions } from '../core/classify';
import { handleRules } from '../core/classify';
import type { ExecutionContext } from '../core/context';
import type { ValidationIssue } from '../core/errors';
import type { Outcome } from '../core/outcome';
import type { Random } from '../core/random';
import { rules, type Rule } from '../core/validation';
import { Backoff, BACKOFF_DEFAULTS, backoffIssues, backoffRules, type BackoffKind, type JitterKind } from './backoff';
import { RetryBudget } from './budget';

/**
 * What a backoff function and `retryAfter` learn about the failed attempt.
 *
 * @example
 * ```ts
 * retry({ backoff: (info) => (info.context.labels['tier'] === 'vip' ? 50 : 500) * info.attempt });
 * ```
 */
export interface RetryInfo {
  /** The attempt that just failed (1-based); the next one would be `attempt + 1`. */
  readonly attempt: number;
  /** The failed attempt's outcome: an error, or a result that `handleResult` flagged. */
  readonly outcome: Outcome;
  /** The error, or the flagged result. */
  readonly failure: unknown;
  /** The delay used before the failed attempt (0 after the first attempt). */
  readonly previousDelay: number;
  /** The call's context (deadline, labels, properties…). */
  readonly context: ExecutionContext;
}

/**
 * A custom backoff (the `backoff` option): returns the delay in ms before the next attempt. The value is capped
 * at `maxDelay`; a negative value means "do not retry". A function that throws or returns
 * something other than a number ends the retries (the last failure goes through).
 */
export type BackoffFunction = (info: RetryInfo) => number;

/**
 * Server pushback: returns the delay (ms) the server asked for, or `undefined` to use the
 * backoff. A negative delay means "do not retry"; so does a delay above `maxDelay` (an
 * earlier retry would be refused, a later one is longer than the caller is willing to
 * wait).
 */
export type RetryAfterFunction = (failure: unknown, info: RetryInfo) => number | undefined;

/**
 * Options of {@link retry}. Every field is optional; see docs/retry.md for the table.
 *
 * @typeParam T - the result type that `handleResult` inspects.
 *
 * @example
 * ```ts
 * const options: RetryOptions<Response> = {
 *   maxAttempts: 4,
 *   delay: 100,
 *   maxDelay: 5_000,
 *   handleResult: (res) => res.status === 503,
 *   maxDuration: 10_000,
 * };
 * const policy = retry(options);
 * ```
 */
export interface RetryOptions<T = unknown> extends HandleOptions<T> {
  /** Name used in events and metrics. @defaultValue `'retry'` */
  readonly name?: string | undefined;
  /** Clock for sleeps, `maxDuration` and deadlines. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Source of randomness for jitter. @defaultValue `Math.random` */
  readonly random?: Random | undefined;
  /**
   * Total attempts, including the first (`1` = no retry). `Infinity` is accepted only
   * together with `maxDuration`: an unbounded loop needs a time bound.
   * @defaultValue `3`
   */
  readonly maxAttempts?: number | undefined;
  /**
   * How delays grow: `'exponential'`, `'linear'`, `'constant'` (shaped by `delay`,
   * `factor`, `maxDelay`, `jitter`), a {@link BackoffFunction}, or a {@link Backoff} value
   * (then `delay`, `factor`, `jitter` and `maxDelay` come from it).
   * @defaultValue `'exponential'`
   */
  readonly backoff?: BackoffKind | BackoffFunction | Backoff | undefined;
  /** Base delay of the first retry (ms). @defaultValue `200` */
  readonly delay?: number | undefined;
  /** Growth factor per retry; exponential backoff only, ≥ 1. @defaultValue `2` */
  readonly factor?: number | undefined;
  /**
   * Upper bound of every delay (ms), jitter and `retryAfter` included; caps a backoff
   * function too. @defaultValue `30000` (or `delay` when larger)
   */
  readonly maxDelay?: number | undefined;
  /** Jitter kind (see the table in docs/retry.md). @defaultValue `'full'` */
  readonly jitter?: JitterKind | undefined;
  /**
   * Server pushback (HTTP `Retry-After`, a rate limit's hint), asked for every failure
   * the policy retries. An execution rejection reaches it only with `retryRejections: true`.
   * @defaultValue none
   */
  readonly retryAfter?: RetryAfterFunction | undefined;
  /**
   * Cap on the whole call, in ms from its start: no retry is scheduled whose sleep would
   * end later. A running attempt is not cut short (compose a `timeout` for that).
   * @defaultValue none
   */
  readonly maxDuration?: number | undefined;
  /** A retry budget shared with other policies (see {@link retryBudget}). @defaultValue none */
  readonly budget?: RetryBudget | undefined;
  /**
   * Whether execution rejections (an `ExecutionRejectedError`: an open circuit's
   * `BrokenCircuitError`, a full bulkhead's `BulkheadRejectedError`, a rate limiter's
   * rejection) are retried.
   *
   * - `false` (default): never, **whatever `handle` says**. A rejection is a policy saying
   *   "not now" on purpose; retrying it with backoff only holds the caller longer and adds
   *   load. The rejection goes straight through, and no `retry` or `give-up` event is
   *   emitted for a first attempt that was rejected.
   * - `true`: always, without asking `handle`. The sleep before the retry honours the
   *   rejection's own pushback (`BrokenCircuitError.retryAfter`, the time until the
   *   breaker admits a probe) when it is positive and no `retryAfter` option answered;
   *   a pushback above `maxDelay` (an isolated breaker's `Infinity`) ends the retries.
   *
   * @defaultValue `false`
   * @example
   * ```ts
   * // Wait for the breaker to half-open (up to 5 s) instead of failing at once.
   * const patient = pipeline(
   *   retry({ maxAttempts: 3, maxDelay: 5_000, retryRejections: true }),
   *   circuitBreaker({ name: 'social-login', recoveryTimeout: 3_000 }),
   * );
   * ```
   */
  readonly retryRejections?: boolean | undefined;
}

/** @internal Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS = {
  name: 'retry',
  maxAttempts: 3,
  backoff: 'exponential',
  retryRejections: false,
  ...BACKOFF_DEFAULTS,
} as const;

const BACKOFF_KINDS: readonly BackoffKind[] = ['exponential', 'linear', 'constant'];

const backoffRule: Rule = {
  expected: "'exponential', 'linear', 'constant', a function or a Backoff (from exponentialBackoff()…)",
  check: (v) => BACKOFF_KINDS.includes(v as BackoffKind) || typeof v === 'function' || v instanceof Backoff,
};

/** @internal Validation schema of {@link RetryOptions}. */
export const retrySchema = {
  name: rules.string(),
  clock: rules.clock(),
  random: rules.func('a function returning a number in [0, 1)'),
  maxAttempts: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }),
  backoff: backoffRule,
  ...backoffRules,
  ...handleRules,
  retryAfter: rules.func(),
  maxDuration: rules.duration(0, { exclusiveMin: true }),
  budget: { expected: 'a RetryBudget (from retryBudget())', check: (v: unknown) => v instanceof RetryBudget },
  retryRejections: rules.boolean(),
};

/** @internal Cross-field checks of {@link RetryOptions}. */
export function retryIssues(o: RetryOptions<never>, issues: ValidationIssue[]): void {
  if (o.maxAttempts === Number.POSITIVE_INFINITY && o.maxDuration === undefined) {
    issues.push({ path: 'maxAttempts', value: o.maxAttempts, expected: 'finite unless `maxDuration` is set' });
  }
  const b = o.backoff ?? RETRY_DEFAULTS.backoff;
  if (typeof b === 'string') {
    backoffIssues(b, o, issues);
  } else {
    const what = typeof b === 'function' ? 'a function' : 'a Backoff value';
    const fields = typeof b === 'function' ? (['delay', 'factor', 'jitter'] as const) : (['delay', 'factor', 'jitter', 'maxDelay'] as const);
    for (const f of fields) {
      if (o[f] !== undefined) issues.push({ path: f, value: o[f], expected: `absent when \`backoff\` is ${what}` });
    }
  }
  if (o.budget !== undefined && o.budget.clock !== (o.clock ?? systemClock)) {
    issues.push({ path: 'budget', value: o.budget, expected: "a RetryBudget on the policy's clock (pass the same `clock` to both)" });
  }
}
