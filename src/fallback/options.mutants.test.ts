/**
 * The option schemas of the fallback policy and of its `lastKnownGood` tier, and the tier's
 * cross-copy brand, read from a fresh load of the modules (issue #23): schemas and brand are
 * built when the modules load, so these tests import them anew (`vi.resetModules()`) and
 * check each rule on that copy: what is accepted (`Infinity` where documented), what is
 * refused, and what the error says is expected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, messageOf } from '../../test/support/fresh-module';
import type * as Fallbacks from './fallback';
import type * as Caches from './last-known-good';

/** The fallback and lastKnownGood modules, loaded again so that their schemas are built in this test. */
async function fresh(): Promise<{ fallback: typeof Fallbacks.fallback } & typeof Caches> {
  const [{ fallback }, caches] = await freshModule<[typeof Fallbacks, typeof Caches]>(() => Promise.all([import('./fallback'), import('./last-known-good')]));
  return { fallback, ...caches };
}

const TIERS_EXPECTED = 'an array of at least 1 function, a lastKnownGood() tier or a constant item(s)';

describe('fallback options (schema of a fresh load)', () => {
  it('accepts every documented option', async () => {
    const { fallback, lastKnownGood } = await fresh();
    const p = fallback<string>({
      tiers: [lastKnownGood({ maxAge: 10 }), () => 'mirror', 'stale'],
      handle: () => true,
      handleResult: () => false,
      name: 'prices',
    });
    expect(p.name).toBe('prices');
    await expect(p.execute(() => Promise.reject(new Error('down')))).resolves.toBe('mirror');
  });

  it('refuses an empty list of tiers and says what tiers may hold', async () => {
    const { fallback } = await fresh();
    expect(messageOf(() => fallback({ tiers: [] }))).toBe(`Invalid fallback options: expected \`tiers\` to be ${TIERS_EXPECTED}, got array(0)`);
  });

  it('refuses unknown keys', async () => {
    const { fallback } = await fresh();
    expect(messageOf(() => fallback({ tiers: [1], teirs: [2] } as never))).toBe('Invalid fallback options: unknown option `teirs`');
  });
});

describe('lastKnownGood options (schema of a fresh load)', () => {
  it('accepts every documented option, Infinity for maxAge included', async () => {
    const { lastKnownGood } = await fresh();
    const forever = lastKnownGood({ maxAge: Infinity, key: () => 'k', maxEntries: 3 });
    expect([forever.maxAge, forever.maxEntries]).toEqual([Infinity, 3]);
    expect(lastKnownGood({ maxAge: 0.5 }).maxAge).toBe(0.5);
  });

  it('refuses a maxAge of 0 (it must be > 0) and says what it expects', async () => {
    const { lastKnownGood } = await fresh();
    expect(messageOf(() => lastKnownGood({ maxAge: 0 }))).toBe(
      'Invalid lastKnownGood options: expected `maxAge` to be a duration in ms > 0 (or Infinity), got 0',
    );
  });

  it('says what key must be when it is not a function', async () => {
    const { lastKnownGood } = await fresh();
    expect(messageOf(() => lastKnownGood({ maxAge: 1, key: 'player' as never }))).toBe(
      'Invalid lastKnownGood options: expected `key` to be a function of the context returning a string, got "player"',
    );
  });

  it('property: a maxAge is accepted exactly when it is > 0 (or Infinity)', async () => {
    const { lastKnownGood } = await fresh();
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constantFrom(0, -0, Infinity, -Infinity, Number.MIN_VALUE)),
        (maxAge) => {
          const make = (): unknown => lastKnownGood({ maxAge });
          if (maxAge > 0) expect(make).not.toThrow();
          else expect(make).toThrow('expected `maxAge` to be a duration in ms > 0 (or Infinity)');
        },
      ),
    );
  });
});

describe('the lastKnownGood brand (fresh load)', () => {
  it('is the global symbol breakwater.lastKnownGood, so a tier from another copy of the library is recognised', async () => {
    const { isLastKnownGood, lastKnownGood } = await fresh();
    expect(isLastKnownGood({ [Symbol.for('breakwater.lastKnownGood')]: true })).toBe(true);
    expect(isLastKnownGood({ [Symbol.for('')]: true })).toBe(false);
    expect(isLastKnownGood(lastKnownGood({ maxAge: 1 }))).toBe(true);
  });
});
