/**
 * The option schemas of the bulkheads, read from a fresh load of the module (issue #23):
 * the schemas are built when `options.ts` loads, so these tests import the bulkhead anew
 * (`vi.resetModules()`) and check each rule of the schema on that copy: what is accepted
 * (`Infinity` where documented), what is refused, and what the error says is expected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, messageOf } from '../../test/support/fresh-module';
import type { ExecutionContext } from '../core/context';
import type * as Bulkheads from './bulkhead';

/** The bulkhead module, loaded again so that its option schemas are built in this test. */
async function fresh(): Promise<typeof Bulkheads> {
  return freshModule<typeof Bulkheads>(() => import('./bulkhead'));
}

const tenant = (ctx: ExecutionContext): string => ctx.labels['tenant'] ?? 'none';

describe('bulkhead options (schema of a fresh load)', () => {
  it('accepts every documented option, Infinity for maxQueue and queueTimeout included', async () => {
    const { bulkhead } = await fresh();
    const b = bulkhead({ maxConcurrent: 2, maxQueue: Infinity, queueTimeout: Infinity, name: 'db' });
    expect(b.describe().options).toEqual({ maxConcurrent: 2, maxQueue: Infinity, queueTimeout: Infinity });
    expect(bulkhead({ maxConcurrent: 1, maxQueue: 3, queueTimeout: 0.5 }).queueTimeout).toBe(0.5);
  });

  it('refuses a queueTimeout of 0 (it must be > 0) and says what it expects', async () => {
    const { bulkhead } = await fresh();
    expect(messageOf(() => bulkhead({ maxConcurrent: 1, queueTimeout: 0 }))).toBe(
      'Invalid bulkhead options: expected `queueTimeout` to be a duration in ms > 0 (or Infinity), got 0',
    );
  });

  it('property: a queueTimeout is accepted exactly when it is > 0 (or Infinity)', async () => {
    const { bulkhead } = await fresh();
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(0), fc.constant(Infinity)), (t) => {
        const make = (): unknown => bulkhead({ maxConcurrent: 1, queueTimeout: t });
        if (t > 0) expect(make).not.toThrow();
        else expect(make).toThrow(/expected `queueTimeout` to be a duration in ms > 0 \(or Infinity\)/);
      }),
    );
  });

  it('refuses unknown keys', async () => {
    const { bulkhead } = await fresh();
    expect(messageOf(() => bulkhead({ maxConcurrent: 1, maxQeue: 3 } as never))).toMatch(/unknown option `maxQeue`/);
  });
});

describe('partitioned bulkhead options (schema of a fresh load)', () => {
  it('accepts every documented option, Infinity for maxQueue, queueTimeout and maxPartitions included', async () => {
    const { bulkhead } = await fresh();
    const b = bulkhead.partitioned({ key: tenant, maxConcurrent: 2, maxQueue: Infinity, queueTimeout: Infinity, maxPartitions: Infinity, name: 'p' });
    expect(b.describe().options).toEqual({ key: 'tenant', maxConcurrent: 2, maxQueue: Infinity, queueTimeout: Infinity, maxPartitions: Infinity });
    expect(bulkhead.partitioned({ key: tenant, maxConcurrent: 1, maxPartitions: 3 }).maxPartitions).toBe(3);
  });

  it('requires key, a function, and says what it expects', async () => {
    const { bulkhead } = await fresh();
    expect(messageOf(() => bulkhead.partitioned({ maxConcurrent: 1 } as never))).toBe(
      'Invalid bulkhead.partitioned options: expected `key` to be a function (ctx) => string, got undefined',
    );
  });

  it('refuses a queueTimeout of 0 and a maxPartitions of 0', async () => {
    const { bulkhead } = await fresh();
    const message = messageOf(() => bulkhead.partitioned({ key: tenant, maxConcurrent: 1, queueTimeout: 0, maxPartitions: 0 }));
    expect(message).toMatch(/expected `queueTimeout` to be a duration in ms > 0 \(or Infinity\), got 0/);
    expect(message).toMatch(/`maxPartitions`/);
  });
});
