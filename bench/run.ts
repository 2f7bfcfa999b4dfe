/**
 * The benchmark suite (issue 11). Run it with `npm run bench` (or `npm run bench -- --quick`).
 * It must run bundled, under `node --expose-gc`: scripts/bench.mjs does both.
 *
 * Flags:
 * - `--quick`: a smoke run of a few seconds (fewer rounds, shorter samples, smaller
 *   contention workloads); the numbers are noisier.
 * - `--only=calls,open,contention,memory`: run some sections only.
 * - `--filter=<regexp>`: run the cases whose id matches (baselines always run).
 * - `--time=cpu`: time samples by the process's CPU time instead of wall time (for a
 *   machine where other processes compete for the CPU; see `TimeSource`).
 * - `--readme`: also write the report into bench/README.md (between its markers).
 * - `--instructions`: count instructions per call under valgrind's callgrind instead of
 *   timing (the per-call cases and the targets they feed; see bench/instructions.ts). The
 *   counts repeat to within 0.1 % whatever else the machine does. Needs `valgrind`.
 *
 * Progress goes to stderr; the Markdown report to stdout.
 *
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runCallCases, runMemoryCases, runWorkloadCases, type CallCase, type RunSettings, type TimeSource, type WorkloadCase } from './harness';
import { referenceCallCases, workloads } from './fns';
import { peerCallCases, peerDisposers } from './cases/peers';
import { peerRejectionCases } from './cases/rejection';
import { peerContentionCases } from './cases/contention';
import { peerMemoryCases, type MemorySizes } from './cases/memory';
import { bwCallCases, bwContentionCases, bwMemoryCases, bwRejectionCases } from './cases/breakwater';
import { hedgingCallCases, hedgingTargets } from './cases/hedging';
import { acCallCases, acTargets } from './cases/adaptive-concurrency';
import { rlCallCases, rlDecisionCases, rlDecisionTable, rlMemoryCases, rlRejectionCases, rlTargets } from './cases/rate-limiter';
import { callTable, contentionTable, load, machine, memoryTable, rejectionTable, settingsLine, targetTable } from './report';
import { setPerCallUnit, targets, type Results } from './targets';
import { countInstructions, runInstructionCase } from './instructions';
import type { CallResult, MemoryResult, WorkloadResult } from './harness';

const SECTIONS = ['calls', 'open', 'contention', 'memory', 'ratelimit'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  readonly quick: boolean;
  readonly readme: boolean;
  readonly time: TimeSource;
  readonly sections: Set<Section>;
  readonly filter: RegExp | undefined;
  readonly instructions: boolean;
  /** Set in the child that callgrind runs: the one case to count. */
  readonly instrCase: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let readme = false;
  let time: TimeSource = 'wall';
  let filter: RegExp | undefined;
  let instructions = false;
  let instrCase: string | undefined;
  let sections = new Set<Section>(SECTIONS);
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--readme') readme = true;
    else if (arg === '--instructions') instructions = true;
    else if (arg.startsWith('--instr-case=')) instrCase = arg.slice('--instr-case='.length);
    else if (arg === '--time=wall' || arg === '--time=cpu') time = arg === '--time=cpu' ? 'cpu' : 'wall';
    else if (arg.startsWith('--only=')) {
      const wanted = arg.slice('--only='.length).split(',');
      const bad = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (bad.length > 0) throw new Error(`unknown section(s) ${bad.join(', ')}; expected some of ${SECTIONS.join(', ')}`);
      sections = new Set(wanted as Section[]);
    } else if (arg.startsWith('--filter=')) filter = new RegExp(arg.slice('--filter='.length));
    else throw new Error(`unknown argument ${arg}; expected --quick, --readme, --instructions, --time=wall|cpu, --only=${SECTIONS.join(',')} or --filter=<regexp>`);
  }
  return { quick, readme, time, sections, filter, instructions, instrCase };
}

const t0 = process.hrtime.bigint();
function log(line: string): void {
  process.stderr.write(`[${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1).padStart(5)} s] ${line}\n`);
}

/** The per-call cases that instructions are counted for: success paths on `async () => 1`, rejections, decisions. */
async function countableCases(): Promise<CallCase[]> {
  const w = workloads[0] as (typeof workloads)[number];
  const [bareReject, ...peerRejections] = peerRejectionCases();
  return [
    { id: `bare@${w.id}`, group: 'baseline', label: `bare \`await fn()\``, op: w.fn },
    ...referenceCallCases(w),
    ...bwCallCases(w),
    ...rlCallCases(w),
    ...hedgingCallCases(w),
    ...acCallCases(w),
    ...peerCallCases(w),
    ...(bareReject === undefined ? [] : [bareReject]),
    ...(await bwRejectionCases()),
    ...rlRejectionCases(),
    ...peerRejections,
    ...rlDecisionCases(),
  ];
}

/** `--instructions`: counts each case under callgrind (one child per case) and prints the tables. */
async function mainInstructions(filter: RegExp | undefined): Promise<void> {
  // The yardsticks the targets divide by always run; the other references only unfiltered.
  const yardstick = /^(floor\.wrap|floor\.nested4|ref\.nativeTimeout|ref\.clock)@/;
  const cases = (await countableCases()).filter((c) => filter === undefined || yardstick.test(c.id) || filter.test(c.id));
  for (const dispose of peerDisposers) dispose();
  log(`breakwater benchmarks, instructions per call (callgrind): ${machine()}`);
  log(`counting ${cases.length} cases, one valgrind run each…`);
  const started = process.hrtime.bigint();
  const counts = await countInstructions(process.argv[1] as string, cases.map((c) => c.id), log);
  const calls = new Map<string, CallResult>();
  for (const c of cases) {
    const v = counts.get(c.id);
    if (v !== undefined) calls.set(c.id, { case: c, nsPerOp: v, rounds: [v], iterations: 0 });
  }
  const results: Results = { calls, workloads: new Map(), memory: new Map() };
  setPerCallUnit('instr');
  const floor = counts.get('floor.wrap@immediate');
  const rows = cases.map((c) => {
    const v = counts.get(c.id);
    const x = v === undefined || floor === undefined ? '–' : `${(v / floor).toFixed(2)}×`;
    return `| ${c.label} | ${v === undefined ? '–' : Math.round(v).toLocaleString('en')} | ${x} |`;
  });
  const all = [...targets([20_000, 80_000], { calls: 1_000_000, pending: 100_000 }), ...rlTargets(1_000_000), ...hedgingTargets(), ...acTargets()];
  // Only the targets whose numbers are per-call counts (the others need time, a workload or a heap).
  const counted = all.filter((t) => t.value(results) !== undefined);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const out = [
    `Machine: ${machine()}. Instructions per call counted by valgrind's callgrind (node --single-threaded; JIT code, GC and runtime included, kernel time and cache misses not); took ${seconds.toFixed(0)} s.`,
    '',
    '### Per call, instructions (fn = `async () => 1` unless the case says otherwise)',
    '',
    '| case | instructions per call | × floor wrapper |',
    '| :--- | ---: | ---: |',
    ...rows,
    '',
    '### Targets, in instructions',
    '',
    targetTable(counted, results),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { quick, readme, time, sections, filter, instructions, instrCase } = parseArgs(process.argv.slice(2));
  if (instrCase !== undefined) {
    // opossum's breakers tick a statistics interval: stop them unless one of them is counted.
    await runInstructionCase(await countableCases(), instrCase, () => {
      if (!instrCase.startsWith('opossum.')) for (const dispose of peerDisposers) dispose();
    });
    for (const dispose of peerDisposers) dispose();
    return;
  }
  if (instructions) return mainInstructions(filter);
  // Baselines and references always run: every ratio needs them.
  const keep = <C extends { readonly id: string }>(list: C[]): C[] =>
    filter === undefined ? list : list.filter((c) => /^(bare|semaphore|native)/.test(c.id) || filter.test(c.id));
  const settings: RunSettings = quick
    ? { rounds: 3, sampleMs: 5, warmMs: 50, rewarmMs: 15, memoryRepeats: 1, time }
    : { rounds: 7, sampleMs: 60, warmMs: 150, rewarmMs: 120, memoryRepeats: 3, time };
  const sizes: [number, number] = quick ? [2_500, 10_000] : [20_000, 80_000];
  const memorySizes: MemorySizes = quick ? { calls: 100_000, pending: 10_000 } : { calls: 1_000_000, pending: 100_000 };
  // Quick mode runs the per-call cases with the function only.
  const fns = quick ? workloads.slice(0, 1) : workloads;
  const started = process.hrtime.bigint();
  const loadBefore = load();
  const calls = new Map<string, CallResult>();
  const work = new Map<string, WorkloadResult>();
  const memory = new Map<string, MemoryResult>();
  const results: Results = { calls, workloads: work, memory };

  const allCalls: CallCase[] = [];
  for (const w of fns) {
    allCalls.push({ id: `bare@${w.id}`, group: 'baseline', label: `bare \`await fn()\``, op: w.fn }, ...referenceCallCases(w));
    allCalls.push(...bwCallCases(w), ...rlCallCases(w), ...hedgingCallCases(w), ...acCallCases(w), ...peerCallCases(w));
  }
  const callCases = keep(allCalls);
  const [bareReject, ...peerRejections] = peerRejectionCases();
  const rejectionCases = keep([...(bareReject === undefined ? [] : [bareReject]), ...(await bwRejectionCases()), ...rlRejectionCases(), ...peerRejections]);
  const contentionCases: WorkloadCase[] = keep(
    sizes.flatMap((n) => {
      const [sem, ...peers] = peerContentionCases(n);
      return [...(sem === undefined ? [] : [sem]), ...bwContentionCases(n), ...peers];
    }),
  );
  const memoryCases = keep([...peerMemoryCases(memorySizes), ...bwMemoryCases(memorySizes), ...rlMemoryCases(memorySizes.calls)]);
  const decisionCases = keep(rlDecisionCases());

  log(`breakwater benchmarks: ${machine()}`);
  log(settingsLine(settings, quick));
  if (sections.has('calls')) {
    log(`per-call cases (${callCases.length})…`);
    for (const r of await runCallCases(callCases, settings, log)) calls.set(r.case.id, r);
  }
  if (sections.has('open')) {
    log(`open-circuit cases (${rejectionCases.length})…`);
    for (const r of await runCallCases(rejectionCases, settings, log)) calls.set(r.case.id, r);
  }
  if (sections.has('contention')) {
    log(`bulkhead contention cases (${contentionCases.length})…`);
    for (const r of await runWorkloadCases(contentionCases, settings, log)) work.set(r.case.id, r);
  }
  if (sections.has('memory')) {
    log(`memory cases (${memoryCases.length})…`);
    for (const r of await runMemoryCases(memoryCases, settings, log)) memory.set(r.case.id, r);
  }
  if (sections.has('ratelimit')) {
    log(`rate limiter decision cases (${decisionCases.length})…`);
    for (const r of await runCallCases(decisionCases, settings, log)) calls.set(r.case.id, r);
  }
  for (const dispose of peerDisposers) dispose();

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const out: string[] = [];
  out.push(`Machine: ${machine()}.`, '', `${settingsLine(settings, quick)}; took ${seconds.toFixed(1)} s; 1-minute load average ${loadBefore} before, ${load()} after (above ~0.5 on this 2-CPU machine, other processes were competing: trust the ratios less).`, '');
  if (sections.has('calls')) out.push('### Per call, success path', '', callTable(callCases, fns, results), '');
  if (sections.has('open')) out.push('### Open-circuit rejection (fn = `async () => 1`)', '', rejectionTable(rejectionCases, results), '');
  if (sections.has('contention')) {
    out.push('### Bulkhead contention (all tasks submitted at once; each awaits one `setImmediate`)', '', contentionTable(contentionCases, sizes, results), '');
  }
  if (sections.has('memory')) out.push('### Memory', '', memoryTable(results), '');
  if (sections.has('ratelimit')) out.push('### Rate limiter decisions (no call)', '', rlDecisionTable(decisionCases, results), '');
  out.push('### Targets', '', targetTable([...targets(sizes, memorySizes), ...rlTargets(memorySizes.calls), ...hedgingTargets(), ...acTargets()], results), '');
  const report = out.join('\n');
  process.stdout.write(`${report}\n`);
  if (readme) {
    writeReadme(report);
    log(`wrote the report into ${README}`);
  }
}

const README = 'bench/README.md';
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/** Replaces the results section of bench/README.md (between its markers) with `report`. */
function writeReadme(report: string): void {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${README} lacks the ${START} … ${END} markers`);
  writeFileSync(README, `${text.slice(0, a + START.length)}\n${report}\n${text.slice(b)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
