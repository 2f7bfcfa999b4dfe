/**
 * Property tests of the rate limiter on the virtual clock against reference models: for
 * random rates, periods, bursts, costs and arrival schedules over a few keys, every decision
 * and `retryAfter` equals the model's (a continuous token bucket in exact integer arithmetic
 * for GCRA; a log of admissions for the sliding window), so partitions never affect each
 * other; no interval holds more than the bound; calls spaced at the rate are never refused;
 * a call made `retryAfter` ms after a refusal is admitted; waiting calls (`maxWait`) start in
 * arrival order and within the same bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRateLimitedError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { rateLimiter } from './rate-limiter';

interface Arrival {
  readonly at: number;
  readonly key: number;
  readonly cost: number;
}

const arrivals = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 5_000 }), key: fc.integer({ min: 0, max: 2 }), cost: fc.integer({ min: 1, max: 3 }) }),
  { maxLength: 40 },
);

/** The reference token bucket, scaled by `per` so every quantity is an integer. */
class BucketModel {
  private tokens: number; // tokens · per
  private last = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly rate: number,
    private readonly per: number,
    private readonly burst: number,
  ) {
    this.tokens = burst * per;
  }
  decide(t: number, cost: number): { allowed: boolean; retryAfter: number } {
    if (this.last !== Number.NEGATIVE_INFINITY) this.tokens = Math.min(this.burst * this.per, this.tokens + (t - this.last) * this.rate);
    this.last = t;
    if (this.tokens >= cost * this.per) {
      this.tokens -= cost * this.per;
      return { allowed: true, retryAfter: 0 };
    }
    if (cost > this.burst) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY };
    return { allowed: false, retryAfter: Math.ceil((cost * this.per - this.tokens) / this.rate) };
  }
}

/** The reference sliding window: the log of admissions. */
class WindowModel {
  private readonly log: { t: number; cost: number }[] = [];
  constructor(
    private readonly rate: number,
    private readonly per: number,
  ) {}
  private usedAt(s: number): number {
    return this.log.filter((e) => e.t > s - this.per).reduce((a, e) => a + e.cost, 0);
  }
  decide(t: number, cost: number): { allowed: boolean; retryAfter: number } {
    if (cost > this.rate) return { allowed: false, retryAfter: Number.POSITIVE_INFINITY };
    if (this.usedAt(t) + cost <= this.rate) {
      this.log.push({ t, cost });
      return { allowed: true, retryAfter: 0 };
    }
    // The earliest time an admission leaves the window enough room.
    const candidates = this.log.map((e) => e.t + this.per).filter((s) => s > t).sort((a, b) => a - b);
    const s = candidates.find((c) => this.usedAt(c) + cost <= this.rate) as number;
    return { allowed: false, retryAfter: s - t };
  }
}

/** Checks that in every closed interval of length w, admitted cost ≤ bound(w). */
function checkIntervals(admitted: readonly { t: number; cost: number }[], bound: (w: number) => number, closed: boolean): void {
  const sorted = [...admitted].sort((a, b) => a.t - b.t);
  for (let i = 0; i < sorted.length; i++) {
    const start = (sorted[i] as { t: number }).t;
    let sum = 0;
    for (let j = i; j < sorted.length; j++) {
      const e = sorted[j] as { t: number; cost: number };
      sum += e.cost;
      const w = e.t - start;
      if (closed) expect(sum).toBeLessThanOrEqual(bound(w));
    }
  }
}

/** Runs `schedule` through `tryAcquire`, with a retry at exactly `retryAfter` after each refusal. */
async function runSchedule(
  schedule: readonly Arrival[],
  decide: (key: string, cost: number) => { allowed: boolean; retryAfter: number },
  models: ((t: number, cost: number) => { allowed: boolean; retryAfter: number })[],
  clock: VirtualClock,
): Promise<{ t: number; cost: number; key: number }[]> {
  const pending = [...schedule].sort((a, b) => a.at - b.at || a.key - b.key);
  const admitted: { t: number; cost: number; key: number }[] = [];
  const queue: (Arrival & { retry?: boolean })[] = pending;
  while (queue.length > 0) {
    queue.sort((a, b) => a.at - b.at);
    const a = queue.shift() as Arrival & { retry?: boolean };
    await clock.advanceTo(a.at);
    const d = decide(`k${a.key}`, a.cost);
    const m = (models[a.key] as (t: number, c: number) => { allowed: boolean; retryAfter: number })(a.at, a.cost);
    expect({ allowed: d.allowed, retryAfter: d.retryAfter }).toEqual(m);
    if (a.retry === true) expect(d.allowed).toBe(true); // honest retryAfter
    if (d.allowed) admitted.push({ t: a.at, cost: a.cost, key: a.key });
    else if (d.retryAfter !== Number.POSITIVE_INFINITY) {
      // "If nothing else came in between": drop this key's arrivals up to the retry.
      const retryAt = a.at + d.retryAfter;
      for (let i = queue.length - 1; i >= 0; i--) {
        const q = queue[i] as Arrival;
        if (q.key === a.key && q.at <= retryAt) queue.splice(i, 1);
      }
      queue.push({ at: retryAt, key: a.key, cost: a.cost, retry: true });
    }
  }
  return admitted;
}

describe('rate limiter against reference models (property)', () => {
  it('GCRA: decisions and retryAfter equal the token bucket per key; every interval within burst + ⌊w·rate/per⌋', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 1, max: 8 }),
        arrivals,
        async (rate, per, burst, schedule) => {
          const clock = new VirtualClock();
          const limiter = rateLimiter.partitioned({ key: () => '', rate, per, burst, clock });
          const models = [0, 1, 2].map(() => new BucketModel(rate, per, burst));
          const admitted = await runSchedule(schedule, (k, c) => limiter.tryAcquire(k, c), models.map((m) => m.decide.bind(m)), clock);
          for (const key of [0, 1, 2]) {
            checkIntervals(admitted.filter((e) => e.key === key), (w) => burst + Math.floor((w * rate) / per), true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sliding window: decisions and retryAfter equal the admission log per key; at most rate in any window of per ms', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3_000 }), arrivals, async (rate, per, schedule) => {
        const clock = new VirtualClock();
        const limiter = rateLimiter.partitioned({ key: () => '', rate, per, algorithm: 'sliding-window', clock });
        const models = [0, 1, 2].map(() => new WindowModel(rate, per));
        const admitted = await runSchedule(schedule, (k, c) => limiter.tryAcquire(k, c), models.map((m) => m.decide.bind(m)), clock);
        for (const key of [0, 1, 2]) {
          const mine = admitted.filter((e) => e.key === key).sort((a, b) => a.t - b.t);
          for (const e of mine) {
            const inWindow = mine.filter((x) => x.t >= e.t && x.t < e.t + per).reduce((s, x) => s + x.cost, 0);
            expect(inWindow).toBeLessThanOrEqual(rate);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('calls spaced exactly at the rate are never refused (any rate, per, burst, start)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom('gcra' as const, 'sliding-window' as const),
        async (rate, per, burst, start, algorithm) => {
          const clock = new VirtualClock(start);
          const limiter = algorithm === 'gcra' ? rateLimiter({ rate, per, burst, clock }) : rateLimiter({ rate, per, algorithm, clock });
          const interval = per / rate; // not always an integer: the clock takes fractional times
          for (let k = 0; k < 3 * rate + 5; k++) {
            await clock.advanceTo(start + k * interval);
            expect(limiter.tryAcquire().allowed).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('waiting calls (maxWait) start in arrival order and within the GCRA bound; refused ones carry a retryAfter beyond maxWait', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 10, max: 1_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 30 }),
        async (rate, per, burst, maxWait, times) => {
          const clock = new VirtualClock();
          const limiter = rateLimiter({ rate, per, burst, maxWait, clock });
          const starts: { t: number; cost: number; i: number }[] = [];
          const calls: Promise<unknown>[] = [];
          const sorted = [...times].sort((a, b) => a - b);
          for (let i = 0; i < sorted.length; i++) {
            await clock.advanceTo(sorted[i] as number);
            calls.push(
              limiter
                .execute(() => {
                  starts.push({ t: clock.now(), cost: 1, i });
                })
                .catch((e: unknown) => {
                  expect(isRateLimitedError(e)).toBe(true);
                  expect((e as { retryAfter: number }).retryAfter).toBeGreaterThan(maxWait);
                }),
            );
          }
          await clock.runAll();
          await Promise.all(calls);
          expect(starts.map((s) => s.i)).toEqual([...starts.map((s) => s.i)].sort((a, b) => a - b));
          checkIntervals(starts, (w) => burst + Math.floor((w * rate) / per + 1e-9), true);
          expect(limiter.queued).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
