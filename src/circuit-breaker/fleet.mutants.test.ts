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
