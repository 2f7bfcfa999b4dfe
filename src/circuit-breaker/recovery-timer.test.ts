/**
 * Issue #15 item 9: reading a breaker has no side effect, and a listener of `half-opened`
 * hears it when the recovery timeout elapses, without any call. The recovery timer exists
 * only while the breaker is open and someone can hear `half-opened`, and it is unref'd.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../core/clock';
import type { ResilienceEvent } from '../core/events';
import { pipeline } from '../core/policy';
import { createMetrics } from '../metrics/aggregator';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker, type CircuitBreakerPolicy } from './circuit-breaker';

const fail = (): never => {
  throw new Error('boom');
};

async function trip(breaker: { execute(fn: () => unknown): Promise<unknown> }): Promise<void> {
  await breaker.execute(fail).catch(() => {});
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('reading a breaker has no side effect', () => {
  it('state, stats and snapshot() report half-open once due, and the next call still emits half-opened through its pipeline', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, name: 'shop-db', failureThreshold: 1, recoveryTimeout: 1_000 });
    const p = pipeline({ name: 'shop' }, breaker);
    await trip(p);
    await clock.advance(1_000);
    // Nobody listens: no timer; reads report the true state without applying it.
    expect(clock.pending).toBe(0);
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats).toMatchObject({ state: 'half-open', activeProbes: 0, probeSuccesses: 0, consecutiveOpens: 1 });
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', openedFor: 0, recoveryTimeout: 0 });
    const heard: ResilienceEvent[] = [];
    p.onEvent((e) => heard.push(e));
    expect(heard).toEqual([]); // nothing emitted by the reads, nor replayed to a late listener
    await clock.advance(500);
    await p.execute(() => 'probe', { operation: 'shop.buy' });
    expect(heard.filter((e) => e.kind === 'circuit-breaker').map((e) => `${e.type}@${e.time}`)).toEqual(['success@1500', 'closed@1500']);
    expect(breaker.state).toBe('closed');
  });

  it('a read at any instant, or none, leads to identical events and admissions afterwards', async () => {
    async function scenario(readAt: number | undefined): Promise<string[]> {
      const clock = new VirtualClock();
      const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100, halfOpen: { maxProbes: 1 } });
      const p = pipeline(breaker);
      const log: string[] = [];
      p.onEvent((e) => log.push(`${e.type}@${e.time}`));
      await trip(p);
      for (let t = 10; t <= 300; t += 10) {
        await clock.advance(10);
        if (t === readAt) log.push(`read:${breaker.state}:${breaker.stats.state}:${breaker.snapshot().state}`);
        if (t % 70 === 0) {
          const outcome = await p.execute(t === 140 ? fail : () => t).then(
            () => 'ok',
            (e: { state?: string }) => `rejected:${e.state ?? 'error'}`,
          );
          log.push(`call@${t}:${outcome}`);
        }
      }
      return log.filter((l) => !l.startsWith('read:'));
    }
    const unread = await scenario(undefined);
    for (const readAt of [50, 100, 110, 130, 150, 240, 250]) expect(await scenario(readAt), `read at ${readAt}`).toEqual(unread);
    expect(unread).toContain('half-opened@100'); // the pipeline listens: on time, by the timer
  });
});

describe('a listener hears half-opened when the recovery timeout elapses', () => {
  it('on the breaker, without any call, at exactly opened + recoveryTimeout', async () => {
    const clock = new VirtualClock(5_000);
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 30_000 });
    const seen: string[] = [];
    breaker.on('half-opened', (e) => seen.push(`half-opened@${e.time}`));
    await trip(breaker);
    expect(clock.pending).toBe(1);
    await clock.advance(29_999);
    expect(seen).toEqual([]);
    await clock.advance(1);
    expect(seen).toEqual(['half-opened@35000']);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    await breaker.execute(() => 1);
    expect(seen).toEqual(['half-opened@35000']); // once
    expect(breaker.state).toBe('closed');
  });

  it('on every pipeline containing the breaker, once (the event belongs to no call: no pipeline name)', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, name: 'gateway', failureThreshold: 1, recoveryTimeout: 200 });
    const shop = pipeline({ name: 'shop' }, breaker);
    const own: ResilienceEvent[] = [];
    const piped: ResilienceEvent[] = [];
    shop.on('half-opened', (e) => piped.push(e));
    await shop.execute(fail, { operation: 'shop.buy', labels: { region: 'eu' } }).catch(() => {});
    expect(clock.pending).toBe(1);
    breaker.onEvent((e) => own.push(e));
    await clock.advance(200);
    expect(piped).toHaveLength(1);
    expect(piped[0]).toMatchObject({ kind: 'circuit-breaker', type: 'half-opened', policy: 'gateway', pipeline: undefined, operation: 'default', labels: {}, time: 200 });
    expect(own).toEqual(piped); // the same event object, once each
  });

  it('metrics: time in each state is exact and does not depend on when or whether they are scraped', async () => {
    async function run(scrapeAt: readonly number[]): Promise<unknown> {
      const clock = new VirtualClock();
      const breaker = circuitBreaker({ clock, name: 'gateway', failureThreshold: 1, recoveryTimeout: 1_000 });
      const p = pipeline({ name: 'checkout' }, breaker);
      const metrics = createMetrics({ clock });
      metrics.observe(p);
      await trip(p);
      for (let t = 100; t <= 3_000; t += 100) {
        await clock.advance(100);
        if (scrapeAt.includes(t)) metrics.toPrometheus();
      }
      const b = metrics.snapshot().breakers[0];
      return { state: b?.state, timeInState: b?.timeInState };
    }
    const quiet = await run([]);
    expect(quiet).toEqual({ state: 'half-open', timeInState: { closed: 0, open: 1_000, 'half-open': 2_000, isolated: 0 } });
    expect(await run([1_500])).toEqual(quiet);
    expect(await run([500, 1_000, 2_500])).toEqual(quiet);
  });

  it('a late listener does not hear a past transition, and hears the next one', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    await trip(breaker);
    await clock.advance(150);
    expect(clock.pending).toBe(0); // nobody listened: no timer
    const seen: string[] = [];
    breaker.onEvent((e) => {
      if (e.kind === 'circuit-breaker') seen.push(`${e.type}@${e.time}`);
    });
    expect(clock.pending).toBe(0); // it was due: applied before the listener was added
    await breaker.execute(fail).catch(() => {}); // the probe fails: open again
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(seen).toEqual(['failure@150', 'opened@150', 'half-opened@250']);
  });

  it('a growing recoveryTimeout re-arms the timer at each open; a break longer than a platform timer is covered in steps', async () => {
    const clock = new VirtualClock();
    const day = 86_400_000;
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: (n) => (n === 1 ? 100 : 30 * day) });
    const seen: number[] = [];
    breaker.on('half-opened', (e) => seen.push(e.time));
    await trip(breaker);
    await clock.advance(100);
    await trip(breaker); // failed probe: 30 days
    expect(clock.nextTimerAt()).toBe(100 + 2_147_483_647);
    await clock.advanceTo(100 + 30 * day - 1);
    expect(seen).toEqual([100]);
    expect(breaker.state).toBe('open');
    await clock.advance(1);
    expect(seen).toEqual([100, 100 + 30 * day]);
  });

  it('a platform timer that fires early is re-armed; the event never comes before the recovery timeout', async () => {
    const inner = new VirtualClock();
    let early = true;
    const clock: Clock = {
      now: () => inner.now(),
      setTimeout: (fn, ms) => {
        const d = early ? ms - 3 : ms;
        early = false;
        return inner.setTimeout(fn, d);
      },
      clearTimeout: (h) => inner.clearTimeout(h),
    };
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    const seen: number[] = [];
    breaker.on('half-opened', (e) => seen.push(e.time));
    await trip(breaker);
    await inner.advance(97);
    expect(seen).toEqual([]);
    expect(breaker.state).toBe('open');
    await inner.advance(3);
    expect(seen).toEqual([100]);
  });
});

describe('the recovery timer exists only while someone can hear half-opened', () => {
  it('none without listeners, nor for listeners of other events; one per open breaker with a half-opened or onEvent listener', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1_000 });
    breaker.on('opened', () => {});
    breaker.on('rejected', () => {});
    await trip(breaker);
    expect(clock.pending).toBe(0);
    const a = breaker.on('half-opened', () => {});
    const b = breaker.onEvent(() => {});
    expect(clock.pending).toBe(1);
    a.dispose();
    expect(clock.pending).toBe(1);
    b.dispose();
    b.dispose();
    expect(clock.pending).toBe(0); // the last listener went: cleared
    expect(breaker.state).toBe('open');
  });

  it('is cleared when the breaker leaves open (a call after the timeout, reset, isolate)', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 1_000 });
    breaker.on('half-opened', () => {});
    await trip(breaker);
    expect(clock.pending).toBe(1);
    breaker.reset();
    expect(clock.pending).toBe(0);
    await trip(breaker);
    breaker.isolate();
    expect(clock.pending).toBe(0);
    breaker.reset();
    await trip(breaker);
    expect(clock.pending).toBe(1);
    // A call right at the timeout applies the transition itself (the timer has not run yet).
    const real = new VirtualClock();
    const racing = circuitBreaker({ clock: real, failureThreshold: 1, recoveryTimeout: 0 });
    const seen: string[] = [];
    racing.on('half-opened', (e) => seen.push(e.type));
    await trip(racing);
    expect(real.pending).toBe(1);
    await racing.execute(() => 1);
    expect(real.pending).toBe(0);
    expect(seen).toEqual(['half-opened']);
  });

  it('a pipeline listener that goes away clears the timer; a late one hears no past transition', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    const p = pipeline(breaker);
    const sub = p.on('half-opened', () => {});
    await trip(p);
    expect(clock.pending).toBe(1);
    sub.dispose();
    expect(clock.pending).toBe(0); // the pipeline told the breaker: nobody hears, no timer
    await clock.advance(100);
    expect(breaker.state).toBe('half-open');
    const later: string[] = [];
    p.on('half-opened', (e) => later.push(`${e.type}@${e.time}`));
    await clock.advance(50);
    await p.execute(() => 1);
    // The due transition was applied just before the late listener came: it hears nothing older.
    expect(later).toEqual([]);
    expect(breaker.state).toBe('closed');
  });

  it('is unref’d: it never keeps a process alive', async () => {
    const handles: NodeJS.Timeout[] = [];
    const clock: Clock = {
      now: () => performance.now(),
      setTimeout: (fn, ms) => {
        const h = setTimeout(fn, ms);
        handles.push(h);
        return h;
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const breaker: CircuitBreakerPolicy = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 60_000 });
    const sub = breaker.on('half-opened', () => {});
    await trip(breaker);
    expect(handles).toHaveLength(1);
    expect(handles[0]?.hasRef()).toBe(false);
    sub.dispose();
  });

  it('a clock whose setTimeout throws is reported and leaves the breaker working lazily', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const inner = new VirtualClock();
    const clock: Clock = {
      now: () => inner.now(),
      setTimeout: () => {
        throw new Error('no timers here');
      },
      clearTimeout: () => {},
    };
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    const seen: string[] = [];
    breaker.on('half-opened', (e) => seen.push(e.type));
    await trip(breaker);
    expect(errors).toHaveBeenCalled();
    await inner.advance(100);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(() => 1);
    expect(seen).toEqual(['half-opened']);
    expect(breaker.state).toBe('closed');
  });
});
