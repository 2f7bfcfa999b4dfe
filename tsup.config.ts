import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'chaos/index': 'src/chaos/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'redis/index': 'src/redis/index.ts',
    'tracing/index': 'src/tracing/index.ts',
    'decorators/index': 'src/decorators/index.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/arbitraries': 'src/testing/arbitraries.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: false,
  splitting: true,
  treeshake: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['fast-check'],
});
