// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The platform-neutral entry points, i.e. every source file of src/ (core, the policies, chaos,
// metrics, decorators, testing, redis), run on Node, Bun, Deno and browsers: none may load a
// Node built-in, by `node:` specifier or by bare name ('fs', 'events', 'http', 'fs/promises'…),
// not even for types. The runtime suite (test/runtimes/) runs them on all four.
const nodeBuiltinNames = builtinModules.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
const nodeBuiltinSource = `^(node:.*|(${nodeBuiltinNames})(/.*)?)$`;
const nodeBuiltinMessage =
  'breakwater runs on Node, Bun, Deno and browsers: library code must not import a Node built-in (type Node APIs structurally, take them from the caller, or read globals defensively).';
/** For no-restricted-imports: static imports, `import type` and `export … from`. */
const noNodeBuiltins = { regex: nodeBuiltinSource, message: nodeBuiltinMessage };
/** The same pattern as an esquery regex literal, whose body may not contain a slash. */
const nodeBuiltinSelectorRegex = `/${nodeBuiltinSource.replaceAll('/', '\\x2F')}/`;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'docs/api/**', 'coverage/**', '.tmp/**', '.stryker-tmp/**', '**/*.js', '**/*.cjs'] },
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
            noNodeBuiltins,
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
        { patterns: [{ regex: '(^|/)test(/|$)', message: 'Library code must not import test code.' }, noNodeBuiltins] },
      ],
    },
  },
  {
    // No Node built-in in library code, in the forms no-restricted-imports does not see:
    // import('…'), `import x = require('…')`, `typeof import('…')` types, and require() itself.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.test-d.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression > Literal.source[value=${nodeBuiltinSelectorRegex}]`, message: nodeBuiltinMessage },
        { selector: `TSExternalModuleReference > Literal[value=${nodeBuiltinSelectorRegex}]`, message: nodeBuiltinMessage },
        { selector: `TSImportType > Literal.source[value=${nodeBuiltinSelectorRegex}]`, message: nodeBuiltinMessage },
        { selector: "CallExpression[callee.type='Identifier'][callee.name='require']", message: `Library code is an ES module: no require(). ${nodeBuiltinMessage}` },
      ],
    },
  },
  {
    // The runtime suite's checks run inside Bun, Deno and browsers too: the same rule.
    files: ['test/runtimes/checks*.ts', 'test/runtimes/library.ts', 'test/support/runtime-assert.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noNodeBuiltins] }],
    },
  },
);
