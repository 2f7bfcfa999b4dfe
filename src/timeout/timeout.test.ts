import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { isOptionsValidationError, OptionsValidationError, TimeoutError } from '../core/errors';
import type { Done } from '../core/outcome';
import { pipeline, StrategyPolicy, type Link } from '../core/policy';
import { waitFor, type WaitEnd } from '../core/wait';
import { VirtualClock } from '../testing/virtual-clock';
import { TimeoutEvents, type TimeoutEvent } from './events';
import { timeout, TimeoutPolicy } from './timeout';

const hang = (): Promise<never> => new Promise<never>(() => {});

/** Records when a promise settles, on the virtual clock. */
function track<T>(clock: VirtualClock, p: Promise<T>): { at?: number; ok?: boolean; value?: T; error?: unknown } {
  const r: { at?: number; ok?: boolean; value?: T; error?: unknown } = {};
  p.then(
    (value) => Object.assign(r, { at: clock.now(), ok: true, value }),
    (error: unknown) => Object.assign(r, { at: clock.now(), ok: false, error }),
  );
  return r;
}

/** Test strategy: runs the rest of the chain `times` times in a row, `gap` ms apart (a retry stand-in). */
class Repeat extends StrategyPolicy<never> {
  readonly seen: { before: number; after: number }[] = [];
  constructor(clock: VirtualClock, private readonly times: number, private readonly gap: number) {
    super({ kind: 'repeat', name: 'repeat', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    let n = 0;
    const step = (): void => {
      const before = ctx.deadline;
      link.next(ctx, (o) => {
        this.seen.push({ before, after: ctx.deadline });
        if (++n >= this.times) done(o);
        else if (this.gap === 0) step();
        else waitFor(ctx, this.gap, step);
      });
    };
    step();
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

describe('timeout options', () => {
  it('accepts a number or an options object', () => {
    expect(timeout(100).duration).toBe(100);
    const t = timeout({ duration: 2.5, strategy: 'cooperative', name: 'db', clock: new VirtualClock() });
    expect(t).toBeInstanceOf(TimeoutPolicy);
    expect(t.describe()).toEqual({ kind: 'timeout', name: 'db', options: { duration: 2.5, strategy: 'cooperative' } });
    expect(timeout(1).strategy).toBe('aggressive');
    expect(timeout(1).name).toBe('timeout');
  });

  it.each([0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 31, '100', null, undefined])(
    'rejects duration %s',
    (d) => {
      expect(() => timeout(d as number)).toThrow(/expected `duration` to be a duration in ms > 0 and ≤ 2147483647/);
      expect(() => timeout({ duration: d as number })).toThrow(OptionsValidationError);
    },
  );

  it('accepts durations in (0, 2^31 - 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 2 ** 31 - 1, noNaN: true }), (d) => {
        expect(timeout(d).duration).toBe(d);
      }),
    );
  });

  it('reports every bad field at once, unknown keys included', () => {
    let error: unknown;
    try {
      timeout({ duration: -5, strategy: 'eager', name: '', clock: {}, durration: 5 } as never);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    const paths = (error as OptionsValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['clock', 'duration', 'durration', 'name', 'strategy']);
    expect((error as Error).message).toMatch(/expected `strategy` to be one of "aggressive", "cooperative", got "eager"/);
  });

  it('rejects options that are neither a number nor a plain object', () => {
    expect(() => timeout('fast' as never)).toThrow(/expected `duration` to be .*, got "fast"/);
    expect(() => timeout([100] as never)).toThrow(/`\(options\)` to be a plain object/);
    expect(() => timeout({} as never)).toThrow(/expected `duration` to be .*, got undefined/);
  });
});

describe('timeout (aggressive)', () => {
  it('passes values and errors through and leaves no timer behind', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 100, clock });
    await expect(t.execute(() => 1)).resolves.toBe(1);
    await expect(t.execute(async () => 'a')).resolves.toBe('a');
    const boom = new Error('boom');
    await expect(t.execute(() => { throw boom; })).rejects.toBe(boom);
    await expect(t.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(clock.pending).toBe(0);
  });

  it('settles exactly at the deadline and aborts the signal then, not before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 1_000_000 }), async (d, start) => {
        const clock = new VirtualClock(start);
        const t = timeout({ duration: d, clock });
        let signal: AbortSignal | undefined;
        let remaining = -1;
        const r = track(clock, t.execute((ctx) => { signal = ctx.signal; remaining = ctx.remaining(); return hang(); }));
        expect(remaining).toBe(d);
        await clock.advance(d - 1);
        expect(r.at).toBeUndefined();
        expect(signal?.aborted).toBe(false);
        await clock.advance(1);
        expect(r.at).toBe(start + d);
        expect(r.error).toBeInstanceOf(TimeoutError);
        expect((r.error as TimeoutError).duration).toBe(d);
        expect(signal?.aborted).toBe(true);
        expect(signal?.reason).toBe(r.error);
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('nested timeouts and an execute() deadline: settles at the earliest, inner never outlives outer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: undefined }),
        async (outerMs, innerMs, callerMs) => {
          const clock = new VirtualClock(1_000);
          const p = pipeline({ clock }, timeout({ duration: outerMs, clock, name: 'outer' }), timeout({ duration: innerMs, clock, name: 'inner' }));
          const events: TimeoutEvent[] = [];
          p.onEvent((e) => { if (e.kind === 'timeout') events.push(e as TimeoutEvent); });
          const expected = Math.min(outerMs, innerMs, callerMs ?? Number.POSITIVE_INFINITY);
          let innerSignal: AbortSignal | undefined;
          let seenDeadline = 0;
          const r = track(
            clock,
            p.execute(
              (ctx) => { innerSignal = ctx.signal; seenDeadline = ctx.deadline; return hang(); },
              callerMs === undefined ? {} : { deadline: 1_000 + callerMs },
            ),
          );
          expect(seenDeadline).toBe(1_000 + expected);
          await clock.advance(expected - 1);
          expect(r.at).toBeUndefined();
          expect(innerSignal?.aborted).toBe(false);
          await clock.advance(1);
          expect(r.at).toBe(1_000 + expected);
          expect(r.error).toBeInstanceOf(TimeoutError);
          expect(innerSignal?.aborted).toBe(true);
          // Same effective deadline: the outer timer was scheduled first and fires first.
          const outerEffective = Math.min(outerMs, callerMs ?? Number.POSITIVE_INFINITY);
          const outerFires = outerEffective === expected;
          expect((r.error as TimeoutError).duration).toBe(outerFires ? outerMs : innerMs);
          expect(events.length).toBeGreaterThanOrEqual(1);
          expect(events[0]?.policy).toBe(outerFires ? 'outer' : 'inner');
          expect(events[0]?.effective).toBe(expected);
          expect(clock.pending).toBe(0);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('rejects at once without running when the deadline has already passed', async () => {
    const clock = new VirtualClock(500);
    const t = timeout({ duration: 100, clock });
    const events: TimeoutEvent[] = [];
    t.on('timeout', (e) => events.push(e));
    const fn = vi.fn();
    for (const deadline of [500, 499, -Infinity]) {
      await expect(t.execute(fn, { deadline })).rejects.toBeInstanceOf(TimeoutError);
    }
    expect(fn).not.toHaveBeenCalled();
    expect(events.map((e) => [e.duration, e.effective])).toEqual([[100, 0], [100, 0], [100, 0]]);
    await expect(t.execute(() => 'ok', { deadline: 501 })).resolves.toBe('ok');
  });

  it('restores ctx.deadline on exit: each attempt of an outer retry gets a fresh deadline', async () => {
    const clock = new VirtualClock();
    const repeat = new Repeat(clock, 3, 250);
    const deadlines: number[] = [];
    const p = pipeline(repeat, timeout({ duration: 100, clock }));
    const r = track(clock, p.execute((ctx) => { deadlines.push(ctx.deadline); return hang(); }, { deadline: 10_000 }));
    await clock.runAll();
    expect(deadlines).toEqual([100, 450, 800]);
    expect(repeat.seen).toEqual([
      { before: 10_000, after: 10_000 },
      { before: 10_000, after: 10_000 },
      { before: 10_000, after: 10_000 },
    ]);
    expect(r.at).toBe(800);
    expect(r.error).toBeInstanceOf(TimeoutError);
  });

  it('restores ctx.deadline after a success too', async () => {
    const clock = new VirtualClock();
    const repeat = new Repeat(clock, 2, 10);
    const deadlines: number[] = [];
    const p = pipeline(repeat, timeout({ duration: 100, clock }));
    const r = track(clock, p.execute((ctx) => { deadlines.push(ctx.deadline); return 'ok'; }));
    await clock.runAll();
    expect(r.value).toBe('ok');
    expect(deadlines).toEqual([100, 110]);
    expect(repeat.seen).toEqual([
      { before: Number.POSITIVE_INFINITY, after: Number.POSITIVE_INFINITY },
      { before: Number.POSITIVE_INFINITY, after: Number.POSITIVE_INFINITY },
    ]);
  });

  it('a late inner timer does not clobber the deadline of the next attempt', async () => {
    const clock = new VirtualClock();
    const repeat = new Repeat(clock, 2, 0); // the next attempt starts synchronously in the outer timeout's done
    const deadlines: number[] = [];
    const remainingLater: number[] = [];
    const p = pipeline(repeat, timeout({ duration: 100, clock, name: 'outer' }), timeout({ duration: 100, clock, name: 'inner' }));
    const r = track(
      clock,
      p.execute((ctx) => {
        deadlines.push(ctx.deadline);
        clock.setTimeout(() => remainingLater.push(ctx.remaining()), 1);
        return hang();
      }),
    );
    await clock.runAll();
    expect(deadlines).toEqual([100, 200]);
    expect(remainingLater).toEqual([99, 99]);
    expect(repeat.seen.map((s) => s.after)).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(r.at).toBe(200);
  });

  it('a late cooperative inner result does not clobber the deadline of the next attempt', async () => {
    const clock = new VirtualClock();
    const repeat = new Repeat(clock, 2, 0);
    const deadlines: number[] = [];
    const seenLater: number[] = [];
    const p = pipeline(
      repeat,
      timeout({ duration: 100, clock, name: 'outer' }),
      timeout({ duration: 50, clock, name: 'inner', strategy: 'cooperative' }),
    );
    let attempt = 0;
    const r = track(
      clock,
      p.execute((ctx) => {
        deadlines.push(ctx.deadline);
        if (++attempt === 1) return new Promise((resolve) => clock.setTimeout(() => resolve('late'), 120));
        clock.setTimeout(() => seenLater.push(ctx.deadline), 30); // t = 130, after the late result
        return hang();
      }),
    );
    await clock.runAll();
    expect(deadlines).toEqual([50, 150]);
    expect(seenLater).toEqual([150]);
    expect(r.at).toBe(200); // the cooperative inner timeout waits for the hung function; the outer one ends it
    expect(repeat.seen.map((s) => s.after)).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
  });

  it('aborts core waits started inside the function at the deadline', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 50, clock });
    const ends: [number, WaitEnd][] = [];
    const r = track(clock, t.execute((ctx) => new Promise<void>((resolve) => waitFor(ctx, 10_000, (e) => { ends.push([clock.now(), e]); resolve(); }))));
    await clock.advance(50);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.[0]).toBe(50);
    expect(ends[0]?.[1]).toEqual({ aborted: true, reason: r.error });
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect(clock.pending).toBe(0);
  });

  it('drops late results: a late rejection is not unhandled, a late value is ignored', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 10, clock });
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let rejectLate: (e: unknown) => void = () => {};
      let resolveLate: (v: string) => void = () => {};
      const a = track(clock, t.execute(() => new Promise((_, rej) => { rejectLate = rej; })));
      const b = track(clock, t.execute(() => new Promise<string>((res) => { resolveLate = res; })));
      await clock.advance(10);
      rejectLate(new Error('late'));
      resolveLate('late');
      await clock.runUntilIdle();
      await clock.advance(5);
      expect(a.error).toBeInstanceOf(TimeoutError);
      expect(b.error).toBeInstanceOf(TimeoutError);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('uses one host timer for any number of calls in flight', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 1_000, clock });
    const rs = Array.from({ length: 200 }, (_, i) => track(clock, t.execute(() => (i % 2 === 0 ? hang() : 'x'))));
    await clock.runUntilIdle();
    expect(clock.pending).toBe(1);
    await clock.advance(1_000);
    expect(rs.filter((r) => r.ok === false)).toHaveLength(100);
    expect(rs.filter((r) => r.ok === true)).toHaveLength(100);
    expect(clock.pending).toBe(0);
  });

  it('creates no AbortController when nobody reads the signal', async () => {
    const Original = globalThis.AbortController;
    let created = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        created++;
      }
    };
    try {
      const clock = new VirtualClock();
      const t = timeout({ duration: 10, clock });
      await t.execute(async () => 1);
      const r = track(clock, t.execute(hang));
      await clock.advance(10);
      expect(r.error).toBeInstanceOf(TimeoutError);
      expect(created).toBe(0);
      await t.execute((ctx) => ctx.signal.aborted);
      expect(created).toBe(1);
    } finally {
      globalThis.AbortController = Original;
    }
  });

  it('emits timeout events only on expiry, with configured and effective durations', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 300, clock, name: 't' });
    const events: TimeoutEvent[] = [];
    t.on(TimeoutEvents.timeout, (e) => events.push(e));
    await t.execute(() => 1);
    expect(events).toEqual([]);
    const r = track(clock, t.execute(hang, { deadline: 120, operation: 'op.x' }));
    await clock.advance(120);
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect(events).toEqual([
      { kind: 'timeout', type: 'timeout', policy: 't', pipeline: undefined, operation: 'op.x', labels: {}, time: 120, duration: 300, effective: 120 },
    ]);
  });

  it('fires at or after a fractional deadline, never before', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 10.4, clock });
    const r = track(clock, t.execute(hang));
    await clock.advance(10);
    expect(r.at).toBeUndefined();
    await clock.advance(1);
    expect(r.at).toBe(11);
  });
});

describe('timeout (cooperative)', () => {
  it('aborts the signal at the deadline and settles with the value the function still returns', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), async (d, extra) => {
        const clock = new VirtualClock();
        const t = timeout({ duration: d, strategy: 'cooperative', clock });
        let signal: AbortSignal | undefined;
        const r = track(
          clock,
          t.execute((ctx) => {
            signal = ctx.signal;
            return new Promise<string>((resolve) => {
              ctx.signal.addEventListener('abort', () => clock.setTimeout(() => resolve('partial'), extra));
            });
          }),
        );
        await clock.advance(d - 1);
        expect(signal?.aborted).toBe(false);
        await clock.advance(1);
        expect(signal?.aborted).toBe(true);
        expect(signal?.reason).toBeInstanceOf(TimeoutError);
        if (extra > 0) expect(r.at).toBeUndefined();
        await clock.advance(extra);
        expect(r).toEqual({ at: d + extra, ok: true, value: 'partial' });
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('turns a failure after the deadline into a TimeoutError with the failure as cause', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 20, strategy: 'cooperative', clock });
    const cause = new Error('aborted by signal');
    const r = track(clock, t.execute((ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(cause)))));
    await clock.advance(20);
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect((r.error as TimeoutError).duration).toBe(20);
    expect((r.error as TimeoutError).cause).toBe(cause);
  });

  it('passes the abort reason through as is when the function rejects with it', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 20, strategy: 'cooperative', clock });
    let reason: unknown;
    const r = track(clock, t.execute((ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject((reason = ctx.signal.reason))))));
    await clock.advance(20);
    expect(r.error).toBe(reason);
    expect((r.error as TimeoutError).cause).toBeUndefined();
  });

  it('waits for a function that ignores the signal, and leaves a failure before the deadline untouched', async () => {
    const clock = new VirtualClock();
    const t = timeout({ duration: 20, strategy: 'cooperative', clock });
    const slow = track(clock, t.execute(() => new Promise<number>((resolve) => clock.setTimeout(() => resolve(7), 500))));
    await clock.advance(499);
    expect(slow.at).toBeUndefined();
    await clock.advance(1);
    expect(slow).toEqual({ at: 500, ok: true, value: 7 });
    const boom = new Error('early');
    await expect(t.execute(() => Promise.reject(boom))).rejects.toBe(boom);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
