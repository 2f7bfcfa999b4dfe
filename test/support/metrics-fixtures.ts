/**
 * @internal Test helpers of the metrics tests: tiny scripted policies and a populated
 * aggregator. Not exported from the package.
 */
import type { ExecutionContext, Labels } from '../../src/core/context';
import { BrokenCircuitError, BulkheadRejectedError, ChaosInjectedError, TimeoutError } from '../../src/core/errors';
import type { EventPayload, ExecutedEvent, ResilienceEvent } from '../../src/core/events';
import { StrategyPolicy, type Done, type Link } from '../../src/core/policy';
import type { Metrics } from '../../src/metrics/aggregator';
import type { MetricsSnapshot } from '../../src/metrics/snapshot';
import type { CircuitState } from '../../src/core/circuit-states';
import type { VirtualClock } from '../../src/testing/virtual-clock';

/** What a scripted strategy does for one call. */
export type Script = (ctx: ExecutionContext, link: Link, done: Done) => void;

/** A policy whose strategy is a test script; `emitNow` emits a detached event. */
export class ScriptedPolicy extends StrategyPolicy<ResilienceEvent> {
  constructor(
    kind: string,
    name: string,
    clock: VirtualClock,
    private readonly script: Script = (ctx, link, done) => link.next(ctx, done),
  ) {
    super({ kind, name, clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    this.script(ctx, link, done);
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
  emitNow(payload: Record<string, unknown>): void {
    this.emitDetached(payload as unknown as EventPayload<ResilienceEvent>);
  }
}

/** A breaker-shaped scripted policy: `state` is read live by metrics. */
export class FakeBreaker extends ScriptedPolicy {
  state: CircuitState = 'closed';
  constructor(name: string, clock: VirtualClock, script?: Script) {
    super('circuit-breaker', name, clock, script);
  }
  /** Moves to `to` and emits the matching event, as a real breaker would. */
  go(to: CircuitState, reason?: string): void {
    const from = this.state;
    this.state = to;
    if (to === 'open' || to === 'isolated') this.emitNow({ type: 'opened', reason: reason ?? (to === 'isolated' ? 'isolated' : 'failures'), from, retryAfter: 1000 });
    else if (to === 'half-open') this.emitNow({ type: 'half-opened' });
    else this.emitNow({ type: 'closed', reason: reason ?? 'probes-succeeded', from });
  }
}

/** A bulkhead-shaped scripted policy with settable `stats`. */
export class FakeBulkhead extends ScriptedPolicy {
  stats = { active: 0, queued: 0, maxConcurrent: 4, maxQueue: 8 };
  constructor(name: string, clock: VirtualClock, script?: Script) {
    super('bulkhead', name, clock, script);
  }
}

/** Builds synthetic events on `clock`. */
export function events(clock: VirtualClock, base: { policy?: string; pipeline?: string; operation?: string; labels?: Labels } = {}) {
  const common = (): Omit<ResilienceEvent, 'kind' | 'type'> => ({
    policy: base.policy ?? 'p',
    pipeline: base.pipeline,
    operation: base.operation ?? 'op',
    labels: base.labels ?? {},
    time: clock.now(),
  });
  return {
    executed(fields: Partial<ExecutedEvent> = {}): ExecutedEvent {
      return {
        ...common(),
        kind: 'execution',
        type: 'executed',
        duration: 10,
        ok: true,
        error: undefined,
        attempts: 1,
        fallback: false,
        injected: false,
        cancelled: false,
        ...fields,
      };
    },
    of(kind: string, type: string, fields: Record<string, unknown> = {}): ResilienceEvent {
      return { ...common(), kind, type, ...fields } as ResilienceEvent;
    },
  };
}

/**
 * Feeds a scripted timeline into `metrics` covering every metric family: calls of every
 * outcome (one operation with awkward characters), retries, give-ups, budget exhaustion,
 * a timeout, fallbacks, injections, and a breaker that opens, half-opens, reopens and
 * closes. Ends at t = 20 s.
 */
export async function populate(metrics: Metrics, clock: VirtualClock): Promise<void> {
  const pay = events(clock, { policy: 'payments', pipeline: 'payments', operation: 'payment.charge' });
  const odd = events(clock, { policy: 'payments', pipeline: 'payments', operation: 'we"ird\\op\nname' });
  metrics.record(pay.executed({ duration: 12 }));
  metrics.record(pay.executed({ duration: 250 }));
  metrics.record(pay.executed({ duration: 5, ok: true, fallback: true }));
  metrics.record(pay.executed({ duration: 3, ok: false, error: new Error('boom') }));
  metrics.record(pay.executed({ duration: 1, ok: false, error: new BrokenCircuitError('gateway', 'open', 500) }));
  metrics.record(pay.executed({ duration: 1, ok: false, error: new BulkheadRejectedError('pool', 'full') }));
  // The refusing policies' own events, which resilience_call_rejections_total counts.
  metrics.record(events(clock, { policy: 'gateway', pipeline: 'payments', operation: 'payment.charge' }).of('circuit-breaker', 'rejected', { state: 'open', retryAfter: 500 }));
  metrics.record(events(clock, { policy: 'pool', pipeline: 'payments', operation: 'payment.charge' }).of('bulkhead', 'rejected', { reason: 'full', partition: undefined, active: 4, queued: 8 }));
  metrics.record(pay.executed({ duration: 2000, ok: false, error: new TimeoutError(2000) }));
  metrics.record(pay.executed({ duration: 7, ok: false, error: new ChaosInjectedError('gateway-down'), injected: true }));
  metrics.record(pay.executed({ duration: 30, ok: false, error: new Error('aborted'), cancelled: true }));
  metrics.record(odd.executed({ duration: 90_000 }));
  const retry = events(clock, { policy: 'retry', pipeline: 'payments', operation: 'payment.charge' });
  metrics.record(retry.of('retry', 'retry', { attempt: 1, delay: 100, error: new Error('x') }));
  metrics.record(retry.of('retry', 'retry', { attempt: 2, delay: 200, error: new Error('x') }));
  metrics.record(retry.of('retry', 'give-up', { attempts: 3, reason: 'max-attempts', error: new Error('x') }));
  metrics.record(retry.of('retry', 'budget-exhausted', { attempt: 1 }));
  metrics.record(events(clock, { policy: 'timeout', pipeline: 'payments', operation: 'payment.charge' }).of('timeout', 'timeout', { duration: 2000, effective: 2000 }));
  const fb = events(clock, { policy: 'fallback', pipeline: 'payments', operation: 'payment.charge' });
  metrics.record(fb.of('fallback', 'fallback', { tier: 0, failure: new Error('x') }));
  metrics.record(fb.of('fallback', 'exhausted', { errors: [] }));
  metrics.record(events(clock, { policy: 'chaos', pipeline: 'payments', operation: 'payment.charge' }).of('chaos', 'injected', { fault: 'gateway-down', faultKind: 'error' }));
  const br = events(clock, { policy: 'gateway', pipeline: 'payments', operation: 'payment.charge' });
  metrics.record(br.of('circuit-breaker', 'opened', { reason: 'failures', from: 'closed', retryAfter: 5000 }));
  await clock.advanceTo(5_000);
  metrics.record(br.of('circuit-breaker', 'half-opened'));
  await clock.advanceTo(6_000);
  metrics.record(br.of('circuit-breaker', 'opened', { reason: 'probe-failed', from: 'half-open', retryAfter: 5000 }));
  await clock.advanceTo(11_000);
  metrics.record(br.of('circuit-breaker', 'half-opened'));
  await clock.advanceTo(12_000);
  metrics.record(br.of('circuit-breaker', 'closed', { reason: 'probes-succeeded', from: 'half-open' }));
  await clock.advanceTo(20_000);
}

/** A snapshot with no series at all: spread a hand-written part over it. */
export const EMPTY_SNAPSHOT: MetricsSnapshot = {
  time: 0,
  calls: [],
  rejections: [],
  admissions: [],
  retries: [],
  timeouts: [],
  fallbacks: [],
  injections: [],
  breakers: [],
  bulkheads: [],
  rateLimiters: [],
  hedging: [],
  limitChanges: [],
  concurrencyLimits: [],
  dropped: { operations: 0, labelSets: 0 },
};
