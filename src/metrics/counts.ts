/**
 * Small helpers for counters kept in maps.
 *
 * @packageDocumentation
 */

/** @internal Adds `by` to the count of `key`. */
export function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** @internal The counts as a plain record, in insertion order. */
export function toRecord(map: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of map) out[k] = v;
  return out;
}

/** @internal `v` when it is a non-empty string, else `fallback`. */
export function str(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.length > 0 ? v : fallback;
}
