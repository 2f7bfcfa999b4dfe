/**
 * `breakwater/testing`: a virtual clock, seeded randomness, scripted fake dependencies,
 * pipeline descriptions and invariant monitors for testing code that uses breakwater.
 * None of it needs fast-check.
 *
 * The fast-check arbitraries are in `breakwater/testing/arbitraries`, the one entry point
 * that loads `fast-check` (≥ 3, an optional peer dependency).
 *
 * @packageDocumentation
 */
export { VirtualClock, flushMicrotasks, type VirtualTimerHandle } from './virtual-clock';
export { seededRandom, type SeededRandom } from './seeded-random';
export {
  ScriptedFailure,
  Step,
  scriptedDependency,
  type CallRecord,
  type Script,
  type ScriptObject,
  type ScriptStep,
  type ScriptedCallArg,
  type ScriptedDependency,
  type TimelineEntry,
} from './scripted-dependency';
export { arbitraries } from './arbitraries-moved';
export { describePipeline, flattenPipeline, type FlatPolicy } from './describe';
export {
  InvariantViolationError,
  watchBulkhead,
  watchCircuitBreaker,
  watchPipeline,
  watchRetry,
  type InvariantMonitor,
  type WatchBulkheadOptions,
} from './invariants';
