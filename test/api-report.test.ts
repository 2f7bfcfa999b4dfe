/**
 * The public API cannot change by accident: the committed reports in api/ (one per entry
 * point of package.json `exports`) must equal what API Extractor reads from the built types.
 * A change fails here with the diff and the command that updates the reports
 * (`npm run api:update`). Needs `npm run build` first, like the package test.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkApiReports, entryPoints, updateApiReports, UPDATE_COMMAND } from '../scripts/api-report';

const root = resolve(__dirname, '..');

describe('public API report', () => {
  it('api/ holds the report of every entry point, equal to the built types (else run `npm run api:update`)', () => {
    if (!existsSync(join(root, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` before this test');
    const { ok, messages } = checkApiReports(root, join(root, 'api'));
    expect(ok, messages.join('\n\n')).toBe(true);
    // One report per entry point with types: `./package.json` has none.
    expect(entryPoints(root).map((e) => e.reportFile)).toContain('breakwater.api.md');
  }, 60_000);
});

describe('the API report check, on a scratch package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-api-report-'));
  const reports = join(dir, 'api');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const exportsOf = (subpaths: string[]): Record<string, unknown> =>
    Object.fromEntries([
      ...subpaths.map((s) => [s, { import: { types: `./dist/${s === '.' ? 'index' : s.slice(2)}.d.ts` } }]),
      ['./package.json', './package.json'],
    ]);
  // `export {}`: in a .d.ts without it, every top-level declaration would be exported.
  const hidden = (type: string): string => `interface Hidden {\n  readonly n: ${type};\n}\nexport declare function extra(): Hidden;\nexport {};\n`;
  const writePackage = (subpaths: string[], main: string): void => {
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', exports: exportsOf(subpaths) }));
    writeFileSync(join(dir, 'dist', 'index.d.ts'), main);
    writeFileSync(join(dir, 'dist', 'extra.d.ts'), hidden('number'));
  };

  it('passes when the reports were just updated, fails with the diff and the update command when a signature changes', () => {
    writePackage(['.', './extra'], 'export declare function f(a: number): string;\n');
    const written = updateApiReports(dir, reports);
    expect(written).toEqual({ files: ['scratch.api.md', 'scratch-extra.api.md'], problems: [] });
    expect(checkApiReports(dir, reports)).toEqual({ ok: true, messages: [] });

    writePackage(['.', './extra'], 'export declare function f(a: number, b?: string): string;\n');
    const changed = checkApiReports(dir, reports);
    expect(changed.ok).toBe(false);
    const text = changed.messages.join('\n');
    expect(text).toContain('The public API changed');
    expect(text).toContain('-export function f(a: number): string;');
    expect(text).toContain('+export function f(a: number, b?: string): string;');
    expect(changed.messages.at(-1)).toContain(UPDATE_COMMAND);
  }, 60_000);

  it('fails when a type the entry uses but does not export changes (it is API too)', () => {
    writePackage(['.', './extra'], 'export declare function f(a: number): string;\n');
    updateApiReports(dir, reports);
    writeFileSync(join(dir, 'dist', 'extra.d.ts'), hidden('string'));
    const changed = checkApiReports(dir, reports);
    expect(changed.ok).toBe(false);
    expect(changed.messages.join('\n')).toContain('+    readonly n: string;');
  }, 60_000);

  it('fails when an entry point is added without its report, or a report outlives its entry point', () => {
    writePackage(['.', './extra'], 'export declare function f(a: number): string;\n');
    updateApiReports(dir, reports);

    writePackage(['.'], 'export declare function f(a: number): string;\n');
    const removed = checkApiReports(dir, reports);
    expect(removed.ok).toBe(false);
    expect(removed.messages[0]).toMatch(/scratch-extra\.api\.md belongs to no entry point/);

    updateApiReports(dir, reports);
    expect(existsSync(join(reports, 'scratch-extra.api.md'))).toBe(false);
    writePackage(['.', './extra'], 'export declare function f(a: number): string;\n');
    const added = checkApiReports(dir, reports);
    expect(added.ok).toBe(false);
    expect(added.messages[0]).toMatch(/scratch-extra\.api\.md is missing/);
  }, 60_000);
});
