/**
 * The partition key of a call, shared by the partitioned policies (bulkhead, adaptive
 * concurrency limit): the user's key function, contained.
 *
 * @packageDocumentation
 */
import type { ExecutionContext } from './context';
import type { Outcome } from './outcome';

/**
 * @internal The key `keyOf` gives the call `ctx`, or the failed outcome that rejects the call
 * without running it: the function's own error when it throws, a `TypeError` naming `owner`
 * when it returns anything but a string.
 */
export function partitionKey(ctx: ExecutionContext, keyOf: (ctx: ExecutionContext) => unknown, owner: string): string | Outcome {
  let key: unknown;
  try {
    key = keyOf(ctx);
  } catch (error) {
    return { ok: false, error };
  }
  if (typeof key === 'string') return key;
  return { ok: false, error: new TypeError(`${owner}: the partition key function returned ${typeof key}, expected a string`) };
}
