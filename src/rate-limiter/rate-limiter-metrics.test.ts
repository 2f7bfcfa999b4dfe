/** Metrics count a rate limiter's refusals per limiter and reason, from its `limited` events. */
import { describe, expect, it } from 'vitest';
import { pipeline } from '../core/policy';
import { createMetrics } from '../metrics/aggregator';
import { VirtualClock } from '../testing/virtual-clock';
import { rateLimiter } from './rate-limiter';

describe('rate limiter metrics', () => {
  it('counts limited calls per limiter and reason (rejections family) and the final outcome as rejected', async () => {
    const clock = new VirtualClock();
    const perPlayer = rateLimiter.partitioned({ name: 'shop.purchase', key: (ctx) => ctx.labels['player'] ?? '', rate: 1, per: 1_000, maxPartitions: 1, clock });
    const p = pipeline({ name: 'shop', clock }, perPlayer);
    const m = createMetrics({ clock });
    m.observe(p);
    await p.execute(() => 'ok', { labels: { player: 'a' } });
    for (let i = 0; i < 3; i++) await expect(p.execute(() => 'ok', { labels: { player: 'a' } })).rejects.toMatchObject({ reason: 'rate' });
    await expect(p.execute(() => 'ok', { labels: { player: 'b' } })).rejects.toMatchObject({ reason: 'max-partitions' });
    const snap = m.snapshot();
    expect(snap.rejections).toEqual([
      { pipeline: 'shop', policy: 'shop.purchase', operation: 'default', labels: {}, reasons: { 'rate-limited-rate': 3, 'rate-limited-max-partitions': 1 }, total: 4 },
    ]);
    expect(m.toPrometheus()).toMatch(/resilience_call_rejections_total\{[^}]*policy="shop\.purchase"[^}]*reason="rate-limited-rate"[^}]*\} 3/);
  });
});
