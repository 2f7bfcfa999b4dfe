/**
 * Renders the results as Markdown tables (pasted as-is into bench/README.md).
 *
 * @packageDocumentation
 */
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import type { CallCase, RunSettings, WorkloadCase } from './harness';
import type { Workload } from './fns';
import { evaluate, ratio, type Results, type Target } from './targets';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const align = header.map((_, i) => (i === 0 ? ':---' : '---:'));
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

function fmtNs(v: number | undefined): string {
  if (v === undefined) return '–';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} µs`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} µs`;
  return `${v.toFixed(0)} ns`;
}

function fmtRatio(v: number | undefined): string {
  return v === undefined ? '–' : v >= 100 ? `${v.toFixed(0)}×` : `${v.toFixed(2)}×`;
}

function fmtBytes(v: number): string {
  const sign = v < 0 ? '−' : '';
  const a = Math.abs(v);
  if (a >= 1024 * 1024) return `${sign}${(a / 1024 / 1024).toFixed(2)} MB`;
  if (a >= 1024) return `${sign}${(a / 1024).toFixed(1)} KB`;
  return `${sign}${a.toFixed(0)} B`;
}

/** The machine, for the README. */
export function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) model = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return `${cpus().length} CPU (nproc), ${model}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The per-call table: each case under both function variants. */
export function callTable(cases: readonly CallCase[], workloads: readonly Workload[], r: Results): string {
  const seen = new Set<string>();
  const rows: string[][] = [];
  for (const c of cases) {
    const base = c.id.slice(0, c.id.indexOf('@'));
    if (seen.has(base)) continue;
    seen.add(base);
    const row = [c.label];
    for (const w of workloads) {
      const v = r.calls.get(`${base}@${w.id}`)?.nsPerOp;
      const bare = r.calls.get(`bare@${w.id}`)?.nsPerOp;
      row.push(fmtNs(v), fmtRatio(ratio(v, bare)), v === undefined || bare === undefined ? '–' : `${(v - bare).toFixed(0)} ns`);
    }
    rows.push(row);
  }
  const header = ['case'];
  for (const w of workloads) header.push(`ns/op, fn = ${w.label}`, '× bare', 'added');
  return table(header, rows);
}

/** The open-circuit table. */
export function rejectionTable(cases: readonly CallCase[], r: Results): string {
  const bare = r.calls.get('bare.reject')?.nsPerOp;
  const cockatiel = r.calls.get('cockatiel.open')?.nsPerOp;
  return table(
    ['case', 'ns/op', '× bare rejection', 'cockatiel ÷ this'],
    cases.map((c) => {
      const v = r.calls.get(c.id)?.nsPerOp;
      return [c.label, fmtNs(v), fmtRatio(ratio(v, bare)), fmtRatio(ratio(cockatiel, v))];
    }),
  );
}

/** The contention table: one row per limiter, both sizes. */
export function contentionTable(cases: readonly WorkloadCase[], sizes: readonly [number, number], r: Results): string {
  const [small, large] = sizes;
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    const base = c.id.slice(0, c.id.indexOf('@'));
    if (seen.has(base)) continue;
    seen.add(base);
    const a = r.workloads.get(`${base}@${small}`)?.ms;
    const b = r.workloads.get(`${base}@${large}`)?.ms;
    rows.push([
      c.label,
      a === undefined ? '–' : `${a.toFixed(1)} ms`,
      fmtRatio(ratio(a, r.workloads.get(`semaphore@${small}`)?.ms)),
      b === undefined ? '–' : `${b.toFixed(1)} ms`,
      fmtRatio(ratio(b, r.workloads.get(`semaphore@${large}`)?.ms)),
      fmtRatio(ratio(b, a)),
    ]);
  }
  const s = small.toLocaleString('en');
  const l = large.toLocaleString('en');
  return table(['limiter (64 slots)', `${s} tasks`, '× semaphore', `${l} tasks`, '× semaphore', `${l} ÷ ${s}`], rows);
}

/** The memory table. */
export function memoryTable(r: Results): string {
  return table(
    ['case', 'heap growth (after GC)', 'per item'],
    [...r.memory.values()].map((m) => [m.case.label, fmtBytes(m.bytes), fmtBytes(m.bytes / m.case.items)]),
  );
}

/** The targets table. */
export function targetTable(list: readonly Target[], r: Results): string {
  return table(
    ['target', 'goal', 'numbers', 'measured', 'verdict'],
    evaluate(list, r).map((o) => [
      o.target.label,
      o.target.goal,
      o.target.operands?.(r) ?? '',
      o.value === undefined ? '–' : o.target.format(o.value),
      o.verdict,
    ]),
  );
}

/** The 1-minute load average, to judge how quiet the machine was. */
export function load(): string {
  return (loadavg()[0] ?? Number.NaN).toFixed(2);
}

/** A line describing the settings. */
export function settingsLine(s: RunSettings, quick: boolean): string {
  return `${quick ? 'quick mode: ' : ''}${s.time === 'wall' ? 'wall-clock time' : 'process CPU time (user + system, all threads)'}; ${s.rounds} interleaved rounds, median; per-call samples of ~${s.sampleMs} ms; ${s.memoryRepeats} memory measurement(s) per case (median)`;
}
