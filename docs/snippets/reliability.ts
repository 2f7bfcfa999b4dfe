/**
 * Snippets of docs/reliability.md: checking breakwater's guarantees in your own tests,
 * and what happens when your callbacks throw.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { circuitBreaker, fallback, pipeline, retry, timeout } from '../../src/index';
import { VirtualClock } from '../../src/testing/index';

// --- settle-check ---
it('every call settles and leaves no timer behind', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), async (failures) => {
      const clock = new VirtualClock();
      const policy = pipeline(
        retry({ clock, maxAttempts: 3, delay: 100 }),
        timeout({ clock, duration: 1_000 }),
      );
      let settled = 0;
      for (const fails of failures) {
        const call = policy.execute(() => (fails ? Promise.reject(new Error('down')) : 'ok'));
        call.then(
          () => settled++,
          () => settled++,
        );
      }
      await clock.runAll(); // retries and timeouts run in virtual time
      expect(settled).toBe(failures.length); // nothing hung
      expect(clock.pending).toBe(0); // no timer outlives its call
    }),
  );
});
// --- end settle-check ---

// --- abort ---
export async function loadProfile(userId: string, request: { signal: AbortSignal }): Promise<unknown> {
  const policy = pipeline(retry({ maxAttempts: 3 }), timeout(2_000));
  // The caller's signal ends every retry sleep at once; the function gets it through
  // ctx.signal and must pass it on, or a running attempt is waited for (until the timeout).
  return policy.execute(
    (ctx) => fetch(`https://profiles.example/${userId}`, { signal: ctx.signal }).then((r) => r.json()),
    { signal: request.signal },
  );
}
// --- end abort ---

// --- callbacks ---
const breaker = circuitBreaker({
  failureThreshold: 5,
  // A predicate that throws counts as "not handled": the error passes through and the
  // breaker does not count it. Keep predicates total.
  handle: (error) => (error as { status?: number }).status === 503,
  // A recoveryTimeout function that throws or returns a bad number falls back to the
  // default (60 s); the error is reported with console.error.
  recoveryTimeout: (opens) => Math.min(60_000, 1_000 * 2 ** opens),
});
breaker.on('opened', (e) => {
  // A listener that throws is reported; the other listeners and the call go on.
  console.warn(`${e.policy} opened (${e.reason}); retry after ${e.retryAfter} ms`);
});
export const guarded = pipeline(fallback({ tiers: [() => 'cached value', 'default'] }), breaker);
// --- end callbacks ---
