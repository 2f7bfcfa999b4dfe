import { describe, expectTypeOf, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import type { Policy } from '../core/policy';
import { bulkhead, BulkheadPolicy, PartitionedBulkheadPolicy, type BulkheadStats, type OccupiedSlots, type PartitionedBulkheadStats } from './bulkhead';
import type { BulkheadEvent, BulkheadQueuedEvent, BulkheadRejectedEvent } from './events';

describe('bulkhead types', () => {
  it('factory, shorthand and the partitioned static method', () => {
    expectTypeOf(bulkhead(4)).toEqualTypeOf<BulkheadPolicy>();
    expectTypeOf(bulkhead({ maxConcurrent: 4, maxQueue: 8 })).toEqualTypeOf<BulkheadPolicy>();
    expectTypeOf(bulkhead.partitioned).parameter(0).toHaveProperty('key').toEqualTypeOf<(ctx: ExecutionContext) => string>();
    expectTypeOf(bulkhead.partitioned({ key: (ctx) => ctx.operation, maxConcurrent: 1 })).toEqualTypeOf<PartitionedBulkheadPolicy>();
    // @ts-expect-error maxConcurrent is required
    bulkhead({ maxQueue: 1 });
    // @ts-expect-error key is required
    bulkhead.partitioned({ maxConcurrent: 1 });
  });

  it('policies, stats, occupy and events', () => {
    const b = bulkhead(1);
    const pb = bulkhead.partitioned({ key: () => 'k', maxConcurrent: 1 });
    expectTypeOf(b).toMatchTypeOf<Policy<BulkheadEvent>>();
    expectTypeOf(b.stats).toEqualTypeOf<BulkheadStats>();
    expectTypeOf(pb.stats).toEqualTypeOf<PartitionedBulkheadStats>();
    expectTypeOf(pb.statsOf('k')).toEqualTypeOf<BulkheadStats>();
    expectTypeOf(pb.partitions).toBeNumber();
    expectTypeOf(b.occupy(1)).toEqualTypeOf<OccupiedSlots>();
    expectTypeOf(pb.occupy(1, 'k')).toEqualTypeOf<OccupiedSlots>();
    // The structural shape the chaos exhaustion fault relies on.
    type Occupiable = { occupy(permits: number, partition?: string): { readonly held: number; release(): void } };
    expectTypeOf(b).toMatchTypeOf<Occupiable>();
    expectTypeOf(pb).toMatchTypeOf<Occupiable>();
    b.on('rejected', (e) => expectTypeOf(e).toEqualTypeOf<BulkheadRejectedEvent>());
    b.on('queued', (e) => expectTypeOf(e).toEqualTypeOf<BulkheadQueuedEvent>());
    b.on('rejected', (e) => expectTypeOf(e.reason).toEqualTypeOf<'full' | 'queue-timeout'>());
    // @ts-expect-error no such event
    b.on('opened', () => {});
  });
});
