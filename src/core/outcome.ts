/**
 * Inside a pipeline, results travel as values: `{ ok: true, value }` or
 * `{ ok: false, error }`. Only the outermost `execute()` turns a failure into a rejection,
 * which keeps policies free of try/catch ladders and lets each one look at the result of
 * the call without re-throwing.
 *
 * @packageDocumentation
 */

/** The result of one run of the function (or of an inner policy), as a value. */
export type Outcome<T = unknown> =
  | {
      /** `true`: the run succeeded. */
      readonly ok: true;
      /** The value the run produced. */
      readonly value: T;
    }
  | {
      /** `false`: the run failed. */
      readonly ok: false;
      /** What the run threw or rejected with (any value, not always an `Error`). */
      readonly error: unknown;
    };

/** @internal A callback that receives a call's outcome exactly once. */
export type Done = (outcome: Outcome) => void;

/** Makes a successful outcome. */
export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** Makes a failed outcome. */
export function failure(error: unknown): Outcome<never> {
  return { ok: false, error };
}

/** @internal Is `value` a thenable (a promise or promise-like)? */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
