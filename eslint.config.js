// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'docs/api/**', 'coverage/**', '.tmp/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-globals': 'off',
    },
  },
  {
    // Build and run scripts written as plain ES modules run on Node.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The library itself must never reach for ambient time or chance: clocks and random are injected.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.test-d.ts', 'src/core/clock.ts', 'src/core/random.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the injected clock.' },
        { object: 'Math', property: 'random', message: 'Use the injected random.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use the injected clock.' },
        { name: 'clearTimeout', message: 'Use the injected clock.' },
        { name: 'setInterval', message: 'Use the injected clock.' },
      ],
    },
  },
  {
    // The library never loads test code: no source file imports fast-check (an optional peer
    // dependency) or anything under test/. Test helpers live in test/support/ (ARCHITECTURE.md).
    files: ['src/**/*.ts'],
    ignores: [
      'src/**/*.test.ts',
      'src/**/*.test-d.ts',
      // The public arbitraries entry (breakwater/testing/arbitraries): its users install fast-check.
      'src/testing/arbitraries.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fast-check', 'fast-check/*'],
              message: 'Only src/testing/arbitraries.ts may import fast-check (an optional peer dependency); test helpers belong in test/support/.',
            },
            {
              regex: '(^|/)test(/|$)',
              message: 'Library code must not import test code; move the helper to test/support/ and import it from tests only.',
            },
          ],
        },
      ],
    },
  },
  {
    // src/testing/arbitraries.ts may import fast-check, but no more test code than any other source file.
    files: ['src/testing/arbitraries.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)test(/|$)', message: 'Library code must not import test code.' }] },
      ],
    },
  },
);
