/**
 * The functions every per-call case runs, so the cases differ only by what wraps them.
 *
 * @packageDocumentation
 */
import type { CallCase } from './harness';

/** A function variant and its name in the tables. */
export interface Workload {
  /** Short id, used in case ids (`bare@immediate`). */
  readonly id: 'immediate' | 'hop';
  /** As printed. */
  readonly label: string;
  /** The function. Takes no arguments (policies may pass a context; it is ignored). */
  readonly fn: () => Promise<number>;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** `async () => 1`: the cheapest possible async function (the "bare await"). */
export const immediate: Workload = {
  id: 'immediate',
  label: '`async () => 1`',
  fn: async () => 1,
};

/**
 * `async () => { await resolved; return 1 }`: one microtask hop inside the function, the
 * least any real asynchronous dependency call does. The more realistic baseline.
 */
export const hop: Workload = {
  id: 'hop',
  label: '`async () => { await resolved; return 1 }`',
  fn: async () => {
    await RESOLVED;
    return 1;
  },
};

function noop(): void {}

const TIMED_OUT = new Error('timed out');

/** Both variants, the baseline first. */
export const workloads: readonly Workload[] = [immediate, hop];

/**
 * Issue 20's yardstick: one async frame around `await f()`. Nothing in userland can do a
 * policy's job for less; a pipeline of four policies is compared with four of these nested.
 */
export async function floorWrapper<T>(f: () => Promise<T>): Promise<T> {
  // eslint-disable-next-line no-useless-catch -- the issue's definition, catch included
  try {
    return await f();
  } catch (e) {
    throw e;
  }
}

/**
 * The floor of any wrapper: the least a policy can do is return its own promise that
 * settles with `fn`'s (two ways), or, for a policy that only needs to see the outcome,
 * return `fn`'s promise itself and watch it on a side chain. These show what that costs, so
 * the policies' ratios can be read against what is possible, not only against the bare
 * call.
 */
export function referenceCallCases(w: Workload): CallCase[] {
  const fn = w.fn;
  const sideChain = (): Promise<number> => {
    const p = fn();
    p.then(noop, noop);
    return p;
  };
  const viaThen = (): Promise<number> => new Promise<number>((resolve, reject) => fn().then(resolve, reject));
  const viaAsync = async (): Promise<number> => await fn();
  const wrap = floorWrapper;
  // The least a timeout can do with the platform's own timers: its own promise, raced by a
  // native timer that the function's outcome clears (issue 20's "hand-written native-timer
  // wrapper"). It pays what every timeout pays: a promise that can be settled from outside,
  // a timer scheduled and cleared, and Node's clock read (setTimeout reads its loop time).
  const timed = (): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(TIMED_OUT), 2000);
      fn().then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  // The floor wrapper plus one read of the platform's monotonic clock: what a policy that must
  // know the time (a timeout's deadline, a rate limiter's refill) cannot avoid.
  const clocked = (): Promise<number> => {
    performance.now();
    return wrap(fn);
  };
  const nested = (): Promise<number> => wrap(() => wrap(() => wrap(() => wrap(fn))));
  return [
    { id: `floor.wrap@${w.id}`, group: 'reference', label: 'floor wrapper: `async (f) => { try { return await f(); } catch (e) { throw e; } }`', op: () => wrap(fn) },
    { id: `floor.nested4@${w.id}`, group: 'reference', label: 'four nested floor wrappers', op: nested },
    { id: `ref.clock@${w.id}`, group: 'reference', label: 'floor wrapper + one `performance.now()`', op: clocked },
    { id: `ref.nativeTimeout@${w.id}`, group: 'reference', label: 'hand-written native-timer timeout: `new Promise` + `setTimeout` cleared by the outcome', op: timed },
    { id: `ref.then@${w.id}`, group: 'reference', label: 'floor: `new Promise((res, rej) => fn().then(res, rej))`', op: viaThen },
    { id: `ref.async@${w.id}`, group: 'reference', label: 'floor: `(async () => await fn())()`', op: viaAsync },
    { id: `ref.side@${w.id}`, group: 'reference', label: 'floor, observe only: `p = fn(); p.then(noop, noop); return p`', op: sideChain },
  ];
}
