/**
 * Property tests of the fleet's numeric rules: the quorum arithmetic, the quorum rule over
 * a fleet of breakers driven by random failures (in-memory fleet, VirtualClock), and the
 * safety rule that no malformed report ever opens a breaker.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FleetBreakers, FLEET_BREAKER } from '../../test/support/fleet-breakers';
import { isBreakerFleetReport, isFleetQuorum, requiredReports } from './fleet';

const counts = fc.integer({ min: 1, max: 8 });
const fractions = fc.double({ min: 0.001, max: 0.999, noNaN: true });
const quorums = fc.oneof(counts, fractions);

describe('requiredReports (the quorum arithmetic)', () => {
  it('a count needs exactly that many instances, whatever the fleet size', () => {
    fc.assert(
      fc.property(counts, fc.integer({ min: 0, max: 10_000 }), (q, live) => {
        expect(requiredReports(q, live)).toBe(q);
      }),
    );
  });

  it('a fraction f of n live instances needs the smallest k ≥ 1 with k / n ≥ f', () => {
    fc.assert(
      fc.property(fractions, fc.integer({ min: 1, max: 10_000 }), (f, n) => {
        const k = requiredReports(f, n);
        expect(Number.isInteger(k)).toBe(true);
        expect(k).toBeGreaterThanOrEqual(1);
        expect(k).toBeLessThanOrEqual(n);
        expect(k / n).toBeGreaterThanOrEqual(f);
        if (k > 1) expect((k - 1) / n).toBeLessThan(f);
      }),
    );
  });

  it('is exact on decimal fractions that floating point rounds up (0.3 · 10 = 3.0000000000000004)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 1_000 }), (pct, m) => {
        const n = 100 * m;
        expect(requiredReports(pct / 100, n)).toBe(pct * m);
      }),
    );
  });

  it('never shrinks as the fleet grows, and never needs more than the whole fleet for a fraction', () => {
    fc.assert(
      fc.property(fractions, fc.integer({ min: 1, max: 5_000 }), (f, n) => {
        expect(requiredReports(f, n + 1)).toBeGreaterThanOrEqual(requiredReports(f, n));
      }),
    );
  });

  it('accepts as quorum exactly the integers ≥ 1 and the numbers in (0, 1)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: -5, max: 100 })), (v) => {
        const expected = Number.isFinite(v) && (Number.isInteger(v) ? v >= 1 : v > 0 && v < 1);
        expect(isFleetQuorum(v)).toBe(expected);
      }),
    );
  });
});

describe('the quorum rule over a fleet of breakers', () => {
  it('an instance opens by the fleet iff at least `quorum` other live instances opened first-hand', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        quorums,
        fc.array(fc.record({ who: fc.nat(), wait: fc.integer({ min: 0, max: 500 }) }), { maxLength: 12 }),
        async (n, quorum, steps) => {
          const ids = Array.from({ length: n }, (_, i) => `i${i}`);
          const f = new FleetBreakers(ids, { failureThreshold: 2, recoveryTimeout: 100_000, halfOpen: { probeTimeout: 1_000 }, quorum });
          await f.settle();
          const firstHand = new Set<string>();
          const required = requiredReports(quorum, n);
          for (const step of steps) {
            const id = ids[step.who % n] as string;
            if (f.breaker(id).state === 'closed') firstHand.add(id);
            await f.fail(id, 2);
            await f.advance(step.wait);
            const fleetOpen = firstHand.size >= required;
            for (const j of ids) {
              const own = firstHand.has(j);
              expect(f.breaker(j).state).toBe(own || fleetOpen ? 'open' : 'closed');
              expect(f.transitions(j)).toEqual(own ? ['opened:failures'] : fleetOpen ? ['opened:fleet'] : []);
            }
          }
          // Safety, whatever happened: nobody opened by the fleet with fewer first-hand reports than required.
          if (firstHand.size < required) for (const j of ids) expect(f.transitions(j)).not.toContain('opened:fleet');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('with quorum ≥ 2 one sick instance never opens another, however often it fails and recovers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 4 }), fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 15 }), async (n, quorum, waits) => {
        const ids = Array.from({ length: n }, (_, i) => `i${i}`);
        const f = new FleetBreakers(ids, { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum });
        await f.settle();
        for (const w of waits) {
          await f.call('i0', 'fail'); // sick: every call it makes fails (probes included)
          await f.advance(w);
          for (const j of ids.slice(1)) expect(f.breaker(j).state).toBe('closed');
        }
      }),
      { numRuns: 60 },
    );
  });
});

const nearMiss = fc.record(
  {
    instance: fc.oneof(fc.string(), fc.constant('peer'), fc.integer(), fc.constant(null)),
    open: fc.oneof(fc.boolean(), fc.constant('true'), fc.integer()),
    retryAfter: fc.oneof(fc.double(), fc.integer(), fc.string()),
    generation: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double(), fc.constant('1'), fc.constant(2 ** 60)),
    probe: fc.oneof(fc.constant('succeeded'), fc.constant('failed'), fc.constant('other'), fc.constant(1)),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('untrusted reports', () => {
  it('no malformed report, alone or in a sync, ever opens a breaker or throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.anything(), nearMiss), { maxLength: 20 }), async (raws) => {
        const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
        await f.settle();
        const malformed = raws.filter((r) => !isBreakerFleetReport(r));
        for (const raw of malformed) f.fleet.inject(FLEET_BREAKER, raw);
        f.fleet.injectSync(FLEET_BREAKER, malformed);
        await f.settle();
        expect(f.states()).toEqual({ a: 'closed', b: 'closed' });
        expect(f.breaker('a').stats.fleet).toMatchObject({ generation: 0, instances: 1, open: 0 }); // the malformed sync is the whole (empty) picture
      }),
      { numRuns: 200 },
    );
  });

  it('the report check accepts exactly the well-formed shapes', () => {
    fc.assert(
      fc.property(nearMiss, (r) => {
        const o = r as Record<string, unknown>;
        const keysOk = Object.keys(o).every((k) => ['instance', 'open', 'retryAfter', 'generation', 'probe'].includes(k));
        const open = o['open'];
        const ra = o['retryAfter'];
        const g = o['generation'];
        const p = o['probe'];
        const ok =
          keysOk &&
          typeof o['instance'] === 'string' &&
          o['instance'].length > 0 &&
          o['instance'].length <= 256 &&
          typeof open === 'boolean' &&
          typeof ra === 'number' &&
          ra >= 0 &&
          ra <= 365 * 24 * 3_600_000 &&
          (open || ra === 0) &&
          Number.isSafeInteger(g) &&
          (g as number) >= 0 &&
          (p === undefined || (p === 'succeeded' && !open) || (p === 'failed' && open));
        expect(isBreakerFleetReport(r)).toBe(ok);
      }),
    );
  });
});
