/**
 * The runtime suite's checks, written once and run in Node, Bun, Deno and headless Chromium
 * against the built package. `entry.mjs` imports the package through its `exports` map and
 * calls {@link main}; terminal runtimes print one report line, a browser page posts the report
 * to the harness that served it. No vitest here: assertions come from
 * `test/support/runtime-assert.ts`, and nothing but the language and web-standard globals is
 * used, so the checks themselves run wherever the library must.
 */
import { ok, show } from '../support/runtime-assert';
import { chaosChecks } from './checks-chaos';
import { metricsChecks } from './checks-metrics';
import { policyChecks } from './checks-policies';
import { testingKitChecks } from './checks-testing-kit';
import { REPORT_MARKER, type Check, type CheckResult, type Facts, type Library, type RuntimeName, type RuntimeReport } from './library';

/** Every entry point of the `exports` map loads here (no Node-only module in any of them) and exports something. */
function everyEntryPointLoads({ entryPoints }: Library) {
  const specifiers = Object.keys(entryPoints).sort();
  ok(specifiers.includes('breakwater') && specifiers.length > 1, `the entry points: ${specifiers.join(', ')}`);
  const counts: Record<string, number> = {};
  for (const s of specifiers) {
    counts[s] = Object.keys(entryPoints[s] ?? {}).length;
    ok(counts[s] > 0, `${s} exports nothing`);
  }
  return counts;
}

/** Every check, in the order they run. */
export const checks: readonly Check[] = [
  { name: 'every entry point of the exports map loads', run: everyEntryPointLoads },
  ...policyChecks,
  ...chaosChecks,
  ...metricsChecks,
  ...testingKitChecks,
];

/** The longest one check may take (real time) before it counts as hung. */
const CHECK_LIMIT_MS = 10_000;

/** What the checks need of the host beyond the language, typed structurally (no DOM or Node types). */
interface Host {
  readonly Bun?: { readonly version: string };
  readonly Deno?: { readonly version: { readonly deno: string } };
  readonly process?: { readonly versions?: { readonly node?: string } };
  readonly document?: { getElementById(id: string): { textContent: string | null; setAttribute(name: string, value: string): void } | null };
  readonly navigator?: { readonly userAgent: string };
  readonly fetch?: (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<unknown>;
  readonly console: { log(line: string): void };
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const host = globalThis as unknown as Host;

/** Which runtime this is, and its version. */
export function detectRuntime(): { runtime: RuntimeName; version: string } {
  if (host.Bun !== undefined) return { runtime: 'bun', version: host.Bun.version };
  if (host.Deno !== undefined) return { runtime: 'deno', version: host.Deno.version.deno };
  if (host.document !== undefined) return { runtime: 'browser', version: host.navigator?.userAgent ?? 'unknown' };
  return { runtime: 'node', version: host.process?.versions?.node ?? 'unknown' };
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const stack = (error.stack ?? '').split('\n').slice(1, 4).join('\n');
    return stack === '' ? show(error) : `${show(error)}\n${stack}`;
  }
  return `thrown non-error: ${show(error)}`;
}

/** Runs `check`, bounded by {@link CHECK_LIMIT_MS} of real time. */
async function runOne(check: Check, lib: Library): Promise<{ result: CheckResult; facts: Facts | undefined }> {
  const start = Date.now();
  let timer: unknown;
  const limit = new Promise<never>((_, reject) => {
    timer = host.setTimeout(() => reject(new Error(`did not finish within ${CHECK_LIMIT_MS} ms`)), CHECK_LIMIT_MS);
  });
  try {
    const facts = await Promise.race([Promise.resolve().then(() => check.run(lib)), limit]);
    return { result: { name: check.name, ok: true, ms: Date.now() - start }, facts: facts ?? undefined };
  } catch (error) {
    return { result: { name: check.name, ok: false, error: describeError(error), ms: Date.now() - start }, facts: undefined };
  } finally {
    host.clearTimeout(timer);
  }
}

/** Runs every check in order and builds the report. */
export async function runChecks(lib: Library): Promise<RuntimeReport> {
  const { runtime, version } = detectRuntime();
  const callbackErrors: string[] = [];
  let current: Check | undefined;
  // Errors the library reports from user callbacks are unexpected, unless the running check
  // makes them on purpose (it registers its own handler and asserts them).
  const unexpected = lib.core.onCallbackError((error, source) => {
    if (current?.expectsCallbackErrors !== true) callbackErrors.push(`${current?.name ?? 'between checks'}: ${source}: ${show(error)}`);
  });
  const results: CheckResult[] = [];
  const facts: Record<string, string | number | boolean | null> = {};
  try {
    for (const check of checks) {
      current = check;
      const outcome = await runOne(check, lib);
      current = undefined;
      results.push(outcome.result);
      for (const [k, v] of Object.entries(outcome.facts ?? {})) facts[`${check.name} › ${k}`] = v;
    }
  } finally {
    unexpected.dispose();
  }
  return { runtime, version, results, facts, callbackErrors };
}

/**
 * Runs the checks and delivers the report: printed after {@link REPORT_MARKER} in a terminal
 * runtime; in a page, written into `#report` and posted to `/report` on the page's origin.
 */
export async function main(lib: Library): Promise<void> {
  const report = await runChecks(lib);
  const json = JSON.stringify(report);
  const doc = host.document;
  if (doc !== undefined && host.fetch !== undefined) {
    const el = doc.getElementById('report');
    if (el !== null) {
      el.textContent = json;
      el.setAttribute('data-done', 'true');
    }
    await host.fetch('/report', { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    return;
  }
  host.console.log(`${REPORT_MARKER}${json}`);
}
