import { defineConfig } from 'vitest/config';
import base from './vitest.mutation.config';

/**
 * A first pass over `src/core` (stryker.core.config.mjs): only the core's own tests and the
 * semantics and reliability suites. Every test of the project covers the core, so with the
 * whole suite a surviving core mutant runs hundreds of test files (minutes each); here it runs
 * a few dozen. A mutant that survives this pass is not a verdict: run its lines again with the
 * whole mutation suite (`npx stryker run --mutate 'src/core/x.ts:L1-L2'`), which re-tests only
 * those and keeps every other result.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['src/core/**/*.test.ts', 'test/semantics/**/*.test.ts', 'test/reliability/**/*.test.ts'],
  },
});
