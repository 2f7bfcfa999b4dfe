/**
 * Pins the rules of the aggregator ({@link Metrics}) around what it observes and how it
 * dispatches events: while two observed targets overlap an event is counted the first time
 * it arrives, otherwise every delivery counts (even of a reused event object); observing,
 * disposing (idempotent) and re-observing keeps the overlap bookkeeping exact; a breaker's
 * statistics survive a second observe; live gauges are reference-counted per source, the
 * first source of a name wins; each policy kind counts only its own event types, with
 * defaults for missing reasons; other kinds count only `rejected`; duration buckets are in
 * seconds.
 */
import { describe, expect, it } from 'vitest';
import type { ResilienceEvent, Subscription } from '../core/events';
import { pipeline } from '../core/policy';
import { circuitBreaker } from '../circuit-breaker/circuit-breaker';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { MetricNames } from './names';
import { events, FakeBreaker, FakeBulkhead } from '../../test/support/metrics-fixtures';

/** A hand-made observable policy or pipeline: `deliver(e)` hands `e` to its listeners. */
class Source {
  private listeners: ((e: ResilienceEvent) => void)[] = [];
  constructor(
    readonly name: string,
    readonly policies: readonly object[] = [],
  ) {}
  onEvent(listener: (e: ResilienceEvent) => void): Subscription {
    this.listeners = [...this.listeners, listener];
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }
  deliver(e: ResilienceEvent): void {
    for (const l of this.listeners) l(e);
  }
}

/** Delivers `e` as the core does: to the emitting policy, then to each pipeline holding it. */
function emit(e: ResilienceEvent, policy: Source, ...pipelines: Source[]): void {
  policy.deliver(e);
  for (const p of pipelines) p.deliver(e);
}

/** A custom policy's rejection, a fresh object each time. */
function rejection(clock: VirtualClock): ResilienceEvent {
  return events(clock, { policy: 'quota', pipeline: 'shop' }).of('quota', 'rejected', { reason: 'daily-cap' });
}

/** Total rejections counted. */
function rejected(m: ReturnType<typeof createMetrics>): number {
  return m.snapshot().rejections.reduce((n, r) => n + r.total, 0);
}

describe('observe(): each event counted once, every delivery counted otherwise', () => {
  it('observed alone, a policy that reuses one event object counts every delivery', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const quota = new Source('quota');
    m.observe(quota);
    const e = rejection(clock);
    quota.deliver(e);
    quota.deliver(e);
    quota.deliver(e);
    expect(rejected(m)).toBe(3);
  });

  it('while a pipeline and its policy are both observed an event counts once; after the overlap ends every delivery counts again; a new overlap starts afresh', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const quota = new Source('quota');
    const shop = new Source('shop', [quota]);
    m.observe(shop);
    const sub = m.observe(quota);
    const e = rejection(clock);
    emit(e, quota, shop);
    expect(rejected(m)).toBe(1);
    sub.dispose();
    shop.deliver(e);
    shop.deliver(e);
    expect(rejected(m)).toBe(3);
    m.observe(quota);
    emit(e, quota, shop);
    expect(rejected(m)).toBe(4);
  });

  it('observing, disposing and re-observing a policy of an observed pipeline keeps counting each event once', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const quota = new Source('quota');
    const shop = new Source('shop', [quota]);
    m.observe(shop);
    m.observe(quota).dispose();
    m.observe(quota).dispose();
    m.observe(quota);
    emit(rejection(clock), quota, shop);
    expect(rejected(m)).toBe(1);
  });

  it('observing, disposing and re-observing a real breaker inside an observed pipeline counts each opening once', () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock });
    const shop = pipeline({ name: 'shop', clock }, breaker);
    const m = createMetrics({ clock });
    m.observe(shop);
    m.observe(breaker).dispose();
    m.observe(breaker).dispose();
    m.observe(breaker);
    breaker.isolate();
    expect(m.snapshot().breakers[0]?.openings).toEqual({ isolated: 1 });
  });

  it('disposing a target that shares nothing with an overlap keeps the overlap counting once', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const quota = new Source('quota');
    const shop = new Source('shop', [quota]);
    const other = new Source('other');
    m.observe(shop);
    m.observe(quota);
    m.observe(other).dispose();
    emit(rejection(clock), quota, shop);
    expect(rejected(m)).toBe(1);
  });

  it('an event being delivered counts once even when a listener disposes an unrelated subscription between its two deliveries', () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock });
    const shop = pipeline({ name: 'shop', clock }, breaker);
    const m = createMetrics({ clock });
    m.observe(shop);
    m.observe(breaker);
    const unrelated = m.observe(new Source('other'));
    breaker.onEvent(() => unrelated.dispose()); // runs after metrics heard the breaker, before the pipeline
    breaker.isolate();
    expect(m.snapshot().breakers[0]?.openings).toEqual({ isolated: 1 });
  });
});

describe('observe(): subscriptions and live gauges', () => {
  it('disposing a subscription twice undoes it once: the other subscription still reads the bulkhead', () => {
    const clock = new VirtualClock();
    const pool = new FakeBulkhead('pool', clock);
    const m = createMetrics({ clock });
    const a = m.observe(pool);
    m.observe(pool);
    a.dispose();
    a.dispose();
    expect(m.snapshot().bulkheads.map((b) => b.name)).toEqual(['pool']);
  });

  it('a bulkhead observed twice is read until both subscriptions are disposed', () => {
    const clock = new VirtualClock();
    const pool = new FakeBulkhead('pool', clock);
    const m = createMetrics({ clock });
    const a = m.observe(pool);
    const b = m.observe(pipeline({ name: 'shop', clock }, pool));
    a.dispose();
    expect(m.snapshot().bulkheads.map((x) => x.name)).toEqual(['pool']);
    b.dispose();
    expect(m.snapshot().bulkheads).toEqual([]);
  });

  it('a second bulkhead with a taken name is not read, and disposing it leaves the first one read', () => {
    const clock = new VirtualClock();
    const first = new FakeBulkhead('pool', clock);
    const second = new FakeBulkhead('pool', clock);
    first.stats = { ...first.stats, active: 1 };
    second.stats = { ...second.stats, active: 2 };
    const m = createMetrics({ clock });
    const a = m.observe(first);
    const b = m.observe(second);
    expect(m.snapshot().bulkheads).toMatchObject([{ name: 'pool', active: 1 }]);
    b.dispose();
    expect(m.snapshot().bulkheads).toMatchObject([{ name: 'pool', active: 1 }]);
    a.dispose();
    expect(m.snapshot().bulkheads).toEqual([]);
  });

  it('disposing the first bulkhead of a name removes its gauge even while a second one with that name is observed; then disposing the second is harmless', () => {
    const clock = new VirtualClock();
    const first = new FakeBulkhead('pool', clock);
    const second = new FakeBulkhead('pool', clock);
    const m = createMetrics({ clock });
    const a = m.observe(first);
    const b = m.observe(second);
    a.dispose();
    expect(m.snapshot().bulkheads).toEqual([]);
    expect(() => b.dispose()).not.toThrow();
    expect(m.snapshot().bulkheads).toEqual([]);
  });

  it('observing a breaker again keeps the statistics counted so far', async () => {
    const clock = new VirtualClock();
    const gw = new FakeBreaker('gw', clock);
    const m = createMetrics({ clock });
    m.observe(gw);
    gw.go('open');
    await clock.advance(1000);
    m.observe(pipeline({ name: 'shop', clock }, gw));
    const b = m.snapshot().breakers[0];
    expect(b?.openings).toEqual({ failures: 1 });
    expect(b?.timeInState.open).toBe(1000);
  });

  it('disposing a breaker observed earlier does not stop the live read of another breaker with its name observed later', () => {
    const clock = new VirtualClock();
    const first = new FakeBreaker('gw', clock);
    const second = new FakeBreaker('gw', clock);
    const m = createMetrics({ clock });
    const a = m.observe(first);
    m.observe(second);
    second.state = 'open'; // no event: only a live read sees it
    a.dispose();
    expect(m.snapshot().breakers[0]?.state).toBe('open');
  });
});

describe('record(): each kind counts only its own event types', () => {
  it('an execution event other than executed is no call', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.record(events(clock).of('execution', 'started'));
    expect(m.snapshot().calls).toEqual([]);
  });

  it('a rate limiter limitation without a reason counts as rate-limited-rate', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.record(events(clock, { policy: 'rl' }).of('rate-limiter', 'limited', {}));
    expect(m.snapshot().rejections.map((r) => r.reasons)).toEqual([{ 'rate-limited-rate': 1 }]);
  });

  it('a give-up without a reason counts as unknown; other retry events count nothing but show the retry series', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const r = events(clock, { policy: 'retry' });
    m.record(r.of('retry', 'attempt', { attempt: 1 }));
    expect(m.snapshot().retries).toMatchObject([{ policy: 'retry', retries: 0, giveUps: {}, budgetExhausted: 0 }]);
    m.record(r.of('retry', 'give-up', { attempts: 3 }));
    expect(m.snapshot().retries).toMatchObject([{ policy: 'retry', retries: 0, giveUps: { unknown: 1 }, budgetExhausted: 0 }]);
  });

  it('a timeout event other than timeout counts no timeout', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.record(events(clock, { policy: 'to' }).of('timeout', 'started', {}));
    expect(m.snapshot().timeouts).toEqual([]);
  });

  it('a fallback counts under its tier (0 when missing); other fallback events count no exhaustion', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const f = events(clock, { policy: 'fb' });
    m.record(f.of('fallback', 'fallback', { tier: 2 }));
    m.record(f.of('fallback', 'fallback', {}));
    m.record(f.of('fallback', 'attempt', {}));
    expect(m.snapshot().fallbacks).toMatchObject([{ policy: 'fb', tiers: { '2': 1, '0': 1 }, exhausted: 0 }]);
  });

  it('a chaos event other than injected counts no injection', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.record(events(clock, { policy: 'chaos' }).of('chaos', 'skipped', { fault: 'f', faultKind: 'error' }));
    expect(m.snapshot().injections).toEqual([]);
  });

  it('a breaker rejection without a state counts as circuit-open; an opening without a reason as unknown', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const b = events(clock, { policy: 'gw' });
    m.record(b.of('circuit-breaker', 'rejected', {}));
    m.record(b.of('circuit-breaker', 'opened', { from: 'closed' }));
    const snap = m.snapshot();
    expect(snap.rejections.map((r) => r.reasons)).toEqual([{ 'circuit-open': 1 }]);
    expect(snap.breakers[0]?.openings).toEqual({ unknown: 1 });
    expect(snap.breakers[0]?.state).toBe('open');
  });

  it('a policy of another kind counts only its rejected events, by its reason, else its kind, else other', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.record(events(clock, { policy: 'a' }).of('quota', 'rejected', { reason: 'daily-cap' }));
    m.record(events(clock, { policy: 'b' }).of('quota', 'rejected', {}));
    m.record(events(clock, { policy: 'c' }).of('', 'rejected', {}));
    m.record(events(clock, { policy: 'd' }).of('quota', 'admitted', { reason: 'ok' }));
    expect(m.snapshot().rejections.map((r) => [r.policy, r.reasons])).toEqual([
      ['a', { 'daily-cap': 1 }],
      ['b', { quota: 1 }],
      ['c', { other: 1 }],
    ]);
  });
});

describe('durationBuckets()', () => {
  it('are the exported call-duration bucket bounds, in seconds', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, histogram: { min: 1, max: 10_000 } });
    m.record(events(clock).executed({ duration: 10 }));
    const family = m.collect().find((f) => f.name === MetricNames.callDuration);
    const les = family?.type === 'histogram' ? family.samples[0]?.buckets.map((b) => b.le) : undefined;
    expect(les?.length).toBeGreaterThan(0);
    expect(m.durationBuckets()).toEqual(les);
    expect(Math.max(...m.durationBuckets())).toBeLessThanOrEqual(20);
  });
});
