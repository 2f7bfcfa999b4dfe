/**
 * The runtime suite: the checks of `checks.ts` (a pipeline with every policy, chaos with its
 * guards, metrics to Prometheus text, an experiment on the virtual clock, the testing kit,
 * decorators, real timers) run against the BUILT package (`dist/`; `npm test` builds first,
 * BREAKWATER_DIST may point at another build) in Node, Bun, Deno and headless Chromium. Each
 * runtime is one test that passes when the runtime reported every check passed and exited
 * by itself; a last test compares the deterministic facts every runtime observed with
 * Node's. A second block plants a `node:events` import in a copy of the build and shows the
 * browser run refuses it. Alone: `npm run test:runtimes` (builds first).
 *
 * Each child is time-bounded and killed with its process group on timeout and after the
 * run; the browser's loopback server closes with it. Bun and Deno come from their npm
 * packages (node_modules/.bin), Chromium from the system (CHROMIUM overrides the path).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, createConsumer, type Consumer } from '../support/runtime-consumer';
import { runInChromium } from '../support/runtime-browser';
import { killAllRuntimeProcesses, runProcess } from '../support/runtime-process';
import { checks } from './checks';
import { REPORT_MARKER, type RuntimeName, type RuntimeReport } from './library';

const root = resolve(__dirname, '../..');
const dist = process.env['BREAKWATER_DIST'] !== undefined ? resolve(process.env['BREAKWATER_DIST']) : resolve(root, 'dist');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

/** The longest one runtime may take for the whole suite (they take about a second each). */
const LIMIT_MS = 30_000;
/** A runtime must exit by itself this soon after its report: no library timer keeps it alive. */
const EXIT_AFTER_REPORT_MS = 5_000;

let consumer: Consumer | undefined;
const reports = new Map<RuntimeName, RuntimeReport>();

beforeAll(async () => {
  consumer = await createConsumer(root, dist);
}, 60_000);

afterAll(() => {
  killAllRuntimeProcesses();
  consumer?.dispose();
});

function scratch(): Consumer {
  if (consumer === undefined) throw new Error('the scratch consumer was not created (see the error of beforeAll)');
  return consumer;
}

/** The whole environment of a child: no variable of ours leaks in (BREAKWATER_CHAOS stays unset). */
function childEnv(c: Consumer, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: c.home, NO_COLOR: '1', ...extra };
}

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n');
}

/**
 * Checks a runtime's report: the runtime it ran in, every check present and passed, no
 * unexpected callback error. Throws a message with the failures and the runtime's output.
 */
function verify(expected: RuntimeName, raw: string | undefined, output: string): RuntimeReport {
  if (raw === undefined) throw new Error(`${expected} sent no report. Its output:\n${tail(output)}`);
  const report = JSON.parse(raw) as RuntimeReport;
  const failed = report.results.filter((r) => !r.ok);
  const problems = [
    ...(report.runtime !== expected ? [`ran in ${report.runtime}, not ${expected}`] : []),
    ...failed.map((r) => `✗ ${r.name}\n    ${(r.error ?? '').split('\n').join('\n    ')}`),
    ...report.callbackErrors.map((e) => `unexpected callback error: ${e}`),
  ];
  const names = report.results.map((r) => r.name);
  const expectedNames = checks.map((c) => c.name);
  if (names.join('\n') !== expectedNames.join('\n')) {
    problems.push(`reported checks differ from the suite's: missing ${JSON.stringify(expectedNames.filter((n) => !names.includes(n)))}`);
  }
  if (problems.length > 0) {
    throw new Error(`${expected} (${report.version}): ${failed.length} of ${report.results.length} checks failed\n${problems.join('\n')}\n--- output ---\n${tail(output)}`);
  }
  reports.set(expected, report);
  return report;
}

/** Runs the entry in a terminal runtime and verifies its report, its exit code and that it exits by itself. */
async function runTerminal(runtime: Exclude<RuntimeName, 'browser'>, command: string, args: readonly string[], env: Record<string, string> = {}): Promise<void> {
  const c = scratch();
  const r = await runProcess(command, [...args, c.entry], {
    cwd: c.dir,
    env: childEnv(c, env),
    limitMs: LIMIT_MS,
    watchFor: REPORT_MARKER,
    exitAfterMarkerMs: EXIT_AFTER_REPORT_MS,
  });
  // The report itself is summarised by verify(); the rest of the output is context.
  const stdout = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith(REPORT_MARKER))
    .join('\n');
  const output = `${stdout}${r.stderr === '' ? '' : `\n--- stderr ---\n${r.stderr}`}`;
  if (r.timedOut) throw new Error(`${runtime} did not finish within ${LIMIT_MS} ms (killed). Its output:\n${tail(output)}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith(REPORT_MARKER));
  verify(runtime, line?.slice(REPORT_MARKER.length), output);
  expect(r.keptAlive, `${runtime} was still running ${EXIT_AFTER_REPORT_MS} ms after its report: something the checks left behind keeps it alive`).toBe(false);
  expect(r.code, `${runtime} exit code. Its output:\n${tail(output)}`).toBe(0);
}

describe('the built package on every runtime', () => {
  it('node (parity): every check passes', async () => {
    await runTerminal('node', process.execPath, []);
  }, LIMIT_MS + 5_000);

  it('bun: every check passes', async () => {
    // --no-install: never fetch a package; everything resolves from the consumer's node_modules.
    await runTerminal('bun', bin('bun'), ['--no-install']);
  }, LIMIT_MS + 5_000);

  it('deno: every check passes', async () => {
    const c = scratch();
    // Read access to the consumer only; env access to the chaos switch only (chaos.arm()
    // reads it); deno.json: packages from node_modules, no lockfile.
    await runTerminal('deno', bin('deno'), ['run', `--config=${join(c.dir, 'deno.json')}`, `--allow-read=${c.dir}`, '--allow-env=BREAKWATER_CHAOS'], {
      DENO_DIR: join(c.dir, '.deno'),
      DENO_NO_UPDATE_CHECK: '1',
    });
  }, LIMIT_MS + 5_000);

  it('headless chromium: every check passes', async () => {
    const c = scratch();
    // Bundled here, not before all: an entry point a browser cannot load fails this test only.
    const www = await bundleForBrowser(root, c);
    const profile = join(c.dir, 'chromium-profile');
    mkdirSync(profile, { recursive: true });
    const chromium = process.env['CHROMIUM'] ?? 'chromium';
    const run = await runInChromium({ chromium, www, profile, env: childEnv(c), limitMs: LIMIT_MS });
    // Chromium's own complaints about a missing D-Bus in a container are noise.
    const chromiumOutput = run.chromiumOutput
      .split('\n')
      .filter((l) => !l.includes('dbus/'))
      .join('\n');
    const output = [...run.pageErrors.map((e) => `page: ${e}`), '--- chromium ---', chromiumOutput].join('\n');
    if (run.timedOut) throw new Error(`the page did not answer within ${LIMIT_MS} ms:\n${tail(output)}`);
    if (run.report === undefined && run.chromiumExit !== undefined) throw new Error(`chromium exited (${run.chromiumExit}) before the page answered:\n${tail(output)}`);
    verify('browser', run.report, output);
    expect(run.pageErrors, 'errors outside the checks (uncaught, unhandled rejections)').toEqual([]);
  }, LIMIT_MS + 15_000);

  it('every runtime observed the same deterministic facts as node', () => {
    const missing = (['node', 'bun', 'deno', 'browser'] as const).filter((r) => !reports.has(r));
    expect(missing, 'runtimes without a passing report (see their own test)').toEqual([]);
    const reference = reports.get('node')?.facts ?? {};
    expect(Object.keys(reference).length, 'facts reported by node').toBeGreaterThan(5);
    for (const [runtime, report] of reports) expect(report.facts, `facts of ${runtime}`).toStrictEqual(reference);
  });
});

describe('the runtime suite catches a Node-only import', () => {
  it('an entry point of a build that imports node:events cannot be bundled for the browser', async () => {
    const planted = mkdtempSync(join(tmpdir(), 'breakwater-planted-'));
    let c: Consumer | undefined;
    try {
      // A copy of the build whose chaos entry point loads a Node built-in, as a careless
      // `import { EventEmitter } from 'node:events'` in src/chaos/ would make it.
      cpSync(dist, planted, { recursive: true });
      const chaosEntry = join(planted, 'chaos', 'index.js');
      writeFileSync(chaosEntry, `import { EventEmitter } from 'node:events';\nvoid EventEmitter;\n${readFileSync(chaosEntry, 'utf8')}`);
      c = await createConsumer(root, planted);
      await expect(bundleForBrowser(root, c)).rejects.toThrow(/node:events/);
    } finally {
      c?.dispose();
      rmSync(planted, { recursive: true, force: true });
    }
  }, 30_000);
});
