/**
 * Samples of the metric families that the mutation run (issue #23) found unpinned: fallbacks
 * by tier with the call labels, the fallbacks-exhausted and hedge-budget-exhausted counters
 * left out while zero, circuit recoveries by result (`closed`, `reopened`), MTBF in seconds,
 * and the bulkhead gauges labelled by the bulkhead's name.
 */
import { describe, expect, it } from 'vitest';
import { toMetricFamilies } from './families';
import { MetricNames } from './names';
import type { BreakerSnapshot, MetricsSnapshot } from './snapshot';
import { EMPTY_SNAPSHOT as EMPTY } from '../../test/support/metrics-fixtures';


const key = { pipeline: 'shop', policy: 'shop.fallback', operation: 'buy', labels: { region: 'eu' } };
const labels = { pipeline: 'shop', policy: 'shop.fallback', operation: 'buy', region: 'eu' };

function samplesOf(snap: Partial<MetricsSnapshot>, name: string): unknown {
  return toMetricFamilies({ ...EMPTY, ...snap }, []).find((f) => f.name === name)?.samples;
}

const breaker: BreakerSnapshot = {
  name: 'gateway',
  state: 'closed',
  timeInState: { closed: 0, open: 0, 'half-open': 0, isolated: 0 },
  openings: { failures: 3 },
  outages: 3,
  mttr: 2000,
  mtbf: 2500,
  recoveries: 2,
  failedRecoveries: 1,
  recoveryRate: 2 / 3,
};

describe('toMetricFamilies: fallbacks', () => {
  it('counts fallbacks by tier, with the call labels', () => {
    expect(samplesOf({ fallbacks: [{ ...key, tiers: { '0': 4, '1': 2 }, exhausted: 0 }] }, MetricNames.fallbacks)).toEqual([
      { labels: { ...labels, tier: '0' }, value: 4 },
      { labels: { ...labels, tier: '1' }, value: 2 },
    ]);
  });

  it('leaves fallbacks-exhausted out while zero, and reports it once it happened', () => {
    expect(samplesOf({ fallbacks: [{ ...key, tiers: { '0': 4 }, exhausted: 0 }] }, MetricNames.fallbacksExhausted)).toEqual([]);
    expect(samplesOf({ fallbacks: [{ ...key, tiers: {}, exhausted: 1 }] }, MetricNames.fallbacksExhausted)).toEqual([{ labels, value: 1 }]);
  });
});

describe('toMetricFamilies: circuit breakers', () => {
  it('counts recoveries by result: closed, then reopened', () => {
    expect(samplesOf({ breakers: [breaker] }, MetricNames.circuitRecoveries)).toEqual([
      { labels: { policy: 'gateway', result: 'closed' }, value: 2 },
      { labels: { policy: 'gateway', result: 'reopened' }, value: 1 },
    ]);
  });

  it('reports MTBF in seconds', () => {
    expect(samplesOf({ breakers: [breaker] }, MetricNames.circuitMtbf)).toEqual([{ labels: { policy: 'gateway' }, value: 2.5 }]);
  });
});

describe('toMetricFamilies: bulkhead gauges', () => {
  it('labels every gauge with the bulkhead name', () => {
    const snap = { bulkheads: [{ name: 'pool', active: 3, queued: 1, maxConcurrent: 4, maxQueue: 8 }] };
    expect(samplesOf(snap, MetricNames.bulkheadActive)).toEqual([{ labels: { policy: 'pool' }, value: 3 }]);
    expect(samplesOf(snap, MetricNames.bulkheadQueued)).toEqual([{ labels: { policy: 'pool' }, value: 1 }]);
    expect(samplesOf(snap, MetricNames.bulkheadMaxConcurrent)).toEqual([{ labels: { policy: 'pool' }, value: 4 }]);
    expect(samplesOf(snap, MetricNames.bulkheadMaxQueue)).toEqual([{ labels: { policy: 'pool' }, value: 8 }]);
  });
});

describe('toMetricFamilies: hedging', () => {
  const hedgeKey = { ...key, policy: 'shop.hedge' };
  const hedgeLabels = { ...labels, policy: 'shop.hedge' };

  it('leaves hedge-budget-exhausted out while zero, and reports it once it happened', () => {
    const h = { ...hedgeKey, hedges: [{ attempt: 2, trigger: 'delay', count: 3 }], wins: { '2': 1 }, losersCancelled: 1, budgetExhausted: 0 };
    expect(samplesOf({ hedging: [h] }, MetricNames.hedgeBudgetExhausted)).toEqual([]);
    expect(samplesOf({ hedging: [{ ...h, budgetExhausted: 2 }] }, MetricNames.hedgeBudgetExhausted)).toEqual([{ labels: hedgeLabels, value: 2 }]);
  });
});
