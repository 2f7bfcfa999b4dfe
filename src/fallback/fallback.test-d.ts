import { describe, expectTypeOf, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { pipeline } from '../core/policy';
import { retry } from '../retry/retry';
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

  it('binds execute() to the fallback value type, through pipelines and wrap (issue #15 item 4)', () => {
    const typed = pipeline(fallback<string>({ tiers: ['stale'] }), retry());
    expectTypeOf(typed.execute(() => 'fresh')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(typed.execute(async () => 'fresh')).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error: the fallback answers a string, so the call must produce one
    void typed.execute((): number => 1);
    // @ts-expect-error: likewise for an async function
    void typed.execute(async () => 1);
    // @ts-expect-error: an untyped value cannot stand for the fallback's string
    void typed.execute((): unknown => 'x');
    // @ts-expect-error: the bound survives nesting
    void pipeline(retry(), typed).execute((): number => 1);
    // @ts-expect-error: and wrap()
    typed.wrap((n: number) => n);
    expectTypeOf(typed.wrap((id: string) => id)).toEqualTypeOf<(id: string) => Promise<string>>();
    // A subtype of the bound is accepted; the call resolves with the bound (the fallback may answer).
    const receipts = pipeline(fallback<Receipt | null>({ tiers: [null] }));
    expectTypeOf(receipts.execute(() => backup())).toEqualTypeOf<Promise<Receipt | null>>();
  });

  it('leaves untyped pipelines and lastKnownGood-only fallbacks generic', () => {
    expectTypeOf(pipeline(retry()).execute(() => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pipeline().execute(async () => 'a')).toEqualTypeOf<Promise<string>>();
    const cached = fallback({ tiers: [lastKnownGood({ maxAge: 1_000 })] });
    expectTypeOf(cached).toEqualTypeOf<FallbackPolicy<unknown>>();
    expectTypeOf(pipeline(cached, retry()).execute(() => 5)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(fallback(lastKnownGood({ maxAge: 1_000 })).execute(() => true)).toEqualTypeOf<Promise<boolean>>();
  });

  it('widens constant tiers: fallback(\'stale\') serves any string', () => {
    expectTypeOf(fallback('stale')).toEqualTypeOf<FallbackPolicy<string>>();
    expectTypeOf(fallback({ tiers: [0] })).toEqualTypeOf<FallbackPolicy<number>>();
    expectTypeOf(fallback({ tiers: [async () => 'x' as const] })).toEqualTypeOf<FallbackPolicy<string>>();
  });
});
