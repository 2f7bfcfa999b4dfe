/**
 * For tests of what a module builds when it loads (an options schema, a defaults table):
 * such code runs once per module instance, so a test that wants to see it run imports the
 * module anew. Used by the `options.mutants.test.ts` files (issue #23: a mutant in a schema
 * only switches on when the module loads).
 *
 * @packageDocumentation
 */
import { expect, vi } from 'vitest';
import { isOptionsValidationError, type ValidationIssue } from '../../src/core/errors';

/**
 * Imports a module anew: `vi.resetModules()`, then `load()` (a dynamic `import()` written in
 * the test file, so its path is relative to the test).
 *
 * @example
 * ```ts
 * const { timeout } = await freshModule<typeof import('./timeout')>(() => import('./timeout'));
 * ```
 */
export async function freshModule<T>(load: () => Promise<unknown>): Promise<T> {
  vi.resetModules();
  return (await load()) as T;
}

/**
 * The message of the error `make` throws; fails when it throws nothing. A fresh copy of a
 * module has its own error classes, so tests compare the text, not the class.
 */
export function messageOf(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the options to be rejected');
}

/**
 * The issues of the `OptionsValidationError` that `make` throws; fails when it throws
 * nothing or another error. Recognised by brand, so a fresh copy's error qualifies too.
 */
export function issuesOf(make: () => unknown): readonly ValidationIssue[] {
  try {
    make();
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as { issues: readonly ValidationIssue[] }).issues;
  }
  throw new Error('expected the options to be rejected');
}
