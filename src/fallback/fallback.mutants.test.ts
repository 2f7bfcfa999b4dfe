/**
 * Rules of the fallback policy and its `lastKnownGood` tier that mutation testing (issue #23)
 * found unpinned: a tier thenable counts once however it misbehaves, what a cache says when
 * it has nothing to serve, keys that are not strings, the cross-copy brand, the names in
 * validation errors and in `describe()`.
 */
import { describe, expect, it, vi } from 'vitest';
import { FallbackExhaustedError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { fallback } from './fallback';
import { isLastKnownGood, lastKnownGood } from './last-known-good';
import { rejection } from '../../test/support/promises';

const fail = (): never => {
  throw new Error('primary down');
};


describe('a tier that returns a misbehaving thenable', () => {
  it('a thenable that settles twice counts once: its first answer stands and the next tier never runs', async () => {
    const next = vi.fn(() => 'next');
    const twice = {
      then(resolve: (v: string) => void, reject: (e: unknown) => void): void {
        resolve('first');
        reject(new Error('second'));
      },
    };
    const p = fallback<string>({
      tiers: [
        () => {
          throw new Error('tier 0 down');
        },
        () => twice as unknown as Promise<string>,
        next,
      ],
    });
    await expect(p.execute(fail)).resolves.toBe('first');
    expect(next).not.toHaveBeenCalled();
  });

  it('a thenable whose then() throws after it settled keeps its answer and the next tier never runs', async () => {
    const next = vi.fn(() => 'next');
    const settledThenThrows = {
      then(resolve: (v: string) => void): void {
        resolve('served');
        throw new Error('then() blew up afterwards');
      },
    };
    const p = fallback<string>({ tiers: [() => settledThenThrows as unknown as Promise<string>, next] });
    await expect(p.execute(fail)).resolves.toBe('served');
    expect(next).not.toHaveBeenCalled();
  });
});

describe('lastKnownGood with nothing to serve', () => {
  it('says why: no value stored, the stored value is too old, or no key for this call', async () => {
    const clock = new VirtualClock();
    const cache = lastKnownGood({ maxAge: 100, key: (ctx) => ctx.labels['player'] ?? 'nobody' });
    const p = fallback({ tiers: [cache], clock });
    const reason = async (labels: Record<string, string>): Promise<string> => {
      const error = await rejection(p.execute(fail, { operation: 'profile', labels }));
      expect(error).toBeInstanceOf(FallbackExhaustedError);
      return ((error as FallbackExhaustedError).errors[1] as Error).message;
    };

    expect(await reason({ player: 'p1' })).toBe('lastKnownGood: nothing to serve for operation "profile" (no value stored; maxAge 100 ms)');
    await p.execute(() => 'v1', { operation: 'profile', labels: { player: 'p1' } });
    await clock.advance(100);
    expect(await reason({ player: 'p1' })).toBe(
      'lastKnownGood: nothing to serve for operation "profile" (the stored value is too old; maxAge 100 ms)',
    );
  });

  it('a key function that returns a non-string gives the call no key: nothing is recorded or served for it', async () => {
    const clock = new VirtualClock();
    const cache = lastKnownGood({ maxAge: 1_000, key: (ctx) => (ctx.labels['player'] === 'n' ? (7 as unknown as string) : 'k') });
    const p = fallback({ tiers: [cache], clock });
    await p.execute(() => 'recorded?', { operation: 'profile', labels: { player: 'n' } });
    expect(cache.size).toBe(0);
    const error = await rejection(p.execute(fail, { operation: 'profile', labels: { player: 'n' } }));
    expect(((error as FallbackExhaustedError).errors[1] as Error).message).toBe(
      'lastKnownGood: nothing to serve for operation "profile" (no key for this call; maxAge 1000 ms)',
    );
  });
});

describe('names and brands', () => {
  it('recognizes a lastKnownGood tier by the global symbol brand, as another copy of the library sets it', () => {
    expect(isLastKnownGood({ [Symbol.for('breakwater.lastKnownGood')]: true })).toBe(true);
    expect(isLastKnownGood({ [Symbol.for('')]: true })).toBe(false);
    expect(isLastKnownGood(lastKnownGood({ maxAge: 1 }))).toBe(true);
  });

  it('names the fallback policy and the lastKnownGood tier in their validation errors', () => {
    expect(() => fallback({ tiers: [] })).toThrow(/^Invalid fallback options: expected `tiers`/);
    expect(() => lastKnownGood({ maxAge: 0 })).toThrow(/^Invalid lastKnownGood options: expected `maxAge`/);
  });

  it('says what tiers may hold when tiers is not a list', () => {
    expect(() => fallback({ tiers: 'stale' } as never)).toThrow(
      'expected `tiers` to be an array of at least 1 function, a lastKnownGood() tier or a constant item(s), got "stale"',
    );
  });

  it('describes an anonymous function tier as "function (anonymous)"', () => {
    const p = fallback({ tiers: [(() => () => 1)()] });
    expect(p.describe().options).toEqual({ tiers: ['function (anonymous)'] });
  });
});
