import { describe, expect, it } from 'vitest';
import { pipeline } from './policy';
import { currentContext, type ExecutionContext } from './context';

describe('currentContext() across many calls', () => {
  it('is the running call in its function, the outer call again after a nested one, and undefined between calls, for more calls than its holder lives', async () => {
    const p = pipeline();
    const seen: boolean[] = [];
    // 1,000 outermost calls: the holder of currentContext() is replaced every 256 of them.
    for (let i = 0; i < 1_000; i++) {
      await p.execute(async (outer: ExecutionContext) => {
        seen.push(currentContext() === outer);
        await p.execute((inner: ExecutionContext) => {
          seen.push(currentContext() === inner && inner !== outer);
          return i;
        });
        // After the await, the function runs outside the call's synchronous start.
        seen.push(currentContext() === undefined);
      });
      seen.push(currentContext() === undefined);
    }
    expect(seen).toHaveLength(4_000);
    expect(seen.every(Boolean)).toBe(true);
  });

  it('restores the outer call when a nested function throws synchronously, and clears it when the outer one throws', async () => {
    const p = pipeline();
    for (let i = 0; i < 600; i++) {
      // One to three nested calls, so that the holder's turns run out inside nested calls too.
      const outcome = p.execute((outer: ExecutionContext) => {
        let restored = true;
        for (let k = 0; k <= i % 3; k++) {
          const nested = p.execute(() => {
            throw new Error('inner');
          });
          nested.catch(() => undefined);
          restored &&= currentContext() === outer;
        }
        if (!restored) return 'lost';
        throw new Error('outer');
      });
      await expect(outcome).rejects.toThrow('outer');
      expect(currentContext()).toBeUndefined();
    }
  });

  it('sees the call whose function starts inside another call\'s synchronous start (a call made by the function itself)', async () => {
    const p = pipeline();
    const q = pipeline();
    for (let i = 0; i < 300; i++) {
      let innerSeen: ExecutionContext | undefined;
      let outerAfter: ExecutionContext | undefined;
      let outerCtx: ExecutionContext | undefined;
      await p.execute(async (outer: ExecutionContext) => {
        outerCtx = outer;
        const pending = q.execute((inner: ExecutionContext) => {
          innerSeen = currentContext() === inner ? inner : undefined;
          return 1;
        });
        outerAfter = currentContext();
        await pending;
      });
      expect(innerSeen).toBeDefined();
      expect(outerAfter).toBe(outerCtx);
    }
  });
});
