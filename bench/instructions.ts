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
 * `valgrind --tool=callgrind --dump-before=uv_getrusage`; the case warms (every case runs a
 * little first, as in the timed run, so shared library code has seen every shape), then
 * `process.cpuUsage()` (libuv's `uv_getrusage`) marks the start and the end of `n` calls:
 * callgrind writes its counters at each mark, and the part between the marks, divided by
 * `n`, is the count per call.
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
 * Calls counted per case: one of a few fixed sizes, chosen by how slow a call is under
 * valgrind (most cases are far from the thresholds, so a case always gets the same size and
 * its count stays comparable from run to run).
 */
const SIZES: readonly (readonly [perCallMs: number, calls: number])[] = [
  [0.1, 32_768],
  [2, 4_096],
  [Number.POSITIVE_INFINITY, 512],
];
const PROBE_CALLS = 512;

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
 * The child's side: warms every case, then runs case `id` between two marks and prints
 * `n=<calls>` on stdout.
 */
export async function runInstructionCase(cases: readonly CallCase[], id: string): Promise<void> {
  const target = cases.find((c) => c.id === id);
  if (target === undefined) throw new Error(`no per-call case ${id}; expected one of ${cases.map((c) => c.id).join(', ')}`);
  for (const c of cases) await compileLoop(c.rejects === true)(c.op, 256);
  const loop = compileLoop(target.rejects === true);
  await loop(target.op, 10_000);
  const t0 = performance.now();
  await loop(target.op, PROBE_CALLS);
  const perCall = (performance.now() - t0) / PROBE_CALLS;
  const n = (SIZES.find(([limit]) => perCall < limit) as readonly [number, number])[1];
  process.stdout.write(`n=${n}\n`);
  mark();
  await loop(target.op, n);
  mark();
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
function countOne(bundle: string, id: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-instr-'));
  const out = join(dir, 'cg.out');
  const args = ['--tool=callgrind', '--dump-before=uv_getrusage', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', '--expose-gc', bundle, `--instr-case=${id}`];
  return new Promise<number>((resolve, reject) => {
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
        // Dump 1: start → first mark; dump 2: first mark → second mark (the measured calls).
        const part = join(dir, 'cg.out.2');
        if (code !== 0 || !Number.isFinite(n) || !existsSync(part) || existsSync(join(dir, 'cg.out.3'))) {
          throw new Error(`case ${id}: valgrind exited ${code}, n=${n}, dumps unexpected\n${stderr.split('\n').slice(-15).join('\n')}`);
        }
        resolve(totalsOf(part) / n);
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
      const count = await countOne(bundle, id);
      results.set(id, count);
      log(`  ${id}: ${Math.round(count).toLocaleString('en')} instructions per call`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cpus().length, ids.length)) }, worker));
  return results;
}
