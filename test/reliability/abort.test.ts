/**
 * Caller cancellation, as docs/reliability.md states it: an already-aborted signal rejects
 * at once without running; an abort ends every library wait (retry sleep, queue wait,
 * injected latency, hang) in the same tick with the signal's reason; a running function
 * hears it through ctx.signal and is waited for (an aggressive timeout bounds the wait);
 * no listener stays on the signal.
 */
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/core/policy';
import { retry } from '../../src/retry/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { createChaosController, hang, latencyInjection } from '../../src/chaos/index';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { CountingController, macrotask, trapUnhandledRejections } from './support';

const unhandled = trapUnhandledRejections();
const REASON = new Error('caller gave up');

/** Starts a call, aborts it at `abortAt`, returns when it settled and at what time. */
async function abortAt(
  clock: VirtualClock,
  start: (signal: AbortSignal) => Promise<unknown>,
  at: number,
): Promise<{ settledAt: number; outcome: { ok: boolean; value?: unknown; error?: unknown }; listeners: number }> {
  const c = new CountingController();
  let settledAt = Number.NaN;
  let outcome: { ok: boolean; value?: unknown; error?: unknown } = { ok: false };
  start(c.signal).then(
    (value) => ((settledAt = clock.now()), (outcome = { ok: true, value })),
    (error: unknown) => ((settledAt = clock.now()), (outcome = { ok: false, error })),
  );
  clock.setTimeout(() => c.abort(REASON), at);
  await clock.runAll();
  await macrotask();
  expect(unhandled.take()).toEqual([]);
  return { settledAt, outcome, listeners: c.listeners };
}

describe('caller cancellation', () => {
  it('an already-aborted signal rejects with its reason without running the function', async () => {
    const c = new AbortController();
    c.abort(REASON);
    let ran = false;
    await expect(retry().execute(() => (ran = true), { signal: c.signal })).rejects.toBe(REASON);
    expect(ran).toBe(false);
  });

  it('ends a retry sleep in the same tick, with no further attempt', async () => {
    const clock = new VirtualClock();
    let attempts = 0;
    const r = retry({ clock, maxAttempts: 5, delay: 1_000, jitter: 'none' });
    const out = await abortAt(clock, (signal) => r.execute(() => (attempts++, Promise.reject(new Error('down'))), { signal }), 300);
    expect(out.settledAt).toBe(300);
    expect(out.outcome).toMatchObject({ ok: false });
    expect(attempts).toBe(1);
    expect(out.listeners).toBe(0);
  });

  it('ends a bulkhead queue wait in the same tick and frees the queue', async () => {
    const clock = new VirtualClock();
    const b = bulkhead({ clock, maxConcurrent: 1, maxQueue: 1 });
    void b.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(1), 1_000)));
    const out = await abortAt(clock, (signal) => b.execute(() => 'queued', { signal }), 200);
    expect(out.settledAt).toBe(200);
    expect(out.outcome).toEqual({ ok: false, error: REASON });
    expect(b.stats).toMatchObject({ active: 0, queued: 0 });
    expect(out.listeners).toBe(0);
  });

  it('ends an injected latency or hang in the same tick', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
    controller.arm({ environment: 'test' });
    for (const fault of [latencyInjection({ clock, controller, latency: 5_000 }), hang({ clock, controller })]) {
      const t0 = clock.now();
      const out = await abortAt(clock, (signal) => fault.execute(() => 'ran', { signal }), 100);
      expect(out.settledAt).toBe(t0 + 100);
      expect(out.outcome).toEqual({ ok: false, error: REASON });
      expect(out.listeners).toBe(0);
    }
  });

  it('a running function hears the abort through ctx.signal; one that ignores it is waited for', async () => {
    const clock = new VirtualClock();
    const r = retry({ clock, maxAttempts: 3 });
    let heard: unknown;
    const listening = await abortAt(
      clock,
      (signal) =>
        r.execute(
          (ctx) =>
            new Promise((_, reject) => {
              ctx.signal.addEventListener('abort', () => reject((heard = ctx.signal.reason)), { once: true });
            }),
          { signal },
        ),
      100,
    );
    expect(heard).toBe(REASON);
    expect(listening.settledAt).toBe(100);
    expect(listening.listeners).toBe(0);

    const t0 = clock.now();
    const ignoring = await abortAt(clock, (signal) => r.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('late'), 700)), { signal }), 100);
    expect(ignoring.settledAt).toBe(t0 + 700); // not t0 + 100: the abort was not heard
    expect(ignoring.outcome).toEqual({ ok: true, value: 'late' });
  });

  it('an aggressive timeout bounds the wait for a function that ignores the abort', async () => {
    const clock = new VirtualClock();
    const p = pipeline(retry({ clock, maxAttempts: 3 }), timeout({ clock, duration: 400 }));
    const out = await abortAt(clock, (signal) => p.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('late'), 5_000)), { signal }), 100);
    expect(out.settledAt).toBe(400);
    expect(out.outcome.ok).toBe(false);
    expect(out.listeners).toBe(0);
  });
});
