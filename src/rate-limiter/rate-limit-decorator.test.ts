/** The `@rateLimit` shorthand decorator: plain and per key, named 'Class.method' by default. */
import { describe, expect, it } from 'vitest';
import { currentContext } from '../core/context';
import { isRateLimitedError } from '../core/errors';
import { rateLimit } from '../decorators/index';
import { VirtualClock } from '../testing/virtual-clock';

describe('@rateLimit', () => {
  it('limits a method, per key when given one, and names the limiter Class.method', async () => {
    const clock = new VirtualClock();
    class Shop {
      @rateLimit({ rate: 1, per: 1_000, clock, key: () => String(currentContext()?.labels['player'] ?? 'anonymous') })
      async purchase(item: string): Promise<string> {
        return `bought ${item}`;
      }

      @rateLimit({ rate: 1, per: 1_000, clock })
      async restock(): Promise<string> {
        return 'ok';
      }
    }
    const shop = new Shop();
    await expect(shop.restock()).resolves.toBe('ok');
    const e = await shop.restock().catch((x: unknown) => x);
    expect(isRateLimitedError(e)).toBe(true);
    expect(e).toMatchObject({ limiter: 'Shop.restock', reason: 'rate', retryAfter: 1_000 });
    await expect(shop.purchase('sword')).resolves.toBe('bought sword');
    expect(await shop.purchase('shield').catch((x: unknown) => x)).toMatchObject({ limiter: 'Shop.purchase' });
    expect(() => rateLimit({ rate: 0 })).toThrow(/`rate`/);
  });
});
