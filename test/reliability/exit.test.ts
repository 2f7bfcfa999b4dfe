/**
 * Child-process tests against the built library (dist/; `npm test` builds before the unit
 * tests; BREAKWATER_DIST may point at another build):
 *
 * - a process that used every policy (a 60 s timeout that never fired, a retry budget,
 *   metrics, a chaos controller armed with maxDuration…) exits by itself right after its
 *   work;
 * - a pending call's own timers (a retry sleep, a queue wait) keep the process alive until
 *   the call settles, and no longer;
 * - 100 000 calls through every policy do not grow the heap (after a global GC, with
 *   `node --expose-gc`) nor the internal maps;
 * - a full GC between two bursts of calls deoptimizes none of the library's code
 *   (`core/shapes.ts`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const fixtures = resolve(root, 'test/fixtures/exit');
const dist = process.env['BREAKWATER_DIST'] !== undefined ? resolve(process.env['BREAKWATER_DIST']) : resolve(root, 'dist');

function requireDist(): void {
  for (const f of ['index.js', 'chaos/index.js', 'metrics/index.js']) {
    if (!existsSync(resolve(dist, f))) {
      throw new Error(`${resolve(dist, f)} is missing: run \`npm run build\` first (\`npm test\` builds before the unit tests)`);
    }
  }
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** ms from the first `DONE` line on stdout to the process exit (NaN when none). */
  readonly exitAfterDone: number;
  /** Killed because it outlived `limit`. */
  readonly killed: boolean;
}

/** Runs `node [flags] file` (or `node -e code`) and measures how long it lives after printing DONE. */
function runNode(args: readonly string[], limit = 15_000, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: fixtures,
      env: { ...process.env, BREAKWATER_DIST: dist, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let doneAt = Number.NaN;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (doneAt !== doneAt && stdout.includes('DONE')) doneAt = performance.now();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limit);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, exitAfterDone: performance.now() - doneAt, killed });
    });
  });
}

describe('a process that used the library exits by itself', () => {
  it('the harness detects a process kept alive (control)', async () => {
    const r = await runNode(['-e', "console.log('DONE'); setInterval(() => {}, 1000);"], 1_500);
    expect(r.killed).toBe(true);
  });

  it('every policy, metrics, a retry budget and an armed chaos controller: exits within 2 s of its work', async () => {
    requireDist();
    const r = await runNode(['every-policy.js']);
    expect(r.stderr).toBe('');
    expect(r.killed, 'the process was kept alive after its work').toBe(false);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DONE \{"ok":3000,"failed":0,"armed":true\}/);
    expect(r.exitAfterDone).toBeLessThan(2_000);
  }, 20_000);

  it('a pending call keeps the process alive until it settles (retry sleep, queue wait), then it exits', async () => {
    requireDist();
    const r = await runNode(['pending-call.js']);
    expect(r.stderr).toBe('');
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('QUEUE BulkheadRejectedError');
    expect(r.stdout).toContain('SETTLED second attempt');
  }, 20_000);
});

describe('100 000 calls in a child process with --expose-gc', () => {
  it('do not grow the heap or the internal maps', async () => {
    requireDist();
    const r = await runNode(['--expose-gc', 'heap.js'], 60_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(m['calls']).toBe(120_000);
    // After a warm-up that fills every cache to its cap, 100 000 more calls may not keep
    // more than 1 MB (≈ 10 bytes per call: any per-call leak is far larger).
    expect(m['growth']).toBeLessThan(1_000_000);
    expect(m['partitions']).toBe(0);
    expect(m['active']).toBe(0);
    expect(m['probes']).toBe(0);
    expect(m['lkg']).toBeLessThanOrEqual(50);
    expect(m['series']).toBeLessThanOrEqual(21 * 2);
  }, 90_000);
});

describe('a full GC with no call in flight', () => {
  it("deoptimizes none of the library's optimized code (the control's is, so the trace would show it)", async () => {
    requireDist();
    const r = await runNode(['--expose-gc', '--trace-deopt', 'full-gc.js'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('DONE');
    const atGc = r.stdout.slice(r.stdout.indexOf('FULL GC'), r.stdout.indexOf('AFTER'));
    // "[marking dependent code … (… <SharedFunctionInfo name>) … for deoptimization, reason: weak objects]"
    const marked = [...atGc.matchAll(/<SharedFunctionInfo ([^>]*)>[^\n]*reason: weak objects/g)].map((m) => m[1] ?? '');
    expect(marked).toContain('controlOp');
    expect(marked.filter((name) => !['controlOp', 'ControlShape', 'controlBurst'].includes(name))).toEqual([]);
  }, 90_000);
});
