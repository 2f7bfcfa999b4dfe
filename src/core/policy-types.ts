/**
 * Types of the policy interface that carry no code: descriptions, pipeline options, event
 * selection.
 *
 * @packageDocumentation
 */
import type { Clock } from './clock';

/** A plain description of a policy (for tests, logs and `describePipeline`). */
export interface PolicyDescription {
  /** Policy kind, e.g. `'retry'`. */
  readonly kind: string;
  /** Policy name. */
  readonly name: string;
  /** The policy's effective options (functions shown by name). */
  readonly options: Readonly<Record<string, unknown>>;
  /** For pipelines: the policies, outermost first. */
  readonly policies?: readonly PolicyDescription[];
}

/** The member(s) of the event union `E` whose `type` can be `K`. */
export type EventOfType<E, K> = E extends {
  /** The event's type, matched against `K`. */
  readonly type: infer T;
}
  ? K extends T
    ? E
    : never
  : never;

/** Options of {@link index!pipeline}. */
export interface PipelineOptions {
  /** Name reported in events and metrics. @defaultValue `'pipeline'` */
  readonly name?: string | undefined;
  /** Operation key for calls that give none. @defaultValue `'default'` */
  readonly operation?: string | undefined;
  /**
   * The clock of the execution context: retry sleeps, timeouts, bulkhead queue waits and
   * fallback ages follow it. A pipeline runs on one clock: policies that keep time across
   * calls (a circuit breaker, a chaos fault, a retry with a budget) pin their own clock (the
   * system clock when given none), and a pipeline whose clock differs from one of theirs
   * is refused with an `OptionsValidationError`. So in tests, give the same `VirtualClock`
   * to the pipeline and to each breaker and fault.
   * @defaultValue the clock its time-keeping policies pin, else the system clock
   *
   * @example
   * ```ts
   * const clock = new VirtualClock();
   * const p = pipeline({ clock }, retry(), circuitBreaker({ clock }), timeout(1_000));
   * ```
   */
  readonly clock?: Clock | undefined;
  /**
   * Default of {@link index!ExecuteOptions.abortOnSettle} for the calls of this pipeline.
   * @defaultValue `false`
   */
  readonly abortOnSettle?: boolean | undefined;
}
