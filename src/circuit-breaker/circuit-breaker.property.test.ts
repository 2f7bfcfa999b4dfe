import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { BreakerDriver, type CallEnd, type PendingCall } from '../../test/support/breaker-driver';

type Step = { op: 'start' } | { op: 'finish'; pick: number; end: CallEnd } | { op: 'advance'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: 'start' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('finish' as const), pick: fc.nat(), end: fc.constantFrom<CallEnd>('success', 'failure', 'ignored') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120 }) }) },
);

describe('half-open never admits more than maxProbes concurrent probes', () => {
  it('holds for any arrivals, completions and time jumps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 200 })),
        fc.array(stepArb, { maxLength: 150 }),
        async (maxProbes, successThreshold, probeTimeout, steps) => {
          const d = new BreakerDriver({ failureThreshold: 1, recoveryTimeout: 50, halfOpen: { maxProbes, successThreshold, probeTimeout } });
          const inflight: { call: PendingCall; probeOf: number; start: number }[] = [];
          let maxSeen = 0;
          for (const s of steps) {
            if (s.op === 'advance') {
              await d.clock.advance(s.ms);
              continue;
            }
            if (s.op === 'finish') {
              if (inflight.length === 0) continue;
              const [c] = inflight.splice(s.pick % inflight.length, 1);
              if (c !== undefined) d.finish(c.call, s.end);
              continue;
            }
            const halfOpenBefore = d.breaker.state === 'half-open';
            const period = d.events.filter((e) => e.type === 'half-opened').length;
            const r = d.start();
            if (!r.admitted) continue;
            const periodNow = d.events.filter((e) => e.type === 'half-opened').length;
            // A call admitted right after the breaker turned half-open (lazily, by this call) is a probe too.
            inflight.push({ call: r.call, probeOf: halfOpenBefore || periodNow > period ? periodNow : -1, start: d.clock.now() });
            if (d.breaker.state !== 'half-open') continue;
            const now = d.clock.now();
            const active = inflight.filter((c) => c.probeOf === periodNow && now - c.start < probeTimeout).length;
            expect(active).toBeLessThanOrEqual(maxProbes);
            expect(d.breaker.stats.activeProbes).toBe(active);
            maxSeen = Math.max(maxSeen, active);
          }
          return maxSeen <= maxProbes;
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Sizes of every array, typed array, map and set reachable from `root` (own fields, a few levels deep). */
function footprint(root: object, depth = 3, seen = new Set<unknown>()): number[] {
  const sizes: number[] = [];
  const walk = (v: unknown, d: number): void => {
    if (typeof v !== 'object' || v === null || seen.has(v) || v instanceof VirtualClock) return;
    seen.add(v);
    if (Array.isArray(v) || ArrayBuffer.isView(v)) sizes.push((v as { length: number }).length);
    else if (v instanceof Map || v instanceof Set) sizes.push(v.size);
    if (d === 0) return;
    for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key], d - 1);
  };
  walk(root, depth);
  return sizes;
}

describe('memory does not grow with the number of calls', () => {
  it('every internal collection keeps its size, whatever the rule and the traffic', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          { failureThreshold: 3 },
          { window: { kind: 'count' as const, size: 16 }, slowCallDuration: 5 },
          { window: { kind: 'time' as const, duration: 1_000, buckets: 8 }, slowCallDuration: 5 },
        ),
        fc.integer({ min: 500, max: 3_000 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (rule, calls, seed) => {
          const d = new BreakerDriver({ ...rule, recoveryTimeout: 20, halfOpen: { maxProbes: 3, probeTimeout: 40 } }, new VirtualClock(), false);
          const before = footprint(d.breaker);
          let x = seed;
          const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31);
          const inflight: PendingCall[] = [];
          for (let i = 0; i < calls; i++) {
            const r = d.start();
            if (r.admitted) inflight.push(r.call);
            if (next() % 3 === 0) await d.clock.advance(next() % 30);
            while (inflight.length > next() % 4) {
              const c = inflight.shift() as PendingCall;
              d.finish(c, next() % 3 === 0 ? 'failure' : 'success');
            }
          }
          void d.breaker.stats;
          expect(footprint(d.breaker)).toEqual(before);
        },
      ),
      { numRuns: 12 },
    );
  });
});
