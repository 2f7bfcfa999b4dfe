/**
 * @internal One live instance of each class the library allocates on a call's hot path,
 * kept for the life of the process.
 *
 * Why: optimized code refers to the hidden classes ("maps") it was specialised for only
 * weakly. When no instance of a class is alive at a full (mark-compact) collection, V8
 * drops the maps its constructor made and deoptimizes every function specialised on them
 * (`--trace-deopt`: "weak objects"). A service between two bursts of traffic has no call
 * in flight, so each full GC would cost the next 20 000–60 000 calls two to five times
 * their time while they re-optimize (measured on Node 20). One instance that never dies
 * keeps the maps, so a full GC costs nothing afterwards. Object literals are not affected:
 * their maps are held by their allocation sites.
 *
 * The instance must be built like the hot ones (same constructor, same field order, the
 * widest number representation a field will hold: a double, not a small integer).
 *
 * @packageDocumentation
 */

/**
 * Where the instances live: a global slot, not a module array, because a bundler's tree
 * shaking removes pushes into an array that nothing reads (tsup did: the anchors were gone
 * from the build). Symbol-keyed, so no enumeration of `globalThis` sees it.
 */
// Stryker disable next-line StringLiteral: equivalent — any registered key holds the instances: nothing but keepShape reads the slot
const SLOT = Symbol.for('breakwater.keptShapes');

/** @internal Keeps `instance` alive for ever (see the module comment) and returns it. */
export function keepShape<T extends object>(instance: T): T {
  const g = globalThis as { [SLOT]?: object[] };
  let kept = g[SLOT];
  if (kept === undefined) {
    kept = [];
    Object.defineProperty(globalThis, SLOT, { value: kept, configurable: true });
  }
  kept.push(instance);
  return instance;
}
