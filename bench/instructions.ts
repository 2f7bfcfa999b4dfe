/**
 * Instructions per call, counted by valgrind's callgrind: the measure that does not move
 * when the machine is busy. Timed samples on a shared two-core machine move by ±30 % from
 * run to run (another process on the other core shares the caches and the memory bus), so a
 * ratio near its goal flips verdicts between runs; the same call counted by callgrind gives
 * the same number to within 0.1 % every time.
 *
 * What it counts: every instruction the process executes between two markers, JIT-compiled
 * code, the garbage collector and the runtime included (node runs with `--single-threaded`,
 * so no helper thread does the work off the books). What it does not count: time spent in
 * the kernel (a clock read that leaves the vDSO, a syscall) and the cost of cache misses, so
 * a policy that allocates more or reads the clock more is a little cheaper here than in
 * time. Read both tables: time for what a caller waits, instructions for a repeatable
 * comparison.
 *
 * How: the bundle runs once per case under
 * `valgrind --tool=callgrind --dump-before=uv_getrusage`; the case warms alone (unlike the
 * timed run, where every case warms first: a timer another case left behind would fire
 * inside the counted calls), then
 * `process.cpuUsage()` (libuv's `uv_getrusage`) marks two runs of `n` calls, each after a
 * young-generation collection: callgrind writes its counters at each mark, and the lower of the two
 * runs, divided by `n`, is the count per call. V8 runs with fixed random and hash seeds, so
 * hash tables and random draws are the same in every run, and with `--predictable`, which
 * turns off the heap heuristics that go by wall time (the memory reducer): without it, the
 * collections, and so the count, followed the machine's load (one case moved 2,454 → 2,698
 * between two runs of one bundle on a busy machine; with it, the same to the instruction).
 * What stays time-dependent is the code's own: a case that reads the clock does what the
 * clock says (a timeout makes a timer bucket for each new millisecond; under valgrind a
 * millisecond holds tens of calls, not thousands, so its count rises when the machine is
 * busy).
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallCase, Op } from './harness';

/** Calls between the yields to the event loop, as in the timed loops. */
const CHUNK = 512;
/**
 * Calls counted per case: 4,096, or 512 for a case so slow under valgrind (more than 2 ms of
 * CPU time a call) that 4,096 would take minutes. One size for (nearly) every case, whatever the
 * machine's load: counts of different sizes do not compare (the fixed costs of a run, a
 * collection or a late compilation, are shared by fewer calls), and a size chosen by speed
 * put cases of one run into different sizes on a busy machine.
 */
const SIZES: readonly (readonly [perCallMs: number, calls: number])[] = [
  [2, 4_096],
  [Number.POSITIVE_INFINITY, 512],
];
const PROBE_CALLS = 512;
/** Calls before the probe (see runInstructionCase). */
const PROBE_WARMUP = 2_048;
/**
 * The least warm-up before the counted calls, whatever the size: a busy machine slows the
 * probe down into the smallest size, and 3 × 512 calls left a four-policy pipeline with
 * functions still compiling inside the counted calls (+30 % instructions).
 */
const MIN_WARMUP = 16_384;

type Loop = (op: Op, n: number) => Promise<void>;

/** A loop compiled for one case, so its `await op()` site sees one function only. */
function compileLoop(rejects: boolean): Loop {
  const call = rejects ? 'try { await op(); } catch { /* expected */ }' : 'await op();';
  const factory = new Function(`
  const tick = (resolve) => setImmediate(resolve);
  return async function loop(op, n) {
    for (let done = 0; done < n; ) {
      const m = Math.min(${CHUNK}, n - done);
      for (let i = 0; i < m; i++) { ${call} }
      done += m;
      await new Promise(tick);
    }
  };`) as () => Loop;
  return factory();
}

/** The mark callgrind dumps its counters at (`--dump-before=uv_getrusage`). */
function mark(): void {
  process.cpuUsage();
}

/**
 * The child's side: stops what the other cases keep running (`stopOthers`), warms case `id`,
 * then runs it between two marks and prints `n=<calls>` on stdout.
 */
export async function runInstructionCase(cases: readonly CallCase[], id: string, stopOthers: () => void): Promise<void> {
  const target = cases.find((c) => c.id === id);
  if (target === undefined) throw new Error(`no per-call case ${id}; expected one of ${cases.map((c) => c.id).join(', ')}`);
  // Only this case runs: under valgrind a second of wall time is a few hundred thousand
  // calls, so a timer that another case left (a peer's statistics interval, a pending
  // timeout) would fire inside the counted calls and be billed to them.
  stopOthers();
  const loop = compileLoop(target.rejects === true);
  // The size is chosen from warmed calls: the first calls run in the interpreter, several
  // times slower, and on a busy machine that pushed cheap cases into a smaller size whose
  // shorter warm-up left compilations inside the counted calls (counts 5-20x too high).
  // Timed in CPU time (process.cpuUsage(), which is also the mark: dumps 1 and 2), not wall
  // time: with other processes on the cores, wall time pushed cheap cases past the limit.
  await loop(target.op, PROBE_WARMUP);
  const cpu0 = process.cpuUsage();
  await loop(target.op, PROBE_CALLS);
  const cpu = process.cpuUsage(cpu0);
  const perCall = (cpu.user + cpu.system) / 1000 / PROBE_CALLS;
  // BW_INSTR_CALLS pins the size, so that counts taken at different loads compare.
  const pinned = Number(process.env.BW_INSTR_CALLS);
  const n = pinned > 0 ? pinned : (SIZES.find(([limit]) => perCall < limit) as readonly [number, number])[1];
  // Long enough for every function on the path to be optimized (node --single-threaded
  // compiles on this thread: a compilation inside the counted calls adds millions).
  await loop(target.op, Math.max(3 * n, MIN_WARMUP));
  process.stdout.write(`n=${n}\n`);
  // Two counted runs of n calls, each starting from an empty young generation (so the
  // collections inside a run are the ones its own allocations cause, the same every time): a
  // one-off (a late compilation, an old-generation GC) lands in at most one of them, and the
  // lower count is the case's. Dumps: 1 start → probe, 2 probe, 3 warm-up and collection,
  // 4 run, 5 the collection, 6 run.
  collect();
  mark();
  await loop(target.op, n);
  mark();
  collect();
  mark();
  await loop(target.op, n);
  mark();
}

/**
 * A young-generation collection (`--expose-gc`). Not a full one: every full collection
 * deoptimizes the optimized code that allocates class instances inside async functions
 * (V8's "weak objects" deoptimization; the per-call context is such an instance), and the
 * counted calls would then measure the climb back to optimized code.
 */
function collect(): void {
  (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc?.({ type: 'minor' });
}

/** The `totals:` line of one callgrind dump file. */
function totalsOf(file: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('totals:'));
  if (line === undefined) throw new Error(`${file} has no totals line`);
  return Number(line.slice('totals:'.length).trim().split(/\s+/)[0]);
}

/** Runs one case under callgrind; resolves with the instructions per call. */
function countOne(bundle: string, id: string): Promise<{ perCall: number; calls: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-instr-'));
  const out = join(dir, 'cg.out');
  const args = ['--tool=callgrind', '--dump-before=uv_getrusage', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', '--predictable', '--random-seed=1', '--hash-seed=1', '--expose-gc', bundle, `--instr-case=${id}`];
  return new Promise<{ perCall: number; calls: number }>((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => {
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`could not start valgrind (${error.message}); install it (Debian: apt-get install valgrind)`));
    });
    child.on('close', (code) => {
      try {
        const n = Number(/^n=(\d+)$/m.exec(stdout)?.[1]);
        // Dumps 4 and 6 are the two counted runs (see runInstructionCase).
        const parts = [join(dir, 'cg.out.4'), join(dir, 'cg.out.6')];
        if (code !== 0 || !Number.isFinite(n) || !parts.every((p) => existsSync(p)) || existsSync(join(dir, 'cg.out.7'))) {
          throw new Error(`case ${id}: valgrind exited ${code}, n=${n}, dumps unexpected\n${stderr.split('\n').slice(-15).join('\n')}`);
        }
        resolve({ perCall: Math.min(...parts.map(totalsOf)) / n, calls: n });
      } catch (error) {
        reject(error as Error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Counts every case in `ids` (as many at once as there are CPUs); instructions per call by id. */
export async function countInstructions(bundle: string, ids: readonly string[], log: (line: string) => void): Promise<Map<string, number>> {
  const results = new Map<string, number>();
  const queue = [...ids];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const { perCall, calls } = await countOne(bundle, id);
      results.set(id, perCall);
      log(`  ${id}: ${Math.round(perCall).toLocaleString('en')} instructions per call (${calls.toLocaleString('en')} calls counted)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cpus().length, ids.length)) }, worker));
  return results;
}
