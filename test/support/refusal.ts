import { expect } from 'vitest';
import { OptionsValidationError } from '../../src/core/errors';

/** Runs `fn`, which must throw an {@link OptionsValidationError}, and returns that error. */
export function refusal(fn: () => unknown): OptionsValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsValidationError);
    return error as OptionsValidationError;
  }
  throw new Error('expected an OptionsValidationError');
}
