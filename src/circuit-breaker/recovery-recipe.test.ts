/**
 * The "Retry queued work after recovery" recipe (docs/recipes.md, code in
 * docs/snippets/recipes-recovery.ts) drains its queue when the breaker allows calls again,
 * with no other traffic: the `half-opened` listener is called when the recovery timeout
 * elapses.
 */
import { describe, expect, it } from 'vitest';
import { createShop, type PaymentGateway, type Purchase } from '../../docs/snippets/recipes-recovery';
import { VirtualClock } from '../testing/virtual-clock';

function fakeGateway(): PaymentGateway & { down: boolean; declined: Set<string>; charged: string[]; calls: number } {
  const g = {
    down: true,
    declined: new Set<string>(),
    charged: [] as string[],
    calls: 0,
    charge(p: Purchase): Promise<void> {
      g.calls++;
      if (g.down) return Promise.reject(new Error('502 from the gateway'));
      if (g.declined.has(p.id)) return Promise.reject(new Error('card declined'));
      g.charged.push(p.id);
      return Promise.resolve();
    },
  };
  return g;
}

const purchase = (id: string): Purchase => ({ id, playerId: `player-${id}`, sku: 'gem-pack', failures: 0 });

async function outage(shop: ReturnType<typeof createShop>): Promise<void> {
  // Five failures open the breaker; the next purchases are kept for later.
  for (let i = 0; i < 5; i++) await expect(shop.buy(purchase(`lost-${i}`))).rejects.toThrow('502');
  expect(shop.breaker.state).toBe('open');
  for (const id of ['a', 'b', 'c']) await expect(shop.buy(purchase(id))).resolves.toBe('pending');
}

describe('recipe: retry queued work after recovery', () => {
  it('drains the queue when the recovery timeout elapses, with no other call', async () => {
    const clock = new VirtualClock();
    const gateway = fakeGateway();
    const shop = createShop(gateway, clock);
    await outage(shop);
    const before = gateway.calls;
    gateway.down = false;
    await clock.advance(29_999);
    expect(gateway.calls).toBe(before); // nothing tried while open
    await clock.advance(1);
    expect(gateway.charged).toEqual(['a', 'b', 'c']);
    expect(shop.pending).toEqual([]);
    expect(shop.breaker.state).toBe('closed');
    shop.close();
  });

  it('a failed probe sends the rest back to waiting; the next half-open drains it', async () => {
    const clock = new VirtualClock();
    const gateway = fakeGateway();
    const shop = createShop(gateway, clock);
    await outage(shop);
    await clock.advance(30_000); // still down: the probe (a) fails and the breaker reopens
    expect(shop.breaker.state).toBe('open');
    expect(shop.pending.map((p) => p.id)).toEqual(['b', 'c', 'a']);
    gateway.down = false;
    await clock.advance(30_000);
    expect(gateway.charged).toEqual(['b', 'c', 'a']);
    expect(shop.pending).toEqual([]);
    shop.close();
  });

  it('a purchase that keeps failing on its own ends in `failed` instead of blocking the queue', async () => {
    const clock = new VirtualClock();
    const gateway = fakeGateway();
    const shop = createShop(gateway, clock);
    await outage(shop);
    gateway.down = false;
    gateway.declined.add('b');
    await clock.advance(30_000);
    expect(gateway.charged).toEqual(['a', 'c']);
    expect(shop.failed.map((p) => [p.id, p.failures])).toEqual([['b', 3]]);
    expect(shop.pending).toEqual([]);
    shop.close();
  });

  it('after close() no timer is left behind by an open breaker', async () => {
    const clock = new VirtualClock();
    const gateway = fakeGateway();
    const shop = createShop(gateway, clock);
    await outage(shop);
    expect(clock.pending).toBe(1); // the recovery timer, armed by the recipe's listeners
    shop.close();
    expect(clock.pending).toBe(0);
  });
});
