// @ts-check
/**
 * A first pass over one folder (docs/mutation-testing.md, "A first pass on a folder's own
 * tests"): the settings of stryker.config.mjs, with the tests of
 * vitest.mutation-first-pass.config.ts (the folder's own, plus the semantics and reliability
 * suites). `MUTATION_FOLDER` names the folder (default `core`). Run it on some files, then the
 * survivors' lines with the default config:
 *
 *   MUTATION_FOLDER=metrics npx stryker run stryker.first-pass.config.mjs --mutate 'src/metrics/histogram.ts'
 *   npx stryker run --mutate 'src/metrics/histogram.ts:40-44'
 */
import config, { MUTATED_FOLDERS } from './stryker.config.mjs';

// vitest.mutation-first-pass.config.ts reads the same variable in the runner processes.
const folder = process.env['MUTATION_FOLDER'] ?? 'core';
if (!MUTATED_FOLDERS.includes(folder)) {
  throw new Error(`MUTATION_FOLDER: got "${folder}", expected one of ${MUTATED_FOLDERS.join(', ')}`);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...config,
  vitest: { ...config.vitest, configFile: 'vitest.mutation-first-pass.config.ts' },
  mutate: config.mutate?.filter((file) => file.startsWith(`src/${folder}/`)),
};
