// The mutation score per file and per folder, against issue #23's targets, from Stryker's JSON
// report (mutation-testing-report-schema). Stryker's `thresholds` apply to one score for the
// whole run; this script checks each folder.
//
//   node scripts/mutation-score.mjs                      read reports/mutation/mutation.json
//   node scripts/mutation-score.mjs --report FILE        another report (the incremental file works too)
//   node scripts/mutation-score.mjs --strict             exit 1 when a folder misses its target
//   node scripts/mutation-score.mjs --survivors DIR      also write DIR/<folder>-survivors.txt
//
// The score is Stryker's own (mutation-testing-metrics `mutationScore`):
//   (killed + timeout) / (killed + timeout + survived + no coverage)
// Compile and runtime errors are invalid mutants and ignored mutants are left out, so neither
// counts. The `static` column counts the ignored mutants that were left out because the run had
// `--ignoreStatic` (static mutants run the whole related suite each): they are not measured yet,
// and a later run without the flag tests them, reusing every other result. A folder whose files
// are not in the report is shown as "not run", not as a miss.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { MUTATED_FOLDERS, REPORT_DIR, mutatableFiles } from '../stryker.config.mjs';

const root = resolve(import.meta.dirname, '..');

/** The minimum score of a folder: 90 % for chaos and metrics, 95 % for the core and every policy. */
const TARGETS = Object.fromEntries(MUTATED_FOLDERS.map((f) => [f, f === 'chaos' || f === 'metrics' ? 90 : 95]));

const argv = process.argv.slice(2);
const option = (/** @type {string} */ name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const strict = argv.includes('--strict');
const survivorsDir = option('--survivors');
let reportPath = option('--report');
if (reportPath === undefined) {
  reportPath = join(root, REPORT_DIR, 'mutation.json');
  if (!existsSync(reportPath)) reportPath = join(root, REPORT_DIR, 'stryker-incremental.json');
}
if (!existsSync(reportPath)) {
  console.error(`mutation-score: no report at ${reportPath}; run npm run mutate first`);
  process.exit(2);
}

/**
 * @typedef {{ line: number, column: number }} Position
 * @typedef {{ mutatorName: string, replacement?: string, status: string, statusReason?: string, location: { start: Position, end: Position } }} Mutant
 * @typedef {{ source: string, mutants: Mutant[] }} FileResult
 * @typedef {{ killed: number, timeout: number, survived: number, noCoverage: number, compileError: number, runtimeError: number, ignored: number, static: number, pending: number }} Counts
 */

/** @type {{ files: Record<string, FileResult> }} */
const report = JSON.parse(readFileSync(reportPath, 'utf8'));

const STATUS_KEY = /** @type {const} */ ({
  Killed: 'killed',
  Timeout: 'timeout',
  Survived: 'survived',
  NoCoverage: 'noCoverage',
  CompileError: 'compileError',
  RuntimeError: 'runtimeError',
  Ignored: 'ignored',
  Pending: 'pending',
});

/** @returns {Counts} */
const zero = () => ({ killed: 0, timeout: 0, survived: 0, noCoverage: 0, compileError: 0, runtimeError: 0, ignored: 0, static: 0, pending: 0 });

/** @param {Counts} c */
const valid = (c) => c.killed + c.timeout + c.survived + c.noCoverage;
/** Stryker's mutation score in percent; NaN when there is no valid mutant. @param {Counts} c */
const score = (c) => (valid(c) === 0 ? NaN : ((c.killed + c.timeout) / valid(c)) * 100);

/** Repository-relative path with forward slashes. @param {string} file */
const rel = (file) => (file.startsWith('/') ? relative(root, file) : file).replaceAll('\\', '/');
/** @param {string} file */
const folderOf = (file) => /^src\/([^/]+)\//.exec(rel(file))?.[1];

/** @type {Map<string, Counts>} */
const byFile = new Map();
/** @type {Map<string, Counts>} */
const byFolder = new Map();
/** @type {Map<string, string[]>} */
const survivors = new Map();

for (const [name, file] of Object.entries(report.files).sort(([a], [b]) => rel(a).localeCompare(rel(b)))) {
  const path = rel(name);
  const folder = folderOf(path) ?? '(other)';
  const counts = zero();
  const lines = file.source.split('\n');
  for (const m of file.mutants) {
    const key = STATUS_KEY[/** @type {keyof typeof STATUS_KEY} */ (m.status)];
    if (key === undefined) throw new Error(`mutation-score: unknown mutant status ${m.status} in ${path}`);
    counts[key]++;
    // Ignored because `ignoreStatic` was on: not measured yet (a run without it measures them).
    if (m.status === 'Ignored' && /static/i.test(m.statusReason ?? '')) counts.static++;
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      const { start, end } = m.location;
      const original =
        start.line === end.line
          ? (lines[start.line - 1] ?? '').slice(start.column - 1, end.column - 1)
          : `${(lines[start.line - 1] ?? '').slice(start.column - 1)} …`;
      const oneLine = (/** @type {string} */ s) => {
        const t = s.replace(/\s+/g, ' ').trim();
        return t.length > 100 ? `${t.slice(0, 97)}...` : t;
      };
      const list = survivors.get(folder) ?? [];
      list.push(`${path}:${start.line}:${start.column}\t${m.status}\t${m.mutatorName}\t${oneLine(original)}  =>  ${oneLine(m.replacement ?? '')}`);
      survivors.set(folder, list);
    }
  }
  byFile.set(path, counts);
  const total = byFolder.get(folder) ?? zero();
  for (const k of /** @type {(keyof Counts)[]} */ (Object.keys(total))) total[k] += counts[k];
  byFolder.set(folder, total);
}

const pct = (/** @type {number} */ n) => (Number.isNaN(n) ? '   n/a' : `${n.toFixed(1).padStart(5)}%`);
const header = `${'killed'.padStart(7)}${'timeout'.padStart(8)}${'survived'.padStart(9)}${'no cov'.padStart(7)}${'compile'.padStart(8)}${'runtime'.padStart(8)}${'ignored'.padStart(8)}${'static'.padStart(7)}   score`;
const row = (/** @type {Counts} */ c) =>
  `${String(c.killed).padStart(7)}${String(c.timeout).padStart(8)}${String(c.survived).padStart(9)}${String(c.noCoverage).padStart(7)}${String(c.compileError).padStart(8)}${String(c.runtimeError).padStart(8)}${String(c.ignored).padStart(8)}${String(c.static).padStart(7)}  ${pct(score(c))}`;

const width = Math.max(40, ...[...byFile.keys()].map((f) => f.length + 2));
console.log(`Mutation score by file (${rel(reportPath)})\n`);
console.log(`${'file'.padEnd(width)}${header}`);
for (const [file, c] of byFile) console.log(`${file.padEnd(width)}${row(c)}`);

console.log(`\nBy folder, against the targets of issue #23\n`);
console.log(`${'folder'.padEnd(24)}${header}  target  result`);
let misses = 0;
const all = zero();
/** @type {string[]} */
const absent = [];
for (const folder of [...MUTATED_FOLDERS, ...[...byFolder.keys()].filter((f) => !MUTATED_FOLDERS.includes(f))]) {
  const c = byFolder.get(folder);
  const target = TARGETS[folder];
  if (c === undefined) {
    console.log(`${folder.padEnd(24)}${'not run'.padStart(header.length)}  ${target === undefined ? '' : `≥ ${target}%`}`);
    continue;
  }
  for (const k of /** @type {(keyof Counts)[]} */ (Object.keys(all))) all[k] += c[k];
  const s = score(c);
  const pass = target === undefined || Number.isNaN(s) || s >= target;
  if (!pass) misses++;
  // Files of the folder the report lacks: never run, or without a single mutant (Stryker
  // leaves those out, e.g. an events.ts whose only code is a const-asserted name table).
  if (MUTATED_FOLDERS.includes(folder)) absent.push(...mutatableFiles([folder], root).filter((f) => !byFile.has(f)));
  console.log(`${folder.padEnd(24)}${row(c)}  ${target === undefined ? '      ' : `≥ ${target}%`}  ${target === undefined ? '' : pass ? 'PASS' : 'MISS'}`);
}
console.log(`${'all'.padEnd(24)}${row(all)}`);
if (absent.length > 0) {
  console.log(`\nNot in the report (no mutant in them, or not run yet: a run of the file tells which):\n${absent.map((f) => `  ${f}`).join('\n')}`);
}

if (survivorsDir !== undefined) {
  mkdirSync(survivorsDir, { recursive: true });
  for (const [folder, list] of survivors) {
    const out = join(survivorsDir, `${folder}-survivors.txt`);
    writeFileSync(out, `# ${folder}: ${list.length} mutant(s) survived or not covered (file:line:column, status, mutator, original => replacement)\n${list.join('\n')}\n`);
  }
  console.log(`\nSurvivors written to ${survivorsDir}/<folder>-survivors.txt (${[...survivors.keys()].join(', ') || 'none'})`);
}

if (strict && misses > 0) {
  console.error(`\nmutation-score: ${misses} folder(s) below target`);
  process.exit(1);
}
