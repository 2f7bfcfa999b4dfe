/**
 * Issue #15 item 6: a call's context is stable for the work it started. The `ctx` an
 * attempt received keeps that attempt's signal, number and deadline for ever, and the
 * call's signals abort on settle only when asked to (`abortOnSettle`).
 */
import { describe, expect, it } from 'vitest';
import { currentContext, isTimeoutError, pipeline, retry, timeout, type ExecutedEvent, type ExecutionContext } from '../../src/index';
import { VirtualClock } from '../../src/testing';

describe('a context view is stable for the work it started (issue #15 item 6)', () => {
  it('work abandoned by an aggressive timeout keeps reading its own aborted signal', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock }, timeout({ duration: 100, strategy: 'aggressive' }));
    let seen: ExecutionContext | undefined;
    let early: AbortSignal | undefined;
    const call = p.execute((ctx) => {
      seen = ctx;
      early = ctx.signal;
      return new Promise<never>(() => undefined); // ignores its signal: abandoned
    });
    const failed = call.catch((e: unknown) => e);
    await clock.advance(100);
    expect(isTimeoutError(await failed)).toBe(true);
    const ctx = seen as ExecutionContext;
    expect(ctx.signal).toBe(early);
    expect(ctx.signal.aborted).toBe(true);
    expect(isTimeoutError(ctx.signal.reason)).toBe(true);
  });

  it('a signal first read after the timeout gave up is aborted too', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock }, timeout(100));
    let seen: ExecutionContext | undefined;
    const call = p.execute((ctx) => {
      seen = ctx;
      return new Promise<never>(() => undefined);
    });
    const failed = call.catch((e: unknown) => e);
    await clock.advance(100);
    expect(isTimeoutError(await failed)).toBe(true);
    expect((seen as ExecutionContext).signal.aborted).toBe(true);
    expect((seen as ExecutionContext).remaining()).toBe(0);
  });

  it('inside retry › timeout, abandoned attempt 1 keeps attempt 1 and its aborted signal while attempt 2 runs live', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock }, retry({ maxAttempts: 2, delay: 10, jitter: 'none' }), timeout(100));
    const views: ExecutionContext[] = [];
    let loops = 0;
    const call = p.execute(async (ctx) => {
      views.push(ctx);
      ctx.properties['seen'] = ((ctx.properties['seen'] as number | undefined) ?? 0) + 1;
      if (ctx.attempt === 1) {
        // Abandoned work polling its own signal: it must stop.
        while (!ctx.signal.aborted) {
          loops++;
          await new Promise<void>((resolve) => clock.setTimeout(resolve, 30));
        }
        return 'abandoned';
      }
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 50));
      return 'second';
    });
    await clock.advance(100); // attempt 1 times out
    await clock.advance(10); // retry sleep; attempt 2 starts
    const [first, second] = views as [ExecutionContext, ExecutionContext];
    expect(first.attempt).toBe(1);
    expect(first.signal.aborted).toBe(true);
    expect(second.attempt).toBe(2);
    expect(second.signal.aborted).toBe(false);
    expect(second.signal).not.toBe(first.signal);
    const loopsAtAbort = loops;
    await clock.advance(50);
    await expect(call).resolves.toBe('second');
    expect(loops).toBe(loopsAtAbort); // the abandoned loop saw its abort and stopped
    expect(first.properties).toBe(second.properties); // the bag belongs to the call
    expect(second.properties['seen']).toBe(2);
  });

  it('currentContext() is the view the function received; executed reports the attempts made', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock }, retry({ maxAttempts: 3, delay: 1, jitter: 'none' }));
    const executed: ExecutedEvent[] = [];
    p.on('executed', (e) => executed.push(e));
    const pairs: [ExecutionContext, ExecutionContext | undefined][] = [];
    const call = p.execute((ctx) => {
      pairs.push([ctx, currentContext()]);
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt}`);
      return ctx.attempt;
    });
    await clock.runAll();
    await expect(call).resolves.toBe(3);
    expect(pairs.map(([a, b]) => a === b)).toEqual([true, true, true]);
    expect(pairs.map(([a]) => a.attempt)).toEqual([1, 2, 3]);
    expect(executed[0]?.attempts).toBe(3);
  });
});

describe('abortOnSettle (issue #15 item 6)', () => {
  it('is off by default: a signal read during the call stays usable after it settles (a response body read later)', async () => {
    const p = pipeline(retry(), timeout(1_000));
    let signal: AbortSignal | undefined;
    const value = await p.execute((ctx) => {
      signal = ctx.signal;
      return 'body';
    });
    expect(value).toBe('body');
    expect(signal?.aborted).toBe(false);
  });

  it('per call: every signal the call handed out aborts with an AbortError when it settles', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock }, retry({ maxAttempts: 2, delay: 1, jitter: 'none' }), timeout(1_000));
    const signals: AbortSignal[] = [];
    const call = p.execute(
      (ctx) => {
        signals.push(ctx.signal);
        if (ctx.attempt === 1) return Promise.reject(new Error('first'));
        return 'ok';
      },
      { abortOnSettle: true },
    );
    await clock.runAll();
    await expect(call).resolves.toBe('ok');
    expect(signals).toHaveLength(2);
    for (const s of signals) {
      expect(s.aborted).toBe(true);
      expect((s.reason as { name?: string }).name).toBe('AbortError');
    }
  });

  it('per pipeline, and a call can turn it off again', async () => {
    const p = pipeline({ abortOnSettle: true }, retry());
    let a: AbortSignal | undefined;
    await p.execute((ctx) => (a = ctx.signal));
    expect(a?.aborted).toBe(true);
    let b: AbortSignal | undefined;
    await p.execute((ctx) => (b = ctx.signal), { abortOnSettle: false });
    expect(b?.aborted).toBe(false);
  });

  it('costs nothing for calls that never read a signal, and is validated on the pipeline', async () => {
    const p = pipeline({ abortOnSettle: true });
    await expect(p.execute(() => 1)).resolves.toBe(1);
    expect(() => pipeline({ abortOnSettle: 'yes' as unknown as boolean })).toThrow(/abortOnSettle/);
  });
});
