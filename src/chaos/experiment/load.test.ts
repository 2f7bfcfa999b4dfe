import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError } from '../../core/errors';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { VirtualClock } from '../../testing/virtual-clock';
import { startLoad, type LoadCallResult } from './load';

describe('startLoad: rate mode', () => {
  it('starts calls on schedule, for the duration, and stops by itself', async () => {
    const clock = new VirtualClock();
    const starts: number[] = [];
    const run = startLoad({ fn: () => starts.push(clock.now()), rate: 4, duration: 1_000, clock });
    await clock.runAll();
    const stats = await run.done;
    expect(starts).toEqual([0, 250, 500, 750]);
    expect(stats).toMatchObject({ started: 4, settled: 4, succeeded: 4, failed: 0, inFlight: 0, stopped: true });
    expect(clock.pending).toBe(0);
  });

  it('starts min(maxCalls, ceil(rate × duration)) calls for any rate, duration and cap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 0, max: 500 }), async (rate, duration, maxCalls) => {
        const clock = new VirtualClock();
        const run = startLoad({ fn: () => undefined, rate, duration, maxCalls, clock });
        await clock.runAll();
        const stats = await run.done;
        const interval = 1000 / rate;
        let due = 0;
        while (due * interval < duration) due++; // calls due strictly before the end
        expect(stats.started).toBe(Math.min(maxCalls, due));
        expect(clock.pending).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('reports each outcome and latency, and drops calls beyond maxInFlight', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency({ calls: [Step.ok(1, 300), Step.fail(new Error('x'), 50)], otherwise: Step.ok(1, 300) }, clock);
    const results: LoadCallResult[] = [];
    const run = startLoad({ fn: () => dep(), rate: 10, duration: 500, maxInFlight: 2, clock, onResult: (r) => results.push(r) });
    await clock.runAll();
    const stats = await run.done;
    expect(results.map((r) => [r.index, r.start, r.end, r.ok])).toEqual([
      [1, 100, 150, false],
      [0, 0, 300, true],
      [2, 200, 500, true],
      [3, 300, 600, true],
    ]);
    expect(stats.dropped).toBe(1); // the call due at 400: two in flight
    expect(stats.failed).toBe(1);
  });

  it('counts synchronous throws as failures', async () => {
    const clock = new VirtualClock();
    const results: boolean[] = [];
    startLoad({
      fn: (i) => {
        if (i % 2 === 1) throw new Error('boom');
        return 'ok';
      },
      rate: 10,
      maxCalls: 4,
      clock,
      onResult: (r) => results.push(r.ok),
    });
    await clock.runAll();
    expect(results).toEqual([true, false, true, false]);
  });

  it('stop() stops at once; calls in flight are still reported, and done waits for them', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency({ otherwise: Step.ok(1, 1_000) }, clock);
    const results: LoadCallResult[] = [];
    const run = startLoad({ fn: () => dep(), rate: 10, clock, onResult: (r) => results.push(r) });
    await clock.advance(250);
    run.stop();
    run.stop();
    let done = false;
    void run.done.then(() => (done = true));
    await clock.advance(500);
    expect(done).toBe(false);
    await clock.runAll();
    expect(done).toBe(true);
    expect(dep.calls).toBe(3);
    expect(results.map((r) => [r.index, r.end])).toEqual([
      [0, 1_000],
      [1, 1_100],
      [2, 1_200],
    ]);
    expect(clock.pending).toBe(0);
  });
});

describe('startLoad: concurrency mode', () => {
  it('keeps N calls in flight and honours thinkTime', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency({ otherwise: Step.ok(1, 100) }, clock);
    const run = startLoad({ fn: () => dep(), concurrency: 3, thinkTime: 100, duration: 1_000, clock });
    await clock.runAll();
    const stats = await run.done;
    expect(dep.maxActive).toBe(3);
    expect(stats.started).toBe(15); // each worker: a call every 200 ms over 1 s
    expect(clock.pending).toBe(0);
  });

  it('stop works detached (passed as a callback), cancels the think-time pauses, and fn runs unbound', async () => {
    const clock = new VirtualClock();
    const receivers: unknown[] = [];
    const run = startLoad({
      fn: function (this: unknown) {
        receivers.push(this);
      },
      concurrency: 2,
      thinkTime: 50,
      clock,
    });
    await clock.advance(120);
    const { stop } = run;
    clock.setTimeout(stop, 0);
    await clock.advance(0);
    const stats = await run.done;
    expect(stats).toMatchObject({ started: 6, stopped: true, inFlight: 0 }); // 2 workers × calls at 0, 50, 100
    expect(receivers.every((r) => r === undefined)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('is bounded by maxCalls even when calls take no time at all', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const run = startLoad({ fn: () => n++, concurrency: 4, maxCalls: 1_000, clock });
    const stats = await run.done;
    expect(n).toBe(1_000);
    expect(stats.started).toBe(1_000);
  });
});

describe('startLoad: options', () => {
  it('needs exactly one of rate and concurrency, and reports every bad field', () => {
    let error: unknown;
    try {
      startLoad({ fn: () => 1, rate: 10, concurrency: 2, thinkTime: -1, maxCalls: 1.5 } as never);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    const msg = (error as Error).message;
    expect(msg).toContain('`thinkTime`');
    expect(msg).toContain('`maxCalls`');
    expect(() => startLoad({ fn: () => 1, clock: new VirtualClock() })).toThrow('`concurrency` given, but not both');
    expect(() => startLoad({ fn: () => 1, rate: 0 })).toThrow('`rate`');
    expect(() => startLoad({ fn: () => 1, rate: Number.NaN })).toThrow('`rate`');
    expect(() => startLoad({ fn: () => 1, concurrency: 2, maxInFlight: 3 })).toThrow('used with `rate` only');
  });
});

describe('startLoad: users and values', () => {
  it('reports the user of each call (userKey) and what a successful call resolved with', async () => {
    const clock = new VirtualClock();
    const results: LoadCallResult[] = [];
    const run = startLoad({
      fn: (i) => (i === 2 ? Promise.reject(new Error('no')) : i === 3 ? `sync-${i}` : Promise.resolve(`value-${i}`)),
      rate: 10,
      duration: 500,
      userKey: (i) => (i === 4 ? '' : `player-${i % 2}`),
      clock,
      onResult: (r) => results.push(r),
    });
    await clock.runAll();
    await run.done;
    expect(results.map((r) => [r.index, r.ok, r.value, r.user])).toEqual([
      [0, true, 'value-0', 'player-0'],
      [1, true, 'value-1', 'player-1'],
      [2, false, undefined, 'player-0'],
      [3, true, 'sync-3', 'player-1'],
      [4, true, 'value-4', undefined], // an empty key is no user
    ]);
  });

  it('rejects a userKey that is not a function', () => {
    expect(() => startLoad({ fn: () => 1, rate: 1, userKey: 'player' as unknown as () => string })).toThrow(/`userKey` to be a function \(index\) => string/);
  });
});
