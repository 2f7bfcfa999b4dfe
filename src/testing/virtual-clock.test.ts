import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../core/wait';
import { ExecutionContext } from '../core/context';
import { VirtualClock, flushMicrotasks } from './virtual-clock';

describe('VirtualClock', () => {
  it('starts at the given time and rejects non-finite starts', () => {
    expect(new VirtualClock().now()).toBe(0);
    expect(new VirtualClock(1_000).now()).toBe(1_000);
    expect(() => new VirtualClock(Number.NaN)).toThrow(RangeError);
    expect(() => new VirtualClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('fires timers in (time, scheduling) order and sets now() to each timer time', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`z@${clock.now()}`), -5);
    clock.setTimeout(() => seen.push(`n@${clock.now()}`), Number.NaN);
    await clock.advance(15);
    expect(seen).toEqual(['z@0', 'n@0', 'a@10']);
    expect(clock.now()).toBe(15);
    await clock.advance(100);
    expect(seen).toEqual(['z@0', 'n@0', 'a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(115);
    expect(clock.fired).toBe(5);
  });

  it('clearTimeout cancels; unknown handles are ignored; pending counts live timers', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const h = clock.setTimeout(() => fired++, 5);
    clock.setTimeout(() => fired++, 6);
    expect(clock.pending).toBe(2);
    clock.clearTimeout(h);
    clock.clearTimeout(h);
    clock.clearTimeout({ id: 999 });
    clock.clearTimeout(undefined);
    clock.clearTimeout('x');
    expect(clock.pending).toBe(1);
    expect(clock.nextTimerAt()).toBe(6);
    await clock.runAll();
    expect(fired).toBe(1);
    expect(clock.pending).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('never fires an Infinity timer, and runAll does not move time to Infinity', async () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), Number.POSITIVE_INFINITY);
    clock.setTimeout(() => undefined, 50);
    await clock.runAll();
    expect(fired).toBe(false);
    expect(clock.now()).toBe(50);
    expect(clock.pending).toBe(1);
  });

  it('runs promise continuations between timers', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimeout(r, ms));
    const task = (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(100);
        await Promise.resolve();
        seen.push(clock.now());
      }
    })();
    await clock.advance(250);
    expect(seen).toEqual([100, 200]);
    await clock.runAll();
    await task;
    expect(seen).toEqual([100, 200, 300, 400, 500]);
  });

  it('timers scheduled at the current time during advance fire in the same advance', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 0);
      clock.setTimeout(() => seen.push(clock.now()), 10);
    }, 10);
    await clock.advance(10);
    expect(seen).toEqual([10, 10]);
    await clock.advance(10);
    expect(seen).toEqual([10, 10, 20]);
  });

  it('serializes overlapping advances', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 5);
    clock.setTimeout(() => seen.push(clock.now()), 15);
    await Promise.all([clock.advance(10), clock.advance(10)]);
    expect(seen).toEqual([5, 15]);
    expect(clock.now()).toBe(20);
  });

  it('rejects bad durations and targets', async () => {
    const clock = new VirtualClock();
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    await expect(clock.advance(Number.NaN)).rejects.toThrow(RangeError);
    await expect(clock.advance(Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    await expect(clock.advanceTo(Number.NaN)).rejects.toThrow(RangeError);
    await clock.advanceTo(-10); // the past: nothing moves
    expect(clock.now()).toBe(0);
  });

  it('runAll stops a timer that re-arms itself forever', async () => {
    const clock = new VirtualClock();
    const rearm = (): void => {
      clock.setTimeout(rearm, 1);
    };
    rearm();
    await expect(clock.runAll(50)).rejects.toThrow(/more than 50 timers/);
  });

  it('runUntilIdle runs due timers without moving time', async () => {
    const clock = new VirtualClock(7);
    let fired = 0;
    clock.setTimeout(() => fired++, 0);
    clock.setTimeout(() => fired++, 1);
    await clock.runUntilIdle();
    expect(fired).toBe(1);
    expect(clock.now()).toBe(7);
  });

  it('drives the core abort-aware wait', async () => {
    const clock = new VirtualClock();
    const ctx = new ExecutionContext(clock, undefined, 'op', undefined);
    let ended = -1;
    waitFor(ctx, 250, () => (ended = clock.now()));
    await clock.advance(249);
    expect(ended).toBe(-1);
    await clock.advance(1);
    expect(ended).toBe(250);
  });

  it('property: any set of timers fires sorted by time then by scheduling order, each at its time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 1_000 }), cancel: fc.boolean() }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 1_200 }),
        async (specs, horizon) => {
          const clock = new VirtualClock();
          const fired: { i: number; at: number }[] = [];
          specs.forEach((s, i) => {
            const h = clock.setTimeout(() => fired.push({ i, at: clock.now() }), s.delay);
            if (s.cancel) clock.clearTimeout(h);
          });
          await clock.advance(horizon);
          const expected = specs
            .map((s, i) => ({ ...s, i }))
            .filter((s) => !s.cancel && s.delay <= horizon)
            .sort((a, b) => a.delay - b.delay || a.i - b.i)
            .map((s) => ({ i: s.i, at: s.delay }));
          expect(fired).toEqual(expected);
          expect(clock.now()).toBe(horizon);
          expect(clock.pending).toBe(specs.filter((s) => !s.cancel && s.delay > horizon).length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is fast: 10 000 sequential sleeps run in well under a second of real time', async () => {
    const clock = new VirtualClock();
    const started = performance.now();
    const task = (async () => {
      for (let i = 0; i < 10_000; i++) await new Promise<void>((r) => clock.setTimeout(r, 10));
    })();
    await clock.runAll();
    await task;
    expect(clock.now()).toBe(100_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('flushMicrotasks lets queued continuations run', async () => {
    let done = false;
    void Promise.resolve()
      .then(() => undefined)
      .then(() => (done = true));
    await flushMicrotasks();
    expect(done).toBe(true);
  });
});
