/**
 * A timeout executed on its own with nobody listening runs on the call's own context
 * (`AloneRun`, src/timeout/timeout-run.ts); with a listener it runs through the chain with an
 * inner view (`ChainRun`). Both must be the same call, at every timing: these tests run each
 * scenario both ways on the virtual clock and compare what the caller and the function see.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecutionContext } from '../../src/core/context';
import { timerServiceFor } from '../../src/core/timer-service';
import { VirtualClock } from '../../src/testing/index';
import { timeout } from '../../src/timeout/index';

interface Scenario {
  readonly duration: number;
  readonly cooperative: boolean;
  /** When the work ends (ms after it starts); `undefined`: only when its signal aborts, or never. */
  readonly endsAfter: number | undefined;
  readonly ok: boolean;
  readonly sync: boolean;
  /** Whether the work ends as soon as its signal aborts, and how. */
  readonly onAbort: 'ignore' | 'reject-with-reason' | 'reject-own' | 'resolve';
  /** An absolute deadline given to execute(), or none. */
  readonly callerDeadline: number | undefined;
  /** When the caller aborts its own signal, or never. */
  readonly callerAbortAt: number | undefined;
  readonly abortOnSettle: boolean;
  /** Whether the function reads its signal at once (else only when it aborts or at the end). */
  readonly readsSignal: boolean;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  duration: fc.integer({ min: 1, max: 50 }),
  cooperative: fc.boolean(),
  endsAfter: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  ok: fc.boolean(),
  sync: fc.boolean(),
  onAbort: fc.constantFrom('ignore', 'reject-with-reason', 'reject-own', 'resolve'),
  callerDeadline: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
  callerAbortAt: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  abortOnSettle: fc.boolean(),
  readsSignal: fc.boolean(),
});

/** A plain description of a settled call's error: its class, message, and its cause's. */
function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return { thrown: error };
  const cause = (error as { cause?: unknown }).cause;
  return { name: error.name, message: error.message, cause: cause instanceof Error ? cause.message : cause };
}

async function runOnce(s: Scenario, listen: boolean): Promise<unknown> {
  const clock = new VirtualClock(0);
  const t = timeout({ duration: s.duration, strategy: s.cooperative ? 'cooperative' : 'aggressive', clock });
  const events: unknown[] = [];
  const sub = listen ? t.onEvent((e) => events.push({ type: e.type, time: e.time })) : undefined;
  const caller = new AbortController();
  if (s.callerAbortAt !== undefined) clock.setTimeout(() => caller.abort(new Error('caller left')), s.callerAbortAt);
  const seen: Record<string, unknown> = {};
  let view: ExecutionContext | undefined;
  let settled: { at: number; ok: boolean; value?: unknown; error?: unknown } | undefined;
  const call = t.execute(
    (ctx) => {
      view = ctx;
      seen.deadline = ctx.deadline;
      seen.remaining = ctx.remaining();
      seen.attempt = ctx.attempt;
      if (s.readsSignal) void ctx.signal;
      if (s.endsAfter === 0 && s.sync) {
        if (s.ok) return 'sync value';
        throw new Error('sync failure');
      }
      return new Promise<string>((resolve, reject) => {
        if (s.endsAfter !== undefined) clock.setTimeout(() => (s.ok ? resolve('value') : reject(new Error('failure'))), s.endsAfter);
        if (s.onAbort === 'ignore') return;
        const signal = ctx.signal;
        const react = (): void => {
          seen.abortedAt = clock.now();
          seen.reason = describeError(signal.reason);
          if (s.onAbort === 'reject-with-reason') reject(signal.reason);
          else if (s.onAbort === 'reject-own') reject(new Error('gave up'));
          else resolve('stopped early');
        };
        if (signal.aborted) react();
        else signal.addEventListener('abort', react, { once: true });
      });
    },
    { signal: caller.signal, deadline: s.callerDeadline, abortOnSettle: s.abortOnSettle },
  );
  call.then(
    (value) => (settled = { at: clock.now(), ok: true, value }),
    (error: unknown) => (settled = { at: clock.now(), ok: false, error: describeError(error) }),
  );
  await clock.advance(200);
  sub?.dispose();
  // Works that never end stay pending: what matters is that the call itself settled (or not) alike.
  return {
    settled,
    seen,
    ran: view !== undefined,
    signalAfter: view === undefined ? undefined : { aborted: view.signal.aborted, reason: describeError(view.signal.reason) },
    remainingAfter: view?.remaining(),
    events: listen ? events : undefined,
    timersLeft: timerServiceFor(clock).pending,
  };
}

describe('a lone timeout (no listener) is the same call as through the chain', () => {
  it('property: same outcome at the same time, same view of the deadline and the signal, no timer left', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const alone = (await runOnce(s, false)) as Record<string, unknown>;
        const chained = (await runOnce(s, true)) as Record<string, unknown>;
        expect({ ...alone, events: undefined }).toEqual({ ...chained, events: undefined });
        expect(alone.timersLeft).toBe(0);
        // The scenario space reaches both ends of the race.
        if (alone.settled === undefined) expect(s.cooperative || s.duration > 200).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('the lone path is the one taken without a listener: the function sees the call’s own first view', async () => {
    const clock = new VirtualClock(0);
    const t = timeout({ duration: 10, clock });
    let first: ExecutionContext | undefined;
    await t.execute((ctx) => {
      first = ctx;
      return 1;
    });
    expect((first as unknown as { call: ExecutionContext }).call).toBe(first);
    const sub = t.onEvent(() => undefined);
    let inner: ExecutionContext | undefined;
    await t.execute((ctx) => {
      inner = ctx;
      return 1;
    });
    sub.dispose();
    expect((inner as unknown as { call: ExecutionContext }).call).not.toBe(inner);
  });
});
