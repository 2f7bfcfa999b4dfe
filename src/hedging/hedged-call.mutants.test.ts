/**
 * Rules of one hedged call that mutation testing (issue #23) found unpinned by the other
 * hedging tests: the losers' abort reason (with and without `DOMException`), a budget's
 * refusal ends the call's hedging for good, a zero delay starts every attempt at once, which
 * outcomes count as a won hedge, which latencies an adaptive delay learns from, a call whose
 * scope aborted before the policy ran, and the call's attempt count under nested hedging.
 * Every test runs on the virtual clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { BulkheadRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { fakeDependency } from '../../test/support/hedging-dependency';
import { lateHedgedCall, LatePolicy } from '../../test/support/test-strategies';
import type { HedgingEvent } from './events';
import { hedging, type HedgingPolicy } from './hedging';

class Transient extends Error {}
class Fatal extends Error {}

function record(policy: HedgingPolicy): string[] {
  const types: string[] = [];
  policy.onEvent((e) => {
    if (e.kind === 'hedging') types.push(`${e.type}:${(e as HedgingEvent & { attempt?: number }).attempt ?? ''}`);
  });
  return types;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('a hedged call: the losers', () => {
  it("a loser's signal aborts with a DOMException AbortError that says another attempt answered first", async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 1_000 : 10, value: i }));
    const call = hedging({ delay: 30, clock }).execute(dep.fn);
    await clock.runAll();
    await expect(call).resolves.toBe(1);
    const reason = dep.calls[0]?.signal.reason as DOMException;
    expect(reason).toBeInstanceOf(DOMException);
    expect([reason.name, reason.message]).toEqual(['AbortError', 'Another hedged attempt answered first']);
  });

  it('on a runtime without DOMException, the reason is an Error named AbortError with the same message', async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 1_000 : 10, value: i }));
    const call = hedging({ delay: 30, clock }).execute(dep.fn);
    vi.stubGlobal('DOMException', undefined);
    await clock.runAll();
    vi.unstubAllGlobals();
    await expect(call).resolves.toBe(1);
    const reason = dep.calls[0]?.signal.reason as Error;
    expect(reason).toBeInstanceOf(Error);
    expect([reason.name, reason.message]).toEqual(['AbortError', 'Another hedged attempt answered first']);
  });
});

describe('a hedged call: a zero delay', () => {
  it('starts every attempt synchronously inside execute(), before any timer', async () => {
    const clock = new VirtualClock();
    const dep = fakeDependency(clock, (i) => ({ ms: 10 + i, value: i }));
    const call = hedging({ delay: 0, maxHedgedAttempts: 2, clock }).execute(dep.fn);
    expect(dep.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    await clock.runAll();
    await expect(call).resolves.toBe(0);
  });
});

describe('a hedged call: the budget', () => {
  it('once the budget refuses a hedge, the call never asks it again, not even after a handled failure', async () => {
    const clock = new VirtualClock();
    let asked = 0;
    const budget = { recordCall: (): void => undefined, tryRetry: (): boolean => ++asked > 1, clock };
    const policy = hedging({ delay: 10, maxHedgedAttempts: 2, budget, clock });
    const events = record(policy);
    const dep = fakeDependency(clock, () => ({ ms: 50, error: new Transient('down') }));
    const call = policy.execute(dep.fn);
    const settled = call.catch((e: unknown) => e);
    await clock.runAll();
    expect(await settled).toBeInstanceOf(Transient);
    expect(asked).toBe(1);
    expect(dep.calls).toHaveLength(1);
    expect(events).toEqual(['hedge-budget-exhausted:2']);
  });
});

describe('a hedged call: which answer is a won hedge', () => {
  it('an execution rejection that ends the last running attempt fails the call and is no win', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: Number.POSITIVE_INFINITY, clock });
    const events = record(policy);
    const rejected = new BulkheadRejectedError('db', 'full');
    const fn = (ctx: ExecutionContext): Promise<never> =>
      new Promise((_, reject) => clock.setTimeout(() => reject(ctx.attempt === 1 ? new Transient('down') : rejected), 10));
    const settled = policy.execute(fn).catch((e: unknown) => e);
    await clock.runAll();
    expect(await settled).toBe(rejected);
    expect(events).toEqual(['hedge:2']);
  });

  it('with handleResult, a hedge whose result is not flagged wins; a failure the policy does not handle after a hedge is no win', async () => {
    const clock = new VirtualClock();
    const policy = hedging<string>({ delay: 10, handle: Transient, handleResult: (r) => r === 'bad', clock });
    const events = record(policy);
    const good = fakeDependency(clock, (i) => ({ ms: i === 0 ? 100 : 5, value: 'good' }));
    const won = policy.execute(good.fn);
    await clock.runAll();
    await expect(won).resolves.toBe('good');
    expect(events.splice(0)).toEqual(['hedge:2', 'hedge-won:2', 'hedge-losers-cancelled:']);
    const fatal = new Fatal('404');
    const bad = fakeDependency(clock, (i) => (i === 0 ? { ms: 100, value: 'late' } : { ms: 5, error: fatal }));
    const lost = policy.execute(bad.fn).catch((e: unknown) => e);
    await clock.runAll();
    expect(await lost).toBe(fatal);
    expect(events).toEqual(['hedge:2', 'hedge-losers-cancelled:']);
  });
});

describe('a hedged call: the latencies an adaptive delay learns from', () => {
  const adaptive = { percentile: 50, window: 50, minSamples: 1 };

  it('a first attempt cancelled by a winning hedge counts once, as the time it had run; the hedge adds nothing', async () => {
    const clock = new VirtualClock(1_000);
    const policy = hedging({ delay: { ...adaptive, warmUpDelay: 30 }, clock });
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 500 : 12, value: i }));
    const call = policy.execute(dep.fn);
    await clock.runAll();
    await expect(call).resolves.toBe(1);
    expect(policy.window?.samples).toBe(1);
    expect(policy.currentDelay).toBe(42); // the hedge started at 30 and answered 12 ms later
  });

  it('a first attempt that wins over a hedge counts once; the cancelled hedge adds nothing', async () => {
    const clock = new VirtualClock(1_000);
    const policy = hedging({ delay: { ...adaptive, warmUpDelay: 30 }, clock });
    const dep = fakeDependency(clock, (i) => ({ ms: i === 0 ? 40 : 500, value: i }));
    const call = policy.execute(dep.fn);
    await clock.runAll();
    await expect(call).resolves.toBe(0);
    expect(policy.window?.samples).toBe(1);
    expect(policy.currentDelay).toBe(40);
  });
});


describe('a hedged call: aborted before the policy runs', () => {
  it('settles with the abort reason and runs no attempt', async () => {
    const clock = new VirtualClock();
    const caller = new AbortController();
    let ran = 0;
    const call = pipeline(new LatePolicy(clock, 20), hedging({ delay: 10, clock })).execute(
      () => {
        ran++;
        return 'ran';
      },
      { signal: caller.signal },
    );
    const settled = call.catch((e: unknown) => e);
    await clock.advance(5);
    caller.abort('stop');
    await clock.runAll();
    expect(await settled).toBe('stop');
    expect(ran).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('a hedged call: the attempt count of the call', () => {
  it("an inner hedging's first attempt keeps the count an outer hedging raised (the executed event's attempts)", async () => {
    const clock = new VirtualClock();
    // The outer hedging starts attempt 2 at 10 ms; the late strategy hands attempt 1 to the
    // inner hedging only at 20 ms, and it answers at 21 ms: the call made two attempts.
    expect(await lateHedgedCall(clock, hedging({ delay: Number.POSITIVE_INFINITY, clock }))).toEqual({ value: 1, attempts: [2] });
  });
});
