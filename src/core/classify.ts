/**
 * Outcome classification shared by every policy that reacts to failure (retry, circuit
 * breaker, fallback): `handle` picks the errors that count, `handleResult` the returned
 * values that count (an HTTP 503 response, say).
 *
 * | option         | default                                                                 |
 * | -------------- | ----------------------------------------------------------------------- |
 * | `handle`       | every error                                                             |
 * | `handleResult` | no value counts as a failure                                            |
 *
 * Caller cancellation (the caller's own signal aborted) is never a failure, whatever the
 * filters say. A filter that throws is treated as answering `false`, and its error is
 * reported (see `onCallbackError`).
 *
 * Retry never retries an execution rejection (`ExecutionRejectedError`: an open circuit, a
 * full bulkhead, a rate limiter's rejection), whatever `handle` says, unless its
 * `retryRejections` option is `true`: its `handle` only chooses among the other errors.
 *
 * @packageDocumentation
 */
import type { ExecutionContext } from './context';
import type { Outcome } from './outcome';
import { reportInternalError } from './report';
import { rules } from './validation';

/** A class of errors (any constructor), for `handle`. */
export type ErrorClass = abstract new (...args: never[]) => unknown;

/** Which errors count: a predicate, an error class, or a list of classes. */
export type ErrorFilter = ((error: unknown) => boolean) | ErrorClass | readonly ErrorClass[];

/** Which returned values count as failures. */
export type ResultFilter<T = unknown> = (value: T) => boolean;

/** The classification options every failure-aware policy accepts. */
export interface HandleOptions<T = unknown> {
  /**
   * Which errors count as failures: a predicate, an error class, or a list of classes.
   * @defaultValue every error (see the policy for exceptions)
   */
  readonly handle?: ErrorFilter | undefined;
  /**
   * Which successful results count as failures, e.g. `(res) => res.status >= 500`.
   * @defaultValue none
   */
  readonly handleResult?: ResultFilter<T> | undefined;
}

/** @internal How a policy sees one outcome. */
export const Handling = {
  /** A success (including a value `handleResult` does not flag). */
  Success: 0,
  /** A failure the policy handles. */
  Failure: 1,
  /** A failure the policy does not handle (or a caller cancellation): pass it through untouched. */
  Ignored: 2,
} as const;
/** @internal */
export type Handling = (typeof Handling)[keyof typeof Handling];

/** @internal A compiled classifier. */
export interface Classifier {
  classify(outcome: Outcome, ctx: ExecutionContext): Handling;
}

/** @internal Validation rules for `handle` and `handleResult`. */
export const handleRules = {
  handle: rules.anyOf(rules.func('a predicate or an error class'), rules.arrayOf(rules.func('error class'), { minLength: 1 })),
  handleResult: rules.func('a predicate'),
};

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && (fn.prototype instanceof Error || fn === Error || /^class[\s{]/.test(Function.prototype.toString.call(fn)));
}

/** @internal Turns an {@link ErrorFilter} into a predicate. */
export function errorPredicate(filter: ErrorFilter): (error: unknown) => boolean {
  if (Array.isArray(filter)) {
    const classes = filter as readonly ErrorClass[];
    return (e) => classes.some((c) => e instanceof (c as unknown as new () => unknown));
  }
  if (isClass(filter)) {
    const c = filter as unknown as new () => unknown;
    return (e) => e instanceof c;
  }
  return filter as (error: unknown) => boolean;
}

/** @internal Compiles `handle`/`handleResult` into a classifier. */
export function compileClassifier(
  options: HandleOptions<never> | undefined,
  defaultHandle: (error: unknown) => boolean = () => true,
): Classifier {
  const handle = options?.handle !== undefined ? errorPredicate(options.handle) : defaultHandle;
  const handleResult = options?.handleResult as ResultFilter | undefined;
  return {
    classify(outcome: Outcome, ctx: ExecutionContext): Handling {
      if (outcome.ok) {
        if (handleResult === undefined) return Handling.Success;
        try {
          return handleResult(outcome.value) === true ? Handling.Failure : Handling.Success;
        } catch (error) {
          reportInternalError(error, 'handleResult');
          return Handling.Success;
        }
      }
      if (ctx.cancelledByCaller) return Handling.Ignored;
      try {
        return handle(outcome.error) === true ? Handling.Failure : Handling.Ignored;
      } catch (error) {
        reportInternalError(error, 'handle');
        return Handling.Ignored;
      }
    },
  };
}
