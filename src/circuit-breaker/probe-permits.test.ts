import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProbePermits, type ProbePermit } from './probe-permits';

const INF = Number.POSITIVE_INFINITY;

describe('ProbePermits', () => {
  it('hands out at most maxProbes permits at once; a released one can be taken again', () => {
    const probes = new ProbePermits(2, 1, INF);
    const a = probes.acquire(0);
    const b = probes.acquire(0);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(probes.acquire(0)).toBeUndefined();
    expect(probes.active(0)).toBe(2);
    expect(probes.release(a as ProbePermit, 5)).toBe(true);
    expect(probes.active(0)).toBe(1);
    expect(probes.acquire(10)).toBeDefined();
    expect(probes.acquire(10)).toBeUndefined();
  });

  it('a permit counts once: giving it back twice counts only the first time', () => {
    const probes = new ProbePermits(1, 1, INF);
    const p = probes.acquire(0) as ProbePermit;
    expect(probes.release(p, 0)).toBe(true);
    expect(probes.release(p, 0)).toBe(false);
  });

  it('reset() starts a new period: permits handed out before no longer count, successes start from 0', () => {
    const probes = new ProbePermits(1, 2, INF);
    const old = probes.acquire(0) as ProbePermit;
    expect(probes.recordSuccess()).toBe(false);
    expect(probes.successes).toBe(1);
    probes.reset();
    expect(probes.successes).toBe(0);
    expect(probes.active(0)).toBe(0);
    const fresh = probes.acquire(0) as ProbePermit;
    expect(probes.release(old, 0)).toBe(false); // the old period's probe
    expect(probes.active(0)).toBe(1); // ... did not free the new period's permit
    expect(probes.release(fresh, 0)).toBe(true);
  });

  it('closes after successThreshold successes', () => {
    const probes = new ProbePermits(1, 3, INF);
    expect([probes.recordSuccess(), probes.recordSuccess(), probes.recordSuccess()]).toEqual([false, false, true]);
    probes.restoreSuccesses(2);
    expect(probes.recordSuccess()).toBe(true);
  });

  it("a hung probe's permit expires after probeTimeout: its slot is taken again and its late result does not count", () => {
    const probes = new ProbePermits(1, 1, 100);
    expect(probes.expires).toBe(true);
    const hung = probes.acquire(0) as ProbePermit;
    expect(probes.acquire(99)).toBeUndefined();
    expect(probes.active(99)).toBe(1);
    expect(probes.active(100)).toBe(0); // reading changes nothing...
    const next = probes.acquire(100); // ... acquiring frees the expired permit
    expect(next).toBeDefined();
    expect(probes.release(hung, 150)).toBe(false);
    expect(probes.release(next as ProbePermit, 10)).toBe(true);
  });

  it('a result that comes probeTimeout ms or later does not count, even when nobody took its slot', () => {
    const probes = new ProbePermits(1, 1, 100);
    const late = probes.acquire(0) as ProbePermit;
    expect(probes.release(late, 100)).toBe(false);
    expect(probes.active(100)).toBe(0);
    expect(probes.acquire(100)).toBeDefined(); // its slot was freed
  });

  it('expireHung(now) frees only the permits held probeTimeout ms or more', () => {
    const probes = new ProbePermits(3, 1, 100);
    const a = probes.acquire(0) as ProbePermit;
    const b = probes.acquire(50) as ProbePermit;
    expect(probes.expireHung(120)).toBe(1);
    expect(probes.release(a, 0)).toBe(false);
    expect(probes.release(b, 70)).toBe(true);
    expect(new ProbePermits(1, 1, INF).expireHung(1e12)).toBe(0);
  });

  it('without a probe timeout nothing expires', () => {
    const probes = new ProbePermits(1, 1, INF);
    expect(probes.expires).toBe(false);
    const p = probes.acquire(0) as ProbePermit;
    expect(probes.acquire(1e12)).toBeUndefined();
    expect(probes.release(p, 1e12)).toBe(true);
  });

  it('never holds more than maxProbes unexpired permits, and a permit counts iff still held and on time (model, property)', () => {
    type Op = { kind: 'acquire'; dt: number } | { kind: 'release'; index: number; dt: number } | { kind: 'reset' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), dt: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat(20), dt: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('reset' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.constantFrom(50, 100, INF), fc.array(op, { maxLength: 80 }), (max, timeout, ops) => {
        const probes = new ProbePermits(max, 1, timeout);
        // The model: the permits of the current period that were not given back.
        let held: { permit: ProbePermit; start: number }[] = [];
        const given: { permit: ProbePermit; start: number }[] = [];
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'reset') {
            probes.reset();
            held = [];
            continue;
          }
          now += o.dt;
          const live = held.filter((h) => now - h.start < timeout);
          if (o.kind === 'acquire') {
            const p = probes.acquire(now);
            expect(p !== undefined).toBe(live.length < max);
            if (p !== undefined) {
              held = [...live, { permit: p, start: now }];
              given.push({ permit: p, start: now });
            }
          } else if (given.length > 0) {
            const g = given[o.index % given.length] as { permit: ProbePermit; start: number };
            const counted = probes.release(g.permit, now - g.start);
            const isHeld = held.some((h) => h.permit === g.permit);
            expect(counted).toBe(isHeld && now - g.start < timeout);
            held = held.filter((h) => h.permit !== g.permit);
          }
          expect(probes.active(now)).toBe(held.filter((h) => now - h.start < timeout).length);
          expect(probes.active(now)).toBeLessThanOrEqual(max);
        }
      }),
    );
  });
});
