/**
 * User callbacks that throw are contained as documented and never leave a call unsettled:
 * `handle`, `handleResult`, event listeners, `retryAfter`, a backoff function, `random`,
 * fallback tiers, a `recoveryTimeout` function, chaos `rate` / `when` / `generate` /
 * `behavior`, a partition key function and a `lastKnownGood` key function.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isFallbackExhaustedError } from '../../src/core/errors';
import { pipeline, type Policy } from '../../src/core/policy';
import { timerServiceFor } from '../../src/core/timer-service';
import { retry } from '../../src/retry/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { fallback, lastKnownGood } from '../../src/fallback/index';
import { behaviorInjection, createChaosController, faultInjection, outcomeInjection } from '../../src/chaos/index';
import { createMetrics } from '../../src/metrics/index';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { DependencyError, macrotask, trapUnhandledRejections } from './support';

const unhandled = trapUnhandledRejections();
const RUNS = Number(process.env['RELIABILITY_RUNS'] ?? 1000);

class UserBug extends Error {
  constructor(where: string) {
    super(`user callback ${where} threw`);
    this.name = 'UserBug';
  }
}
const thrower =
  (where: string) =>
  (): never => {
    throw new UserBug(where);
  };

let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  consoleError.mockRestore();
  expect(unhandled.take()).toEqual([]);
});

/** Executes, runs the clock out and returns the settled outcome (never hangs). */
async function settle<T>(clock: VirtualClock, p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then(
    (value) => (out = { ok: true, value }),
    (error: unknown) => (out = { ok: false, error }),
  );
  await clock.runAll();
  await macrotask();
  if (out === undefined) throw new Error('the call never settled');
  return out;
}

const fails = (): Promise<never> => Promise.reject(new DependencyError(0));

describe('retry callbacks', () => {
  it('a throwing `handle` means "not handled": the error passes through, no retry', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const r = retry({ clock, handle: thrower('handle'), delay: 10 });
    const out = await settle(clock, r.execute(() => (calls++, fails())));
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toBeInstanceOf(DependencyError);
    expect(calls).toBe(1);
  });

  it('a throwing `handleResult` means "a success"', async () => {
    const clock = new VirtualClock();
    const r = retry({ clock, handleResult: thrower('handleResult'), delay: 10 });
    expect(await settle(clock, r.execute(() => 7))).toEqual({ ok: true, value: 7 });
  });

  it('a throwing `retryAfter` is reported and the backoff is used instead', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const r = retry({ clock, retryAfter: thrower('retryAfter'), maxAttempts: 3, delay: 10, jitter: 'none' });
    const out = await settle(clock, r.execute(() => (calls++, fails())));
    expect(out.ok).toBe(false);
    expect(calls).toBe(3);
    expect(consoleError).toHaveBeenCalled();
  });

  it('a throwing backoff function is reported and the call gives up with the last failure', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const r = retry({ clock, backoff: thrower('backoff'), maxAttempts: 3 });
    const out = await settle(clock, r.execute(() => (calls++, fails())));
    expect(!out.ok && out.error).toBeInstanceOf(DependencyError);
    expect(calls).toBe(1);
  });

  it('a throwing `random` (jitter source) never leaves a call unsettled nor an unhandled rejection', async () => {
    const clock = new VirtualClock();
    const r = retry({ clock, random: thrower('random'), jitter: 'full', maxAttempts: 3, delay: 10 });
    // async failure: the retry decision runs in a promise reaction
    const a = await settle(clock, r.execute(fails));
    // sync failure: the retry decision runs inside execute()
    const b = await settle(
      clock,
      r.execute(() => {
        throw new DependencyError(1);
      }),
    );
    // Contained like a throwing backoff function: reported, and the call gives up with its last failure.
    expect(!a.ok && a.error).toBeInstanceOf(DependencyError);
    expect(!b.ok && b.error).toBeInstanceOf(DependencyError);
    await macrotask();
    expect(unhandled.take()).toEqual([]);
  });

  it('event listeners that throw are reported; the other listeners and the call go on', async () => {
    const clock = new VirtualClock();
    const r = retry({ clock, maxAttempts: 3, delay: 10 });
    const seen: string[] = [];
    r.onEvent(thrower('listener 1'));
    r.on('retry', thrower('listener 2'));
    r.onEvent((e) => seen.push(e.type));
    let calls = 0;
    const out = await settle(clock, r.execute(() => (++calls < 3 ? fails() : 'ok')));
    expect(out).toEqual({ ok: true, value: 'ok' });
    expect(seen).toEqual(['retry', 'retry', 'executed']);
    expect(consoleError).toHaveBeenCalled();
  });
});

describe('circuit breaker callbacks', () => {
  it('a throwing recoveryTimeout function is reported and the default (60 s) is used', async () => {
    const clock = new VirtualClock();
    const b = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: thrower('recoveryTimeout') });
    await settle(clock, b.execute(fails));
    expect(b.stats.state).toBe('open');
    await clock.advance(59_999);
    expect(b.stats.state).toBe('open');
    await clock.advance(1);
    expect(b.stats.state).toBe('half-open');
    expect(consoleError).toHaveBeenCalled();
  });

  it('a throwing `handle` leaves the breaker closed (not a failure)', async () => {
    const clock = new VirtualClock();
    const b = circuitBreaker({ clock, failureThreshold: 1, handle: thrower('handle') });
    for (let i = 0; i < 3; i++) expect((await settle(clock, b.execute(fails))).ok).toBe(false);
    expect(b.stats.state).toBe('closed');
  });

  it('listeners of transitions that throw do not stop the transition', async () => {
    const clock = new VirtualClock();
    const b = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 10 });
    b.on('opened', thrower('opened listener'));
    b.on('half-opened', thrower('half-opened listener'));
    b.on('closed', thrower('closed listener'));
    await settle(clock, b.execute(fails));
    expect(b.stats.state).toBe('half-open'); // runAll() ran the recovery timer; its throwing listener did not stop it
    await clock.advance(10);
    expect(await settle(clock, b.execute(() => 1))).toEqual({ ok: true, value: 1 });
    expect(b.stats.state).toBe('closed');
  });
});

describe('fallback callbacks', () => {
  it('tiers that throw or reject pass to the next tier; all failing gives FallbackExhaustedError', async () => {
    const clock = new VirtualClock();
    const f = fallback({ clock, tiers: [thrower('tier 0'), () => Promise.reject(new UserBug('tier 1')), () => 'third'] });
    expect(await settle(clock, f.execute(fails))).toEqual({ ok: true, value: 'third' });
    const g = fallback({ clock, tiers: [thrower('tier 0'), () => Promise.reject(new UserBug('tier 1'))] });
    const out = await settle(clock, g.execute(fails));
    expect(!out.ok && isFallbackExhaustedError(out.error)).toBe(true);
  });

  it('a throwing handle means "not handled": the failure passes through untouched', async () => {
    const clock = new VirtualClock();
    const f = fallback({ clock, tiers: ['x'], handle: thrower('handle') });
    const out = await settle(clock, f.execute(fails));
    expect(!out.ok && out.error).toBeInstanceOf(DependencyError);
  });

  it('a throwing lastKnownGood key function means "no key": the next tier serves', async () => {
    const clock = new VirtualClock();
    const lkg = lastKnownGood({ maxAge: 1_000, key: thrower('key') });
    const f = fallback({ clock, tiers: [lkg, 'default'] });
    expect(await settle(clock, f.execute(() => 'fresh'))).toEqual({ ok: true, value: 'fresh' });
    expect(await settle(clock, f.execute(fails))).toEqual({ ok: true, value: 'default' });
  });
});

describe('bulkhead callbacks', () => {
  it('a throwing partition key rejects that call with its error and leaks no partition', async () => {
    const clock = new VirtualClock();
    const b = bulkhead.partitioned({ clock, maxConcurrent: 1, key: thrower('key') });
    const out = await settle(clock, b.execute(() => 1));
    expect(!out.ok && out.error).toBeInstanceOf(UserBug);
    expect(b.stats.partitions).toBe(0);
  });
});

describe('chaos callbacks', () => {
  function armed(clock: VirtualClock) {
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test' });
    return controller;
  }

  it('a throwing rate or when function means "do not inject"', async () => {
    const clock = new VirtualClock();
    const controller = armed(clock);
    for (const f of [faultInjection({ clock, controller, rate: thrower('rate') }), faultInjection({ clock, controller, when: thrower('when') })]) {
      expect(await settle(clock, f.execute(() => 'real'))).toEqual({ ok: true, value: 'real' });
      expect(f.injections).toBe(0);
    }
  });

  it('a throwing generate means "do not inject"; a throwing behavior still runs the call', async () => {
    const clock = new VirtualClock();
    const controller = armed(clock);
    const o = outcomeInjection({ clock, controller, generate: thrower('generate') });
    expect(await settle(clock, o.execute(() => 'real'))).toEqual({ ok: true, value: 'real' });
    const b = behaviorInjection({ clock, controller, behavior: thrower('behavior') });
    expect(await settle(clock, b.execute(() => 'real'))).toEqual({ ok: true, value: 'real' });
    const c = behaviorInjection({ clock, controller, behavior: () => Promise.reject(new UserBug('behavior')) });
    expect(await settle(clock, c.execute(() => 'real'))).toEqual({ ok: true, value: 'real' });
  });
});

describe('metrics', () => {
  it('a throwing onCall listener does not break the calls it observes', async () => {
    const clock = new VirtualClock();
    const metrics = createMetrics({ clock });
    const t = timeout({ clock, duration: 100 });
    metrics.observe(t);
    metrics.onCall(thrower('onCall'));
    expect(await settle(clock, t.execute(() => 5))).toEqual({ ok: true, value: 5 });
    expect(await settle(clock, t.execute(fails))).toMatchObject({ ok: false });
  });
});

type CallbackSite =
  | 'retry.handle'
  | 'retry.handleResult'
  | 'retry.retryAfter'
  | 'retry.random'
  | 'retry.listener'
  | 'breaker.handle'
  | 'breaker.handleResult'
  | 'breaker.recoveryTimeout'
  | 'breaker.listener'
  | 'fallback.tier'
  | 'fallback.handle'
  | 'fallback.listener'
  | 'chaos.rate'
  | 'chaos.when'
  | 'partition.key'
  | 'pipeline.listener';

const sites: readonly CallbackSite[] = [
  'retry.handle',
  'retry.handleResult',
  'retry.retryAfter',
  'retry.random',
  'retry.listener',
  'breaker.handle',
  'breaker.handleResult',
  'breaker.recoveryTimeout',
  'breaker.listener',
  'fallback.tier',
  'fallback.handle',
  'fallback.listener',
  'chaos.rate',
  'chaos.when',
  'partition.key',
  'pipeline.listener',
];

describe('any set of throwing callbacks in a full pipeline', () => {
  it('never leaves a call unsettled, a timer pending or a rejection unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray([...sites]),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 500 }), kind: fc.constantFrom('ok', 'fail', 'sync-throw', 'slow') }), { minLength: 1, maxLength: 12 }),
        async (throwing, calls) => {
          unhandled.take(); // attribute rejections to the run that caused them (while shrinking)
          const clock = new VirtualClock();
          const bad = (site: CallbackSite) => throwing.includes(site);
          const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
          controller.arm({ environment: 'test' });
          const r = retry({
            clock,
            maxAttempts: 3,
            delay: 5,
            jitter: 'full',
            ...(bad('retry.handle') ? { handle: thrower('h') } : {}),
            ...(bad('retry.handleResult') ? { handleResult: thrower('hr') } : {}),
            ...(bad('retry.retryAfter') ? { retryAfter: thrower('ra') } : {}),
            ...(bad('retry.random') ? { random: thrower('random') } : {}),
          });
          const b = circuitBreaker({
            clock,
            failureThreshold: 2,
            recoveryTimeout: bad('breaker.recoveryTimeout') ? thrower('rt') : 50,
            ...(bad('breaker.handle') ? { handle: thrower('h') } : {}),
            ...(bad('breaker.handleResult') ? { handleResult: thrower('hr') } : {}),
          });
          const f = fallback({ clock, tiers: bad('fallback.tier') ? [thrower('tier')] : ['fallback'], ...(bad('fallback.handle') ? { handle: thrower('h') } : {}) });
          const bh = bulkhead.partitioned({ clock, maxConcurrent: 2, maxQueue: 2, key: bad('partition.key') ? thrower('key') : () => 'k' });
          const chaosFault = faultInjection({
            clock,
            controller,
            rate: bad('chaos.rate') ? thrower('rate') : 0.3,
            ...(bad('chaos.when') ? { when: thrower('when') } : {}),
            random: () => 0.1,
          });
          const policies: Policy[] = [f, r, b, timeout({ clock, duration: 100 }), bh, chaosFault];
          const p = pipeline(...policies);
          if (bad('retry.listener')) r.onEvent(thrower('l'));
          if (bad('breaker.listener')) b.onEvent(thrower('l'));
          if (bad('fallback.listener')) f.onEvent(thrower('l'));
          if (bad('pipeline.listener')) p.onEvent(thrower('l'));
          let settled = 0;
          for (const c of calls) {
            clock.setTimeout(() => {
              const fn =
                c.kind === 'ok'
                  ? () => 1
                  : c.kind === 'fail'
                    ? fails
                    : c.kind === 'sync-throw'
                      ? () => {
                          throw new DependencyError(2);
                        }
                      : () => new Promise((res) => clock.setTimeout(() => res(2), 150));
              p.execute(fn).then(
                () => settled++,
                () => settled++,
              );
            }, c.at);
          }
          await clock.runAll();
          await macrotask();
          expect(settled).toBe(calls.length);
          expect(clock.pending).toBe(0);
          expect(timerServiceFor(clock).pending).toBe(0);
          expect(unhandled.take()).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
