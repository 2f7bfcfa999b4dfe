/**
 * The pure step snapshot → metric families: a hand-written snapshot in, the exact
 * families out, reading nothing but its arguments.
 */
import { describe, expect, it } from 'vitest';
import { toMetricFamilies } from './families';
import { MetricNames } from './names';
import type { MetricFamily, MetricsSnapshot } from './snapshot';
import { EMPTY_SNAPSHOT as EMPTY } from '../../test/support/metrics-fixtures';


const key = { pipeline: 'shop', policy: 'shop', operation: 'buy', labels: { region: 'eu' } };
const histogram = { count: 2, sum: 30, min: 10, max: 20, mean: 15, p50: 10, p90: 20, p99: 20 };

function samplesOf(families: MetricFamily[], name: string): unknown {
  return families.find((f) => f.name === name)?.samples;
}

describe('toMetricFamilies', () => {
  it('lists every family once, in MetricNames order, empty ones included', () => {
    const families = toMetricFamilies(EMPTY, []);
    expect(families.map((f) => f.name)).toEqual(Object.values(MetricNames));
    expect(families.filter((f) => f.samples.length > 0).map((f) => f.name)).toEqual([MetricNames.seriesDropped]);
  });

  const rows: { what: string; snap: Partial<MetricsSnapshot>; name: string; samples: unknown }[] = [
    {
      what: 'calls: every outcome, zeros included',
      snap: {
        calls: [
          {
            ...key,
            outcomes: { success: 3, fallback: 1, failure: 0, rejected: 0, timeout: 0, injected: 0, cancelled: 0 },
            total: 4,
            rejections: {},
            duration: histogram,
            availability: 1,
            window: { good: 4, total: 4 },
          },
        ],
      },
      name: MetricNames.calls,
      samples: ['success', 'fallback', 'failure', 'rejected', 'timeout', 'injected', 'cancelled'].map((outcome, i) => ({
        labels: { pipeline: 'shop', policy: 'shop', operation: 'buy', region: 'eu', outcome },
        value: [3, 1, 0, 0, 0, 0, 0][i],
      })),
    },
    {
      what: 'availability: left out when the window holds no call',
      snap: { calls: [{ ...key, outcomes: { success: 0, fallback: 0, failure: 0, rejected: 0, timeout: 0, injected: 0, cancelled: 1 }, total: 1, rejections: {}, duration: histogram, availability: undefined, window: { good: 0, total: 0 } }] },
      name: MetricNames.availability,
      samples: [],
    },
    {
      what: 'rejections by refusing policy and reason',
      snap: { rejections: [{ ...key, policy: 'gateway', reasons: { 'circuit-open': 2, 'circuit-half-open': 1 }, total: 3 }] },
      name: MetricNames.callRejections,
      samples: [
        { labels: { pipeline: 'shop', policy: 'gateway', operation: 'buy', region: 'eu', reason: 'circuit-open' }, value: 2 },
        { labels: { pipeline: 'shop', policy: 'gateway', operation: 'buy', region: 'eu', reason: 'circuit-half-open' }, value: 1 },
      ],
    },
    {
      what: 'retry budget: only when it ran dry',
      snap: { retries: [{ ...key, policy: 'retry', retries: 4, giveUps: {}, budgetExhausted: 0 }] },
      name: MetricNames.retryBudgetExhausted,
      samples: [],
    },
    {
      what: 'chaos injections with fault and fault_kind',
      snap: { injections: [{ ...key, policy: 'chaos', fault: 'down', faultKind: 'error', injections: 5 }] },
      name: MetricNames.chaosInjections,
      samples: [{ labels: { pipeline: 'shop', policy: 'chaos', operation: 'buy', region: 'eu', fault: 'down', fault_kind: 'error' }, value: 5 }],
    },
    {
      what: 'circuit state: 1 for the current state, 0 for the others',
      snap: {
        breakers: [
          {
            name: 'gateway',
            state: 'half-open',
            timeInState: { closed: 1000, open: 2000, 'half-open': 500, isolated: 0 },
            openings: { failures: 1 },
            outages: 1,
            mttr: undefined,
            mtbf: undefined,
            recoveries: 0,
            failedRecoveries: 0,
            recoveryRate: undefined,
          },
        ],
      },
      name: MetricNames.circuitState,
      samples: ['closed', 'open', 'half-open', 'isolated'].map((state) => ({ labels: { policy: 'gateway', state }, value: state === 'half-open' ? 1 : 0 })),
    },
    {
      what: 'MTTR in seconds, left out before the first recovery',
      snap: {
        breakers: [
          { name: 'a', state: 'closed', timeInState: { closed: 0, open: 0, 'half-open': 0, isolated: 0 }, openings: {}, outages: 1, mttr: 1500, mtbf: undefined, recoveries: 1, failedRecoveries: 0, recoveryRate: 1 },
          { name: 'b', state: 'open', timeInState: { closed: 0, open: 0, 'half-open': 0, isolated: 0 }, openings: {}, outages: 1, mttr: undefined, mtbf: undefined, recoveries: 0, failedRecoveries: 0, recoveryRate: undefined },
        ],
      },
      name: MetricNames.circuitMttr,
      samples: [{ labels: { policy: 'a' }, value: 1.5 }],
    },
    {
      what: 'bulkhead gauges',
      snap: { bulkheads: [{ name: 'pool', active: 3, queued: 1, maxConcurrent: 4, maxQueue: 8 }] },
      name: MetricNames.bulkheadQueued,
      samples: [{ labels: { policy: 'pool' }, value: 1 }],
    },
    {
      what: 'rate limiter admissions with the call labels (policy = the limiter)',
      snap: { admissions: [{ ...key, policy: 'shop.purchase', admitted: 7 }] },
      name: MetricNames.rateLimiterAdmitted,
      samples: [{ labels: { pipeline: 'shop', policy: 'shop.purchase', operation: 'buy', region: 'eu' }, value: 7 }],
    },
    {
      what: 'rate limiter refusals stay in the rejections family, by reason',
      snap: { rejections: [{ ...key, policy: 'shop.purchase', reasons: { 'rate-limited-rate': 4, 'rate-limited-queue-full': 1 }, total: 5 }] },
      name: MetricNames.callRejections,
      samples: [
        { labels: { pipeline: 'shop', policy: 'shop.purchase', operation: 'buy', region: 'eu', reason: 'rate-limited-rate' }, value: 4 },
        { labels: { pipeline: 'shop', policy: 'shop.purchase', operation: 'buy', region: 'eu', reason: 'rate-limited-queue-full' }, value: 1 },
      ],
    },
    {
      what: 'rate limiter queue gauge, zero included',
      snap: { rateLimiters: [{ name: 'payment-partner', queued: 3 }, { name: 'shop.purchase', queued: 0 }] },
      name: MetricNames.rateLimiterQueued,
      samples: [
        { labels: { policy: 'payment-partner' }, value: 3 },
        { labels: { policy: 'shop.purchase' }, value: 0 },
      ],
    },
    {
      what: 'dropped series by cap',
      snap: { dropped: { operations: 2, labelSets: 7 } },
      name: MetricNames.seriesDropped,
      samples: [
        { labels: { limit: 'operations' }, value: 2 },
        { labels: { limit: 'label_sets' }, value: 7 },
      ],
    },
  ];

  it.each(rows)('$what', ({ snap, name, samples }) => {
    expect(samplesOf(toMetricFamilies({ ...EMPTY, ...snap }, []), name)).toEqual(samples);
  });

  it('renders the duration histogram of each call series in seconds', () => {
    const calls = [
      { ...key, outcomes: { success: 2, fallback: 0, failure: 0, rejected: 0, timeout: 0, injected: 0, cancelled: 0 }, total: 2, rejections: {}, duration: histogram, availability: 1, window: { good: 2, total: 2 } },
    ];
    const durations = [{ buckets: [{ le: 8, count: 0 }, { le: 16, count: 1 }, { le: 32, count: 2 }], sum: 30, count: 2 }];
    const snap = { ...EMPTY, calls };
    const once = toMetricFamilies(snap, durations);
    expect(samplesOf(once, MetricNames.callDuration)).toEqual([
      {
        labels: { pipeline: 'shop', policy: 'shop', operation: 'buy', region: 'eu' },
        buckets: [{ le: 0.008, count: 0 }, { le: 0.016, count: 1 }, { le: 0.032, count: 2 }],
        sum: 0.03,
        count: 2,
      },
    ]);
    // Pure: the same input gives the same output, and the input is not touched.
    expect(toMetricFamilies(snap, durations)).toEqual(once);
    expect(durations[0]?.sum).toBe(30);
  });
});
