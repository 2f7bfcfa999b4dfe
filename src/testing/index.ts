/**
 * `breakwater/testing`: a virtual clock, seeded randomness, scripted fake dependencies,
 * fast-check arbitraries, pipeline descriptions and invariant monitors for testing code
 * that uses breakwater.
 *
 * `fast-check` (≥ 3) is an optional peer dependency needed by this subpath only.
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
export { arbitraries, type FaultScheduleOptions, type InvalidOptions } from './arbitraries';
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
