/**
 * The fleet-aware breaker on an in-memory fleet (test/support/fleet-memory.ts): the quorum
 * rule, fleet-wide probing under one lease, generations, degradation and resync, joining
 * late, untrusted reports, and what stays local. Timing on the VirtualClock; the same
 * behaviour over a real redis-server and child processes is in test/redis/.
 */
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError, isOptionsValidationError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { FleetBreakers, FLEET_BREAKER } from '../../test/support/fleet-breakers';
import { MemoryFleet } from '../../test/support/fleet-memory';
import { circuitBreaker } from './circuit-breaker';
import type { BreakerFleet, BreakerFleetPeer } from './fleet';
import type { CircuitBreakerOptions } from './options';

describe('fleet-aware breaker: the quorum rule', () => {
  it('quorum 1: one instance opening opens the other three (reason fleet), for the rest of its break', async () => {
    const f = new FleetBreakers(['a', 'b', 'c', 'd'], { failureThreshold: 2, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.advance(100);
    await f.fail('a', 2);
    expect(f.states()).toEqual({ a: 'open', b: 'open', c: 'open', d: 'open' });
    expect(f.transitions('a')).toEqual(['opened:failures']);
    for (const id of ['b', 'c', 'd']) {
      expect(f.transitions(id)).toEqual(['opened:fleet']);
      const r = await f.call(id);
      expect(isBrokenCircuitError(r) && r.state === 'open' && r.retryAfter === 1_000).toBe(true);
      expect(f.breaker(id).stats.fleet).toMatchObject({ status: 'synced', openedByFleet: true, instances: 4, open: 1, required: 1 });
    }
  });

  it('quorum 2 (the default): one sick instance opens only itself; a second one opens everyone', async () => {
    const f = new FleetBreakers(['a', 'b', 'c', 'd']);
    await f.settle();
    await f.fail('a', 2);
    expect(f.states()).toEqual({ a: 'open', b: 'closed', c: 'closed', d: 'closed' });
    expect(await f.call('b')).toBe('ok');
    expect(f.breaker('b').stats.fleet).toMatchObject({ open: 1, required: 2, openedByFleet: false });
    await f.fail('b', 2);
    expect(f.states()).toEqual({ a: 'open', b: 'open', c: 'open', d: 'open' });
    expect(f.transitions('c')).toEqual(['opened:fleet']);
    expect(f.transitions('b')).toEqual(['opened:failures']);
  });

  it('a fraction counts live instances: 0.5 of 4 needs 2, of 6 needs 3', async () => {
    const f = new FleetBreakers(['a', 'b', 'c', 'd'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 0.5 });
    await f.settle();
    await f.fail('a');
    expect(f.breaker('c').state).toBe('closed');
    await f.fail('b');
    expect(f.states()).toEqual({ a: 'open', b: 'open', c: 'open', d: 'open' });

    const g = new FleetBreakers(['a', 'b', 'c', 'd', 'e', 'f'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 0.5 });
    await g.settle();
    await g.fail('a');
    await g.fail('b');
    expect(g.breaker('f').state).toBe('closed');
    expect(g.breaker('f').stats.fleet).toMatchObject({ instances: 6, required: 3, open: 2 });
    await g.fail('c');
    expect(g.breaker('f').state).toBe('open');
  });

  it('an instance opened by the fleet does not count towards the quorum (no cascade)', async () => {
    const f = new FleetBreakers(['a', 'b', 'c', 'd'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    expect(f.breaker('b').state).toBe('open');
    const reports = f.fleet.reportsOf(FLEET_BREAKER);
    expect([...reports].filter(([, r]) => r.state.open).map(([id]) => id)).toEqual(['a']);
  });

  it('a new instance reads the fleet when it joins (resync) and opens if the quorum is already met', async () => {
    const f = new FleetBreakers(['a', 'b', 'c']);
    await f.settle();
    await f.fail('a', 2);
    await f.fail('b', 2);
    await f.advance(300);
    const late = f.add('late');
    expect(late.breaker.state).toBe('closed'); // nothing waits on the fleet
    await f.settle();
    expect(late.breaker.state).toBe('open');
    expect(f.transitions('late')).toEqual(['opened:fleet']);
    const synced = late.events.find((e) => e.type === 'fleet-synced');
    expect(synced).toMatchObject({ instances: 4, open: 2, restored: false });
    const r = await f.call('late');
    expect(isBrokenCircuitError(r) && r.retryAfter).toBe(700);
  });

  it('an instance that dies stops counting at the next sync', async () => {
    const f = new FleetBreakers(['a', 'b', 'c'], { failureThreshold: 1, recoveryTimeout: 10_000, halfOpen: { probeTimeout: 500 }, quorum: 2 });
    await f.settle();
    await f.fail('a');
    f.fleet.kill('a');
    f.fleet.syncAll();
    await f.settle();
    await f.fail('b');
    expect(f.breaker('c').state).toBe('closed');
    expect(f.breaker('c').stats.fleet).toMatchObject({ instances: 2, open: 1 });
  });
});

describe('fleet-aware breaker: fleet-wide probing', () => {
  it('one probe at a time across the fleet; its success closes every instance', async () => {
    const f = new FleetBreakers(['a', 'b', 'c', 'd'], { failureThreshold: 2, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a', 2);
    await f.advance(1_000);
    const probe = await f.hang('c');
    expect(probe.admitted).toBe(false); // asked for the lease; the answer comes later
    const probe2 = await f.hang('c');
    expect(probe2.admitted).toBe(true);
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBe('c');
    for (const id of ['a', 'b', 'd']) {
      const r = await f.call(id);
      expect(isBrokenCircuitError(r) && r.state).toBe('half-open');
      const again = await f.call(id);
      expect(isBrokenCircuitError(again) && again.state).toBe('half-open');
    }
    await probe2.finish('ok');
    expect(f.states()).toEqual({ a: 'closed', b: 'closed', c: 'closed', d: 'closed' });
    expect(f.transitions('c')).toEqual(['opened:fleet', 'half-opened', 'closed:probes-succeeded']);
    expect(f.transitions('a')).toEqual(['opened:failures', 'half-opened', 'closed:fleet']);
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBeUndefined();
    for (const id of ['a', 'b', 'c', 'd']) expect(f.breaker(id).stats.fleet?.generation).toBe(1);
    expect(await f.call('a')).toBe('ok');
    // Old open reports are of generation 0: stale, nobody reopens.
    await f.fail('b');
    expect(f.states()).toEqual({ a: 'closed', b: 'closed', c: 'closed', d: 'closed' });
  });

  it('a failed fleet probe reopens every waiting instance for the prober\'s new break', async () => {
    const f = new FleetBreakers(['a', 'b', 'c'], { failureThreshold: 1, recoveryTimeout: (n) => 1_000 * n, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    await f.advance(1_000);
    await f.call('b'); // asks for the lease
    await f.call('c'); // asks too: denied, b has it
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBe('b');
    expect(await f.call('b', 'fail')).toBe('failed');
    expect(f.states()).toEqual({ a: 'open', b: 'open', c: 'open' });
    expect(f.transitions('c')).toEqual(['opened:fleet', 'half-opened', 'opened:fleet']);
    const r = await f.call('c');
    expect(isBrokenCircuitError(r) && r.retryAfter).toBe(2_000); // b's second open: 2 × 1 s
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBeUndefined();
    // b's failed probe is first-hand: b now counts too.
    expect(f.breaker('c').stats.fleet?.open).toBe(2);
  });

  it('an instance still open when the prober fails stays open at least as long as the prober', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    await f.advance(600);
    // Another instance (x) half-opened earlier and its probe just failed, with a 3 s break.
    f.fleet.inject(FLEET_BREAKER, { instance: 'x', open: true, retryAfter: 3_000, generation: 0, probe: 'failed' });
    await f.settle();
    for (const id of ['a', 'b']) {
      const r = await f.call(id);
      expect(isBrokenCircuitError(r) && `${r.state} ${r.retryAfter}`).toBe('open 3000');
    }
    expect(f.transitions('a')).toEqual(['opened:failures']); // held open, no new transition
    // a's report says how long it is open now.
    expect(f.fleet.reportsOf(FLEET_BREAKER).get('a')?.state).toMatchObject({ open: true, retryAfter: 3_000 });
  });

  it('a prober that dies: its lease expires after probeTimeout and another instance probes', async () => {
    const f = new FleetBreakers(['a', 'b', 'c'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    await f.advance(1_000);
    await f.call('b');
    const hung = await f.hang('b');
    expect(hung.admitted).toBe(true);
    f.fleet.kill('b'); // dies mid-probe: never releases the lease
    await f.call('c');
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBe('b');
    await f.advance(499);
    await f.call('c');
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBe('b');
    await f.advance(501); // past the lease and c's retry gap
    expect(await f.call('c')).not.toBe('ok'); // asks: granted now
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBe('c');
    expect(await f.call('c')).toBe('ok');
    expect(f.breaker('a').state).toBe('closed');
    expect(f.breaker('c').state).toBe('closed');
  });

  it('asks for the lease at most once a second while another instance probes', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 5_000 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    await f.advance(1_000);
    await f.call('a');
    const probe = await f.hang('a');
    expect(probe.admitted).toBe(true);
    for (let i = 0; i < 20; i++) {
      await f.call('b');
      await f.advance(100);
    }
    const asks = f.fleet.log.filter((e) => e.instance === 'b' && e.kind === 'lease-denied').length;
    expect(asks).toBeGreaterThanOrEqual(2);
    expect(asks).toBeLessThanOrEqual(3);
    await probe.finish('ok');
    expect(f.breaker('b').state).toBe('closed');
  });

  it('the lease answer for a breaker that left half-open meanwhile is given back', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    await f.advance(1_000);
    const p = f.breaker('b').execute(() => 'x').catch(() => undefined); // asks for the lease
    f.breaker('b').reset(); // before the answer
    await p;
    await f.settle();
    expect(f.fleet.leaseHolder(FLEET_BREAKER)).toBeUndefined();
  });
});

describe('fleet-aware breaker: losing the fleet', () => {
  it('degrades to the local breaker with fleet-degraded, and resyncs with fleet-synced', async () => {
    const f = new FleetBreakers(['a', 'b', 'c'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    f.fleet.disconnect('c');
    await f.settle();
    expect(f.get('c').events.filter((e) => e.type === 'fleet-degraded')).toHaveLength(1);
    expect(f.breaker('c').stats.fleet?.status).toBe('degraded');
    await f.fail('a');
    expect(f.breaker('b').state).toBe('open');
    expect(f.breaker('c').state).toBe('closed'); // works alone: calls go on
    expect(await f.call('c')).toBe('ok');
    // Alone, it probes without a lease.
    await f.fail('c');
    await f.advance(1_000);
    expect(await f.call('c')).toBe('ok');
    expect(f.breaker('c').state).toBe('closed');
    // Back: the fleet still says a is open → c opens by the fleet.
    f.fleet.reconnect('c');
    await f.settle();
    expect(f.get('c').events.find((e) => e.type === 'fleet-synced' && e.restored)).toMatchObject({ instances: 3, open: 1 });
    expect(f.breaker('c').state).toBe('half-open'); // a's break is over: open for 0 ms
    expect(f.transitions('c').slice(-1)).toEqual(['opened:fleet']);
  });

  it('after a loss, a newer generation is a recovery it missed: it closes', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    await f.fail('a');
    expect(f.breaker('b').state).toBe('open');
    f.fleet.disconnect('b');
    await f.advance(1_000);
    expect(await f.call('a')).not.toBe('ok'); // asks
    expect(await f.call('a')).toBe('ok'); // probes: generation 1
    expect(f.breaker('b').state).toBe('half-open');
    f.fleet.reconnect('b');
    await f.settle();
    expect(f.breaker('b').state).toBe('closed');
    expect(f.breaker('b').stats.fleet?.generation).toBe(1);
  });

  it('a lease request that rejects degrades the breaker (it probes alone)', async () => {
    const clock = new VirtualClock();
    const fleet = new MemoryFleet(clock);
    const b = circuitBreaker({ name: 'x', clock, failureThreshold: 1, recoveryTimeout: 10, halfOpen: { probeTimeout: 50 }, coordinator: fleet.instance('a') });
    await clock.runUntilIdle();
    await b.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    await clock.advance(10);
    fleet.disconnect('a');
    await expect(b.execute(() => 1)).rejects.toSatisfy(isBrokenCircuitError);
    await clock.runUntilIdle();
    expect(b.stats.fleet?.status).toBe('degraded');
    await expect(b.execute(() => 1)).resolves.toBe(1);
  });
});

describe('fleet-aware breaker: untrusted reports', () => {
  const bad: unknown[] = [
    null,
    'open',
    42,
    [],
    { instance: 'x', open: 'true', retryAfter: 0, generation: 0 },
    { instance: '', open: true, retryAfter: 0, generation: 0 },
    { instance: 'x'.repeat(300), open: true, retryAfter: 0, generation: 0 },
    { instance: 'x', open: true, retryAfter: -1, generation: 0 },
    { instance: 'x', open: true, retryAfter: Number.NaN, generation: 0 },
    { instance: 'x', open: true, retryAfter: Number.POSITIVE_INFINITY, generation: 0 },
    { instance: 'x', open: true, retryAfter: 0, generation: -1 },
    { instance: 'x', open: true, retryAfter: 0, generation: 0.5 },
    { instance: 'x', open: true, retryAfter: 0, generation: 0, extra: 1 },
    { instance: 'x', open: true, retryAfter: 0, generation: 0, probe: 'succeeded' },
    { instance: 'x', open: false, retryAfter: 5, generation: 0 },
    Object.assign(Object.create({ inherited: true }) as object, { instance: 'x', open: true, retryAfter: 0, generation: 0 }),
  ];

  it('ignores every malformed report, alone or in a sync, and never opens on one', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    for (const raw of bad) f.fleet.inject(FLEET_BREAKER, raw);
    f.fleet.injectSync(FLEET_BREAKER, bad);
    f.fleet.injectSync(FLEET_BREAKER, 'not an array' as unknown as unknown[]);
    await f.settle();
    expect(f.states()).toEqual({ a: 'closed', b: 'closed' });
    expect(f.breaker('a').stats.fleet?.generation).toBe(0);
  });

  it('ignores a report that claims to be from itself', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    f.fleet.inject(FLEET_BREAKER, { instance: 'a', open: true, retryAfter: 1_000, generation: 0 });
    await f.settle();
    expect(f.breaker('a').state).toBe('closed');
    expect(f.breaker('b').state).toBe('open'); // a well-formed report from "a" is a's, for b
  });

  it('a fleet whose callbacks throw, or a backend whose methods throw, never breaks a call', async () => {
    const clock = new VirtualClock();
    let peer: BreakerFleetPeer | undefined;
    const throwing: BreakerFleet = {
      joinBreaker: (_name, p) => {
        peer = p;
        return {
          instanceId: 'me',
          publish: () => {
            throw new Error('publish');
          },
          acquireLease: () => {
            throw new Error('lease');
          },
          releaseLease: () => {
            throw new Error('release');
          },
          leave: () => {
            throw new Error('leave');
          },
        };
      },
    };
    const reported: string[] = [];
    const { onCallbackError } = await import('../core/report');
    const sub = onCallbackError((_e, source) => reported.push(source));
    try {
      const b = circuitBreaker({ name: 'x', clock, failureThreshold: 1, recoveryTimeout: 10, halfOpen: { probeTimeout: 50 }, coordinator: throwing });
      peer?.sync([{ instance: 'o', open: false, retryAfter: 0, generation: 0 }]);
      await expect(b.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
      await clock.advance(10);
      await expect(b.execute(() => 1)).rejects.toSatisfy(isBrokenCircuitError); // the lease request threw: degraded
      await expect(b.execute(() => 1)).resolves.toBe(1);
      b.leaveFleet();
      b.leaveFleet();
      expect(reported.some((s) => s.includes('fleet publish'))).toBe(true);
      expect(reported.some((s) => s.includes('fleet leave'))).toBe(true);
    } finally {
      sub.dispose();
    }
  });
});

describe('fleet-aware breaker: what stays local', () => {
  it('isolate() counts for nobody else and the fleet\'s recovery does not end it; reset() is local', async () => {
    const f = new FleetBreakers(['a', 'b', 'c'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    f.breaker('a').isolate();
    await f.settle();
    expect(f.breaker('b').state).toBe('closed');
    await f.fail('b');
    await f.advance(1_000);
    await f.call('c');
    expect(await f.call('c')).toBe('ok');
    expect(f.breaker('b').state).toBe('closed');
    expect(f.breaker('a').state).toBe('isolated');
    f.breaker('a').reset();
    expect(f.breaker('a').state).toBe('closed');
  });

  it('closed-state calls never reach the fleet; the link arms no timer', async () => {
    const clock = new VirtualClock();
    const fleet = new MemoryFleet(clock);
    const b = circuitBreaker({ name: 'x', clock, coordinator: fleet.instance('a') });
    await clock.runUntilIdle();
    const before = fleet.log.length;
    for (let i = 0; i < 100; i++) await b.execute(() => i);
    for (let i = 0; i < 3; i++) await b.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(fleet.log.length).toBe(before);
    expect(clock.pending).toBe(0);
  });

  it('leaveFleet() withdraws the report; the breaker goes on alone and hears no more', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    f.breaker('b').leaveFleet();
    expect([...f.fleet.reportsOf(FLEET_BREAKER).keys()]).toEqual(['a']);
    await f.fail('a');
    expect(f.breaker('b').state).toBe('closed');
    expect(await f.call('b')).toBe('ok');
  });

  it('a snapshot restored open is first-hand evidence: it reports open on joining', async () => {
    const f = new FleetBreakers(['a', 'b'], { failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 });
    await f.settle();
    const saved = circuitBreaker({ failureThreshold: 1, recoveryTimeout: 1_000, clock: f.clock });
    await saved.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    f.add('c', { restore: saved.snapshot() });
    await f.settle();
    expect(f.states()).toEqual({ a: 'open', b: 'open', c: 'open' });
  });
});

describe('fleet-aware breaker: options', () => {
  const issues = (o: unknown): string[] => {
    try {
      circuitBreaker(o as CircuitBreakerOptions);
    } catch (e) {
      if (isOptionsValidationError(e)) return e.issues.map((i) => `${i.path}: ${i.expected}`);
      throw e;
    }
    return [];
  };
  const fleet = new MemoryFleet(new VirtualClock()).instance('a');

  it('rejects a coordinator that is not a breaker fleet, and a bad quorum, in one error', () => {
    const found = issues({ name: 'x', coordinator: { consume: () => 0 }, quorum: 0 });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^coordinator: a breaker fleet \(an object with a joinBreaker/);
    expect(found[1]).toMatch(/^quorum: an integer ≥ 1/);
    for (const q of [0, -1, 1.5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '2', null]) {
      expect(issues({ name: 'x', coordinator: fleet, quorum: q }).map((s) => s.split(':')[0])).toEqual(['quorum']);
    }
    for (const q of [1, 2, 50, 0.5, 0.01, 0.99]) expect(issues({ name: 'x', coordinator: fleet, quorum: q })).toEqual([]);
  });

  it('needs a name and a finite probe timeout with a coordinator; quorum only with one', () => {
    expect(issues({ coordinator: fleet })).toEqual([expect.stringMatching(/^name: a non-empty string \(required with `coordinator`/)]);
    expect(issues({ name: 'x', coordinator: fleet, halfOpen: { probeTimeout: Number.POSITIVE_INFINITY } })).toEqual([
      expect.stringMatching(/^halfOpen.probeTimeout: a finite duration/),
    ]);
    expect(issues({ quorum: 2 })).toEqual(['quorum: given only together with `coordinator`']);
  });

  it('a coordinator that cannot join (a programming error) fails the construction with its error', () => {
    const closed: BreakerFleet = {
      joinBreaker: () => {
        throw new Error('fleet closed');
      },
    };
    expect(() => circuitBreaker({ name: 'x', coordinator: closed })).toThrow('fleet closed');
  });

  it('describes itself and reports the fleet in stats only when coordinated', () => {
    expect(circuitBreaker().stats).not.toHaveProperty('fleet');
    const b = circuitBreaker({ name: 'x', coordinator: fleet, clock: new VirtualClock() });
    expect(b.stats.fleet).toMatchObject({ status: 'joining', instanceId: 'a', instances: 1, open: 0, required: 2, generation: 0, leaseHeld: false });
  });
});
