/**
 * Packs the package as npm would publish it, installs the tarball into a scratch consumer
 * project, and uses every entry point through `import` (ESM) and `require` (CJS), with the
 * consumer's own `tsc --noEmit` over the published types. Needs `npm run build` first
 * (the test command builds before it runs the tests).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; version: string };
const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
const specifiers = subpaths.map((s) => (s === '.' ? 'breakwater' : `breakwater/${s.slice(2)}`));
let dir = '';

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
  dir = mkdtempSync(join(tmpdir(), 'breakwater-consumer-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', dir], root);
  const tarball = (JSON.parse(out) as { filename: string }[])[0]!.filename;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // fast-check is an optional peer of breakwater/testing; a consumer using that subpath has it.
  const fc = (JSON.parse(readFileSync(join(root, 'node_modules/fast-check/package.json'), 'utf8')) as { version: string }).version;
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, tarball), `fast-check@${fc}`], dir);
}, 120_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('published package', () => {
  it('ships only dist, the docs files and package.json, with no runtime dependencies', () => {
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules/breakwater/package.json'), 'utf8')) as Record<string, unknown>;
    expect(installed['dependencies']).toBeUndefined();
    expect(existsSync(join(dir, 'node_modules/breakwater/src'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/breakwater/LICENSE'))).toBe(true);
  });

  it('loads every entry point through import (ESM)', () => {
    const lines = specifiers.map((s, i) => `import * as m${i} from '${s}'; if (Object.keys(m${i}).length === 0) throw new Error('empty ${s}');`);
    lines.push(
      "import { pipeline, isResilienceError, TimeoutError } from 'breakwater';",
      'const v = await pipeline().execute(() => 42);',
      "if (v !== 42 || !isResilienceError(new TimeoutError(1))) throw new Error('bad');",
      "console.log('esm ok');",
    );
    writeFileSync(join(dir, 'esm.mjs'), lines.join('\n'));
    expect(run('node', ['esm.mjs'], dir)).toContain('esm ok');
  });

  it('loads every entry point through require (CJS), and errors are recognized across the two builds', () => {
    const lines = specifiers.map((s, i) => `const m${i} = require('${s}'); if (Object.keys(m${i}).length === 0) throw new Error('empty ${s}');`);
    lines.push(
      "const { pipeline, isTimeoutError } = require('breakwater');",
      "import('breakwater').then(async (esm) => {",
      "  if (!isTimeoutError(new esm.TimeoutError(1))) throw new Error('brand not shared');",
      "  const v = await pipeline().execute(() => 7); if (v !== 7) throw new Error('bad');",
      "  // A policy from the CommonJS build composes into an ESM pipeline (brands, not instanceof).",
      "  const mixed = await esm.pipeline(require('breakwater').retry({ maxAttempts: 2 })).execute(() => 8);",
      "  if (mixed !== 8) throw new Error('mixed copies do not compose');",
      "  console.log('cjs ok');",
      '});',
    );
    writeFileSync(join(dir, 'cjs.cjs'), lines.join('\n'));
    expect(run('node', ['cjs.cjs'], dir)).toContain('cjs ok');
  });

  it.each(['nodenext', 'bundler'] as const)('type-checks a consumer with moduleResolution %s', (resolution) => {
    const tsDir = join(dir, `ts-${resolution}`);
    mkdirSync(tsDir, { recursive: true });
    const source = [
      "import { pipeline, type ExecutionContext, type Policy } from 'breakwater';",
      ...specifiers.slice(1).map((s, i) => `import * as sub${i} from '${s}'; void sub${i};`),
      'const p: Policy = pipeline();',
      'const n: Promise<number> = p.execute((ctx: ExecutionContext) => ctx.attempt);',
      'void n;',
    ].join('\n');
    writeFileSync(join(tsDir, 'index.ts'), source);
    writeFileSync(join(tsDir, 'index.cts'), source.replace(/^import \* as (\w+) from ('[^']+');/gm, 'import $1 = require($2);'));
    writeFileSync(
      join(tsDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: resolution === 'nodenext' ? 'NodeNext' : 'ESNext',
          moduleResolution: resolution === 'nodenext' ? 'NodeNext' : 'Bundler',
          types: [],
          skipLibCheck: false,
        },
        include: resolution === 'nodenext' ? ['index.ts', 'index.cts'] : ['index.ts'],
      }),
    );
    writeFileSync(join(tsDir, 'package.json'), JSON.stringify({ type: 'module' }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    let output = '';
    try {
      output = run('node', [tsc, '-p', 'tsconfig.json'], tsDir);
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  });
});
