import { defineConfig } from 'vitest/config';
import base from './vitest.mutation.config';

/**
 * The folder a first pass mutates (stryker.first-pass.config.mjs): `MUTATION_FOLDER`, default
 * `core`. Read again in Stryker's runner processes, which inherit the variable.
 */
export function firstPassFolder(): string {
  return process.env['MUTATION_FOLDER'] ?? 'core';
}

/**
 * A first pass over one folder of `src` (stryker.first-pass.config.mjs): only the folder's own
 * tests (`src/<folder>` and `test/<folder>`) and the semantics and reliability suites. Many
 * tests of the project cover a folder's code through the examples, the docs and the other
 * folders (every test covers the core), so with the whole suite a surviving mutant runs
 * dozens or hundreds of test files (minutes each); here it runs a few. A mutant that survives
 * this pass is not a verdict: run its lines again with the whole mutation suite
 * (`npx stryker run --mutate 'src/x/y.ts:L1-L2'`), which re-tests only those and keeps every
 * other result.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      `src/${firstPassFolder()}/**/*.test.ts`,
      `test/${firstPassFolder()}/**/*.test.ts`,
      'test/semantics/**/*.test.ts',
      'test/reliability/**/*.test.ts',
    ],
  },
});
