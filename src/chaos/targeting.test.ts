import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ExecutionContext } from '../core/context';
import { VirtualClock } from '../testing/virtual-clock';
import { compileTarget, fnv1a32, globToRegExp, isInCohort } from './targeting';

const ctx = (operation: string, labels: Record<string, string> = {}): ExecutionContext =>
  new ExecutionContext(new VirtualClock(), { operation, labels }, 'default', undefined);

describe('fnv1a32', () => {
  it('matches the reference FNV-1a 32-bit vectors (UTF-8 bytes)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    // 'é' is c3 a9 in UTF-8; '😀' is f0 9f 98 80.
    const bytes = (bs: number[]): number => bs.reduce((h, b) => Math.imul(h ^ b, 0x01000193) >>> 0, 0x811c9dc5);
    expect(fnv1a32('é')).toBe(bytes([0xc3, 0xa9]));
    expect(fnv1a32('€')).toBe(bytes([0xe2, 0x82, 0xac]));
    expect(fnv1a32('😀')).toBe(bytes([0xf0, 0x9f, 0x98, 0x80]));
  });
});

describe('cohorts', () => {
  it('property: membership is deterministic and monotonic in percent (a smaller cohort is a subset)', () => {
    fc.assert(
      fc.property(fc.string(), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), fc.string(), (id, p1, p2, salt) => {
        const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
        expect(isInCohort(id, lo, salt)).toBe(isInCohort(id, lo, salt));
        if (isInCohort(id, lo, salt)) expect(isInCohort(id, hi, salt)).toBe(true);
      }),
    );
  });

  it('property: the share of ids in a cohort is close to percent (binomial, 6 sigma)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.string({ maxLength: 8 }), (percent, salt) => {
        const n = 10_000;
        let k = 0;
        for (let i = 0; i < n; i++) if (isInCohort(`player-${i}`, percent, salt)) k++;
        const p = percent / 100;
        expect(Math.abs(k - n * p)).toBeLessThanOrEqual(6 * Math.sqrt(n * p * (1 - p)));
      }),
      // The example drew 51 of 10 000 at 1 % (4.1 sigma) before cohorts mixed the FNV-1a bits.
      { numRuns: 20, examples: [[1, '`"<Ci']] },
    );
  });

  it('0 % is nobody, 100 % is everybody; the salt reshuffles', () => {
    expect(isInCohort('x', 0)).toBe(false);
    expect(isInCohort('x', 100)).toBe(true);
    const ids = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const a = ids.filter((id) => isInCohort(id, 50, 'a'));
    const b = ids.filter((id) => isInCohort(id, 50, 'b'));
    expect(a).not.toEqual(b);
  });
});

describe('targets', () => {
  it('globs: * within a segment, ** across segments, ? one character', () => {
    expect(globToRegExp('payment.*').test('payment.charge')).toBe(true);
    expect(globToRegExp('payment.*').test('payment.card.charge')).toBe(false);
    expect(globToRegExp('payment.**').test('payment.card.charge')).toBe(true);
    expect(globToRegExp('*.charge').test('payment.charge')).toBe(true);
    expect(globToRegExp('cdn.v?').test('cdn.v2')).toBe(true);
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
    expect(globToRegExp('a+b(c)').test('aab(c)')).toBe(false);
  });

  it('no target selects every call; operations and labels are ANDed', () => {
    expect(compileTarget(undefined)).toBeUndefined();
    const t = compileTarget({ operations: ['shop.*'], labels: { region: 'eu', tier: ['free', 'trial'] } });
    expect(t?.matches(ctx('shop.buy', { region: 'eu', tier: 'trial' }))).toBe(true);
    expect(t?.matches(ctx('shop.buy', { region: 'eu', tier: 'paid' }))).toBe(false);
    expect(t?.matches(ctx('shop.buy', { region: 'eu' }))).toBe(false);
    expect(t?.matches(ctx('inventory.get', { region: 'eu', tier: 'free' }))).toBe(false);
    const labelsOnly = compileTarget({ labels: { region: 'eu' } });
    expect(labelsOnly?.matches(ctx('anything', { region: 'eu' }))).toBe(true);
  });

  it('property: matching the same operation twice gives the same answer (cache)', () => {
    const t = compileTarget({ operations: ['a.*', /^b\d$/] });
    fc.assert(
      fc.property(fc.stringMatching(/^[ab.0-9]{0,4}$/), (op) => {
        const first = t?.matches(ctx(op));
        expect(t?.matches(ctx(op))).toBe(first);
        expect(first).toBe(/^a\.[^.]*$/.test(op) || /^b\d$/.test(op));
      }),
    );
  });
});
