/**
 * Rules of `ConcurrencyLimitedError` fixed when `errors.ts` loads, read from a fresh load of
 * the module (issue #23, mutation testing): the two brands are the registered symbols every
 * copy of the package shares (`breakwater.error`, `breakwater.concurrencyLimited`), and the
 * prototype's `name` is set like an Error's.
 */
import { describe, expect, it } from 'vitest';
import { freshModule } from '../../test/support/fresh-module';
import type * as Errors from './errors';

/** The errors module, loaded again so that its module-level code runs in this test. */
async function fresh(): Promise<typeof Errors> {
  return freshModule<typeof Errors>(() => import('./errors'));
}

describe('ConcurrencyLimitedError (of a fresh load)', () => {
  it('brands its errors with the registered symbols that another copy of the package looks for, and recognizes them', async () => {
    const { ConcurrencyLimitedError, isConcurrencyLimitedError } = await fresh();
    const brands = { [Symbol.for('breakwater.error')]: true, [Symbol.for('breakwater.concurrencyLimited')]: true };
    for (const e of [ConcurrencyLimitedError.create('db', 'full', 1), new ConcurrencyLimitedError('db', 'full', 1)]) {
      expect(e).toMatchObject(brands);
    }
    expect(isConcurrencyLimitedError(brands)).toBe(true);
    expect(isConcurrencyLimitedError({ [Symbol.for('')]: true })).toBe(false);
  });

  it('names the class on its prototype: writable, configurable, not enumerable', async () => {
    const { ConcurrencyLimitedError } = await fresh();
    expect(Object.getOwnPropertyDescriptor(ConcurrencyLimitedError.prototype, 'name')).toEqual({
      value: 'ConcurrencyLimitedError',
      writable: true,
      configurable: true,
      enumerable: false,
    });
  });
});
