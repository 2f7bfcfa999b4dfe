/**
 * Rules of the sliding windows that the mutation run (issue #23) found unpinned: loading
 * more buckets than a time window has keeps the newest ones; loading fewer leaves the
 * older buckets empty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeWindow } from './window';

const bucket = fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50)).map(([c, f, s]) => [c + f + s, f, s] as [number, number, number]);

describe('TimeWindow.load', () => {
  it('keeps the newest `buckets` buckets of a longer list, at their ages', () => {
    const w = new TimeWindow(1_000, 2);
    w.load([[1, 1, 0], [2, 0, 0], [3, 0, 1]], 5_000);
    expect(w.bucketsAt(5_000)).toEqual([[2, 0, 0], [3, 0, 1]]);
    expect([w.calls, w.failures, w.slow]).toEqual([5, 0, 1]);
  });

  it('a shorter list fills the newest buckets; the older ones stay empty', () => {
    const w = new TimeWindow(1_000, 3);
    w.load([[4, 1, 1]], 5_000);
    expect(w.bucketsAt(5_000)).toEqual([[0, 0, 0], [0, 0, 0], [4, 1, 1]]);
    expect([w.calls, w.failures, w.slow]).toEqual([4, 1, 1]);
  });

  it('property: loading any list keeps exactly its last `buckets` entries, and the totals are their sums', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(bucket, { maxLength: 12 }), fc.integer({ min: 0, max: 1e6 }), (buckets, list, now) => {
        const w = new TimeWindow(800, buckets);
        w.load(list, now);
        const kept = list.slice(-buckets);
        const expected = [...Array.from({ length: buckets - kept.length }, () => [0, 0, 0]), ...kept];
        expect(w.bucketsAt(now)).toEqual(expected);
        const sum = kept.reduce((a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]], [0, 0, 0]);
        expect([w.calls, w.failures, w.slow]).toEqual(sum);
      }),
    );
  });
});
