import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CircuitBreakerSnapshot } from './snapshot';
import {
  ConsecutiveFailuresRule,
  CountWindowRule,
  createTripRule,
  TimeWindowRule,
  type TripReason,
  type TripRule,
} from './trip-rule';

const INF = Number.POSITIVE_INFINITY;

/** One counted call: `F` failed, `S` succeeded, `f`/`s` the same but slow; at time `t`. */
type Step = readonly [outcome: 'F' | 'S' | 'f' | 's', t: number, expected: TripReason | undefined];

function play(rule: TripRule, steps: readonly Step[]): (TripReason | undefined)[] {
  return steps.map(([o, t]) => {
    const failed = o === 'F' || o === 'f';
    const slow = o === 'f' || o === 's';
    const reason = rule.record(failed, slow, t);
    // record() returns what shouldTrip() says right after it, and shouldTrip() changes nothing.
    expect(rule.shouldTrip(t)).toBe(reason);
    expect(rule.shouldTrip(t)).toBe(reason);
    return reason;
  });
}

const snap = (state: CircuitBreakerSnapshot['state'], part: Partial<CircuitBreakerSnapshot>): CircuitBreakerSnapshot => ({
  version: 1,
  state,
  openedFor: 0,
  recoveryTimeout: 0,
  consecutiveOpens: 0,
  consecutiveFailures: 0,
  probeSuccesses: 0,
  window: null,
  ...part,
});

describe('trip rules: record → shouldTrip (table)', () => {
  const cases: { name: string; rule: () => TripRule; steps: Step[] }[] = [
    {
      name: 'consecutive(3): a success restarts the count',
      rule: () => new ConsecutiveFailuresRule(3),
      steps: [['F', 0, undefined], ['F', 0, undefined], ['S', 0, undefined], ['F', 0, undefined], ['F', 0, undefined], ['F', 0, 'failures']],
    },
    {
      name: 'consecutive(1): the first failure trips; slowness means nothing',
      rule: () => new ConsecutiveFailuresRule(1),
      steps: [['s', 0, undefined], ['S', 0, undefined], ['F', 0, 'failures']],
    },
    {
      name: 'count window 4, minimum 4, failure rate 0.5: no verdict below the minimum',
      rule: () => new CountWindowRule(4, 4, 0.5, INF, INF),
      steps: [['F', 0, undefined], ['F', 0, undefined], ['F', 0, undefined], ['S', 0, 'failure-rate']],
    },
    {
      name: 'count window 4: the oldest outcome leaves the window',
      rule: () => new CountWindowRule(4, 4, 0.75, INF, INF),
      steps: [['F', 0, undefined], ['S', 0, undefined], ['S', 0, undefined], ['F', 0, undefined], ['F', 0, undefined], ['F', 0, 'failure-rate']],
    },
    {
      name: 'count window: failure rate is tested before the slow-call rate',
      rule: () => new CountWindowRule(2, 2, 0.5, 100, 0.5),
      steps: [['s', 0, undefined], ['f', 0, 'failure-rate']],
    },
    {
      name: 'count window: slow-call rate',
      rule: () => new CountWindowRule(3, 3, 1, 100, 0.6),
      steps: [['s', 0, undefined], ['S', 0, undefined], ['f', 0, 'slow-call-rate']],
    },
    {
      name: 'time window 1 000 ms / 10 buckets, minimum 2: failures of an expired bucket no longer count',
      rule: () => new TimeWindowRule(1_000, 10, 2, 0.5, INF, INF),
      steps: [['F', 0, undefined], ['S', 1_000, undefined], ['F', 1_050, 'failure-rate']],
    },
    {
      name: 'time window: calls within the window add up',
      rule: () => new TimeWindowRule(1_000, 10, 3, 0.6, INF, INF),
      steps: [['F', 0, undefined], ['S', 500, undefined], ['F', 999, 'failure-rate']],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(play(c.rule(), c.steps)).toEqual(c.steps.map((s) => s[2]));
    });
  }

  it('a time window expires on shouldTrip(now) alone: a past failure rate stops tripping once its buckets left the window', () => {
    const rule = new TimeWindowRule(1_000, 10, 1, 0.5, INF, INF);
    expect(rule.record(true, false, 0)).toBe('failure-rate');
    expect(rule.shouldTrip(999)).toBe('failure-rate');
    expect(rule.shouldTrip(1_000)).toBeUndefined();
    expect(rule.counts(1_000)).toEqual({ consecutiveFailures: 0, calls: 0, failures: 0, slowCalls: 0 });
  });
});

describe('trip rules: state changes, snapshots and options', () => {
  it('the consecutive count restarts on any state change; window counts stay until clear()', () => {
    const consecutive: TripRule = new ConsecutiveFailuresRule(5);
    consecutive.record(true, false, 0);
    consecutive.record(true, false, 0);
    expect(consecutive.counts(0).consecutiveFailures).toBe(2);
    consecutive.stateChanged();
    expect(consecutive.counts(0).consecutiveFailures).toBe(0);

    const count: TripRule = new CountWindowRule(10, 10, 0.5, INF, INF);
    count.record(true, false, 0);
    count.stateChanged();
    expect(count.counts(0)).toEqual({ consecutiveFailures: 0, calls: 1, failures: 1, slowCalls: 0 });
    count.clear();
    expect(count.counts(0).calls).toBe(0);
  });

  it('the consecutive count is restored only from a closed snapshot', () => {
    const a: TripRule = new ConsecutiveFailuresRule(5);
    a.restore(snap('closed', { consecutiveFailures: 3 }), 0);
    expect(a.snapshot(0)).toEqual({ consecutiveFailures: 3, window: null });
    const b: TripRule = new ConsecutiveFailuresRule(5);
    b.restore(snap('open', { consecutiveFailures: 3 }), 0);
    expect(b.snapshot(0)).toEqual({ consecutiveFailures: 0, window: null });
  });

  it('a window is restored only from a snapshot of the same window options', () => {
    const count: TripRule = new CountWindowRule(3, 3, 0.5, INF, INF);
    count.record(true, false, 0);
    count.record(false, true, 0);
    const saved = snap('open', count.snapshot(0));
    const same: TripRule = new CountWindowRule(3, 3, 0.5, INF, INF);
    same.restore(saved, 0);
    expect(same.snapshot(0)).toEqual(count.snapshot(0));
    const other = new CountWindowRule(4, 3, 0.5, INF, INF);
    other.restore(saved);
    expect(other.counts().calls).toBe(0);

    const time = new TimeWindowRule(1_000, 10, 2, 0.5, INF, INF);
    time.record(true, false, 120);
    time.record(false, false, 450);
    const savedTime = snap('closed', time.snapshot(500));
    const later = new TimeWindowRule(1_000, 10, 2, 0.5, INF, INF);
    later.restore(savedTime, 10_500); // another clock origin: counts are relative
    expect(later.snapshot(10_500)).toEqual(time.snapshot(500));
    const fewer = new TimeWindowRule(1_000, 5, 2, 0.5, INF, INF);
    fewer.restore(savedTime, 500);
    expect(fewer.counts(500).calls).toBe(0);
  });

  it('snapshot → restore → snapshot is the identity for every rule (property)', () => {
    const outcome = fc.record({ failed: fc.boolean(), slow: fc.boolean(), dt: fc.integer({ min: 0, max: 300 }) });
    fc.assert(
      fc.property(fc.constantFrom('consecutive', 'count', 'time'), fc.array(outcome, { maxLength: 60 }), (kind, outcomes) => {
        const make = (): TripRule =>
          kind === 'consecutive'
            ? new ConsecutiveFailuresRule(1_000)
            : kind === 'count'
              ? new CountWindowRule(7, 7, 1, 50, 1)
              : new TimeWindowRule(1_000, 4, 10, 1, 50, 1);
        const rule = make();
        let t = 0;
        for (const o of outcomes) rule.record(o.failed, o.slow, (t += o.dt));
        const copy = make();
        copy.restore(snap('closed', rule.snapshot(t)), t);
        expect(copy.snapshot(t)).toEqual(rule.snapshot(t));
        expect(copy.counts(t)).toEqual(rule.counts(t));
      }),
    );
  });

  it('createTripRule picks the rule and its defaults from the options', () => {
    const consecutive = createTripRule({});
    expect(consecutive).toBeInstanceOf(ConsecutiveFailuresRule);
    expect([consecutive.kind, consecutive.timesCalls, consecutive.usesNow, consecutive.slowCallDuration]).toEqual(['consecutive', false, false, INF]);
    expect(consecutive.describe()).toEqual({ failureThreshold: 5 });

    const count = createTripRule({ window: { kind: 'count', size: 4 } });
    expect(count).toBeInstanceOf(CountWindowRule);
    expect([count.kind, count.timesCalls, count.usesNow]).toEqual(['count', false, false]);
    expect(count.describe()).toEqual({ window: { kind: 'count', size: 4 }, minimumThroughput: 4, failureRateThreshold: 0.5 });

    const time = createTripRule({ window: { kind: 'time', duration: 10_000 }, slowCallDuration: 200 });
    expect(time).toBeInstanceOf(TimeWindowRule);
    expect([time.kind, time.timesCalls, time.usesNow, time.slowCallDuration]).toEqual(['time', true, true, 200]);
    expect(time.describe()).toEqual({
      window: { kind: 'time', duration: 10_000, buckets: 10 },
      minimumThroughput: 10,
      failureRateThreshold: 0.5,
      slowCallDuration: 200,
      slowCallRateThreshold: 1,
    });
  });
});
