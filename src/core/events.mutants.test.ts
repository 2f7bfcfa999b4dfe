/**
 * Pins two rules of the event emitter that the other tests leave loose: disposing a
 * subscription is idempotent even when the same listener function is subscribed twice (a
 * second `dispose()` must not remove the other subscription's entry), and removing a
 * listener moves the listener epoch forward, never back, so a chain link that remembered
 * "nobody listens" at an earlier epoch asks again once a listener arrives.
 */
import { describe, expect, it } from 'vitest';
import { bulkhead } from '../bulkhead/index';
import { Emitter, listenerEpoch } from './events';

describe('Emitter subscriptions', () => {
  it('disposing one of two subscriptions of the same listener twice removes only that one', () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    const listener = (n: number): void => {
      seen.push(n);
    };
    const first = emitter.on(listener);
    emitter.on(listener);
    first.dispose();
    first.dispose();
    expect(emitter.size).toBe(1);
    emitter.emit(7);
    expect(seen).toEqual([7]);
  });

  it('every added or removed listener moves the epoch forward', () => {
    const emitter = new Emitter<number>();
    const before = listenerEpoch();
    const sub = emitter.on(() => undefined);
    const added = listenerEpoch();
    sub.dispose();
    const removed = listenerEpoch();
    expect(added).toBeGreaterThan(before);
    expect(removed).toBeGreaterThan(added);
  });

  it('a policy that saw nobody listening hears a listener added after another one left', async () => {
    const other = bulkhead({ maxConcurrent: 1 });
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    const hold = pool.occupy(1); // every call now goes through the chain and is rejected there
    const leaving = other.onEvent(() => undefined);
    await expect(pool.execute(() => 1)).rejects.toThrow(); // remembers: nobody listens to pool
    leaving.dispose();
    const types: string[] = [];
    const sub = pool.onEvent((e) => types.push(e.type));
    await expect(pool.execute(() => 1)).rejects.toThrow();
    expect(types).toContain('rejected');
    sub.dispose();
    hold.release();
  });
});
