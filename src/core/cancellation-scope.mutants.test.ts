import { describe, expect, it, vi } from 'vitest';
import { CancellationScope } from './cancellation-scope';

/** The listeners a scope holds now (a private field: retention is the rule under test). */
const held = (scope: CancellationScope): number => (scope as unknown as { listeners?: unknown[] }).listeners?.length ?? 0;

describe('cancellation scope: subscriptions', () => {
  it('unsubscribing removes exactly that listener, whatever its place, and a second unsubscribe removes nothing', () => {
    const scope = new CancellationScope(undefined, undefined);
    const heard: string[] = [];
    const offA = scope.subscribe(() => heard.push('a'));
    scope.subscribe(() => heard.push('b'));
    const offC = scope.subscribe(() => heard.push('c'));
    offA(); // the first one
    offA(); // again: not found, nothing else goes
    offC(); // the last one
    scope.abort(new Error('stop'));
    expect(heard).toEqual(['b']);
  });

  it('an unsubscribe after the scope aborted is harmless', () => {
    const scope = new CancellationScope(undefined, undefined);
    const off = scope.subscribe(() => undefined);
    scope.abort('r');
    expect(() => off()).not.toThrow();
  });

  it('subscribing to an aborted scope keeps no listener and returns an unsubscribe that does nothing', () => {
    const scope = new CancellationScope(undefined, undefined);
    scope.abort('r');
    const listener = vi.fn();
    const off = scope.subscribe(listener);
    expect(held(scope)).toBe(0);
    off();
    scope.abort('again');
    expect(listener).not.toHaveBeenCalled();
  });

  it('the first abort decides the reason: a second abort changes nothing and calls no one', () => {
    const scope = new CancellationScope(undefined, undefined);
    const signal = scope.signal;
    const listener = vi.fn();
    scope.subscribe(listener);
    scope.abort('first');
    scope.abort('second');
    expect(scope.reason).toBe('first');
    expect(signal.reason).toBe('first');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith('first');
  });
});

describe('cancellation scope: links upward', () => {
  it('a scope links to its parent once however often it is subscribed to, and a disposed scope hears nothing more from it', () => {
    const parent = new CancellationScope(undefined, undefined);
    const child = new CancellationScope(parent, undefined);
    const signal = child.signal; // links
    child.subscribe(() => undefined); // no second link
    child.subscribe(() => undefined);
    expect(held(parent)).toBe(1);
    child.dispose();
    expect(held(parent)).toBe(0);
    parent.abort(new Error('parent'));
    expect(signal.aborted).toBe(false);
  });

  it('a disposed scope never links again: subscribing to it afterwards adds nothing to its parent or the caller’s signal', () => {
    const caller = new AbortController();
    const added = vi.spyOn(caller.signal, 'addEventListener');
    const root = new CancellationScope(undefined, caller.signal);
    root.dispose();
    const listener = vi.fn();
    root.subscribe(listener);
    expect(added).not.toHaveBeenCalled();
    caller.abort(new Error('caller'));
    expect(listener).not.toHaveBeenCalled();

    const parent = new CancellationScope(undefined, undefined);
    const child = new CancellationScope(parent, undefined);
    child.dispose();
    child.subscribe(listener);
    expect(held(parent)).toBe(0);
  });

  it('subscribing to a root scope whose caller signal has already aborted adds no listener to that signal, and the scope reads aborted with its reason', () => {
    const caller = new AbortController();
    const reason = new Error('caller');
    caller.abort(reason);
    const added = vi.spyOn(caller.signal, 'addEventListener');
    const root = new CancellationScope(undefined, caller.signal);
    const listener = vi.fn();
    root.subscribe(listener);
    expect(added).not.toHaveBeenCalled();
    expect(root.aborted).toBe(true);
    expect(root.reason).toBe(reason);
    expect(listener).not.toHaveBeenCalled();
    expect(held(root)).toBe(0);
  });
});
