import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';
import { CountWindow, TimeWindow } from './window';

interface Rec {
  t: number;
  failed: boolean;
  slow: boolean;
}

const steps = fc.array(fc.record({ dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 })), failed: fc.boolean(), slow: fc.boolean() }), {
  maxLength: 200,
});

function totals(entries: readonly Rec[]): [number, number, number] {
  return [entries.length, entries.filter((e) => e.failed).length, entries.filter((e) => e.slow).length];
}

describe('CountWindow', () => {
  it('holds exactly the last `size` outcomes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), steps, (size, ss) => {
        const w = new CountWindow(size);
        const log: Rec[] = [];
        for (const s of ss) {
          w.record(s.failed, s.slow);
          log.push({ t: 0, ...s });
          expect([w.calls, w.failures, w.slow]).toEqual(totals(log.slice(-size)));
          expect(w.outcomes()).toEqual(log.slice(-size).map((e) => (e.failed ? 1 : 0) | (e.slow ? 2 : 0)));
        }
        expect(w.ring.length).toBe(size);
      }),
    );
  });

  it('load() replays outcomes (keeping the newest when there are too many)', () => {
    const w = new CountWindow(3);
    w.load([1, 0, 3, 2, 1]);
    expect(w.outcomes()).toEqual([3, 2, 1]);
    expect([w.calls, w.failures, w.slow]).toEqual([3, 2, 2]);
  });
});

describe('TimeWindow', () => {
  it('holds exactly the calls whose bucket floor(t / (duration / buckets)) is among the last `buckets`', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(100, 250, 1_000, 333),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: -5_000, max: 5_000 }),
        steps,
        (duration, buckets, origin, ss) => {
          const w = new TimeWindow(duration, buckets);
          const width = duration / buckets;
          const log: Rec[] = [];
          let t = origin;
          const inWindow = (now: number): Rec[] => log.filter((e) => Math.floor(e.t / width) > Math.floor(now / width) - buckets);
          for (const s of ss) {
            t += s.dt;
            w.record(s.failed, s.slow, t);
            log.push({ t, failed: s.failed, slow: s.slow });
            expect([w.calls, w.failures, w.slow]).toEqual(totals(inWindow(t)));
            // Looking later without recording expires old buckets the same way.
            const later = t + s.dt * 3;
            const snapshot = w.bucketsAt(later);
            const sum = snapshot.reduce((a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]], [0, 0, 0]);
            expect(sum).toEqual(totals(inWindow(later)));
            expect(snapshot.length).toBe(buckets);
            t = later;
          }
          expect(w.bucketCalls.length).toBe(buckets);
        },
      ),
    );
  });

  it('load() puts buckets back at the same ages', () => {
    const a = new TimeWindow(1_000, 4);
    a.record(true, false, 0);
    a.record(false, true, 260);
    a.record(true, true, 760);
    const counts = a.bucketsAt(800);
    const b = new TimeWindow(1_000, 4);
    b.load(counts, 50_800);
    expect(b.bucketsAt(50_800)).toEqual(counts);
    expect([b.calls, b.failures, b.slow]).toEqual([3, 2, 2]);
    expect(b.bucketsAt(51_000)).toEqual([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]]);
  });
});

describe('circuitBreaker stats: failure and slow-call rates are exactly those of the window definition', () => {
  it('time window, through the breaker (never tripping: thresholds out of reach)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(100, 1_000),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 150 }), end: fc.constantFrom('ok', 'fail', 'slow-ok', 'slow-fail') }), { maxLength: 40 }),
        async (duration, buckets, ss) => {
          const clock = new VirtualClock();
          const breaker = circuitBreaker({
            clock,
            window: { kind: 'time', duration, buckets },
            minimumThroughput: 10_000,
            slowCallDuration: 5,
          });
          const width = duration / buckets;
          const log: Rec[] = [];
          for (const s of ss) {
            await clock.advance(s.dt);
            const slow = s.end.startsWith('slow');
            const failed = s.end.endsWith('fail');
            const p = breaker.execute(() => new Promise((res, rej) => clock.setTimeout(() => (failed ? rej(new Error('x')) : res(1)), slow ? 5 : 0))).catch(() => {});
            await clock.advance(slow ? 5 : 0);
            await p;
            log.push({ t: clock.now(), failed, slow });
            const now = clock.now();
            const [calls, failures, slowCalls] = totals(log.filter((e) => Math.floor(e.t / width) > Math.floor(now / width) - buckets));
            expect(breaker.stats).toMatchObject({
              calls,
              failures,
              slowCalls,
              failureRate: calls === 0 ? 0 : failures / calls,
              slowCallRate: calls === 0 ? 0 : slowCalls / calls,
            });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('count window trips exactly when calls ≥ minimumThroughput and failures / calls ≥ failureRateThreshold', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }).chain((size) =>
          fc.tuple(fc.constant(size), fc.integer({ min: 1, max: size }), fc.constantFrom(0.1, 0.2, 0.25, 1 / 3, 0.5, 0.6, 0.75, 1), fc.array(fc.boolean(), { maxLength: 30 })),
        ),
        async ([size, min, threshold, outcomes]) => {
          const breaker = circuitBreaker({ clock: new VirtualClock(), window: { kind: 'count', size }, minimumThroughput: min, failureRateThreshold: threshold });
          const log: boolean[] = [];
          for (const failed of outcomes) {
            await breaker.execute(() => (failed ? Promise.reject(new Error('x')) : 1)).catch(() => {});
            log.push(failed);
            const win = log.slice(-size);
            const shouldOpen = win.length >= min && win.filter(Boolean).length / win.length >= threshold;
            expect(breaker.state).toBe(shouldOpen ? 'open' : 'closed');
            if (shouldOpen) return;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
