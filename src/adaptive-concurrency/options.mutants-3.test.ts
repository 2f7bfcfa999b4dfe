/**
 * The schemas of the adaptive concurrency options, read from a fresh load of the module (issue
 * #23, mutation testing): `adaptiveConcurrencySchema` and `partitionedAdaptiveConcurrencySchema`
 * are built when `options.ts` loads, so these tests import the policy anew (`vi.resetModules()`)
 * and check on that copy what the schemas accept at their documented bounds (`Infinity` for
 * `maxQueue`, `queueTimeout` and `maxPartitions`), what they refuse, and what the errors say.
 */
import { describe, expect, it } from 'vitest';
import { freshModule, issuesOf } from '../../test/support/fresh-module';
import type * as Adaptive from './adaptive-concurrency';

/** The policy module, loaded again so that the schemas are built in this test. */
async function fresh(): Promise<typeof Adaptive> {
  return freshModule<typeof Adaptive>(() => import('./adaptive-concurrency'));
}

const limits = { initialLimit: 10, minLimit: 1, maxLimit: 100 } as const;

/** The issues (path and expected) of refusing what `make` builds. */
function refused(make: () => unknown): { path: string; expected: string }[] {
  return issuesOf(make).map(({ path, expected }) => ({ path, expected }));
}

describe('adaptive concurrency schemas (of a fresh load)', () => {
  it('accept Infinity for maxQueue, queueTimeout and maxPartitions, and a partitioned limiter with every option', async () => {
    const { adaptiveConcurrency } = await fresh();
    const unbounded = { maxQueue: Number.POSITIVE_INFINITY, queueTimeout: Number.POSITIVE_INFINITY };
    expect(adaptiveConcurrency({ ...limits, ...unbounded }).describe().options).toMatchObject(unbounded);
    const partitioned = adaptiveConcurrency.partitioned({ ...limits, ...unbounded, key: () => 'k', maxPartitions: Number.POSITIVE_INFINITY, name: 'shards' });
    expect(partitioned.describe().options).toMatchObject({ ...unbounded, maxPartitions: Number.POSITIVE_INFINITY });
  });

  it('refuse a queueTimeout of 0, and say what each field expects', async () => {
    const { adaptiveConcurrency } = await fresh();
    expect(refused(() => adaptiveConcurrency({ ...limits, queueTimeout: 0, algorithm: 'reno' as never }))).toEqual([
      { path: 'algorithm', expected: "one of 'gradient2', 'aimd', 'vegas', or an object { kind: one of them, …tuning }" },
      { path: 'queueTimeout', expected: 'a duration in ms > 0 (or Infinity)' },
    ]);
    expect(refused(() => adaptiveConcurrency({ ...limits, maxQueue: -1 }))).toEqual([{ path: 'maxQueue', expected: 'an integer ≥ 0 (or Infinity)' }]);
    expect(refused(() => adaptiveConcurrency.partitioned({ ...limits, maxPartitions: 0 } as never))).toEqual([
      { path: 'key', expected: 'a function (ctx) => string' },
      { path: 'maxPartitions', expected: 'an integer ≥ 1 (or Infinity)' },
    ]);
  });
});
