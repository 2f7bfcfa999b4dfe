// Property tests of the trend's numbers: pooled availability, mean and worst MTTR, the
// recomputed score, the change of score, and their independence from a JSON round trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chaosResult } from '../../../test/support/litmus-fixtures';
import { fromLitmusResult } from '../litmus-result';
import { experimentScore, resilienceScore, type ExperimentJournal, type SuiteJournal, type Verdict } from './journal';
import { trendOf } from './trend';
import { sparkline } from './trend-markdown';

// A complete journal to vary (a cluster experiment's has every field).
const base: ExperimentJournal = fromLitmusResult(JSON.stringify(chaosResult()));

const experimentArb = fc
  .record({
    verdict: fc.constantFrom<Verdict>('pass', 'fail', 'halted', 'aborted', 'skipped'),
    mttr: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
    faultsOffAt: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
    calls: fc.integer({ min: 0, max: 10_000 }),
    failRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    held: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    heldRecovery: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    weight: fc.double({ min: 0, max: 10, noNaN: true }),
  })
  .map((o): [number, ExperimentJournal] => [
    o.weight,
    {
      ...base,
      experiment: `e${o.calls % 5}`,
      verdict: o.verdict,
      mttr: o.mttr,
      faultsOffAt: o.faultsOffAt,
      heldDuringInjection: o.held,
      heldDuringRecovery: o.heldRecovery,
      summary: { ...base.summary, underFault: { ...base.summary.underFault, calls: o.calls, failures: Math.floor(o.calls * o.failRatio) } },
    },
  ]);

const suiteArb = fc.array(experimentArb, { minLength: 1, maxLength: 6 }).map(
  (list): SuiteJournal => ({
    kind: 'suite',
    version: 1,
    name: 'game day',
    seed: null,
    startedAt: null,
    experiments: list.map(([weight, journal]) => ({ weight, score: null, journal })),
    score: null,
    verdicts: { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 },
    duration: 0,
  }),
);

describe('trendOf: properties', () => {
  it('availability under fault is the pooled successful share, between the lowest and highest experiment', () => {
    fc.assert(
      fc.property(suiteArb, (s) => {
        const run = trendOf([s]).runs[0]!;
        const withCalls = s.experiments.map((e) => e.journal.summary.underFault).filter((u) => u.calls > 0);
        const calls = withCalls.reduce((a, u) => a + u.calls, 0);
        if (calls === 0) {
          // (No `return expect(…)`: fast-check counts any returned value but true or undefined as a failure.)
          expect(run.availabilityUnderFault).toBeNull();
          return;
        }
        const ok = withCalls.reduce((a, u) => a + u.calls - u.failures, 0);
        expect(run.availabilityUnderFault).toBe(ok / calls);
        const shares = withCalls.map((u) => (u.calls - u.failures) / u.calls);
        expect(run.availabilityUnderFault!).toBeGreaterThanOrEqual(Math.min(...shares) - 1e-12);
        expect(run.availabilityUnderFault!).toBeLessThanOrEqual(Math.max(...shares) + 1e-12);
        expect(run.callsUnderFault).toBe(calls);
      }),
      { numRuns: 300 },
    );
  });

  it('the mean MTTR lies between the shortest and the longest; the worst is the longest; unrecovered counts the rest', () => {
    fc.assert(
      fc.property(suiteArb, (s) => {
        const run = trendOf([s]).runs[0]!;
        const mttrs = s.experiments.map((e) => e.journal.mttr).filter((m): m is number => m !== null);
        if (mttrs.length === 0) {
          expect(run.mttr).toBeNull();
          expect(run.worstMttr).toBeNull();
        } else {
          expect(run.mttr!).toBeGreaterThanOrEqual(Math.min(...mttrs) - 0.05);
          expect(run.mttr!).toBeLessThanOrEqual(Math.max(...mttrs) + 0.05);
          expect(run.worstMttr).toBe(Math.max(...mttrs));
        }
        expect(run.unrecovered).toBe(s.experiments.filter((e) => e.journal.mttr === null && e.journal.faultsOffAt !== null).length);
      }),
      { numRuns: 300 },
    );
  });

  it('the score is the weighted resilience score of the verdicts (0–100), whatever the stored one; the change is latest − previous', () => {
    fc.assert(
      fc.property(fc.array(suiteArb, { minLength: 1, maxLength: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (suites, stored) => {
        const t = trendOf(suites.map((s) => ({ ...s, score: stored })));
        t.runs.forEach((r, i) => {
          const entries = suites[i]!.experiments.map((e) => ({ weight: e.weight, score: experimentScore(e.journal) }));
          expect(r.score).toBe(resilienceScore(entries));
          if (r.score !== null) expect(r.score >= 0 && r.score <= 100).toBe(true);
        });
        const scored = t.runs.filter((r) => r.score !== null).map((r) => r.score as number);
        expect(t.scoreChange).toBe(scored.length < 2 ? null : Math.round((scored[scored.length - 1]! - scored[scored.length - 2]!) * 10) / 10);
        expect(sparkline(t.runs.map((r) => r.score))).toHaveLength(t.runs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('a history read back from its JSON gives the same trend', () => {
    fc.assert(
      fc.property(fc.array(suiteArb, { maxLength: 4 }), (suites) => {
        expect(trendOf(JSON.parse(JSON.stringify(suites)))).toEqual(trendOf(suites));
      }),
      { numRuns: 100 },
    );
  });
});
