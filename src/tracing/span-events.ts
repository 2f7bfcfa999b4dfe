/**
 * How the events of the policies become span events: their name, attributes and which span
 * they belong to. Pure functions of the event; the call trace (`call-trace.ts`) decides the
 * spans' lives.
 *
 * @packageDocumentation
 */
import type { ChaosEvent } from '../chaos/events';
import type { CircuitBreakerEvent } from '../circuit-breaker/events';
import { ErrorCodes } from '../core/errors';
import type { ResilienceEvent } from '../core/events';
import type { BulkheadEvent } from '../bulkhead/events';
import type { FallbackEvent } from '../fallback/events';
import type { HedgingEvent } from '../hedging/events';
import type { RateLimiterEvent } from '../rate-limiter/events';
import type { RetryEvent } from '../retry/events';
import type { TimeoutEvent } from '../timeout/events';
import type { TracingAttributeMap } from './api';
import { TracingAttributes as A, TracingEvents as N } from './attributes';

/**
 * @internal Where a span event goes: the call span; the open span of the event's attempt
 * (else the call span); or the span of the event's attempt, opened by the event when the
 * attempt has none yet (the attempt's first sign: a fault, a queue, a rejection).
 */
export type EventPlace = 'call' | 'attempt' | 'opens-attempt';

/** @internal A span event to add, and what it says about its attempt. */
export interface SpanEventSpec {
  readonly name: string;
  readonly attributes: TracingAttributeMap;
  readonly place: EventPlace;
  /** Set for a refusal: the attempt will not run its function (status message, `error.type`). */
  readonly rejection?: { readonly message: string; readonly errorType: string | undefined };
}

function spec(e: ResilienceEvent, name: string, place: EventPlace, attributes: TracingAttributeMap): SpanEventSpec {
  return { name, place, attributes: { [A.policy]: e.policy, ...attributes } };
}

function rejection(e: ResilienceEvent, name: string, attributes: TracingAttributeMap, message: string, errorType: string | undefined): SpanEventSpec {
  return { name, place: 'opens-attempt', attributes: { [A.policy]: e.policy, ...attributes }, rejection: { message, errorType } };
}

/** Copies `value` under `key` when it is a string, a finite number (an isolated breaker's `Infinity` is left out) or a boolean. */
function put(out: TracingAttributeMap, key: string, value: unknown): TracingAttributeMap {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[key] = value;
  return out;
}

/**
 * @internal The span event of `e`, or `undefined` for events a trace does not show (a
 * breaker's per-call `success` / `failure`, a rate limiter's `admitted`, a limit change,
 * fleet events, and events of kinds it does not know).
 */
export function spanEventOf(e: ResilienceEvent): SpanEventSpec | undefined {
  switch (e.kind) {
    case 'retry':
      return retryEvent(e as RetryEvent);
    case 'circuit-breaker':
      return breakerEvent(e as CircuitBreakerEvent);
    case 'bulkhead': {
      const b = e as BulkheadEvent;
      if (b.type === 'queued') return spec(b, N.bulkheadQueued, 'opens-attempt', put({}, A.partition, b.partition));
      const attrs = put({ [A.reason]: b.reason }, A.partition, b.partition);
      return rejection(b, N.bulkheadRejected, attrs, `bulkhead "${b.policy}" rejected the attempt (${b.reason})`, ErrorCodes.bulkheadRejected);
    }
    case 'rate-limiter': {
      const r = e as RateLimiterEvent;
      if (r.type === 'queued') return spec(r, N.rateLimitQueued, 'opens-attempt', put({ [A.delay]: r.delay }, A.partition, r.partition));
      if (r.type !== 'limited') return undefined;
      const attrs = put({ [A.reason]: r.reason, [A.retryAfter]: r.retryAfter }, A.partition, r.partition);
      return rejection(r, N.rateLimited, attrs, `rate limiter "${r.policy}" refused the attempt (${r.reason})`, ErrorCodes.rateLimited);
    }
    case 'adaptive-concurrency': {
      // Read structurally: the adaptive limit's event types are not imported here.
      const c = e as ResilienceEvent & { readonly reason?: unknown; readonly partition?: unknown };
      if (c.type === 'queued') return spec(c, N.concurrencyQueued, 'opens-attempt', put({}, A.partition, c.partition));
      if (c.type !== 'rejected') return undefined;
      const attrs = put(put({}, A.reason, c.reason), A.partition, c.partition);
      return rejection(c, N.concurrencyRejected, attrs, `concurrency limit "${c.policy}" refused the attempt (${String(c.reason)})`, undefined);
    }
    case 'timeout': {
      const t = e as TimeoutEvent;
      return spec(t, N.timeout, 'attempt', { [A.timeout]: t.duration, [A.timeoutEffective]: t.effective });
    }
    case 'fallback': {
      const f = e as FallbackEvent;
      if (f.type === 'fallback') return spec(f, N.fallback, 'call', { [A.fallbackTier]: f.tier });
      return spec(f, N.fallbackExhausted, 'call', {});
    }
    case 'chaos': {
      const c = e as ChaosEvent;
      return spec(c, N.chaosInjected, 'opens-attempt', put({ [A.fault]: c.fault, [A.faultKind]: c.faultKind }, A.delay, c.delay));
    }
    case 'hedging':
      return hedgingEvent(e as HedgingEvent);
    default:
      return undefined;
  }
}

function retryEvent(r: RetryEvent): SpanEventSpec {
  switch (r.type) {
    case 'retry':
      return spec(r, N.retry, 'call', put({ [A.attempt]: r.attempt, [A.delay]: r.delay }, A.errorType, r.error === undefined ? undefined : errorType(r.error)));
    case 'give-up':
      return spec(r, N.giveUp, 'call', { [A.attempts]: r.attempts, [A.reason]: r.reason });
    case 'budget-exhausted':
      return spec(r, N.retryBudgetExhausted, 'call', { [A.attempt]: r.attempt });
  }
}

function breakerEvent(b: CircuitBreakerEvent): SpanEventSpec | undefined {
  switch (b.type) {
    case 'opened':
      return spec(b, N.circuitOpened, 'call', put({ [A.reason]: b.reason, [A.state]: b.from }, A.retryAfter, b.retryAfter));
    case 'half-opened':
      return spec(b, N.circuitHalfOpened, 'call', {});
    case 'closed':
      return spec(b, N.circuitClosed, 'call', { [A.reason]: b.reason, [A.state]: b.from });
    case 'rejected':
      return rejection(
        b,
        N.circuitRejected,
        put({ [A.state]: b.state }, A.retryAfter, b.retryAfter),
        `circuit "${b.policy}" rejected the attempt (${b.state})`,
        ErrorCodes.brokenCircuit,
      );
    default:
      return undefined;
  }
}

function hedgingEvent(h: HedgingEvent): SpanEventSpec | undefined {
  switch (h.type) {
    case 'hedge':
      return spec(h, N.hedge, 'call', { [A.attempt]: h.attempt, [A.hedgeTrigger]: h.trigger, [A.delay]: h.delay });
    case 'hedge-won':
      return spec(h, N.hedgeWon, 'call', { [A.attempt]: h.attempt, [A.attempts]: h.attempts });
    case 'hedge-budget-exhausted':
      return spec(h, N.hedgeBudgetExhausted, 'call', { [A.attempt]: h.attempt });
    default:
      return undefined; // losers: their attempt spans end as `lost`
  }
}

/**
 * @internal The `error.type` of a failure: its `code` when it has a string one (breakwater's
 * errors, Node's system errors), else its name or class name, else `_OTHER`.
 */
export function errorType(error: unknown): string {
  if ((typeof error === 'object' || typeof error === 'function') && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
    const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '') return ctor;
  }
  return '_OTHER';
}
