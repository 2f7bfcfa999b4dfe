/**
 * Counting the latency-aware policies' events (issue #23: the mutation run left these rules
 * unpinned): any one hedging event (a hedge, a win) makes a hedging row; a hedge without a
 * trigger counts as `delay`; an attempt that is not a whole number ≥ 0 (a foreign copy's
 * malformed event) is labelled `0`; an adaptive refusal without a reason is
 * `concurrency-limited-full`; a limit change counts only when both limits are numbers and
 * differ; a series without limit changes has no limit-change row.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { events } from '../../test/support/metrics-fixtures';
import { createMetrics, type Metrics } from './aggregator';

const key = { pipeline: 'reads', policy: 'reads.hedge', operation: 'op', labels: {} };

/** An aggregator and a recorder of `kind`/`type` events of the policy `reads.hedge`. */
function setup(): { m: Metrics; emit: (kind: string, type: string, fields?: Record<string, unknown>) => void; clock: VirtualClock } {
  const clock = new VirtualClock();
  const m = createMetrics({ clock });
  const e = events(clock, { policy: 'reads.hedge', pipeline: 'reads' });
  return { m, clock, emit: (kind, type, fields = {}) => m.record(e.of(kind, type, fields)) };
}

describe('hedging counts', () => {
  it('a lone hedge event makes a hedging row', () => {
    const { m, emit } = setup();
    emit('hedging', 'hedge', { attempt: 2, trigger: 'failure', delay: 0 });
    expect(m.snapshot().hedging).toEqual([{ ...key, hedges: [{ attempt: 2, trigger: 'failure', count: 1 }], wins: {}, losersCancelled: 0, budgetExhausted: 0 }]);
  });

  it('a lone hedge-won event makes a hedging row', () => {
    const { m, emit } = setup();
    emit('hedging', 'hedge-won', { attempt: 3, attempts: 3 });
    expect(m.snapshot().hedging).toEqual([{ ...key, hedges: [], wins: { '3': 1 }, losersCancelled: 0, budgetExhausted: 0 }]);
  });

  it('a hedge without a trigger counts as a delay hedge', () => {
    const { m, emit } = setup();
    emit('hedging', 'hedge', { attempt: 2, delay: 30 });
    emit('hedging', 'hedge', { attempt: 2, trigger: '', delay: 30 });
    expect(m.snapshot().hedging[0]?.hedges).toEqual([{ attempt: 2, trigger: 'delay', count: 2 }]);
  });

  it('labels an attempt that is not a whole number ≥ 0 as 0, and keeps 0 and whole attempts', () => {
    const { m, emit } = setup();
    for (const attempt of [undefined, -1, 1.5, '2', 0, 1, 2]) emit('hedging', 'hedge-won', { attempt, attempts: 2 });
    expect(m.snapshot().hedging[0]?.wins).toEqual({ '0': 5, '1': 1, '2': 1 });
  });

  it('a malformed hedge attempt counts under attempt 0', () => {
    const { m, emit } = setup();
    emit('hedging', 'hedge', { attempt: -2, trigger: 'delay', delay: 30 });
    emit('hedging', 'hedge', { attempt: 'x', trigger: 'delay', delay: 30 });
    expect(m.snapshot().hedging[0]?.hedges).toEqual([{ attempt: 0, trigger: 'delay', count: 2 }]);
  });

  it('an unknown hedging event type counts nothing and makes no row', () => {
    const { m, emit } = setup();
    emit('hedging', 'hedge-renamed', { attempt: 2 });
    expect(m.snapshot().hedging).toEqual([]);
  });
});

describe('adaptive concurrency counts', () => {
  it('a refusal without a reason counts as concurrency-limited-full', () => {
    const { m, emit } = setup();
    emit('adaptive-concurrency', 'rejected', { limit: 4 });
    emit('adaptive-concurrency', 'rejected', { reason: 'queue-timeout', limit: 4 });
    expect(m.snapshot().rejections).toEqual([{ ...key, reasons: { 'concurrency-limited-full': 1, 'concurrency-limited-queue-timeout': 1 }, total: 2 }]);
  });

  it('counts a limit change only when both limits are numbers and they differ', () => {
    const { m, emit } = setup();
    emit('adaptive-concurrency', 'limit-changed', { previous: 5 });
    emit('adaptive-concurrency', 'limit-changed', { limit: 5 });
    emit('adaptive-concurrency', 'limit-changed', { limit: '9', previous: 5 });
    emit('adaptive-concurrency', 'limit-changed', { limit: 5, previous: '9' });
    emit('adaptive-concurrency', 'limit-changed', { limit: 5, previous: 5 });
    expect(m.snapshot().limitChanges).toEqual([]);
    emit('adaptive-concurrency', 'limit-changed', { limit: 6, previous: 5 });
    emit('adaptive-concurrency', 'limit-changed', { limit: 6, previous: 6 });
    emit('adaptive-concurrency', 'limit-changed', { limit: 4, previous: 6 });
    emit('adaptive-concurrency', 'limit-changed', { limit: 3, previous: 4 });
    expect(m.snapshot().limitChanges).toEqual([{ ...key, increases: 1, decreases: 2 }]);
  });

  it('a series that saw calls but no limit change has no limit-change row', () => {
    const { m, clock } = setup();
    m.record(events(clock, { policy: 'db', pipeline: 'db' }).executed({ ok: true }));
    expect(m.snapshot().calls).toHaveLength(1);
    expect(m.snapshot().limitChanges).toEqual([]);
  });
});
