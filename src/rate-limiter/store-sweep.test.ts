/**
 * The timing of the memory store's idle sweep: a pass comes when the first held key is full
 * again (not the last), at most once a second after a pass that kept keys, and a key that
 * refills beyond a platform timer's reach (2^31 − 1 ms, ~24.8 days) is left out of that
 * timing: it neither stops the sweep of the other keys nor keeps a timer re-arming for ever.
 * Everything runs on the VirtualClock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { VirtualClock } from '../testing/virtual-clock';
import { memoryRateLimitStore, type MemoryRateLimitStore, type RateLimitRule } from './store';

/** The longest delay a platform timer takes. */
const MAX_TIMER_DELAY = 2_147_483_647;
/** The store's shortest time between a pass that kept keys and the next one. */
const MIN_SWEEP_INTERVAL = 1_000;
const DAY = 86_400_000;

/** A GCRA rule that admits one call and is full again `per` ms later. */
const oneEvery = (per: number): RateLimitRule => ({ algorithm: 'gcra', rate: 1, per, burst: 1, maxWait: 0 });

interface Recorded {
  readonly clock: Clock;
  readonly inner: VirtualClock;
  /** Timers made, timers unref'd, timers cleared. */
  readonly counts: { set: number; unref: number; cleared: number };
  /** For each timer of more than 0 ms that fired (a pass starting): its time, and what `after()` said right after it. */
  readonly passes: { at: number; after: number }[];
}

/** A virtual clock that records the store's timers (handles with `unref()`, as Node's). */
function recordingClock(after: () => number, start = 0): Recorded {
  const inner = new VirtualClock(start);
  const counts = { set: 0, unref: 0, cleared: 0 };
  const passes: { at: number; after: number }[] = [];
  const clock: Clock = {
    now: () => inner.now(),
    setTimeout: (fn: () => void, ms: number) => {
      counts.set++;
      const handle = inner.setTimeout(() => {
        fn();
        if (ms > 0) passes.push({ at: inner.now(), after: after() });
      }, ms);
      return Object.assign(handle, { unref: () => void counts.unref++ });
    },
    clearTimeout: (h: unknown) => {
      counts.cleared++;
      inner.clearTimeout(h);
    },
  };
  return { clock, inner, counts, passes };
}

describe('memory store sweep: keys beyond a timer’s reach', () => {
  it('a 30-day key does not stop the sweep of short keys; once only it remains, no timer is left and runAll() ends', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('monthly', 1, 0, oneEvery(30 * DAY));
    expect(clock.pending).toBe(0); // beyond reach: no timer for it
    for (let i = 0; i < 50; i++) store.consume(`short${i}`, 1, 0, oneEvery(100));
    expect(store.size).toBe(51);
    expect(clock.nextTimerAt()).toBe(100);
    await clock.advance(99);
    expect(store.size).toBe(51);
    await clock.advance(1);
    expect(store.size).toBe(1); // every short key went on time; the monthly one stays
    expect(clock.pending).toBe(0);
    await clock.runAll();
    expect(clock.fired).toBe(1);
    expect(store.size).toBe(1);
    expect(store.consume('monthly', 1, clock.now(), oneEvery(30 * DAY))).toMatchObject({ allowed: false }); // still spent
  });

  it('the same when the short keys come first, and for a key whose rate is tiny (5.6e-306 per ms)', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    for (let i = 0; i < 10; i++) store.consume(`short${i}`, 1, 0, oneEvery(250));
    store.consume('tiny', 1, 0, { algorithm: 'gcra', rate: 5.6e-306, per: 1, burst: 1, maxWait: 0 });
    store.consume('monthly', 1, 0, oneEvery(30 * DAY));
    expect(clock.pending).toBe(1);
    expect(clock.nextTimerAt()).toBe(250);
    await clock.runAll();
    expect(clock.now()).toBe(250);
    expect(store.size).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('short keys added later, while only unreachable keys are held, arm the sweep again', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('a', 1, 0, oneEvery(100));
    store.consume('monthly', 1, 0, oneEvery(30 * DAY));
    await clock.advance(100); // the pass drops 'a' and keeps the monthly key: no timer
    expect(store.size).toBe(1);
    expect(clock.pending).toBe(0);
    await clock.advance(10_000);
    store.consume('b', 1, clock.now(), oneEvery(100));
    expect(clock.nextTimerAt()).toBe(10_200);
    await clock.runAll();
    expect(store.size).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('a pass that runs after a long key became idle drops it; a pass that finds it within reach times the sweep for it', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('far', 1, 0, oneEvery(60 * DAY));
    store.consume('weekly', 1, 0, oneEvery(MAX_TIMER_DELAY + 7 * DAY));
    store.consume('x', 1, 0, oneEvery(100));
    await clock.advance(100);
    expect(store.size).toBe(2);
    expect(clock.pending).toBe(0);
    await clock.advanceTo(10 * DAY);
    store.consume('y', 1, clock.now(), oneEvery(100)); // its pass finds 'weekly' within reach now
    await clock.advance(100);
    expect(store.size).toBe(2);
    expect(clock.nextTimerAt()).toBe(MAX_TIMER_DELAY + 7 * DAY);
    await clock.runAll();
    expect(store.size).toBe(1); // 'weekly' swept when full; 'far' (still 28 days away then) was not in reach
    expect(clock.pending).toBe(0);
    await clock.advanceTo(60 * DAY);
    store.consume('z', 1, clock.now(), oneEvery(100));
    await clock.advance(100);
    expect(store.size).toBe(0); // the pass armed for the new key dropped the idle far key too
    expect(clock.pending).toBe(0);
  });
});

describe('memory store sweep: timed by the first key to refill', () => {
  it('short keys beside a long (reachable) key are swept when they refill, not when it does', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('long', 1, 0, oneEvery(20 * DAY));
    expect(clock.nextTimerAt()).toBe(20 * DAY);
    for (let i = 0; i < 20; i++) store.consume(`s${i}`, 1, 0, oneEvery(300));
    expect(clock.nextTimerAt()).toBe(300); // the armed pass moved earlier, one timer only
    expect(clock.pending).toBe(1);
    await clock.advance(300);
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(20 * DAY);
    await clock.runAll();
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a new key moves the armed pass only when that gains more than MIN_SWEEP_INTERVAL', () => {
    const rec = recordingClock(() => 0);
    const store = memoryRateLimitStore({ clock: rec.clock });
    store.consume('a', 1, 0, oneEvery(5_000));
    store.consume('b', 1, 0, oneEvery(4_000)); // 1 000 sooner: not worth a new timer
    expect(rec.inner.nextTimerAt()).toBe(5_000);
    store.consume('c', 1, 0, oneEvery(3_999)); // 1 001 sooner
    expect(rec.inner.nextTimerAt()).toBe(3_999);
    expect(rec.counts).toEqual({ set: 2, unref: 2, cleared: 1 });
    for (let i = 0; i < 100; i++) store.consume(`k${i}`, 1, 0, oneEvery(3_000 + i)); // a stream of new keys: no timer churn
    expect(rec.counts).toEqual({ set: 2, unref: 2, cleared: 1 });
    expect(rec.inner.pending).toBe(1);
  });

  it('a pass that kept keys re-arms for the first one to refill, but not within MIN_SWEEP_INTERVAL', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('a', 1, 0, oneEvery(100));
    store.consume('b', 1, 0, oneEvery(500));
    store.consume('c', 1, 0, oneEvery(3_000));
    store.consume('d', 1, 0, oneEvery(9_000));
    await clock.advance(100);
    expect(store.size).toBe(3);
    expect(clock.nextTimerAt()).toBe(1_100); // 'b' is full at 500: the floor is 100 + 1 000
    store.consume('e', 1, 100, oneEvery(50)); // full at 150, but the floor holds
    expect(clock.nextTimerAt()).toBe(1_100);
    await clock.advance(1_000);
    expect(store.size).toBe(2);
    expect(clock.nextTimerAt()).toBe(3_000);
    await clock.advanceTo(3_000);
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(9_000);
  });

  it('a key moved to the other algorithm with a sooner refill moves the armed pass (no new key, no check of others)', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('k', 1, 0, { algorithm: 'sliding-window', rate: 1, per: 3_600_000, burst: 1, maxWait: 0 });
    expect(clock.nextTimerAt()).toBe(3_600_000);
    await clock.advance(10);
    store.consume('k', 1, 10, oneEvery(100));
    expect(clock.nextTimerAt()).toBe(110);
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a new key that comes between two turns of a long pass joins it: the pass ends and the key is swept after it', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    for (let i = 0; i < 45_000; i++) store.consume(`p${i}`, 1, 0, oneEvery(100));
    const sizes: number[] = [];
    clock.setTimeout(() => {
      sizes.push(store.size); // after the first turn of 20 000
      store.consume('late', 1, 100, oneEvery(100));
      store.consume('p44999', 1, 100, { algorithm: 'sliding-window', rate: 1, per: 50, burst: 1, maxWait: 0 });
    }, 100);
    await clock.advance(100);
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeLessThan(45_000);
    expect(store.size).toBe(2); // the pass ended: only the two keys written during it are held
    expect(clock.nextTimerAt()).toBe(1_100);
    await clock.runAll();
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('never keeps a process alive: every sweep timer is unref’d, moved ones included', async () => {
    const rec = recordingClock(() => 0);
    const store = memoryRateLimitStore({ clock: rec.clock });
    store.consume('long', 1, 0, oneEvery(20 * DAY));
    store.consume('short', 1, 0, oneEvery(10)); // moves the armed pass
    for (let i = 0; i < 25_000; i++) store.consume(`p${i}`, 1, 5, oneEvery(10)); // a pass in two turns
    await rec.inner.runAll();
    expect(store.size).toBe(0);
    expect(rec.counts.set).toBeGreaterThanOrEqual(4);
    expect(rec.counts.unref).toBe(rec.counts.set);
    expect(rec.counts.cleared).toBe(1);
    expect(rec.inner.pending).toBe(0);
  });
});

/** One key of the property: when it is first spent, its refill time, and when it is spent again. */
const keyArb = fc.record({
  at: fc.integer({ min: 0, max: 5_000 }),
  per: fc.oneof(
    fc.integer({ min: 1, max: 5_000 }),
    fc.integer({ min: 5_000, max: 10 * DAY }),
    fc.integer({ min: MAX_TIMER_DELAY - 5_000, max: MAX_TIMER_DELAY }),
    fc.integer({ min: MAX_TIMER_DELAY + 1, max: MAX_TIMER_DELAY + 5_000 }),
    fc.integer({ min: 2 ** 32, max: 2 ** 42 }),
  ),
  again: fc.option(fc.integer({ min: 1, max: 3_000 }), { nil: undefined }),
});

describe('memory store sweep (property)', () => {
  it('past every reachable refill + MIN_SWEEP_INTERVAL no reachable key is held; passes that kept keys are a second apart; runAll() ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(keyArb, { maxLength: 25 }), fc.integer({ min: 0, max: 1_000_000 }), async (keys, start) => {
        const box: { store?: MemoryRateLimitStore } = {};
        const rec = recordingClock(() => box.store?.size ?? 0, start);
        const store = (box.store = memoryRateLimitStore({ clock: rec.clock }));
        // Each key is spent at `at` and tried again `again` ms later (admitted when it refilled).
        const calls = keys.flatMap((k, i) => [{ i, at: k.at }, ...(k.again === undefined ? [] : [{ i, at: k.at + k.again }])]);
        calls.sort((a, b) => a.at - b.at || a.i - b.i);
        const fullAt = keys.map(() => Number.NEGATIVE_INFINITY);
        for (const c of calls) {
          await rec.inner.advanceTo(start + c.at);
          const per = (keys[c.i] as { per: number }).per;
          const d = store.consume(`k${c.i}`, 1, rec.inner.now(), oneEvery(per));
          const admit = (fullAt[c.i] as number) <= c.at;
          expect(d.allowed).toBe(admit);
          if (admit) fullAt[c.i] = c.at + per;
        }
        const reachable = keys.map((k) => k.per <= MAX_TIMER_DELAY);
        const lastRefill = Math.max(0, ...fullAt.filter((_, i) => reachable[i]));
        const end = start + Math.max(lastRefill + MIN_SWEEP_INTERVAL, ...calls.map((c) => c.at));
        await rec.inner.advanceTo(end);
        // Unreachable keys not yet full must be held; those already full may or may not be.
        const held = fullAt.filter((f, i) => !reachable[i] && start + f > end).length;
        const mayBeGone = fullAt.filter((f, i) => !reachable[i] && start + f <= end).length;
        expect(store.size).toBeGreaterThanOrEqual(held);
        expect(store.size).toBeLessThanOrEqual(held + mayBeGone);
        await rec.inner.runAll(); // ends: no timer re-arms for ever
        expect(rec.inner.pending).toBe(0);
        expect(rec.counts.unref).toBe(rec.counts.set);
        for (let p = 1; p < rec.passes.length; p++) {
          const prev = rec.passes[p - 1] as { at: number; after: number };
          if (prev.after > 0) expect((rec.passes[p] as { at: number }).at - prev.at).toBeGreaterThanOrEqual(MIN_SWEEP_INTERVAL);
        }
      }),
      { numRuns: 300 },
    );
  });
});
