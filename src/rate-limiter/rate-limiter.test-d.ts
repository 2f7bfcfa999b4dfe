import { describe, expectTypeOf, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import type { Policy } from '../core/policy';
import type { RateLimitAdmittedEvent, RateLimitedEvent, RateLimiterEvent, RateLimitQueuedEvent } from './events';
import { PartitionedRateLimiterPolicy, rateLimiter, RateLimiterPolicy } from './rate-limiter';
import type { RateLimitDecision, RateLimitStore } from './store';

describe('rate limiter types', () => {
  it('factory and the partitioned static method', () => {
    expectTypeOf(rateLimiter({ rate: 5 })).toEqualTypeOf<RateLimiterPolicy>();
    expectTypeOf(rateLimiter.partitioned({ key: (ctx) => ctx.operation, rate: 5 })).toEqualTypeOf<PartitionedRateLimiterPolicy>();
    expectTypeOf(rateLimiter.partitioned).parameter(0).toHaveProperty('key').toEqualTypeOf<(ctx: ExecutionContext) => string>();
    // @ts-expect-error rate is required
    rateLimiter({ per: 1_000 });
    // @ts-expect-error key is required
    rateLimiter.partitioned({ rate: 1 });
    // @ts-expect-error unknown algorithm
    rateLimiter({ rate: 1, algorithm: 'leaky' });
  });

  it('decisions, events and stores', () => {
    const l = rateLimiter({ rate: 1 });
    expectTypeOf(l).toMatchTypeOf<Policy<RateLimiterEvent>>();
    expectTypeOf(l.tryAcquire()).toEqualTypeOf<RateLimitDecision>();
    expectTypeOf(l.acquire()).toEqualTypeOf<Promise<RateLimitDecision>>();
    const p = rateLimiter.partitioned({ key: () => 'k', rate: 1 });
    expectTypeOf(p.tryAcquire).parameter(0).toEqualTypeOf<string>();
    expectTypeOf<RateLimiterEvent>().toEqualTypeOf<RateLimitedEvent | RateLimitQueuedEvent | RateLimitAdmittedEvent>();
    expectTypeOf<RateLimitStore['consume']>().returns.toMatchTypeOf<RateLimitDecision | PromiseLike<RateLimitDecision>>();
    l.on('limited', (e) => expectTypeOf(e.retryAfter).toEqualTypeOf<number>());
  });
});
