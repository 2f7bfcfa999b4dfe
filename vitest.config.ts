import { defineConfig } from 'vitest/config';

/**
 * Tests that time real processes against each other: the runtime suite (Bun, Deno, Chromium),
 * the tests on a real redis-server (child processes, killed and paused servers, store
 * timeouts), the game-server drills (HTTP load with client timeouts) and the Chromium trend
 * check. Starved of CPU by the rest of the suite on a two-core machine, their timings lie, so
 * they run after it, one file at a time.
 */
const REAL_TIME = [
  'test/runtimes/**/*.test.ts',
  'test/redis/**/*.test.ts',
  'src/redis/**/*.test.ts',
  'examples/game-server/drill.test.ts',
  'test/chaos/trend-chromium.test.ts',
  'test/chaos/schedule-exit.test.ts',
];

const ALL = ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ALL,
          exclude: ['**/node_modules/**', ...REAL_TIME],
          typecheck: {
            enabled: true,
            include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
            // Source errors are the type-check step's job (`npm run typecheck`); here only type tests count.
            ignoreSourceErrors: true,
          },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'real-time',
          include: REAL_TIME,
          // One fork runs these files one after the other.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
