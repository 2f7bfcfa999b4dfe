/**
 * Rules of the sliding windows that the mutation run (issue #23) found unpinned: a time
 * window whose clock goes back counts the call in its newest bucket and keeps that bucket
 * current.
 */
import { describe, expect, it } from 'vitest';
import { TimeWindow } from './window';

describe('TimeWindow with a clock that goes back', () => {
  it('counts a call recorded at an earlier time in the newest bucket, which stays the current one', () => {
    const w = new TimeWindow(4_000, 4); // 1 000 ms buckets
    w.record(false, false, 3_500); // bucket 3
    w.record(true, false, 1_200); // the clock went back to bucket 1
    expect(w.bucketsAt(3_500)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [2, 1, 0],
    ]);
    expect([w.calls, w.failures, w.slow]).toEqual([2, 1, 0]);
  });
});
