import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant (`npm run mutate`, stryker.config.mjs): the
 * unit tests of vitest.config.ts and nothing that times real processes or reads the source
 * text. Stryker runs them in a sandbox copy whose mutated files are instrumented (every
 * mutant compiled in, switched on one at a time), so a test that measures or parses source
 * files, builds the package or times a child process would fail or say nothing there.
 */
const LEFT_OUT = [
  // The real-time project of vitest.config.ts: runtimes, real redis-server, drills, Chromium.
  'test/runtimes/**',
  'test/redis/**',
  'src/redis/**',
  'examples/game-server/drill.test.ts',
  'test/chaos/trend-chromium.test.ts',
  'test/chaos/schedule-exit.test.ts',
  // Read the source text or the docs (line counts, imports, NaN flags, code blocks): the
  // instrumented sandbox copy is not the source they check.
  'test/architecture/**',
  'test/docs.test.ts',
  'test/no-nan-flags.test.ts',
  'test/ops/**',
  'src/testing/fast-check-optional.test.ts',
  // Run the built package (dist/) or real HTTP servers, not the mutated source.
  'test/package.test.ts',
  'test/api-report.test.ts',
  'test/reliability/exit.test.ts',
  'test/docs-real-clients.test.ts',
];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts'],
    exclude: ['**/node_modules/**', '.stryker-tmp/**', ...LEFT_OUT],
    testTimeout: 20_000,
    // Type tests (*.test-d.ts) are the TypeScript checker's job here, not the runner's.
    typecheck: { enabled: false },
    // One worker: Stryker's vitest runner asks for one thread per runner process, and the
    // machine is shared (stryker.config.mjs sets how many runner processes there are).
    pool: 'threads',
    poolOptions: { threads: { singleThread: true } },
  },
});
