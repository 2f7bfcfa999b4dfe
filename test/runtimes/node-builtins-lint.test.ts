/**
 * The lint rule that keeps the platform-neutral entry points neutral (eslint.config.js): a
 * library source file under src/ that imports a Node built-in, in any form, is an error;
 * tests, test helpers and relative imports that merely share a built-in's name are not.
 * Run through ESLint's own API with the project's configuration, on planted snippets.
 */
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
/** Words of the rule's message (the same for every form of the import). */
const MESSAGE = 'must not import a Node built-in';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

interface Finding {
  readonly rules: readonly (string | null)[];
  readonly fatal: readonly string[];
}

/** Lints `code` as if it were the file `path` of the repository; returns the Node-built-in findings. */
async function lint(path: string, code: string): Promise<Finding> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  const messages = result?.messages ?? [];
  return {
    rules: messages.filter((m) => m.message.includes(MESSAGE)).map((m) => m.ruleId),
    fatal: messages.filter((m) => m.fatal === true).map((m) => m.message),
  };
}

/** Every neutral unit of src/, one file each (the entry points and the code they reach). */
const NEUTRAL_FILES = [
  'src/index.ts',
  'src/core/planted.ts',
  'src/retry/planted.ts',
  'src/circuit-breaker/planted.ts',
  'src/timeout/planted.ts',
  'src/bulkhead/planted.ts',
  'src/fallback/planted.ts',
  'src/rate-limiter/planted.ts',
  'src/chaos/planted.ts',
  'src/chaos/experiment/planted.ts',
  'src/metrics/planted.ts',
  'src/decorators/planted.ts',
  'src/testing/planted.ts',
  'src/testing/arbitraries.ts',
  'src/redis/planted.ts',
];

describe('no Node built-in in library code (eslint.config.js)', () => {
  it.each(NEUTRAL_FILES)('a planted `node:events` import in %s is an error', async (path) => {
    const found = await lint(path, "import { EventEmitter } from 'node:events';\nexport const bus = new EventEmitter();\n");
    expect(found.fatal).toEqual([]);
    expect(found.rules).toEqual(['no-restricted-imports']);
  });

  it.each([
    ['a bare built-in name', "import { readFileSync } from 'fs';\nexport const read = readFileSync;\n", 'no-restricted-imports'],
    ['a built-in subpath', "import { readFile } from 'fs/promises';\nexport const read = readFile;\n", 'no-restricted-imports'],
    ['a bare subpath with a prefix', "import { posix } from 'node:path/posix';\nexport const p = posix;\n", 'no-restricted-imports'],
    ['a type-only import', "import type { IncomingMessage } from 'node:http';\nexport type Req = IncomingMessage;\n", 'no-restricted-imports'],
    ['a re-export', "export { setTimeout as sleep } from 'node:timers/promises';\n", 'no-restricted-imports'],
    ['an export-all', "export * from 'events';\n", 'no-restricted-imports'],
    ['a dynamic import', "export const load = () => import('node:crypto');\n", 'no-restricted-syntax'],
    ['a bare dynamic import', "export const load = () => import('worker_threads');\n", 'no-restricted-syntax'],
    ['an import-equals require', "import os = require('os');\nexport const cpus = os.cpus;\n", 'no-restricted-syntax'],
    ['an import type expression', "export type Server = import('node:http').Server;\n", 'no-restricted-syntax'],
    ['a require() call', "export const fs = require('fs');\n", 'no-restricted-syntax'],
  ])('%s is an error', async (_what, code, rule) => {
    const found = await lint('src/metrics/planted.ts', code);
    expect(found.fatal).toEqual([]);
    expect(found.rules).toContain(rule);
  });

  it.each([
    ['a test beside the code', 'src/core/planted.test.ts', "import { EventEmitter } from 'node:events';\nexport const bus = new EventEmitter();\n"],
    ['a type test beside the code', 'src/core/planted.test-d.ts', "import type { Server } from 'node:http';\nexport type S = Server;\n"],
    ['a test helper', 'test/support/planted.ts', "import { spawn } from 'node:child_process';\nexport const run = spawn;\n"],
    ['relative modules named like built-ins', 'src/core/planted.ts', "import { x } from './events';\nimport { y } from '../http';\nexport const z = [x, y];\n"],
    ['a package whose name starts like a built-in', 'src/core/planted.ts', "import fsExtra from 'fs-extra';\nimport source from 'eventsource';\nexport const z = [fsExtra, source];\n"],
    ['the arbitraries importing fast-check', 'src/testing/arbitraries.ts', "import fc from 'fast-check';\nexport const a = fc.integer();\n"],
  ])('%s is allowed', async (_what, path, code) => {
    const found = await lint(path, code);
    expect(found.fatal).toEqual([]);
    expect(found.rules).toEqual([]);
  });

  it('the runtime checks follow the same rule (they run in Bun, Deno and browsers too)', async () => {
    const found = await lint('test/runtimes/checks-planted.ts', "import { performance } from 'node:perf_hooks';\nexport const now = performance.now;\n");
    expect(found.rules).toEqual(['no-restricted-imports']);
  });
});
