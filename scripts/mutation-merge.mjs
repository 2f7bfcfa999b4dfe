// Merges the incremental files of Stryker runs made in separate sandboxes (one folder each,
// side by side on several machines or cores) into the committed one, so the next
// `npm run mutate` reuses every result.
//
//   node scripts/mutation-merge.mjs A.json B.json …           into reports/mutation/stryker-incremental.json
//   node scripts/mutation-merge.mjs --out FILE A.json B.json  into another file
//
// The committed file is read first, then each input in order. For each source file the
// result kept is the last one whose recorded source is the file's text in this working tree,
// except that an entry identical to the committed one never replaces a matching entry that
// differs from it: a sandbox carries the committed results of every file it did not mutate,
// and those must not undo another sandbox's new run of the file, whatever the order of the
// inputs. When none matches (the file changed since every run), the one with the most results is
// kept (the last one read among equals): a sandbox that never mutated a file may carry a
// pruned copy of its entry, which must not replace a full run of it. Stryker re-tests what
// changed on the next run, as it would for any stale result. Test
// files (which tests exist, where) are merged the same way. A source file no longer in the
// tree is dropped. The score table of the result: `node scripts/mutation-score.mjs --report FILE`.
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
 * One section (`files` or `testFiles`) merged: per path, the last entry whose source is the
 * file's text now, else the entry with the most results; paths gone from the tree are dropped.
 * @param {'files' | 'testFiles'} section
 */
function merge(section) {
  /** @type {Record<string, { source?: string }>} */
  const merged = {};
  /** @type {Set<string>} */
  const fresh = new Set();
  /** Paths whose kept entry is a new run (differs from the committed entry). @type {Set<string>} */
  const renewed = new Set();
  const committed = existsSync(out) ? (reports[0]?.report[section] ?? {}) : {};
  for (const { report } of reports) {
    for (const [path, entry] of Object.entries(report[section] ?? {})) {
      const now = current(path);
      if (now === undefined) continue;
      const matches = entry.source === undefined || entry.source === now;
      const isNew = !(path in committed) || JSON.stringify(entry) !== JSON.stringify(committed[path]);
      const kept = merged[path];
      if (matches) {
        if (isNew || !renewed.has(path)) merged[path] = entry;
        if (isNew) renewed.add(path);
        fresh.add(path);
      } else if (!fresh.has(path) && (kept === undefined || size(entry) >= size(kept))) merged[path] = entry;
    }
  }
  const stale = Object.keys(merged).filter((p) => !fresh.has(p));
  return { entries: merged, stale };
}

const files = merge('files');
const testFiles = merge('testFiles');
writeFileSync(out, `${JSON.stringify({ ...base, files: files.entries, testFiles: testFiles.entries })}\n`);
console.log(
  `merged ${reports.length} reports into ${out}: ${Object.keys(files.entries).length} source files (${files.stale.length} changed since their run), ` +
    `${Object.keys(testFiles.entries).length} test files (${testFiles.stale.length} changed since their run)`,
);
