import { afterEach, describe, expect, it } from 'vitest';
import { onCallbackError } from '../core/report';
import { BulkheadRejectedError, isTimeoutError } from '../core/errors';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { bulkhead } from '../bulkhead/index';
import { retry, retryBudget } from '../retry/index';
import { timeout } from '../timeout/index';
import { VirtualClock } from '../testing/virtual-clock';
import { seededRandom } from '../testing/seeded-random';
import { CountingController, trapUnhandledRejections } from '../../test/reliability/support';
import { fakeDependency, percentile, type Answer } from '../../test/support/hedging-dependency';
import { settleOn as settle } from '../../test/support/promises';
import type { HedgingEvent } from './events';
import { hedgedActions, hedging, type HedgingPolicy } from './hedging';

const unhandled = trapUnhandledRejections();

class Transient extends Error {}
class Fatal extends Error {}


function record(policy: HedgingPolicy): HedgingEvent[] {
  const events: HedgingEvent[] = [];
  policy.onEvent((e) => {
    if (e.kind === 'hedging') events.push(e);
  });
  return events;
}

afterEach(() => {
  expect(unhandled.take()).toEqual([]);
});

describe('hedging: the issue acceptance scenario (virtual clock)', () => {
  it('400 sequential calls to a 10 ms / 1 s (5 %) dependency: hedging after 30 ms cuts p99 ≥ 5×, adds ≤ 10 % calls, aborts the losers', async () => {
    const run = async (hedged: boolean): Promise<{ p99: number; calls: number; lost: number; abortedLosers: number }> => {
      const clock = new VirtualClock();
      const random = seededRandom(17);
      const dep = fakeDependency(clock, (): Answer => ({ ms: random() < 0.95 ? 10 : 1_000 }));
      const policy = hedging({ delay: 30, maxHedgedAttempts: hedged ? 1 : 0, clock });
      let lost = 0;
      policy.on('hedge-losers-cancelled', (e) => (lost += e.losers.length));
      const durations: number[] = [];
      for (let i = 0; i < 400; i++) {
        const start = clock.now();
        const r = await settle(clock, policy.execute(dep.fn));
        expect(r.ok).toBe(true);
        durations.push(r.at - start);
      }
      const abortedLosers = dep.calls.filter((c) => c.state === 'aborted' && c.signal.aborted).length;
      expect(dep.calls.every((c) => c.state !== 'running')).toBe(true);
      expect(clock.pending).toBe(0);
      return { p99: percentile(durations, 99), calls: dep.calls.length, lost, abortedLosers };
    };
    const plain = await run(false);
    const hedged = await run(true);
    expect(plain.p99).toBe(1_000);
    expect(hedged.p99 * 5).toBeLessThanOrEqual(plain.p99);
    expect(hedged.calls).toBeLessThanOrEqual(440);
    expect(hedged.calls).toBeGreaterThan(400); // it did hedge
    // Every hedged call had one loser, aborted through its signal.
    expect(hedged.lost).toBe(hedged.calls - 400);
    expect(hedged.abortedLosers).toBe(hedged.lost);
  });
});

describe('hedging: the first attempt answers before the delay', () => {
  it('runs one attempt, emits nothing, leaves no timer', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 50, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, () => ({ ms: 20, value: 'fast' }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 'fast', at: 20 });
    expect(dep.calls.map((c) => c.attempt)).toEqual([1]);
    expect(dep.calls[0]?.signal.aborted).toBe(false); // the winner's signal stays usable
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(timerServiceFor(clock).pending).toBe(0);
  });

  it('a synchronous function is answered synchronously through the policy', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 50, clock });
    await expect(policy.execute(() => 42)).resolves.toBe(42);
    await expect(policy.execute(() => Promise.reject(new Fatal('no')))).rejects.toThrow('no');
    expect(clock.pending).toBe(0);
  });
});

describe('hedging: a slow first attempt', () => {
  it('starts attempt 2 after the delay with its own attempt number and signal; the first success wins and the loser is aborted', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 30, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 1_000 : 10, value: `from ${i + 1}` }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 'from 2', at: 40 });
    const [first, second] = dep.calls;
    expect(first?.attempt).toBe(1);
    expect(second?.attempt).toBe(2);
    expect(second?.startedAt).toBe(30);
    expect(first?.signal).not.toBe(second?.signal);
    expect(first?.state).toBe('aborted');
    expect((first?.signal.reason as Error).name).toBe('AbortError');
    expect(second?.signal.aborted).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['hedge', 'hedge-won', 'hedge-losers-cancelled']);
    expect(events[0]).toMatchObject({ kind: 'hedging', type: 'hedge', attempt: 2, trigger: 'delay', delay: 30, policy: 'hedging' });
    expect(events[1]).toMatchObject({ type: 'hedge-won', attempt: 2, attempts: 2 });
    expect(events[2]).toMatchObject({ type: 'hedge-losers-cancelled', winner: 2, losers: [1] });
    expect(clock.pending).toBe(0);
  });

  it('the first attempt may still win after a hedge started', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 30, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 35 : 100, value: i }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 0, at: 35 });
    expect(dep.calls[1]?.state).toBe('aborted');
    expect(events.filter((e) => e.type !== 'hedge')).toMatchObject([
      { type: 'hedge-won', attempt: 1, attempts: 2 },
      { type: 'hedge-losers-cancelled', winner: 1, losers: [2] },
    ]);
  });

  it('a loser that ignores its signal and fails later is ignored (no unhandled rejection)', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 30, clock });
    const dep = fakeDependency(clock, (i) => (i === 0 ? { ms: 500, error: new Transient('late') } : { ms: 10, value: 'ok' }), false);
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 'ok', at: 40 });
    expect(dep.calls[0]?.signal.aborted).toBe(true);
    expect(dep.calls[0]?.state).toBe('failed'); // it ran to its end, unheard
  });

  it('with maxHedgedAttempts: 2, the delay restarts at every start', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 30, maxHedgedAttempts: 2, clock });
    const dep = fakeDependency(clock, (i) => ({ ms: i < 2 ? 1_000 : 5, value: i }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 2, at: 65 });
    expect(dep.calls.map((c) => [c.attempt, c.startedAt])).toEqual([
      [1, 0],
      [2, 30],
      [3, 60],
    ]);
    expect(dep.calls.slice(0, 2).every((c) => c.state === 'aborted')).toBe(true);
  });

  it('delay 0 starts every attempt at once (parallel mode)', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 0, maxHedgedAttempts: 3, clock });
    const dep = fakeDependency(clock, (i) => ({ ms: [40, 30, 10, 20][i] as number, value: i }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 2, at: 10 });
    expect(dep.calls.map((c) => [c.attempt, c.startedAt])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('no hedge is scheduled that could start only at or after the deadline', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 30, clock });
    const dep = fakeDependency(clock, () => ({ ms: 50 }));
    const r = await settle(clock, policy.execute(dep.fn, { deadline: 30 }));
    expect(r.ok).toBe(true);
    expect(dep.calls).toHaveLength(1);
  });
});

describe('hedging: failures (fallback mode)', () => {
  it('a handled failure starts the next attempt at once; every attempt failing fails the call with the last failure, unchanged', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: Number.POSITIVE_INFINITY, maxHedgedAttempts: 2, clock });
    const events = record(policy);
    const errors = [new Transient('1'), new Transient('2'), new Transient('3')];
    const dep = fakeDependency(clock, (i) => ({ ms: 10, error: errors[i] }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: false, value: errors[2], at: 30 });
    expect(dep.calls.map((c) => [c.attempt, c.startedAt])).toEqual([
      [1, 0],
      [2, 10],
      [3, 20],
    ]);
    expect(events).toMatchObject([
      { type: 'hedge', attempt: 2, trigger: 'failure', delay: 0, error: errors[0] },
      { type: 'hedge', attempt: 3, trigger: 'failure', delay: 0, error: errors[1] },
    ]);
  });

  it('a failure with no attempt left waits for the attempts still running', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 10, clock });
    const dep = fakeDependency(clock, (i) => (i === 0 ? { ms: 100, value: 'late but fine' } : { ms: 5, error: new Transient('hedge failed') }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 'late but fine', at: 100 });
  });

  it('a failure the policy does not handle is the answer: the others are aborted', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 10, handle: Transient, clock });
    const fatal = new Fatal('404');
    const dep = fakeDependency(clock, (i) => (i === 0 ? { ms: 100 } : { ms: 5, error: fatal }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: false, value: fatal, at: 15 });
    expect(dep.calls[0]?.state).toBe('aborted');
  });

  it('an execution rejection ends only its attempt; with nothing else running the call fails with it', async () => {
    const clock = new VirtualClock();
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    const policy = hedging({ delay: 10, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, () => ({ ms: 100, value: 'primary' }));
    // The hedge finds the one slot taken by the first attempt: rejected, the first attempt goes on.
    const r = await settle(clock, pipeline(policy, slots).execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 'primary', at: 100 });
    expect(events.map((e) => e.type)).toEqual(['hedge', 'hedge-won']);
    expect(events[1]).toMatchObject({ attempt: 1, attempts: 2 });
    // A rejected first attempt with nothing else running fails the call at once, with no hedge.
    const held = pipeline(slots).execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(1), 1_000)));
    const rejected = await settle(clock, pipeline(policy, slots).execute(dep.fn));
    expect(rejected.ok).toBe(false);
    expect(rejected.value).toBeInstanceOf(BulkheadRejectedError);
    expect(rejected.at).toBe(100);
    await held;
  });

  it('handleResult: a flagged result starts the next attempt; a flagged last result resolves the call', async () => {
    const clock = new VirtualClock();
    const policy = hedging<{ status: number }>({ delay: Number.POSITIVE_INFINITY, handleResult: (r) => r.status >= 500, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, () => ({ ms: 10, value: { status: 503 } }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: { status: 503 }, at: 20 });
    expect(events).toMatchObject([{ type: 'hedge', trigger: 'failure', result: { status: 503 } }]);
  });

  it('maxHedgedAttempts: 0 runs the call once', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 0, maxHedgedAttempts: 0, clock });
    const dep = fakeDependency(clock, () => ({ ms: 10, error: new Transient() }));
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r.ok).toBe(false);
    expect(dep.calls).toHaveLength(1);
  });
});

describe('hedging: cancellation', () => {
  it("the caller's abort aborts every attempt and settles the call at once; no timer or listener is left", async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 30, maxHedgedAttempts: 2, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, () => ({ ms: 1_000 }), false);
    const caller = new CountingController();
    const call = policy.execute(dep.fn, { signal: caller.signal });
    let state = 'pending';
    call.catch((e: unknown) => (state = e === 'stop' ? 'aborted' : 'other'));
    await clock.advance(45);
    expect(dep.calls).toHaveLength(2);
    caller.abort('stop');
    await Promise.resolve();
    await Promise.resolve();
    expect(state).toBe('aborted');
    expect(dep.calls.every((c) => c.signal.aborted && c.signal.reason === 'stop')).toBe(true);
    expect(caller.listeners).toBe(0);
    expect(clock.now()).toBe(45);
    expect(timerServiceFor(clock).pending).toBe(0);
    await clock.runAll(); // the attempts that ignored their signal end, unheard
    expect(dep.calls).toHaveLength(2);
    expect(events.map((e) => e.type)).toEqual(['hedge']);
  });

  it('an enclosing timeout cancels every attempt', async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, () => ({ ms: 1_000 }));
    const p = pipeline(timeout({ duration: 50, clock }), hedging({ delay: 20, maxHedgedAttempts: 3, clock }));
    const r = await settle(clock, p.execute(dep.fn));
    expect(r.ok).toBe(false);
    expect(isTimeoutError(r.value)).toBe(true);
    expect(r.at).toBe(50);
    expect(dep.calls.map((c) => c.startedAt)).toEqual([0, 20, 40]);
    expect(dep.calls.every((c) => c.state === 'aborted')).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('a timeout inside hedging bounds each attempt on its own', async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 1_000 : 10, value: i }));
    const p = pipeline(hedging({ delay: Number.POSITIVE_INFINITY, clock }), timeout({ duration: 50, clock }));
    const r = await settle(clock, p.execute(dep.fn));
    expect(r).toEqual({ ok: true, value: 1, at: 60 });
  });

  it('a call whose signal is already aborted does not run', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    ac.abort('early');
    const inner = hedging({ delay: 10, clock });
    let ran = 0;
    await expect(inner.execute(() => ran++, { signal: ac.signal })).rejects.toBe('early');
    expect(ran).toBe(0);
  });
});

describe('hedging: budget', () => {
  it('a hedge the budget refuses does not start; the call goes on and hedges no more', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0.5, minPerSecond: 0, window: 10_000, clock });
    const policy = hedging({ delay: 10, maxHedgedAttempts: 2, budget, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, () => ({ ms: 100, value: 'slow' }));
    const r = await settle(clock, policy.execute(dep.fn));
    // 1 call → 0.5 extra attempts allowed: none.
    expect(r).toEqual({ ok: true, value: 'slow', at: 100 });
    expect(dep.calls).toHaveLength(1);
    expect(events).toMatchObject([{ type: 'hedge-budget-exhausted', attempt: 2 }]);
    const second = await settle(clock, policy.execute(dep.fn));
    expect(second.ok).toBe(true);
    // 2 calls → 1 extra attempt: the second call's first hedge, not its second.
    expect(dep.calls).toHaveLength(3);
    expect(budget.stats).toMatchObject({ calls: 2, retries: 1 });
  });

  it('a budget on another clock is refused, and a budget or an adaptive delay pins the clock', () => {
    const clock = new VirtualClock();
    expect(() => hedging({ delay: 10, budget: retryBudget({ clock }) })).toThrow(/budget/);
    expect(() => pipeline({ clock }, hedging({ delay: { percentile: 90 } }))).toThrow(/one clock/);
    expect(() => pipeline({ clock }, hedging({ delay: 10 }))).not.toThrow();
  });
});

describe('hedging: delays', () => {
  it('a delay function gets the attempt and the context; one that throws is reported and hedges on failures only', async () => {
    const clock = new VirtualClock();
    const seen: [number, string][] = [];
    const policy = hedging({
      delay: (info) => {
        seen.push([info.attempt, info.context.operation]);
        if (info.attempt === 3) throw new Error('no delay');
        return 10 * info.attempt;
      },
      maxHedgedAttempts: 2,
      clock,
    });
    const reported: string[] = [];
    const sub = onCallbackError((_e, source) => reported.push(source));
    try {
      const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 1_000 : 500, value: i }));
      const r = await settle(clock, policy.execute(dep.fn, { operation: 'top' }));
      expect(r).toEqual({ ok: true, value: 1, at: 520 });
      expect(dep.calls.map((c) => c.startedAt)).toEqual([0, 20]);
      expect(seen).toEqual([
        [2, 'top'],
        [3, 'top'],
      ]);
      expect(reported).toEqual(['hedging "hedging" delay']);
      expect(policy.currentDelay).toBeUndefined();
    } finally {
      sub.dispose();
    }
  });

  it('adaptive: warm-up delay first, then the percentile of the first attempts, clamped to [min, max]', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: { percentile: 90, window: 10, minSamples: 10, warmUpDelay: 500, min: 5, max: 80 }, clock });
    expect(policy.currentDelay).toBe(500);
    // Latencies 10, 20, … 100 ms: p90 of ten = the 9th = 90 ms, capped to 80.
    for (let i = 1; i <= 10; i++) {
      const dep = fakeDependency(clock, () => ({ ms: i * 10 }));
      await settle(clock, policy.execute(dep.fn));
      expect(dep.calls).toHaveLength(1); // the warm-up delay (500 ms) never passed
    }
    expect(policy.currentDelay).toBe(80);
    // Ten 1 ms answers push the old ones out: p90 = 1 ms, raised to 5.
    for (let i = 0; i < 10; i++) await settle(clock, policy.execute(fakeDependency(clock, () => ({ ms: 1 })).fn));
    expect(policy.currentDelay).toBe(5);
    // Now a 50 ms first attempt is hedged after 5 ms.
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 50 : 2 }));
    const start = clock.now();
    const r = await settle(clock, policy.execute(dep.fn));
    expect(r.at - start).toBe(7);
    // The cancelled first attempt counts as at least 7 ms slow.
    expect(policy.window?.samples).toBe(10);
  });

  it('adaptive with default settings hedges the slow tail of a seeded dependency', async () => {
    const clock = new VirtualClock();
    const random = seededRandom(5);
    const policy = hedging({ delay: { percentile: 95 }, clock });
    let hedges = 0;
    policy.on('hedge', () => hedges++);
    const dep = fakeDependency(clock, () => ({ ms: random() < 0.97 ? 5 + Math.floor(random() * 10) : 1_000 }));
    const durations: number[] = [];
    for (let i = 0; i < 400; i++) {
      const start = clock.now();
      await settle(clock, policy.execute(dep.fn));
      durations.push(clock.now() - start);
    }
    expect(policy.currentDelay).toBeGreaterThanOrEqual(10);
    expect(policy.currentDelay).toBeLessThanOrEqual(1_000);
    expect(percentile(durations.slice(100), 99)).toBeLessThan(100);
    expect(hedges).toBeLessThanOrEqual(40);
  });
});

describe('hedging: actions per attempt', () => {
  it('hedgedActions sends each attempt to its own action (the last repeats)', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 10, maxHedgedAttempts: 2, clock });
    const hits: string[] = [];
    const endpoint = (name: string, ms: number) => (ctx: ExecutionContext) =>
      new Promise<string>((resolve) => {
        hits.push(`${name}#${ctx.attempt}`);
        clock.setTimeout(() => resolve(name), ms);
      });
    const read = hedgedActions(endpoint('primary', 100), endpoint('replica', 100));
    const r = await settle(clock, policy.execute(read));
    expect(r.value).toBe('primary');
    expect(hits).toEqual(['primary#1', 'replica#2', 'replica#3']);
    expect(() => hedgedActions(...([] as unknown as [() => 1]))).toThrow(TypeError);
  });

  it('inside a retry, every retry attempt hedges with attempts numbered from 1', async () => {
    const clock = new VirtualClock();
    const p = pipeline(retry({ maxAttempts: 2, delay: 5, jitter: 'none', clock }), hedging({ delay: Number.POSITIVE_INFINITY, clock }));
    const attempts: number[] = [];
    await settle(
      clock,
      p.execute((ctx) => {
        attempts.push(ctx.attempt);
        return Promise.reject(new Transient());
      }),
    );
    expect(attempts).toEqual([1, 2, 1, 2]);
  });
});

describe('hedging: describe', () => {
  it('describes its options', () => {
    const clock = new VirtualClock();
    expect(hedging({ delay: 30, clock }).describe()).toEqual({
      kind: 'hedging',
      name: 'hedging',
      options: { maxHedgedAttempts: 1, delay: 30, handle: 'every error', handleResult: 'none', budget: 'none' },
    });
    const adaptive = hedging({ name: 'reads', delay: { percentile: 99 }, budget: retryBudget({ ratio: 0.1 }), handle: () => true });
    expect(adaptive.describe().options).toEqual({
      maxHedgedAttempts: 1,
      delay: { percentile: 99, window: 500, minSamples: 100, warmUpDelay: Number.POSITIVE_INFINITY, min: 0, max: Number.POSITIVE_INFINITY },
      handle: 'custom',
      handleResult: 'none',
      budget: { ratio: 0.1, minPerSecond: 10, window: 10_000 },
    });
  });
});
