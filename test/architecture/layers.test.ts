/**
 * The dependency rules of ARCHITECTURE.md, enforced on every non-test source file of `src/`:
 * which layer may import which, which modules may import anything outside the library, how
 * long a source file may be, and that no test helper lives under `src/`.
 *
 * The rules are pure functions over a table of files and their imports, so the first block
 * checks that each rule catches what it is written to catch; the second applies them to the
 * real tree. The allowlists are meant to shrink: an entry that is no longer needed fails the
 * test until it is removed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// ------------------------------------------------------------------ the rules (ARCHITECTURE.md)

/** The policies: one folder each, importing `core` only (and their own folder). */
const POLICIES = ['retry', 'circuit-breaker', 'timeout', 'bulkhead', 'fallback', 'rate-limiter', 'hedging', 'adaptive-concurrency'];

/**
 * What each unit may import besides itself. A unit is a folder directly under `src/`, or
 * `index` for `src/index.ts`. A folder missing here fails the test: place it in a layer
 * (here and in ARCHITECTURE.md) when you add it.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  core: [],
  ...Object.fromEntries(POLICIES.map((p) => [p, ['core']])),
  chaos: ['core'],
  metrics: ['core'],
  decorators: ['core', ...POLICIES],
  testing: ['core', ...POLICIES, 'chaos'],
  index: ['core', ...POLICIES],
  redis: ['core'],
  tracing: ['core'],
};

/**
 * What each unit may import with `import type` / `export type` besides {@link MAY_IMPORT}:
 * erased at build time, these load no code. Metrics dispatches on the typed event unions of
 * the policies and of chaos without depending on their code.
 */
const MAY_IMPORT_TYPES: Readonly<Record<string, readonly string[]>> = {
  metrics: [...POLICIES, 'chaos'],
  // breakwater/redis implements the seams the policies and chaos declare (the rate-limit
  // store, the breaker's fleet link, chaos's fleet switch) by their types, loading no policy code.
  redis: [...POLICIES, 'chaos'],
  // Tracing reads the typed events of the policies and of chaos to annotate spans.
  tracing: [...POLICIES, 'chaos'],
};

/**
 * The only imports from outside `src/` a non-test source file may make (file → specifiers).
 * The library has no runtime dependency and runs on Node, Bun, Deno and browsers, so there
 * is no `node:` import: a Node-only module would be listed here by name. Today there is
 * none (the Prometheus HTTP handler types `node:http` structurally).
 */
const EXTERNAL_ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // The public arbitraries entry; fast-check is its users' optional peer dependency.
  'src/testing/arbitraries.ts': ['fast-check'],
};

/** The longest a non-test source file may be. */
const MAX_LINES = 500;

/**
 * Source files allowed over {@link MAX_LINES} for now, each with the work that shrinks it.
 * Remove an entry when its file gets under the limit (the test says when).
 */
const OVERSIZED_ALLOWED: Readonly<Record<string, string>> = {
};

/**
 * Test helpers still under `src/`, each being moved to `test/support/`. Remove an entry when
 * its file is gone.
 */
const TEST_HELPERS_ALLOWED: Readonly<Record<string, string>> = {};

/** One import or export-from of a file; `typeOnly` for `import type` / `export type` (erased at build). */
interface Import {
  readonly spec: string;
  readonly typeOnly: boolean;
}

/** A source file as the rules see it: its path from the repository root, imports and length. */
interface SourceFile {
  readonly path: string;
  readonly imports: readonly Import[];
  readonly lines: number;
}

/** The unit of a file: its first folder under `src/`, or `index` for a file directly in `src/`. */
function unitOf(path: string): string {
  const parts = path.split('/');
  return parts.length === 2 ? 'index' : (parts[1] as string);
}

/** Resolves a relative specifier of `from` to a repository path without extension. */
function resolveRelative(from: string, specifier: string): string {
  return join(dirname(from), specifier).split('\\').join('/');
}

/** Layer violations: imports of a unit that the importer's layer may not use, or of files outside `src/`. */
function layerViolations(files: readonly SourceFile[], helpers = TEST_HELPERS_ALLOWED): string[] {
  const out: string[] = [];
  for (const f of files) {
    // A test helper waiting to move to test/support/ is test code: it may use the testing layer.
    if (helpers[f.path] !== undefined) continue;
    const unit = unitOf(f.path);
    const allowed = MAY_IMPORT[unit];
    if (allowed === undefined) {
      out.push(`${f.path}: src/${unit}/ is in no layer (add it to MAY_IMPORT and ARCHITECTURE.md)`);
      continue;
    }
    const types = MAY_IMPORT_TYPES[unit] ?? [];
    for (const { spec, typeOnly } of f.imports) {
      if (!spec.startsWith('.')) continue;
      const target = resolveRelative(f.path, spec);
      if (!target.startsWith('src/')) {
        out.push(`${f.path}: imports ${spec}, outside src/ (library code never imports test code or scripts)`);
        continue;
      }
      const to = unitOf(target);
      if (to === unit || allowed.includes(to)) continue;
      if (typeOnly && types.includes(to)) continue;
      out.push(`${f.path}: ${unit} may not import ${types.includes(to) ? 'code from ' : ''}${to} (${spec})`);
    }
  }
  return out;
}

/** Imports of packages or Node built-ins that {@link EXTERNAL_ALLOWED} does not list. */
function externalViolations(files: readonly SourceFile[], allowed = EXTERNAL_ALLOWED): string[] {
  const out: string[] = [];
  for (const f of files) {
    for (const { spec } of f.imports) {
      if (spec.startsWith('.')) continue;
      if (!(allowed[f.path] ?? []).includes(spec)) out.push(`${f.path}: imports ${spec}`);
    }
  }
  return out;
}

/** Files over the limit and not allowed, and allowlist entries no longer needed. */
function sizeViolations(files: readonly SourceFile[], allowed = OVERSIZED_ALLOWED, max = MAX_LINES): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (f.lines > max && allowed[f.path] === undefined) out.push(`${f.path}: ${f.lines} lines (at most ${max}; split it by responsibility)`);
  }
  for (const path of Object.keys(allowed)) {
    const f = files.find((x) => x.path === path);
    if (f === undefined || f.lines <= max) out.push(`${path}: allowed over ${max} lines but is ${f === undefined ? 'gone' : `${f.lines} lines`}; remove it from OVERSIZED_ALLOWED`);
  }
  return out;
}

/** The name of a test helper: `test-*.ts`, `*-test-*.ts`, `*helpers.ts`, `*fixtures.ts`, `*support.ts`, `*test-driver.ts`. */
const HELPER_NAME = /(^|-)(test|tests|helpers?|fixtures?|support|mocks?|stubs?)(-|\.ts$)/;

/**
 * Test helpers under `src/`: files named like one, and files that no entry point reaches
 * (only tests use them). Plus allowlist entries no longer needed.
 */
function helperViolations(files: readonly SourceFile[], entries: readonly string[], allowed = TEST_HELPERS_ALLOWED): string[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const reached = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    if (reached.has(path)) continue;
    reached.add(path);
    for (const { spec } of byPath.get(path)?.imports ?? []) {
      if (!spec.startsWith('.')) continue;
      const target = resolveRelative(path, spec);
      for (const candidate of [`${target}.ts`, `${target}/index.ts`]) if (byPath.has(candidate)) stack.push(candidate);
    }
  }
  const out: string[] = [];
  for (const f of files) {
    if (allowed[f.path] !== undefined) continue;
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    if (HELPER_NAME.test(name)) out.push(`${f.path}: a test helper under src/ (move it to test/support/)`);
    else if (!reached.has(f.path)) out.push(`${f.path}: no package entry point imports it (a test helper belongs in test/support/; dead code goes)`);
  }
  for (const path of Object.keys(allowed)) {
    if (!byPath.has(path)) out.push(`${path}: gone from src/; remove it from TEST_HELPERS_ALLOWED`);
  }
  return out;
}

// ------------------------------------------------------------------ reading the tree

const root = resolve(__dirname, '../..');

function isTestFile(name: string): boolean {
  return name.endsWith('.test.ts') || name.endsWith('.test-d.ts');
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !isTestFile(name)) out.push(p);
  }
  return out;
}

/**
 * Every import, export-from, dynamic `import()` and `require()` of a file, type-only ones
 * included, read from the syntax tree: no false hit from comments or strings.
 */
function importsOf(text: string): Import[] {
  const source = ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ spec: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ spec: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push({ spec: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0] as ts.Node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isImport || isRequire) out.push({ spec: (node.arguments[0] as ts.StringLiteral).text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ spec: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function readSources(): SourceFile[] {
  return walk(join(root, 'src')).map((abs) => {
    const text = readFileSync(abs, 'utf8');
    return {
      path: relative(root, abs).split('\\').join('/'),
      imports: importsOf(text),
      lines: text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length,
    };
  });
}

/** The package's entry points, as tsup builds them. */
function entryPoints(): string[] {
  const config = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
  return [...config.matchAll(/'(src\/[^']+\.ts)'/g)].map((m) => m[1] as string);
}

// ------------------------------------------------------------------ the rules catch what they should

/** A synthetic file; an import written `type:./x` is type-only. */
const file = (path: string, imports: string[] = [], lines = 10): SourceFile => ({
  path,
  imports: imports.map((i) => (i.startsWith('type:') ? { spec: i.slice(5), typeOnly: true } : { spec: i, typeOnly: false })),
  lines,
});

describe('the dependency rules catch violations', () => {
  it('a policy importing another policy, core importing up, an unplaced folder, an import out of src/', () => {
    expect(
      layerViolations([
        file('src/retry/retry.ts', ['../core/policy', './backoff', '../circuit-breaker/index']),
        file('src/core/policy.ts', ['./context', '../metrics/aggregator']),
        file('src/chaos/experiment/runner.ts', ['../../core/clock', '../../timeout/index']),
        file('src/metrics/aggregator.ts', ['../../test/support/test-strategies', 'type:../retry/events', 'type:../chaos/events', '../circuit-breaker/events']),
        file('src/telemetry/exporter.ts', ['../core/policy']),
        file('src/decorators/shorthand.ts', ['../retry/index', '../core/policy']),
        file('src/index.ts', ['./core/clock', './chaos/index']),
        file('src/circuit-breaker/test-driver.ts', ['../testing/virtual-clock']),
        file('src/retry/retry-driver.ts', ['../testing/virtual-clock']),
        // An allowlisted helper (below) is exempt; the same kind of file that is not, is not.
      ], { 'src/circuit-breaker/test-driver.ts': 'x' }),
    ).toEqual([
      'src/retry/retry.ts: retry may not import circuit-breaker (../circuit-breaker/index)',
      'src/core/policy.ts: core may not import metrics (../metrics/aggregator)',
      'src/chaos/experiment/runner.ts: chaos may not import timeout (../../timeout/index)',
      'src/metrics/aggregator.ts: imports ../../test/support/test-strategies, outside src/ (library code never imports test code or scripts)',
      'src/metrics/aggregator.ts: metrics may not import code from circuit-breaker (../circuit-breaker/events)',
      'src/telemetry/exporter.ts: src/telemetry/ is in no layer (add it to MAY_IMPORT and ARCHITECTURE.md)',
      'src/index.ts: index may not import chaos (./chaos/index)',
      'src/retry/retry-driver.ts: retry may not import testing (../testing/virtual-clock)',
    ]);
  });

  it('a package or node: import that is not listed', () => {
    expect(
      externalViolations([
        file('src/metrics/prometheus.ts', ['node:http']),
        file('src/testing/arbitraries.ts', ['fast-check']),
        file('src/testing/scripted-dependency.ts', ['fast-check']),
        file('src/core/clock.ts', ['./heap']),
      ]),
    ).toEqual(['src/metrics/prometheus.ts: imports node:http', 'src/testing/scripted-dependency.ts: imports fast-check']);
  });

  it('a file over the limit, and an allowlist entry that is no longer needed', () => {
    expect(
      sizeViolations([file('src/a/big.ts', [], 501), file('src/a/ok.ts', [], 500), file('src/a/listed.ts', [], 900), file('src/a/shrunk.ts', [], 400)], {
        'src/a/listed.ts': 'x',
        'src/a/shrunk.ts': 'x',
        'src/a/gone.ts': 'x',
      }),
    ).toEqual([
      'src/a/big.ts: 501 lines (at most 500; split it by responsibility)',
      'src/a/shrunk.ts: allowed over 500 lines but is 400 lines; remove it from OVERSIZED_ALLOWED',
      'src/a/gone.ts: allowed over 500 lines but is gone; remove it from OVERSIZED_ALLOWED',
    ]);
  });

  it('a test helper by name, a file no entry point reaches, and a stale allowlist entry', () => {
    expect(
      helperViolations(
        [
          file('src/index.ts', ['./retry/index']),
          file('src/retry/index.ts', ['./retry']),
          file('src/retry/retry.ts', ['./backoff', '../core/policy']),
          file('src/retry/backoff.ts'),
          file('src/core/policy.ts'),
          file('src/retry/test-helpers.ts', ['./backoff']),
          file('src/bulkhead/test-support.ts'),
          file('src/retry/model.ts', ['./backoff']),
          file('src/circuit-breaker/test-driver.ts'),
        ],
        ['src/index.ts'],
        { 'src/circuit-breaker/test-driver.ts': 'x', 'src/metrics/test-fixtures.ts': 'x' },
      ),
    ).toEqual([
      'src/retry/test-helpers.ts: a test helper under src/ (move it to test/support/)',
      'src/bulkhead/test-support.ts: a test helper under src/ (move it to test/support/)',
      'src/retry/model.ts: no package entry point imports it (a test helper belongs in test/support/; dead code goes)',
      'src/metrics/test-fixtures.ts: gone from src/; remove it from TEST_HELPERS_ALLOWED',
    ]);
  });

  it('imports are read from code only, never from comments or strings', () => {
    const text = [
      '/** @example',
      " * import { createServer } from 'node:http';",
      ' */',
      "// import fc from 'fast-check';",
      "const hint = \"write `import { arbitraries } from 'breakwater/testing/arbitraries'`\";",
      "import type { Clock } from './clock';",
      "import { type Random } from './random';",
      "export { heap } from './heap';",
      "export type { Outcome } from './outcome';",
      "const lazy = () => import('./lazy');",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { spec: './clock', typeOnly: true },
      // Kept by verbatimModuleSyntax as `import {} from './random'`: it loads the module.
      { spec: './random', typeOnly: false },
      { spec: './heap', typeOnly: false },
      { spec: './outcome', typeOnly: true },
      { spec: './lazy', typeOnly: false },
    ]);
  });
});

// ------------------------------------------------------------------ the rules hold in src/

describe('src/ follows the dependency rules of ARCHITECTURE.md', () => {
  const sources = readSources();

  it('reads the whole tree', () => {
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.some((f) => f.path === 'src/core/policy.ts')).toBe(true);
    for (const entry of entryPoints()) expect(existsSync(join(root, entry)), entry).toBe(true);
  });

  it('each layer imports only what ARCHITECTURE.md allows: core nothing, a policy core only, no policy another', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  it('no package or node: import outside the listed modules (no runtime dependency)', () => {
    expect(externalViolations(sources)).toEqual([]);
  });

  it(`no source file over ${MAX_LINES} lines outside the shrinking allowlist`, () => {
    expect(sizeViolations(sources)).toEqual([]);
  });

  it('no test helper under src/ outside the shrinking allowlist', () => {
    expect(helperViolations(sources, entryPoints())).toEqual([]);
  });
});
