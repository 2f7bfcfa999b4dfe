import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts'],
    typecheck: {
      enabled: true,
      include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
      // Source errors are the type-check step's job (`npm run typecheck`); here only type tests count.
      ignoreSourceErrors: true,
    },
    testTimeout: 20_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
