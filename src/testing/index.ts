/**
 * `breakwater/testing`: a virtual clock, seeded randomness and helpers for testing code
 * that uses breakwater.
 *
 * @packageDocumentation
 */
export { VirtualClock, flushMicrotasks, type VirtualTimerHandle } from './virtual-clock';
export { seededRandom, type SeededRandom } from './seeded-random';
