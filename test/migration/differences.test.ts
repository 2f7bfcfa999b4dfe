/**
 * The "Differences" table of docs/migration.md, one `describe` per row: what breakwater does,
 * what the peer (cockatiel 3.2.1, opossum 9.0.0, both dev dependencies) does in the same
 * case, and the one-line change of the table that restores the peer's behaviour.
 *
 * breakwater runs on a VirtualClock. The peers read `Date.now` and the global timers, so
 * their cases run under vitest's fake timers: no test sleeps on real time.
 */
import { CircuitBreakerPolicy, ConsecutiveBreaker, CountBreaker, ExponentialBackoff, TaskCancelledError, bulkhead as ckBulkhead, circuitBreaker as ckBreaker, fallback as ckFallback, handleAll, handleWhen, retry as ckRetry, timeout as ckTimeout, TimeoutStrategy } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpError, payments } from '../../docs/snippets/migration';
import {
  bulkhead,
  circuitBreaker,
  exponentialBackoff,
  fallback,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isFallbackExhaustedError,
  isTimeoutError,
  pipeline,
  retry,
  timeout,
} from '../../src/index';
import { VirtualClock } from '../../src/testing/virtual-clock';

// The snippets' listeners log through a `log` the page leaves to the reader.
vi.hoisted(() => Object.assign(globalThis, { log: { info: () => {}, warn: () => {} } }));

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A promise with its resolve and reject, to hold a call open. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const boom = (): never => {
  throw new Error('boom');
};

/** Settles `p` into a tagged value, so a test can look at it without an unhandled rejection. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('row: maxAttempts counts every attempt (cockatiel counts retries)', () => {
  it('breakwater maxAttempts: 3 makes 3 calls; cockatiel maxAttempts: 2 makes 3', async () => {
    let ours = 0;
    await expect(retry({ maxAttempts: 3, delay: 0 }).execute(() => (ours++, boom()))).rejects.toThrow('boom');
    expect(ours).toBe(3);

    let theirs = 0;
    await expect(ckRetry(handleAll, { maxAttempts: 2 }).execute(() => (theirs++, boom()))).rejects.toThrow('boom');
    expect(theirs).toBe(3);
  });
});

describe('row: ctx.attempt is 1-based (cockatiel: 0-based)', () => {
  it('breakwater numbers attempts 1, 2, 3; cockatiel 0, 1, 2; `ctx.attempt - 1` restores it', async () => {
    const ours: number[] = [];
    const restored: number[] = [];
    await settle(
      retry({ maxAttempts: 3, delay: 0 }).execute((ctx) => {
        ours.push(ctx.attempt);
        restored.push(ctx.attempt - 1);
        boom();
      }),
    );
    const theirs: number[] = [];
    await settle(
      ckRetry(handleAll, { maxAttempts: 2 }).execute(({ attempt }) => {
        theirs.push(attempt);
        boom();
      }),
    );
    expect(ours).toEqual([1, 2, 3]);
    expect(theirs).toEqual([0, 1, 2]);
    expect(restored).toEqual(theirs);
  });
});

describe('row: retry waits by default (cockatiel retries at once without a backoff)', () => {
  it('breakwater sleeps an exponential, jittered delay; `delay: 0` retries at once like cockatiel', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const call = settle(retry({ maxAttempts: 2, clock, random: () => 0.5 }).execute(() => (calls++, boom())));
    await clock.runUntilIdle();
    expect(calls).toBe(1); // waiting: 200 ms × 0.5 (full jitter)
    await clock.advance(100);
    await call;
    expect(calls).toBe(2);

    let immediate = 0;
    const restored = settle(retry({ maxAttempts: 2, delay: 0, clock }).execute(() => (immediate++, boom())));
    await clock.runUntilIdle();
    expect(immediate).toBe(2);
    await restored;
  });
});

describe("row: decorrelated jitter grows up to 3× per retry; cockatiel's default backoff is closest to full jitter", () => {
  // cockatiel's ExponentialBackoff() with Math.random() fixed at r gives, for retry k ≥ 2,
  // 128/1.4 × (f(k-1+r) − f(k-2+r)) with f(t) = 2^t·tanh(√(4t)).
  function cockatielDelays(r: number, count: number): number[] {
    vi.spyOn(Math, 'random').mockReturnValue(r);
    const out: number[] = [];
    let b = new ExponentialBackoff().next();
    for (let k = 0; k < count; k++) {
      out.push(b.duration);
      b = b.next({ attempt: k + 2, result: { value: undefined }, signal: new AbortController().signal });
    }
    vi.restoreAllMocks();
    return out;
  }

  it("breakwater's decorrelated jitter can triple the delay at every retry", () => {
    const delays = exponentialBackoff({ delay: 128, maxDelay: 30_000, jitter: 'decorrelated' }).preview(4, () => 0.999_999);
    for (let i = 1; i < delays.length; i++) expect((delays[i] as number) / (delays[i - 1] as number)).toBeCloseTo(3, 3);
    expect(delays[3]).toBeGreaterThan(128 * 3 ** 4 * 0.99); // ≈ 10.4 s at the fourth retry (cockatiel: under 1.1 s)
  });

  it('cockatiel never grows faster than ≈ 2× on average: its highest draws stay within 1.5 × 128/1.4 × 2^k', () => {
    const highest = cockatielDelays(0.999_999, 8);
    for (let k = 2; k < 8; k++) expect(highest[k] as number).toBeLessThan((1.5 * 128 * 2 ** k) / 1.4);
  });

  it("at a given draw, cockatiel's delays match full jitter from 128 ms doubling (the restoring line), not decorrelated jitter", () => {
    const theirs = cockatielDelays(0.5, 8);
    const full = exponentialBackoff({ delay: 128, maxDelay: 30_000 }).preview(8, () => 0.5);
    const decorrelated = exponentialBackoff({ delay: 128, maxDelay: 30_000, jitter: 'decorrelated' }).preview(8, () => 0.5);
    for (let k = 2; k < 8; k++) expect(Math.abs((theirs[k] as number) / (full[k] as number) - 1)).toBeLessThan(0.03);
    for (let k = 3; k < 8; k++) {
      // cockatiel and full jitter double at a fixed draw; decorrelated jitter grows by 1.5 there.
      expect((theirs[k] as number) / (theirs[k - 1] as number)).toBeCloseTo(2, 1);
      expect((full[k] as number) / (full[k - 1] as number)).toBe(2);
      expect((decorrelated[k] as number) / (decorrelated[k - 1] as number)).toBeLessThan(1.6);
    }
  });
});

describe('row: extra calls in half-open are rejected (cockatiel queues them behind the probe)', () => {
  it('breakwater rejects a second call while the probe runs; cockatiel holds it and runs it once the probe closed the breaker', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'b', failureThreshold: 1, recoveryTimeout: 1_000, clock });
    await settle(breaker.execute(boom));
    await clock.advance(1_000);
    const probe = deferred<string>();
    const first = breaker.execute(() => probe.promise);
    const second = await settle(breaker.execute(() => 'second'));
    expect(second.ok).toBe(false);
    expect(isBrokenCircuitError(!second.ok && second.error)).toBe(true);
    expect(!second.ok && (second.error as { state: string }).state).toBe('half-open');
    probe.resolve('probe');
    await expect(first).resolves.toBe('probe');

    vi.useFakeTimers({ toFake: ['Date'] });
    const theirs = ckBreaker(handleAll, { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(1) });
    await settle(theirs.execute(boom));
    vi.advanceTimersByTime(1_000);
    const ckProbe = deferred<string>();
    const ckFirst = theirs.execute(() => ckProbe.promise);
    let ran = false;
    const ckSecond = theirs.execute(() => ((ran = true), 'second'));
    await Promise.resolve();
    expect(ran).toBe(false); // waiting behind the probe, not rejected
    ckProbe.resolve('probe');
    await expect(ckFirst).resolves.toBe('probe');
    await expect(ckSecond).resolves.toBe('second');
  });

  it('restoring line: retry({ retryRejections: true }) outside the breaker makes the extra call wait and run after the probe', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'b', failureThreshold: 1, recoveryTimeout: 1_000, clock });
    const patient = pipeline(retry({ maxAttempts: 3, delay: 50, jitter: 'none', retryRejections: true, clock }), breaker);
    await settle(breaker.execute(boom));
    await clock.advance(1_000);
    const probe = deferred<string>();
    const first = breaker.execute(() => probe.promise);
    const second = patient.execute(() => 'second');
    await clock.runUntilIdle(); // rejected in half-open, now sleeping 50 ms
    probe.resolve('probe');
    await expect(first).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
    await clock.advance(50);
    await expect(second).resolves.toBe('second');
  });
});

describe('row: rate thresholds open at ≥ (cockatiel and opossum: strictly above)', () => {
  const twoOfFour = async (execute: (fn: () => unknown) => Promise<unknown>): Promise<void> => {
    for (const fn of [() => 'ok', () => 'ok', boom, boom]) await settle(execute(fn));
  };

  it('2 failures in 4 calls at a 50 % threshold: breakwater opens, cockatiel and opossum stay closed', async () => {
    const ours = circuitBreaker({ window: { kind: 'count', size: 4 }, minimumThroughput: 4, failureRateThreshold: 0.5 });
    await twoOfFour((fn) => ours.execute(fn));
    expect(ours.state).toBe('open');

    const theirs = ckBreaker(handleAll, { halfOpenAfter: 1_000, breaker: new CountBreaker({ threshold: 0.5, size: 4 }) });
    await twoOfFour((fn) => theirs.execute(fn));
    expect(theirs.state).toBe(0); // CircuitState.Closed

    vi.useFakeTimers();
    const op = new CircuitBreaker(async (fn: () => unknown) => fn(), { errorThresholdPercentage: 50, volumeThreshold: 4 });
    await twoOfFour((fn) => op.fire(fn));
    expect(op.opened).toBe(false);
    op.shutdown();
  });

  it('restoring line: failureRateThreshold: 0.5 + 1e-9 stays closed at exactly 50 % and opens above', async () => {
    const restored = circuitBreaker({ window: { kind: 'count', size: 4 }, minimumThroughput: 4, failureRateThreshold: 0.5 + 1e-9 });
    await twoOfFour((fn) => restored.execute(fn));
    expect(restored.state).toBe('closed');
    await settle(restored.execute(boom)); // window: ok, fail, fail, fail
    expect(restored.state).toBe('open');
  });
});

describe("row: opossum's defaults are not breakwater's", () => {
  it('opossum: 10 s timeout, 30 s reset, volume 0, 10 s window; one failure opens it', async () => {
    vi.useFakeTimers();
    const op = new CircuitBreaker(async () => boom());
    const { options } = op as unknown as { options: Record<string, number> };
    expect([options['timeout'], options['resetTimeout'], op.volumeThreshold, options['rollingCountTimeout']]).toEqual([10_000, 30_000, 0, 10_000]);
    await settle(op.fire());
    expect(op.opened).toBe(true);
    op.shutdown();
  });

  it('breakwater: no timeout unless composed, 5 failures in a row, 60 s recovery; the restoring line matches opossum', async () => {
    const clock = new VirtualClock();
    const ours = circuitBreaker({ clock });
    for (let i = 1; i <= 4; i++) await settle(ours.execute(boom));
    expect(ours.state).toBe('closed');
    await settle(ours.execute(boom));
    const rejected = await settle(ours.execute(() => 'x'));
    expect(!rejected.ok && (rejected.error as { retryAfter: number }).retryAfter).toBe(60_000);

    const opossumLike = pipeline(
      circuitBreaker({ window: { kind: 'time', duration: 10_000, buckets: 10 }, minimumThroughput: 1, failureRateThreshold: 0.5 + 1e-9, recoveryTimeout: 30_000, clock }),
      timeout({ duration: 10_000, clock }),
    );
    await settle(opossumLike.execute(boom));
    const after = await settle(opossumLike.execute(() => 'x'));
    expect(!after.ok && isBrokenCircuitError(after.error) && after.error.retryAfter).toBe(30_000);
  });
});

describe("row: errors a filter excludes count as neither (opossum: as successes; cockatiel's half-open: as a success)", () => {
  const notFound = (): never => {
    throw new HttpError(404);
  };
  const countsOnlyServerErrors = (e: unknown): boolean => !(e instanceof HttpError && e.status === 404);

  it('breakwater: an excluded error leaves the window as it was, and a half-open breaker half-open', async () => {
    const clock = new VirtualClock();
    const ours = circuitBreaker({ window: { kind: 'count', size: 2 }, minimumThroughput: 2, failureRateThreshold: 0.5, handle: countsOnlyServerErrors, recoveryTimeout: 1_000, clock });
    await settle(ours.execute(boom));
    await settle(ours.execute(notFound)); // not a success: the window still holds one call
    expect(ours.snapshot().window).toMatchObject({ outcomes: [1] }); // the first failure only
    await settle(ours.execute(boom));
    expect(ours.state).toBe('open');
    await clock.advance(1_000);
    await expect(ours.execute(notFound)).rejects.toBeInstanceOf(HttpError);
    expect(ours.state).toBe('half-open');
  });

  it('opossum counts a filtered error as a success (and it closes a half-open breaker); cockatiel closes a half-open breaker too', async () => {
    vi.useFakeTimers();
    const op = new CircuitBreaker(async (fn: () => unknown) => fn(), { errorFilter: (e: unknown) => e instanceof HttpError && e.status === 404 });
    await expect(op.fire(notFound)).rejects.toBeInstanceOf(HttpError);
    expect(op.stats.successes).toBe(1);
    expect(op.stats.failures).toBe(0);
    op.open();
    vi.advanceTimersByTime(30_000);
    expect(op.halfOpen).toBe(true);
    await settle(op.fire(notFound));
    expect(op.closed).toBe(true);
    op.shutdown();

    const theirs = ckBreaker(handleWhen(countsOnlyServerErrors), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(1) });
    await settle(theirs.execute(boom));
    vi.advanceTimersByTime(1_000);
    await settle(theirs.execute(notFound));
    expect(theirs.state).toBe(0); // CircuitState.Closed
  });
});

describe("row: a failing fallback rejects with FallbackExhaustedError (the peers: with the fallback's own error)", () => {
  it('breakwater wraps both errors; opossum and cockatiel reject with the error of the fallback; `e.errors.at(-1)` restores it', async () => {
    const fromTier = new Error('tier failed');
    const ours = await settle(
      fallback({
        tiers: [
          () => {
            throw fromTier;
          },
        ],
      }).execute(boom),
    );
    expect(!ours.ok && isFallbackExhaustedError(ours.error)).toBe(true);
    const errors = !ours.ok && isFallbackExhaustedError(ours.error) ? ours.error.errors : [];
    expect((errors[0] as Error).message).toBe('boom');
    expect(errors.at(-1)).toBe(fromTier); // the restoring line

    vi.useFakeTimers();
    const op = new CircuitBreaker(async () => boom());
    op.fallback(() => {
      throw fromTier;
    });
    await expect(op.fire()).rejects.toBe(fromTier);
    op.shutdown();

    await expect(
      ckFallback(handleAll, () => {
        throw fromTier;
      }).execute(boom),
    ).rejects.toBe(fromTier);
  });
});

describe('row: a timed-out call keeps its bulkhead slot when the timeout is outside the bulkhead (opossum frees it)', () => {
  it('breakwater pipeline(timeout, bulkhead): the next call is rejected until the abandoned work ends', async () => {
    const clock = new VirtualClock();
    const p = pipeline(timeout({ duration: 100, clock }), bulkhead({ maxConcurrent: 1, maxQueue: 0 }));
    const hung = deferred<string>();
    const first = settle(p.execute(() => hung.promise));
    await clock.advance(100);
    const timedOut = await first;
    expect(!timedOut.ok && isTimeoutError(timedOut.error)).toBe(true);
    const next = await settle(p.execute(() => 'next'));
    expect(!next.ok && isBulkheadRejectedError(next.error)).toBe(true);
    hung.resolve('late');
    await clock.runUntilIdle();
    await expect(p.execute(() => 'next')).resolves.toBe('next');
  });

  it('opossum releases its semaphore at the timeout; the restoring line pipeline(bulkhead, timeout) does too', async () => {
    vi.useFakeTimers();
    const hung = deferred<string>();
    const op = new CircuitBreaker(async (fn: () => Promise<string>) => fn(), { timeout: 100, capacity: 1, volumeThreshold: 10 });
    const first = settle(op.fire(() => hung.promise));
    await vi.advanceTimersByTimeAsync(100);
    expect((await first).ok).toBe(false);
    await expect(op.fire(async () => 'next')).resolves.toBe('next');
    op.shutdown();
    vi.useRealTimers();

    const clock = new VirtualClock();
    const restored = pipeline(bulkhead({ maxConcurrent: 1, maxQueue: 0 }), timeout({ duration: 100, clock }));
    const ours = settle(restored.execute(() => hung.promise));
    await clock.advance(100);
    expect((await ours).ok).toBe(false);
    await expect(restored.execute(() => 'next')).resolves.toBe('next');
  });
});

describe("row: cancellation rejects with the signal's reason (cockatiel: TaskCancelledError)", () => {
  it('breakwater rejects with whatever abort() was given; cockatiel with a TaskCancelledError; test signal.aborted instead', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const reason = new Error('client went away');
    const p = pipeline(timeout({ duration: 1_000, clock }), bulkhead({ maxConcurrent: 1, maxQueue: 1 }));
    const busy = deferred<string>();
    const running = p.execute(() => busy.promise);
    const queued = settle(p.execute(() => 'queued', { signal: controller.signal }));
    controller.abort(reason);
    const ours = await queued;
    expect(!ours.ok && ours.error).toBe(reason);
    expect(controller.signal.aborted).toBe(true); // the restoring test
    busy.resolve('done');
    await running;

    const ckController = new AbortController();
    const ckBusy = deferred<string>();
    const ckBh = ckBulkhead(1, 1);
    const ckRunning = ckBh.execute(() => ckBusy.promise);
    const ckQueued = settle(ckBh.execute(() => 'queued', ckController.signal));
    ckController.abort(reason);
    ckBusy.resolve('done');
    await ckRunning;
    const theirs = await ckQueued;
    expect(!theirs.ok && theirs.error).toBeInstanceOf(TaskCancelledError);
  });

  it("a timeout rejects with TimeoutError here, with TaskCancelledError in cockatiel's timeout", async () => {
    const clock = new VirtualClock();
    const ours = settle(timeout({ duration: 10, clock }).execute(() => new Promise<never>(() => {})));
    await clock.advance(10);
    const o = await ours;
    expect(!o.ok && isTimeoutError(o.error)).toBe(true);

    vi.useFakeTimers();
    const theirs = settle(ckTimeout(10, TimeoutStrategy.Aggressive).execute(() => new Promise<never>(() => {})));
    await vi.advanceTimersByTimeAsync(10);
    const t = await theirs;
    expect(!t.ok && t.error).toBeInstanceOf(TaskCancelledError);
  });
});

describe('docs/migration.md opossum port: errorFilter maps onto the breaker and the fallback', () => {
  it('a filtered error (404) rejects with the original error and skips the fallback, as in opossum', async () => {
    const notFound = new HttpError(404);
    await expect(
      payments.execute(() => {
        throw notFound;
      }),
    ).rejects.toBe(notFound);
    await expect(payments.execute(() => Promise.reject(new HttpError(503)))).resolves.toEqual({ id: 'pending', pending: true });
  });

  it('the previous port (errorFilter on the breaker only) served the fallback for a 404', async () => {
    const before = pipeline(
      fallback<{ id: string; pending: boolean }>({ tiers: [{ id: 'pending', pending: true }] }),
      circuitBreaker({ handle: (e) => !(e instanceof HttpError && e.status === 404) }),
    );
    await expect(
      before.execute(() => {
        throw new HttpError(404);
      }),
    ).resolves.toEqual({ id: 'pending', pending: true });
  });
});

// Keep the imported type used, so an API change of cockatiel shows here.
void CircuitBreakerPolicy;
