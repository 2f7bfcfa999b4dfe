/**
 * Metrics of the real rate limiters on the VirtualClock: calls admitted per limiter (from
 * its `admitted` events, at once or after a wait), refusals per limiter and reason (the
 * rejections family), and the live queue-length gauge.
 */
import { describe, expect, it } from 'vitest';
import { pipeline } from '../core/policy';
import { rateLimiter } from '../rate-limiter/rate-limiter';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';

/** The value of one sample of the exposition text, `undefined` when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${body}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('rate limiter metrics: admitted calls', () => {
  it('counts admitted calls per limiter, at once and after a wait, beside the refusals by reason', async () => {
    const clock = new VirtualClock();
    const perPlayer = rateLimiter.partitioned({ name: 'shop.purchase', key: (ctx) => ctx.labels['player'] ?? '', rate: 1, per: 1_000, burst: 2, clock });
    const partner = rateLimiter({ name: 'payment-partner', rate: 1, per: 1_000, maxWait: 2_000, maxQueue: 1, clock });
    const shop = pipeline({ name: 'shop', clock }, perPlayer, partner);
    const m = createMetrics({ clock });
    m.observe(shop);
    const buy = (player: string): Promise<string> => shop.execute(() => 'ok', { operation: 'shop.buy', labels: { player } });

    await buy('a'); // partner admits at once (burst 1)
    const waiting = buy('b'); // partner: waits 1 s for its slot
    await expect(buy('c')).rejects.toMatchObject({ reason: 'queue-full' }); // partner's queue holds 1
    await expect(buy('a')).rejects.toMatchObject({ limiter: 'payment-partner', reason: 'queue-full' }); // perPlayer admits a's 2nd (burst 2), partner: queue full
    await expect(buy('a')).rejects.toMatchObject({ limiter: 'shop.purchase', reason: 'rate' }); // a's 3rd: perPlayer refuses
    clock.advance(1_000);
    await expect(waiting).resolves.toBe('ok');

    const snap = m.snapshot();
    const key = { pipeline: 'shop', operation: 'shop.buy', labels: {} };
    expect(snap.admissions).toEqual([
      { ...key, policy: 'shop.purchase', admitted: 4 },
      { ...key, policy: 'payment-partner', admitted: 2 },
    ]);
    expect(snap.rejections).toEqual([
      { ...key, policy: 'shop.purchase', reasons: { 'rate-limited-rate': 1 }, total: 1 },
      { ...key, policy: 'payment-partner', reasons: { 'rate-limited-queue-full': 2 }, total: 2 },
    ]);
    const text = m.toPrometheus();
    expect(sample(text, 'resilience_rate_limiter_admitted_total', { pipeline: 'shop', policy: 'shop.purchase', operation: 'shop.buy' })).toBe(4);
    expect(sample(text, 'resilience_rate_limiter_admitted_total', { pipeline: 'shop', policy: 'payment-partner', operation: 'shop.buy' })).toBe(2);
    expect(sample(text, 'resilience_call_rejections_total', { pipeline: 'shop', policy: 'shop.purchase', operation: 'shop.buy', reason: 'rate-limited-rate' })).toBe(1);
  });

  it('counts nothing for a limiter nobody observes, and stops counting after dispose()', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimiter({ name: 'chat', rate: 10, clock });
    const m = createMetrics({ clock });
    await limiter.execute(() => 'unobserved');
    const sub = m.observe(limiter);
    await limiter.execute(() => 'observed');
    await limiter.execute(() => 'observed');
    sub.dispose();
    await limiter.execute(() => 'after dispose');
    expect(m.snapshot().admissions).toEqual([{ pipeline: '', policy: 'chat', operation: 'default', labels: {}, admitted: 2 }]);
  });
});

describe('rate limiter metrics: queue length gauge', () => {
  it('reads the waiting calls live, over every key, and drops the gauge on dispose()', async () => {
    const clock = new VirtualClock();
    const partner = rateLimiter({ name: 'payment-partner', rate: 1, per: 1_000, maxWait: 10_000, clock });
    const perPlayer = rateLimiter.partitioned({ name: 'chat', key: (ctx) => ctx.labels['player'] ?? '', rate: 1, per: 1_000, maxWait: 10_000, clock });
    const m = createMetrics({ clock });
    const sub = m.observe(pipeline({ name: 'api', clock }, partner));
    m.observe(perPlayer);
    expect(m.snapshot().rateLimiters).toEqual([
      { name: 'payment-partner', queued: 0 },
      { name: 'chat', queued: 0 },
    ]);

    const calls = [0, 1, 2].map(() => partner.execute(() => 'ok')); // 1 at once, 2 waiting
    const abort = new AbortController();
    const aborted = partner.execute(() => 'ok', { signal: abort.signal }); // a 3rd waiter
    const chats = ['a', 'a', 'b', 'b'].map((player) => perPlayer.execute(() => 'ok', { labels: { player } })); // 1 waiter per key
    expect(m.snapshot().rateLimiters).toEqual([
      { name: 'payment-partner', queued: 3 },
      { name: 'chat', queued: 2 },
    ]);
    expect(m.toPrometheus()).toContain('resilience_rate_limiter_queued{policy="payment-partner"} 3\n');

    abort.abort(new Error('player left'));
    await expect(aborted).rejects.toThrow('player left');
    expect(m.snapshot().rateLimiters[0]).toEqual({ name: 'payment-partner', queued: 2 });

    clock.advance(1_000);
    await Promise.all(chats);
    expect(m.snapshot().rateLimiters).toEqual([
      { name: 'payment-partner', queued: 1 },
      { name: 'chat', queued: 0 },
    ]);
    clock.advance(1_000);
    await Promise.all(calls);
    expect(m.snapshot().rateLimiters[0]).toEqual({ name: 'payment-partner', queued: 0 });

    sub.dispose();
    expect(m.snapshot().rateLimiters).toEqual([{ name: 'chat', queued: 0 }]);
    expect(m.toPrometheus()).not.toContain('resilience_rate_limiter_queued{policy="payment-partner"}');
  });

  it('reads one limiter per name: a second limiter with a taken name is not read', () => {
    const clock = new VirtualClock();
    const first = rateLimiter({ name: 'same', rate: 1, clock });
    const second = rateLimiter({ name: 'same', rate: 1, maxWait: 5_000, clock });
    const m = createMetrics({ clock });
    m.observe(first);
    m.observe(second);
    void second.execute(() => 'ok');
    void second.execute(() => 'ok'); // waits: second.queued is 1
    expect(second.queued).toBe(1);
    expect(m.snapshot().rateLimiters).toEqual([{ name: 'same', queued: 0 }]);
  });
});
