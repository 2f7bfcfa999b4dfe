import { describe, expectTypeOf, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import type { FallbackExhaustedEvent, FallbackTierEvent } from './events';
import { fallback, type FallbackPolicy } from './fallback';
import { lastKnownGood } from './last-known-good';

interface Receipt {
  readonly id: string;
  readonly queued?: boolean;
}
declare const backup: () => Promise<Receipt>;

describe('fallback types', () => {
  it('checks the tiers against the given value type', () => {
    const p = fallback<Receipt>({ tiers: [() => backup(), lastKnownGood({ maxAge: 1_000 }), { id: 'pending', queued: true }] });
    expectTypeOf(p).toEqualTypeOf<FallbackPolicy<Receipt>>();
    // @ts-expect-error: a constant of the wrong shape
    fallback<Receipt>({ tiers: [{ id: 42 }] });
    // @ts-expect-error: a tier function of the wrong value type
    fallback<Receipt>({ tiers: [async () => 'nope'] });
  });

  it('infers the value type from the tiers', () => {
    expectTypeOf(fallback({ tiers: ['a', 'b'] })).toEqualTypeOf<FallbackPolicy<string>>();
    expectTypeOf(fallback({ tiers: [async () => 1, 2] })).toEqualTypeOf<FallbackPolicy<number>>();
    expectTypeOf(fallback(async () => 1)).toEqualTypeOf<FallbackPolicy<number>>();
    expectTypeOf(fallback<string[]>([])).toEqualTypeOf<FallbackPolicy<string[]>>();
  });

  it('gives tier functions the context and the failure', () => {
    fallback<number>({
      tiers: [
        (ctx, failure) => {
          expectTypeOf(ctx).toEqualTypeOf<ExecutionContext>();
          expectTypeOf(failure).toEqualTypeOf<unknown>();
          return 1;
        },
      ],
    });
  });

  it('types its events and keeps execute generic', () => {
    const p = fallback<number>({ tiers: [0] });
    p.on('fallback', (e) => expectTypeOf(e).toEqualTypeOf<FallbackTierEvent>());
    p.on('exhausted', (e) => expectTypeOf(e.errors).toEqualTypeOf<readonly unknown[]>());
    expectTypeOf(p.execute(async () => 5)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pipeline(p).on).parameter(0).toEqualTypeOf<'fallback' | 'exhausted' | 'executed'>();
    const events: FallbackExhaustedEvent[] = [];
    p.on('exhausted', (e) => events.push(e));
  });
});
