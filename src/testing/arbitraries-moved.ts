/**
 * What `breakwater/testing` keeps of the fast-check arbitraries: a stand-in that says
 * where they are. The arbitraries import fast-check, so they live in their own entry
 * (`breakwater/testing/arbitraries`) and `breakwater/testing` loads without fast-check.
 *
 * @packageDocumentation
 */

/** @internal The members of `arbitraries` (checked against the real object by a test). */
export const ARBITRARY_NAMES = [
  'retryOptions',
  'invalidRetryOptions',
  'circuitBreakerOptions',
  'invalidCircuitBreakerOptions',
  'timeoutOptions',
  'invalidTimeoutOptions',
  'bulkheadOptions',
  'invalidBulkheadOptions',
  'fallbackOptions',
  'invalidFallbackOptions',
  'step',
  'faultSchedule',
  'faultTimeline',
  'latencyDistribution',
] as const;

/** @internal The message of the error the stand-in throws. */
export function arbitrariesMovedMessage(member: string): string {
  return (
    `breakwater/testing: \`arbitraries.${member}\` is not here. The fast-check arbitraries need fast-check (≥ 3), ` +
    "so they have their own entry point: install fast-check (npm install --save-dev fast-check) and write " +
    "`import { arbitraries } from 'breakwater/testing/arbitraries'`. " +
    'The rest of breakwater/testing (VirtualClock, seededRandom, scriptedDependency, the monitors) needs no fast-check.'
  );
}

function standIn(): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const name of ARBITRARY_NAMES) {
    // Non-enumerable getters: inspecting or cloning the object does not throw, using a member does.
    Object.defineProperty(o, name, {
      enumerable: false,
      get(): never {
        throw new Error(arbitrariesMovedMessage(name));
      },
    });
  }
  return Object.freeze(o);
}

/**
 * Moved: the fast-check arbitraries are imported from `breakwater/testing/arbitraries`,
 * the one entry point that loads fast-check (`npm install --save-dev fast-check`). Typed
 * `never`, so using it here is a compile error; at run time every member throws an error
 * saying where the arbitraries are and how to install fast-check.
 *
 * @deprecated Import `arbitraries` from `breakwater/testing/arbitraries`.
 * @defaultValue a stand-in whose members throw
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbitraries } from 'breakwater/testing/arbitraries';
 * fc.assert(fc.property(arbitraries.retryOptions(), (o) => { retry(o); }));
 * ```
 */
export const arbitraries: never = standIn() as never;
