/**
 * The states of a circuit breaker, written once: the breaker, its snapshots, metrics and
 * experiment reports all take them from here.
 *
 * @packageDocumentation
 */

/**
 * Every state of a circuit breaker, in the order metrics and reports list them.
 *
 * @example
 * ```ts
 * for (const state of CircuitStates) gauge.labels({ state }).set(breaker.state === state ? 1 : 0);
 * ```
 */
export const CircuitStates = ['closed', 'open', 'half-open', 'isolated'] as const;

/**
 * The state of a circuit breaker.
 *
 * - `closed`: calls run; outcomes are counted.
 * - `open`: calls are rejected until `recoveryTimeout` has passed since opening.
 * - `half-open`: up to `halfOpen.maxProbes` trial calls run at once; the rest are rejected.
 * - `isolated`: held open by hand (`isolate()`) until `reset()`.
 */
export type CircuitState = (typeof CircuitStates)[number];

/** A state in which a breaker rejects calls (all of them but `half-open`'s probes). */
export type RejectingCircuitState = Exclude<CircuitState, 'closed'>;

/** True for a {@link CircuitState}. */
export function isCircuitState(value: unknown): value is CircuitState {
  return (CircuitStates as readonly unknown[]).includes(value);
}
