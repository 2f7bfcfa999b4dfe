/**
 * The reporting rule for errors thrown by user callbacks (core/report.ts), read directly:
 * handlers hear every report in registration order with the callback's name (a default one
 * when none is given); each subscription removes exactly its own registration, once; with no
 * handler the report goes to `console.error`, and to nowhere, without throwing, when there is
 * no console.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Subscription } from './events';
import { onCallbackError, reportInternalError } from './report';

const subs: Subscription[] = [];
afterEach(() => {
  for (const s of subs.splice(0)) s.dispose();
  vi.restoreAllMocks();
});

describe('reportInternalError', () => {
  it('names an error reported without a source "an internal callback"', () => {
    const got: string[] = [];
    subs.push(onCallbackError((_error, source) => got.push(source)));
    reportInternalError(new Error('x'));
    expect(got).toEqual(['an internal callback']);
  });

  it('reaches every handler in order, also after one of them throws', () => {
    const got: string[] = [];
    subs.push(onCallbackError(() => got.push('a')));
    subs.push(
      onCallbackError(() => {
        got.push('b');
        throw new Error('handler bug');
      }),
    );
    subs.push(onCallbackError(() => got.push('c')));
    reportInternalError(new Error('x'), 'retry handle');
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('writes to console.error, prefixed and naming the source, while no handler is registered', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const error = new Error('x');
    reportInternalError(error, 'retry handle');
    expect(spy.mock.calls).toEqual([['[breakwater] retry handle threw:', error]]);
  });

  it('drops the report, without throwing, where there is no console at all', () => {
    const g = globalThis as { console?: Console };
    const saved = globalThis.console;
    delete g.console;
    try {
      expect(() => reportInternalError(new Error('x'), 'retry handle')).not.toThrow();
    } finally {
      g.console = saved;
    }
  });
});

describe('onCallbackError', () => {
  it('a subscription removes only its own registration of a handler, however often it is disposed', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const got: string[] = [];
    const handler = (_error: unknown, source: string): void => void got.push(source);
    const first = onCallbackError(handler);
    const second = onCallbackError(handler);
    subs.push(second);
    first.dispose();
    first.dispose();
    reportInternalError(new Error('x'), 'once');
    expect(got).toEqual(['once']);
    second.dispose();
    reportInternalError(new Error('x'), 'to the console');
    expect(got).toEqual(['once']);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('removes a handler from the middle of the list and keeps the others in order', () => {
    const got: string[] = [];
    subs.push(onCallbackError(() => got.push('a')));
    const middle = onCallbackError(() => got.push('b'));
    subs.push(onCallbackError(() => got.push('c')));
    middle.dispose();
    reportInternalError(new Error('x'));
    expect(got).toEqual(['a', 'c']);
  });

  it('refuses a handler that is not a function, naming what it got', () => {
    expect(() => onCallbackError('log' as never)).toThrow(new TypeError('onCallbackError() expects a function, got string'));
  });
});
