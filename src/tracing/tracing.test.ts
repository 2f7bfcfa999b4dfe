/**
 * The tracing policy against the real OpenTelemetry SDK (BasicTracerProvider, in-memory
 * exporter, async-hooks context manager), on the VirtualClock.
 */
import * as api from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childrenOf, eventNames, idOf, onlySpan, parentOf, spansNamed, tracingSdk } from '../../test/support/tracing-sdk';
import { bulkhead } from '../bulkhead/index';
import { createChaosController } from '../chaos/guards';
import { faultInjection, latencyInjection } from '../chaos/index';
import { circuitBreaker } from '../circuit-breaker/index';
import { observing } from '../core/call-observer';
import { isTimeoutError } from '../core/errors';
import { pipeline } from '../core/policy';
import { fallback } from '../fallback/index';
import { hedging } from '../hedging/index';
import { rateLimiter } from '../rate-limiter/index';
import { retry } from '../retry/index';
import { VirtualClock } from '../testing/virtual-clock';
import { timeout } from '../timeout/index';
import { TracingAttributes as A, TracingEvents as E, tracing } from './index';

const sdk = tracingSdk();
const ERROR = api.SpanStatusCode.ERROR;
const UNSET = api.SpanStatusCode.UNSET;

/** Runs the clock until `promise` settles; returns how it settled. */
async function settle<T>(clock: VirtualClock, promise: Promise<T>): Promise<{ ok: boolean; value: unknown }> {
  let result: { ok: boolean; value: unknown } | undefined;
  promise.then(
    (value) => (result = { ok: true, value }),
    (error: unknown) => (result = { ok: false, value: error }),
  );
  await clock.runAll();
  for (let i = 0; i < 50 && result === undefined; i++) await new Promise((r) => setImmediate(r));
  if (result === undefined) throw new Error('the call did not settle');
  return result;
}

/** A database query as the user's code writes it: its own span, active while it runs. */
function dbQuery<T>(answer: () => T | Promise<T>): Promise<T> {
  return sdk.userTracer.startActiveSpan('db.query', { kind: api.SpanKind.CLIENT }, async (span) => {
    try {
      return await answer();
    } catch (error) {
      span.setStatus({ code: ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

function armedChaos(clock: VirtualClock): ReturnType<typeof createChaosController> {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  return controller;
}

const ms = (span: ReadableSpan): number => span.duration[0] * 1_000 + span.duration[1] / 1e6;

beforeEach(() => sdk.reset());
afterEach(() => {
  expect(sdk.openSpans()).toEqual([]);
  expect(sdk.endedTwice()).toEqual([]);
  expect(sdk.diagnostics).toEqual([]);
  expect(observing()).toBe(false);
});

describe('tracing: the issue acceptance scenario', () => {
  it("a call retried twice yields one call span whose tree holds the user's three db.query spans, one under each attempt; the injected fault marks its attempt", async () => {
    const clock = new VirtualClock();
    const controller = armedChaos(clock);
    const slowDb = latencyInjection({ name: 'slow-db', latency: 50, when: (ctx) => ctx.attempt === 2, clock, controller });
    const lobbies = pipeline(
      { name: 'matchmaking' },
      tracing({ api, labelKeys: ['region'] }),
      retry({ maxAttempts: 3, delay: 100, backoff: 'constant', jitter: 'none', clock }),
      slowDb,
    );
    let n = 0;
    const r = await settle(
      clock,
      lobbies.execute(
        () =>
          dbQuery(() => {
            if (++n < 3) throw new Error(`lobby db down (${n})`);
            return { lobby: 'eu-7' };
          }),
        { operation: 'lobby.find', labels: { region: 'eu', player: 'p-1' } },
      ),
    );
    expect(r).toEqual({ ok: true, value: { lobby: 'eu-7' } });

    const call = onlySpan(sdk, 'lobby.find');
    expect(parentOf(call)).toBe('');
    expect(call.kind).toBe(api.SpanKind.INTERNAL);
    expect(call.attributes).toMatchObject({
      [A.pipeline]: 'matchmaking',
      [A.operation]: 'lobby.find',
      [`${A.labelPrefix}region`]: 'eu',
      [A.outcome]: 'success',
      [A.attempts]: 3,
      [A.fallback]: false,
      [A.injected]: true,
    });
    expect(call.attributes[`${A.labelPrefix}player`]).toBeUndefined(); // not in labelKeys
    expect(call.status.code).toBe(UNSET);
    expect(eventNames(call)).toEqual([E.retry, E.retry]);
    expect(call.events.map((e) => [e.attributes?.[A.attempt], e.attributes?.[A.delay]])).toEqual([
      [1, 100],
      [2, 100],
    ]);

    const attempts = childrenOf(sdk, call);
    expect(attempts.map((s) => s.name)).toEqual(['lobby.find attempt', 'lobby.find attempt', 'lobby.find attempt']);
    expect(attempts.map((s) => s.attributes[A.attempt])).toEqual([1, 2, 3]);
    expect(attempts.map((s) => s.attributes[A.outcome])).toEqual(['failure', 'failure', 'success']);
    expect(attempts.map((s) => s.status.code)).toEqual([ERROR, ERROR, UNSET]);
    expect(attempts[0]?.status.message).toBe('lobby db down (1)');
    expect(attempts[0]?.attributes[A.errorType]).toBe('Error');
    expect(attempts[0]?.events.map((e) => e.name)).toEqual(['exception']);

    // Each attempt span holds exactly one of the user's db.query spans.
    const queries = spansNamed(sdk, 'db.query');
    expect(queries).toHaveLength(3);
    for (const attempt of attempts) {
      const mine = childrenOf(sdk, attempt);
      expect(mine.map((s) => s.name)).toEqual(['db.query']);
      expect(mine[0]?.spanContext().traceId).toBe(call.spanContext().traceId);
    }

    // The chaos shows on the attempt it hit, and only there.
    const hit = attempts[1] as ReadableSpan;
    expect(hit.attributes).toMatchObject({ [A.injected]: true, [A.fault]: 'slow-db', [A.faultKind]: 'latency' });
    expect(hit.events.find((e) => e.name === E.chaosInjected)?.attributes).toMatchObject({ [A.fault]: 'slow-db', [A.delay]: 50 });
    expect(attempts[0]?.attributes[A.injected]).toBeUndefined();
    expect(attempts[2]?.attributes[A.injected]).toBeUndefined();
    // Spans are stamped on the call's clock: the injected delay is inside attempt 2.
    expect(ms(hit)).toBe(50);
    expect(ms(call)).toBe(250);
    expect(clock.pending).toBe(0);
  });

  it('the call span is a child of the span active at execute(), and the user code after the call is back in it', async () => {
    const p = pipeline(tracing({ api }), retry({ maxAttempts: 2, delay: 0, backoff: 'constant', jitter: 'none' }));
    await sdk.userTracer.startActiveSpan('http.request', async (request) => {
      let n = 0;
      await p.execute(() => dbQuery(() => (++n === 1 ? Promise.reject(new Error('once')) : n)), { operation: 'profile.load' });
      expect(api.trace.getActiveSpan()).toBe(request);
      request.end();
    });
    const request = onlySpan(sdk, 'http.request');
    const call = onlySpan(sdk, 'profile.load');
    expect(parentOf(call)).toBe(idOf(request));
    expect(childrenOf(sdk, call).map((s) => childrenOf(sdk, s).map((c) => c.name))).toEqual([['db.query'], ['db.query']]);
  });
});

describe('tracing: what the policies did', () => {
  it("a breaker's opening is an event of the call span; its rejection is an event of the refused attempt, which never ran", async () => {
    const clock = new VirtualClock();
    const p = pipeline(tracing({ api }), circuitBreaker({ name: 'lobby-db', failureThreshold: 1, recoveryTimeout: 1_000, clock }));
    await settle(clock, p.execute(() => Promise.reject(new Error('down')), { operation: 'first' }));
    let ran = false;
    const r = await settle(clock, p.execute(() => (ran = true), { operation: 'second' }));
    expect(r.ok).toBe(false);
    expect(ran).toBe(false);

    const first = onlySpan(sdk, 'first');
    expect(eventNames(first)).toEqual([E.circuitOpened, 'exception']);
    expect(first.events[0]?.attributes).toMatchObject({ [A.policy]: 'lobby-db', [A.reason]: 'failures', [A.state]: 'closed', [A.retryAfter]: 1_000 });

    const second = onlySpan(sdk, 'second');
    expect(second.attributes).toMatchObject({ [A.outcome]: 'rejected', [A.errorType]: 'ERR_BROKEN_CIRCUIT' });
    expect(second.status.code).toBe(ERROR);
    const [refused] = childrenOf(sdk, second);
    expect(refused?.attributes).toMatchObject({ [A.attempt]: 1, [A.outcome]: 'rejected', [A.errorType]: 'ERR_BROKEN_CIRCUIT' });
    expect(refused?.status).toEqual({ code: ERROR, message: 'circuit "lobby-db" rejected the attempt (open)' });
    expect(refused?.events.map((e) => [e.name, e.attributes?.[A.state]])).toEqual([[E.circuitRejected, 'open']]);
    expect(childrenOf(sdk, refused as ReadableSpan)).toEqual([]);
  });

  it('bulkhead and rate-limit refusals are events of the refused attempt', async () => {
    const clock = new VirtualClock();
    const pool = pipeline(tracing({ api }), bulkhead({ name: 'pool', maxConcurrent: 1, maxQueue: 0, clock }));
    let release: () => void = () => {};
    const holding = pool.execute(() => new Promise<void>((r) => (release = r)), { operation: 'hold' });
    await expect(pool.execute(() => 'never', { operation: 'refused' })).rejects.toMatchObject({ code: 'ERR_BULKHEAD_REJECTED' });
    release();
    await holding;
    const [bulkheadAttempt] = childrenOf(sdk, onlySpan(sdk, 'refused'));
    expect(bulkheadAttempt?.events.map((e) => [e.name, e.attributes?.[A.reason]])).toEqual([[E.bulkheadRejected, 'full']]);
    expect(bulkheadAttempt?.attributes[A.outcome]).toBe('rejected');

    const limited = pipeline(tracing({ api }), rateLimiter({ name: 'quota', rate: 1, per: 1_000, burst: 1, clock }));
    await limited.execute(() => 1, { operation: 'admitted' });
    await expect(limited.execute(() => 2, { operation: 'limited' })).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    const [limitedAttempt] = childrenOf(sdk, onlySpan(sdk, 'limited'));
    expect(limitedAttempt?.events.map((e) => [e.name, e.attributes?.[A.policy], e.attributes?.[A.reason]])).toEqual([[E.rateLimited, 'quota', 'rate']]);
    expect(eventNames(onlySpan(sdk, 'admitted'))).toEqual([]); // admissions are not shown
  });

  it('fallback: the tier that answered is an attribute, each tier that ran an event, and the tiers run inside the call span', async () => {
    const clock = new VirtualClock();
    const p = pipeline(
      tracing({ api }),
      fallback({
        tiers: [
          () =>
            sdk.userTracer.startActiveSpan('backup.query', (span) => {
              span.end();
              throw new Error('backup down too');
            }),
          'cached lobby',
        ],
      }),
      retry({ maxAttempts: 2, delay: 10, backoff: 'constant', jitter: 'none', clock }),
    );
    const r = await settle(clock, p.execute(() => dbQuery(() => Promise.reject(new Error('primary down'))), { operation: 'lobby.find' }));
    expect(r).toEqual({ ok: true, value: 'cached lobby' });
    const call = onlySpan(sdk, 'lobby.find');
    expect(call.attributes).toMatchObject({ [A.outcome]: 'fallback', [A.fallback]: true, [A.fallbackTier]: 1 });
    expect(call.status.code).toBe(UNSET);
    expect(call.events.map((e) => [e.name, e.attributes?.[A.fallbackTier]])).toEqual([
      [E.retry, undefined],
      [E.giveUp, undefined],
      [E.fallback, 0],
      [E.fallback, 1],
    ]);
    // The tier ran after attempt 2, which started from a timer: still inside the call span.
    expect(parentOf(onlySpan(sdk, 'backup.query'))).toBe(idOf(call));
    expect(childrenOf(sdk, call).map((s) => s.attributes[A.outcome])).toEqual(['failure', 'failure', undefined]);
  });

  it('an aggressive timeout abandons the attempt: its span ends at the deadline, marked, and the late function changes nothing', async () => {
    const clock = new VirtualClock();
    const p = pipeline(
      tracing({ api }),
      retry({ maxAttempts: 2, delay: 0, backoff: 'constant', jitter: 'none', clock }),
      timeout({ duration: 100, clock }),
    );
    let finishLate: (v: string) => void = () => {};
    let n = 0;
    const r = await settle(
      clock,
      p.execute(() => (++n === 1 ? dbQuery(() => new Promise<string>((resolve) => (finishLate = resolve))) : dbQuery(() => 'fast')), {
        operation: 'leaderboard.read',
      }),
    );
    expect(r).toEqual({ ok: true, value: 'fast' });
    const call = onlySpan(sdk, 'leaderboard.read');
    const [first, second] = childrenOf(sdk, call);
    expect(first?.attributes).toMatchObject({ [A.attempt]: 1, [A.outcome]: 'timeout', [A.abandoned]: true, [A.errorType]: 'ERR_TIMEOUT' });
    expect(first?.events.map((e) => e.name)).toEqual([E.timeout, 'exception']);
    expect(first?.events[0]?.attributes).toMatchObject({ [A.timeout]: 100, [A.timeoutEffective]: 100 });
    expect(ms(first as ReadableSpan)).toBe(100);
    expect(second?.attributes).toMatchObject({ [A.attempt]: 2, [A.outcome]: 'success' });
    // The abandoned query is still running: its span is the only one open, under attempt 1.
    expect(sdk.openSpans()).toEqual(['db.query']);
    finishLate('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(childrenOf(sdk, first as ReadableSpan).map((s) => s.name)).toEqual(['db.query']);
  });

  it('a timeout around the whole call ends every attempt with the call', async () => {
    const clock = new VirtualClock();
    const p = pipeline(tracing({ api }), timeout({ duration: 30, clock }));
    const r = await settle(clock, p.execute((ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))), { operation: 'slow' }));
    expect(isTimeoutError(r.value)).toBe(true);
    const call = onlySpan(sdk, 'slow');
    expect(call.attributes).toMatchObject({ [A.outcome]: 'timeout', [A.injected]: false });
    const [attempt] = childrenOf(sdk, call);
    expect(attempt?.attributes).toMatchObject({ [A.outcome]: 'timeout', [A.abandoned]: true });
    expect(eventNames(attempt as ReadableSpan)).toContain(E.timeout);
  });

  it('an injected error fault marks the attempt it failed, which never ran the function', async () => {
    const clock = new VirtualClock();
    const controller = armedChaos(clock);
    const p = pipeline(
      tracing({ api }),
      retry({ maxAttempts: 2, delay: 5, backoff: 'constant', jitter: 'none', clock }),
      faultInjection({ name: 'db-refused', when: (ctx) => ctx.attempt === 1, clock, controller }),
    );
    const r = await settle(clock, p.execute(() => dbQuery(() => 'ok'), { operation: 'shop.buy' }));
    expect(r).toEqual({ ok: true, value: 'ok' });
    const call = onlySpan(sdk, 'shop.buy');
    const [hit, clean] = childrenOf(sdk, call);
    expect(hit?.attributes).toMatchObject({ [A.outcome]: 'injected', [A.injected]: true, [A.fault]: 'db-refused', [A.faultKind]: 'error', [A.errorType]: 'ERR_CHAOS_INJECTED' });
    expect(childrenOf(sdk, hit as ReadableSpan)).toEqual([]);
    expect(clean?.attributes).toMatchObject({ [A.outcome]: 'success' });
    expect(childrenOf(sdk, clean as ReadableSpan).map((s) => s.name)).toEqual(['db.query']);
    expect(call.attributes).toMatchObject({ [A.outcome]: 'success', [A.injected]: true });
  });
});

describe('tracing: cancellation and hedges', () => {
  it('caller cancellation during a retry sleep is not an error', async () => {
    const clock = new VirtualClock();
    const p = pipeline(tracing({ api }), retry({ maxAttempts: 3, delay: 1_000, backoff: 'constant', jitter: 'none', clock }));
    const caller = new AbortController();
    const call = p.execute(() => dbQuery(() => Promise.reject(new Error('busy'))), { operation: 'match.join', signal: caller.signal });
    const outcome = call.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await clock.advance(500);
    caller.abort(new Error('player left'));
    expect(await outcome).toMatchObject({ message: 'player left' });
    const span = onlySpan(sdk, 'match.join');
    expect(span.attributes).toMatchObject({ [A.outcome]: 'cancelled', [A.attempts]: 1 });
    expect(span.status.code).toBe(UNSET);
    expect(eventNames(span)).toEqual([E.retry, E.giveUp]);
    expect(span.events[1]?.attributes?.[A.reason]).toBe('aborted');
    expect(childrenOf(sdk, span).map((s) => s.attributes[A.outcome])).toEqual(['failure']);
  });

  it('caller cancellation while the function runs: the attempt and the call end cancelled, not in error', async () => {
    const p = pipeline(tracing({ api }), retry({ maxAttempts: 3, delay: 0, backoff: 'constant', jitter: 'none' }));
    const caller = new AbortController();
    const call = p.execute(
      (ctx) => dbQuery(() => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))),
      { operation: 'match.join', signal: caller.signal },
    );
    caller.abort(new Error('player left'));
    await expect(call).rejects.toThrow('player left');
    const span = onlySpan(sdk, 'match.join');
    const [attempt] = childrenOf(sdk, span);
    expect([span.attributes[A.outcome], span.status.code]).toEqual(['cancelled', UNSET]);
    expect([attempt?.attributes[A.outcome], attempt?.status.code, attempt?.attributes[A.abandoned]]).toEqual(['cancelled', UNSET, undefined]);
  });

  it('each hedge is an attempt span; the loser ends as lost and abandoned, the winner as success', async () => {
    const clock = new VirtualClock();
    const p = pipeline(tracing({ api }), hedging({ delay: 10, maxHedgedAttempts: 1, clock }));
    const answers: ((v: string) => void)[] = [];
    const call = p.execute(() => dbQuery(() => new Promise<string>((resolve) => answers.push(resolve))), { operation: 'leaderboard.top' });
    await clock.advance(10);
    expect(answers).toHaveLength(2);
    await clock.advance(5);
    answers[1]?.('from the hedge');
    expect(await call).toBe('from the hedge');
    const span = onlySpan(sdk, 'leaderboard.top');
    expect(eventNames(span)).toEqual([E.hedge, E.hedgeWon]);
    const [first, hedge] = childrenOf(sdk, span);
    expect(first?.attributes).toMatchObject({ [A.attempt]: 1, [A.outcome]: 'lost', [A.abandoned]: true });
    expect(first?.status.code).toBe(UNSET);
    expect(hedge?.attributes).toMatchObject({ [A.attempt]: 2, [A.outcome]: 'success', [A.hedgeTrigger]: 'delay' });
    expect(ms(hedge as ReadableSpan)).toBe(5);
    // The lost query goes on under its attempt until it answers.
    expect(sdk.openSpans()).toEqual(['db.query']);
    answers[0]?.('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(childrenOf(sdk, first as ReadableSpan).map((s) => s.name)).toEqual(['db.query']);
  });
});
