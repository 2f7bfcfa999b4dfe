/**
 * breakwater cases, imported from the source (bundled by scripts/bench.mjs), with the same
 * settings as the peer cases: retry 3 attempts with exponential backoff, a breaker that
 * opens after 5 consecutive failures, a 2 s timeout, 64 slots and 64 queue places.
 *
 * @packageDocumentation
 */
import { pipeline } from '../../src/index';
import { retry } from '../../src/retry/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { fallback } from '../../src/fallback/index';
import type { CallCase, MemoryCase, WorkloadCase } from '../harness';
import { immediate, type Workload } from '../fns';
import { contentionCase, SLOTS } from './contention';
import { LONG_MS, SteppedClock, type MemorySizes, callsHeap, outcome, pendingHeap, settleAll } from './memory';

const FAILURE = new Error('failure');
const WINDOW_MS = 10_000;

/** The four policies, breakwater-style. */
export function bwFour(): ReturnType<typeof pipeline> {
  return pipeline(
    retry({ maxAttempts: 3, backoff: 'exponential' }),
    circuitBreaker({ failureThreshold: 5, recoveryTimeout: 10_000 }),
    timeout(2000),
    bulkhead({ maxConcurrent: 64, maxQueue: 64 }),
  );
}

/** Per-call breakwater cases on the success path for one function variant. */
export function bwCallCases(w: Workload): CallCase[] {
  const fn = w.fn;
  const empty = pipeline();
  const r = retry({ maxAttempts: 3, backoff: 'exponential' });
  const cb = circuitBreaker({ failureThreshold: 5, recoveryTimeout: 10_000 });
  const cbw = circuitBreaker({ window: { kind: 'time', duration: 10_000, buckets: 10 }, recoveryTimeout: 10_000 });
  const t = timeout(2000);
  const bh = bulkhead({ maxConcurrent: 64, maxQueue: 64 });
  const fb = fallback({ tiers: [0] });
  const four = bwFour();
  const g = 'breakwater';
  return [
    { id: `bw.empty@${w.id}`, group: g, label: 'breakwater `pipeline()` with no policy (the core alone)', op: () => empty.execute(fn) },
    { id: `bw.retry@${w.id}`, group: g, label: 'breakwater retry', op: () => r.execute(fn) },
    { id: `bw.circuitBreaker@${w.id}`, group: g, label: 'breakwater circuitBreaker (consecutive failures)', op: () => cb.execute(fn) },
    { id: `bw.timeWindowBreaker@${w.id}`, group: g, label: 'breakwater circuitBreaker (time window, 10 buckets)', op: () => cbw.execute(fn) },
    { id: `bw.timeout@${w.id}`, group: g, label: 'breakwater timeout', op: () => t.execute(fn) },
    { id: `bw.bulkhead@${w.id}`, group: g, label: 'breakwater bulkhead', op: () => bh.execute(fn) },
    { id: `bw.fallback@${w.id}`, group: g, label: 'breakwater fallback', op: () => fb.execute(fn) },
    { id: `bw.pipeline@${w.id}`, group: g, label: 'breakwater `pipeline(retry, circuitBreaker, timeout, bulkhead)`', op: () => four.execute(fn) },
  ];
}

/** breakwater open-circuit rejection: isolated (as cockatiel's case), and tripped by failures. */
export async function bwRejectionCases(): Promise<CallCase[]> {
  const fn = immediate.fn;
  const isolated = circuitBreaker({ failureThreshold: 5, recoveryTimeout: 10_000 });
  isolated.isolate();
  const tripped = circuitBreaker({ failureThreshold: 5, recoveryTimeout: 3_600_000 });
  for (let i = 0; i < 5; i++) await tripped.execute(() => Promise.reject(FAILURE)).catch(() => undefined);
  if (tripped.state !== 'open') throw new Error(`the tripped breaker should be open, is ${tripped.state}`);
  const g = 'open circuit';
  return [
    { id: 'bw.open', group: g, label: 'breakwater circuitBreaker, isolated', op: () => isolated.execute(fn), rejects: true },
    { id: 'bw.openTripped', group: g, label: 'breakwater circuitBreaker, opened by 5 failures', op: () => tripped.execute(fn), rejects: true },
  ];
}

/** breakwater bulkhead under contention (queue deep enough for every task). */
export function bwContentionCases(tasks: number): WorkloadCase[] {
  const bh = bulkhead({ maxConcurrent: SLOTS, maxQueue: tasks });
  return [contentionCase('bw.bulkhead', 'breakwater bulkhead', tasks, (task) => bh.execute(task))];
}

/** breakwater memory cases. */
export function bwMemoryCases({ calls, pending }: MemorySizes): MemoryCase[] {
  // Move the clock so that the calls span five full windows, whatever their number.
  const step = (5 * WINDOW_MS) / calls;
  return [
    {
      id: 'bw.emptyCalls',
      items: pending,
      label: `${pending.toLocaleString('en')} pending calls through an empty breakwater \`pipeline()\``,
      measure: () => {
        const empty = pipeline();
        return pendingHeap(pending, (gate) => empty.execute(() => gate), settleAll);
      },
    },
    {
      id: 'bw.timeoutCalls',
      items: pending,
      label: `${pending.toLocaleString('en')} pending calls through breakwater timeout`,
      measure: () => {
        const t = timeout(LONG_MS);
        return pendingHeap(pending, (gate) => t.execute(() => gate), settleAll);
      },
    },
    {
      id: 'bw.breakerCalls',
      items: calls,
      label: `${calls.toLocaleString('en')} calls through a breakwater time-window breaker (10 s, 10 buckets; 1 % failures; the clock moves ${step.toFixed(3)} ms a call: 5 full windows)`,
      measure: () => {
        const clock = new SteppedClock();
        const cb = circuitBreaker({ window: { kind: 'time', duration: WINDOW_MS, buckets: 10 }, failureRateThreshold: 0.5, clock });
        return callsHeap(calls, (fail) => cb.execute(() => outcome(fail)), () => {
          clock.t += step;
        });
      },
    },
  ];
}
