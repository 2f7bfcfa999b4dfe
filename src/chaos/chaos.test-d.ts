import { describe, expectTypeOf, it } from 'vitest';
import { bulkhead } from '../bulkhead/index';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import type { ChaosInjectedEvent, FaultKind } from './events';
import { faultInjection, hang, latencyInjection, outcomeInjection, type FaultInjectionPolicy, type OutcomeInjectionPolicy } from './call-faults';
import { exhaustion, flapping } from './state-faults';
import { distributions } from './distributions';
import { socialLoginTokenExpired, type SimulatedResponse } from './catalog';

describe('chaos types', () => {
  it('types the injected event, also through a pipeline', () => {
    faultInjection().on('injected', (e) => {
      expectTypeOf(e).toEqualTypeOf<ChaosInjectedEvent>();
      expectTypeOf(e.faultKind).toEqualTypeOf<FaultKind>();
      expectTypeOf(e.delay).toEqualTypeOf<number | undefined>();
    });
    pipeline(hang()).on('injected', (e) => expectTypeOf(e.fault).toEqualTypeOf<string>());
  });

  it('types the options', () => {
    expectTypeOf(faultInjection({ rate: (ctx) => (ctx.operation === 'x' ? 1 : 0) })).toEqualTypeOf<FaultInjectionPolicy>();
    faultInjection({ when: (ctx) => expectTypeOf(ctx).toEqualTypeOf<ExecutionContext>() === undefined });
    faultInjection({ enabled: false });
    // @ts-expect-error: `enabled` is the initial state of the switch; a per-call predicate goes in `when`
    faultInjection({ enabled: (ctx: ExecutionContext) => ctx.attempt > 1 });
    faultInjection({ error: RangeError });
    faultInjection({ error: new Error('x') });
    // @ts-expect-error: latency is required
    latencyInjection({});
    latencyInjection({ latency: distributions.normal({ mean: 10, stdDev: 2 }) });
    // @ts-expect-error: a string is not a delay
    latencyInjection({ latency: '10ms' });
    // @ts-expect-error: cohort needs a label
    faultInjection({ cohort: { percent: 5 } });
    // @ts-expect-error: flapping needs both durations
    flapping({ onDuration: 5 });
  });

  it('keeps the type of fake results and accepts the real bulkhead', () => {
    expectTypeOf(outcomeInjection({ result: { status: 401 } })).toEqualTypeOf<OutcomeInjectionPolicy<{ status: number }>>();
    expectTypeOf(socialLoginTokenExpired()).toEqualTypeOf<OutcomeInjectionPolicy<SimulatedResponse>>();
    exhaustion({ bulkhead: bulkhead({ maxConcurrent: 4 }), permits: 4, holdFor: 100 });
    // @ts-expect-error: not a bulkhead
    exhaustion({ bulkhead: {}, permits: 4, holdFor: 100 });
  });
});
