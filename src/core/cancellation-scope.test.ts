import { describe, expect, it, vi } from 'vitest';
import { CancellationScope } from './cancellation-scope';

describe('cancellation scope', () => {
  it('a scope that aborted on its own subscribes nothing upward when it is subscribed to afterwards', () => {
    const caller = new AbortController();
    const added = vi.spyOn(caller.signal, 'addEventListener');
    const root = new CancellationScope(undefined, caller.signal);
    const child = new CancellationScope(root, undefined);
    child.abort(new Error('expired'));
    const heard: unknown[] = [];
    child.subscribe((r) => heard.push(r));
    expect(child.signal.aborted).toBe(true);
    // Nothing links the root to the caller's signal: no listener is left on it.
    expect(added).not.toHaveBeenCalled();
    caller.abort(new Error('caller'));
    expect(heard).toEqual([]);
  });

  it('a scope that did not abort links upward on its first subscription, once, and hears the caller', () => {
    const caller = new AbortController();
    const added = vi.spyOn(caller.signal, 'addEventListener');
    const removed = vi.spyOn(caller.signal, 'removeEventListener');
    const root = new CancellationScope(undefined, caller.signal);
    const child = new CancellationScope(root, undefined);
    const heard: unknown[] = [];
    child.subscribe((r) => heard.push(r));
    child.subscribe((r) => heard.push(r));
    expect(added).toHaveBeenCalledTimes(1);
    const reason = new Error('caller');
    caller.abort(reason);
    expect(heard).toEqual([reason, reason]);
    expect(child.aborted).toBe(true);
    expect(removed).not.toHaveBeenCalled(); // a once listener, spent by the abort
  });

  it('disposing a linked scope removes its listener from the caller’s signal', () => {
    const caller = new AbortController();
    const removed = vi.spyOn(caller.signal, 'removeEventListener');
    const root = new CancellationScope(undefined, caller.signal);
    const child = new CancellationScope(root, undefined);
    child.subscribe(() => {});
    child.dispose();
    root.dispose();
    expect(removed).toHaveBeenCalledTimes(1);
  });
});
