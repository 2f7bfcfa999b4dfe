// Mutation-test only what a change touches (`npm run mutate:quick`), before you stop:
//
//   npm run mutate:quick                   files changed against origin/main (or HEAD~1), plus uncommitted and new files
//   npm run mutate:quick -- --base v0.1.0  files changed against another commit
//   npm run mutate:quick -- src/retry      the mutatable files under the given paths (folders or files)
//   npm run mutate:quick -- --dry          print the files, do not run Stryker
//
// Changed files are kept when stryker.config.mjs mutates them (src/ folders it lists, not tests,
// not types only). A changed test file `x.test.ts` (or `x.property.test.ts`, `x.mutants.test.ts`…)
// brings in `x.ts` beside it. Other arguments after `--` go to `stryker run` as they are. Results
// go into the committed incremental file like a full run's, so unchanged mutants are reused.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isMutatable, mutatableFiles } from '../stryker.config.mjs';

const root = resolve(import.meta.dirname, '..');
process.chdir(root);

/** @param {string[]} args */
const git = (args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
/** @param {string} ref */
const refExists = (ref) => spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root }).status === 0;

const argv = process.argv.slice(2);
let base;
let dry = false;
const paths = [];
const strykerArgs = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i] ?? '';
  if (a === '--base') base = argv[++i];
  else if (a === '--dry') dry = true;
  else if (a === '--') continue; // `node scripts/mutate-quick.mjs src/x -- --ignoreStatic`: the separator is not Stryker's
  else if (a.startsWith('-')) strykerArgs.push(a);
  else if (existsSync(a)) paths.push(relative(root, resolve(a)).replaceAll('\\', '/'));
  else strykerArgs.push(a);
}

/** The source file a changed test file pins, if there is one beside it. @param {string} file */
function sourceOf(file) {
  const m = /^(.*?)(\.[a-z]+)*\.test(-d)?\.ts$/.exec(file);
  if (!m) return file;
  return existsSync(join(root, `${m[1]}.ts`)) ? `${m[1]}.ts` : file;
}

let files;
if (paths.length > 0) {
  const all = mutatableFiles(undefined, root);
  files = all.filter((f) => paths.some((p) => f === p || (existsSync(p) && statSync(p).isDirectory() && f.startsWith(`${p.replace(/\/$/, '')}/`))));
} else {
  base ??= refExists('origin/main') ? 'origin/main' : refExists('HEAD~1') ? 'HEAD~1' : undefined;
  const since = base === undefined ? [] : git(['diff', '--name-only', '--diff-filter=d', git(['merge-base', base, 'HEAD'])[0] ?? base]);
  const uncommitted = git(['diff', '--name-only', '--diff-filter=d', 'HEAD']);
  const untracked = git(['ls-files', '--others', '--exclude-standard', 'src']);
  const changed = new Set([...since, ...uncommitted, ...untracked].map(sourceOf));
  files = [...changed].filter((f) => existsSync(join(root, f)) && isMutatable(f, root)).sort();
  console.log(`mutate:quick: changes since ${base ?? '(no base commit)'} and in the working tree`);
}

if (files.length === 0) {
  console.log('mutate:quick: nothing to mutate');
  process.exit(0);
}
console.log(`mutate:quick: ${files.length} file(s)\n  ${files.join('\n  ')}`);
if (dry) process.exit(0);

const stryker = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'stryker.cmd' : 'stryker');
const run = spawnSync(stryker, ['run', '--mutate', files.join(','), ...strykerArgs], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
