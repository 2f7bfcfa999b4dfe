/**
 * The names of the retry events (issue #23). `RetryEvents` is built when `events.ts` loads,
 * so this test imports the policy and the names anew (`vi.resetModules()`) and subscribes by
 * each name on that copy: each name must select the events of its own type.
 */
import { describe, expect, it, vi } from 'vitest';
import { settle } from '../../test/support/promises';

describe('RetryEvents (a fresh load)', () => {
  it('each name is the type of the event it selects', async () => {
    vi.resetModules();
    const { RetryEvents } = await import('./events');
    const { retry } = await import('./retry');
    const { retryBudget } = await import('./budget');
    const { VirtualClock } = await import('../testing/virtual-clock');
    expect(RetryEvents).toEqual({ retry: 'retry', giveUp: 'give-up', budgetExhausted: 'budget-exhausted' });
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0, minPerSecond: 0.1, window: 10_000, clock }); // one retry per window
    const p = retry({ clock, budget, maxAttempts: 3, delay: 1, jitter: 'none' });
    const heard: string[] = [];
    for (const name of [RetryEvents.retry, RetryEvents.giveUp, RetryEvents.budgetExhausted]) p.on(name, (e) => heard.push(`${name}=${e.type}`));
    const r = settle(p.execute(() => Promise.reject(new Error('down'))));
    await clock.runAll();
    expect(r.state()).toBe('error');
    expect(heard).toEqual(['retry=retry', 'budget-exhausted=budget-exhausted', 'give-up=give-up']);
  });
});
