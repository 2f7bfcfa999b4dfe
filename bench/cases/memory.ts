/**
 * Memory cases: heap growth (after a forced full GC) of many calls through a breaker, and
 * of many pending timeouts. Everything measured is still referenced when the heap is read,
 * and released afterwards.
 *
 * @packageDocumentation
 */
import { SamplingBreaker, TimeoutStrategy, circuitBreaker as cCircuitBreaker, handleAll, timeout as cTimeout } from 'cockatiel';
import type { Clock } from '../../src/index';
import { heapAfterGc, type MemoryCase } from '../harness';

/** Sizes of the memory cases. */
export interface MemorySizes {
  /** Calls in the breaker cases (the issue: 1 000 000). */
  readonly calls: number;
  /** Pending calls / timers in the timeout cases (the issue: 100 000). */
  readonly pending: number;
}
/** Timeout of the pending cases: long enough that none fires while measuring. */
export const LONG_MS = 60_000;

const TIMEOUT_ERROR = new Error('timed out');
const FAILURE = new Error('failure');

/** A clock whose time the benchmark moves by hand (`t`), for windows that must rotate. */
export class SteppedClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    return setTimeout(callback, ms);
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

/**
 * Heap growth while `count` things started by `start` are pending. Each gets the same
 * never-settled `gate` promise to wait on; after the measurement the gate opens (or
 * `release` runs) and everything is awaited, so nothing outlives the case.
 */
export async function pendingHeap<H>(
  count: number,
  start: (gate: Promise<number>) => H,
  release: (handles: H[]) => Promise<unknown>,
): Promise<number> {
  let open: (value: number) => void = () => undefined;
  const gate = new Promise<number>((resolve) => {
    open = resolve;
  });
  const handles = new Array<H>(count);
  // Warm the code path with a handful, so compilation is not counted.
  const warm = new Array<H>(16);
  for (let i = 0; i < warm.length; i++) warm[i] = start(gate);
  const before = heapAfterGc();
  for (let i = 0; i < count; i++) handles[i] = start(gate);
  const after = heapAfterGc();
  open(1);
  await release(handles);
  await release(warm);
  return after - before;
}

/** Releases pending promises: the gate is open, so they settle. */
export function settleAll(promises: Promise<unknown>[]): Promise<unknown> {
  return Promise.allSettled(promises);
}

/**
 * A hand-written timeout over native timers: what a call with a deadline costs without a
 * library. Like `timeout.execute(fn)` (and the CPU reference in `bench/fns.ts`) it takes the
 * function and calls it, so both sides of the comparison hold the same caller's closure.
 */
export function nativeTimeout<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const handle = setTimeout(() => reject(TIMEOUT_ERROR), ms);
    fn().then(
      (value) => {
        clearTimeout(handle);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(handle);
        reject(error);
      },
    );
  });
}

/**
 * Heap growth of `calls` sequential calls through `call` (every 100th fails with a
 * premade error). `step` runs before each call (to move a clock).
 */
export async function callsHeap(calls: number, call: (fail: boolean) => Promise<unknown>, step: () => void): Promise<number> {
  for (let i = 0; i < 1000; i++) await call(false).catch(() => undefined);
  const before = heapAfterGc();
  for (let i = 0; i < calls; i++) {
    step();
    try {
      await call(i % 100 === 99);
    } catch {
      // the premade failure
    }
  }
  return heapAfterGc() - before;
}

/** A function that succeeds, or fails with a premade error. */
export function outcome(fail: boolean): Promise<number> {
  return fail ? Promise.reject(FAILURE) : Promise.resolve(1);
}

/** The native and peer memory cases. */
export function peerMemoryCases({ calls, pending }: MemorySizes): MemoryCase[] {
  return [
    {
      id: 'native.timers',
      items: pending,
      label: `${pending.toLocaleString('en')} native \`setTimeout\` handles`,
      measure: () =>
        pendingHeap(
          pending,
          () => setTimeout(noopTimer, LONG_MS),
          async (handles) => {
            for (const h of handles) clearTimeout(h);
          },
        ),
    },
    {
      id: 'native.timeoutCalls',
      items: pending,
      label: `${pending.toLocaleString('en')} pending calls with a hand-written native-timer timeout`,
      measure: () => pendingHeap(pending, (gate) => nativeTimeout(() => gate, LONG_MS), settleAll),
    },
    {
      id: 'cockatiel.timeoutCalls',
      items: pending,
      label: `${pending.toLocaleString('en')} pending calls through cockatiel timeout`,
      measure: () => {
        const ct = cTimeout(LONG_MS, TimeoutStrategy.Aggressive);
        return pendingHeap(pending, (gate) => ct.execute(() => gate), settleAll);
      },
    },
    {
      id: 'cockatiel.samplingBreaker',
      items: calls,
      label: `${calls.toLocaleString('en')} calls through cockatiel circuitBreaker (SamplingBreaker, 10 s, real time)`,
      measure: () => {
        const cb = cCircuitBreaker(handleAll, {
          halfOpenAfter: 10_000,
          breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 1 }),
        });
        return callsHeap(calls, (fail) => cb.execute(() => outcome(fail)), noopTimer);
      },
    },
  ];
}

function noopTimer(): void {}
