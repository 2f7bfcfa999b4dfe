/**
 * The targets of issue 11, each computed from the measured results and printed with
 * PASS / MISS. A target whose cases did not run prints `n/a`.
 *
 * @packageDocumentation
 */
import type { CallResult, MemoryResult, WorkloadResult } from './harness';
import type { MemorySizes } from './cases/memory';

/** Every result of a run, by case id. */
export interface Results {
  readonly calls: ReadonlyMap<string, CallResult>;
  readonly workloads: ReadonlyMap<string, WorkloadResult>;
  readonly memory: ReadonlyMap<string, MemoryResult>;
}

/** One target. */
export interface Target {
  /** What is compared, as printed. */
  readonly label: string;
  /** The target, as printed (from the issue). */
  readonly goal: string;
  /** The measured value, or undefined when a case is missing. */
  value(r: Results): number | undefined;
  /** Formats the measured value. */
  format(v: number): string;
  /** Whether the value meets the goal. */
  pass(v: number): boolean;
}

/** A target's outcome. */
export interface TargetOutcome {
  readonly target: Target;
  readonly value: number | undefined;
  readonly verdict: 'PASS' | 'MISS' | 'n/a';
}

function ns(r: Results, id: string): number | undefined {
  return r.calls.get(id)?.nsPerOp;
}

function ms(r: Results, id: string): number | undefined {
  return r.workloads.get(id)?.ms;
}

function bytes(r: Results, id: string): number | undefined {
  return r.memory.get(id)?.bytes;
}

/** a / b, or undefined when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

const times = (v: number): string => `${v.toFixed(2)}×`;
const mb = (v: number): string => `${(v / 1024 / 1024).toFixed(2)} MB`;

/** `case / bare` on the baseline (`async () => 1`). */
function vsBare(id: string): (r: Results) => number | undefined {
  return (r) => ratio(ns(r, `${id}@immediate`), ns(r, 'bare@immediate'));
}

/** The targets, in its order. */
export function targets(contentionSizes: readonly [number, number], memory: MemorySizes): Target[] {
  const calls = memory.calls.toLocaleString('en');
  const pending = memory.pending.toLocaleString('en');
  const [small, large] = contentionSizes;
  if (large !== 4 * small) throw new Error('the contention sizes must be n and 4n (the scaling target is for 4× the tasks)');
  const alone = (policy: string, goal: number): Target => ({
    label: `breakwater ${policy} alone ÷ bare await`,
    goal: `≤ ${goal}×`,
    value: vsBare(`bw.${policy}`),
    format: times,
    pass: (v) => v <= goal,
  });
  const list: Target[] = [
    alone('retry', 1.5),
    alone('circuitBreaker', 1.5),
    alone('bulkhead', 1.5),
    alone('fallback', 1.5),
    alone('timeout', 2.5),
    {
      label: 'breakwater pipeline(retry, circuitBreaker, timeout, bulkhead) ÷ bare await',
      goal: '≤ 3×',
      value: vsBare('bw.pipeline'),
      format: times,
      pass: (v) => v <= 3,
    },
    {
      label: 'cockatiel four-policy `wrap` ÷ breakwater pipeline',
      goal: '≥ 20×',
      value: (r) => ratio(ns(r, 'cockatiel.four@immediate'), ns(r, 'bw.pipeline@immediate')),
      format: times,
      pass: (v) => v >= 20,
    },
    {
      label: 'opossum breaker with timeout ÷ breakwater pipeline',
      goal: '> 1× (pipeline faster)',
      value: (r) => ratio(ns(r, 'opossum.timeout@immediate'), ns(r, 'bw.pipeline@immediate')),
      format: times,
      pass: (v) => v > 1,
    },
    {
      label: 'cockatiel open-circuit rejection ÷ breakwater open-circuit rejection',
      goal: '≥ 5×',
      value: (r) => ratio(ns(r, 'cockatiel.open'), ns(r, 'bw.open')),
      format: times,
      pass: (v) => v >= 5,
    },
  ];
  for (const n of contentionSizes) {
    list.push({
      label: `breakwater bulkhead contention ÷ ring-buffer semaphore (${n.toLocaleString('en')} tasks)`,
      goal: '≤ 1.3×',
      value: (r) => ratio(ms(r, `bw.bulkhead@${n}`), ms(r, `semaphore@${n}`)),
      format: times,
      pass: (v) => v <= 1.3,
    });
  }
  list.push(
    {
      label: `breakwater bulkhead: time for ${large.toLocaleString('en')} tasks ÷ time for ${small.toLocaleString('en')}`,
      goal: '≤ 4.5× (4× the tasks)',
      value: (r) => ratio(ms(r, `bw.bulkhead@${large}`), ms(r, `bw.bulkhead@${small}`)),
      format: times,
      pass: (v) => v <= 4.5,
    },
    {
      label: `heap growth of ${calls} calls through a time-window breaker`,
      goal: '< 2 MB',
      value: (r) => bytes(r, 'bw.breakerCalls'),
      format: mb,
      pass: (v) => v < 2 * 1024 * 1024,
    },
    {
      label: `${pending} pending breakwater timeout calls ÷ ${pending} pending calls with a native-timer timeout`,
      goal: '< 1×',
      value: (r) => ratio(bytes(r, 'bw.timeoutCalls'), bytes(r, 'native.timeoutCalls')),
      format: times,
      pass: (v) => v < 1,
    },
    {
      label: `the timeout's own share (pending timeout calls − pending calls through an empty pipeline) ÷ ${pending} native \`setTimeout\`s`,
      goal: '< 1×',
      value: (r) => {
        const timed = bytes(r, 'bw.timeoutCalls');
        const plain = bytes(r, 'bw.emptyCalls');
        return timed === undefined || plain === undefined ? undefined : ratio(timed - plain, bytes(r, 'native.timers'));
      },
      format: times,
      pass: (v) => v < 1,
    },
  );
  return list;
}

/** Evaluates every target. */
export function evaluate(list: readonly Target[], r: Results): TargetOutcome[] {
  return list.map((target) => {
    const value = target.value(r);
    const verdict = value === undefined || Number.isNaN(value) ? 'n/a' : target.pass(value) ? 'PASS' : 'MISS';
    return { target, value, verdict };
  });
}
