/**
 * Pins the rules of the availability window ({@link AvailabilityWindow}): a bucket counts
 * only while its epoch is one of the last `size` epochs up to `now` (a bucket ahead of
 * `now` does not count yet), and a late call for an epoch whose bucket was reused is dropped.
 */
import { describe, expect, it } from 'vitest';
import { AvailabilityWindow } from './availability-window';

describe('AvailabilityWindow', () => {
  it('drops a late call whose bucket already holds a newer epoch, keeps a late call still in the window', () => {
    const w = new AvailabilityWindow(10, 2); // epochs of 10 ms, two buckets
    w.record(25, true); // epoch 2, bucket 0
    w.record(5, false); // epoch 0, bucket 0 holds epoch 2: dropped
    expect(w.read(25)).toEqual({ good: 1, total: 1 });
    w.record(15, false); // epoch 1, still in the window at 25
    expect(w.read(25)).toEqual({ good: 1, total: 2 });
    expect(w.read(30)).toEqual({ good: 1, total: 1 }); // epoch 1 left
  });

  it('does not count buckets ahead of now', () => {
    const w = new AvailabilityWindow(10, 3);
    w.record(3, true); // epoch 0
    w.record(25, false); // epoch 2
    expect(w.read(5)).toEqual({ good: 1, total: 1 });
    expect(w.read(19)).toEqual({ good: 1, total: 1 });
    expect(w.read(20)).toEqual({ good: 1, total: 2 });
    expect(w.read(29)).toEqual({ good: 1, total: 2 });
    expect(w.read(30)).toEqual({ good: 0, total: 1 });
    expect(w.read(50)).toEqual({ good: 0, total: 0 });
  });
});
