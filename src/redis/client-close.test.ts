/**
 * How a connection breakwater made is closed (IoConnection.close), on a stand-in ioredis
 * client: a ready one quits (the replies still due arrive first), one that does not answer
 * its QUIT is cut off after a second, one that is not ready is cut off at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectionOf, type IoRedisLike } from './client';

function fakeIoRedis(status: string, quit: () => Promise<unknown>): IoRedisLike & { calls: string[] } {
  const calls: string[] = [];
  const client = {
    calls,
    status,
    evalsha: () => Promise.resolve(null),
    eval: () => Promise.resolve(null),
    script: () => Promise.resolve('sha'),
    publish: () => Promise.resolve(0),
    subscribe: () => Promise.resolve(1),
    unsubscribe: () => Promise.resolve(0),
    duplicate: () => client,
    on: () => client,
    off: () => client,
    removeListener: () => client,
    disconnect: () => {
      calls.push('disconnect');
    },
    quit: () => {
      calls.push('quit');
      return quit();
    },
  };
  return client as unknown as IoRedisLike & { calls: string[] };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('closing an ioredis connection breakwater made', () => {
  it('quits a ready connection and cuts nothing off when the QUIT is answered', async () => {
    vi.useFakeTimers();
    const c = fakeIoRedis('ready', () => Promise.resolve('OK'));
    connectionOf(c, 'ioredis').close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(c.calls).toEqual(['quit']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cuts a ready connection off after 1 s when its QUIT gets no answer', async () => {
    vi.useFakeTimers();
    const c = fakeIoRedis('ready', () => new Promise(() => undefined));
    connectionOf(c, 'ioredis').close();
    await vi.advanceTimersByTimeAsync(999);
    expect(c.calls).toEqual(['quit']);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.calls).toEqual(['quit', 'disconnect']);
  });

  it('cuts it off at once when the QUIT fails', async () => {
    vi.useFakeTimers();
    const c = fakeIoRedis('ready', () => Promise.reject(new Error('Connection is closed.')));
    connectionOf(c, 'ioredis').close();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.calls).toEqual(['quit', 'disconnect']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('disconnects a connection that is not ready (reconnecting: nothing is due)', () => {
    const c = fakeIoRedis('reconnecting', () => Promise.resolve('OK'));
    connectionOf(c, 'ioredis').close();
    expect(c.calls).toEqual(['disconnect']);
  });
});
