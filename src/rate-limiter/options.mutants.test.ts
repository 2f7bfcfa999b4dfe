/**
 * The option schemas, defaults and cross-field rules of the rate limiters (issue #23). The
 * schemas and the defaults table are built when `options.ts` loads, so these tests import the
 * limiter anew (`freshModule`) and check each rule on that copy: what is accepted, what is
 * refused, and what the error says is expected. The cross-field issues are checked word for
 * word, as a user reads them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, issuesOf, messageOf } from '../../test/support/fresh-module';
import type { ExecutionContext } from '../core/context';
import { VirtualClock } from '../testing/virtual-clock';
import type { PartitionedRateLimiterOptions, RateLimiterOptions } from './options';
import { rateLimiter as currentRateLimiter } from './rate-limiter';
import type * as RateLimiters from './rate-limiter';
import { memoryRateLimitStore } from './store';

/** The rate limiter module, loaded again so that its option schemas and defaults are built in this test. */
async function fresh(): Promise<typeof RateLimiters> {
  return freshModule<typeof RateLimiters>(() => import('./rate-limiter'));
}

const player = (ctx: ExecutionContext): string => ctx.labels['player'] ?? 'anonymous';


describe('rateLimiter options (schema of a fresh load)', () => {
  it('accepts every documented option and fills the documented defaults', async () => {
    const { rateLimiter } = await fresh();
    const clock = new VirtualClock();
    const store = memoryRateLimitStore({ clock });
    const full = rateLimiter({ name: 'partner', rate: 0.5, per: 0.25, burst: 2, cost: 2, algorithm: 'gcra', maxWait: 0, maxQueue: 0, clock, store });
    expect([full.name, full.rate, full.per, full.burst, full.algorithm, full.maxWait, full.maxQueue, full.store]).toEqual([
      'partner',
      0.5,
      0.25,
      2,
      'gcra',
      0,
      0,
      store,
    ]);
    expect(rateLimiter({ rate: 3, algorithm: 'sliding-window', cost: () => 1, maxQueue: Infinity, maxWait: 0.5 }).algorithm).toBe('sliding-window');
    const plain = rateLimiter({ rate: 1 });
    expect([plain.name, plain.per, plain.algorithm, plain.maxWait, plain.maxQueue, plain.burst]).toEqual(['rate-limiter', 1_000, 'gcra', 0, Infinity, 1]);
  });

  it('the exported defaults table says the same', async () => {
    const { rateLimiterDefaults } = await freshModule<typeof import('./options')>(() => import('./options'));
    expect(rateLimiterDefaults).toEqual({
      per: 1_000,
      algorithm: 'gcra',
      maxWait: 0,
      maxQueue: Infinity,
      name: 'rate-limiter',
      maxPartitions: Infinity,
    });
  });

  it('requires rate, a finite number > 0, and says what it expects', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter({} as never))).toBe('Invalid rateLimiter options: expected `rate` to be a finite number > 0, got undefined');
    expect(messageOf(() => rateLimiter({ rate: 0 }))).toBe('Invalid rateLimiter options: expected `rate` to be a finite number > 0, got 0');
    expect(messageOf(() => rateLimiter({ rate: Infinity }))).toMatch(/expected `rate` to be a finite number > 0, got Infinity/);
  });

  it('property: a rate is accepted exactly when it is a finite number > 0', async () => {
    const { rateLimiter } = await fresh();
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, Infinity, Number.NaN, Number.MIN_VALUE)), (rate) => {
        const make = (): unknown => rateLimiter({ rate });
        if (Number.isFinite(rate) && rate > 0) expect(make).not.toThrow();
        else expect(make).toThrow(/expected `rate` to be a finite number > 0/);
      }),
    );
  });

  it('per is a duration > 0; maxWait a duration ≥ 0', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter({ rate: 1, per: 0, maxWait: -1 }))).toBe(
      'Invalid rateLimiter options: expected `per` to be a duration in ms > 0, got 0; expected `maxWait` to be a duration in ms ≥ 0, got -1',
    );
    expect(rateLimiter({ rate: 1, per: Number.MIN_VALUE }).per).toBe(Number.MIN_VALUE);
    expect(rateLimiter({ rate: 1, maxWait: 0 }).maxWait).toBe(0);
  });

  it('property: per is accepted exactly when it is a finite number > 0', async () => {
    const { rateLimiter } = await fresh();
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, Infinity)), (per) => {
        const make = (): unknown => rateLimiter({ rate: 1, per });
        if (Number.isFinite(per) && per > 0) expect(make).not.toThrow();
        else expect(make).toThrow(/expected `per` to be a duration in ms > 0/);
      }),
    );
  });

  it('burst is an integer ≥ 1; maxQueue an integer ≥ 0 or Infinity', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter({ rate: 1, burst: 0, maxQueue: -1 }))).toBe(
      'Invalid rateLimiter options: expected `burst` to be an integer ≥ 1, got 0; expected `maxQueue` to be an integer ≥ 0 (or Infinity), got -1',
    );
    expect(messageOf(() => rateLimiter({ rate: 1, burst: Infinity }))).toMatch(/expected `burst` to be an integer ≥ 1, got Infinity/);
    expect(rateLimiter({ rate: 1, maxQueue: Infinity, maxWait: 10 }).maxQueue).toBe(Infinity);
  });

  it('algorithm is one of the two; cost an integer ≥ 1 or a function', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter({ rate: 1, algorithm: 'leaky' as never, cost: 0 }))).toBe(
      'Invalid rateLimiter options: expected `algorithm` to be one of "gcra", "sliding-window", got "leaky"; expected `cost` to be an integer ≥ 1 or a function, got 0',
    );
    expect(messageOf(() => rateLimiter({ rate: 1, algorithm: '' as never }))).toMatch(/expected `algorithm` to be one of "gcra", "sliding-window", got ""/);
    expect(rateLimiter({ rate: 1, cost: 3 }).describe().options).toMatchObject({ cost: '(anonymous)' });
  });

  it('name is a non-empty string; clock a clock; store an object with a consume function', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter({ rate: 1, name: '', clock: {} as never, store: { consume: 1 } as never }))).toBe(
      'Invalid rateLimiter options: expected `name` to be a non-empty string, got ""; ' +
        'expected `clock` to be a clock (an object with now, setTimeout and clearTimeout functions), got {}; ' +
        'expected `store` to be a rate limit store (an object with a consume function), got {"consume":1}',
    );
  });

  it('a store must be a non-null object (a function with consume is refused) with a consume function', async () => {
    const { rateLimiter } = await fresh();
    const storeMessage = /expected `store` to be a rate limit store \(an object with a consume function\)/;
    const withConsume = Object.assign(() => undefined, { consume: () => ({ allowed: true, retryAfter: 0, remaining: 0, delay: 0 }) });
    expect(() => rateLimiter({ rate: 1, store: withConsume as never })).toThrow(storeMessage);
    expect(() => rateLimiter({ rate: 1, store: null as never })).toThrow(storeMessage);
    expect(() => rateLimiter({ rate: 1, store: {} as never })).toThrow(storeMessage);
    expect(() => rateLimiter({ rate: 1, store: { consume: 'consume' } as never })).toThrow(storeMessage);
    const custom = { consume: () => ({ allowed: true, retryAfter: 0, remaining: 0, delay: 0 }) };
    expect(rateLimiter({ rate: 1, store: custom }).store).toBe(custom);
  });

  it('refuses unknown keys, maxPartitions and key included (they belong to the partitioned kind)', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter({ rate: 1, maxPartitions: 2, key: player } as never))).toBe(
      'Invalid rateLimiter options: unknown option `maxPartitions`; unknown option `key`',
    );
  });
});

describe('rateLimiter.partitioned options (schema of a fresh load)', () => {
  it('accepts the plain options too, plus key and maxPartitions (Infinity included)', async () => {
    const { rateLimiter } = await fresh();
    const clock = new VirtualClock();
    const l = rateLimiter.partitioned({ key: player, rate: 2, per: 500, burst: 3, cost: 1, algorithm: 'gcra', maxWait: 10, maxQueue: 2, name: 'chat', clock, maxPartitions: Infinity });
    expect([l.rate, l.per, l.burst, l.maxWait, l.maxQueue, l.name, l.maxPartitions]).toEqual([2, 500, 3, 10, 2, 'chat', Infinity]);
    expect(rateLimiter.partitioned({ key: player, rate: 1 }).maxPartitions).toBe(Infinity);
    expect(rateLimiter.partitioned({ key: player, rate: 1, maxPartitions: 1 }).maxPartitions).toBe(1);
  });

  it('checks the plain rules as well and requires key, a function', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter.partitioned({ rate: 0 } as never))).toBe(
      'Invalid rateLimiter.partitioned options: expected `rate` to be a finite number > 0, got 0; expected `key` to be a function (ctx) => string, got undefined',
    );
    expect(messageOf(() => rateLimiter.partitioned({ rate: 1, key: 'player' as never }))).toBe(
      'Invalid rateLimiter.partitioned options: expected `key` to be a function (ctx) => string, got "player"',
    );
  });

  it('maxPartitions is an integer ≥ 1 or Infinity', async () => {
    const { rateLimiter } = await fresh();
    expect(messageOf(() => rateLimiter.partitioned({ key: player, rate: 1, maxPartitions: 0 }))).toBe(
      'Invalid rateLimiter.partitioned options: expected `maxPartitions` to be an integer ≥ 1 (or Infinity), got 0',
    );
    expect(messageOf(() => rateLimiter.partitioned({ key: player, rate: 1, maxPartitions: 1.5 }))).toMatch(/`maxPartitions` to be an integer ≥ 1 \(or Infinity\), got 1\.5/);
  });
});

describe('rate limiter options: what each cross-field issue says', () => {
  it("sliding-window needs an integer rate and refuses burst, both named at once", () => {
    expect(issuesOf(() => currentRateLimiter({ rate: 1.5, burst: 2, algorithm: 'sliding-window' }))).toEqual([
      { path: 'rate', value: 1.5, expected: "an integer ≥ 1 with algorithm 'sliding-window'" },
      { path: 'burst', value: 2, expected: "absent with algorithm 'sliding-window' (it has no burst beyond rate)" },
    ]);
  });

  it('GCRA takes a fractional rate and a burst', () => {
    const l = currentRateLimiter({ rate: 1.5, burst: 2, algorithm: 'gcra' });
    expect([l.rate, l.burst]).toEqual([1.5, 2]);
    expect(currentRateLimiter({ rate: 2, algorithm: 'sliding-window' }).burst).toBe(2);
  });

  it('maxPartitions with a store is refused (the store holds the bound); either alone is fine', () => {
    const store = memoryRateLimitStore();
    const options: PartitionedRateLimiterOptions = { key: player, rate: 1, maxPartitions: 5, store };
    expect(issuesOf(() => currentRateLimiter.partitioned(options))).toEqual([
      { path: 'maxPartitions', value: 5, expected: 'absent when `store` is given (bound your store instead)' },
    ]);
    expect(currentRateLimiter.partitioned({ key: player, rate: 1, maxPartitions: undefined, store }).store).toBe(store);
    expect(currentRateLimiter.partitioned({ key: player, rate: 1, maxPartitions: 5 }).maxPartitions).toBe(5);
    const plain: RateLimiterOptions = { rate: 1, store };
    expect(currentRateLimiter(plain).store).toBe(store);
  });

  it('property: a sliding-window rate is accepted exactly when it is an integer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.double({ min: 0.01, max: 1_000, noNaN: true })), (rate) => {
        const make = (): unknown => currentRateLimiter({ rate, algorithm: 'sliding-window' });
        if (Number.isInteger(rate)) expect(make).not.toThrow();
        else expect(make).toThrow(/expected `rate` to be an integer ≥ 1 with algorithm 'sliding-window'/);
      }),
    );
  });
});
