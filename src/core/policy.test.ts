import { describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { currentContext, type ExecutionContext } from './context';
import { OptionsValidationError } from './errors';
import type { ExecutedEvent, ResilienceEvent } from './events';
import { pipeline } from './policy';
import { RejectPolicy, TracePolicy } from '../../test/support/test-strategies';

describe('pipeline', () => {
  it('runs the first policy outermost and the function innermost', async () => {
    const log: string[] = [];
    const p = pipeline(new TracePolicy('a', log), new TracePolicy('b', log), new TracePolicy('c', log));
    await expect(p.execute(() => { log.push('fn'); return 7; })).resolves.toBe(7);
    expect(log).toEqual(['enter a', 'enter b', 'enter c', 'fn', 'exit c', 'exit b', 'exit a']);
  });

  it('flattens nested pipelines and keeps the order', async () => {
    const log: string[] = [];
    const inner = pipeline(new TracePolicy('b', log), new TracePolicy('c', log));
    const p = pipeline(new TracePolicy('a', log), inner, new TracePolicy('d', log));
    await p.execute(async () => { log.push('fn'); });
    expect(log).toEqual(['enter a', 'enter b', 'enter c', 'enter d', 'fn', 'exit d', 'exit c', 'exit b', 'exit a']);
    expect(p.describe().policies?.map((d) => d.kind)).toEqual(['trace', 'pipeline', 'trace']);
  });

  it('resolves sync and async values, rejects sync throws and async rejections unchanged', async () => {
    const p = pipeline(new TracePolicy('a', []));
    const boom = new Error('boom');
    await expect(p.execute(() => 1)).resolves.toBe(1);
    await expect(p.execute(async () => 2)).resolves.toBe(2);
    await expect(p.execute(() => { throw boom; })).rejects.toBe(boom);
    await expect(p.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    const thenable = { then: (res: (v: number) => void) => res(3) } as PromiseLike<number>;
    await expect(p.execute(() => thenable)).resolves.toBe(3);
  });

  it('an empty pipeline just runs the function', async () => {
    await expect(pipeline().execute(() => 'x')).resolves.toBe('x');
  });

  it('rejects at once, without running, when the signal is already aborted', async () => {
    const fn = vi.fn();
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(pipeline(new TracePolicy('a', [])).execute(fn, { signal: ac.signal })).rejects.toThrow('gone');
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects a non-function with a TypeError', async () => {
    await expect(pipeline().execute(42 as unknown as () => number)).rejects.toBeInstanceOf(TypeError);
  });

  it('a policy that rejects never runs the function', async () => {
    const fn = vi.fn();
    const err = new Error('no');
    await expect(pipeline(new RejectPolicy(err)).execute(fn)).rejects.toBe(err);
    expect(fn).not.toHaveBeenCalled();
  });

  it('gives the function a context with operation, labels, properties and attempt', async () => {
    let seen: ExecutionContext | undefined;
    await pipeline({ operation: 'op.default' }).execute((ctx) => { seen = ctx; }, { labels: { region: 'eu' }, properties: { a: 1 } });
    expect(seen?.operation).toBe('op.default');
    expect(seen?.labels).toEqual({ region: 'eu' });
    expect(seen?.properties).toEqual({ a: 1 });
    expect(seen?.attempt).toBe(1);
    expect(seen?.remaining()).toBe(Number.POSITIVE_INFINITY);
  });

  it('validates its options and arguments', () => {
    expect(() => pipeline({ name: '' })).toThrow(OptionsValidationError);
    expect(() => pipeline({ nme: 'x' } as never)).toThrow(/unknown option `nme`/);
    expect(() => pipeline(new TracePolicy('a', []), 5 as never)).toThrow(/policies\[1\]/);
    const c1 = new VirtualClock();
    const c2 = new VirtualClock();
    expect(() => pipeline(new TracePolicy('a', [], c1), new TracePolicy('b', [], c2))).toThrow(/one clock/);
    expect(() => pipeline({ clock: c1 }, new TracePolicy('b', [], c2))).toThrow(/one clock/);
    expect(pipeline(new TracePolicy('a', [], c1), new TracePolicy('b', [])).clock).toBe(c1);
  });
});

describe('wrap and currentContext', () => {
  it('keeps parameters and this, and exposes the context synchronously', async () => {
    const p = pipeline(new TracePolicy('a', []));
    class Service {
      factor = 3;
      times = p.wrap(function (this: Service, x: number) {
        const ctx = currentContext();
        return { value: x * this.factor, attempt: ctx?.attempt };
      });
    }
    const s = new Service();
    await expect(s.times(2)).resolves.toEqual({ value: 6, attempt: 1 });
    expect(currentContext()).toBeUndefined();
    expect(() => p.wrap(5 as never)).toThrow(TypeError);
  });
});

describe('events', () => {
  it('pipeline listeners see every event with pipeline, policy, operation and labels', async () => {
    const clock = new VirtualClock(100);
    const a = new TracePolicy('a', [], clock);
    const b = new TracePolicy('b', [], clock);
    const p = pipeline({ name: 'payments' }, a, b);
    const seen: ResilienceEvent[] = [];
    const sub = p.onEvent((e) => seen.push(e));
    await p.execute(() => 1, { operation: 'payment.charge', labels: { t: '1' } });
    expect(seen.map((e) => `${e.policy}:${e.type}`)).toEqual(['a:enter', 'b:enter', 'b:exit', 'a:exit', 'payments:executed']);
    for (const e of seen) {
      expect(e.pipeline).toBe('payments');
      expect(e.operation).toBe('payment.charge');
      expect(e.labels).toEqual({ t: '1' });
      expect(e.time).toBe(100);
    }
    sub.dispose();
    sub.dispose();
    await p.execute(() => 1);
    expect(seen).toHaveLength(5);
  });

  it('policy listeners hear only their policy; on(type) filters', async () => {
    const a = new TracePolicy('a', []);
    const b = new TracePolicy('b', []);
    const p = pipeline(a, b);
    const types: string[] = [];
    a.on('exit', (e) => types.push(`${e.policy}:${e.type}:${String(e.ok)}`));
    await p.execute(() => 1);
    await expect(p.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(types).toEqual(['a:exit:true', 'a:exit:false']);
  });

  it('emits an executed event with duration, outcome and attempts', async () => {
    const clock = new VirtualClock();
    const p = pipeline({ clock, name: 'p' }, new TracePolicy('a', [], clock));
    const events: ExecutedEvent[] = [];
    p.on('executed', (e) => events.push(e));
    const call = p.execute(() => new Promise((res) => clock.setTimeout(() => res(1), 250)));
    await clock.advance(250);
    await call;
    const err = new Error('bad');
    await expect(p.execute(() => { throw err; })).rejects.toBe(err);
    expect(events.map((e) => [e.ok, e.duration, e.attempts, e.error])).toEqual([[true, 250, 1, undefined], [false, 0, 1, err]]);
  });

  it('a throwing listener is contained and reported, and the call goes on', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const p = pipeline(new TracePolicy('a', []));
    const later: string[] = [];
    p.onEvent(() => { throw new Error('listener bug'); });
    p.onEvent((e) => later.push(e.type));
    await expect(p.execute(() => 5)).resolves.toBe(5);
    expect(later).toEqual(['enter', 'exit', 'executed']);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });

  it('builds no event when nobody listens', async () => {
    const log: string[] = [];
    const t = new TracePolicy('a', log);
    const emit = vi.spyOn(t.events, 'emit');
    await pipeline(t).execute(() => 1);
    expect(emit).not.toHaveBeenCalled();
  });
});

describe('containment of strategy bugs', () => {
  it('a continuation that throws after an async outcome rejects the call instead of hanging it', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bug = new Error('strategy bug');
    const { StrategyPolicy } = await import('./policy');
    const { systemClock } = await import('./clock');
    class Buggy extends StrategyPolicy<never> {
      constructor() {
        super({ kind: 'buggy', name: 'buggy', clock: systemClock });
      }
      run(ctx: ExecutionContext, link: import('./policy').Link, _done: import('./outcome').Done): void {
        link.next(ctx, () => {
          throw bug;
        });
      }
      protected describeOptions(): Record<string, unknown> {
        return {};
      }
    }
    await expect(pipeline(new Buggy()).execute(async () => 1)).rejects.toBe(bug);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});
