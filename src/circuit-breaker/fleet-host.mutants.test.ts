/**
 * Rules of the fleet's transitions on a breaker (fleet-host.ts) that the mutation run
 * (issue #23) found unpinned: the fleet opens or closes a breaker only from the states its
 * report was meant for, also when applying the report first applies a due half-open whose
 * `half-opened` listener moves the breaker on (here: isolates it).
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock';
import { circuitBreaker, type CircuitBreakerPolicy } from './circuit-breaker';
import type { CircuitBreakerEvent } from './events';
import type { BreakerFleet, BreakerFleetPeer } from './fleet';

/** A clock set by hand whose timers never fire (a platform timer running late): a due half-open waits for the next event. */
function handClock(): Clock & { t: number } {
  const c = { t: 0, now: () => c.t, setTimeout: () => ({}), clearTimeout: () => {} };
  return c;
}

/** A fleet backend driven by hand: the test delivers reports to the breaker's peer. */
function handFleet(): { coordinator: BreakerFleet; peer: () => BreakerFleetPeer } {
  let joined: BreakerFleetPeer | undefined;
  const coordinator: BreakerFleet = {
    joinBreaker: (_name, peer) => {
      joined = peer;
      return { instanceId: 'self', publish: () => {}, acquireLease: () => Promise.resolve(false), releaseLease: () => {}, leave: () => {} };
    },
  };
  return { coordinator, peer: () => joined as BreakerFleetPeer };
}

/**
 * A fleet-aware breaker opened by its own failure at 0 (break 1 000 ms), synced with a fleet
 * of no other instance, whose `half-opened` listener isolates it; the clock is at 1 000
 * (half-open is due, not applied yet).
 */
async function isolatedOnHalfOpen(): Promise<{ breaker: CircuitBreakerPolicy; peer: BreakerFleetPeer; events: string[] }> {
  const clock = handClock();
  const fleet = handFleet();
  const breaker = circuitBreaker({ name: 'gateway', clock, failureThreshold: 1, recoveryTimeout: 1_000, coordinator: fleet.coordinator });
  fleet.peer().sync([]);
  await breaker.execute(() => Promise.reject(new Error('boom'))).catch(() => {});
  expect(breaker.state).toBe('open');
  const events: string[] = [];
  breaker.onEvent((e) => {
    const b = e as CircuitBreakerEvent;
    if (b.type === 'opened' || b.type === 'closed') events.push(`${b.type}:${b.reason}`);
    else events.push(b.type);
  });
  breaker.on('half-opened', () => breaker.isolate());
  clock.t = 1_000;
  return { breaker, peer: fleet.peer(), events };
}

describe('fleet host: a half-opened listener that isolates the breaker while a fleet report applies', () => {
  it('a fleet probe that succeeded elsewhere does not close the isolated breaker', async () => {
    const { breaker, peer, events } = await isolatedOnHalfOpen();
    peer.receive({ instance: 'other', open: false, retryAfter: 0, generation: 1, probe: 'succeeded' });
    expect(events).toEqual(['half-opened', 'opened:isolated']);
    expect(breaker.state).toBe('isolated');
  });

  it('a fleet probe that failed elsewhere does not reopen the isolated breaker', async () => {
    const { breaker, peer, events } = await isolatedOnHalfOpen();
    peer.receive({ instance: 'other', open: true, retryAfter: 5_000, generation: 0, probe: 'failed' });
    expect(events).toEqual(['half-opened', 'opened:isolated']);
    expect(breaker.state).toBe('isolated');
  });
});
