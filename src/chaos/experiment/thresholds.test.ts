import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateThreshold, parseThreshold, percentile, ThresholdSyntaxError, type ThresholdOperator } from './thresholds';

describe('parseThreshold', () => {
  it.each([
    ['rate<0.01', { aggregate: 'rate', percentile: undefined, operator: '<', value: 0.01 }],
    ['p(99)<800', { aggregate: 'p', percentile: 99, operator: '<', value: 800 }],
    ['p(95)<=300', { aggregate: 'p', percentile: 95, operator: '<=', value: 300 }],
    [' p( 99.9 ) <  1e3 ', { aggregate: 'p', percentile: 99.9, operator: '<', value: 1000 }],
    ['avg<200', { aggregate: 'avg', percentile: undefined, operator: '<', value: 200 }],
    ['max<2000', { aggregate: 'max', operator: '<', value: 2000 }],
    ['min>=0', { aggregate: 'min', operator: '>=', value: 0 }],
    ['med<100', { aggregate: 'med', percentile: 50, operator: '<', value: 100 }],
    ['count>100', { aggregate: 'count', operator: '>', value: 100 }],
    ['rate>0.995', { aggregate: 'rate', operator: '>', value: 0.995 }],
    ['rate==0', { aggregate: 'rate', operator: '==', value: 0 }],
    ['rate===0', { aggregate: 'rate', operator: '==', value: 0 }],
    ['count!=3', { aggregate: 'count', operator: '!=', value: 3 }],
    ['avg<.5', { aggregate: 'avg', operator: '<', value: 0.5 }],
  ])('parses %s', (src, expected) => {
    expect(parseThreshold(src)).toMatchObject(expected);
  });

  it.each([
    ['', 1, 'an aggregation'],
    ['p99<800', 1, 'an aggregation'],
    ['p(99<800', 5, '")" closing p('],
    ['p(0)<1', 3, 'greater than 0 and at most 100'],
    ['p(101)<1', 3, 'greater than 0 and at most 100'],
    ['p()<1', 3, 'a percentile number'],
    ['rate 0.01', 6, 'an operator'],
    ['rate=<0.01', 5, 'an operator'],
    ['rate<', 6, 'a number after the operator'],
    ['rate<abc', 6, 'a number after the operator'],
    ['rate<0.01ms', 10, 'the end of the expression'],
    ['rate<1e999', 6, 'a finite number'],
    ['avg<1 && max<2', 7, 'the end of the expression'],
  ])('rejects %j at character %i (%s)', (src, at, words) => {
    let error: unknown;
    try {
      parseThreshold(src);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ThresholdSyntaxError);
    expect((error as ThresholdSyntaxError).message).toContain(`at character ${at}:`);
    expect((error as ThresholdSyntaxError).message).toContain(words);
    expect((error as ThresholdSyntaxError).expression).toBe(src);
  });

  it('checks the aggregation against the metric', () => {
    expect(() => parseThreshold('p(99)<1', 'errorRate')).toThrow('an aggregation that applies to errorRate: rate, count');
    expect(() => parseThreshold('rate<1', 'latency')).toThrow('avg, min, max, med, p(N), count');
    expect(parseThreshold('rate>10', 'throughput').value).toBe(10);
  });

  it('rejects non-strings', () => {
    expect(() => parseThreshold(42 as unknown as string)).toThrow(ThresholdSyntaxError);
  });

  it('round-trips any aggregation, operator and finite number', () => {
    const agg = fc.oneof(fc.constantFrom('rate', 'count', 'avg', 'min', 'max', 'med', 'burn_rate'), fc.integer({ min: 1, max: 100 }).map((n) => `p(${n})`));
    const op = fc.constantFrom<ThresholdOperator>('<', '<=', '>', '>=', '==', '!=');
    const value = fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(agg, op, value, fc.constantFrom('', ' ', '  '), (a, o, v, sp) => {
        const t = parseThreshold(`${a}${sp}${o}${sp}${String(v)}`);
        expect(t.operator).toBe(o);
        expect(t.value).toBe(v === 0 ? 0 : v); // -0 prints as "0"
        expect(t.aggregate).toBe(a.startsWith('p(') ? 'p' : a);
      }),
    );
  });
});

describe('percentile (nearest rank)', () => {
  it('matches the definition', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 75)).toBe(30);
    expect(percentile([10, 20, 30, 40], 76)).toBe(40);
    expect(percentile([5], 99)).toBe(5);
  });

  it('is a value of the sample with at least p% of the sample ≤ it, and the smallest such', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0.1, max: 100, noNaN: true }), (xs, p) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const v = percentile(sorted, p);
        expect(sorted).toContain(v);
        const atOrBelow = sorted.filter((x) => x <= v).length;
        expect(atOrBelow / sorted.length).toBeGreaterThanOrEqual(p / 100 - 1e-12);
        const below = sorted.filter((x) => x < v).length;
        expect(below / sorted.length).toBeLessThan(p / 100 + 1e-12);
      }),
    );
  });
});

describe('evaluateThreshold', () => {
  const m = { calls: 4, failures: 1, durations: [10, 20, 30, 400], length: 2_000 };
  it.each([
    ['errorRate', 'rate<0.3', 0.25, true],
    ['errorRate', 'count<=1', 1, true],
    ['availability', 'rate>0.8', 0.75, false],
    ['availability', 'count>=3', 3, true],
    ['latency', 'p(99)<300', 400, false],
    ['latency', 'med<=20', 20, true],
    ['latency', 'avg<200', 115, true],
    ['latency', 'min>10', 10, false],
    ['latency', 'max<500', 400, true],
    ['latency', 'count==4', 4, true],
    ['throughput', 'rate>=2', 2, true],
    ['throughput', 'count!=4', 4, false],
  ] as const)('%s %s → %s (%s)', (metric, src, value, pass) => {
    expect(evaluateThreshold(metric, parseThreshold(src, metric), m)).toEqual({ value, pass });
  });

  it('gives no verdict without data, except for counts and throughput', () => {
    const empty = { calls: 0, failures: 0, durations: [], length: 1_000 };
    expect(evaluateThreshold('errorRate', parseThreshold('rate<0.1'), empty)).toEqual({ value: null, pass: null });
    expect(evaluateThreshold('latency', parseThreshold('p(99)<1'), empty)).toEqual({ value: null, pass: null });
    expect(evaluateThreshold('errorRate', parseThreshold('count<1'), empty)).toEqual({ value: 0, pass: true });
    expect(evaluateThreshold('throughput', parseThreshold('rate>1'), empty)).toEqual({ value: 0, pass: false });
  });

  it('error rate and availability always add up to 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(), (calls, f) => {
        const failures = f % (calls + 1);
        const w = { calls, failures, durations: [], length: 1_000 };
        const e = evaluateThreshold('errorRate', parseThreshold('rate<1'), w).value as number;
        const a = evaluateThreshold('availability', parseThreshold('rate>0'), w).value as number;
        expect(e + a).toBeCloseTo(1, 12);
        expect(e).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('burn_rate', () => {
  it('parses on errorRate and availability only', () => {
    expect(parseThreshold('burn_rate < 14.4', 'errorRate')).toMatchObject({ aggregate: 'burn_rate', operator: '<', value: 14.4 });
    expect(parseThreshold('burn_rate<=1', 'availability').aggregate).toBe('burn_rate');
    expect(() => parseThreshold('burn_rate<1', 'latency')).toThrow('an aggregation that applies to latency');
    expect(() => parseThreshold('burnrate<1')).toThrow('an aggregation: rate, count, avg, min, max, med, burn_rate or p(N)');
  });

  it('is the error rate over the budget (1 − objective), the same on both metrics; no data without calls or objective', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(), fc.double({ min: 0.5, max: 0.9999, noNaN: true }), (calls, f, objective) => {
        const failures = f % (calls + 1);
        const m = { calls, failures, durations: [], length: 1_000, objective };
        const e = evaluateThreshold('errorRate', parseThreshold('burn_rate<1'), m).value as number;
        const a = evaluateThreshold('availability', parseThreshold('burn_rate<1'), m).value as number;
        expect(e).toBe(a);
        expect(e * (1 - objective)).toBeCloseTo(failures / calls, 9);
        expect(evaluateThreshold('errorRate', parseThreshold('burn_rate<1'), m).pass).toBe(e < 1);
      }),
    );
    const t = parseThreshold('burn_rate<1');
    expect(evaluateThreshold('errorRate', t, { calls: 0, failures: 0, durations: [], length: 1, objective: 0.99 })).toEqual({ value: null, pass: null });
    expect(evaluateThreshold('errorRate', t, { calls: 5, failures: 1, durations: [], length: 1 })).toEqual({ value: null, pass: null });
  });
});
