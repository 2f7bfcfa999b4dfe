/**
 * Issue #15 item 1: the "Keep client errors out of the breaker" recipe of docs/recipes.md,
 * run as written (its code is imported from the snippet the page copies), against an open
 * breaker: zero retries, zero calls of the function, and a failure without any sleep.
 */
import { describe, expect, it, vi } from 'vitest';
import { HttpError, profiles } from '../docs/snippets/recipe-client-errors';
import { isBrokenCircuitError, type CircuitBreakerPolicy } from '../src/index';

describe('recipe: keep client errors out of the breaker', () => {
  it('makes zero retries and fails fast while the breaker is open', async () => {
    const breaker = profiles.policies[1] as CircuitBreakerPolicy;
    const retries: unknown[] = [];
    const sub = profiles.onEvent((e) => {
      if (e.kind === 'retry') retries.push(e);
    });
    try {
      // A 404 is the caller's problem: not retried, not counted by the breaker.
      const notFound = vi.fn(() => Promise.reject(new HttpError(404)));
      await expect(profiles.execute(notFound)).rejects.toBeInstanceOf(HttpError);
      expect(notFound).toHaveBeenCalledTimes(1);
      // Five server errors straight at the breaker open it (no retry involved, no sleep).
      for (let i = 0; i < 5; i++) await breaker.execute(() => Promise.reject(new HttpError(503))).catch(() => undefined);
      expect(breaker.state).toBe('open');

      const fn = vi.fn(() => 'profile');
      for (let i = 0; i < 100; i++) {
        const call = profiles.execute(fn).then(
          () => 'resolved',
          (e: unknown) => (isBrokenCircuitError(e) ? 'rejected' : e),
        );
        // Settles before the next macrotask: no backoff timer was armed (a retry sleep would be one).
        const first = await Promise.race([call, new Promise((resolve) => setImmediate(() => resolve('still pending')))]);
        expect(first).toBe('rejected');
      }
      expect(fn).not.toHaveBeenCalled();
      expect(retries).toEqual([]); // neither `retry` nor `give-up`
    } finally {
      sub.dispose();
      breaker.reset();
    }
  });
});
