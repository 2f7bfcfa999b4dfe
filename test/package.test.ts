/**
 * Packs the package as npm would publish it, installs the tarball into two scratch
 * consumer projects — one with fast-check, one without — and uses every entry point
 * through `import` (ESM) and `require` (CJS), with the consumer's own `tsc --noEmit` over
 * the published types. Needs `npm run build` first (the test command builds before it
 * runs the tests). The consumer's types are also checked with the oldest TypeScript we
 * support and the newest releases (see `typescripts` below; the README states the range).
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
let base = '';
/** The consumer with fast-check installed (every entry point). */
let dir = '';
/** The consumer without fast-check: `breakwater/testing` must still load. */
let bare = '';

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
  base = mkdtempSync(join(tmpdir(), 'breakwater-consumer-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', base], root);
  const tarball = join(base, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  dir = join(base, 'with-fast-check');
  bare = join(base, 'without-fast-check');
  // --prefer-offline, not --offline: a fresh machine's npm cache may lack fast-check (ENOTCACHED).
  const install = (cwd: string, ...packages: string[]): void => {
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...packages], cwd);
  };
  // fast-check is an optional peer of breakwater/testing/arbitraries; a consumer using that subpath has it.
  const fc = (JSON.parse(readFileSync(join(root, 'node_modules/fast-check/package.json'), 'utf8')) as { version: string }).version;
  install(dir, tarball, `fast-check@${fc}`);
  install(bare, tarball);
}, 180_000);

afterAll(() => {
  if (base !== '') rmSync(base, { recursive: true, force: true });
});

/** The project's own compiler (the newest 5.x): the default of {@link typeCheck}. */
const projectTsc = join(root, 'node_modules/typescript/bin/tsc');

function typeCheck(cwd: string, resolution: 'nodenext' | 'bundler', source: string, tsc = projectTsc, label = ''): string {
  const tsDir = join(cwd, `ts-${resolution}${label}`);
  mkdirSync(tsDir, { recursive: true });
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
  try {
    return run('node', [tsc, '-p', 'tsconfig.json'], tsDir);
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

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
    const source = [
      "import { pipeline, type ExecutionContext, type Policy } from 'breakwater';",
      ...specifiers.slice(1).map((s, i) => `import * as sub${i} from '${s}'; void sub${i};`),
      'const p: Policy = pipeline();',
      'const n: Promise<number> = p.execute((ctx: ExecutionContext) => ctx.attempt);',
      'void n;',
    ].join('\n');
    expect(typeCheck(dir, resolution, source)).toBe('');
  });

  it('with fast-check installed, breakwater/testing/arbitraries draws options the factories accept (ESM and CJS)', () => {
    const body = [
      'const drawn = fc.sample(arbitraries.retryOptions(), { numRuns: 20, seed: 1 });',
      'for (const o of drawn) retry(o);',
      'const schedule = fc.sample(arbitraries.faultSchedule({ value: 1 }), { numRuns: 1, seed: 2 })[0];',
      'if (typeof scriptedDependency(schedule, new VirtualClock()) !== "function") throw new Error("bad schedule");',
    ];
    writeFileSync(
      join(dir, 'arb.mjs'),
      [
        "import fc from 'fast-check';",
        "import { retry } from 'breakwater';",
        "import { VirtualClock, scriptedDependency } from 'breakwater/testing';",
        "import { arbitraries } from 'breakwater/testing/arbitraries';",
        ...body,
        "console.log('esm arbitraries ok');",
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'arb.cjs'),
      [
        "const fc = require('fast-check');",
        "const { retry } = require('breakwater');",
        "const { VirtualClock, scriptedDependency } = require('breakwater/testing');",
        "const { arbitraries } = require('breakwater/testing/arbitraries');",
        ...body,
        "console.log('cjs arbitraries ok');",
      ].join('\n'),
    );
    expect(run('node', ['arb.mjs'], dir)).toContain('esm arbitraries ok');
    expect(run('node', ['arb.cjs'], dir)).toContain('cjs arbitraries ok');
  });
});

describe('published package, in a consumer without fast-check', () => {
  // What the consumer does with breakwater/testing: a virtual clock, seeded random, a scripted dependency.
  const use = [
    'const clock = new VirtualClock();',
    'let at = -1;',
    'clock.setTimeout(() => (at = clock.now()), 250);',
    'const dep = scriptedDependency({ calls: [Step.slow(100, "late")] }, clock);',
    'const late = dep();',
    'const done = clock.advance(250).then(async () => {',
    '  if (at !== 250 || (await late) !== "late") throw new Error("virtual time broken");',
    '  if (seededRandom(3)() !== seededRandom(3)()) throw new Error("seeded random broken");',
    '  if (typeof watchPipeline !== "function" || typeof describePipeline !== "function") throw new Error("missing exports");',
    '});',
    // Asking breakwater/testing for an arbitrary: a clear error naming fast-check and how to install it.
    'let message = "";',
    'try { arbitraries.retryOptions(); } catch (e) { message = e.message; }',
    'if (!message.includes("npm install --save-dev fast-check") || !message.includes("breakwater/testing/arbitraries")) throw new Error("unclear: " + message);',
  ];

  it('has no fast-check installed (it is an optional peer)', () => {
    expect(existsSync(join(bare, 'node_modules/breakwater/package.json'))).toBe(true);
    expect(existsSync(join(bare, 'node_modules/fast-check'))).toBe(false);
  });

  it('imports breakwater/testing (ESM) and uses VirtualClock; the arbitraries entry fails naming fast-check', () => {
    writeFileSync(
      join(bare, 'esm.mjs'),
      [
        "import { VirtualClock, Step, scriptedDependency, seededRandom, watchPipeline, describePipeline, arbitraries } from 'breakwater/testing';",
        ...use,
        'await done;',
        "const failure = await import('breakwater/testing/arbitraries').then(() => 'loaded', (e) => e.message);",
        "if (!failure.includes(\"'fast-check'\")) throw new Error('unclear import failure: ' + failure);",
        "console.log('esm without fast-check ok');",
      ].join('\n'),
    );
    expect(run('node', ['esm.mjs'], bare)).toContain('esm without fast-check ok');
  });

  it('requires breakwater/testing (CJS) and uses VirtualClock; the arbitraries entry fails naming fast-check', () => {
    writeFileSync(
      join(bare, 'cjs.cjs'),
      [
        "const { VirtualClock, Step, scriptedDependency, seededRandom, watchPipeline, describePipeline, arbitraries } = require('breakwater/testing');",
        ...use,
        'let failure = "loaded";',
        "try { require('breakwater/testing/arbitraries'); } catch (e) { failure = e.message; }",
        "if (!failure.includes(\"'fast-check'\")) throw new Error('unclear require failure: ' + failure);",
        "done.then(() => console.log('cjs without fast-check ok'));",
      ].join('\n'),
    );
    expect(run('node', ['cjs.cjs'], bare)).toContain('cjs without fast-check ok');
  });

  it('type-checks a consumer of breakwater/testing without fast-check (skipLibCheck off: no type refers to fast-check)', () => {
    const source = [
      "import * as testing from 'breakwater/testing';",
      'const clock = new testing.VirtualClock();',
      'const t: number = clock.now();',
      'void t;',
    ].join('\n');
    expect(typeCheck(bare, 'nodenext', source)).toBe('');
  });
});

/**
 * The TypeScript versions a consumer may compile the published types with. The oldest is the
 * first that reads them: breakwater/decorators names `ClassMethodDecoratorContext` (TC39
 * decorators, TypeScript 5.0), `moduleResolution: "bundler"` is 5.0, and fast-check's types
 * need 5.0 too; 4.9 fails. The newest 5.x is the project's own compiler (the tests above);
 * here the newest 6.x and the newest release. Raising the oldest is a breaking change:
 * update README.md ("TypeScript ≥ …") with it.
 */
const typescripts = [
  { alias: 'typescript-oldest', version: '5.0.4' },
  { alias: 'typescript-6', version: '6.0.3' },
  { alias: 'typescript-newest', version: '7.0.2' },
] as const;

describe('published types, with the oldest and the newest TypeScript', () => {
  let compilers = '';
  beforeAll(() => {
    compilers = join(base, 'typescripts');
    mkdirSync(compilers);
    writeFileSync(join(compilers, 'package.json'), JSON.stringify({ name: 'typescripts', version: '1.0.0', private: true }));
    // One install, each version under its own alias; 7.x brings its native compiler as a platform package.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...typescripts.map((t) => `${t.alias}@npm:typescript@${t.version}`)], compilers);
  }, 180_000);

  // What a consumer writes: every entry point, a pipeline, a TC39 method decorator.
  const source = [
    "import { pipeline, retry, timeout, fallback, type ExecutionContext, type Policy } from 'breakwater';",
    "import * as decorators from 'breakwater/decorators';",
    ...specifiers.slice(1).map((s, i) => `import * as sub${i} from '${s}'; void sub${i};`),
    'const p: Policy = pipeline(fallback<number>({ tiers: [0] }), retry({ maxAttempts: 3 }), timeout(100));',
    'const n: Promise<number> = p.execute((ctx: ExecutionContext) => ctx.attempt);',
    'void n;',
    'export class Shop {',
    '  @decorators.retry({ maxAttempts: 2 })',
    '  async buy(item: string): Promise<string> { return item; }',
    '}',
  ].join('\n');

  it('README.md states the oldest supported TypeScript', () => {
    const oldest = typescripts[0].version.split('.').slice(0, 2).join('.');
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`TypeScript ≥ ${oldest}`);
  });

  it.each(typescripts.flatMap((t) => (['nodenext', 'bundler'] as const).map((resolution) => ({ ...t, resolution }))))(
    'type-checks a consumer with TypeScript $version, moduleResolution $resolution',
    ({ alias, version, resolution }) => {
      const tsc = join(compilers, 'node_modules', alias, 'bin', 'tsc');
      expect(run('node', [tsc, '--version'], compilers)).toContain(`Version ${version}`);
      expect(typeCheck(dir, resolution, source, tsc, `-${version}`)).toBe('');
    },
    60_000,
  );
});
