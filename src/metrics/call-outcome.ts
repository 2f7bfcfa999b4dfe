/**
 * The single outcome of an executed call, and the reason label of a rejection.
 *
 * @packageDocumentation
 */
import { isBrokenCircuitError, isBulkheadRejectedError, isChaosInjectedError, isExecutionRejectedError, isRateLimitedError, isTimeoutError } from '../core/errors';
import type { ExecutedEvent } from '../core/events';
import type { CallOutcome } from './names';

/** @internal The single outcome of an executed call (see `CallOutcomes`: the first that applies). */
export function callOutcome(e: ExecutedEvent): CallOutcome {
  if (e.cancelled) return 'cancelled';
  if (e.ok) return e.fallback ? 'fallback' : 'success';
  if (e.injected || isChaosInjectedError(e.error)) return 'injected';
  if (isExecutionRejectedError(e.error)) return 'rejected';
  if (isTimeoutError(e.error)) return 'timeout';
  return 'failure';
}

/** @internal The reason label of a call that ended rejected: `circuit-open`, `bulkhead-full`… */
export function rejectionReason(error: unknown): string {
  if (isBrokenCircuitError(error)) return `circuit-${error.state}`;
  if (isBulkheadRejectedError(error)) return `bulkhead-${error.reason}`;
  if (isRateLimitedError(error)) return `rate-limited-${error.reason}`;
  if (isConcurrencyLimited(error)) return `concurrency-limited-${error.reason}`;
  return 'other';
}

/** The brand of an adaptive concurrency limit's rejection (a registered symbol: any copy of the package). */
const CONCURRENCY_LIMITED = Symbol.for('breakwater.concurrencyLimited');

/** A `ConcurrencyLimitedError`, read by its brand (metrics loads no policy code). */
function isConcurrencyLimited(error: unknown): error is { readonly reason: string } {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[CONCURRENCY_LIMITED] === true && typeof (error as { reason?: unknown }).reason === 'string';
}
