/**
 * Property tests of the numeric rules: each algorithm's step (gradient2, aimd, vegas) and
 * the estimator that applies them (the limit stays a whole number within [minLimit,
 * maxLimit]; a probe only ever admits less).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adaptiveAlgorithm, adaptiveLimits, windowStats } from '../../test/support/adaptive-arbitraries';
import { AimdRule } from './aimd';
import { appLimited, logStep } from './algorithm';
import { LimitEstimator } from './estimator';
import { Gradient2Rule } from './gradient2';
import { createRule } from './options';
import { VegasRule } from './vegas';

const limitArb = fc.double({ min: 1, max: 500, noNaN: true });
const noLoadArb = fc.double({ min: 0.001, max: 5_000, noNaN: true });
const gradient2Arb = fc.record({
  tolerance: fc.double({ min: 1, max: 4, noNaN: true }),
  smoothing: fc.double({ min: 0.01, max: 1, noNaN: true }),
});

describe('gradient2 step', () => {
  it('never lowers the limit while latency is within tolerance × no-load, and grows by smoothing × √limit then', () => {
    fc.assert(
      fc.property(gradient2Arb, limitArb, noLoadArb, fc.double({ min: 0, max: 1, noNaN: true }), (o, limit, noLoad, f) => {
        const rule = new Gradient2Rule({ kind: 'gradient2', ...o });
        const latency = noLoad * (0.001 + f * (o.tolerance - 0.001));
        const step = rule.next(limit, { latency, meanInFlight: limit, maxInFlight: Math.ceil(limit), drops: 0, samples: 10 }, noLoad);
        expect(step.cut).toBe(false);
        expect(step.limit).toBeCloseTo(limit + o.smoothing * Math.sqrt(limit), 9);
      }),
    );
  });

  it('beyond tolerance it cuts, and by at most half (before smoothing) in one window', () => {
    fc.assert(
      fc.property(gradient2Arb, limitArb, noLoadArb, fc.double({ min: 1.0001, max: 100, noNaN: true }), (o, limit, noLoad, over) => {
        const rule = new Gradient2Rule({ kind: 'gradient2', ...o });
        const latency = noLoad * o.tolerance * over;
        const step = rule.next(limit, { latency, meanInFlight: limit, maxInFlight: Math.ceil(limit), drops: 0, samples: 10 }, noLoad);
        expect(step.cut).toBe(true);
        const gradient = Math.max(0.5, 1 / over);
        expect(step.limit).toBeCloseTo(limit * (1 - o.smoothing) + (limit * gradient + Math.sqrt(limit)) * o.smoothing, 9);
        expect(step.limit).toBeGreaterThanOrEqual(limit * (1 - o.smoothing / 2) - 1e-9);
      }),
    );
  });
});

describe('aimd step', () => {
  it('a window with a drop multiplies by backoffRatio; without one, +1 when the limit was used, unchanged otherwise', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.99, noNaN: true }), limitArb, windowStats(50), (backoffRatio, limit, w) => {
        const step = new AimdRule({ kind: 'aimd', backoffRatio }).next(limit, w);
        expect(step.cut).toBe(false);
        if (w.drops > 0) expect(step.limit).toBeCloseTo(limit * backoffRatio, 9);
        else if (appLimited(limit, w)) expect(step.limit).toBe(limit);
        else expect(step.limit).toBe(limit + 1);
      }),
    );
  });
});

describe('vegas step', () => {
  it('moves by at most beta × step toward its proposal, down only by step (on a drop or a long queue)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        fc.double({ min: 0.5, max: 5, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        limitArb,
        noLoadArb,
        windowStats(50),
        (alpha, gap, smoothing, limit, noLoad, w) => {
          const beta = alpha + gap;
          const step = new VegasRule({ kind: 'vegas', alpha, beta, smoothing }).next(limit, w, noLoad);
          const s = logStep(limit);
          expect(step.limit).toBeGreaterThanOrEqual(limit - smoothing * s - 1e-9);
          expect(step.limit).toBeLessThanOrEqual(limit + smoothing * beta * s + 1e-9);
          if (w.drops > 0) expect(step.limit).toBeCloseTo(limit - smoothing * s, 9);
          if (step.cut) expect(w.latency).toBeGreaterThan(noLoad);
        },
      ),
    );
  });
});

describe('every algorithm', () => {
  it('never raises the limit after a window in which fewer than half of it were in flight', () => {
    fc.assert(
      fc.property(adaptiveAlgorithm, limitArb, noLoadArb, windowStats(50), (algorithm, limit, noLoad, w) => {
        const lowUse = { ...w, maxInFlight: Math.floor((limit - 1) / 2) };
        fc.pre(appLimited(limit, lowUse));
        expect(createRule(algorithm).next(limit, lowUse, noLoad).limit).toBeLessThanOrEqual(limit);
      }),
    );
  });
});

describe('limit estimator', () => {
  it('keeps the limit a whole number within [minLimit, maxLimit], and admits at most the limit, whatever the samples', () => {
    fc.assert(
      fc.property(
        adaptiveAlgorithm,
        adaptiveLimits(),
        fc.array(
          fc.record({
            latency: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), fc.integer({ min: 0, max: 300 })),
            inFlight: fc.integer({ min: 1, max: 120 }),
            failed: fc.boolean(),
          }),
          { maxLength: 1_500 },
        ),
        (algorithm, { minLimit, maxLimit, initialLimit }, samples) => {
          const e = new LimitEstimator(createRule(algorithm), minLimit, maxLimit, initialLimit);
          expect(e.limit).toBe(initialLimit);
          for (const s of samples) {
            if (!e.wantsSample(s.inFlight)) continue;
            e.sample(s.latency, s.inFlight, s.failed);
            expect(Number.isInteger(e.limit)).toBe(true);
            expect(e.limit).toBeGreaterThanOrEqual(minLimit);
            expect(e.limit).toBeLessThanOrEqual(maxLimit);
            expect(e.admissionLimit).toBeGreaterThanOrEqual(minLimit);
            expect(e.admissionLimit).toBeLessThanOrEqual(e.limit);
            const noLoad = e.noLoadLatency;
            expect(Number.isNaN(noLoad) || noLoad >= 0).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds the no-load latency at the lowest window latency while the latency only falls', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1_000, noNaN: true }), { minLength: 1, maxLength: 30 }), (latencies) => {
        const falling = [...latencies].sort((a, b) => b - a);
        const e = new LimitEstimator(createRule('gradient2'), 10, 10, 10);
        for (const latency of falling) for (let i = 0; i < 10; i++) e.sample(latency, 10, false);
        expect(e.noLoadLatency).toBeCloseTo(falling[falling.length - 1] as number, 9);
      }),
    );
  });
});
