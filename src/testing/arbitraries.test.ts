import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, type OptionsValidationError } from '../core/errors';
import type { Policy } from '../core/policy';
import { bulkhead } from '../bulkhead/index';
import { circuitBreaker } from '../circuit-breaker/index';
import { fallback } from '../fallback/index';
import { retry } from '../retry/index';
import { timeout } from '../timeout/index';
import { arbitraries, type InvalidOptions } from './arbitraries';
import { scriptedDependency } from './scripted-dependency';
import { seededRandom } from './seeded-random';
import { VirtualClock } from './virtual-clock';

function issuesOf(make: () => Policy): string[] | 'accepted' | 'other error' {
  try {
    make();
    return 'accepted';
  } catch (e) {
    if (!isOptionsValidationError(e)) return 'other error';
    return (e as OptionsValidationError).issues.map((i) => i.path).sort();
  }
}

const cases: readonly [string, fc.Arbitrary<object>, fc.Arbitrary<InvalidOptions<object>>, (o: never) => Policy][] = [
  ['retry', arbitraries.retryOptions(), arbitraries.invalidRetryOptions(), (o) => retry(o)],
  ['circuitBreaker', arbitraries.circuitBreakerOptions(), arbitraries.invalidCircuitBreakerOptions(), (o) => circuitBreaker(o)],
  ['timeout', arbitraries.timeoutOptions(), arbitraries.invalidTimeoutOptions(), (o) => timeout(o)],
  ['bulkhead', arbitraries.bulkheadOptions(), arbitraries.invalidBulkheadOptions(), (o) => bulkhead(o)],
  ['fallback', arbitraries.fallbackOptions(), arbitraries.invalidFallbackOptions(), (o) => fallback(o)],
];

describe('arbitraries: policy options', () => {
  for (const [name, valid, invalid, make] of cases) {
    it(`${name}: every valid value is accepted by the factory`, () => {
      fc.assert(
        fc.property(valid, (o) => {
          expect(issuesOf(() => make(o as never))).toBe('accepted');
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: every invalid value is rejected, naming exactly the broken fields`, () => {
      fc.assert(
        fc.property(invalid, ({ options, invalid: paths }) => {
          expect(paths.length).toBeGreaterThan(0);
          expect(issuesOf(() => make(options as never))).toEqual([...paths].sort());
        }),
        { numRuns: 300 },
      );
    });
  }

  it('fixed fields are added to every value', () => {
    const clock = new VirtualClock();
    const random = seededRandom(1);
    fc.assert(
      fc.property(arbitraries.retryOptions({ clock, random, name: 'r' }), (o) => {
        expect(o.clock).toBe(clock);
        expect(o.random).toBe(random);
        expect(retry(o).name).toBe('r');
      }),
      { numRuns: 20 },
    );
  });
});

describe('arbitraries: faults and latency', () => {
  it('fault schedules are valid scripts, and follow the weights and errors given', () => {
    const clock = new VirtualClock();
    const boom = new Error('boom');
    fc.assert(
      fc.property(arbitraries.faultSchedule({ value: 'v', errors: [boom], weights: { hang: 0 }, maxLength: 8 }), (schedule) => {
        expect(() => scriptedDependency(schedule, clock)).not.toThrow();
        expect(schedule.calls?.length ?? 0).toBeLessThanOrEqual(8);
        for (const s of schedule.calls ?? []) {
          expect(s.kind).not.toBe('hang');
          if (s.kind === 'fail') expect(s.error).toBe(boom);
          if (s.kind === 'ok') expect(s.value).toBe('v');
        }
        expect(schedule.otherwise).toEqual({ kind: 'ok', value: 'v' });
      }),
      { numRuns: 200 },
    );
  });

  it('schedules cover every step kind with default weights', () => {
    const kinds = new Set(fc.sample(arbitraries.step(), { numRuns: 300, seed: 7 }).map((s) => (s.kind === 'ok' && s.delay !== undefined ? 'slow' : s.kind)));
    expect([...kinds].sort()).toEqual(['fail', 'hang', 'ok', 'slow']);
    expect(() => fc.sample(arbitraries.step({ weights: { ok: 0, fail: 0, slow: 0, hang: 0 } }), 1)).toThrow(/every weight is 0/);
  });

  it('timelines are sorted and inside the horizon', () => {
    const clock = new VirtualClock();
    fc.assert(
      fc.property(arbitraries.faultTimeline({ horizon: 5_000 }), (schedule) => {
        const froms = (schedule.timeline ?? []).map((e) => e.from);
        expect(froms).toEqual([...froms].sort((a, b) => a - b));
        for (const f of froms) expect(f).toBeLessThanOrEqual(5_000);
        expect(() => scriptedDependency(schedule, clock)).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('latency distributions sample within their bounds', () => {
    fc.assert(
      fc.property(arbitraries.latencyDistribution(1_000), fc.integer(), (dist, seed) => {
        const random = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = dist.sample(random);
          expect(x).toBeGreaterThanOrEqual(dist.min);
          expect(x).toBeLessThanOrEqual(dist.max);
        }
      }),
      { numRuns: 200 },
    );
  });
});
