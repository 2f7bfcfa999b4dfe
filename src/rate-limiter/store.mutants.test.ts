/**
 * Rules of the in-memory rate limit store that the mutation run (issue #23) found unpinned:
 * every field of every decision (`remaining` and `delay` as well as `allowed` and
 * `retryAfter`) against exact reference models, waits with the sliding window, several
 * rules sharing one store, slots on whole ms when time is fractional, the answer at the key
 * bound, and the idle sweep (when it runs, how much it does per turn, that it never keeps a
 * process alive). The store's option schema is built when `store.ts` loads, so its block
 * imports the module anew.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, messageOf } from '../../test/support/fresh-module';
import type { Clock } from '../core/clock';
import { VirtualClock } from '../testing/virtual-clock';
import { memoryRateLimitStore, type RateLimitRule, type StoreDecision } from './store';
import type * as Stores from './store';

type Decision = Pick<StoreDecision, 'allowed' | 'retryAfter' | 'remaining' | 'delay'>;

/**
 * GCRA in exact integer arithmetic: every time is scaled by `rate`, so the emission
 * interval is `per` and the bucket `burst · per`. Arrival times are whole ms.
 */
class GcraModel {
  private tat = Number.NEGATIVE_INFINITY;
  constructor(private readonly rule: RateLimitRule) {}
  decide(t: number, cost: number): Decision {
    const { rate, per, burst, maxWait } = this.rule;
    const now = t * rate;
    const limit = burst * per;
    const tat = Math.max(this.tat, now);
    const newTat = tat + cost * per;
    const wait = newTat - limit - now;
    if (wait <= 0) {
      this.tat = newTat;
      return { allowed: true, retryAfter: 0, remaining: Math.floor((limit - (newTat - now)) / per), delay: 0 };
    }
    const remaining = Math.max(0, Math.floor((limit - (tat - now)) / per)); // 0 while slots are reserved ahead
    if (cost > burst) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining, delay: 0 };
    const delay = Math.ceil(wait / rate);
    if (delay <= maxWait) {
      this.tat = (t + delay) * rate + limit;
      return { allowed: true, retryAfter: 0, remaining: 0, delay };
    }
    return { allowed: false, retryAfter: delay, remaining, delay: 0 };
  }
}

/** The sliding window as a log of admissions and reservations; arrival times are whole ms. */
class WindowModel {
  private log: { t: number; cost: number }[] = [];
  constructor(private readonly rule: RateLimitRule) {}
  decide(t: number, cost: number): Decision {
    const { rate, per, maxWait } = this.rule;
    this.log = this.log.filter((e) => e.t + per > t);
    const usedAt = (s: number): number => this.log.filter((e) => e.t + per > s).reduce((sum, e) => sum + e.cost, 0);
    const used = usedAt(t);
    if (cost > rate) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining: Math.max(0, rate - used), delay: 0 };
    const first = Math.max(t, this.log.at(-1)?.t ?? t); // FIFO: not before the last reservation
    const candidates = [first, ...this.log.map((e) => e.t + per).filter((s) => s > first)].sort((a, b) => a - b);
    const s = candidates.find((c) => usedAt(c) + cost <= rate) as number;
    const wait = s - t;
    if (wait > maxWait) return { allowed: false, retryAfter: wait, remaining: Math.max(0, rate - used), delay: 0 };
    this.log.push({ t: s, cost });
    return { allowed: true, retryAfter: 0, remaining: wait === 0 ? Math.max(0, rate - used - cost) : 0, delay: wait };
  }
}

const modelOf = (rule: RateLimitRule): GcraModel | WindowModel => (rule.algorithm === 'gcra' ? new GcraModel(rule) : new WindowModel(rule));

const ruleArb: fc.Arbitrary<RateLimitRule> = fc
  .record({
    algorithm: fc.constantFrom('gcra' as const, 'sliding-window' as const),
    rate: fc.integer({ min: 1, max: 6 }),
    per: fc.integer({ min: 1, max: 2_000 }),
    burst: fc.integer({ min: 1, max: 6 }),
    maxWait: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_000 })),
  })
  .map((r) => (r.algorithm === 'sliding-window' ? { ...r, burst: r.rate } : r));

const schedule = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 6_000 }), key: fc.integer({ min: 0, max: 2 }), cost: fc.integer({ min: 1, max: 4 }) }),
  { maxLength: 30 },
);

describe('memory store against exact models (property)', () => {
  it('every field of every decision, for keys with their own rules in one store, while the idle sweep runs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleArb, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        schedule,
        async (keyRules, start, arrivals) => {
          const clock = new VirtualClock(start);
          const store = memoryRateLimitStore({ clock });
          const models = keyRules.map(modelOf);
          for (const a of [...arrivals].sort((x, y) => x.at - y.at)) {
            await clock.advanceTo(start + a.at); // fires the sweeps that fall due: they must not change a decision
            const rule = keyRules[a.key] as RateLimitRule;
            const d = store.consume(`k${a.key}`, a.cost, clock.now(), rule);
            expect({ ...d }).toEqual((models[a.key] as GcraModel | WindowModel).decide(a.at, a.cost));
          }
          await clock.runAll();
          expect(store.size).toBe(0); // every key refilled and was swept
          expect(clock.pending).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('memory store: epoch-sized clock times', () => {
  it('property: at Date.now()-sized times a full burst is admitted, the next call waits one interval, a refilled bucket takes a burst again (GCRA)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), fc.integer({ min: 3, max: 97 }), (start, rate) => {
        const clock = new VirtualClock(start);
        const store = memoryRateLimitStore({ clock });
        const rule: RateLimitRule = { algorithm: 'gcra', rate, per: 1_000, burst: rate, maxWait: 0 };
        for (const at of [start, start + 1_000]) {
          for (let k = 0; k < rate; k++) expect(store.consume('k', 1, at, rule)).toMatchObject({ allowed: true, remaining: rate - k - 1 });
          expect(store.consume('k', 1, at, rule)).toMatchObject({ allowed: false, retryAfter: Math.ceil(1_000 / rate - 1e-9) });
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('memory store: fractional times', () => {
  it('a reserved slot starts on a whole ms, after the window has room (sliding window)', () => {
    const clock = new VirtualClock(10.25);
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 500 };
    expect(store.consume('k', 1, 10.25, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 0 });
    // The admission at 10.25 leaves the window at 110.25: the next slot is 111, 100.75 ms from now.
    expect(store.consume('k', 1, 10.25, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 100.75 });
    expect(store.consume('k', 1, 10.25, { ...rule, maxWait: 0 })).toEqual({ allowed: false, retryAfter: 201, remaining: 0, delay: 0 });
  });

  it('an empty window admits at once at a fractional time, even with no wait allowed', () => {
    const clock = new VirtualClock(0.5);
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 2, per: 100, burst: 2, maxWait: 0 };
    expect(store.consume('k', 1, 0.5, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 1, delay: 0 });
    expect(store.consume('k', 1, 3.75, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 0 });
    expect(store.consume('k', 1, 50.5, rule)).toEqual({ allowed: false, retryAfter: 51, remaining: 0, delay: 0 });
  });

  it('property: waiting slots start on whole ms and no window of per ms holds more than rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.double({ min: 0, max: 1_000, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (rate, per, times) => {
          const clock = new VirtualClock();
          const store = memoryRateLimitStore({ clock });
          const rule: RateLimitRule = { algorithm: 'sliding-window', rate, per, burst: rate, maxWait: 100_000 };
          const starts: number[] = [];
          for (const now of [...times].sort((a, b) => a - b)) {
            const d = store.consume('k', 1, now, rule);
            expect(d.allowed).toBe(true);
            const at = now + d.delay;
            if (d.delay > 0) expect(Math.abs(at - Math.round(at))).toBeLessThan(1e-9);
            starts.push(at);
          }
          expect(starts).toEqual([...starts].sort((a, b) => a - b)); // in arrival order
          for (const s of starts) expect(starts.filter((x) => x >= s && x < s + per - 1e-9).length).toBeLessThanOrEqual(rate);
        },
      ),
    );
  });
});

describe('memory store: the sliding log', () => {
  it('an admission leaves the window exactly per ms after it, while later ones stay', () => {
    const store = memoryRateLimitStore({ clock: new VirtualClock() });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 3, per: 100, burst: 3, maxWait: 0 };
    store.consume('k', 1, 0, rule);
    store.consume('k', 1, 50, rule);
    expect(store.consume('k', 1, 100, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 1, delay: 0 });
    expect(store.consume('k', 1, 100, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 0 });
    expect(store.consume('k', 1, 100, rule)).toEqual({ allowed: false, retryAfter: 50, remaining: 0, delay: 0 });
  });

  it('a long log that has left the window decides as an empty one, and fills again to exactly rate', () => {
    const store = memoryRateLimitStore({ clock: new VirtualClock() });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 50, per: 100, burst: 50, maxWait: 0 };
    for (let i = 0; i < 45; i++) expect(store.consume('k', 1, i, rule).allowed).toBe(true);
    for (let i = 0; i < 50; i++) expect(store.consume('k', 1, 150, rule)).toMatchObject({ allowed: true, remaining: 49 - i });
    expect(store.consume('k', 1, 200, rule)).toEqual({ allowed: false, retryAfter: 50, remaining: 0, delay: 0 });
    expect(store.consume('k', 2, 250, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 48, delay: 0 });
  });
  it('after a long log has left the window, the costs of new admissions are the ones that leave', () => {
    const store = memoryRateLimitStore({ clock: new VirtualClock() });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 50, per: 100, burst: 50, maxWait: 0 };
    for (let i = 0; i < 45; i++) store.consume('k', 1, i, rule);
    expect(store.consume('k', 3, 150, rule)).toMatchObject({ allowed: true, remaining: 47 });
    expect(store.consume('k', 2, 160, rule)).toMatchObject({ allowed: true, remaining: 45 });
    expect(store.consume('k', 1, 250, rule)).toMatchObject({ allowed: true, remaining: 47 });
    expect(store.consume('k', 1, 260, rule)).toMatchObject({ allowed: true, remaining: 48 });
  });
});

describe('memory store: maxWait is inclusive', () => {
  it('a call whose slot is exactly maxWait away reserves it (both algorithms)', () => {
    const store = memoryRateLimitStore({ clock: new VirtualClock() });
    const gcra: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100, burst: 1, maxWait: 100 };
    store.consume('g', 1, 0, gcra);
    expect(store.consume('g', 1, 0, gcra)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 100 });
    expect(store.consume('g', 1, 0, gcra)).toEqual({ allowed: false, retryAfter: 200, remaining: 0, delay: 0 });
    const sliding: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 100 };
    store.consume('s', 1, 0, sliding);
    expect(store.consume('s', 1, 0, sliding)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 100 });
    expect(store.consume('s', 1, 0, sliding)).toEqual({ allowed: false, retryAfter: 200, remaining: 0, delay: 0 });
  });
});

/**
 * A clock on `inner`'s time whose timers never fire: the store's background sweep never
 * runs, so a test sees only what the store does on its own calls.
 */
function sweepNeverRuns(inner: VirtualClock): Clock {
  return { now: () => inner.now(), setTimeout: () => ({}), clearTimeout: () => {} };
}

describe('memory store at its key bound', () => {
  it('refuses a new key with capacity: true and retryAfter = how long a held key may stay (plus maxWait)', () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ maxKeys: 1, clock });
    const gcra: RateLimitRule = { algorithm: 'gcra', rate: 3, per: 1_000, burst: 2, maxWait: 40 };
    expect(store.consume('a', 1, 0, gcra).allowed).toBe(true);
    // The bucket refills in burst · per / rate = 666.67 ms; a caller may wait 40 more.
    expect(store.consume('b', 1, 0, gcra)).toEqual({ allowed: false, retryAfter: 707, remaining: 0, delay: 0, capacity: true });
    const sliding: RateLimitRule = { algorithm: 'sliding-window', rate: 2, per: 300, burst: 2, maxWait: 25 };
    expect(store.consume('c', 1, 0, sliding)).toEqual({ allowed: false, retryAfter: 325, remaining: 0, delay: 0, capacity: true });
    expect(store.size).toBe(1);
  });

  it('a held key may still reserve a later slot at the bound; a cost above the burst is refused without a key', () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ maxKeys: 1, clock });
    const rule: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100, burst: 1, maxWait: 1_000 };
    expect(store.consume('a', 1, 0, rule).allowed).toBe(true);
    expect(store.consume('b', 2, 0, rule)).toMatchObject({ allowed: false, retryAfter: Number.POSITIVE_INFINITY }); // above the burst: no key needed
    expect(store.consume('a', 1, 0, rule)).toEqual({ allowed: true, retryAfter: 0, remaining: 0, delay: 100 }); // a held key may still reserve
    expect(store.size).toBe(1);
  });

  it('a held key used under the other algorithm is not a new key (misuse of a shared store, but no refusal)', () => {
    const store = memoryRateLimitStore({ maxKeys: 1, clock: new VirtualClock() });
    const gcra: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100, burst: 1, maxWait: 0 };
    const sliding: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 0 };
    expect(store.consume('k', 1, 0, gcra).allowed).toBe(true);
    expect(store.consume('k', 1, 0, sliding)).toMatchObject({ allowed: true });
    expect(store.consume('k', 1, 0, gcra)).toMatchObject({ allowed: true });
    expect(store.size).toBe(1);
  });

  it('at the bound, a new key sees every held key (up to 64), the ones before the rolling cursor too', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ maxKeys: 4, clock: sweepNeverRuns(clock) });
    const slow: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100_000, burst: 1, maxWait: 0 };
    const fast: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100, burst: 1, maxWait: 0 };
    store.consume('slow', 1, 0, slow);
    store.consume('A', 1, 0, fast); // idle from 100 on; the rolling cursor has passed it
    store.consume('C', 1, 0, slow);
    store.consume('D', 1, 0, slow);
    await clock.advance(200);
    expect(store.size).toBe(4);
    expect(store.consume('E', 1, 200, fast)).toMatchObject({ allowed: true });
    expect(store.size).toBe(4); // 'A' went, 'E' came
  });

  it('drops idle keys before refusing a new one, even when the background sweep has not run yet', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ maxKeys: 2, clock: sweepNeverRuns(clock) });
    const slow: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 1_000_000, burst: 1, maxWait: 0 };
    const fast: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 0 };
    store.consume('slow', 1, 0, slow);
    store.consume('a', 1, 0, fast);
    await clock.advance(200); // 'a' is full again, 'slow' is not; no sweep has run
    expect(store.size).toBe(2);
    expect(store.consume('b', 1, clock.now(), fast)).toMatchObject({ allowed: true, delay: 0 });
    expect(store.size).toBe(2);
    expect(store.consume('c', 1, clock.now(), fast)).toMatchObject({ allowed: false, capacity: true, retryAfter: 100 });
  });
});

/** A virtual clock whose timer handles record `unref()`, as Node's do. */
function unrefRecordingClock(): { clock: Clock & { inner: VirtualClock }; unrefs: () => number; timers: () => number } {
  const inner = new VirtualClock();
  let unrefs = 0;
  let timers = 0;
  const clock = {
    inner,
    now: () => inner.now(),
    setTimeout: (fn: () => void, ms: number) => {
      timers++;
      return Object.assign(inner.setTimeout(fn, ms), { unref: () => void unrefs++ });
    },
    clearTimeout: (h: unknown) => inner.clearTimeout(h),
  };
  return { clock, unrefs: () => unrefs, timers: () => timers };
}

describe('memory store: the idle sweep', () => {
  it('comes when the last key is full again, drops every key, and comes again for keys added later', async () => {
    const clock = new VirtualClock(5_000.5);
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'gcra', rate: 10, per: 1_000, burst: 10, maxWait: 0 };
    store.consume('a', 3, clock.now(), rule); // full again 300 ms later
    expect(clock.nextTimerAt()).toBe(5_300.5);
    expect(clock.pending).toBe(1);
    store.consume('b', 1, clock.now(), rule); // one timer for the store, not one per key
    expect(clock.pending).toBe(1);
    await clock.advance(299);
    expect(store.size).toBe(2);
    await clock.advance(1);
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0); // nothing left: no timer
    store.consume('c', 2, clock.now(), rule);
    expect(clock.nextTimerAt()).toBe(5_500.5);
    await clock.advance(200);
    expect(store.size).toBe(0);
  });

  it('a pass that keeps a key comes again when it is full, but not within a second', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'gcra', rate: 10, per: 1_000, burst: 10, maxWait: 0 };
    store.consume('a', 1, 0, rule); // full at 100: the sweep is armed for 100
    await clock.advance(50);
    store.consume('b', 1, 50, rule); // full at 150
    await clock.advance(50); // the pass at 100 drops 'a', keeps 'b'
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(1_100);
    const slow: RateLimitRule = { ...rule, per: 5_000 };
    store.consume('c', 1, 100, slow); // full at 600: the armed pass at 1 100 covers it
    expect(clock.nextTimerAt()).toBe(1_100);
    await clock.advance(1_000);
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
    store.consume('d', 10, 1_100, slow); // full at 6 100
    await clock.advance(1_000);
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(6_100);
  });

  it('a sliding log lives as long as the longest window of the rules the store has seen', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const long: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 10_000, burst: 1, maxWait: 0 };
    const short: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 0 };
    store.consume('long', 1, 0, long);
    expect(clock.nextTimerAt()).toBe(10_000);
    await clock.advance(200);
    store.consume('short', 1, 200, short); // a new key checks old ones: 'long' is not full yet
    expect(store.consume('long', 1, 200, long)).toEqual({ allowed: false, retryAfter: 9_800, remaining: 0, delay: 0 });
    await clock.advance(9_799);
    expect(store.consume('long', 1, clock.now(), long)).toMatchObject({ allowed: false, retryAfter: 1 });
    await clock.advance(1);
    expect(store.size).toBe(1); // 'long' is gone; 'short' is judged by the longest window too (full at 10 200)
    expect(store.consume('long', 1, clock.now(), long)).toMatchObject({ allowed: true, remaining: 0 });
    await clock.advance(1_000);
    expect(store.size).toBe(1);
  });

  it('sliding keys are swept once their window has passed (a log with room left counts too)', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 5, per: 250, burst: 5, maxWait: 0 };
    for (let i = 0; i < 10; i++) store.consume(`k${i}`, 1, 0, rule);
    expect(store.size).toBe(10);
    await clock.advance(100);
    store.consume('k0', 1, 100, rule); // k0 is full again at 350
    await clock.advance(150);
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(1_250);
    await clock.advance(1_000);
    expect(store.size).toBe(0);
  });

  it('a new key drops a held key that is full again exactly now', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock: sweepNeverRuns(clock) });
    const slow: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 1_000_000, burst: 1, maxWait: 0 }; // not full again for long
    const fast: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100, burst: 1, maxWait: 0 };
    for (const key of ['s1', 's2', 's3']) store.consume(key, 1, 0, slow);
    store.consume('a', 1, 0, fast); // full again at 100; the rolling check reaches it on the next new key
    await clock.advance(100);
    expect(store.size).toBe(4);
    store.consume('b', 1, 100, fast);
    expect(store.size).toBe(4); // 'a' went, 'b' came
  });

  it('each new key checks at most two held keys, so idle keys go at two per new key before the sweep comes', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock: sweepNeverRuns(clock) });
    store.consume('slow', 1, 0, { algorithm: 'gcra', rate: 1, per: 1_000_000, burst: 1, maxWait: 0 }); // not full again for long
    const fast: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 0 };
    for (let i = 0; i < 10; i++) store.consume(`old${i}`, 1, 0, fast);
    await clock.advance(200); // the ten are full again; no sweep has run
    expect(store.size).toBe(11);
    const dropped: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = store.size;
      store.consume(`new${i}`, 1, 200, fast);
      dropped.push(before + 1 - store.size);
    }
    expect(Math.max(...dropped)).toBe(2);
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(10); // every idle key gone, the live ones kept
    expect(store.size).toBe(9);
  });

  it('only a new key checks other keys: admissions of held keys leave idle keys to the sweep', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock: sweepNeverRuns(clock) });
    store.consume('slow', 1, 0, { algorithm: 'gcra', rate: 1, per: 1_000_000, burst: 1, maxWait: 0 }); // not full again for long
    const fast: RateLimitRule = { algorithm: 'sliding-window', rate: 100, per: 100, burst: 100, maxWait: 0 };
    store.consume('held', 1, 0, fast);
    for (let i = 0; i < 6; i++) store.consume(`old${i}`, 1, 0, { ...fast, rate: 1, burst: 1 });
    await clock.advance(150); // the six are full again; 'held' too, but it is used again now
    for (let i = 0; i < 10; i++) expect(store.consume('held', 1, 150, fast).allowed).toBe(true);
    expect(store.size).toBe(8);
  });

  it('a pass re-arms for the earliest time a kept key is full, judged by the longest window', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const long: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 10_000, burst: 1, maxWait: 0 };
    const short: RateLimitRule = { algorithm: 'sliding-window', rate: 1, per: 100, burst: 1, maxWait: 0 };
    store.consume('L', 1, 0, long); // the sweep is armed for 10 000
    await clock.advance(1_000);
    store.consume('S1', 1, 1_000, short);
    await clock.advance(4_000);
    store.consume('S2', 1, 5_000, short); // full at 5 000 + 10 000 (the longest window)
    await clock.advance(4_950);
    store.consume('S1', 1, 9_950, short); // full at 19 950
    await clock.advance(50); // the pass at 10 000 drops 'L' and keeps both
    expect(store.size).toBe(2);
    expect(clock.nextTimerAt()).toBe(15_000); // 'S2' is the first kept key full again
    await clock.advance(5_000);
    expect(store.size).toBe(1);
    expect(clock.nextTimerAt()).toBe(19_950);
  });

  it('a sliding log emptied by a refused call (cost above the rate) is swept like any full key', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'sliding-window', rate: 40, per: 100, burst: 40, maxWait: 0 };
    for (let i = 0; i < 40; i++) store.consume('k', 1, i, rule);
    await clock.advanceTo(140);
    expect(store.consume('k', 41, 140, rule)).toEqual({ allowed: false, retryAfter: Number.POSITIVE_INFINITY, remaining: 40, delay: 0 });
    expect(store.size).toBe(1);
    await clock.advance(1_000);
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('inspects at most 20 000 keys per timer turn, yielding between turns', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'gcra', rate: 10, per: 1_000, burst: 10, maxWait: 0 };
    for (let i = 0; i < 45_000; i++) store.consume(`p${i}`, 1, 0, rule);
    const sizes: number[] = [];
    const probe = (): void => {
      sizes.push(store.size);
      if (sizes.length < 3) clock.setTimeout(probe, 0); // queued behind the sweep's next turn
    };
    clock.setTimeout(probe, 100); // due with the sweep's first turn, after it
    const before = store.size;
    expect(before).toBeGreaterThan(44_000);
    await clock.advance(100);
    expect(sizes).toEqual([before - 20_000, before - 40_000, 0]);
    expect(clock.pending).toBe(0);
  });

  it('a pass over more than one turn of keys still refilling goes on from where it stopped', async () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'gcra', rate: 10, per: 1_000, burst: 10, maxWait: 0 };
    for (let i = 0; i < 25_000; i++) store.consume(`p${i}`, 1, 0, rule); // full again at 100: the sweep is armed for 100
    await clock.advance(50);
    for (let i = 0; i < 25_000; i++) store.consume(`p${i}`, 1, 50, rule); // now full again at 150
    const fired = clock.fired;
    await clock.advance(50); // the pass at 100 keeps every key, in two turns
    expect(clock.fired - fired).toBe(2);
    expect(store.size).toBe(25_000);
    expect(clock.nextTimerAt()).toBe(1_100);
    await clock.advance(1_000);
    expect(store.size).toBe(0);
  });

  it('never keeps a process alive: every sweep timer is unref’d', async () => {
    const { clock, unrefs, timers } = unrefRecordingClock();
    const store = memoryRateLimitStore({ clock });
    const rule: RateLimitRule = { algorithm: 'gcra', rate: 1, per: 100, burst: 1, maxWait: 0 };
    for (let i = 0; i < 25_000; i++) store.consume(`p${i}`, 1, 0, rule);
    await clock.inner.advance(50);
    store.consume('late', 1, 50, rule); // kept by the first pass: the sweep comes again
    await clock.inner.runAll();
    expect(store.size).toBe(0);
    expect(timers()).toBe(3); // the first turn, the chunk after it, the pass for 'late'
    expect(unrefs()).toBe(timers());
  });

  it('does not arm a timer a platform cannot take (keys that refill in more than 2^31 − 1 ms)', () => {
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    store.consume('edge', 1, 0, { algorithm: 'gcra', rate: 1, per: 2_147_483_647, burst: 1, maxWait: 0 });
    expect(clock.nextTimerAt()).toBe(2_147_483_647);
    const farClock = new VirtualClock();
    const farther = memoryRateLimitStore({ clock: farClock });
    farther.consume('far', 1, 0, { algorithm: 'gcra', rate: 1, per: 2_147_483_648, burst: 1, maxWait: 0 });
    expect(farClock.pending).toBe(0);
    expect(farther.size).toBe(1);
  });
});

describe('memoryRateLimitStore options (schema of a fresh load)', () => {
  async function fresh(): Promise<typeof Stores> {
    return freshModule<typeof Stores>(() => import('./store'));
  }

  it('maxKeys is an integer ≥ 1 or Infinity; clock a clock; unknown keys are refused', async () => {
    const { memoryRateLimitStore: make } = await fresh();
    expect(make({ maxKeys: 1 }).maxKeys).toBe(1);
    expect(make({ maxKeys: Infinity }).maxKeys).toBe(Infinity);
    expect(make().maxKeys).toBe(Infinity);
    expect(messageOf(() => make({ maxKeys: 0, clock: {} as never }))).toBe(
      'Invalid memoryRateLimitStore options: expected `maxKeys` to be an integer ≥ 1 (or Infinity), got 0; ' +
        'expected `clock` to be a clock (an object with now, setTimeout and clearTimeout functions), got {}',
    );
    expect(messageOf(() => make({ maxKeys: 2.5 }))).toMatch(/`maxKeys` to be an integer ≥ 1 \(or Infinity\), got 2\.5/);
    expect(messageOf(() => make({ maxKeyz: 3 } as never))).toMatch(/unknown option `maxKeyz`/);
  });
});
