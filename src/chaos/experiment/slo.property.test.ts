// The SLO arithmetic: burn rate, error budget consumed, and their compiled forms.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ValidationIssue } from '../../core/errors';
import { burnRate, compileSlos, DEFAULT_SLO_WINDOW, errorBudgetConsumed, SloMeter, sloUsage } from './slo';

const objective = fc.double({ min: 0.5, max: 0.99999, noNaN: true });
const window = fc.integer({ min: 60_000, max: 90 * 24 * 3_600_000 });

describe('burn rate and budget consumed', () => {
  it('a burn rate of 1 is an error rate equal to the budget, and it spends a whole window in a window', () => {
    fc.assert(
      fc.property(objective, window, (o, w) => {
        expect(burnRate(1 - o, o)).toBeCloseTo(1, 9);
        expect(errorBudgetConsumed(burnRate(1 - o, o), w, w)).toBeCloseTo(1, 9);
      }),
    );
  });

  it('is 0 without failures, grows with the failures, and scales the error rate by 1 / (1 − objective)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.nat(), fc.nat(), objective, (calls, a, b, o) => {
        const f1 = a % (calls + 1);
        const f2 = b % (calls + 1);
        expect(burnRate(0, o)).toBe(0);
        if (f1 <= f2) expect(burnRate(f1 / calls, o)).toBeLessThanOrEqual(burnRate(f2 / calls, o));
        expect(burnRate(f1 / calls, o) * (1 - o)).toBeCloseTo(f1 / calls, 9);
      }),
    );
  });

  it('budget consumed adds up over consecutive periods with the same traffic rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }), // calls per second
        fc.integer({ min: 1, max: 600 }), // seconds of period A
        fc.integer({ min: 1, max: 600 }), // seconds of period B
        fc.nat(),
        fc.nat(),
        objective,
        window,
        (rate, sa, sb, fa, fb, o, w) => {
          const ca = rate * sa;
          const cb = rate * sb;
          const a = sloUsage(ca, fa % (ca + 1), sa * 1000, o, w);
          const b = sloUsage(cb, fb % (cb + 1), sb * 1000, o, w);
          const both = sloUsage(ca + cb, (fa % (ca + 1)) + (fb % (cb + 1)), (sa + sb) * 1000, o, w);
          expect((a.budgetConsumed as number) + (b.budgetConsumed as number)).toBeCloseTo(both.budgetConsumed as number, 5);
        },
      ),
    );
  });

  it('14.4 × for an hour spends 2 % of a 30-day budget (the SRE workbook fast-burn page)', () => {
    expect(errorBudgetConsumed(14.4, 3_600_000, DEFAULT_SLO_WINDOW)).toBeCloseTo(0.02, 12);
    expect(sloUsage(0, 0, 1_000, 0.999, DEFAULT_SLO_WINDOW)).toEqual({ calls: 0, failures: 0, duration: 1_000, burnRate: null, budgetConsumed: null });
  });
});

describe('SloMeter', () => {
  it('counts per SLO, "*" counting every call, and keeps the highest window burn rate', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ op: fc.constantFrom('a', 'b'), ok: fc.boolean(), faultsOn: fc.boolean() }), { maxLength: 200 }), (calls) => {
        const m = new SloMeter([
          { operation: 'a', objective: 0.9, window: 1_000 },
          { operation: '*', objective: 0.99, window: 1_000 },
        ]);
        for (const c of calls) m.record(c.op, c.ok, c.faultsOn);
        m.window((op) => ({ calls: op === 'a' ? 10 : 20, failures: 1 }), 500);
        m.window((op) => ({ calls: op === 'a' ? 10 : 0, failures: op === 'a' ? 5 : 0 }), 1_000);
        const [a, all] = m.records([{ phase: 'baseline', start: 0, end: 400 }, { phase: 'inject', start: 400, end: 1_000 }]);
        const of = (pred: (c: (typeof calls)[number]) => boolean) => calls.filter(pred);
        expect(a?.overall.calls).toBe(of((c) => c.op === 'a').length);
        expect(a?.overall.failures).toBe(of((c) => c.op === 'a' && !c.ok).length);
        expect(a?.underFault.calls).toBe(of((c) => c.op === 'a' && c.faultsOn).length);
        expect(all?.overall.calls).toBe(calls.length);
        expect(all?.underFault.failures).toBe(of((c) => c.faultsOn && !c.ok).length);
        expect([a?.overall.duration, a?.underFault.duration]).toEqual([1_000, 600]);
        expect([a?.peakBurnRate, a?.peakAt]).toEqual([5, 1_000]); // 50 % against 10 %
        expect([all?.peakBurnRate, all?.peakAt]).toEqual([5, 500]); // 5 % against 1 %; the empty window has no rate
        expect(all?.met).toBe(calls.length === 0 ? null : of((c) => !c.ok).length <= 0.01 * calls.length + 1e-9);
      }),
    );
  });
});

describe('compileSlos', () => {
  it('names every bad entry', () => {
    const issues: ValidationIssue[] = [];
    const input: unknown = JSON.parse('{"a":{"objective":0.99},"b":{"objective":0},"c":{"objective":0.9,"window":-1},"d":5,"e":{"objective":0.9,"windows":1},"__proto__":{"objective":0.9}}');
    const out = compileSlos(input, issues);
    expect(out).toEqual([{ operation: 'a', objective: 0.99, window: DEFAULT_SLO_WINDOW }]);
    expect(issues.map((i) => i.path)).toEqual(['slos.b.objective', 'slos.c.window', 'slos.d', 'slos.e.windows', 'slos.__proto__']);
    expect(compileSlos(undefined, issues)).toEqual([]);
  });
});
