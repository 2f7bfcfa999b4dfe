import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { experimentScore, renderJson, resilienceScore } from './journal';

const share = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null });

describe('experimentScore', () => {
  it('scores by the documented formula', () => {
    expect(experimentScore({ verdict: 'pass', heldDuringInjection: 1, heldDuringRecovery: 1 })).toBe(100);
    expect(experimentScore({ verdict: 'pass', heldDuringInjection: 0.5, heldDuringRecovery: 1 })).toBe(75);
    expect(experimentScore({ verdict: 'pass', heldDuringInjection: null, heldDuringRecovery: null })).toBe(100);
    expect(experimentScore({ verdict: 'fail', heldDuringInjection: 0.4, heldDuringRecovery: 0.6 })).toBe(25);
    expect(experimentScore({ verdict: 'fail', heldDuringInjection: null, heldDuringRecovery: null })).toBe(0);
    expect(experimentScore({ verdict: 'halted', heldDuringInjection: 1, heldDuringRecovery: 1 })).toBe(0);
    expect(experimentScore({ verdict: 'skipped', heldDuringInjection: 1, heldDuringRecovery: 1 })).toBeNull();
    expect(experimentScore({ verdict: 'aborted', heldDuringInjection: 1, heldDuringRecovery: 1 })).toBeNull();
  });

  it('is within 0–100, and a pass never scores below a fail, nor a fail below a halt', () => {
    fc.assert(
      fc.property(share, share, share, share, (i1, r1, i2, r2) => {
        const pass = experimentScore({ verdict: 'pass', heldDuringInjection: i1, heldDuringRecovery: r1 }) as number;
        const fail = experimentScore({ verdict: 'fail', heldDuringInjection: i2, heldDuringRecovery: r2 }) as number;
        const halted = experimentScore({ verdict: 'halted', heldDuringInjection: i2, heldDuringRecovery: r2 }) as number;
        expect(pass).toBeGreaterThanOrEqual(50);
        expect(pass).toBeLessThanOrEqual(100);
        expect(fail).toBeGreaterThanOrEqual(0);
        expect(fail).toBeLessThanOrEqual(50);
        expect(pass).toBeGreaterThanOrEqual(fail);
        expect(fail).toBeGreaterThanOrEqual(halted);
      }),
    );
  });
});

describe('resilienceScore', () => {
  it('is the weighted mean of the scored experiments, one decimal', () => {
    expect(resilienceScore([{ weight: 3, score: 100 }, { weight: 1, score: 0 }])).toBe(75);
    expect(resilienceScore([{ weight: 1, score: 100 }, { weight: 2, score: 50 }])).toBe(66.7);
    expect(resilienceScore([{ weight: 1, score: null }, { weight: 1, score: 40 }])).toBe(40);
    expect(resilienceScore([{ weight: 0, score: 10 }, { weight: 1, score: 40 }])).toBe(40);
    expect(resilienceScore([{ weight: 1, score: null }])).toBeNull();
    expect(resilienceScore([])).toBeNull();
    // Subnormal weights: w × score underflowed to 0 before the weights were scaled.
    expect(resilienceScore([{ weight: 5e-324, score: 34.1 }])).toBe(34.1);
    expect(resilienceScore([{ weight: 5e-324, score: 20 }, { weight: 1e-323, score: 80 }])).toBe(60);
    expect(resilienceScore([{ weight: Infinity, score: 10 }, { weight: 1, score: 40 }])).toBe(40);
  });

  it('stays between the lowest and highest scored experiment, and ignores excluded ones', () => {
    const entry = fc.record({ weight: fc.double({ min: 0, max: 100, noNaN: true }), score: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
        const s = resilienceScore(entries);
        const scored = entries.filter((e) => e.score !== null && e.weight > 0).map((e) => e.score as number);
        if (scored.length === 0) {
          expect(s).toBeNull();
          return;
        }
        expect(s).not.toBeNull();
        expect(s as number).toBeGreaterThanOrEqual(Math.floor(Math.min(...scored) * 10) / 10 - 0.05);
        expect(s as number).toBeLessThanOrEqual(Math.ceil(Math.max(...scored) * 10) / 10 + 0.05);
        expect(resilienceScore([...entries, { weight: 5, score: null }])).toBe(s);
      }),
    );
  });

  it('scales with weights: multiplying every weight by k changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ weight: fc.integer({ min: 1, max: 10 }), score: fc.constantFrom(0, 25, 50, 75, 100) }), { minLength: 1 }), fc.integer({ min: 2, max: 9 }), (entries, k) => {
        expect(resilienceScore(entries.map((e) => ({ ...e, weight: e.weight * k })))).toBe(resilienceScore(entries));
      }),
    );
  });
});

describe('renderJson', () => {
  it('is indented JSON that parses back to the same object', () => {
    const j = { kind: 'suite', version: 1, name: 'x', seed: null, startedAt: null, experiments: [], score: null, verdicts: { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 }, duration: 0 } as const;
    const text = renderJson(j);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toContain('\n  "kind": "suite"');
    expect(JSON.parse(text)).toEqual(j);
  });
});
