/**
 * keepShape (core/shapes.ts) keeps every instance it is given alive for ever: each one stays
 * reachable from the one symbol-keyed global slot, not only the latest one.
 */
import { describe, expect, it } from 'vitest';
import { keepShape } from './shapes';

/** The global symbol-keyed array that holds `instance`, if any. */
function slotHolding(instance: object): unknown[] | undefined {
  for (const key of Object.getOwnPropertySymbols(globalThis)) {
    const value: unknown = (globalThis as Record<symbol, unknown>)[key];
    if (Array.isArray(value) && value.includes(instance)) return value;
  }
  return undefined;
}

describe('keepShape', () => {
  it('returns the instance and keeps it, with every instance kept before it, in one global slot', () => {
    const first = { kept: 'first' };
    const second = { kept: 'second' };
    expect(keepShape(first)).toBe(first);
    expect(keepShape(second)).toBe(second);
    const slot = slotHolding(second);
    expect(slot).toBeDefined();
    expect(slot).toContain(first);
    expect(slotHolding(first)).toBe(slot);
  });
});
