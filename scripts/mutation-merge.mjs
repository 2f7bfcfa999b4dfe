// Merges the incremental files of Stryker runs made in separate sandboxes (one folder each,
// side by side on several machines or cores) into the committed one, so the next
// `npm run mutate` reuses every result.
//
//   node scripts/mutation-merge.mjs A.json B.json …           into reports/mutation/stryker-incremental.json
//   node scripts/mutation-merge.mjs --out FILE A.json B.json  into another file
//
// The committed file is read first, then each input in order. For each source file the
// result kept is, in this order of preference: one whose recorded source is the file's text
// in this working tree; one from a run that mutated the file (a sandbox also carries the
// results of every file it did not mutate, copied from the incremental file it started from,
// and those must not undo another sandbox's new run of the file, whatever the order of the
// inputs); among results that no longer match, the one with the most mutants (a sandbox may
// carry a pruned copy); the last one read. Test files are merged by the same rule, and every
// test gets one id in the result, with each mutant's covering and killing tests translated
// from the ids of the run it comes from (each run numbers its tests afresh, and Stryker's next
// incremental run finds the tests by these ids). Stryker re-tests what changed on the next
// run, as it would for any stale result. A file no longer in the tree is dropped. The score
// table of the result: `node scripts/mutation-score.mjs --report FILE`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPORT_DIR } from '../stryker.config.mjs';

const root = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const out = outAt === -1 ? join(root, REPORT_DIR, 'stryker-incremental.json') : resolve(argv[outAt + 1] ?? '');
const inputs = outAt === -1 ? argv : argv.filter((_, i) => i !== outAt && i !== outAt + 1);
if (inputs.length === 0) {
  console.error('usage: node scripts/mutation-merge.mjs [--out FILE] A.json [B.json …]');
  process.exit(2);
}

/** @param {string} file */
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
/** The text of a repository file now, or undefined when it is gone. @param {string} path */
const current = (path) => {
  const file = join(root, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

const reports = [...(existsSync(out) ? [out] : []), ...inputs].map((file) => ({ file, report: read(file) }));
const base = reports.at(-1)?.report;

/** How many results an entry holds: mutants of a source file, tests of a test file. @param {{ mutants?: unknown[], tests?: unknown[] }} entry */
const size = (entry) => (entry.mutants ?? entry.tests ?? []).length;

/**
 * How many of an entry's mutants were instrumented by the run that wrote it: Stryker numbers
 * those (`"17"`), and keeps the key of a result it only carried over from its incremental file
 * (`"src/x.ts@3:4-3:9\nStringLiteral: \"\""`) for the files it did not mutate.
 * @param {{ mutants?: { id: string }[] }} entry
 */
const ran = (entry) => (entry.mutants ?? []).filter((m) => /^\d+$/.test(m.id)).length;

/**
 * One section (`files` or `testFiles`) merged: per path, the entry {@link wins} picks, with the
 * index of the report it comes from; paths gone from the tree are dropped.
 * @param {'files' | 'testFiles'} section
 */
function merge(section) {
  /** @typedef {{ entry: any, from: number, matches: boolean, ran: boolean }} Candidate */
  /** @type {Record<string, Candidate>} */
  const best = {};
  reports.forEach(({ report }, from) => {
    for (const [path, entry] of Object.entries(report[section] ?? {})) {
      const now = current(path);
      if (now === undefined) continue;
      const candidate = {
        entry,
        from,
        matches: entry.source === undefined || entry.source === now,
        ran: ran(entry) > 0,
      };
      if (wins(candidate, best[path])) best[path] = candidate;
    }
  });
  const stale = Object.keys(best).filter((p) => !best[p]?.matches);
  return { best, stale };
}

/**
 * Whether a later entry replaces the one kept so far: an entry that matches the tree beats one
 * that does not; then one that its run mutated beats a copy carried over from an earlier run;
 * then, among entries that do not match, the one with more results (a pruned copy must not
 * replace a full run); otherwise the later one.
 * @param {{ entry: { mutants?: unknown[], tests?: unknown[] }, matches: boolean, ran: boolean }} c
 * @param {{ entry: { mutants?: unknown[], tests?: unknown[] }, matches: boolean, ran: boolean } | undefined} kept
 */
function wins(c, kept) {
  if (kept === undefined) return true;
  if (c.matches !== kept.matches) return c.matches;
  if (c.ran !== kept.ran) return c.ran;
  return c.matches || size(c.entry) >= size(kept.entry);
}

const files = merge('files');
const testFiles = merge('testFiles');

// Test ids: a mutant names the tests that cover and kill it by the ids of its own run, so the
// merged file numbers every test once (by file and name) and each mutant's ids are translated
// from the run it comes from. A test that is gone from the merged test files is dropped.
/** @param {string} path @param {string} name */
const testKey = (path, name) => `${path}\u0000${name}`;
/** @type {Map<string, string>} */
const newIds = new Map();
/** @type {Record<string, unknown>} */
const testEntries = {};
for (const [path, { entry }] of Object.entries(testFiles.best)) {
  testEntries[path] = {
    ...entry,
    tests: entry.tests.map((/** @type {{ name: string }} */ t) => {
      const id = String(newIds.size);
      newIds.set(testKey(path, t.name), id);
      return { ...t, id };
    }),
  };
}
/** Per report: its test ids → the merged ids. */
const idMaps = reports.map(({ report }) => {
  /** @type {Map<string, string>} */
  const map = new Map();
  for (const [path, entry] of Object.entries(report.testFiles ?? {})) {
    for (const t of entry.tests ?? []) {
      const id = newIds.get(testKey(path, t.name));
      if (id !== undefined) map.set(t.id, id);
    }
  }
  return map;
});
/** @param {Map<string, string>} map @param {string[] | undefined} ids */
const translate = (map, ids) => ids?.flatMap((id) => map.get(id) ?? []);
/** @type {Record<string, unknown>} */
const fileEntries = {};
for (const [path, { entry, from }] of Object.entries(files.best)) {
  const map = /** @type {Map<string, string>} */ (idMaps[from]);
  fileEntries[path] = {
    ...entry,
    mutants: entry.mutants.map((/** @type {{ killedBy?: string[], coveredBy?: string[] }} */ m) => ({
      ...m,
      ...(m.killedBy === undefined ? {} : { killedBy: translate(map, m.killedBy) }),
      ...(m.coveredBy === undefined ? {} : { coveredBy: translate(map, m.coveredBy) }),
    })),
  };
}

writeFileSync(out, `${JSON.stringify({ ...base, files: fileEntries, testFiles: testEntries })}\n`);
console.log(
  `merged ${reports.length} reports into ${out}: ${Object.keys(fileEntries).length} source files (${files.stale.length} changed since their run), ` +
    `${Object.keys(testEntries).length} test files (${testFiles.stale.length} changed since their run)`,
);
