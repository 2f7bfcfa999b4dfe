import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChaosInjectedError, isChaosInjectedError, isOptionsValidationError } from '../core/errors';
import type { ExecutedEvent } from '../core/events';
import { pipeline } from '../core/policy';
import { seededRandom } from '../testing/seeded-random';
import { VirtualClock } from '../testing/virtual-clock';
import type { ExecutionContext } from '../core/context';
import { distributions } from './distributions';
import type { ChaosEvent } from './events';
import { FaultPolicy, injectedBy, isInjectedFault } from './fault-policy';
import { behaviorInjection, faultInjection, hang, latencyInjection, outcomeInjection } from './call-faults';
import { exhaustion, flapping, type OccupiableBulkhead } from './state-faults';
import { createChaosController, type ChaosController } from './guards';

function armed(clock = new VirtualClock()): { clock: VirtualClock; controller: ChaosController } {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  return { clock, controller };
}

/** Runs `n` calls through `fault`; returns the indexes of the calls that were injected. */
async function injectedCalls(fault: FaultPolicy, n: number, labels?: (i: number) => Record<string, string>): Promise<number[]> {
  const hits: number[] = [];
  for (let i = 0; i < n; i++) {
    let ran = false;
    try {
      await fault.execute(() => {
        ran = true;
        return i;
      }, labels !== undefined ? { labels: labels(i) } : undefined);
    } catch (e) {
      if (!isInjectedFault(e)) throw e;
    }
    if (!ran) hits.push(i);
  }
  return hits;
}

describe('arming', () => {
  it('not armed: nothing is injected whatever the rate and kind', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    const faults: FaultPolicy[] = [
      faultInjection({ controller, clock }),
      latencyInjection({ controller, clock, latency: 1_000 }),
      outcomeInjection({ controller, clock, result: 'fake' }),
      hang({ controller, clock }),
      flapping({ controller, clock, onDuration: 1_000, offDuration: 1 }),
    ];
    for (const f of faults) {
      await expect(f.execute(() => 'real')).resolves.toBe('real');
      expect(f.injections).toBe(0);
    }
    expect(clock.pending).toBe(0);
  });

  it('armed in code but without the environment switch: nothing is injected', async () => {
    const controller = createChaosController({ env: {} });
    const status = controller.arm({ environment: 'staging' });
    expect(status.armed).toBe(false);
    expect(status.reason).toMatch(/BREAKWATER_CHAOS/);
    const f = faultInjection({ controller });
    await expect(f.execute(() => 'real')).resolves.toBe('real');
    expect(f.injections).toBe(0);
  });

  it('property: a disarmed controller never lets any rate inject', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), async (rate, seed) => {
        const { controller, clock } = armed();
        controller.disarm();
        const f = faultInjection({ controller, clock, rate, random: seededRandom(seed) });
        expect(await injectedCalls(f, 20)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });
});

describe('decisions', () => {
  it('property: the same seed injects on exactly the same calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), async (seed, rate) => {
        const run = async (): Promise<number[]> => {
          const { controller, clock } = armed();
          return injectedCalls(faultInjection({ controller, clock, rate, random: seededRandom(seed) }), 60);
        };
        const a = await run();
        const b = await run();
        expect(a).toEqual(b);
      }),
      { numRuns: 25 },
    );
  });

  it('different seeds give different injection patterns', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const { controller, clock } = armed();
      return injectedCalls(faultInjection({ controller, clock, rate: 0.5, random: seededRandom(seed) }), 60);
    };
    expect(await run(1)).not.toEqual(await run(2));
  });

  it('property: rate is honoured (binomial, 6 sigma)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.double({ min: 0.01, max: 0.99, noNaN: true }), async (seed, rate) => {
        const { controller, clock } = armed();
        const n = 1_500;
        const k = (await injectedCalls(faultInjection({ controller, clock, rate, random: seededRandom(seed) }), n)).length;
        const sigma = Math.sqrt(n * rate * (1 - rate));
        expect(Math.abs(k - n * rate)).toBeLessThanOrEqual(6 * sigma + 1);
      }),
      { numRuns: 20 },
    );
  });

  it('rate 0 never injects, rate 1 always does, without drawing random', async () => {
    const { controller, clock } = armed();
    let draws = 0;
    const random = (): number => {
      draws++;
      return 0.5;
    };
    expect(await injectedCalls(faultInjection({ controller, clock, rate: 0, random }), 10)).toEqual([]);
    expect((await injectedCalls(faultInjection({ controller, clock, rate: 1, random }), 10)).length).toBe(10);
    expect(draws).toBe(0);
  });

  it('rate as a function of the call; out-of-range values are clamped, NaN means 0', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock, rate: (ctx) => (ctx.operation === 'hot' ? 7 : Number.NaN) });
    await expect(f.execute(() => 1, { operation: 'hot' })).rejects.toBeInstanceOf(ChaosInjectedError);
    await expect(f.execute(() => 1, { operation: 'cold' })).resolves.toBe(1);
  });

  it('a throwing when, rate, random or cohort function never breaks the call', async () => {
    const { controller, clock } = armed();
    const boom = (): never => {
      throw new Error('bug in chaos config');
    };
    const faults = [
      faultInjection({ controller, clock, when: boom }),
      faultInjection({ controller, clock, rate: boom }),
      faultInjection({ controller, clock, rate: 0.5, random: boom }),
      faultInjection({ controller, clock, error: boom }),
      outcomeInjection({ controller, clock, generate: boom }),
      latencyInjection({ controller, clock, latency: { kind: 'broken', mean: 0, min: 0, max: 0, sample: boom, describe: () => ({}) } }),
      exhaustion({ controller, clock, bulkhead: { occupy: boom }, permits: 1, holdFor: 10 }),
    ];
    for (const f of faults) {
      await expect(f.execute(() => 'real')).resolves.toBe('real');
      expect(f.injections).toBe(0);
    }
  });

  it('when: a predicate returning anything but true skips the call', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock, when: (ctx) => ctx.labels['tier'] === 'free' });
    await expect(f.execute(() => 1, { labels: { tier: 'paid' } })).resolves.toBe(1);
    await expect(f.execute(() => 1, { labels: { tier: 'free' } })).rejects.toBeInstanceOf(ChaosInjectedError);
    const truthy = faultInjection({ controller, clock, when: (() => 1) as unknown as () => boolean });
    await expect(truthy.execute(() => 1)).resolves.toBe(1);
    expect(f.describe().options).toMatchObject({ enabled: true, when: 'function when' });
  });

  it('enabled: false builds the fault off until enable() (issue #15 item 5)', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock, enabled: false });
    expect(f.isEnabled).toBe(false);
    expect(f.describe().options).toMatchObject({ enabled: false });
    await expect(f.execute(() => 1)).resolves.toBe(1);
    f.enable();
    expect(f.isEnabled).toBe(true);
    await expect(f.execute(() => 1)).rejects.toBeInstanceOf(ChaosInjectedError);
    expect(f.injections).toBe(1);
    f.disable();
    await expect(f.execute(() => 1)).resolves.toBe(1);
  });

  it('arming at start-up does not switch on the faults built off; enable() switches on only that one', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    const pool = { occupy: (permits: number) => ({ held: permits, release: () => {} }) };
    // Built at start-up, before arming, all off.
    const faults: FaultPolicy[] = [
      faultInjection({ controller, clock, enabled: false }),
      latencyInjection({ controller, clock, enabled: false, latency: 1_000 }),
      outcomeInjection({ controller, clock, enabled: false, result: 'fake' }),
      behaviorInjection({ controller, clock, enabled: false, behavior: () => (touched = true) }),
      hang({ controller, clock, enabled: false }),
      exhaustion({ controller, clock, enabled: false, bulkhead: pool, permits: 1, holdFor: 10 }),
      flapping({ controller, clock, enabled: false, onDuration: 10, offDuration: 10 }),
    ];
    let touched = false;
    expect(controller.arm({ environment: 'staging' }).active).toBe(true);
    for (const f of faults) {
      expect(f.isEnabled).toBe(false);
      await expect(f.execute(() => 'real')).resolves.toBe('real'); // a hang or a delay would never settle here
      expect(f.injections).toBe(0);
    }
    expect(touched).toBe(false);
    const [errors, ...others] = faults as [FaultPolicy, ...FaultPolicy[]];
    errors.enable();
    await expect(errors.execute(() => 'real')).rejects.toBeInstanceOf(ChaosInjectedError);
    for (const f of others) await expect(f.execute(() => 'real')).resolves.toBe('real');
    expect(faults.map((f) => f.injections)).toEqual([1, 0, 0, 0, 0, 0, 0]);
  });

  it('enabled must be a boolean: a per-call function is rejected, pointing to `when`', () => {
    const predicate = (ctx: ExecutionContext): boolean => ctx.attempt > 1;
    let error: unknown;
    try {
      faultInjection({ enabled: predicate as unknown as boolean });
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/expected `enabled` to be a boolean.*`when: \(ctx\) => boolean`.*got/);
    expect(() => hang({ enabled: 'yes' as unknown as boolean })).toThrow(/`enabled`/);
    expect(() => faultInjection({ when: true as unknown as () => boolean })).toThrow(/expected `when` to be a predicate/);
  });

  it('target: operations (exact, glob, RegExp) and label selectors', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({
      controller,
      clock,
      target: { operations: ['payment.*', /^cdn\.(css|js)$/g, 'login'], labels: { region: ['eu', 'us'] } },
    });
    const hit = async (operation: string, region?: string): Promise<boolean> => {
      try {
        await f.execute(() => 1, { operation, labels: region === undefined ? {} : { region } });
        return false;
      } catch {
        return true;
      }
    };
    expect(await hit('payment.charge', 'eu')).toBe(true);
    expect(await hit('payment.charge', 'asia')).toBe(false);
    expect(await hit('payment.charge')).toBe(false);
    expect(await hit('payment.card.charge', 'eu')).toBe(false);
    expect(await hit('cdn.css', 'us')).toBe(true);
    expect(await hit('cdn.css', 'us')).toBe(true); // /g flag dropped: no lastIndex state
    expect(await hit('login', 'eu')).toBe(true);
    expect(await hit('login2', 'eu')).toBe(false);
  });

  it('cohorts are sticky: a user is always in or always out, across calls and fault instances', async () => {
    const { controller, clock } = armed();
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const make = (): FaultPolicy => faultInjection({ controller, clock, cohort: { label: 'userId', percent: 10 } });
    const first = await injectedCalls(make(), users.length, (i) => ({ userId: users[i] as string }));
    const second = await injectedCalls(make(), users.length, (i) => ({ userId: users[i] as string }));
    expect(first).toEqual(second);
    expect(first.length).toBeGreaterThan(20);
    expect(first.length).toBeLessThan(70);
    // A call without the label is outside the cohort.
    await expect(make().execute(() => 'real')).resolves.toBe('real');
  });

  it('maxDuration: the fault stops injecting that long after its first armed call; enable() restarts it', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock, maxDuration: 1_000 });
    await expect(f.execute(() => 1)).rejects.toBeInstanceOf(ChaosInjectedError);
    await clock.advance(999);
    await expect(f.execute(() => 1)).rejects.toBeInstanceOf(ChaosInjectedError);
    await clock.advance(1);
    await expect(f.execute(() => 1)).resolves.toBe(1);
    f.enable();
    await expect(f.execute(() => 1)).rejects.toBeInstanceOf(ChaosInjectedError);
  });

  it('enable()/disable() switch the fault at run time; injections counts', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock });
    await expect(f.execute(() => 1)).rejects.toThrow();
    f.disable();
    expect(f.isEnabled).toBe(false);
    await expect(f.execute(() => 1)).resolves.toBe(1);
    f.enable();
    await expect(f.execute(() => 1)).rejects.toThrow();
    expect(f.injections).toBe(2);
  });

  it('the chaos rules cap rate and cohort percent', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test', rules: { maxRate: 0.1, maxCohortPercent: 0 } });
    const capped = faultInjection({ controller, clock, rate: 1, random: seededRandom(3) });
    const k = (await injectedCalls(capped, 1_000)).length;
    expect(k).toBeGreaterThan(60);
    expect(k).toBeLessThan(140);
    const cohort = faultInjection({ controller, clock, cohort: { label: 'u', percent: 100 } });
    expect(await injectedCalls(cohort, 50, (i) => ({ u: `u${i}` }))).toEqual([]);
  });

  it('rejects bad options, naming every field', () => {
    try {
      faultInjection({ rate: 2, maxDuration: Number.NaN, cohort: { label: 'u', percent: 101 }, bogus: 1 } as never);
      expect.unreachable();
    } catch (e) {
      expect(isOptionsValidationError(e)).toBe(true);
      const paths = (e as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
      expect(paths).toEqual(['bogus', 'cohort.percent', 'maxDuration', 'rate']);
    }
    expect(() => latencyInjection({ latency: -1 })).toThrow(/latency/);
    expect(() => latencyInjection({} as never)).toThrow(/latency/);
    expect(() => outcomeInjection({})).toThrow(/result/);
    expect(() => exhaustion({ bulkhead: {} as OccupiableBulkhead, permits: 0, holdFor: 1 })).toThrow(/bulkhead.*permits|permits.*bulkhead/s);
    expect(() => flapping({ onDuration: 0, offDuration: 10 })).toThrow(/onDuration/);
    expect(() => flapping({ onDuration: 1, offDuration: 1, fault: flapping({ onDuration: 1, offDuration: 1 }) })).toThrow(/fault/);
    expect(() => faultInjection({ controller: {} as ChaosController })).toThrow(/controller/);
  });
});

describe('halt', () => {
  it('stops injection for the very next call', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock });
    const first = f.execute(() => 1);
    controller.halt('red button');
    const second = f.execute(() => 2);
    await expect(first).rejects.toBeInstanceOf(ChaosInjectedError);
    await expect(second).resolves.toBe(2);
    expect(controller.status()).toMatchObject({ armed: false, haltReason: 'red button' });
    controller.arm({ environment: 'test' });
    await expect(f.execute(() => 3)).rejects.toBeInstanceOf(ChaosInjectedError);
  });

  it('ends ongoing hangs and delays at once: those calls run for real', async () => {
    const { controller, clock } = armed();
    const h = hang({ controller, clock });
    const l = latencyInjection({ controller, clock, latency: 60_000 });
    const hung = h.execute(() => 'hung-then-real');
    const slow = l.execute(() => 'slow-then-real');
    await clock.advance(10);
    controller.halt('enough');
    await expect(hung).resolves.toBe('hung-then-real');
    await expect(slow).resolves.toBe('slow-then-real');
    expect(clock.now()).toBe(10);
    expect(clock.pending).toBe(0);
  });
});

describe('faultInjection', () => {
  it('throws a ChaosInjectedError, marks the call and emits injected', async () => {
    const { controller, clock } = armed();
    const f = faultInjection({ controller, clock, name: 'db-down' });
    const events: ChaosEvent[] = [];
    const executed: ExecutedEvent[] = [];
    f.on('injected', (e) => events.push(e));
    f.on('executed', (e) => executed.push(e));
    let ctxSeen: ExecutionContext | undefined;
    const error = await f.execute((ctx) => (ctxSeen = ctx)).catch((e: unknown) => e);
    expect(ctxSeen).toBeUndefined();
    expect(isChaosInjectedError(error)).toBe(true);
    expect((error as ChaosInjectedError).fault).toBe('db-down');
    expect(isInjectedFault(error)).toBe(true);
    expect(events).toEqual([
      expect.objectContaining({ kind: 'chaos', type: 'injected', policy: 'db-down', fault: 'db-down', faultKind: 'error', operation: 'default' }),
    ]);
    expect('delay' in (events[0] as object)).toBe(false);
    expect(executed[0]).toMatchObject({ injected: true, ok: false });
    expect(f.describe()).toEqual({
      kind: 'chaos',
      name: 'db-down',
      options: { faultKind: 'error', rate: 1, enabled: true, maxDuration: Number.POSITIVE_INFINITY, error: 'ChaosInjectedError' },
    });
  });

  it('throws the error you describe (instance, class, factory), marked as injected', async () => {
    const { controller, clock } = armed();
    const instance = new Error('fixed');
    await expect(faultInjection({ controller, clock, error: instance }).execute(() => 1)).rejects.toBe(instance);
    expect(injectedBy(instance)).toBe('fault-injection');
    class GatewayError extends Error {}
    const e2 = await faultInjection({ controller, clock, error: GatewayError, name: 'gw' }).execute(() => 1).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(GatewayError);
    expect((e2 as Error).message).toMatch(/gw/);
    const f3 = faultInjection({ controller, clock, error: (ctx) => new RangeError(ctx.operation) });
    const e3 = await f3.execute(() => 1, { operation: 'op-x' }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(RangeError);
    expect((e3 as Error).message).toBe('op-x');
    expect(isInjectedFault(e3)).toBe(true);
    expect(isInjectedFault(new Error('real'))).toBe(false);
  });

  it('the real policies outside see the fault: an outer retry retries injected errors', async () => {
    const { controller, clock } = armed();
    let attempts = 0;
    const flaky = faultInjection({ controller, clock, when: () => attempts++ < 2 });
    const retryish = pipeline({ name: 'p' }, flaky);
    const events: string[] = [];
    retryish.onEvent((e) => events.push(`${e.kind}:${e.type}`));
    await expect(retryish.execute(() => 1)).rejects.toThrow();
    await expect(retryish.execute(() => 1)).rejects.toThrow();
    await expect(retryish.execute(() => 1)).resolves.toBe(1);
    expect(events).toEqual(['chaos:injected', 'execution:executed', 'chaos:injected', 'execution:executed', 'execution:executed']);
  });
});

describe('latencyInjection', () => {
  it('delays the call by the drawn delay on the clock, and reports it', async () => {
    const { controller, clock } = armed();
    const f = latencyInjection({ controller, clock, latency: 250 });
    const delays: (number | undefined)[] = [];
    f.on('injected', (e) => delays.push(e.delay));
    let ranAt = -1;
    const p = f.execute(() => (ranAt = clock.now()));
    await clock.advance(249);
    expect(ranAt).toBe(-1);
    await clock.advance(1);
    await expect(p).resolves.toBe(250);
    expect(delays).toEqual([250]);
  });

  it('property: each delay equals a draw of the distribution with the same seed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const { controller, clock } = armed();
        const dist = distributions.uniform(10, 500);
        const f = latencyInjection({ controller, clock, latency: dist, random: seededRandom(seed) });
        const delays: number[] = [];
        f.on('injected', (e) => delays.push(e.delay as number));
        for (let i = 0; i < 5; i++) {
          const start = clock.now();
          const p = f.execute(() => clock.now() - start);
          await clock.runAll();
          // The timer service rounds deadlines up to the next whole millisecond.
          const waited = await p;
          expect(waited).toBeGreaterThanOrEqual(delays[i] as number);
          expect(waited).toBeLessThan((delays[i] as number) + 1);
        }
        const replay = seededRandom(seed);
        expect(delays).toEqual(Array.from({ length: 5 }, () => dist.sample(replay)));
      }),
      { numRuns: 15 },
    );
  });

  it('is abort-aware: the caller aborting ends the wait with its reason', async () => {
    const { controller, clock } = armed();
    const f = latencyInjection({ controller, clock, latency: 10_000 });
    const ac = new AbortController();
    let ran = false;
    const p = f.execute(() => (ran = true), { signal: ac.signal });
    await clock.advance(100);
    ac.abort(new Error('client gone'));
    await expect(p).rejects.toThrow('client gone');
    expect(ran).toBe(false);
    expect(clock.pending).toBe(0);
  });
});

describe('outcomeInjection and behaviorInjection', () => {
  it('returns the fake result (constant or generated) without running the call', async () => {
    const { controller, clock } = armed();
    let ran = 0;
    await expect(outcomeInjection({ controller, clock, result: null }).execute(() => ran++)).resolves.toBeNull();
    const gen = outcomeInjection({ controller, clock, generate: (ctx) => ({ status: 401, op: ctx.operation }) });
    await expect(gen.execute(() => ran++, { operation: 'login' })).resolves.toEqual({ status: 401, op: 'login' });
    const asyncGen = outcomeInjection({ controller, clock, generate: async () => 'later' });
    await expect(asyncGen.execute(() => ran++)).resolves.toBe('later');
    expect(ran).toBe(0);
  });

  it('a generator whose promise rejects lets the real call run', async () => {
    const { controller, clock } = armed();
    const f = outcomeInjection({ controller, clock, generate: () => Promise.reject(new Error('x')) });
    await expect(f.execute(() => 'real')).resolves.toBe('real');
  });

  it('runs the side effect first, then the call; a failing behavior does not break it', async () => {
    const { controller, clock } = armed();
    const log: string[] = [];
    const b = behaviorInjection({ controller, clock, behavior: (ctx) => log.push(`behavior ${ctx.operation}`) });
    await expect(b.execute(() => log.push('call'), { operation: 'op' })).resolves.toBe(2);
    expect(log).toEqual(['behavior op', 'call']);
    const asyncB = behaviorInjection({
      controller,
      clock,
      behavior: async () => {
        await Promise.resolve();
        log.push('async behavior');
      },
    });
    await asyncB.execute(() => log.push('call 2'));
    expect(log.slice(2)).toEqual(['async behavior', 'call 2']);
    const throwing = behaviorInjection({ controller, clock, behavior: () => { throw new Error('oops'); } });
    await expect(throwing.execute(() => 'real')).resolves.toBe('real');
    const rejecting = behaviorInjection({ controller, clock, behavior: () => Promise.reject(new Error('oops')) });
    await expect(rejecting.execute(() => 'real')).resolves.toBe('real');
    expect(throwing.injections).toBe(1);
  });
});

describe('hang', () => {
  it('never answers until the call aborts, then fails with the abort reason', async () => {
    const { controller, clock } = armed();
    const h = hang({ controller, clock });
    const ac = new AbortController();
    let settled = false;
    const p = h.execute(() => 'real', { signal: ac.signal }).finally(() => (settled = true));
    await clock.advance(1_000_000);
    expect(settled).toBe(false);
    expect(clock.pending).toBe(0); // no timer behind a hang
    ac.abort(new Error('deadline'));
    await expect(p).rejects.toThrow('deadline');
  });

  it('disable() releases hung calls to the real dependency', async () => {
    const { controller, clock } = armed();
    const h = hang({ controller, clock });
    const p = h.execute(() => 'real');
    await clock.advance(5);
    h.disable();
    await expect(p).resolves.toBe('real');
  });
});

class FakeBulkhead implements OccupiableBulkhead {
  held = 0;
  readonly log: string[] = [];
  constructor(readonly capacity: number) {}
  occupy(permits: number, partition?: string): { readonly held: number; release(): void } {
    const n = Math.min(permits, this.capacity - this.held);
    this.held += n;
    this.log.push(`occupy ${n}${partition !== undefined ? ` ${partition}` : ''}`);
    let released = false;
    return {
      held: n,
      release: () => {
        if (released) return;
        released = true;
        this.held -= n;
        this.log.push(`release ${n}`);
      },
    };
  }
}

describe('exhaustion', () => {
  it('holds permits for holdFor ms, one lease at a time; the triggering call runs', async () => {
    const { controller, clock } = armed();
    const bh = new FakeBulkhead(10);
    const f = exhaustion({ controller, clock, bulkhead: bh, permits: 8, holdFor: 1_000, partition: (ctx) => ctx.labels['lobby'] });
    const delays: (number | undefined)[] = [];
    f.on('injected', (e) => delays.push(e.delay));
    await expect(f.execute(() => 'real', { labels: { lobby: 'l1' } })).resolves.toBe('real');
    await expect(f.execute(() => 'real')).resolves.toBe('real');
    expect(bh.held).toBe(8);
    expect(f.held).toBe(8);
    expect(f.injections).toBe(1);
    await clock.advance(999);
    expect(bh.held).toBe(8);
    await clock.advance(1);
    expect(bh.held).toBe(0);
    expect(bh.log).toEqual(['occupy 8 l1', 'release 8']);
    expect(delays).toEqual([1_000]);
    await f.execute(() => 1);
    expect(bh.held).toBe(8);
  });

  it('halt() and disable() return the permits at once', async () => {
    const { controller, clock } = armed();
    const bh = new FakeBulkhead(4);
    const f = exhaustion({ controller, clock, bulkhead: bh, permits: 4, holdFor: 60_000 });
    await f.execute(() => 1);
    expect(bh.held).toBe(4);
    controller.halt('stop');
    expect(bh.held).toBe(0);
    expect(clock.pending).toBe(0);
    controller.arm({ environment: 'test' });
    await f.execute(() => 1);
    expect(bh.held).toBe(4);
    f.disable();
    expect(bh.held).toBe(0);
    expect(bh.log).toEqual(['occupy 4', 'release 4', 'occupy 4', 'release 4']);
  });
});

describe('flapping', () => {
  it('is on for onDuration, off for offDuration, from the first armed call', async () => {
    const { controller, clock } = armed(new VirtualClock(5_000));
    const f = flapping({ controller, clock, onDuration: 100, offDuration: 300 });
    const states: boolean[] = [];
    for (let t = 0; t < 800; t += 50) {
      states.push(await f.execute(() => false).catch(() => true));
      await clock.advance(50);
    }
    // on 0–99, off 100–399, on 400–499, off 500–799
    expect(states).toEqual([true, true, false, false, false, false, false, false, true, true, false, false, false, false, false, false]);
    expect(f.injections).toBe(4);
  });

  it('startWith off, and wrapping another fault (reported as flapping)', async () => {
    const { controller, clock } = armed();
    const f = flapping({ controller, clock, onDuration: 100, offDuration: 100, startWith: 'off', fault: latencyInjection({ clock, latency: 30 }) });
    const events: ChaosEvent[] = [];
    f.on('injected', (e) => events.push(e));
    const first = f.execute(() => clock.now());
    await expect(first).resolves.toBe(0);
    await clock.advance(100);
    const second = f.execute(() => clock.now());
    await clock.advance(30);
    await expect(second).resolves.toBe(130);
    expect(events).toEqual([expect.objectContaining({ fault: 'flapping', faultKind: 'flapping', delay: 30 })]);
  });

  it('property: the phase is a pure function of the time since the first call', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 1_000 }), fc.nat(100_000), async (on, off, t) => {
        const { controller, clock } = armed();
        const f = flapping({ controller, clock, onDuration: on, offDuration: off });
        await f.execute(() => 0).catch(() => 0);
        await clock.advance(t);
        const expected = t % (on + off) < on;
        expect(f.isOn).toBe(expected);
        expect(await f.execute(() => false).catch(() => true)).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });
});
