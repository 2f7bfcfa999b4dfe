/**
 * Peer-library cases: cockatiel 3 (the four policies composed with `wrap`, and each
 * alone) and opossum 9 (one breaker with and without its timeout).
 *
 * @packageDocumentation
 */
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  bulkhead as cBulkhead,
  circuitBreaker as cCircuitBreaker,
  fallback as cFallback,
  handleAll,
  retry as cRetry,
  timeout as cTimeout,
  wrap as cWrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import type { CallCase } from '../harness';
import type { Workload } from '../fns';

/** Things to shut down at the end (opossum keeps a stats interval per breaker). */
export const peerDisposers: (() => void)[] = [];

/** A cockatiel circuit breaker with the settings of the four-policy `wrap`. */
export function cockatielBreaker(): ReturnType<typeof cCircuitBreaker> {
  return cCircuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
}

/** The cockatiel four-policy composition. */
export function cockatielFour(): ReturnType<typeof cWrap> {
  return cWrap(
    cRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    cockatielBreaker(),
    cTimeout(2000, TimeoutStrategy.Aggressive),
    cBulkhead(64, 64),
  );
}

/** An opossum breaker around `fn`, registered for shutdown. */
export function opossumBreaker<T>(fn: () => Promise<T>, timeout: number | false): CircuitBreaker<[], T> {
  const breaker = new CircuitBreaker<[], T>(fn, { timeout });
  peerDisposers.push(() => breaker.shutdown());
  return breaker;
}

/** Per-call peer cases on the success path for one function variant. */
export function peerCallCases(w: Workload): CallCase[] {
  const fn = w.fn;
  const four = cockatielFour();
  const cr = cRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
  const cb = cockatielBreaker();
  const ct = cTimeout(2000, TimeoutStrategy.Aggressive);
  const cbh = cBulkhead(64, 64);
  const cfb = cFallback(handleAll, 0);
  const oTimed = opossumBreaker(fn, 2000);
  const oUntimed = opossumBreaker(fn, false);
  const g = 'peers';
  return [
    { id: `cockatiel.four@${w.id}`, group: g, label: 'cockatiel `wrap(retry, circuitBreaker, timeout, bulkhead)`', op: () => four.execute(fn) },
    { id: `cockatiel.retry@${w.id}`, group: g, label: 'cockatiel retry', op: () => cr.execute(fn) },
    { id: `cockatiel.circuitBreaker@${w.id}`, group: g, label: 'cockatiel circuitBreaker', op: () => cb.execute(fn) },
    { id: `cockatiel.timeout@${w.id}`, group: g, label: 'cockatiel timeout (aggressive)', op: () => ct.execute(fn) },
    { id: `cockatiel.bulkhead@${w.id}`, group: g, label: 'cockatiel bulkhead', op: () => cbh.execute(fn) },
    { id: `cockatiel.fallback@${w.id}`, group: g, label: 'cockatiel fallback', op: () => cfb.execute(fn) },
    { id: `opossum.timeout@${w.id}`, group: g, label: 'opossum breaker `{ timeout: 2000 }`', op: () => oTimed.fire() },
    { id: `opossum.noTimeout@${w.id}`, group: g, label: 'opossum breaker `{ timeout: false }`', op: () => oUntimed.fire() },
  ];
}
