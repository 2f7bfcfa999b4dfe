import type fc from 'fast-check';
import { describe, expectTypeOf, it } from 'vitest';
import type { RetryOptions } from '../retry/options';
import { arbitraries } from './arbitraries';
import * as testing from './index';

describe('arbitraries types', () => {
  it('breakwater/testing/arbitraries has the arbitraries; breakwater/testing only a stand-in that does not type-check', () => {
    expectTypeOf(arbitraries.retryOptions()).toEqualTypeOf<fc.Arbitrary<RetryOptions>>();
    expectTypeOf(testing.arbitraries).toBeNever();
    // @ts-expect-error: the arbitraries moved to breakwater/testing/arbitraries
    testing.arbitraries.retryOptions();
  });
});
