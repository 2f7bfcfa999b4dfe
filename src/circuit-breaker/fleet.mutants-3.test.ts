/**
 * A rule of fleet.ts that its mutation run (issue #23) found unpinned: `isBreakerFleet`, a
 * check of an unknown value, answers `false` for every primitive (`undefined` included)
 * instead of throwing on a property read.
 */
import { describe, expect, it } from 'vitest';
import { isBreakerFleet } from './fleet';

describe('isBreakerFleet on primitives', () => {
  it('is false for undefined, a number, a boolean, a symbol and a bigint, and never throws', () => {
    for (const value of [undefined, 0, true, Symbol('fleet'), 1n]) expect(isBreakerFleet(value)).toBe(false);
  });
});
