/**
 * Rules of the retry policy that the mutation run (issue #23) found unpinned: a failure
 * `handle` refuses on a later attempt, the edges of `retryAfter` and of a custom backoff,
 * a rejection's own pushback, whole-millisecond wake-ups, and the promise-native path.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokenCircuitError, isOptionsValidationError } from '../core/errors';
import type { Subscription } from '../core/events';
import { pipeline } from '../core/policy';
import { onCallbackError } from '../core/report';
import { VirtualClock } from '../testing/virtual-clock';
import { retryBudget } from './budget';
import { RetryEvents, type GiveUpEvent } from './events';
import { retry, type RetryPolicy } from './retry';
import { settle } from '../../test/support/promises';
import { recordRetryEvents as record } from '../../test/support/retry-helpers';
import { lateHedgedCall } from '../../test/support/test-strategies';

class Transient extends Error {}
class Fatal extends Error {}



/** Runs a call that always fails with Transient; returns when each attempt started (virtual ms from the call's start). */
async function attemptStarts(clock: VirtualClock, p: RetryPolicy): Promise<number[]> {
  const starts: number[] = [];
  const t0 = clock.now();
  const r = settle(
    p.execute(() => {
      starts.push(clock.now() - t0);
      throw new Transient();
    }),
  );
  await clock.runAll();
  expect(r.state()).toBe('error');
  return starts;
}

/** Captures what user callbacks reported through `reportInternalError`. */
const reports: { error: unknown; source: string }[] = [];
let sub: Subscription | undefined;
function captureReports(): typeof reports {
  reports.length = 0;
  sub = onCallbackError((error, source) => reports.push({ error, source }));
  return reports;
}

afterEach(() => {
  sub?.dispose();
  sub = undefined;
  vi.restoreAllMocks();
});


/**
 * Runs one call through `p` whose every attempt rejects with `error`, to its end on `clock`;
 * checks that the call rejects with that error and returns when each attempt started.
 */
async function startsOfFailingCall(p: RetryPolicy, clock: VirtualClock, error: unknown): Promise<number[]> {
  const starts: number[] = [];
  const r = settle(
    p.execute(() => {
      starts.push(clock.now());
      return Promise.reject(error);
    }),
  );
  await clock.runAll();
  expect(r.value()).toBe(error);
  return starts;
}

describe('retry: a failure handle refuses after the first attempt', () => {
  it('ends the call on attempt 2 with that failure and give-up reason not-handled (no third attempt)', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 5, delay: 10, jitter: 'none', handle: [Transient] });
    const events = record(p);
    const fatal = new Fatal('stop');
    const fn = vi.fn().mockRejectedValueOnce(new Transient('again')).mockRejectedValueOnce(fatal).mockResolvedValue('never');
    const r = settle(p.execute(fn));
    await clock.runAll();
    expect(fn).toHaveBeenCalledTimes(2);
    expect(r.state()).toBe('error');
    expect(r.value()).toBe(fatal);
    expect(events.map((e) => e.type)).toEqual(['retry', 'give-up']);
    expect(events[1]).toMatchObject({ type: 'give-up', attempts: 2, reason: 'not-handled', error: fatal });
  });

  it('the same without listeners (the promise-native path): attempt 2 refused ends the call', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 5, delay: 10, jitter: 'none', handle: (e) => e instanceof Transient });
    const fatal = new Fatal('stop');
    const fn = vi.fn().mockRejectedValueOnce(new Transient()).mockRejectedValueOnce(fatal).mockResolvedValue('never');
    const r = settle(p.execute(fn));
    await clock.runAll();
    expect(fn).toHaveBeenCalledTimes(2);
    expect(r.value()).toBe(fatal);
  });

  it('a caller who cancels during attempt 2 gets give-up reason aborted, not not-handled', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 5, delay: 10, jitter: 'none' });
    const events = record(p);
    const ac = new AbortController();
    const last = new Transient('second');
    const fn = vi.fn((ctx: { attempt: number }) => {
      if (ctx.attempt === 2) {
        ac.abort(new Error('left'));
        throw last;
      }
      throw new Transient('first');
    });
    const r = settle(p.execute(fn, { signal: ac.signal }));
    await clock.runAll();
    expect(fn).toHaveBeenCalledTimes(2);
    expect(r.value()).toBe(last);
    expect(events.at(-1)).toMatchObject({ type: 'give-up', attempts: 2, reason: 'aborted', error: last });
  });
});

describe('retry: retryAfter edges', () => {
  it('retryAfter 0 retries at once (0 is a delay, not a refusal)', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 3, delay: 500, jitter: 'none', retryAfter: () => 0 });
    const events = record(p);
    expect(await attemptStarts(clock, p)).toEqual([0, 0, 0]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.delay : -1))).toEqual([0, 0]);
  });

  it('retryAfter exactly maxDelay is honoured; 1 ms more ends the retries', async () => {
    const clock = new VirtualClock();
    expect(await attemptStarts(clock, retry({ clock, maxAttempts: 2, delay: 10, maxDelay: 1_000, retryAfter: () => 1_000 }))).toEqual([0, 1_000]);
    expect(await attemptStarts(clock, retry({ clock, maxAttempts: 2, delay: 10, maxDelay: 1_000, retryAfter: () => 1_000.5 }))).toEqual([0]);
  });

  it('property: any retryAfter answer in [0, maxDelay] is the delay; any answer outside it ends the retries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.oneof(fc.double({ min: -5_000, max: 20_000, noNaN: true }), fc.constantFrom(-0, 0, -1e-9)),
        async (maxDelay, answer) => {
          const clock = new VirtualClock();
          const p = retry({ clock, maxAttempts: 2, delay: 0, maxDelay, jitter: 'none', retryAfter: () => answer });
          const events = record(p);
          await attemptStarts(clock, p);
          const retried = events.find((e) => e.type === 'retry');
          if (answer >= 0 && answer <= maxDelay) {
            expect(retried).toMatchObject({ delay: answer });
          } else {
            expect(retried).toBeUndefined();
            expect(events.at(-1)).toMatchObject({ type: 'give-up', reason: 'not-handled', attempts: 1 });
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an undefined answer falls back to the backoff without reporting anything', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const p = retry({ clock, maxAttempts: 3, delay: 40, jitter: 'none', retryAfter: () => undefined });
    expect(await attemptStarts(clock, p)).toEqual([0, 40, 120]);
    expect(seen).toEqual([]);
  });

  it('a NaN or non-number answer is reported as a TypeError naming the value, and the backoff is used', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const nan = retry({ clock, maxAttempts: 2, delay: 40, jitter: 'none', retryAfter: () => Number.NaN });
    expect(await attemptStarts(clock, nan)).toEqual([0, 40]);
    const text = retry({ clock, maxAttempts: 2, delay: 70, jitter: 'none', retryAfter: () => '250' as unknown as number });
    expect(await attemptStarts(clock, text)).toEqual([0, 70]);
    expect(seen).toHaveLength(2);
    expect(seen.map((r) => r.source)).toEqual(['retryAfter', 'retryAfter']);
    expect(seen[0]?.error).toBeInstanceOf(TypeError);
    expect((seen[0]?.error as Error).message).toBe('retryAfter returned NaN, not a number');
    expect((seen[1]?.error as Error).message).toBe('retryAfter returned 250, not a number');
  });

  it('a retryAfter that throws is reported under its name and the backoff is used', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const bug = new Error('header parser bug');
    const p = retry({
      clock,
      maxAttempts: 2,
      delay: 30,
      jitter: 'none',
      retryAfter: () => {
        throw bug;
      },
    });
    expect(await attemptStarts(clock, p)).toEqual([0, 30]);
    expect(seen).toEqual([{ error: bug, source: 'retryAfter' }]);
  });
});

describe('retry: a custom backoff', () => {
  it('a backoff function returning 0 retries at once', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 3, backoff: () => 0 });
    const events = record(p);
    expect(await attemptStarts(clock, p)).toEqual([0, 0, 0]);
    expect(events.at(-1)).toMatchObject({ type: 'give-up', reason: 'max-attempts', attempts: 3 });
  });

  it('property: a backoff answer d ≥ 0 sleeps min(d, maxDelay); a negative one ends the retries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5_000 }), fc.double({ min: -1_000, max: 10_000, noNaN: true }), async (maxDelay, d) => {
        const clock = new VirtualClock();
        const p = retry({ clock, maxAttempts: 2, maxDelay, backoff: () => d });
        const events = record(p);
        await attemptStarts(clock, p);
        const retried = events.find((e) => e.type === 'retry');
        if (d < 0) {
          expect(retried).toBeUndefined();
        } else {
          expect(retried?.type).toBe('retry');
          // `+ 0`: a -0 answer sleeps 0 ms like 0 does.
          expect((retried as { delay: number }).delay + 0).toBe(Math.min(d, maxDelay) + 0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a backoff function answering a non-number is reported with the value, and ends the retries', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const fn = vi.fn().mockRejectedValue(new Transient());
    await expect(retry({ clock, backoff: () => '5' as unknown as number }).execute(fn)).rejects.toBeInstanceOf(Transient);
    await expect(retry({ clock, backoff: () => Number.NaN }).execute(fn)).rejects.toBeInstanceOf(Transient);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(seen.map((r) => [r.source, (r.error as Error).message])).toEqual([
      ['the backoff function', 'the backoff function returned 5, not a number'],
      ['the backoff function', 'the backoff function returned NaN, not a number'],
    ]);
    expect(seen[0]?.error).toBeInstanceOf(TypeError);
  });

  it('a backoff function that throws is reported under its name', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const bug = new Error('bug');
    const fn = vi.fn().mockRejectedValue(new Transient());
    const p = retry({
      clock,
      backoff: () => {
        throw bug;
      },
    });
    await expect(p.execute(fn)).rejects.toBeInstanceOf(Transient);
    expect(seen).toEqual([{ error: bug, source: 'the backoff function' }]);
  });

  it('a random source that throws is reported as the random function and ends the retries', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const bug = new Error('entropy gone');
    const p = retry({
      clock,
      delay: 10,
      jitter: 'full',
      random: () => {
        throw bug;
      },
    });
    const events = record(p);
    const fn = vi.fn().mockRejectedValue(new Transient());
    const r = settle(p.execute(fn));
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([{ error: bug, source: 'the random function' }]);
    expect(events).toMatchObject([{ type: 'give-up', reason: 'not-handled', attempts: 1 }]);
  });

  it('a backoff function with no maxDelay is capped at the default 30 000 ms', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 2, backoff: () => 1e9 });
    expect(p.maxDelay).toBe(30_000);
    expect(await attemptStarts(clock, p)).toEqual([0, 30_000]);
  });
});

describe("retry: an execution rejection's own pushback (retryRejections)", () => {
  it('a pushback of 0 (a half-open rejection) is not a delay: the backoff is used', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 2, delay: 100, jitter: 'none', retryRejections: true });
    const starts: number[] = [];
    const fn = vi.fn(() => {
      starts.push(clock.now());
      return starts.length === 1 ? Promise.reject(new BrokenCircuitError('b', 'half-open', 0)) : Promise.resolve('ok');
    });
    const r = settle(p.execute(fn));
    await clock.runAll();
    expect(r.value()).toBe('ok');
    expect(starts).toEqual([0, 100]);
  });

  it('a pushback of exactly maxDelay is honoured; a larger one ends the retries', async () => {
    const clock = new VirtualClock();
    const run = async (pushback: number): Promise<number[]> => {
      const p = retry({ clock, maxAttempts: 2, delay: 10, maxDelay: 800, jitter: 'none', retryRejections: true });
      const starts: number[] = [];
      const t0 = clock.now();
      const open = new BrokenCircuitError('b', 'open', pushback);
      const r = settle(
        p.execute(() => {
          starts.push(clock.now() - t0);
          return Promise.reject(open);
        }),
      );
      await clock.runAll();
      expect(r.value()).toBe(open);
      return starts;
    };
    expect(await run(800)).toEqual([0, 800]);
    expect(await run(801)).toEqual([0]);
  });

  it('a rejection without a numeric pushback uses the backoff', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 2, delay: 60, jitter: 'none', retryRejections: true });
    const odd = new BrokenCircuitError('b', 'open', 500);
    Object.defineProperty(odd, 'retryAfter', { value: '500' });
    expect(await startsOfFailingCall(p, clock, odd)).toEqual([0, 60]);
  });
});

describe('retry: sleeps end on whole milliseconds', () => {
  it('a fractional sleep that would end at the deadline once rounded up is not started', async () => {
    const clock = new VirtualClock();
    // full jitter × 0.995 on 100 ms: a 99.5 ms sleep, which the timer service ends at 100.
    const p = retry({ clock, maxAttempts: 3, delay: 100, jitter: 'full', random: () => 0.995 });
    const events = record(p);
    const starts: number[] = [];
    const r = settle(
      p.execute(
        () => {
          starts.push(clock.now());
          throw new Transient();
        },
        { deadline: 100 },
      ),
    );
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(starts).toEqual([0]);
    expect(events).toMatchObject([{ type: 'give-up', reason: 'deadline', attempts: 1 }]);
  });

  it('a fractional sleep that ends past maxDuration once rounded up is not started', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 3, maxDuration: 99, delay: 100, jitter: 'full', random: () => 0.985 }); // 98.5 → 99: allowed
    expect(await attemptStarts(clock, p)).toEqual([0, 99]);
    const q = retry({ clock, maxAttempts: 3, maxDuration: 98, delay: 100, jitter: 'full', random: () => 0.975 }); // 97.5 → 98: allowed
    expect(await attemptStarts(clock, q)).toEqual([0, 98]);
    const tooLong = retry({ clock, maxAttempts: 3, maxDuration: 98, delay: 100, jitter: 'full', random: () => 0.985 }); // 98.5 → 99 > 98
    expect(await attemptStarts(clock, tooLong)).toEqual([0]);
  });
});

describe('retry: the promise-native path (no listener)', () => {
  it('measures maxDuration from the call start on a clock that is not at 0', async () => {
    const clock = new VirtualClock(1_000_000);
    const p = retry({ clock, maxAttempts: 10, maxDuration: 300, delay: 100, jitter: 'none' });
    expect(await attemptStarts(clock, p)).toEqual([0, 100, 300]);
  });

  it('counts the call in the shared budget, success or not', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ clock });
    const p = retry({ clock, budget });
    await expect(p.execute(() => 'ok')).resolves.toBe('ok');
    expect(budget.stats).toMatchObject({ calls: 1, retries: 0 });
    const r = settle(p.execute(vi.fn().mockRejectedValueOnce(new Transient()).mockResolvedValueOnce('second')));
    await clock.runAll();
    expect(r.value()).toBe('second');
    expect(budget.stats).toMatchObject({ calls: 2, retries: 1 });
  });

  it('a budget in the chain path counts each call once, too', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ clock });
    const p = retry({ clock, budget });
    record(p);
    await expect(p.execute(() => 1)).resolves.toBe(1);
    await expect(pipeline(p).execute(() => 2)).resolves.toBe(2);
    expect(budget.stats).toMatchObject({ calls: 2, retries: 0 });
  });
});

describe('retry: attempt numbers of nested retries', () => {
  it('an inner retry numbers its own attempts from 1 within each outer attempt', async () => {
    const clock = new VirtualClock();
    const outer = retry({ clock, maxAttempts: 2, delay: 1, jitter: 'none', name: 'outer' });
    const inner = retry({ clock, maxAttempts: 2, delay: 1, jitter: 'none', name: 'inner' });
    const seen: number[] = [];
    const r = settle(
      pipeline(outer, inner).execute((ctx) => {
        seen.push(ctx.attempt);
        throw new Transient();
      }),
    );
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(seen).toEqual([1, 2, 1, 2]);
  });
});

describe('retry: clock and description', () => {
  it('a retry with a budget keeps time (pins its clock); one without follows the pipeline', () => {
    const virtual = new VirtualClock();
    expect(retry().pinnedClock).toBeUndefined();
    expect(pipeline({ clock: virtual }, retry()).clock).toBe(virtual);
    const withBudget = retry({ budget: retryBudget() });
    expect(withBudget.pinnedClock).toBe(withBudget.clock);
    let error: unknown;
    try {
      pipeline({ clock: virtual }, withBudget);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['policies[0].clock']);
  });

  it('describes a function backoff by name, custom callbacks and the budget', () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0.5, minPerSecond: 3, window: 2_000, clock });
    function linearish(): number {
      return 5;
    }
    expect(
      retry({ clock, backoff: linearish, maxDelay: 700, handle: () => true, handleResult: () => false, retryAfter: () => undefined, maxDuration: 9_000, budget }).describe()
        .options,
    ).toEqual({
      maxAttempts: 3,
      backoff: 'function linearish',
      maxDelay: 700,
      handle: 'custom',
      retryRejections: false,
      handleResult: 'custom',
      retryAfter: 'custom',
      maxDuration: 9_000,
      budget: { ratio: 0.5, minPerSecond: 3, window: 2_000 },
    });
    expect(retry({ backoff: (() => () => 1)() }).describe().options).toMatchObject({ backoff: 'function (anonymous)', maxDelay: 30_000 });
    expect(retry().describe()).toEqual({
      kind: 'retry',
      name: 'retry',
      options: {
        maxAttempts: 3,
        backoff: { kind: 'exponential', delay: 200, factor: 2, maxDelay: 30_000, jitter: 'full' },
        maxDelay: 30_000,
        handle: 'every error',
        retryRejections: false,
        handleResult: 'none',
        retryAfter: 'none',
        maxDuration: Number.POSITIVE_INFINITY,
        budget: 'none',
      },
    });
  });

  it('give-up for a flagged result carries the result and no error', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 2, delay: 1, handleResult: (v: number) => v < 0 });
    const events: GiveUpEvent[] = [];
    p.on('give-up', (e) => events.push(e));
    const r = settle(p.execute(() => -7));
    await clock.runAll();
    expect(r.value()).toBe(-7);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attempts: 2, reason: 'max-attempts', error: undefined, result: -7 });
    expect('result' in (events[0] as object)).toBe(true);
  });
});

describe('retry: the call ends its signals (abortOnSettle)', () => {
  it('alone, the signal an attempt read aborts once the call settles, after one attempt or several', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 2, delay: 5, jitter: 'none' });
    const signals: AbortSignal[] = [];
    await p.execute(
      (ctx) => {
        signals.push(ctx.signal);
        return 'ok';
      },
      { abortOnSettle: true },
    );
    expect(signals.map((s) => s.aborted)).toEqual([true]);
    const r = settle(
      p.execute(
        (ctx) => {
          signals.push(ctx.signal);
          throw new Transient();
        },
        { abortOnSettle: true },
      ),
    );
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(signals.map((s) => s.aborted)).toEqual([true, true, true]);
  });
});

describe('retry: event names', () => {
  it('each name in RetryEvents selects the event of that type', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0, minPerSecond: 0.1, window: 10_000, clock }); // one retry per window
    const p = retry({ clock, budget, maxAttempts: 3, delay: 1, jitter: 'none' });
    const heard: string[] = [];
    for (const name of [RetryEvents.retry, RetryEvents.giveUp, RetryEvents.budgetExhausted]) p.on(name, (e) => heard.push(`${name}=${e.type}`));
    const r = settle(p.execute(() => Promise.reject(new Transient())));
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(heard).toEqual(['retry=retry', 'budget-exhausted=budget-exhausted', 'give-up=give-up']);
  });
});

describe('retry: which failures retryRejections lets in', () => {
  it('without handle, retryRejections: true retries ordinary errors and rejections alike', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 3, delay: 1, jitter: 'none', retryRejections: true });
    const fn = vi.fn().mockRejectedValueOnce(new Transient()).mockRejectedValueOnce(new BrokenCircuitError('b', 'half-open', 0)).mockResolvedValue('third');
    const r = settle(p.execute(fn));
    await clock.runAll();
    expect(r.value()).toBe('third');
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('with a handle, retryRejections: true retries every rejection but only the errors handle selects', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 3, delay: 1, jitter: 'none', retryRejections: true, handle: [Transient] });
    const fatal = new Fatal('no');
    const fn = vi.fn().mockRejectedValueOnce(new BrokenCircuitError('b', 'half-open', 0)).mockRejectedValueOnce(new Transient()).mockRejectedValueOnce(fatal);
    const r = settle(p.execute(fn));
    await clock.runAll();
    expect(fn).toHaveBeenCalledTimes(3);
    expect(r.value()).toBe(fatal);
    const q = retry({ clock, maxAttempts: 3, delay: 1, retryRejections: true, handle: [Transient] });
    const g = vi.fn().mockRejectedValue(fatal);
    await expect(q.execute(g)).rejects.toBe(fatal);
    expect(g).toHaveBeenCalledTimes(1);
  });
});

describe('retry: what a backoff function and retryAfter learn', () => {
  it('the failure is the error, or the result handleResult flagged; the outcome and the previous delay come with it', async () => {
    const clock = new VirtualClock();
    type Reply = { status: number; retryAfterMs?: number };
    const busy: Reply = { status: 503, retryAfterMs: 70 };
    const boom = new Transient('boom');
    const seen: { failure: unknown; outcome: unknown; attempt: number; previousDelay: number }[] = [];
    const p = retry<Reply>({
      clock,
      maxAttempts: 3,
      backoff: (info) => {
        seen.push({ failure: info.failure, outcome: info.outcome, attempt: info.attempt, previousDelay: info.previousDelay });
        return 25;
      },
      handleResult: (r) => r.status === 503,
      retryAfter: (failure) => (failure as Reply | undefined)?.retryAfterMs,
    });
    const fn = vi.fn().mockResolvedValueOnce(busy).mockRejectedValueOnce(boom).mockResolvedValueOnce({ status: 200 });
    const starts: number[] = [];
    const r = settle(
      p.execute(() => {
        starts.push(clock.now());
        return fn() as Promise<Reply>;
      }),
    );
    await clock.runAll();
    expect(r.value()).toEqual({ status: 200 });
    // The flagged reply's own pushback (70 ms), then the backoff (25 ms) for the error, which has none.
    expect(starts).toEqual([0, 70, 95]);
    expect(seen).toEqual([{ failure: boom, outcome: { ok: false, error: boom }, attempt: 2, previousDelay: 70 }]);
  });

  it('a backoff function hears about a flagged result as the failure', async () => {
    const clock = new VirtualClock();
    const failures: unknown[] = [];
    const p = retry<number>({
      clock,
      maxAttempts: 2,
      backoff: (info) => {
        failures.push(info.failure);
        return 1;
      },
      handleResult: (v) => v < 0,
    });
    const r = settle(p.execute(vi.fn().mockResolvedValueOnce(-3).mockResolvedValueOnce(4)));
    await clock.runAll();
    expect(r.value()).toBe(4);
    expect(failures).toEqual([-3]);
  });
});

describe('retry: nothing to report', () => {
  it('a policy without retryAfter reports no callback error while it retries', async () => {
    const clock = new VirtualClock();
    const seen = captureReports();
    const p = retry({ clock, maxAttempts: 3, delay: 10, jitter: 'none' });
    expect(await attemptStarts(clock, p)).toEqual([0, 10, 30]);
    expect(seen).toEqual([]);
  });
});

describe("retry: only an execution rejection's pushback is honoured", () => {
  it('with retryRejections, an ordinary error that carries a retryAfter field still sleeps the backoff', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 2, delay: 10, jitter: 'none', retryRejections: true });
    const odd = Object.assign(new Transient('has a field'), { retryAfter: 500 });
    expect(await startsOfFailingCall(p, clock, odd)).toEqual([0, 10]);
  });
});

describe('retry: the first attempt alone costs no clock read', () => {
  it('alone and unheard, a first success reads no clock unless maxDuration needs one', async () => {
    const clock = new VirtualClock();
    const now = vi.spyOn(clock, 'now');
    await expect(retry({ clock }).execute(() => 'ok')).resolves.toBe('ok');
    await expect(retry({ clock }).execute(async () => 'async')).resolves.toBe('async');
    expect(now).not.toHaveBeenCalled();
    await expect(retry({ clock, maxDuration: 1_000 }).execute(() => 'bounded')).resolves.toBe('bounded');
    expect(now).toHaveBeenCalledTimes(1);
    expect(clock.pending).toBe(0);
  });
});


describe('retry: the attempt count of the call', () => {
  it("a retry's first attempt keeps the count an outer hedging raised meanwhile (the executed event's attempts)", async () => {
    const clock = new VirtualClock();
    // The hedging starts attempt 2 at 10 ms; attempt 1 reaches the retry only at 20 ms and
    // succeeds at 21 ms: the call made two attempts, though the winner is attempt 1.
    expect(await lateHedgedCall(clock, retry({ clock }))).toEqual({ value: 1, attempts: [2] });
  });
});
