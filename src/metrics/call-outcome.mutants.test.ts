/**
 * The rejection reason of a call that ended rejected (issue #23: the mutation run left these
 * rules unpinned): a rate limiter's refusal is `rate-limited-<reason>`, an adaptive
 * concurrency limit's is `concurrency-limited-<reason>` (recognised by its brand and a string
 * `reason`, so a foreign copy's error counts too), and any other rejection, your own
 * `ExecutionRejectedError` with a `reason` field included, is `other`.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimitedError } from '../adaptive-concurrency/errors';
import { ExecutionRejectedError, RateLimitedError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { events } from '../../test/support/metrics-fixtures';
import { createMetrics } from './aggregator';

/** The outcomes and rejection reasons of one series that saw one call failing with `error`. */
function classify(error: unknown): { rejected: number; failure: number; rejections: Record<string, number> } {
  const clock = new VirtualClock();
  const m = createMetrics({ clock });
  m.record(events(clock, { policy: 'api', pipeline: 'api' }).executed({ ok: false, error }));
  const [c] = m.snapshot().calls;
  return { rejected: c?.outcomes.rejected ?? -1, failure: c?.outcomes.failure ?? -1, rejections: { ...c?.rejections } };
}

/** An error of your own policy: a rejection that carries a `reason` field. */
class QuotaRejectedError extends ExecutionRejectedError {
  readonly reason = 'quota';
  constructor() {
    super('quota used up');
  }
}

describe('rejection reason of a call that ended rejected', () => {
  it('a rate limiter refusal: rate-limited-<reason>', () => {
    expect(classify(new RateLimitedError('partner', 'rate', 100))).toEqual({ rejected: 1, failure: 0, rejections: { 'rate-limited-rate': 1 } });
    expect(classify(new RateLimitedError('partner', 'queue-full', 100)).rejections).toEqual({ 'rate-limited-queue-full': 1 });
  });

  it('an adaptive concurrency limit refusal: concurrency-limited-<reason>, whichever way the error was made', () => {
    expect(classify(new ConcurrencyLimitedError('db', 'queue-timeout', 4))).toEqual({ rejected: 1, failure: 0, rejections: { 'concurrency-limited-queue-timeout': 1 } });
    expect(classify(ConcurrencyLimitedError.create('db', 'full', 4)).rejections).toEqual({ 'concurrency-limited-full': 1 });
  });

  it('a plain ExecutionRejectedError: other', () => {
    expect(classify(new ExecutionRejectedError('no'))).toEqual({ rejected: 1, failure: 0, rejections: { other: 1 } });
  });

  it('your own rejection with a reason field, but without the concurrency brand: other', () => {
    expect(classify(new QuotaRejectedError())).toEqual({ rejected: 1, failure: 0, rejections: { other: 1 } });
  });

  it('a branded concurrency error whose reason is not a string (a malformed foreign copy): other', () => {
    const e = ConcurrencyLimitedError.create('db', 'full', 4);
    (e as unknown as { reason: unknown }).reason = 7;
    expect(classify(e)).toEqual({ rejected: 1, failure: 0, rejections: { other: 1 } });
  });
});
