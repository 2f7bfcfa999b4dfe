/**
 * Issue #21 "one event path": events that belong to no call (a manual isolate(), reset(),
 * a breaker's recovery timer) reach every enclosing pipeline exactly once, like call events.
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, pipeline, retry, type ResilienceEvent } from '../../src/index';
import { VirtualClock } from '../../src/testing';

describe('events that belong to no call', () => {
  it('reach the policy and every enclosing pipeline once, nested pipelines included', () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, name: 'gateway' });
    const inner = pipeline({ name: 'inner' }, retry(), breaker);
    const outer = pipeline({ name: 'outer' }, inner);
    const seen: [string, ResilienceEvent][] = [];
    breaker.onEvent((e) => seen.push(['breaker', e]));
    inner.onEvent((e) => seen.push(['inner', e]));
    outer.onEvent((e) => seen.push(['outer', e]));
    breaker.isolate();
    breaker.reset();
    expect(seen.map(([who, e]) => `${who}:${e.type}`)).toEqual([
      'breaker:opened',
      'inner:opened',
      'outer:opened',
      'breaker:closed',
      'inner:closed',
      'outer:closed',
    ]);
    const [, first] = seen[0] as [string, ResilienceEvent];
    expect(seen.slice(0, 3).every(([, e]) => e === first)).toBe(true); // one event object
    expect(first).toMatchObject({ kind: 'circuit-breaker', policy: 'gateway', pipeline: undefined, operation: 'default', labels: {} });
  });

  it('a pipeline listener alone makes an open breaker announce half-opened on time', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, failureThreshold: 1, recoveryTimeout: 100 });
    const shop = pipeline(pipeline(breaker));
    breaker.isolate();
    breaker.reset();
    await shop.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(clock.pending).toBe(0); // nobody listens: no timer
    const heard: string[] = [];
    const sub = shop.on('half-opened', (e) => heard.push(`${e.type}@${e.time}`));
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(heard).toEqual(['half-opened@100']);
    sub.dispose();
  });

  it('costs nothing when nobody listens anywhere', () => {
    const breaker = circuitBreaker();
    pipeline(breaker);
    expect(() => {
      breaker.isolate();
      breaker.reset();
    }).not.toThrow();
  });
});
