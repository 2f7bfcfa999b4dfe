// The "Keep client errors out of the breaker" recipe of docs/recipes.md (its ts block is
// copied from here). test/recipe-client-errors.test.ts runs this very pipeline against an
// open breaker and proves it makes zero retries.
import { circuitBreaker, pipeline, retry } from '../../src/index';

// --8<-- [start:client-errors]
class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

// A 404 or a 422 says nothing about the dependency's health: do not let it trip the breaker,
// and do not retry it either. An open circuit is not retried whatever `handle` says
// (`retryRejections` is off by default): its BrokenCircuitError fails the call at once.
const isServerSide = (e: unknown): boolean => !(e instanceof HttpError) || e.status >= 500;
const profiles = pipeline(
  retry({ maxAttempts: 3, handle: isServerSide }),
  circuitBreaker({ name: 'profile-api', failureThreshold: 5, handle: isServerSide }),
);
// --8<-- [end:client-errors]

export { HttpError, isServerSide, profiles };
