/**
 * Every TypeScript code block in README.md and docs/ must be copied verbatim from a file
 * that the test command type-checks (docs/snippets/, examples/, bench/ or src/), so the
 * documentation cannot rot.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

function walk(dir: string, ext: string[], out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'api' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, ext, out);
    else if (ext.some((e) => name.endsWith(e))) out.push(p);
  }
  return out;
}

const normalize = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();

const sources = ['docs/snippets', 'examples', 'bench', 'src']
  .map((d) => join(root, d))
  .flatMap((d) => {
    try {
      return walk(d, ['.ts']);
    } catch {
      return [];
    }
  })
  .map((f) => normalize(readFileSync(f, 'utf8')));

const pages = [join(root, 'README.md'), ...walk(join(root, 'docs'), ['.md'])];

describe('documentation code blocks', () => {
  for (const page of pages) {
    const text = readFileSync(page, 'utf8');
    const blocks = [...text.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map((m) => normalize(m[1] ?? ''));
    if (blocks.length === 0) continue;
    it(`${relative(root, page)}: every ts block comes from a type-checked file`, () => {
      const missing = blocks.filter((b) => !sources.some((s) => s.includes(b)));
      expect(missing.map((b) => b.split('\n').slice(0, 3).join('\n'))).toEqual([]);
    });
  }
});
