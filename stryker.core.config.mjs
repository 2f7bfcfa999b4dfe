// @ts-check
/**
 * A first pass over core files (docs/mutation-testing.md, "Core files"): the same settings as
 * stryker.config.mjs, with the tests of vitest.mutation-core.config.ts (the core's own,
 * semantics and reliability). Run it on some core files, then the survivors' lines with the
 * default config:
 *
 *   npx stryker run stryker.core.config.mjs --mutate 'src/core/queue.ts,src/core/heap.ts'
 *   npx stryker run --mutate 'src/core/queue.ts:40-44'
 */
import config from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...config,
  vitest: { ...config.vitest, configFile: 'vitest.mutation-core.config.ts' },
  mutate: config.mutate?.filter((file) => file.startsWith('src/core/')),
};
