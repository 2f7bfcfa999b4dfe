import { describe, expectTypeOf, it } from 'vitest';
import { pipeline, type Pipeline, type Policy, type StrategyPolicy } from '../core/policy';
import { circuitBreaker, type CircuitBreakerPolicy } from './circuit-breaker';
import type { CircuitBreakerStats } from './stats';
import type { CircuitBreakerEvent, CircuitOpenReason, CircuitState } from './events';
import type { CircuitBreakerSnapshot } from './snapshot';
import type { BreakerFleet, BreakerFleetMember } from './fleet';
import type { CircuitFleetStats } from './fleet-link';

describe('circuitBreaker types', () => {
  it('returns a CircuitBreakerPolicy that is a StrategyPolicy of its events', () => {
    const b = circuitBreaker();
    expectTypeOf(b).toEqualTypeOf<CircuitBreakerPolicy>();
    expectTypeOf(b).toMatchTypeOf<StrategyPolicy<CircuitBreakerEvent>>();
    expectTypeOf(b.state).toEqualTypeOf<CircuitState>();
    expectTypeOf(b.stats).toEqualTypeOf<CircuitBreakerStats>();
    expectTypeOf(b.snapshot()).toEqualTypeOf<CircuitBreakerSnapshot>();
    expectTypeOf(b.execute(() => 42)).toEqualTypeOf<Promise<number>>();
  });

  it('types event listeners by event name', () => {
    const b = circuitBreaker();
    b.on('opened', (e) => {
      expectTypeOf(e.reason).toEqualTypeOf<CircuitOpenReason>();
      expectTypeOf(e.retryAfter).toEqualTypeOf<number>();
    });
    b.on('rejected', (e) => {
      expectTypeOf(e.state).toEqualTypeOf<'open' | 'half-open' | 'isolated'>();
    });
    // @ts-expect-error not an event of the breaker
    b.on('retry', () => {});
    b.on('half-opened', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'half-opened'>();
    });
    b.on('executed', (e) => {
      expectTypeOf(e.duration).toEqualTypeOf<number>();
    });
    // @ts-expect-error a state, not an event name
    b.on('half-open', () => {});
  });

  it('stays a Policy of its events inside a pipeline (its own on() keeps the base shape)', () => {
    const b = circuitBreaker();
    expectTypeOf(b).toMatchTypeOf<Policy>();
    const p = pipeline(b);
    expectTypeOf(p).toEqualTypeOf<Pipeline<CircuitBreakerEvent>>();
    p.on('half-opened', (e) => {
      expectTypeOf(e.policy).toEqualTypeOf<string>();
    });
  });

  it('infers the result type of handleResult and rejects wrong option types', () => {
    circuitBreaker({ handleResult: (res: { status: number }) => res.status >= 500 });
    // @ts-expect-error window kind must be 'count' or 'time'
    circuitBreaker({ window: { kind: 'sliding', size: 3 } });
    // @ts-expect-error recoveryTimeout is a number or a function of the open count
    circuitBreaker({ recoveryTimeout: '1s' });
  });

  it('types the fleet options, events and stats', () => {
    const fleet: BreakerFleet = {
      joinBreaker: (): BreakerFleetMember => ({ instanceId: 'a', publish: () => {}, acquireLease: async () => true, releaseLease: () => {}, leave: () => {} }),
    };
    const b = circuitBreaker({ name: 'gw', coordinator: fleet, quorum: 0.5 });
    expectTypeOf(b.stats.fleet).toEqualTypeOf<CircuitFleetStats | undefined>();
    expectTypeOf(b.leaveFleet).toEqualTypeOf<() => void>();
    b.on('fleet-degraded', (e) => {
      expectTypeOf(e.error).toEqualTypeOf<unknown>();
    });
    b.on('fleet-synced', (e) => {
      expectTypeOf(e.restored).toEqualTypeOf<boolean>();
      expectTypeOf(e.instances).toEqualTypeOf<number>();
    });
    b.on('opened', (e) => {
      expectTypeOf(e.reason).extract<'fleet'>().toEqualTypeOf<'fleet'>();
    });
    // @ts-expect-error a coordinator needs joinBreaker
    circuitBreaker({ name: 'gw', coordinator: { consume: () => 0 } });
    // @ts-expect-error quorum is a number
    circuitBreaker({ name: 'gw', coordinator: fleet, quorum: '2' });
  });
});
