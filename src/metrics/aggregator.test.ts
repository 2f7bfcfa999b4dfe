import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokenCircuitError, BulkheadRejectedError, ChaosInjectedError, isOptionsValidationError, TimeoutError } from '../core/errors';
import { pipeline } from '../core/policy';
import { bulkhead } from '../bulkhead/bulkhead';
import { circuitBreaker } from '../circuit-breaker/circuit-breaker';
import { fallback } from '../fallback/fallback';
import { retry } from '../retry/retry';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import type { CircuitState } from '../core/circuit-states';
import { CallOutcomes, OVERFLOW_VALUE } from './names';
import type { CallRecord } from './snapshot';
import { events, FakeBreaker, FakeBulkhead, populate, ScriptedPolicy } from '../../test/support/metrics-fixtures';

const S = 1000;

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('createMetrics: options', () => {
  it('rejects every bad field at once', () => {
    const e = errorOf(() =>
      createMetrics({ availabilityWindow: 0, maxOperations: -1, labelKeys: ['region', 'operation', '9x', 'region'], nope: 1 } as never),
    );
    expect(isOptionsValidationError(e)).toBe(true);
    expect(e.message).toMatch(/availabilityWindow/);
    expect(e.message).toMatch(/maxOperations/);
    expect(e.message).toMatch(/nope/);
    const e2 = errorOf(() => createMetrics({ labelKeys: ['region', 'operation', '9x', 'region', '__x'] }));
    expect(e2.message).toMatch(/labelKeys\[1\]`.*other than/);
    expect(e2.message).toMatch(/labelKeys\[2\]`/);
    expect(e2.message).toMatch(/labelKeys\[3\]`.*twice/);
    expect(e2.message).toMatch(/labelKeys\[4\]`/);
    expect(errorOf(() => createMetrics({ histogram: { min: 5, max: 1 } })).message).toMatch(/`histogram\.max`/);
    expect(errorOf(() => createMetrics({ histogram: { bucketsPerDoubling: 0 } })).message).toMatch(/`histogram\.bucketsPerDoubling`/);
    expect(errorOf(() => createMetrics({ availabilityBuckets: 1.5 })).message).toMatch(/availabilityBuckets/);
  });
});

describe('calls by outcome', () => {
  it('gives each executed call exactly one outcome, with rejection reasons', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const e = events(clock, { policy: 'api', pipeline: 'api' });
    m.record(e.executed({ ok: true }));
    m.record(e.executed({ ok: true, fallback: true }));
    m.record(e.executed({ ok: true, injected: true })); // latency injected, still a success
    m.record(e.executed({ ok: false, error: new Error('x') }));
    m.record(e.executed({ ok: false, error: new BrokenCircuitError('b', 'open', 10) }));
    m.record(e.executed({ ok: false, error: new BrokenCircuitError('b', 'half-open', 0) }));
    m.record(e.executed({ ok: false, error: new BulkheadRejectedError('k', 'queue-timeout') }));
    m.record(e.executed({ ok: false, error: new TimeoutError(100) }));
    m.record(e.executed({ ok: false, error: new Error('x'), injected: true }));
    m.record(e.executed({ ok: false, error: new ChaosInjectedError('f') }));
    m.record(e.executed({ ok: false, error: new TimeoutError(100), cancelled: true }));
    const [c] = m.snapshot().calls;
    expect(c?.outcomes).toEqual({ success: 2, fallback: 1, failure: 1, rejected: 3, timeout: 1, injected: 2, cancelled: 1 });
    expect(c?.total).toBe(11);
    expect(c?.rejections).toEqual({ 'circuit-open': 1, 'circuit-half-open': 1, 'bulkhead-queue-timeout': 1 });
    expect(c?.pipeline).toBe('api');
    expect(c?.duration.count).toBe(11);
  });

  it('property: outcome counts sum to the number of executed events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ok: fc.boolean(), fallback: fc.boolean(), injected: fc.boolean(), cancelled: fc.boolean(), kind: fc.integer({ min: 0, max: 3 }) }), { maxLength: 60 }),
        (calls) => {
          const clock = new VirtualClock();
          const m = createMetrics({ clock });
          const e = events(clock);
          for (const c of calls) {
            const error = [new Error('x'), new TimeoutError(1), new BrokenCircuitError('b', 'open', 1), new ChaosInjectedError('f')][c.kind];
            m.record(e.executed({ ok: c.ok, fallback: c.fallback, injected: c.injected, cancelled: c.cancelled, error: c.ok ? undefined : error }));
          }
          const snap = m.snapshot().calls[0];
          const sum = snap === undefined ? 0 : CallOutcomes.reduce((a, o) => a + snap.outcomes[o], 0);
          expect(sum).toBe(calls.length);
          expect(snap?.outcomes.cancelled ?? 0).toBe(calls.filter((c) => c.cancelled).length);
        },
      ),
    );
  });

  it('notifies onCall listeners', () => {
    const clock = new VirtualClock(5);
    const m = createMetrics({ clock });
    const seen: CallRecord[] = [];
    const sub = m.onCall((c) => seen.push(c));
    m.record(events(clock, { policy: 'a' }).executed({ ok: false, error: new BulkheadRejectedError('k', 'full'), duration: 3 }));
    sub.dispose();
    m.record(events(clock, { policy: 'a' }).executed());
    expect(seen).toEqual([{ pipeline: '', policy: 'a', operation: 'op', labels: {}, outcome: 'rejected', reason: 'bulkhead-full', duration: 3, time: 5 }]);
  });
});

describe('circuit breakers: MTTR, MTBF, time in state, recovery rate', () => {
  it('are exact on a scripted timeline', async () => {
    const clock = new VirtualClock();
    const breaker = new FakeBreaker('gateway', clock);
    const m = createMetrics({ clock });
    m.observe(pipeline({ name: 'payments' }, breaker));
    const at = async (s: number, to: CircuitState, reason?: string): Promise<void> => {
      await clock.advanceTo(s * S);
      breaker.go(to, reason);
    };
    await at(10, 'open');
    await at(15, 'half-open');
    await at(16, 'closed'); // outage 1: 10 → 16 s
    await at(100, 'open');
    await at(105, 'half-open');
    await at(106, 'open', 'probe-failed');
    await at(111, 'half-open');
    await at(112, 'closed'); // outage 2: 12 s
    await at(200, 'isolated');
    expect(m.snapshot().breakers[0]?.state).toBe('isolated');
    await at(230, 'closed', 'reset'); // outage 3: 30 s
    await clock.advanceTo(250 * S);
    const b = m.snapshot().breakers[0];
    expect(b?.name).toBe('gateway');
    expect(b?.mttr).toBe(((6 + 12 + 30) / 3) * S);
    expect(b?.mtbf).toBe(((100 - 10 + (200 - 100)) / 2) * S);
    expect(b?.outages).toBe(3);
    expect(b?.recoveries).toBe(2);
    expect(b?.failedRecoveries).toBe(1);
    expect(b?.recoveryRate).toBe(2 / 3);
    expect(b?.openings).toEqual({ failures: 2, 'probe-failed': 1, isolated: 1 });
    expect(b?.timeInState).toEqual({ closed: 202 * S, open: 15 * S, 'half-open': 3 * S, isolated: 30 * S });
  });

  it('property: match a reference model on random timelines', async () => {
    const states: CircuitState[] = ['closed', 'open', 'half-open', 'isolated'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 100_000 }), to: fc.constantFrom(...states) }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 100_000 }),
        async (steps, tail) => {
          const clock = new VirtualClock();
          const breaker = new FakeBreaker('b', clock);
          const m = createMetrics({ clock });
          m.observe(breaker);
          const timeline: { t: number; s: CircuitState }[] = [{ t: 0, s: 'closed' }];
          for (const step of steps) {
            await clock.advance(step.gap);
            if (step.to === breaker.state && step.to !== 'open') continue;
            if (step.to === breaker.state) continue;
            breaker.go(step.to);
            timeline.push({ t: clock.now(), s: step.to });
          }
          await clock.advance(tail);
          const end = clock.now();
          // Reference model.
          const time: Record<CircuitState, number> = { closed: 0, open: 0, 'half-open': 0, isolated: 0 };
          const starts: number[] = [];
          const repairs: number[] = [];
          let ok = 0;
          let reopened = 0;
          timeline.forEach((p, i) => {
            const next = timeline[i + 1];
            time[p.s] += (next?.t ?? end) - p.t;
            const prev = timeline[i - 1];
            if (prev === undefined) return;
            if (prev.s === 'closed' && p.s !== 'closed') starts.push(p.t);
            if (p.s === 'closed') repairs.push(p.t - (starts.at(-1) as number));
            if (prev.s === 'half-open' && p.s === 'closed') ok++;
            if (prev.s === 'half-open' && p.s === 'open') reopened++;
          });
          const mean = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
          const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
          const b = m.snapshot().breakers[0];
          expect(b?.timeInState).toEqual(time);
          expect(b?.mttr).toBe(mean(repairs));
          expect(b?.mtbf).toBe(mean(gaps));
          expect(b?.recoveries).toBe(ok);
          expect(b?.failedRecoveries).toBe(reopened);
          expect(b?.state).toBe(timeline.at(-1)?.s);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('learns a breaker from its first event when it was not observed live', () => {
    const clock = new VirtualClock(1000);
    const m = createMetrics({ clock });
    const e = events(clock, { policy: 'cb' });
    m.record(e.of('circuit-breaker', 'opened', { reason: 'failure-rate', from: 'closed', retryAfter: 1 }));
    const b = m.snapshot().breakers[0];
    expect(b?.state).toBe('open');
    expect(b?.outages).toBe(1);
    expect(b?.openings).toEqual({ 'failure-rate': 1 });
  });
});

describe('availability', () => {
  it('is the success ratio over a sliding window of buckets, exact on a scripted timeline', async () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, availabilityWindow: 60 * S, availabilityBuckets: 6 });
    const e = events(clock);
    const avail = (): number | undefined => m.snapshot().calls[0]?.availability;
    m.record(e.executed());
    m.record(e.executed());
    await clock.advanceTo(15 * S);
    m.record(e.executed({ ok: false, error: new Error('x') }));
    m.record(e.executed({ ok: false, error: new Error('x'), cancelled: true })); // not counted
    await clock.advanceTo(35 * S);
    m.record(e.executed({ ok: true, fallback: true }));
    m.record(e.executed({ ok: false, error: new TimeoutError(5) }));
    await clock.advanceTo(50 * S);
    expect(avail()).toBe(3 / 5);
    expect(m.snapshot().calls[0]?.window).toEqual({ good: 3, total: 5 });
    await clock.advanceTo(60 * S); // bucket [0, 10 s) leaves the window
    expect(avail()).toBe(1 / 3);
    await clock.advanceTo(75 * S); // bucket [10, 20 s) leaves
    expect(avail()).toBe(1 / 2);
    await clock.advanceTo(100 * S); // everything left
    expect(avail()).toBeUndefined();
  });

  it('property: equals a brute-force count over the buckets in the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), ok: fc.boolean() }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 20_000 }),
        async (buckets, width, calls, tail) => {
          const clock = new VirtualClock();
          const m = createMetrics({ clock, availabilityWindow: width * buckets, availabilityBuckets: buckets });
          const e = events(clock);
          const seen: { t: number; ok: boolean }[] = [];
          for (const c of calls) {
            await clock.advance(c.gap);
            m.record(c.ok ? e.executed() : e.executed({ ok: false, error: new Error('x') }));
            seen.push({ t: clock.now(), ok: c.ok });
          }
          await clock.advance(tail);
          const now = Math.floor(clock.now() / width);
          const inWindow = seen.filter((s) => Math.floor(s.t / width) > now - buckets);
          const expected = inWindow.length === 0 ? undefined : inWindow.filter((s) => s.ok).length / inWindow.length;
          expect(m.snapshot().calls[0]?.availability).toBe(expected);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('cardinality', () => {
  it('caps operations and label sets, counting what went to _other', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, maxOperations: 2, maxLabelSets: 2, labelKeys: ['region'] });
    for (const operation of ['a', 'b', 'c', 'd', 'a']) m.record(events(clock, { operation, labels: { region: 'eu' } }).executed());
    for (const region of ['us', 'ap', 'sa']) m.record(events(clock, { operation: 'a', labels: { region, user: 'u1' } }).executed());
    m.record(events(clock, { operation: 'a' }).executed()); // no region label: also a new set
    const snap = m.snapshot();
    expect(snap.calls.map((c) => `${c.operation}/${c.labels['region']}=${c.total}`).sort()).toEqual(
      ['a/eu=2', 'b/eu=1', `${OVERFLOW_VALUE}/eu=2`, `a/us=1`, `a/${OVERFLOW_VALUE}=3`].sort(),
    );
    expect(snap.dropped).toEqual({ operations: 2, labelSets: 3 });
    expect(Object.keys(snap.calls[0]?.labels ?? {})).toEqual(['region']);
  });

  it('never exposes two series with the same labels, even for a real "_other" value', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, maxLabelSets: 2, labelKeys: ['region'] });
    for (const region of ['eu', OVERFLOW_VALUE, 'us']) m.record(events(clock, { labels: { region } }).executed());
    expect(m.snapshot().calls.map((c) => `${c.labels['region']}=${c.total}`)).toEqual(['eu=1', `${OVERFLOW_VALUE}=2`]);
    const lines = m.toPrometheus().split('\n').filter((l) => l.startsWith('resilience_calls_total{'));
    const series = lines.map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(new Set(series).size).toBe(series.length);
  });

  it('property: the number of call series never exceeds maxOperations+1 × maxLabelSets+1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })), { maxLength: 80 }),
        (maxOperations, maxLabelSets, calls) => {
          const clock = new VirtualClock();
          const m = createMetrics({ clock, maxOperations, maxLabelSets, labelKeys: ['tenant'] });
          for (const [operation, tenant] of calls) m.record(events(clock, { operation, labels: { tenant } }).executed());
          const snap = m.snapshot();
          expect(snap.calls.length).toBeLessThanOrEqual((maxOperations + 1) * (maxLabelSets + 1));
          expect(snap.calls.reduce((a, c) => a + c.total, 0)).toBe(calls.length);
        },
      ),
    );
  });
});

describe('observe()', () => {
  it('counts events of a real pipeline once, reads live gauges, and stops on dispose', async () => {
    const clock = new VirtualClock();
    const retry = new ScriptedPolicy('retry', 'retry', clock, (ctx, link, done) => {
      link.next(ctx, (o) => {
        if (!o.ok && link.listening) link.emit(ctx, { type: 'give-up', attempts: 1, reason: 'not-handled', error: o.error } as never);
        done(o);
      });
    });
    const breaker = new FakeBreaker('gateway', clock);
    const bulkhead = new FakeBulkhead('pool', clock);
    const inner = pipeline({ name: 'inner' }, breaker, bulkhead);
    const p = pipeline({ name: 'outer' }, retry, inner);
    const m = createMetrics({ clock });
    const sub = m.observe(p);
    const sub2 = m.observe(retry); // overlaps: still counted once
    await p.execute(() => 1, { operation: 'x' });
    await expect(p.execute(() => Promise.reject(new Error('no')), { operation: 'x' })).rejects.toThrow('no');
    bulkhead.stats = { active: 3, queued: 2, maxConcurrent: 4, maxQueue: 8 };
    breaker.state = 'half-open';
    let snap = m.snapshot();
    expect(snap.calls).toHaveLength(1);
    expect(snap.calls[0]).toMatchObject({ pipeline: 'outer', policy: 'outer', operation: 'x', total: 2 });
    expect(snap.calls[0]?.outcomes.failure).toBe(1);
    expect(snap.retries).toEqual([{ pipeline: 'outer', policy: 'retry', operation: 'x', labels: {}, retries: 0, giveUps: { 'not-handled': 1 }, budgetExhausted: 0 }]);
    expect(snap.bulkheads).toEqual([{ name: 'pool', active: 3, queued: 2, maxConcurrent: 4, maxQueue: 8 }]);
    expect(snap.breakers[0]?.state).toBe('half-open');
    sub.dispose();
    sub.dispose();
    sub2.dispose();
    await p.execute(() => 1, { operation: 'x' });
    snap = m.snapshot();
    expect(snap.calls[0]?.total).toBe(2);
    expect(snap.bulkheads).toEqual([]);
    expect(snap.breakers[0]?.state).toBe('closed'); // no longer read live: last known from events
  });

  it('rejects things that are not policies', () => {
    const m = createMetrics();
    expect(() => m.observe({} as never)).toThrow(TypeError);
  });
});

describe('policy events', () => {
  it('counts retries, give-ups, budget, timeouts, fallbacks and injections per policy', async () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    await populate(m, clock);
    const snap = m.snapshot();
    expect(snap.retries).toEqual([
      { pipeline: 'payments', policy: 'retry', operation: 'payment.charge', labels: {}, retries: 2, giveUps: { 'max-attempts': 1 }, budgetExhausted: 1 },
    ]);
    expect(snap.timeouts).toEqual([{ pipeline: 'payments', policy: 'timeout', operation: 'payment.charge', labels: {}, timeouts: 1 }]);
    expect(snap.fallbacks).toEqual([{ pipeline: 'payments', policy: 'fallback', operation: 'payment.charge', labels: {}, tiers: { '0': 1 }, exhausted: 1 }]);
    expect(snap.injections).toEqual([
      { pipeline: 'payments', policy: 'chaos', operation: 'payment.charge', labels: {}, fault: 'gateway-down', faultKind: 'error', injections: 1 },
    ]);
    const b = snap.breakers[0];
    expect(b?.mttr).toBe(12_000);
    expect(b?.mtbf).toBeUndefined();
    expect(b?.timeInState).toEqual({ closed: 8_000, open: 10_000, 'half-open': 2_000, isolated: 0 });
    const pay = snap.calls.find((c) => c.operation === 'payment.charge');
    expect(pay?.duration.p50).toBeGreaterThan(0);
    expect(pay?.duration.max).toBe(2000);
    expect(pay?.availability).toBe(3 / 8);
  });

  it('is cheap to leave running: no timers', async () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    await populate(m, clock);
    m.snapshot();
    m.toPrometheus();
    expect(clock.pending).toBe(0);
  });
});

/** One Prometheus sample value, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${want}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('rejections by the refusing policy (#15 item 3)', () => {
  async function openBreakerPipeline(clock: VirtualClock) {
    const breaker = circuitBreaker({ name: 'gateway', clock, failureThreshold: 1, recoveryTimeout: 60_000 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
    const shop = pipeline(
      { name: 'shop', clock },
      fallback<string>({ tiers: ['cached'] }),
      retry({ clock, maxAttempts: 3, handle: (e) => e instanceof Error }),
      breaker,
    );
    return { breaker, shop };
  }

  it('counts calls short-circuited by an open breaker even when a fallback answered them, and no give-ups', async () => {
    const clock = new VirtualClock();
    const { shop } = await openBreakerPipeline(clock);
    const m = createMetrics({ clock });
    m.observe(shop);
    const N = 25;
    for (let i = 0; i < N; i++) await expect(shop.execute(() => 'live', { operation: 'checkout' })).resolves.toBe('cached');
    const text = m.toPrometheus();
    expect(sample(text, 'resilience_call_rejections_total', { pipeline: 'shop', policy: 'gateway', operation: 'checkout', reason: 'circuit-open' })).toBe(N);
    expect(sample(text, 'resilience_calls_total', { pipeline: 'shop', policy: 'shop', operation: 'checkout', outcome: 'fallback' })).toBe(N);
    expect(text).not.toMatch(/^resilience_retry_give_ups_total\{/m); // retry never considered a rejection
    const snap = m.snapshot();
    expect(snap.rejections).toEqual([{ pipeline: 'shop', policy: 'gateway', operation: 'checkout', labels: {}, reasons: { 'circuit-open': N }, total: N }]);
    expect(snap.retries.every((r) => Object.keys(r.giveUps).length === 0)).toBe(true);
  });

  it('counts a rejection once when it is also the final error (no double counting), per breaker and per bulkhead', async () => {
    const clock = new VirtualClock();
    const down = (e: unknown): boolean => e instanceof Error && e.message === 'down';
    const breaker = circuitBreaker({ name: 'profiles', clock, failureThreshold: 1, recoveryTimeout: 60_000, handle: down });
    const pool = bulkhead({ name: 'pool', clock, maxConcurrent: 1, maxQueue: 0 });
    const p = pipeline({ name: 'api', clock }, breaker, pool);
    const m = createMetrics({ clock });
    m.observe(p);
    m.observe(breaker); // heard twice, counted once
    let release: () => void = () => undefined;
    const holder = p.execute(() => new Promise<string>((resolve) => (release = () => resolve('held'))));
    await expect(p.execute(() => 'x')).rejects.toBeInstanceOf(BulkheadRejectedError);
    await expect(p.execute(() => 'x')).rejects.toBeInstanceOf(BulkheadRejectedError);
    release();
    await holder;
    await expect(p.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    for (let i = 0; i < 3; i++) await expect(p.execute(() => 'x')).rejects.toBeInstanceOf(BrokenCircuitError);
    const text = m.toPrometheus();
    expect(sample(text, 'resilience_call_rejections_total', { pipeline: 'api', policy: 'profiles', operation: 'default', reason: 'circuit-open' })).toBe(3);
    expect(sample(text, 'resilience_call_rejections_total', { pipeline: 'api', policy: 'pool', operation: 'default', reason: 'bulkhead-full' })).toBe(2);
    expect(sample(text, 'resilience_call_rejections_total', { pipeline: 'api', policy: 'api', operation: 'default', reason: 'circuit-open' })).toBeUndefined();
    expect(text.match(/^resilience_call_rejections_total\{/gm)).toHaveLength(2);
    expect(sample(text, 'resilience_calls_total', { pipeline: 'api', policy: 'api', operation: 'default', outcome: 'rejected' })).toBe(5);
    expect(m.snapshot().calls[0]?.rejections).toEqual({ 'bulkhead-full': 2, 'circuit-open': 3 });
  });
});

describe('one event path (#21): observing a pipeline hears its breakers once', () => {
  /** The value of every sample of `name` for the breaker `policy`, as `label=value`. */
  function series(text: string, name: string, policy: string): string[] {
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{policy="${policy}",`))
      .map((l) => l.slice(l.indexOf(',') + 1).replace('} ', '='));
  }

  it.each([
    { depth: 1, build: (b: ReturnType<typeof circuitBreaker>, clock: VirtualClock) => pipeline({ name: 'shop', clock }, retry({ clock }), b) },
    {
      depth: 2,
      build: (b: ReturnType<typeof circuitBreaker>, clock: VirtualClock) => pipeline({ name: 'outer', clock }, pipeline({ name: 'shop', clock }, retry({ clock }), b)),
    },
  ])('isolate() and reset() on a breaker $depth pipeline(s) deep change the state series once', async ({ build }) => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock });
    const observed = build(breaker, clock);
    const m = createMetrics({ clock });
    m.observe(observed);
    await clock.advanceTo(10 * S);
    breaker.isolate();
    let text = m.toPrometheus();
    expect(series(text, 'resilience_circuit_state', 'gateway')).toEqual(['state="closed"=0', 'state="open"=0', 'state="half-open"=0', 'state="isolated"=1']);
    expect(series(text, 'resilience_circuit_openings_total', 'gateway')).toEqual(['reason="isolated"=1']);
    await clock.advanceTo(40 * S);
    breaker.reset();
    await clock.advanceTo(50 * S);
    text = m.toPrometheus();
    expect(series(text, 'resilience_circuit_state', 'gateway')).toEqual(['state="closed"=1', 'state="open"=0', 'state="half-open"=0', 'state="isolated"=0']);
    expect(series(text, 'resilience_circuit_openings_total', 'gateway')).toEqual(['reason="isolated"=1']);
    expect(series(text, 'resilience_circuit_state_seconds_total', 'gateway')).toEqual(['state="closed"=20', 'state="open"=0', 'state="half-open"=0', 'state="isolated"=30']);
    const b = m.snapshot().breakers[0];
    expect(b).toMatchObject({ outages: 1, mttr: 30 * S, recoveries: 0, failedRecoveries: 0 });
  });

  it('hears the recovery timer through the pipeline alone: half-opened on time, once', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock, failureThreshold: 1, recoveryTimeout: 5 * S });
    const shop = pipeline({ name: 'outer', clock }, pipeline({ name: 'shop', clock }, breaker));
    const m = createMetrics({ clock });
    m.observe(shop);
    await shop.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await clock.advance(5 * S); // the recovery timer fires: half-opened, no call
    await clock.advance(1 * S);
    await shop.execute(() => 'ok'); // the probe closes it
    const b = m.snapshot().breakers[0];
    expect(b?.timeInState).toEqual({ closed: 0, open: 5 * S, 'half-open': 1 * S, isolated: 0 });
    expect(b).toMatchObject({ state: 'closed', outages: 1, recoveries: 1, openings: { failures: 1 }, mttr: 6 * S });
  });

  it('counts once when observed targets overlap: a pipeline, the pipeline nested in it and its breaker', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock, failureThreshold: 1 });
    const inner = pipeline({ name: 'shop', clock }, breaker);
    const outer = pipeline({ name: 'outer', clock }, inner);
    const m = createMetrics({ clock });
    const subs = [m.observe(outer), m.observe(inner), m.observe(breaker)];
    await outer.execute(() => Promise.reject(new Error('down'))).catch(() => undefined); // opens
    await outer.execute(() => 'x').catch(() => undefined); // rejected
    breaker.isolate();
    const snap = m.snapshot();
    expect(snap.breakers[0]?.openings).toEqual({ failures: 1, isolated: 1 });
    expect(snap.rejections).toEqual([{ pipeline: 'outer', policy: 'gateway', operation: 'default', labels: {}, reasons: { 'circuit-open': 1 }, total: 1 }]);
    expect(snap.calls).toHaveLength(1);
    expect(snap.calls[0]?.total).toBe(2);
    // With the overlap gone, one target alone: still once.
    subs[1]?.dispose();
    subs[2]?.dispose();
    breaker.reset();
    breaker.isolate();
    expect(m.snapshot().breakers[0]?.openings).toEqual({ failures: 1, isolated: 2 });
  });

  it('a breaker shared with a pipeline metrics does not observe: observe the breaker too, each transition counts once', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gateway', clock, failureThreshold: 1 });
    const shop = pipeline({ name: 'shop', clock }, breaker);
    const admin = pipeline({ name: 'admin', clock }, breaker); // not observed
    const m = createMetrics({ clock });
    m.observe(shop);
    m.observe(breaker);
    await clock.advanceTo(1 * S);
    await admin.execute(() => Promise.reject(new Error('down'))).catch(() => undefined); // opens, through admin
    await clock.advanceTo(3 * S);
    await shop.execute(() => 'x').catch(() => undefined); // rejected, through shop
    const snap = m.snapshot();
    expect(snap.breakers[0]).toMatchObject({ state: 'open', outages: 1, openings: { failures: 1 } });
    expect(snap.breakers[0]?.timeInState).toMatchObject({ closed: 1 * S, open: 2 * S });
    expect(snap.rejections.map((r) => `${r.pipeline}:${r.total}`)).toEqual(['shop:1']);
  });
});
