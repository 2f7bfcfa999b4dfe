// The faults against the real policies: chaos goes innermost, the policies outside react.
import { describe, expect, it } from 'vitest';
import { bulkhead } from '../bulkhead/index';
import { circuitBreaker } from '../circuit-breaker/index';
import { isBrokenCircuitError, isBulkheadRejectedError, isTimeoutError } from '../core/errors';
import { pipeline } from '../core/policy';
import { VirtualClock } from '../testing/virtual-clock';
import { timeout } from '../timeout/index';
import { databaseConnectionRefused, networkPartition, resourceExhaustion } from './catalog';
import { createChaosController } from './guards';

function setup(): { clock: VirtualClock; controller: ReturnType<typeof createChaosController> } {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  return { clock, controller };
}

describe('chaos inside real pipelines', () => {
  it('a network partition (hang) is cut by the timeout outside it, and the executed event says injected', async () => {
    const { clock, controller } = setup();
    const p = pipeline(timeout({ duration: 1_000, clock }), networkPartition({ clock, controller }));
    const executed: boolean[] = [];
    p.on('executed', (e) => executed.push(e.injected));
    const call = p.execute(() => 'real').catch((e: unknown) => e);
    await clock.advance(1_000);
    expect(isTimeoutError(await call)).toBe(true);
    expect(executed).toEqual([true]);
    expect(clock.pending).toBe(0);
  });

  it('injected connection errors open the circuit breaker outside them', async () => {
    const { clock, controller } = setup();
    const p = pipeline(circuitBreaker({ failureThreshold: 3, recoveryTimeout: 10_000, clock }), databaseConnectionRefused({ clock, controller }));
    for (let i = 0; i < 3; i++) await expect(p.execute(() => 'real')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const rejected = await p.execute(() => 'real').catch((e: unknown) => e);
    expect(isBrokenCircuitError(rejected)).toBe(true);
    controller.halt('recovered');
    await clock.advance(10_000);
    await expect(p.execute(() => 'real')).resolves.toBe('real');
  });

  it('resource exhaustion placed outside the real bulkhead holds its slots: calls are rejected until the hold ends', async () => {
    const { clock, controller } = setup();
    const pool = bulkhead({ maxConcurrent: 2, maxQueue: 0, clock });
    const drain = resourceExhaustion({ clock, controller, bulkhead: pool, permits: Number.POSITIVE_INFINITY, holdFor: 500 });
    const p = pipeline(drain, pool);
    const first = await p.execute(() => 'first').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(first)).toBe(true);
    expect(pool.stats.active).toBe(2);
    expect(drain.held).toBe(2);
    const second = await p.execute(() => 'second').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(second)).toBe(true);
    await clock.advance(500);
    expect(pool.stats.active).toBe(0);
    drain.disable();
    await expect(p.execute(() => 'third')).resolves.toBe('third');
  });

  it('placed innermost, exhaustion takes what is free while the triggering call holds its own slot', async () => {
    const { clock, controller } = setup();
    const pool = bulkhead({ maxConcurrent: 3, maxQueue: 0, clock });
    const drain = resourceExhaustion({ clock, controller, bulkhead: pool, permits: 5, holdFor: 500 });
    const p = pipeline(pool, drain);
    await expect(p.execute(() => 'first')).resolves.toBe('first');
    expect(drain.held).toBe(2);
    expect(pool.stats.active).toBe(2);
    await clock.advance(500);
    expect(pool.stats.active).toBe(0);
  });
});
