/**
 * The targets (issue 20's yardsticks, and what issue 11 set that still holds), each
 * computed from the measured results and printed with PASS / MISS and both numbers of its
 * ratio. A target whose cases did not run prints `n/a`.
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
  /** The two numbers of a ratio, as printed beside it (e.g. `169 ns ÷ 159 ns`). */
  operands?(r: Results): string | undefined;
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

const msText = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(1)} ms`);
/** What the per-call numbers of this run are: nanoseconds (timed) or instructions (`--instructions`). */
let perCallUnit: 'ns' | 'instr' = 'ns';

/** Sets the unit the per-call numbers of the targets are printed in. */
export function setPerCallUnit(unit: 'ns' | 'instr'): void {
  perCallUnit = unit;
}

/** A per-call number in this run's unit (`–` when missing). */
export function perCallText(v: number | undefined): string {
  if (v === undefined) return '–';
  if (perCallUnit === 'instr') return `${Math.round(v).toLocaleString('en')} instr`;
  return `${v.toFixed(v < 100 ? 1 : 0)} ns`;
}

const nsText = perCallText;
const bytesText = (v: number | undefined): string => (v === undefined ? '–' : mb(v));

/** A per-call ratio `a ÷ b` on the issue's function (`async () => 1`), both numbers printed. */
function callRatio(label: string, goal: string, a: string, b: string, pass: (v: number) => boolean): Target {
  return {
    label,
    goal,
    value: (r) => ratio(ns(r, `${a}@immediate`), ns(r, `${b}@immediate`)),
    operands: (r) => `${nsText(ns(r, `${a}@immediate`))} ÷ ${nsText(ns(r, `${b}@immediate`))}`,
    format: times,
    pass,
  };
}

/** The targets, in issue 20's order, then those of issue 11 that still hold. */
export function targets(contentionSizes: readonly [number, number], memory: MemorySizes): Target[] {
  const calls = memory.calls.toLocaleString('en');
  const pending = memory.pending.toLocaleString('en');
  const [small, large] = contentionSizes;
  if (large !== 4 * small) throw new Error('the contention sizes must be n and 4n (the scaling target is for 4× the tasks)');
  const list: Target[] = [];
  for (const policy of ['retry', 'circuitBreaker', 'bulkhead', 'fallback']) {
    list.push(callRatio(`breakwater ${policy} ÷ cockatiel ${policy}`, '≤ 1.0×', `bw.${policy}`, `cockatiel.${policy}`, (v) => v <= 1));
  }
  // Every single policy, the newer ones included (issue 20). A hedged call arms a timer for
  // its hedge as a timeout does, so it is shown against both goals.
  for (const policy of ['retry', 'circuitBreaker', 'bulkhead', 'fallback', 'rateLimiter', 'adaptiveConcurrency', 'hedging']) {
    list.push(callRatio(`breakwater ${policy} ÷ floor wrapper`, '≤ 1.5×', `bw.${policy}`, 'floor.wrap', (v) => v <= 1.5));
  }
  list.push(callRatio('(reference) breakwater hedging ÷ floor wrapper, against the timeout goal', '≤ 2×', 'bw.hedging', 'floor.wrap', (v) => v <= 2));
  list.push(
    callRatio('breakwater timeout ÷ floor wrapper', '≤ 2×', 'bw.timeout', 'floor.wrap', (v) => v <= 2),
    callRatio('(reference) hand-written native-timer timeout ÷ floor wrapper (the timeout goal, applied to the least a timeout can do)', '≤ 2×', 'ref.nativeTimeout', 'floor.wrap', (v) => v <= 2),
    callRatio('(reference) breakwater timeout ÷ hand-written native-timer timeout', '≤ 1.25×', 'bw.timeout', 'ref.nativeTimeout', (v) => v <= 1.25),
    callRatio('(reference) one `performance.now()` over the floor wrapper (floor + clock ÷ floor)', 'for reading', 'ref.clock', 'floor.wrap', () => true),
    callRatio('breakwater pipeline(retry, circuitBreaker, timeout, bulkhead) ÷ four nested floor wrappers', '≤ 1.0×', 'bw.pipeline', 'floor.nested4', (v) => v <= 1),
    {
      label: `${pending} pending breakwater timeout calls ÷ ${pending} pending calls with a native-timer timeout (heap)`,
      goal: '≤ 1.0×',
      value: (r) => ratio(bytes(r, 'bw.timeoutCalls'), bytes(r, 'native.timeoutCalls')),
      operands: (r) => `${bytesText(bytes(r, 'bw.timeoutCalls'))} ÷ ${bytesText(bytes(r, 'native.timeoutCalls'))}`,
      format: times,
      pass: (v) => v <= 1,
    },
    {
      label: 'cockatiel four-policy `wrap` ÷ breakwater pipeline',
      goal: '≥ 20×',
      value: (r) => ratio(ns(r, 'cockatiel.four@immediate'), ns(r, 'bw.pipeline@immediate')),
      operands: (r) => `${nsText(ns(r, 'cockatiel.four@immediate'))} ÷ ${nsText(ns(r, 'bw.pipeline@immediate'))}`,
      format: times,
      pass: (v) => v >= 20,
    },
    {
      label: 'cockatiel open-circuit rejection ÷ breakwater open-circuit rejection',
      goal: '≥ 5×',
      value: (r) => ratio(ns(r, 'cockatiel.open'), ns(r, 'bw.open')),
      operands: (r) => `${nsText(ns(r, 'cockatiel.open'))} ÷ ${nsText(ns(r, 'bw.open'))}`,
      format: times,
      pass: (v) => v >= 5,
    },
  );
  for (const n of contentionSizes) {
    list.push({
      label: `breakwater bulkhead contention ÷ ring-buffer semaphore (${n.toLocaleString('en')} tasks)`,
      goal: '≤ 1.3×',
      value: (r) => ratio(ms(r, `bw.bulkhead@${n}`), ms(r, `semaphore@${n}`)),
      operands: (r) => `${msText(ms(r, `bw.bulkhead@${n}`))} ÷ ${msText(ms(r, `semaphore@${n}`))}`,
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
