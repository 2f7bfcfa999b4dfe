import { describe, expectTypeOf, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import type { ExecutionRejectedError } from '../core/errors';
import type { Policy } from '../core/policy';
import {
  adaptiveConcurrency,
  AdaptiveConcurrencyPolicy,
  PartitionedAdaptiveConcurrencyPolicy,
  type AdaptiveConcurrencyStats,
  type PartitionedAdaptiveConcurrencyStats,
} from './adaptive-concurrency';
import type { AdaptiveAlgorithmName } from './algorithm';
import { isConcurrencyLimitedError, type ConcurrencyLimitedError, type ConcurrencyLimitReason } from './errors';
import type { AdaptiveConcurrencyEvent, AdaptiveLimitChangedEvent, AdaptiveLimitQueuedEvent, AdaptiveLimitRejectedEvent } from './events';
import type { AdaptiveAlgorithmOptions } from './options';

const limits = { initialLimit: 10, minLimit: 1, maxLimit: 100 };

describe('adaptive concurrency types', () => {
  it('factory and the partitioned static method', () => {
    expectTypeOf(adaptiveConcurrency(limits)).toEqualTypeOf<AdaptiveConcurrencyPolicy>();
    expectTypeOf(adaptiveConcurrency.partitioned({ key: (ctx) => ctx.operation, ...limits })).toEqualTypeOf<PartitionedAdaptiveConcurrencyPolicy>();
    expectTypeOf(adaptiveConcurrency.partitioned).parameter(0).toHaveProperty('key').toEqualTypeOf<(ctx: ExecutionContext) => string>();
    // @ts-expect-error the limits are required
    adaptiveConcurrency({ initialLimit: 10 });
    // @ts-expect-error key is required
    adaptiveConcurrency.partitioned(limits);
    // @ts-expect-error unknown algorithm
    adaptiveConcurrency({ ...limits, algorithm: 'reno' });
    // @ts-expect-error tuning of another algorithm
    adaptiveConcurrency({ ...limits, algorithm: { kind: 'gradient2', backoffRatio: 0.5 } });
    adaptiveConcurrency({ ...limits, algorithm: { kind: 'vegas', alpha: 2, beta: 4 } });
    expectTypeOf<AdaptiveAlgorithmOptions['kind']>().toEqualTypeOf<AdaptiveAlgorithmName>();
  });

  it('handleResult sees the result type', () => {
    adaptiveConcurrency<{ status: number }>({ ...limits, handleResult: (r) => r.status === 503 });
    // @ts-expect-error no such field on the result
    adaptiveConcurrency<{ status: number }>({ ...limits, handleResult: (r) => r.code === 503 });
  });

  it('limit, inFlight, stats and events', () => {
    const db = adaptiveConcurrency(limits);
    const shards = adaptiveConcurrency.partitioned({ key: () => 'k', ...limits });
    expectTypeOf(db).toMatchTypeOf<Policy<AdaptiveConcurrencyEvent>>();
    expectTypeOf(db.limit).toBeNumber();
    expectTypeOf(db.inFlight).toBeNumber();
    expectTypeOf(db.queued).toBeNumber();
    expectTypeOf(db.algorithm).toEqualTypeOf<AdaptiveAlgorithmName>();
    expectTypeOf(db.stats).toEqualTypeOf<AdaptiveConcurrencyStats>();
    expectTypeOf(shards.stats).toEqualTypeOf<PartitionedAdaptiveConcurrencyStats>();
    expectTypeOf(shards.statsOf('k')).toEqualTypeOf<AdaptiveConcurrencyStats>();
    db.on('limit-changed', (e) => expectTypeOf(e).toEqualTypeOf<AdaptiveLimitChangedEvent>());
    db.on('rejected', (e) => expectTypeOf(e).toEqualTypeOf<AdaptiveLimitRejectedEvent>());
    db.on('queued', (e) => expectTypeOf(e).toEqualTypeOf<AdaptiveLimitQueuedEvent>());
    db.on('rejected', (e) => expectTypeOf(e.reason).toEqualTypeOf<ConcurrencyLimitReason>());
    // @ts-expect-error no such event
    db.on('opened', () => {});
  });

  it('the rejection error is an execution rejection with a guard', () => {
    expectTypeOf<ConcurrencyLimitedError>().toMatchTypeOf<ExecutionRejectedError>();
    const e: unknown = undefined;
    if (isConcurrencyLimitedError(e)) {
      expectTypeOf(e.limit).toBeNumber();
      expectTypeOf(e.partition).toEqualTypeOf<string | undefined>();
      expectTypeOf(e.reason).toEqualTypeOf<'full' | 'queue-timeout' | 'max-partitions'>();
    }
  });
});
