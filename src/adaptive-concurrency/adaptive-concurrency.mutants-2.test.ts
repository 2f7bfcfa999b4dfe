/**
 * A rule of the adaptive concurrency policies that the other tests leave unpinned (issue #23,
 * mutation testing): the limit keeps time across calls (its latency samples, windows and
 * probes are on its clock), so even on the system clock it pins that clock, and a pipeline
 * on another clock refuses it.
 */
import { describe, expect, it } from 'vitest';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { refusal } from '../../test/support/refusal';
import { adaptiveConcurrency } from './adaptive-concurrency';

describe('an adaptive limit built without a clock', () => {
  it('pins the system clock: a pipeline on a virtual clock refuses it, plain or partitioned', () => {
    const limits = { initialLimit: 5, minLimit: 1, maxLimit: 10 };
    const plain = adaptiveConcurrency({ name: 'db', ...limits });
    expect(refusal(() => pipeline({ clock: new VirtualClock() }, plain)).issues).toEqual([
      expect.objectContaining({ path: 'policies[0].clock', value: "adaptive-concurrency 'db' on the system clock" }),
    ]);
    const partitioned = adaptiveConcurrency.partitioned({ name: 'shards', key: () => 'k', ...limits });
    expect(refusal(() => pipeline({ clock: new VirtualClock() }, partitioned)).issues).toEqual([
      expect.objectContaining({ path: 'policies[0].clock', value: "adaptive-concurrency 'shards' on the system clock" }),
    ]);
    expect(() => pipeline(plain, partitioned)).not.toThrow();
  });
});
