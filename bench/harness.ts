/**
 * The measuring machinery of the benchmark suite: calibrated timing loops, interleaved
 * rounds with a rotating order, medians, and heap measurement after a forced GC.
 *
 * Why it is built this way:
 * - Each case gets its own compiled timing loop (`new Function`), so the `await op()` call
 *   site of one case never sees another case's function: no case pays for the
 *   megamorphism of a shared loop, and the order of the cases does not matter.
 * - Rounds are interleaved (every case once per round, the order rotated each round) and
 *   the median of the rounds is reported, so slow drift of the machine (thermal, another
 *   process) spreads over every case instead of landing on one.
 * - Every case runs once before any is measured, so the library code shared by several
 *   cases (the pipeline core, the timer service) is warmed and its inline caches have
 *   seen every shape they will see.
 *
 * @packageDocumentation
 */

/** One operation to time: called `n` times in a row, each awaited before the next. */
export type Op = () => Promise<unknown>;

/** A case of the per-call benchmarks. */
export interface CallCase {
  /** Stable id, used to look results up (targets). */
  readonly id: string;
  /** Group heading in the table. */
  readonly group: string;
  /** What is measured, as printed. */
  readonly label: string;
  /** The operation. */
  readonly op: Op;
  /** The operation rejects: the loop catches each rejection. */
  readonly rejects?: boolean;
}

/** A case that runs one whole workload per sample (bulkhead contention). */
export interface WorkloadCase {
  readonly id: string;
  readonly group: string;
  readonly label: string;
  /** Runs the workload once; resolves when it is done. */
  run(): Promise<void>;
}

/** A memory case: returns the retained bytes it measured. */
export interface MemoryCase {
  readonly id: string;
  readonly label: string;
  /** How many calls, timers or pending calls it measures (for the per-item column). */
  readonly items: number;
  /** Measures once; resolves with the heap growth in bytes. */
  measure(): Promise<number>;
}

/** Settings of a run. */
export interface RunSettings {
  /** Interleaved rounds (the median of them is reported). */
  readonly rounds: number;
  /** Target duration of one timed sample of a per-call case, in ms. */
  readonly sampleMs: number;
  /**
   * Minimum wall time each per-call case runs before any round counts, in ms: long enough
   * for the optimizing compiler (a background thread, slow to get a CPU on a busy machine)
   * to finish.
   */
  readonly warmMs: number;
  /**
   * Untimed run of a case right before each of its samples, in ms (wall). The harness
   * collects garbage before every sample, and the first calls after a full GC are slow:
   * the young generation was shrunk and must grow back, fresh pages fault in, and V8
   * deoptimizes every optimized function that allocates class instances inside async code
   * ("weak objects"), which then takes tens of thousands of calls to be optimized again. The
   * sample must not start in that state.
   */
  readonly rewarmMs: number;
  /** Memory measurements per memory case (median). */
  readonly memoryRepeats: number;
  /** What the timings read. */
  readonly time: TimeSource;
}

type Loop = (op: Op, n: number) => Promise<number>;

/**
 * Calls per timed chunk. Between chunks the loop yields one macrotask (`setImmediate`),
 * untimed. A loop that never leaves the microtask queue is nothing like a server (which
 * returns to the event loop between requests) and punishes some code unfairly: Node
 * tracks "rejected before handled" promises until the event loop turns, and V8 keeps
 * every `WeakRef` target alive until the microtask checkpoint ends (Node's AbortSignal
 * uses them), so garbage piles up, GC slows, and a case's cost grows with the sample
 * size and leaks into the next case.
 */
const CHUNK = 512;

/**
 * What a sample's time is read from. `wall`: elapsed real time (`process.hrtime`), what a
 * caller waits. `cpu`: CPU time the process spent (`process.cpuUsage`, user + system, all
 * threads; scripts/bench.mjs then runs node with `--single-threaded-gc`, so GC work is
 * billed to the case that caused it); on a machine where other processes compete for the
 * CPU, it leaves out the time this process waited for one, and the ratios stay
 * meaningful where wall time is mostly noise.
 */
export type TimeSource = 'wall' | 'cpu';

/** Current reading of `source`, in ns (bigint). */
export function readTime(source: TimeSource): bigint {
  if (source === 'wall') return process.hrtime.bigint();
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
}

function loopSource(rejects: boolean, source: TimeSource): string {
  const call = rejects ? 'try { await op(); } catch { /* expected */ }' : 'await op();';
  const hr =
    source === 'wall' ? 'process.hrtime.bigint' : '() => { const u = process.cpuUsage(); return BigInt(u.user + u.system) * 1000n; }';
  return `
  const hr = ${hr};
  const tick = (resolve) => setImmediate(resolve);
  return async function loop(op, n) {
    let total = 0n;
    for (let done = 0; done < n; ) {
      const m = Math.min(${CHUNK}, n - done);
      const t0 = hr();
      for (let i = 0; i < m; i++) { ${call} }
      total += hr() - t0;
      done += m;
      await new Promise(tick);
    }
    return Number(total);
  };`;
}

/** A fresh timing loop with its own feedback (see the module comment). */
function compileLoop(rejects: boolean, source: TimeSource): Loop {
  const factory = new Function(loopSource(rejects, source)) as () => Loop;
  return factory();
}

/** `global.gc`, which the runner enables with `--expose-gc`. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the benchmarks with `node --expose-gc` (npm run bench does)');
  gc();
  gc();
}

/**
 * Lets the process settle between samples: a full GC, then two turns of the event loop
 * (so finalizers and cleanup tasks that the previous case left behind run now, not during
 * the next case's sample), then another full GC.
 */
export async function settle(): Promise<void> {
  collectGarbage();
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setTimeout(resolve, 1));
  collectGarbage();
}

/** Heap in use after a full collection, in bytes. */
export function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const hi = sorted[mid] as number;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] as number) + hi) / 2;
}

/** Result of a per-call case: the median and every round, in ns per call. */
export interface CallResult {
  readonly case: CallCase;
  readonly nsPerOp: number;
  readonly rounds: readonly number[];
  readonly iterations: number;
}

/** Result of a workload case, in ms per workload. */
export interface WorkloadResult {
  readonly case: WorkloadCase;
  readonly ms: number;
  readonly rounds: readonly number[];
}

/** Result of a memory case, in bytes. */
export interface MemoryResult {
  readonly case: MemoryCase;
  readonly bytes: number;
  readonly samples: readonly number[];
}

/** Times per-call cases: calibration, one warm pass over all, then interleaved rounds. */
export async function runCallCases(cases: readonly CallCase[], settings: RunSettings, log: (line: string) => void): Promise<CallResult[]> {
  const loops = cases.map((c) => compileLoop(c.rejects === true, settings.time));
  const iterations: number[] = [];
  // Calibrate: double n until one sample takes a quarter of the target, then scale.
  for (let k = 0; k < cases.length; k++) {
    const c = cases[k] as CallCase;
    const loop = loops[k] as Loop;
    let n = CHUNK;
    let ns = await loop(c.op, n);
    while (ns < (settings.sampleMs * 1e6) / 4 && n < 1 << 26) {
      n *= 2;
      ns = await loop(c.op, n);
    }
    iterations.push(Math.max(1, Math.round((n * settings.sampleMs * 1e6) / Math.max(ns, 1))));
  }
  // A warm pass over every case before any round counts.
  for (let k = 0; k < cases.length; k++) {
    const until = process.hrtime.bigint() + BigInt(settings.warmMs * 1e6);
    do await (loops[k] as Loop)((cases[k] as CallCase).op, iterations[k] as number);
    while (process.hrtime.bigint() < until);
  }
  const samples: number[][] = cases.map(() => []);
  for (let r = 0; r < settings.rounds; r++) {
    for (let j = 0; j < cases.length; j++) {
      const k = (j + r) % cases.length;
      const n = iterations[k] as number;
      await settle();
      const loop = loops[k] as Loop;
      const op = (cases[k] as CallCase).op;
      const until = process.hrtime.bigint() + BigInt(settings.rewarmMs * 1e6);
      do await loop(op, CHUNK);
      while (process.hrtime.bigint() < until);
      const ns = await loop(op, n);
      (samples[k] as number[]).push(ns / n);
      if (process.env['BENCH_TRACE'] === '1') log(`    ${(cases[k] as CallCase).id}: ${(ns / n).toFixed(0)} ns`);
    }
    log(`  round ${r + 1}/${settings.rounds} done`);
  }
  return cases.map((c, k) => ({
    case: c,
    nsPerOp: median(samples[k] as number[]),
    rounds: samples[k] as number[],
    iterations: iterations[k] as number,
  }));
}

/** Times workload cases: one warm run each, then interleaved rounds. */
export async function runWorkloadCases(cases: readonly WorkloadCase[], settings: RunSettings, log: (line: string) => void): Promise<WorkloadResult[]> {
  for (const c of cases) await c.run();
  const samples: number[][] = cases.map(() => []);
  for (let r = 0; r < settings.rounds; r++) {
    for (let j = 0; j < cases.length; j++) {
      const k = (j + r) % cases.length;
      const c = cases[k] as WorkloadCase;
      collectGarbage();
      const t0 = readTime(settings.time);
      await c.run();
      (samples[k] as number[]).push(Number(readTime(settings.time) - t0) / 1e6);
    }
    log(`  round ${r + 1}/${settings.rounds} done`);
  }
  return cases.map((c, k) => ({ case: c, ms: median(samples[k] as number[]), rounds: samples[k] as number[] }));
}

/** Measures memory cases one after the other (they must not overlap), median of repeats. */
export async function runMemoryCases(cases: readonly MemoryCase[], settings: RunSettings, log: (line: string) => void): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const c of cases) {
    const samples: number[] = [];
    for (let i = 0; i < settings.memoryRepeats; i++) samples.push(await c.measure());
    results.push({ case: c, bytes: median(samples), samples });
    log(`  ${c.id} done`);
  }
  return results;
}
