/**
 * Rules of the breaker's stats that the mutation run (issue #23) found unpinned: an empty
 * window reports rates of 0, never NaN.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';

describe('circuit breaker stats: an empty window', () => {
  it('reports both rates as 0, for every rule, before any call and after the window empties', async () => {
    const clock = new VirtualClock();
    const breakers = [
      circuitBreaker({ clock }),
      circuitBreaker({ clock, window: { kind: 'count', size: 4 }, slowCallDuration: 10 }),
      circuitBreaker({ clock, window: { kind: 'time', duration: 1_000, buckets: 4 }, slowCallDuration: 10 }),
    ];
    for (const b of breakers) expect(b.stats).toMatchObject({ calls: 0, failureRate: 0, slowCallRate: 0 });
    const timed = breakers[2];
    await timed?.execute(() => 'ok');
    expect(timed?.stats).toMatchObject({ calls: 1, failureRate: 0, slowCallRate: 0 });
    await clock.advance(1_000);
    expect(timed?.stats).toMatchObject({ calls: 0, failureRate: 0, slowCallRate: 0 });
  });
});
