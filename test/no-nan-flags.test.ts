/**
 * No `NaN` used as a flag in the library (#21): state that may be absent is an explicit
 * boolean or `undefined`, never a `NaN` stored in a number and found again with a
 * self-comparison (`start === start`, `end !== end`). A NaN *input* is tested with
 * `Number.isNaN`, which says what it means.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.test-d.ts') ? [path] : [];
  });
}

/** The code of a file without comments and string contents (so prose and messages never match). */
function codeOf(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, (s) => `${s[0]}${' '.repeat(s.length - 2)}${s[0]}`)
    .replace(/\/\/.*$/gm, '');
}

/** `x === x`, `a.b !== a.b` (and the loose forms): the self-comparison that only NaN fails. */
const SELF_COMPARE = /(?<![\w$.])([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*[!=]==?\s*\1(?![\w$.([])/g;
/** `NaN` stored or chosen as a value: `= NaN`, `? Number.NaN :`, `: NaN` (returning NaN as a documented result is fine). */
const NAN_VALUE = /(?:[=?:]|\|\||\?\?)\s*(?:Number\.)?NaN\b/g;

/** Each `file:line: text` where `re` matches the code of the library's source files. */
function findings(re: RegExp): string[] {
  const out: string[] = [];
  for (const path of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(path, 'utf8');
    const code = codeOf(text);
    const lines = text.split('\n');
    for (const m of code.matchAll(re)) {
      const line = code.slice(0, m.index).split('\n').length;
      out.push(`${relative(root, path).split('\\').join('/')}:${line}: ${(lines[line - 1] as string).trim()}`);
    }
  }
  return out;
}

/**
 * Files still using NaN as "not known yet", each with the work that removes it. The list only
 * shrinks: an entry whose file no longer needs it fails the test until it is removed.
 */
const NAN_VALUE_ALLOWED: Readonly<Record<string, string>> = {
  // The estimator's "no no-load latency / no reference yet" states and the window means of a
  // window with no latency sample: to become `undefined` (and WindowStats' means optional).
  'src/adaptive-concurrency/estimator.ts': 'no-load latency, queueing reference, last high probe, empty-window means',
  'src/adaptive-concurrency/adaptive-concurrency.ts': 'stats.noLoadLatency of a partition not created yet (follows the estimator)',
};

describe('no NaN used as a flag in src/', () => {
  it('no self-comparison (x === x, end !== end): use a boolean, undefined, or Number.isNaN for an input', () => {
    expect(findings(SELF_COMPARE)).toEqual([]);
  });

  it('no NaN stored as a "not set" value (= Number.NaN, ? NaN :), outside the shrinking allowlist', () => {
    const found = findings(NAN_VALUE);
    const fileOf = (f: string): string => f.slice(0, f.indexOf(':'));
    expect(found.filter((f) => !(fileOf(f) in NAN_VALUE_ALLOWED))).toEqual([]);
    const stale = Object.keys(NAN_VALUE_ALLOWED).filter((file) => !found.some((f) => fileOf(f) === file));
    expect(stale, 'allowlist entries no longer needed: remove them').toEqual([]);
  });

  it('the scan finds what it forbids (control)', () => {
    const code = codeOf(
      [
        'let start = Number.NaN;',
        'const end = timed ? now() : NaN;',
        'if (start === start) go();',
        'if (this.origin !== this.origin) go();',
        '// x === x in a comment',
        "const s = 'a === a';",
        'if (a.b === a.bc || x === x.y || f(x) === f(x)) go();',
        'return Number.NaN;',
      ].join('\n'),
    );
    expect([...code.matchAll(SELF_COMPARE)].map((m) => m[0])).toEqual(['start === start', 'this.origin !== this.origin']);
    expect([...code.matchAll(NAN_VALUE)].map((m) => m[0].replace(/\s+/g, ' '))).toEqual(['= Number.NaN', ': NaN']);
  });
});
