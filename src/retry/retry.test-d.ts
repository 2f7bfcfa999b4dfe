import { describe, expectTypeOf, it } from 'vitest';
import type { ResilienceEvent } from '../core/events';
import { pipeline, type Policy } from '../core/policy';
import type { GiveUpReason, RetryAttemptEvent, RetryEvent } from './events';
import { retry, type RetryPolicy } from './retry';

describe('retry types', () => {
  it('is a policy of retry events', () => {
    const p = retry();
    expectTypeOf(p).toEqualTypeOf<RetryPolicy>();
    expectTypeOf(p).toMatchTypeOf<Policy<RetryEvent>>();
    expectTypeOf<RetryEvent>().toMatchTypeOf<ResilienceEvent>();
  });

  it('types listeners by event name', () => {
    const p = retry();
    p.on('retry', (e) => {
      expectTypeOf(e).toEqualTypeOf<RetryAttemptEvent>();
      expectTypeOf(e.delay).toBeNumber();
    });
    p.on('give-up', (e) => expectTypeOf(e.reason).toEqualTypeOf<GiveUpReason>());
    p.on('budget-exhausted', (e) => expectTypeOf(e.attempt).toBeNumber());
    // @ts-expect-error not a retry event
    p.on('opened', () => undefined);
  });

  it('infers the result type of handleResult from its annotation', () => {
    retry({ handleResult: (res: { status: number }) => res.status >= 500 });
    // @ts-expect-error maxAttempts is a number
    retry({ maxAttempts: '3' });
    // @ts-expect-error unknown jitter kind
    retry({ jitter: 'half' });
  });

  it('composes into a pipeline that keeps its events', () => {
    const pipe = pipeline(retry());
    pipe.on('give-up', (e) => expectTypeOf(e.attempts).toBeNumber());
  });
});
