// Builds the benchmark suite with esbuild and runs it under `node --expose-gc`.
//
// Bundled, not run through tsx: tsx transpiles with keepNames, which wraps every function
// expression in a `__name()` call and adds ~250 ns to each per-call closure, which would
// swamp what the benchmarks measure. breakwater is bundled from src/, so no prior build is
// needed; peer libraries stay external (node_modules).
//
// Usage: node scripts/bench.mjs [--quick] [--only=calls,open,contention,memory]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import process from 'node:process';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, '.tmp', 'bench', 'run.mjs');

await build({
  entryPoints: [path.join(root, 'bench', 'run.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  keepNames: false,
  logLevel: 'warning',
});

const args = process.argv.slice(2);
// With --time=cpu, samples read the process's CPU time, which counts every thread: GC
// helper threads (concurrent marking and sweeping left over from the previous sample's
// collections) would be billed to whatever runs next. Single-threaded GC bills each case
// its own collections.
const nodeFlags = ['--expose-gc', ...(args.includes('--time=cpu') ? ['--single-threaded-gc'] : [])];
const child = spawnSync(process.execPath, [...nodeFlags, outfile, ...args], {
  cwd: root,
  stdio: 'inherit',
});
if (child.error !== undefined) throw child.error;
process.exitCode = child.status ?? 1;
