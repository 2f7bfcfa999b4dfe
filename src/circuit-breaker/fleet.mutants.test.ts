/**
 * Rules of the fleet-aware breaker that the mutation run (issue #23) found unpinned: the
 * exact one-second gap between lease requests, and the break a fleet open takes (the
 * longest remaining one among the instances that opened).
 */
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from '../core/errors';
import { FleetBreakers } from '../../test/support/fleet-breakers';

describe('fleet-aware breaker: lease requests', () => {
  it('an instance denied the lease asks again exactly 1 000 ms later, not before', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 10_000 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    await f.advance(1_000);
    await f.call('a'); // asks for the lease (rejected while the answer is on its way)
    const probe = await f.hang('a');
    expect(probe.admitted).toBe(true);
    const denied = (): number => f.fleet.log.filter((e) => e.instance === 'b' && e.kind === 'lease-denied').length;
    await f.call('b');
    expect(denied()).toBe(1);
    await f.advance(999);
    await f.call('b');
    expect(denied()).toBe(1);
    await f.advance(1);
    await f.call('b');
    expect(denied()).toBe(2);
    await probe.finish('ok');
  });
});

describe('fleet-aware breaker: the break of a fleet open', () => {
  it('is the longest break left among the instances that opened', async () => {
    const f = new FleetBreakers(['a', 'b', 'c'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 2 });
    await f.settle();
    await f.fail('a'); // a: open until 1 000
    await f.advance(300);
    await f.fail('b'); // b: open until 1 300; the quorum (2) is met now
    expect(f.transitions('c')).toEqual(['opened:fleet']);
    const r = await f.call('c');
    expect(isBrokenCircuitError(r) && r.retryAfter).toBe(1_000); // b's 1 000 left, not a's 700
    expect(f.get('c').events.find((e) => e.type === 'opened')).toMatchObject({ reason: 'fleet', retryAfter: 1_000 });
  });

  it('also when the first instance to open has the longest break left', async () => {
    const f = new FleetBreakers([], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 2 });
    f.add('a', { recoveryTimeout: 2_000 });
    f.add('b');
    f.add('c');
    await f.settle();
    await f.fail('a'); // a: open until 2 000
    await f.advance(300);
    await f.fail('b'); // b: open until 1 300
    const r = await f.call('c');
    expect(isBrokenCircuitError(r) && r.retryAfter).toBe(1_700); // a's 1 700 left, not b's 1 000
  });
});

describe('fleet-aware breaker: an instance still open when the fleet probe ends elsewhere', () => {
  /** a opens for `aBreak` ms, b for 1 000 ms, both at 100; b's probe (at 1 100) ends with `outcome`. quorum 2 of 2: neither opens the other. */
  async function probeEndsOnB(aBreak: number, outcome: 'ok' | 'fail'): Promise<FleetBreakers> {
    const f = new FleetBreakers([], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 10_000 }, quorum: 2 });
    f.add('a', { recoveryTimeout: aBreak });
    f.add('b');
    await f.settle();
    await f.advance(100);
    await f.fail('a');
    await f.fail('b');
    await f.advance(1_000);
    await f.call('b'); // asks for the lease
    const probe = await f.hang('b');
    expect(probe.admitted).toBe(true);
    await probe.finish(outcome);
    return f;
  }

  it('a failed probe elsewhere never shortens a longer break left', async () => {
    const f = await probeEndsOnB(5_000, 'fail');
    expect(f.breaker('b').state).toBe('open');
    expect(f.breaker('a').snapshot()).toMatchObject({ state: 'open', openedFor: 1_000, recoveryTimeout: 5_000 });
    await f.advance(3_000); // 4 100: past the prober's new break (2 100), before a's own (5 100)
    expect(f.breaker('a').state).toBe('open');
    await f.advance(1_000);
    expect(f.breaker('a').state).toBe('half-open');
  });

  it('a failed probe elsewhere extends a shorter break to the prober’s, counted from when it opened', async () => {
    const f = await probeEndsOnB(1_500, 'fail');
    expect(f.breaker('a').snapshot()).toMatchObject({ state: 'open', openedFor: 1_000, recoveryTimeout: 2_000 });
    await f.advance(999); // 2 099
    expect(f.breaker('a').state).toBe('open');
    await f.advance(1);
    expect(f.breaker('a').state).toBe('half-open');
  });

  it('a failed probe elsewhere ending exactly when the break ends changes nothing, not even a publish; 1 ms later extends it', async () => {
    const publishesOfA = (f: FleetBreakers): number[] => f.fleet.log.filter((e) => e.instance === 'a' && e.kind === 'publish').map((e) => e.time);
    const same = await probeEndsOnB(2_000, 'fail'); // a's break ends at 2 100, the prober's new one too
    expect(same.breaker('a').snapshot()).toMatchObject({ state: 'open', recoveryTimeout: 2_000 });
    expect(publishesOfA(same).filter((t) => t > 100)).toEqual([]);
    const longer = await probeEndsOnB(1_999, 'fail');
    expect(longer.breaker('a').snapshot()).toMatchObject({ state: 'open', recoveryTimeout: 2_000 });
    expect(publishesOfA(longer).filter((t) => t > 100)).toEqual([1_100]);
  });

  it('a successful probe elsewhere closes an instance whose own break has not elapsed', async () => {
    const f = await probeEndsOnB(5_000, 'ok');
    expect(f.breaker('b').state).toBe('closed');
    expect(f.breaker('a').state).toBe('closed');
    expect(f.transitions('a')).toEqual(['opened:failures', 'closed:fleet']);
  });
});

describe('fleet-aware breaker: restored from a snapshot', () => {
  it('a restored open or half-open breaker reports itself open to the fleet; a restored closed one does not', async () => {
    const f = new FleetBreakers([], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 3 });
    const saved = { version: 1, openedFor: 0, recoveryTimeout: 0, consecutiveOpens: 1, consecutiveFailures: 0, probeSuccesses: 0, window: null } as const;
    f.add('half', { restore: { ...saved, state: 'half-open' } });
    f.add('open', { restore: { ...saved, state: 'open', openedFor: 100, recoveryTimeout: 1_000 } });
    f.add('closed', { restore: { ...saved, state: 'closed', consecutiveOpens: 0 } });
    await f.settle();
    expect(f.states()).toEqual({ half: 'half-open', open: 'open', closed: 'closed' });
    // Each instance counts the open reports it knows of, its own included (quorum 3: `closed` stays closed).
    expect(f.breaker('half').stats.fleet?.open).toBe(2);
    expect(f.breaker('open').stats.fleet?.open).toBe(2);
    expect(f.breaker('closed').stats.fleet?.open).toBe(2);
  });
});
