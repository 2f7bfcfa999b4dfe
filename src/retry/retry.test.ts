import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokenCircuitError, BulkheadRejectedError, isBrokenCircuitError } from '../core/errors';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import { VirtualClock, flushMicrotasks } from '../testing/virtual-clock';
import { exponentialBackoff } from './backoff';
import { retryBudget } from './budget';
import { retry } from './retry';
import { settle } from '../../test/support/promises';
import { recordRetryEvents as record } from '../../test/support/retry-helpers';

class Transient extends Error {}
class Fatal extends Error {}



afterEach(() => {
  vi.restoreAllMocks();
});

describe('retry', () => {
  it('returns the first success without retrying, reading no clock and leaving no timer', async () => {
    const clock = new VirtualClock();
    const now = vi.spyOn(clock, 'now');
    const p = retry({ clock });
    p.on('retry', () => undefined); // listeners alone do not cost a clock read on success
    const fn = vi.fn((ctx: ExecutionContext) => ctx.attempt);
    await expect(pipeline(p).execute(fn)).resolves.toBe(1);
    await expect(pipeline(p).execute(async () => 'async')).resolves.toBe('async');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(now).not.toHaveBeenCalled();
    expect(clock.pending).toBe(0);
  });

  it('retries a handled error and sets ctx.attempt for each attempt', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 4, delay: 100, jitter: 'none' });
    const events = record(p);
    const seen: [number, number][] = [];
    const r = settle(
      p.execute((ctx) => {
        seen.push([ctx.attempt, clock.now()]);
        if (ctx.attempt < 3) throw new Transient(`try ${ctx.attempt}`);
        return 'ok';
      }),
    );
    await clock.runAll();
    expect(r.state()).toBe('ok');
    expect(r.value()).toBe('ok');
    expect(seen).toEqual([
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
    expect(events.map((e) => [e.type, e.type === 'retry' ? e.delay : undefined])).toEqual([
      ['retry', 100],
      ['retry', 200],
    ]);
    const first = events[0];
    expect(first?.type === 'retry' && first.attempt).toBe(1);
    expect(first?.type === 'retry' && (first.error as Error).message).toBe('try 1');
  });

  it('rethrows the last failure unchanged after maxAttempts', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 3, delay: 10 });
    const events = record(p);
    const errors: Error[] = [];
    const r = settle(
      p.execute(() => {
        const e = new Transient(`#${errors.length}`);
        errors.push(e);
        return Promise.reject(e);
      }),
    );
    await clock.runAll();
    expect(errors).toHaveLength(3);
    expect(r.state()).toBe('error');
    expect(r.value()).toBe(errors[2]);
    expect(events.at(-1)).toMatchObject({ type: 'give-up', attempts: 3, reason: 'max-attempts', error: errors[2] });
  });

  it('does not retry an error that `handle` does not select', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, handle: [Transient] });
    const events = record(p);
    const fatal = new Fatal('no');
    const fn = vi.fn(() => {
      throw fatal;
    });
    await expect(p.execute(fn)).rejects.toBe(fatal);
    expect(fn).toHaveBeenCalledTimes(1);
    // Retry never considered the failure, so it did not give up on it: no event at all.
    expect(events).toEqual([]);
    const q = retry({ clock, handle: (e) => e instanceof Transient, delay: 1 });
    const g = vi.fn().mockRejectedValueOnce(new Transient()).mockResolvedValueOnce(7);
    const r = settle(q.execute(g));
    await clock.runAll();
    expect(r.value()).toBe(7);
  });

  it('retries a result that `handleResult` flags; the last flagged result resolves the call', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, delay: 5, handleResult: (status: number) => status >= 500 });
    const events = record(p);
    const statuses = [503, 502, 200];
    const r = settle(p.execute(() => statuses.shift()));
    await clock.runAll();
    expect(r.value()).toBe(200);
    expect(events.map((e) => e.type)).toEqual(['retry', 'retry']);
    expect(events[0]).toMatchObject({ attempt: 1, error: undefined, result: 503 });

    const always = settle(p.execute(() => 503));
    await clock.runAll();
    expect(always.state()).toBe('ok');
    expect(always.value()).toBe(503);
    expect(events.at(-1)).toMatchObject({ type: 'give-up', reason: 'max-attempts', error: undefined, result: 503 });
  });

  it('honours retryAfter: its delay overrides the backoff; negative or above maxDelay means no retry', async () => {
    const clock = new VirtualClock();
    const answers: (number | undefined)[] = [1_234, undefined, -1];
    const p = retry({ clock, maxAttempts: 10, delay: 50, jitter: 'none', retryAfter: () => answers.shift() });
    const events = record(p);
    const starts: number[] = [];
    const r = settle(
      p.execute(() => {
        starts.push(clock.now());
        throw new Transient();
      }),
    );
    await clock.runAll();
    expect(starts).toEqual([0, 1_234, 1_334]);
    expect(r.state()).toBe('error');
    expect(events.at(-1)).toMatchObject({ type: 'give-up', attempts: 3, reason: 'not-handled' });

    const q = retry({ clock, maxDelay: 1_000, retryAfter: () => 1_001 });
    const fn = vi.fn().mockRejectedValue(new Transient());
    await expect(q.execute(fn)).rejects.toBeInstanceOf(Transient);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('passes the failure and retry info to retryAfter and to a backoff function', async () => {
    const clock = new VirtualClock();
    const infos: unknown[] = [];
    const p = retry({
      clock,
      maxAttempts: 3,
      backoff: (info) => {
        infos.push({ attempt: info.attempt, previousDelay: info.previousDelay, failure: info.failure, op: info.context.operation });
        return 40 * info.attempt;
      },
      maxDelay: 60,
    });
    const starts: number[] = [];
    const r = settle(
      p.execute(
        () => {
          starts.push(clock.now());
          throw new Transient(String(starts.length));
        },
        { operation: 'shop.buy' },
      ),
    );
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(starts).toEqual([0, 40, 100]); // 40, then 80 capped at maxDelay 60
    expect(infos).toMatchObject([
      { attempt: 1, previousDelay: 0, op: 'shop.buy' },
      { attempt: 2, previousDelay: 40, op: 'shop.buy' },
    ]);
  });

  it('a backoff function returning a negative delay stops; one that throws stops and is reported', async () => {
    const clock = new VirtualClock();
    const report = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const fn = vi.fn().mockRejectedValue(new Transient());
    await expect(retry({ clock, backoff: () => -1 }).execute(fn)).rejects.toBeInstanceOf(Transient);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(report).not.toHaveBeenCalled();
    await expect(
      retry({
        clock,
        backoff: () => {
          throw new Error('bug');
        },
      }).execute(fn),
    ).rejects.toBeInstanceOf(Transient);
    await expect(retry({ clock, backoff: () => Number.NaN }).execute(fn)).rejects.toBeInstanceOf(Transient);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(report).toHaveBeenCalledTimes(2);
  });

  it('never retries ExecutionRejectedErrors, whatever `handle` says; `retryRejections: true` opts in', async () => {
    const clock = new VirtualClock();
    const open = new BrokenCircuitError('payments', 'open', 500);
    const fn = vi.fn().mockRejectedValue(open);
    await expect(retry({ clock }).execute(fn)).rejects.toBe(open);
    await expect(retry({ clock }).execute(() => Promise.reject(new BulkheadRejectedError('b', 'full')))).rejects.toBeInstanceOf(BulkheadRejectedError);
    // A custom handle replaces the default, but rejections stay out: even one that selects everything.
    const everything = retry({ clock, handle: () => true, retryAfter: (e) => (isBrokenCircuitError(e) ? e.retryAfter : undefined) });
    const events = record(everything);
    await expect(everything.execute(fn)).rejects.toBe(open);
    await expect(retry({ clock, handle: [BrokenCircuitError] }).execute(fn)).rejects.toBe(open);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);

    const optIn = retry({ clock, maxAttempts: 2, retryRejections: true, handle: () => false });
    const g = vi.fn().mockRejectedValueOnce(open).mockResolvedValueOnce('through');
    const r = settle(optIn.execute(g));
    await clock.advance(499); // the rejection's own retryAfter (500 ms) is the delay
    expect(g).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(g).toHaveBeenCalledTimes(2);
    expect(r.value()).toBe('through');
  });

  it('never retries caller cancellation, whatever `handle` says', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, handle: () => true });
    const events = record(p);
    const ac = new AbortController();
    const fn = vi.fn(() => {
      ac.abort(new Error('user left'));
      throw new Transient();
    });
    await expect(p.execute(fn, { signal: ac.signal })).rejects.toBeInstanceOf(Transient);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events).toEqual([]); // cancelled during the first attempt: nothing was retried, no give-up
  });

  it('an abort during a sleep settles the call in the same tick, with the abort reason, and drops the timer', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, delay: 1_000, jitter: 'none' });
    const events = record(p);
    const ac = new AbortController();
    const fn = vi.fn().mockRejectedValue(new Transient());
    const r = settle(p.execute(fn, { signal: ac.signal }));
    await clock.advance(10);
    expect(r.state()).toBe('pending');
    expect(clock.pending).toBe(1);
    const reason = new Error('gone');
    ac.abort(reason);
    await Promise.resolve(); // one microtask turn: the promise's handlers ran, no timer did
    expect(r.state()).toBe('error');
    expect(r.value()).toBe(reason);
    expect(clock.now()).toBe(10);
    expect(clock.pending).toBe(0);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events.at(-1)).toMatchObject({ type: 'give-up', reason: 'aborted', attempts: 1, error: reason });
  });

  it('does not start a retry whose sleep would end at or after the deadline', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, maxAttempts: 5, delay: 100, jitter: 'none' });
    const events = record(p);
    const starts: number[] = [];
    const fail = (): never => {
      starts.push(clock.now());
      throw new Transient();
    };
    const r = settle(p.execute(fail, { deadline: 300 }));
    await clock.runAll();
    expect(starts).toEqual([0, 100]); // the next retry would wake at 300 = the deadline
    expect(r.state()).toBe('error');
    expect(events.at(-1)).toMatchObject({ type: 'give-up', reason: 'deadline', attempts: 2 });
  });

  it('does not start a retry whose sleep would end after maxDuration', async () => {
    const clock = new VirtualClock(1_000);
    const p = retry({ clock, maxAttempts: Number.POSITIVE_INFINITY, maxDuration: 1_000, delay: 100, jitter: 'none' });
    const events = record(p);
    const starts: number[] = [];
    const r = settle(
      p.execute(() => {
        starts.push(clock.now() - 1_000);
        throw new Transient();
      }),
    );
    await clock.runAll();
    expect(starts).toEqual([0, 100, 300, 700]); // the next would start at 1500
    expect(r.state()).toBe('error');
    expect(events.at(-1)).toMatchObject({ type: 'give-up', reason: 'max-duration', attempts: 4 });
  });

  it('maxDuration is inclusive: a sleep may end exactly at the limit, not 1 ms after', async () => {
    const clock = new VirtualClock();
    const run = async (maxDuration: number): Promise<number[]> => {
      const starts: number[] = [];
      const start = clock.now();
      const p = retry({ clock, maxAttempts: 5, maxDuration, delay: 100, jitter: 'none' });
      const r = settle(
        p.execute(() => {
          starts.push(clock.now() - start);
          throw new Transient();
        }),
      );
      await clock.runAll();
      expect(r.state()).toBe('error');
      return starts;
    };
    expect(await run(300)).toEqual([0, 100, 300]);
    expect(await run(299)).toEqual([0, 100]);
  });

  it('gives up at once with the last failure when the shared budget is spent', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0, minPerSecond: 0.1, window: 10_000, clock }); // one retry per window
    const a = retry({ clock, budget, delay: 10, maxAttempts: 5 });
    const b = retry({ clock, budget, delay: 10, name: 'other' });
    const events = record(b);
    const fa = vi.fn().mockRejectedValue(new Transient('a'));
    const ra = settle(a.execute(fa));
    await clock.runAll();
    expect(fa).toHaveBeenCalledTimes(2); // first attempt + the budget's single retry
    expect(ra.state()).toBe('error');
    const last = new Transient('b');
    const fb = vi.fn().mockRejectedValue(last);
    const rb = settle(b.execute(fb));
    await flushMicrotasks();
    expect(rb.state()).toBe('error'); // no sleep: given up at once
    expect(rb.value()).toBe(last);
    expect(fb).toHaveBeenCalledTimes(1);
    expect(events).toMatchObject([
      { type: 'budget-exhausted', attempt: 1, policy: 'other' },
      { type: 'give-up', reason: 'budget', attempts: 1, error: last },
    ]);
    expect(budget.stats).toMatchObject({ calls: 2, retries: 1 });
  });

  it('maxAttempts 1 never retries', async () => {
    const fn = vi.fn().mockRejectedValue(new Transient());
    await expect(retry({ maxAttempts: 1, clock: new VirtualClock() }).execute(fn)).rejects.toBeInstanceOf(Transient);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('accepts a Backoff value and reports events with the pipeline name', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, backoff: exponentialBackoff({ delay: 20, factor: 5, jitter: 'none' }), maxAttempts: 3 });
    const pipe = pipeline({ name: 'shop' }, p);
    const seen: string[] = [];
    pipe.onEvent((e) => seen.push(`${e.pipeline}:${e.type}:${e.type === 'retry' ? (e as { delay: number }).delay : ''}`));
    const r = settle(pipe.execute(() => Promise.reject(new Transient())));
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(clock.now()).toBe(120);
    expect(seen).toEqual(['shop:retry:20', 'shop:retry:100', 'shop:give-up:', 'shop:executed:']);
  });

  it('jitter draws from the injected random source', async () => {
    const clock = new VirtualClock();
    const p = retry({ clock, delay: 1_000, jitter: 'full', random: () => 0.25, maxAttempts: 2 });
    const events = record(p);
    const r = settle(p.execute(() => Promise.reject(new Transient())));
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(events[0]).toMatchObject({ type: 'retry', delay: 250 });
  });

  it('describes its effective options', () => {
    const d = retry({ name: 'r', maxAttempts: 4, delay: 10 }).describe();
    expect(d).toMatchObject({
      kind: 'retry',
      name: 'r',
      options: {
        maxAttempts: 4,
        backoff: { kind: 'exponential', delay: 10, factor: 2, maxDelay: 30_000, jitter: 'full' },
        maxDuration: Number.POSITIVE_INFINITY,
        handle: 'every error',
        retryRejections: false,
      },
    });
    expect(retry({ retryRejections: true }).describe().options).toMatchObject({ retryRejections: true });
  });
});
