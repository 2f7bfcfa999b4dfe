/**
 * The edges of the fleet's checks (fleet.ts, issue #23): the bounds of a well-formed report
 * (instance length, retryAfter, generation, probe), which objects may carry one (plain or
 * null-prototype objects, never arrays or class instances), what a `coordinator` and a
 * `quorum` may be, and the quorum arithmetic at its smallest fleets. The random property
 * tests rarely land exactly on these bounds.
 */
import { describe, expect, it } from 'vitest';
import { isBreakerFleet, isBreakerFleetReport, isFleetQuorum, requiredReports } from './fleet';

const YEAR = 365 * 24 * 3_600_000;
const open = { instance: 'peer', open: true, retryAfter: 1_000, generation: 3 } as const;
const closed = { instance: 'peer', open: false, retryAfter: 0, generation: 3 } as const;

describe('isBreakerFleetReport: the bounds of each field', () => {
  it('an instance id of 1 to 256 characters', () => {
    expect(isBreakerFleetReport({ ...open, instance: 'x' })).toBe(true);
    expect(isBreakerFleetReport({ ...open, instance: 'x'.repeat(256) })).toBe(true);
    expect(isBreakerFleetReport({ ...open, instance: 'x'.repeat(257) })).toBe(false);
    expect(isBreakerFleetReport({ ...open, instance: '' })).toBe(false);
    expect(isBreakerFleetReport({ ...open, instance: 7 })).toBe(false);
  });

  it('open is a boolean', () => {
    expect(isBreakerFleetReport({ ...open, open: 1 })).toBe(false);
    expect(isBreakerFleetReport({ ...closed, open: 0 })).toBe(false);
  });

  it('retryAfter of an open report is in [0, 1 year] ms; NaN is not', () => {
    expect(isBreakerFleetReport({ ...open, retryAfter: 0 })).toBe(true);
    expect(isBreakerFleetReport({ ...open, retryAfter: YEAR })).toBe(true);
    expect(isBreakerFleetReport({ ...open, retryAfter: YEAR + 1 })).toBe(false);
    expect(isBreakerFleetReport({ ...open, retryAfter: -1 })).toBe(false);
    expect(isBreakerFleetReport({ ...open, retryAfter: Number.NaN })).toBe(false);
    expect(isBreakerFleetReport({ ...open, retryAfter: '1000' })).toBe(false);
  });

  it('a closed report has retryAfter 0', () => {
    expect(isBreakerFleetReport(closed)).toBe(true);
    expect(isBreakerFleetReport({ ...closed, retryAfter: 1 })).toBe(false);
  });

  it('generation is an integer from 0 to Number.MAX_SAFE_INTEGER', () => {
    expect(isBreakerFleetReport({ ...open, generation: 0 })).toBe(true);
    expect(isBreakerFleetReport({ ...open, generation: Number.MAX_SAFE_INTEGER })).toBe(true);
    expect(isBreakerFleetReport({ ...open, generation: Number.MAX_SAFE_INTEGER + 1 })).toBe(false);
    expect(isBreakerFleetReport({ ...open, generation: -1 })).toBe(false);
    expect(isBreakerFleetReport({ ...open, generation: 1.5 })).toBe(false);
    expect(isBreakerFleetReport({ ...open, generation: '3' })).toBe(false);
  });

  it('probe is absent, `succeeded` on a closed report or `failed` on an open one', () => {
    expect(isBreakerFleetReport({ ...closed, probe: undefined })).toBe(true);
    expect(isBreakerFleetReport({ ...closed, probe: 'succeeded' })).toBe(true);
    expect(isBreakerFleetReport({ ...open, probe: 'failed' })).toBe(true);
    expect(isBreakerFleetReport({ ...open, probe: 'succeeded' })).toBe(false);
    expect(isBreakerFleetReport({ ...closed, probe: 'failed' })).toBe(false);
    expect(isBreakerFleetReport({ ...open, probe: 'maybe' })).toBe(false);
  });

  it('each of the five keys is allowed; any other key is not', () => {
    expect(isBreakerFleetReport({ ...closed, probe: 'succeeded' })).toBe(true);
    expect(isBreakerFleetReport({ ...open, extra: 1 })).toBe(false);
    expect(isBreakerFleetReport({ ...open, Instance: 'peer' })).toBe(false);
  });
});

describe('isBreakerFleetReport: what may carry a report', () => {
  it('a plain object or a null-prototype object', () => {
    expect(isBreakerFleetReport(Object.assign(Object.create(null) as object, open))).toBe(true);
  });

  it('never an instance of a class, an array (even one shaped like a report), null or a primitive', () => {
    class Report {
      instance = 'peer';
      open = true;
      retryAfter = 1_000;
      generation = 3;
    }
    expect(isBreakerFleetReport(new Report())).toBe(false);
    const arrayReport = Object.assign(Object.setPrototypeOf([], null) as object, open);
    expect(Object.keys(arrayReport)).toEqual(['instance', 'open', 'retryAfter', 'generation']);
    expect(isBreakerFleetReport(arrayReport)).toBe(false);
    expect(isBreakerFleetReport(null)).toBe(false);
    expect(isBreakerFleetReport(undefined)).toBe(false);
    expect(isBreakerFleetReport('{"instance":"peer"}')).toBe(false);
  });
});

describe('isBreakerFleet and isFleetQuorum', () => {
  it('a coordinator is an object or a function with a joinBreaker function', () => {
    const joinBreaker = (): never => {
      throw new Error('not joined in this test');
    };
    expect(isBreakerFleet({ joinBreaker })).toBe(true);
    expect(isBreakerFleet(Object.assign(() => {}, { joinBreaker }))).toBe(true);
    expect(isBreakerFleet({ joinBreaker: 'redis' })).toBe(false);
    expect(isBreakerFleet({})).toBe(false);
    expect(isBreakerFleet(() => {})).toBe(false);
    expect(isBreakerFleet(null)).toBe(false);
    expect(isBreakerFleet('fleet')).toBe(false);
  });

  it('a quorum is an integer ≥ 1 or a finite number strictly between 0 and 1', () => {
    expect([1, 2, 0.5, Number.MIN_VALUE, 1 - Number.EPSILON].map(isFleetQuorum)).toEqual([true, true, true, true, true]);
    expect([0, -0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN, '2'].map(isFleetQuorum)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('requiredReports at the smallest fleets', () => {
  it('a fraction of a fleet of zero or one live instance needs one report', () => {
    expect(requiredReports(0.5, 0)).toBe(1);
    expect(requiredReports(0.999, 1)).toBe(1);
    expect(requiredReports(0.001, 1)).toBe(1);
  });

  it('a fraction of two instances: up to one half needs one report, more needs two', () => {
    expect(requiredReports(0.5, 2)).toBe(1);
    expect(requiredReports(0.51, 2)).toBe(2);
  });
});
