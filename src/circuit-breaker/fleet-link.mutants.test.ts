/**
 * Rules of the breaker's side of a fleet (fleet-link.ts) that its mutation run (issue #23)
 * found unpinned. The in-memory fleet of the other tests answers at once and stops calling a
 * member that left or lost the fleet, so these tests drive the breaker's peer by hand: they
 * deliver reports, syncs and losses when they choose (late ones too), answer each lease
 * request when they choose, and count what the breaker sends. Timing on the VirtualClock.
 */
import { describe, expect, it } from 'vitest';
import { onCallbackError } from '../core/report';
import { flushMicrotasks, VirtualClock } from '../testing/virtual-clock';
import { freshModule } from '../../test/support/fresh-module';
import { circuitBreaker, type CircuitBreakerPolicy } from './circuit-breaker';
import type { CircuitBreakerEvent } from './events';
import type { BreakerFleet, BreakerFleetPeer, BreakerFleetReport, BreakerFleetState } from './fleet';
import type { CircuitBreakerOptions } from './options';

/** A lease request the test has not answered yet. */
interface Ask {
  readonly ttl: number;
  readonly at: number;
  readonly answer: (granted: boolean) => void;
  readonly fail: (error: unknown) => void;
}

/** A fleet backend driven by hand: what the breaker sent, and its peer to call back. */
interface HandFleet {
  readonly coordinator: BreakerFleet;
  readonly published: BreakerFleetState[];
  readonly asks: Ask[];
  readonly counts: { releases: number; leaves: number };
  peer(): BreakerFleetPeer;
}

function handFleet(clock: VirtualClock, instanceId: unknown = 'self', releaseLease: () => void = () => {}): HandFleet {
  let joined: BreakerFleetPeer | undefined;
  const published: BreakerFleetState[] = [];
  const asks: Ask[] = [];
  const counts = { releases: 0, leaves: 0 };
  const coordinator: BreakerFleet = {
    joinBreaker: (_name, peer) => {
      joined = peer;
      return {
        instanceId: instanceId as string,
        publish: (state) => {
          published.push(state);
        },
        acquireLease: (ttl) =>
          new Promise<boolean>((resolve, reject) => {
            asks.push({ ttl, at: clock.now(), answer: resolve, fail: reject });
          }),
        releaseLease: () => {
          counts.releases++;
          releaseLease();
        },
        leave: () => {
          counts.leaves++;
        },
      };
    },
  };
  return { coordinator, published, asks, counts, peer: () => joined as BreakerFleetPeer };
}

/** quorum 1, opens on its first failure, a 1 000 ms break, probes time out after 500 ms. */
const OPTIONS = { name: 'gateway', failureThreshold: 1, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 }, quorum: 1 } as const;

interface Setup {
  readonly clock: VirtualClock;
  readonly fleet: HandFleet;
  readonly breaker: CircuitBreakerPolicy;
  /** `opened:<reason>`, `closed:<reason>`, `half-opened`, `fleet-synced`, `fleet-degraded`, in order. */
  readonly events: string[];
  readonly synced: Extract<CircuitBreakerEvent, { type: 'fleet-synced' }>[];
}

function setup(extra: Partial<CircuitBreakerOptions> = {}, instanceId?: unknown, releaseLease?: () => void): Setup {
  const clock = new VirtualClock();
  const fleet = handFleet(clock, instanceId, releaseLease);
  const breaker = circuitBreaker({ ...OPTIONS, clock, coordinator: fleet.coordinator, ...extra });
  const events: string[] = [];
  const synced: Setup['synced'] = [];
  breaker.onEvent((e) => {
    const b = e as CircuitBreakerEvent;
    if (b.type === 'opened' || b.type === 'closed') events.push(`${b.type}:${b.reason}`);
    else if (b.type === 'half-opened' || b.type === 'fleet-degraded') events.push(b.type);
    else if (b.type === 'fleet-synced') {
      events.push(b.type);
      synced.push(b);
    }
  });
  return { clock, fleet, breaker, events, synced };
}

const boom = (): Promise<never> => Promise.reject(new Error('gateway down'));
const fail = (b: CircuitBreakerPolicy): Promise<unknown> => b.execute(boom).catch(() => undefined);
const openReport = (instance: string, retryAfter: number, generation = 0): BreakerFleetReport => ({ instance, open: true, retryAfter, generation });
const closedReport = (instance: string, generation = 0): BreakerFleetReport => ({ instance, open: false, retryAfter: 0, generation });

/** Opens the breaker by its own failure at 0, lets its 1 000 ms break end and makes one call: the lease request of that call is `fleet.asks[0]`, unanswered. */
async function halfOpenAsking(s: Setup): Promise<void> {
  s.fleet.peer().sync([]);
  await fail(s.breaker);
  await s.clock.advance(1_000);
  await expect(s.breaker.execute(() => 'probe')).rejects.toMatchObject({ state: 'half-open' });
  expect(s.fleet.asks).toHaveLength(1);
}

describe('fleet link: leaving the fleet', () => {
  it('a breaker that left the fleet probes alone when its break ends, and asks the fleet for no lease', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    s.breaker.leaveFleet();
    await fail(s.breaker);
    expect(s.breaker.state).toBe('open');
    await s.clock.advance(1_000);
    await expect(s.breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(s.breaker.state).toBe('closed');
    expect(s.fleet.asks).toHaveLength(0);
  });

  it('a report, a sync or a loss that arrives after leaving changes nothing', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    s.breaker.leaveFleet();
    s.fleet.peer().receive(openReport('other', 5_000));
    expect(s.breaker.state).toBe('closed');
    s.fleet.peer().sync([openReport('other', 5_000)]);
    expect(s.breaker.state).toBe('closed');
    s.fleet.peer().lost(new Error('connection closed'));
    expect(s.events).toEqual(['fleet-synced']);
  });

  it('publishes nothing after leaving, and leaves once however often it is asked to', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    const before = s.fleet.published.length;
    s.breaker.leaveFleet();
    s.breaker.leaveFleet();
    await fail(s.breaker);
    expect(s.breaker.state).toBe('open');
    expect(s.fleet.published).toHaveLength(before);
    expect(s.fleet.counts.leaves).toBe(1);
  });
});

describe('fleet link: what an instance publishes', () => {
  it('a state without a probe result carries exactly open, retryAfter and generation', () => {
    const s = setup();
    expect(s.fleet.published).toHaveLength(1);
    expect(Object.keys(s.fleet.published[0] as object)).toEqual(['open', 'retryAfter', 'generation']);
  });

  it('an instance opened by the fleet has nothing new to publish: its own report stays closed', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    const before = s.fleet.published.length;
    s.fleet.peer().receive(openReport('other', 1_000));
    expect(s.events.at(-1)).toBe('opened:fleet');
    expect(s.fleet.published).toHaveLength(before);
  });

  it('isolating a breaker that opened on its own calls withdraws its evidence: it reports closed, and is not open by the fleet', async () => {
    const s = setup({ quorum: 2 });
    s.fleet.peer().sync([]);
    await fail(s.breaker);
    expect(s.fleet.published.at(-1)).toMatchObject({ open: true, retryAfter: 1_000 });
    s.breaker.isolate();
    expect(s.fleet.published.at(-1)).toEqual({ open: false, retryAfter: 0, generation: 0 });
    expect(s.breaker.stats.fleet).toMatchObject({ open: 0, openedByFleet: false });
  });

  it('a breaker restored half-open reports open, and reports closed once reset', () => {
    const s = setup({
      restore: { version: 1, state: 'half-open', openedFor: 0, recoveryTimeout: 0, consecutiveOpens: 1, consecutiveFailures: 0, probeSuccesses: 0, window: null },
    });
    expect(s.fleet.published).toEqual([{ open: true, retryAfter: 0, generation: 0 }]);
    s.breaker.reset();
    expect(s.fleet.published.at(-1)).toEqual({ open: false, retryAfter: 0, generation: 0 });
  });

  it('an instance the fleet opened, closed by the fleet\'s recovery, publishes its closed state at the new generation', () => {
    const s = setup();
    s.fleet.peer().sync([]);
    s.fleet.peer().receive(openReport('other', 1_000));
    expect(s.breaker.stats.fleet?.openedByFleet).toBe(true);
    s.fleet.peer().receive({ ...closedReport('other', 1), probe: 'succeeded' });
    expect(s.events.slice(-1)).toEqual(['closed:fleet']);
    expect(s.breaker.stats.fleet).toMatchObject({ openedByFleet: false, generation: 1 });
    expect(s.fleet.published.at(-1)).toEqual({ open: false, retryAfter: 0, generation: 1 });
  });

  it('a breaker that opens on its failure rate or its slow-call rate counts as first-hand open in the fleet', async () => {
    // A fresh module, so a change to the table of first-hand reasons (built when it loads) shows.
    const fresh = await freshModule<typeof import('./circuit-breaker')>(() => import('./circuit-breaker'));
    const window = { kind: 'count', size: 2 } as const;
    for (const [extra, call] of [
      [{ window, minimumThroughput: 2, failureRateThreshold: 0.5 }, boom],
      [{ window, minimumThroughput: 2, slowCallDuration: 10, slowCallRateThreshold: 0.5 }, null],
    ] as const) {
      const clock = new VirtualClock();
      const fleet = handFleet(clock);
      const breaker = fresh.circuitBreaker({ name: 'gateway', clock, quorum: 2, coordinator: fleet.coordinator, ...extra });
      fleet.peer().sync([]);
      const slow = (): Promise<string> => new Promise((resolve) => clock.setTimeout(() => resolve('slow'), 10));
      for (let i = 0; i < 2; i++) {
        const p = breaker.execute(call ?? slow).catch(() => undefined);
        await clock.advance(10);
        await p;
      }
      expect(breaker.state).toBe('open');
      expect(fleet.published.at(-1)).toMatchObject({ open: true });
      expect(breaker.stats.fleet?.open).toBe(1);
    }
  });
});

describe('fleet link: syncs', () => {
  it('a heartbeat sync of the same generation leaves an open breaker open, emits no second fleet-synced and publishes nothing', async () => {
    const s = setup();
    s.fleet.peer().sync([closedReport('other')]);
    await fail(s.breaker);
    const before = s.fleet.published.length;
    s.fleet.peer().sync([closedReport('other')]);
    expect(s.breaker.state).toBe('open');
    expect(s.events).toEqual(['fleet-synced', 'opened:failures']);
    expect(s.fleet.published).toHaveLength(before);
  });

  it('the first sync after a loss publishes the instance\'s state again, even unchanged (the backend may have lost it)', () => {
    const s = setup();
    s.fleet.peer().sync([]);
    const before = s.fleet.published.length;
    s.fleet.peer().lost(new Error('connection reset'));
    s.fleet.peer().sync([]);
    expect(s.fleet.published).toHaveLength(before + 1);
    expect(s.fleet.published.at(-1)).toEqual({ open: false, retryAfter: 0, generation: 0 });
    expect(s.synced.map((e) => e.restored)).toEqual([false, true]);
  });

  it('a breaker restored open that joins a fleet of a later generation adopts it and stays open, and counts itself in fleet-synced', () => {
    const s = setup({
      restore: { version: 1, state: 'open', openedFor: 100, recoveryTimeout: 1_000, consecutiveOpens: 1, consecutiveFailures: 0, probeSuccesses: 0, window: null },
    });
    s.fleet.peer().sync([closedReport('other', 3)]);
    expect(s.breaker.state).toBe('open');
    expect(s.breaker.stats.fleet).toMatchObject({ generation: 3, open: 1, instances: 2 });
    expect(s.synced[0]).toMatchObject({ instances: 2, open: 1, restored: false });
  });

  it('a sync that is not an array counts as a fleet of no other instance, and reports no error', () => {
    const s = setup({ quorum: 2 });
    const reported: string[] = [];
    const sub = onCallbackError((_e, source) => reported.push(source));
    try {
      s.fleet.peer().sync([openReport('other', 1_000)]);
      expect(s.breaker.stats.fleet).toMatchObject({ instances: 2, open: 1 });
      s.fleet.peer().sync('not an array' as unknown as BreakerFleetReport[]);
      expect(s.breaker.stats.fleet).toMatchObject({ instances: 1, open: 0 });
      expect(reported).toEqual([]);
    } finally {
      sub.dispose();
    }
  });
});

describe('fleet link: reports', () => {
  it('before its first sync the breaker does not act on a report; the sync that follows does', () => {
    const s = setup();
    s.fleet.peer().receive(openReport('other', 1_000));
    expect(s.breaker.state).toBe('closed');
    s.fleet.peer().sync([openReport('other', 1_000)]);
    expect(s.breaker.state).toBe('open');
  });

  it('while degraded it ignores reports until the next sync, and a second loss emits no second fleet-degraded', () => {
    const s = setup();
    s.fleet.peer().sync([]);
    s.fleet.peer().lost(new Error('first'));
    s.fleet.peer().receive(openReport('other', 1_000));
    expect(s.breaker.state).toBe('closed');
    s.fleet.peer().lost(new Error('second'));
    expect(s.events).toEqual(['fleet-synced', 'fleet-degraded']);
    s.fleet.peer().sync([openReport('other', 1_000)]);
    expect(s.breaker.state).toBe('open');
  });

  it('while degraded, not even a report of a recovery elsewhere reaches the breaker: it works alone until the next sync', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    s.fleet.peer().lost(new Error('connection reset'));
    await fail(s.breaker);
    s.fleet.peer().receive({ ...closedReport('other', 1), probe: 'succeeded' });
    expect(s.breaker.state).toBe('open');
    expect(s.breaker.stats.fleet).toMatchObject({ instances: 1, generation: 0 });
  });

  it('open reports of an older generation neither count towards the quorum nor lengthen a fleet open', () => {
    const s = setup();
    s.fleet.peer().sync([closedReport('other', 1)]);
    s.fleet.peer().receive(openReport('stale', 5_000, 0));
    expect(s.breaker.state).toBe('closed');
    expect(s.breaker.stats.fleet?.open).toBe(0);
    s.fleet.peer().receive(openReport('fresh', 1_000, 1));
    expect(s.breaker.state).toBe('open');
    expect(s.breaker.stats.fleet?.open).toBe(1);
    expect(s.breaker.snapshot()).toMatchObject({ recoveryTimeout: 1_000 });
  });

  it('a half-open breaker is reopened only by a failed probe of its own generation, not by a stale one nor by an ordinary report', async () => {
    const s = setup();
    s.fleet.peer().sync([closedReport('other', 1)]);
    await fail(s.breaker);
    await s.clock.advance(1_000);
    expect(s.breaker.state).toBe('half-open');
    s.fleet.peer().receive({ ...openReport('stale', 5_000, 0), probe: 'failed' });
    s.fleet.peer().receive(closedReport('other', 1));
    expect(s.breaker.state).toBe('half-open');
    s.fleet.peer().receive({ ...openReport('prober', 5_000, 1), probe: 'failed' });
    expect(s.breaker.state).toBe('open');
  });

  it('a half-open breaker waiting for the fleet\'s probe is not reopened by the quorum it already obeyed', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    s.fleet.peer().receive(openReport('other', 1_000));
    await s.clock.advance(1_000);
    expect(s.breaker.state).toBe('half-open');
    s.fleet.peer().receive(openReport('other', 0));
    s.fleet.peer().sync([openReport('other', 0)]);
    expect(s.events).toEqual(['fleet-synced', 'opened:fleet', 'half-opened']);
  });

  it('a backend whose instance id is not a string gives an empty instanceId', () => {
    const s = setup({}, 42);
    expect(s.breaker.stats.fleet?.instanceId).toBe('');
  });

  it('an error while reading a report, a sync or a lease answer is reported with where it happened, never thrown to the backend', async () => {
    const s = setup();
    const reported: string[] = [];
    const sub = onCallbackError((_e, source) => reported.push(source));
    try {
      const hostile = { ...closedReport('other') };
      Object.defineProperty(hostile, 'open', {
        enumerable: true,
        get: () => {
          throw new Error('hostile getter');
        },
      });
      expect(() => s.fleet.peer().sync([hostile])).not.toThrow();
      expect(() => s.fleet.peer().receive(hostile)).not.toThrow();
      expect(reported).toEqual(['circuit breaker "gateway" fleet sync', 'circuit breaker "gateway" fleet message']);
    } finally {
      sub.dispose();
    }
  });
});

describe('fleet link: the probe lease', () => {
  it('a lease runs probeTimeout ms from the moment it was asked for, and no longer', async () => {
    const s = setup();
    await halfOpenAsking(s);
    s.fleet.asks[0]?.answer(true);
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(true);
    await s.clock.advance(499);
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(true);
    await s.clock.advance(1);
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(false);
  });

  it('a probe started under the lease extends it to probeTimeout from the probe\'s start; a denied extension ends it', async () => {
    const s = setup();
    await halfOpenAsking(s);
    s.fleet.asks[0]?.answer(true);
    await flushMicrotasks();
    await s.clock.advance(300);
    const probe = s.breaker.execute(() => new Promise((resolve) => s.clock.setTimeout(() => resolve('ok'), 100)));
    expect(s.fleet.asks.map((a) => [a.at, a.ttl])).toEqual([
      [1_000, 500],
      [1_300, 500],
    ]);
    s.fleet.asks[1]?.answer(false);
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(false);
    await s.clock.advance(100);
    await expect(probe).resolves.toBe('ok');
  });

  it('after a denial that arrives late, the next request waits a second from the denial', async () => {
    const s = setup();
    await halfOpenAsking(s);
    await s.clock.advance(400);
    s.fleet.asks[0]?.answer(false);
    await flushMicrotasks();
    await s.clock.advance(600); // 2 000: a second after the request, 600 ms after the denial
    await s.breaker.execute(() => 'x').catch(() => undefined);
    expect(s.fleet.asks).toHaveLength(1);
    await s.clock.advance(400); // 2 400
    await s.breaker.execute(() => 'x').catch(() => undefined);
    expect(s.fleet.asks).toHaveLength(2);
  });

  it('a lease request abandoned (the breaker was reset) that later fails does not degrade the link', async () => {
    const s = setup();
    await halfOpenAsking(s);
    s.breaker.reset();
    s.fleet.asks[0]?.fail(new Error('timed out'));
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.status).toBe('synced');
    expect(s.events).not.toContain('fleet-degraded');
  });

  it('losing the fleet drops the lease the breaker held', async () => {
    const s = setup();
    await halfOpenAsking(s);
    s.fleet.asks[0]?.answer(true);
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(true);
    s.fleet.peer().lost(new Error('connection reset'));
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(false);
  });

  it('reset() or isolate() by the lease holder is local: no new generation, no probe result published', async () => {
    for (const act of ['reset', 'isolate'] as const) {
      const s = setup();
      await halfOpenAsking(s);
      s.fleet.asks[0]?.answer(true);
      await flushMicrotasks();
      const before = s.fleet.published.length;
      s.breaker[act]();
      expect(s.breaker.stats.fleet).toMatchObject({ generation: 0, leaseHeld: false });
      for (const state of s.fleet.published.slice(before)) expect(state).not.toHaveProperty('probe');
    }
  });

  it('a backend whose releaseLease throws: the error is reported as the fleet\'s releaseLease, the breaker carries on', async () => {
    const s = setup({}, 'self', () => {
      throw new Error('release failed');
    });
    const reported: string[] = [];
    const sub = onCallbackError((_e, source) => reported.push(source));
    try {
      await halfOpenAsking(s);
      s.fleet.asks[0]?.answer(true);
      await flushMicrotasks();
      s.breaker.reset();
      expect(s.breaker.state).toBe('closed');
      expect(reported).toEqual(['circuit breaker "gateway" fleet releaseLease']);
    } finally {
      sub.dispose();
    }
  });

  it('a lease request that fails degrades the link: the breaker then probes alone', async () => {
    const s = setup();
    await halfOpenAsking(s);
    s.fleet.asks[0]?.fail(new Error('timed out'));
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.status).toBe('degraded');
    expect(s.events.at(-1)).toBe('fleet-degraded');
    await expect(s.breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(s.fleet.asks).toHaveLength(1);
  });

  it('a breaker reset while its lease request is on its way gives the lease back at once and ignores the answer, even once a newer request waits', async () => {
    const s = setup({ halfOpen: { probeTimeout: 5_000 } });
    await halfOpenAsking(s);
    s.breaker.reset();
    expect(s.fleet.counts.releases).toBe(1);
    await fail(s.breaker);
    await s.clock.advance(1_000); // 2 000: half-open again, a second after the first request
    await s.breaker.execute(() => 'x').catch(() => undefined);
    expect(s.fleet.asks).toHaveLength(2);
    s.fleet.asks[0]?.answer(true); // the abandoned request's grant (it would run until 6 000)
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(false);
    await expect(s.breaker.execute(() => 'x')).rejects.toMatchObject({ state: 'half-open' });
  });

  it('an answer to a lease request sent before the fleet was lost is ignored after the resync', async () => {
    const s = setup({ halfOpen: { probeTimeout: 5_000 } });
    await halfOpenAsking(s);
    s.fleet.peer().lost(new Error('connection reset'));
    s.fleet.peer().sync([]);
    await s.clock.advance(100);
    await s.breaker.execute(() => 'x').catch(() => undefined);
    expect(s.fleet.asks).toHaveLength(2);
    s.fleet.asks[0]?.answer(true);
    await flushMicrotasks();
    expect(s.breaker.stats.fleet?.leaseHeld).toBe(false);
  });

  it('a breaker that holds no lease and waits for no answer sends no release, also while degraded', async () => {
    const s = setup();
    s.fleet.peer().sync([]);
    await fail(s.breaker);
    s.breaker.reset();
    expect(s.fleet.counts.releases).toBe(0);
    await fail(s.breaker);
    await s.clock.advance(1_000);
    await s.breaker.execute(() => 'x').catch(() => undefined); // asks
    s.breaker.reset(); // gives back the lease it asked for
    expect(s.fleet.counts.releases).toBe(1);
    await fail(s.breaker);
    s.breaker.reset();
    expect(s.fleet.counts.releases).toBe(1);
    s.fleet.peer().lost(new Error('connection reset'));
    await fail(s.breaker);
    await s.clock.advance(1_000);
    await expect(s.breaker.execute(() => 'probe')).resolves.toBe('probe'); // alone: no lease asked
    s.breaker.isolate();
    expect(s.fleet.counts.releases).toBe(1);
    expect(s.fleet.asks).toHaveLength(1);
  });

  it('a probe that ends after the breaker\'s lease ran out (its extension unanswered) closes only this breaker: no new generation', async () => {
    const s = setup();
    await halfOpenAsking(s);
    s.fleet.asks[0]?.answer(true); // the lease runs until 1 500
    await flushMicrotasks();
    await s.clock.advance(300);
    const probe = s.breaker.execute(() => new Promise((resolve) => s.clock.setTimeout(() => resolve('ok'), 400)));
    expect(s.fleet.asks).toHaveLength(2); // the extension, never answered
    await s.clock.advance(300); // 1 600: the lease ran out
    await expect(s.breaker.execute(() => 'x')).rejects.toMatchObject({ state: 'half-open' });
    await s.clock.advance(100); // 1 700: the probe succeeds
    await expect(probe).resolves.toBe('ok');
    expect(s.breaker.state).toBe('closed');
    expect(s.breaker.stats.fleet?.generation).toBe(0);
    expect(s.fleet.published.at(-1)).toEqual({ open: false, retryAfter: 0, generation: 0 });
  });
});

describe('fleet link: the fleet generation', () => {
  it('a joining breaker takes the highest generation of the sync, wherever it is in the list', () => {
    const s = setup();
    s.fleet.peer().sync([closedReport('b', 2), closedReport('c', 1)]);
    expect(s.breaker.stats.fleet?.generation).toBe(2);
  });
});

describe('fleet link: a clock that throws inside a fleet callback', () => {
  it('the error is reported as the fleet\'s lost or lease callback, never thrown to the backend', async () => {
    const inner = new VirtualClock();
    let broken = false;
    const clock = {
      now: () => {
        if (broken) throw new Error('clock broke');
        return inner.now();
      },
      setTimeout: (fn: () => void, ms: number) => inner.setTimeout(fn, ms),
      clearTimeout: (h: unknown) => inner.clearTimeout(h),
    };
    const reported: string[] = [];
    const sub = onCallbackError((_e, source) => reported.push(source));
    try {
      const fleet = handFleet(inner);
      const breaker = circuitBreaker({ ...OPTIONS, clock, coordinator: fleet.coordinator });
      breaker.onEvent(() => {});
      fleet.peer().sync([]);
      await fail(breaker);
      await inner.advance(1_000);
      await breaker.execute(() => 'x').catch(() => undefined);
      expect(fleet.asks).toHaveLength(1);
      broken = true;
      fleet.asks[0]?.answer(true);
      await flushMicrotasks();
      expect(() => fleet.peer().lost(new Error('connection reset'))).not.toThrow();
      broken = false;
      expect(reported).toEqual(['circuit breaker "gateway" fleet lease', 'circuit breaker "gateway" fleet lost']);
    } finally {
      sub.dispose();
    }
  });
});

