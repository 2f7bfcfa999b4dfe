/**
 * Rules of the memory store's idle sweep (`sweep.ts`) that its first mutation run (issue #23)
 * found unpinned: a key whose state is replaced while a pass runs, behind the pass's
 * position, still times the next pass; and an armed pass is only ever moved sooner, never
 * re-armed for the same or a later time. Everything runs on the VirtualClock.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { VirtualClock } from '../testing/virtual-clock';
import { memoryRateLimitStore, type RateLimitRule } from './store';

const DAY = 86_400_000;

/** A GCRA rule that admits one call and is full again `per` ms later. */
const oneEvery = (per: number): RateLimitRule => ({ algorithm: 'gcra', rate: 1, per, burst: 1, maxWait: 0 });
/** A sliding-window rule that admits one call per `per` ms. */
const slidingEvery = (per: number): RateLimitRule => ({ algorithm: 'sliding-window', rate: 1, per, burst: 1, maxWait: 0 });

/** A virtual clock that counts the timers set and cleared on it. */
function countingClock(start = 0): { clock: Clock; inner: VirtualClock; counts: { set: number; cleared: number } } {
  const inner = new VirtualClock(start);
  const counts = { set: 0, cleared: 0 };
  const clock: Clock = {
    now: () => inner.now(),
    setTimeout: (fn: () => void, ms: number) => {
      counts.set++;
      return inner.setTimeout(fn, ms);
    },
    clearTimeout: (h: unknown) => {
      counts.cleared++;
      inner.clearTimeout(h);
    },
  };
  return { clock, inner, counts };
}

describe('idle sweep: states replaced while a pass runs', () => {
  it('a key the running pass has already passed, moved to a sooner refill, times the next pass (the soonest such key)', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    // Two keys first in the map, full again in 20 days; then 45 000 keys full at 100.
    store.consume('early', 1, 0, slidingEvery(20 * DAY));
    store.consume('early2', 1, 0, slidingEvery(20 * DAY));
    for (let i = 0; i < 45_000; i++) store.consume(`p${i}`, 1, 0, oneEvery(100));
    expect(clock.nextTimerAt()).toBe(100);
    clock.setTimeout(() => {
      // Between two turns of the pass at 100: its first turn kept both early keys (20 days).
      store.consume('early', 1, 100, oneEvery(50)); // now full at 150
      store.consume('early2', 1, 100, oneEvery(5_000)); // now full at 5 100
    }, 100);
    await clock.advance(100);
    expect(store.size).toBe(2); // the pass ended, every p-key dropped
    expect(clock.nextTimerAt()).toBe(1_100); // for 'early' (150), held back by the 1 s floor
    await clock.advance(1_000);
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(5_100); // for 'early2'
    await clock.runAll();
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('idle sweep: an armed pass only moves sooner', () => {
  it('when the times given to consume lag the store’s clock, new keys do not re-arm a pass already due (no timer churn)', async () => {
    const { clock, inner, counts } = countingClock(1_000_000);
    const store = memoryRateLimitStore({ clock });
    // The calls say time 0 while the store's clock reads 1 000 000: each key's refill is long
    // past by the store's clock, so the first one arms a pass 1 ms away.
    store.consume('a', 1, 0, oneEvery(100));
    expect(inner.nextTimerAt()).toBe(1_000_001);
    for (const key of ['b', 'c', 'd']) store.consume(key, 1, 0, oneEvery(100));
    expect(counts).toEqual({ set: 1, cleared: 0 });
    await inner.advance(1);
    expect(store.size).toBe(0);
    expect(inner.pending).toBe(0);
  });
});
