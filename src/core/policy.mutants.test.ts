/**
 * Rules of the policy base, the pipeline, the compiled chain and the promise-native path
 * that the mutation run (issue #23) found unpinned: the bad-policy check's index 0, the
 * TypeErrors' wording, the `executed` event's fields and when it is decided, default
 * operation and pipeline names, `abortOnSettle` on both paths, and a chain that settles twice.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { observeCall, type CallObserver } from './call-observer';
import type { ExecutionContext } from './context';
import { issuesOf } from '../../test/support/fresh-module';
import type { ExecutedEvent, ResilienceEvent } from './events';
import { isPolicy, pipeline, type Done, type Link } from './policy';
import { onCallbackError } from './report';
import { DoubleDonePolicy, RejectPolicy, ScopePolicy, TracePolicy } from '../../test/support/test-strategies';


const EXPECTED_POLICY = 'a policy (made by retry(), circuitBreaker(), pipeline()…)';

describe('pipeline(): the bad-policy check', () => {
  it('pipeline(options, notAPolicy) names policies[0], its value and what was expected', () => {
    expect(issuesOf(() => pipeline({ name: 'p' }, 5 as never))).toEqual([{ path: 'policies[0]', value: 5, expected: EXPECTED_POLICY }]);
    expect(() => pipeline({ name: 'p' }, 'retry' as never)).toThrow('Invalid pipeline options: expected `policies[0]` to be ' + EXPECTED_POLICY);
  });

  it('names the first bad position after the options, whatever comes before it', () => {
    const a = new TracePolicy('a', []);
    expect(issuesOf(() => pipeline({}, a, null as never, 7 as never))).toEqual([{ path: 'policies[1]', value: null, expected: EXPECTED_POLICY }]);
    expect(issuesOf(() => pipeline(a, a, {} as never))).toEqual([{ path: 'policies[2]', value: {}, expected: EXPECTED_POLICY }]);
  });

  it('recognizes a policy of another copy of the package by its brand, and nothing else', () => {
    expect(isPolicy(new TracePolicy('a', []))).toBe(true);
    expect(isPolicy({ [Symbol.for('breakwater.policy')]: true })).toBe(true);
    expect(isPolicy({ [Symbol.for('breakwater.policy')]: 'yes' })).toBe(false);
    expect(isPolicy(null)).toBe(false);
    expect(isPolicy(() => undefined)).toBe(false);
  });

  it('pipeline() and pipeline({}) make an empty pipeline with the default name', async () => {
    expect(pipeline().describe()).toEqual({ kind: 'pipeline', name: 'pipeline', options: {}, policies: [] });
    expect(pipeline({}).name).toBe('pipeline');
    await expect(pipeline().execute(() => 'bare')).resolves.toBe('bare');
  });
});

describe('execute() and wrap() argument errors', () => {
  it('execute() of a non-function rejects with a TypeError naming what it got', async () => {
    const p = pipeline(new TracePolicy('a', []));
    await expect(p.execute(42 as never)).rejects.toThrow(new TypeError('execute() expects a function, got number'));
    await expect(p.execute(undefined as never)).rejects.toBeInstanceOf(TypeError);
  });

  it('wrap() of a non-function throws a TypeError naming what it got', () => {
    expect(() => pipeline().wrap('fn' as never)).toThrow(new TypeError('wrap() expects a function, got string'));
  });
});

describe('the executed event', () => {
  it('carries the policy, pipeline, operation, labels, time, duration and the call facts', async () => {
    const clock = new VirtualClock(1_000);
    const p = pipeline({ clock, name: 'shop', operation: 'shop.default' }, new TracePolicy('a', [], clock));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    const call = p.execute(() => new Promise((res) => clock.setTimeout(() => res('v'), 40)), { labels: { region: 'eu' } });
    await clock.advance(40);
    await call;
    expect(events).toEqual([
      {
        kind: 'execution',
        type: 'executed',
        policy: 'shop',
        pipeline: 'shop',
        operation: 'shop.default',
        labels: { region: 'eu' },
        time: 1_040,
        duration: 40,
        ok: true,
        error: undefined,
        attempts: 1,
        fallback: false,
        injected: false,
        cancelled: false,
      },
    ]);
  });

  it('says cancelled when the caller aborted during the call', async () => {
    const p = pipeline(new TracePolicy('a', []));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    const ac = new AbortController();
    const reason = new Error('left');
    await expect(
      p.execute(
        () => {
          ac.abort(reason);
          throw reason;
        },
        { signal: ac.signal },
      ),
    ).rejects.toBe(reason);
    expect(events).toMatchObject([{ ok: false, error: reason, cancelled: true }]);
  });

  it('is decided when the call starts: a listener added during the call does not get it', async () => {
    const p = pipeline(new TracePolicy('a', []));
    const late: string[] = [];
    await p.execute(() => {
      p.onEvent((e) => late.push(e.type));
      return 1;
    });
    expect(late).toEqual(['exit']);
    await p.execute(() => 2);
    expect(late).toEqual(['exit', 'enter', 'exit', 'executed']);
  });

  it('is emitted once even when the inner chain settles twice', async () => {
    const p = pipeline(new DoubleDonePolicy());
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    await expect(p.execute(() => 'v')).resolves.toBe('v');
    await expect(pipeline(new DoubleDonePolicy(), new RejectPolicy(new Error('no'))).execute(() => 'v')).rejects.toThrow('no');
    expect(events).toHaveLength(1);
  });

  it('goes to the object whose execute() was called: a policy run alone tells no pipeline, and names none', async () => {
    const a = new TracePolicy('a', []);
    const p = pipeline({ name: 'outer' }, a);
    const heardByPipeline: string[] = [];
    p.onEvent((e) => heardByPipeline.push(e.type));
    const heardByPolicy: ResilienceEvent[] = [];
    a.onEvent((e) => heardByPolicy.push(e));
    await a.execute(() => 1);
    expect(heardByPipeline).toEqual([]);
    expect(heardByPolicy.map((e) => [e.type, e.pipeline, e.policy])).toEqual([
      ['enter', undefined, 'a'],
      ['exit', undefined, 'a'],
      ['executed', undefined, 'a'],
    ]);
    heardByPolicy.length = 0;
    await p.execute(() => 2);
    expect(heardByPolicy.map((e) => [e.type, e.pipeline])).toEqual([
      ['enter', 'outer'],
      ['exit', 'outer'],
    ]);
    expect(heardByPipeline).toEqual(['enter', 'exit', 'executed']);
  });
});

describe('operation names', () => {
  it("is 'default' unless the pipeline or the call names one; the call's wins", async () => {
    const seen: string[] = [];
    const op = (ctx: ExecutionContext): void => {
      seen.push(ctx.operation);
    };
    await pipeline(new TracePolicy('a', [])).execute(op);
    await pipeline({ operation: 'lobby.join' }, new TracePolicy('a', [])).execute(op);
    await pipeline({ operation: 'lobby.join' }, new TracePolicy('a', [])).execute(op, { operation: 'lobby.leave' });
    await pipeline({ operation: 'lobby.join' }).execute(op);
    expect(seen).toEqual(['default', 'lobby.join', 'lobby.leave', 'lobby.join']);
  });
});

describe('abortOnSettle', () => {
  /** Runs `fn` through `p`, keeping the signal it read; returns whether that signal was aborted once the call settled. */
  async function abortedAfter(
    p: { execute: (fn: (ctx: ExecutionContext) => unknown, o?: { abortOnSettle?: boolean }) => Promise<unknown> },
    fail: boolean,
    abortOnSettle?: boolean,
  ): Promise<boolean> {
    let signal: AbortSignal | undefined;
    const call = p.execute(
      async (ctx) => {
        signal = ctx.signal;
        await Promise.resolve();
        if (fail) throw new Error('failed');
        return 'ok';
      },
      abortOnSettle === undefined ? undefined : { abortOnSettle },
    );
    await call.then(
      () => undefined,
      () => undefined,
    );
    return (signal as AbortSignal).aborted;
  }

  it("a pipeline's abortOnSettle aborts the call's signal once it settles, success or failure; the call can turn it off", async () => {
    const on = pipeline({ abortOnSettle: true }, new TracePolicy('a', []));
    expect(await abortedAfter(on, false)).toBe(true);
    expect(await abortedAfter(on, true)).toBe(true);
    expect(await abortedAfter(on, false, false)).toBe(false);
    const off = pipeline(new TracePolicy('a', []));
    expect(await abortedAfter(off, false)).toBe(false);
    expect(await abortedAfter(off, false, true)).toBe(true);
  });

  it('the same on the promise-native path of an empty pipeline, success or failure', async () => {
    expect(await abortedAfter(pipeline(), false, true)).toBe(true);
    expect(await abortedAfter(pipeline(), true, true)).toBe(true);
    expect(await abortedAfter(pipeline({ abortOnSettle: true }), true)).toBe(true);
    expect(await abortedAfter(pipeline(), true)).toBe(false);
  });
});

describe('the chain', () => {
  it("stamps each event with the clock's time when it is emitted", async () => {
    const clock = new VirtualClock(500);
    const t = new TracePolicy('a', [], clock);
    const times: [string, number][] = [];
    t.onEvent((e) => times.push([e.type, e.time]));
    const call = t.execute(() => new Promise((res) => clock.setTimeout(() => res(1), 25)));
    await clock.advance(25);
    await call;
    expect(times).toEqual([
      ['enter', 500],
      ['exit', 525],
      ['executed', 525],
    ]);
  });
});

describe('the chain under a call observer', () => {
  /** An outer strategy that observes its call with `observer` (as tracing does). */
  function observedBy(observer: CallObserver): ScopePolicy {
    return new (class extends ScopePolicy {
      override run(ctx: ExecutionContext, link: Link, done: Done): void {
        const stop = observeCall(ctx, observer);
        link.next(ctx, (o) => {
          stop?.();
          done(o);
        });
      }
    })();
  }

  it("hands the observer every event of the call's strategies, though nobody listens, and wraps each run of the function", async () => {
    const seen: string[] = [];
    const observer: CallObserver = {
      event: (e, ctx) => seen.push(`${e.type}@${e.policy}:${ctx.operation}`),
      attempt: (ctx, run) => {
        seen.push('attempt');
        return run(ctx);
      },
    };
    const inner = new TracePolicy('t', []);
    await expect(pipeline(observedBy(observer), inner).execute(() => 'v', { operation: 'op' })).resolves.toBe('v');
    expect(seen).toEqual(['enter@t:op', 'attempt', 'exit@t:op']);
  });

  it('an observer that throws on an event is reported and the call goes on', async () => {
    const reported: string[] = [];
    const sub = onCallbackError((error) => reported.push((error as Error).message));
    try {
      const observer: CallObserver = {
        event: () => {
          throw new Error('observer bug');
        },
        attempt: (ctx, run) => run(ctx),
      };
      await expect(pipeline(observedBy(observer), new TracePolicy('t', [])).execute(() => 'still')).resolves.toBe('still');
      expect(reported).toEqual(['observer bug', 'observer bug']);
    } finally {
      sub.dispose();
    }
  });

  it('without an observer, no event is built for a strategy nobody listens to', async () => {
    const t = new TracePolicy('t', []);
    let built = 0;
    const emit = t.events.emit.bind(t.events);
    t.events.emit = (e) => {
      built++;
      emit(e);
    };
    await pipeline(new ScopePolicy(), t).execute(() => 1);
    expect(built).toBe(0);
  });
});
