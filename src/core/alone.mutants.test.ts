/**
 * The promise-native path's hand-over to the chain (core/alone.ts, `continueChain`): the
 * promise resolves with the outcome handed to `done` and never rejects, so a `start` that
 * throws gives a failed outcome carrying what it threw.
 */
import { describe, expect, it } from 'vitest';
import { continueChain } from './alone';
import type { Outcome } from './outcome';

describe('continueChain', () => {
  it('resolves with the outcome handed to done', async () => {
    await expect(continueChain((done) => done({ ok: true, value: 7 }))).resolves.toEqual({ ok: true, value: 7 });
  });

  it('a start that throws gives a failed outcome with what it threw, at once, not a rejection', async () => {
    const boom = new Error('strategy bug');
    let outcome: Outcome | undefined;
    void continueChain(() => {
      throw boom;
    }).then((o) => (outcome = o));
    await Promise.resolve();
    expect(outcome).toEqual({ ok: false, error: boom });
    expect((outcome as { error: unknown }).error).toBe(boom);
  });

  it('a start that hands an outcome to done and then throws keeps that outcome', async () => {
    const outcome = await continueChain((done) => {
      done({ ok: true, value: 'first' });
      throw new Error('after the answer');
    });
    expect(outcome).toEqual({ ok: true, value: 'first' });
  });
});
