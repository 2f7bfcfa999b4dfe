// The one entry every runtime runs (Node, Bun, Deno, and the browser bundle): the BUILT
// package through its `exports` map, as a user imports it, then the shared checks. The
// harness puts this file in a scratch consumer next to `entry-points.mjs` (generated from
// the exports map: it imports every entry point) and `checks.js` (test/runtimes/checks.ts,
// bundled); there, node_modules/breakwater is the package (package.json + dist/).
import * as fc from 'fast-check';
import { main } from './checks.js';
import { entryPoints } from './entry-points.mjs';

await main({
  core: entryPoints['breakwater'],
  chaos: entryPoints['breakwater/chaos'],
  metrics: entryPoints['breakwater/metrics'],
  testing: entryPoints['breakwater/testing'],
  decorators: entryPoints['breakwater/decorators'],
  arbitraries: entryPoints['breakwater/testing/arbitraries'],
  fc,
  entryPoints,
});
