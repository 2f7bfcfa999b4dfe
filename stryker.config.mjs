// @ts-check
/**
 * StrykerJS mutation testing (issue #23): `npm run mutate` (every folder below, incremental)
 * and `npm run mutate:quick` (the files a change touches, scripts/mutate-quick.mjs). Not part
 * of `npm test`: a full run takes more than an hour on two cores. docs/mutation-testing.md
 * says how to run it, read the scores and mark an equivalent mutant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

/** The folders of src/ whose code is mutated: the core, every policy, chaos and metrics. */
export const MUTATED_FOLDERS = [
  'core',
  'retry',
  'circuit-breaker',
  'timeout',
  'bulkhead',
  'fallback',
  'rate-limiter',
  'hedging',
  'adaptive-concurrency',
  'chaos',
  'metrics',
];

/** Test and type-test files, never mutated (`*.property.test.ts` and `*.mutants.test.ts` end in `.test.ts`). */
const TEST_FILE = /\.test(-d)?\.ts$/;

/**
 * True when a file compiles to nothing but imports and exports: type declarations and
 * barrels (`export { x } from './x'`), which hold no code to mutate.
 * @param {string} text
 */
function hasNoCode(text) {
  const js = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = ts.createSourceFile('x.js', js, ts.ScriptTarget.ES2022);
  return file.statements.every((s) => ts.isImportDeclaration(s) || ts.isExportDeclaration(s));
}

/**
 * Whether a path (relative to the repository root, forward slashes) is a source file that
 * mutation testing covers: a `.ts` file under one of {@link MUTATED_FOLDERS}, not a test and
 * not types only.
 * @param {string} path
 * @param {string} [root]
 */
export function isMutatable(path, root = process.cwd()) {
  const match = /^src\/([^/]+)\/.+\.ts$/.exec(path);
  if (!match || !MUTATED_FOLDERS.includes(match[1] ?? '') || TEST_FILE.test(path)) return false;
  return !hasNoCode(readFileSync(join(root, path), 'utf8'));
}

/**
 * Every mutatable file of the given folders (default: all of {@link MUTATED_FOLDERS}), sorted.
 * @param {readonly string[]} [folders]
 * @param {string} [root]
 */
export function mutatableFiles(folders = MUTATED_FOLDERS, root = process.cwd()) {
  return folders.flatMap((folder) =>
    readdirSync(join(root, 'src', folder), { recursive: true, encoding: 'utf8' })
      .map((name) => `src/${folder}/${name.replaceAll('\\', '/')}`)
      .filter((path) => isMutatable(path, root))
      .sort(),
  );
}

/** Where the reports go; `stryker-incremental.json` is committed so a fresh clone re-runs only what changed. */
export const REPORT_DIR = 'reports/mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  mutate: mutatableFiles(),
  incremental: true,
  incrementalFile: `${REPORT_DIR}/stryker-incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${REPORT_DIR}/mutation.html` },
  jsonReporter: { fileName: `${REPORT_DIR}/mutation.json` },
  // Stryker's score: (killed + timeout) / (killed + timeout + survived + no coverage), compile
  // and runtime errors and ignored mutants left out. Per-folder targets: scripts/mutation-score.mjs.
  // `break` is the score measured so far, floored: 80.2 % over timeout and fallback on their first
  // run (issue #23 measured 83.0 % over the core and five policies). Raise it after each full run.
  thresholds: { high: 95, low: 90, break: 80 },
  // One test-runner process (plus the checker's) on a two-core machine that others share;
  // more where there are more cores. `--concurrency N` overrides it.
  concurrency: Math.max(1, availableParallelism() - 1),
  // Every test covers src/core, so a run that mutates a core file starts with the whole unit
  // suite (~5 minutes on two busy cores): past Stryker's default limit of 5.
  dryRunTimeoutMinutes: 30,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // Nothing the tests need from these; copying them into the sandbox only costs time.
  ignorePatterns: ['dist', '.tmp', 'reports', 'docs/api', 'coverage', 'api'],
};
