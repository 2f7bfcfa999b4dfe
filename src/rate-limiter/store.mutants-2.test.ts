/**
 * Rules of the in-memory rate limit store that its mutation run after the sweep moved to
 * `sweep.ts` (issue #23) found unpinned: what the amortized sweep on a new key looks at (a
 * held key that changes algorithm checks no other key; a new key at the bound inspects 64
 * held keys, not more), and when a sliding log emptied by a refused call counts as idle.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { VirtualClock } from '../testing/virtual-clock';
import { memoryRateLimitStore, type RateLimitRule } from './store';

/**
 * A clock on `inner`'s time whose timers never fire: the store's background sweep never
 * runs, so a test sees only what the store does on its own calls.
 */
function sweepNeverRuns(inner: VirtualClock): Clock {
  return { now: () => inner.now(), setTimeout: () => ({}), clearTimeout: () => {} };
}

/** A GCRA rule that admits one call and is full again `per` ms later. */
const oneEvery = (per: number): RateLimitRule => ({ algorithm: 'gcra', rate: 1, per, burst: 1, maxWait: 0 });
/** A sliding-window rule of `rate` calls per `per` ms. */
const sliding = (rate: number, per: number): RateLimitRule => ({ algorithm: 'sliding-window', rate, per, burst: rate, maxWait: 0 });

describe('memory store: the amortized sweep on a new key', () => {
  it('a held key that changes algorithm is not a new key: it checks no other key', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock: sweepNeverRuns(clock) });
    store.consume('a', 1, 0, oneEvery(100)); // full again at 100
    store.consume('k', 1, 0, sliding(1, 100));
    await clock.advance(200); // 'a' is idle; no sweep has run
    expect(store.consume('k', 1, 200, oneEvery(100))).toMatchObject({ allowed: true });
    expect(store.size).toBe(2); // 'a' is still held: nobody looked at it
    for (const key of ['n1', 'n2']) store.consume(key, 1, 200, oneEvery(100)); // new keys check held ones, a couple each
    expect(store.size).toBe(3); // 'a' went, 'n1' and 'n2' came
  });

  it('at the bound a new key inspects 64 held keys, not more: with 65 held, one position of a lone idle key is missed', async () => {
    const refusedAt: number[] = [];
    for (let idle = 0; idle < 65; idle++) {
      const clock = new VirtualClock();
      const store = memoryRateLimitStore({ maxKeys: 65, clock: sweepNeverRuns(clock) });
      for (let i = 0; i < 65; i++) store.consume(`k${i}`, 1, 0, oneEvery(i === idle ? 100 : 100_000));
      await clock.advance(200); // k<idle> is full again; the others are not
      const d = store.consume('new', 1, 200, oneEvery(100));
      if (!d.allowed) {
        expect(d.capacity).toBe(true);
        refusedAt.push(idle);
      }
    }
    expect(refusedAt).toHaveLength(1);
  });
});

describe('memory store: a sliding log emptied by a refused call', () => {
  it('is idle at once, even when another rule of the store has a longer window', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock: sweepNeverRuns(clock) });
    store.consume('long', 1, 0, sliding(1, 10_000)); // the store's longest window: 10 s
    store.consume('k', 1, 0, sliding(2, 100));
    await clock.advance(150);
    // A cost above the rate is refused; the admission at 0 has left k's window.
    expect(store.consume('k', 3, 150, sliding(2, 100))).toMatchObject({ allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining: 2 });
    expect(store.size).toBe(2);
    for (const key of ['n1', 'n2']) store.consume(key, 1, 150, oneEvery(100)); // new keys check held ones: k is idle, 'long' is not
    expect(store.size).toBe(3); // k went, 'n1' and 'n2' came
    expect(store.consume('long', 1, 150, sliding(1, 10_000))).toMatchObject({ allowed: false });
  });
});

/** A virtual clock that counts the store's reads of the time and its timers. */
function countingClock(start = 0): { clock: Clock; inner: VirtualClock; counts: { now: number; set: number } } {
  const inner = new VirtualClock(start);
  const counts = { now: 0, set: 0 };
  const clock: Clock = {
    now: () => {
      counts.now++;
      return inner.now();
    },
    setTimeout: (fn: () => void, ms: number) => {
      counts.set++;
      return inner.setTimeout(fn, ms);
    },
    clearTimeout: (h: unknown) => inner.clearTimeout(h),
  };
  return { clock, inner, counts };
}

describe('memory store: the hot path of a held key', () => {
  it('a held key’s decisions (admitted, reserved, refused) read no clock and touch no timer, under either algorithm', () => {
    const { clock, counts } = countingClock();
    const store = memoryRateLimitStore({ clock });
    const gcra: RateLimitRule = { algorithm: 'gcra', rate: 2, per: 100, burst: 2, maxWait: 50 };
    const window: RateLimitRule = { algorithm: 'sliding-window', rate: 2, per: 100, burst: 2, maxWait: 100 };
    store.consume('g', 1, 0, gcra);
    store.consume('s', 1, 0, window);
    const before = { ...counts };
    for (let t = 0; t < 300; t += 10) {
      store.consume('g', 1, t, gcra);
      store.consume('s', 1, t, window);
    }
    expect(counts).toEqual(before);
  });
});

describe('memory store: a held key that changes algorithm', () => {
  it('from GCRA to the sliding window it checks no other key either', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock: sweepNeverRuns(clock) });
    store.consume('a', 1, 0, oneEvery(100));
    store.consume('k', 1, 0, oneEvery(100));
    store.consume('x', 1, 0, oneEvery(100_000));
    await clock.advance(200); // 'a' and 'k' are idle; no sweep has run
    expect(store.consume('k', 1, 200, sliding(1, 100))).toMatchObject({ allowed: true });
    expect(store.size).toBe(3); // 'a' is still held: nobody looked at it
  });

  it('moves the armed pass to its sooner refill on the store’s own time (a clock far from 0)', async () => {
    const start = 1_000_000;
    const clock = new VirtualClock(start);
    const store = memoryRateLimitStore({ clock });
    store.consume('k', 1, start, { algorithm: 'sliding-window', rate: 1, per: 3_600_000, burst: 1, maxWait: 0 });
    expect(clock.nextTimerAt()).toBe(start + 3_600_000);
    await clock.advance(10);
    store.consume('k', 1, start + 10, oneEvery(100));
    expect(clock.nextTimerAt()).toBe(start + 110);
    await clock.advance(100);
    expect(store.size).toBe(0);
  });
});

describe('memory store at its key bound: every held key idle', () => {
  it('a new key finds room after the store dropped them all', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ maxKeys: 2, clock: sweepNeverRuns(clock) });
    store.consume('a', 1, 0, oneEvery(100));
    store.consume('b', 1, 0, sliding(1, 100));
    await clock.advance(300); // both idle; no sweep has run
    expect(store.size).toBe(2);
    expect(store.consume('c', 1, 300, oneEvery(100))).toMatchObject({ allowed: true });
    expect(store.size).toBe(1);
  });
});
