import { describe, expectTypeOf, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import type { ResilienceEvent } from '../core/events';
import { pipeline, type Policy } from '../core/policy';
import { retryBudget } from '../retry/index';
import type { HedgeLosersCancelledEvent, HedgeStartedEvent, HedgeTrigger, HedgeWonEvent, HedgingEvent } from './events';
import { HedgingEvents } from './events';
import { hedgedActions, hedging, type HedgingPolicy } from './hedging';
import type { HedgingBudget, HedgingDelay } from './options';

describe('hedging types', () => {
  it('is a policy of hedging events', () => {
    const p = hedging({ delay: 30 });
    expectTypeOf(p).toEqualTypeOf<HedgingPolicy>();
    expectTypeOf(p).toMatchTypeOf<Policy<HedgingEvent>>();
    expectTypeOf<HedgingEvent>().toMatchTypeOf<ResilienceEvent>();
    expectTypeOf(p.currentDelay).toEqualTypeOf<number | undefined>();
    expectTypeOf(p.delay).toEqualTypeOf<HedgingDelay>();
  });

  it('types listeners by event name, and the names are constants', () => {
    const p = hedging({ delay: 30 });
    p.on('hedge', (e) => {
      expectTypeOf(e).toEqualTypeOf<HedgeStartedEvent>();
      expectTypeOf(e.trigger).toEqualTypeOf<HedgeTrigger>();
    });
    p.on(HedgingEvents.won, (e) => expectTypeOf(e).toEqualTypeOf<HedgeWonEvent>());
    p.on(HedgingEvents.losersCancelled, (e) => expectTypeOf(e.losers).toEqualTypeOf<readonly number[]>());
    p.on('hedge-budget-exhausted', (e) => expectTypeOf(e.attempt).toBeNumber());
    expectTypeOf(HedgingEvents.losersCancelled).toEqualTypeOf<HedgeLosersCancelledEvent['type']>();
    // @ts-expect-error not a hedging event
    p.on('retry', () => undefined);
  });

  it('takes every form of delay, a budget and typed handleResult; delay is required', () => {
    hedging({ delay: { percentile: 95, max: 250 } });
    hedging({ delay: (info) => (info.attempt === 2 ? 20 : 40) + info.context.remaining() * 0 });
    hedging({ delay: 10, budget: retryBudget({ ratio: 0.1 }) });
    hedging({ delay: 10, handleResult: (res: { status: number }) => res.status >= 500 });
    expectTypeOf(retryBudget()).toMatchTypeOf<HedgingBudget>();
    // @ts-expect-error delay is required
    hedging({ maxHedgedAttempts: 2 });
    // @ts-expect-error percentile is required in an adaptive delay
    hedging({ delay: { window: 100 } });
    // @ts-expect-error maxHedgedAttempts is a number
    hedging({ delay: 10, maxHedgedAttempts: '2' });
  });

  it('hedgedActions keeps the result type and needs one action at least', () => {
    const read = hedgedActions(
      (ctx: ExecutionContext) => Promise.resolve(`primary ${ctx.attempt}`),
      () => 'replica',
    );
    expectTypeOf(read).returns.toEqualTypeOf<string | PromiseLike<string>>();
    expectTypeOf(hedging({ delay: 5 }).execute(read)).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error at least one action
    hedgedActions();
  });

  it('composes into a pipeline that keeps its events', () => {
    const pipe = pipeline(hedging({ delay: 30 }));
    pipe.on('hedge-won', (e) => expectTypeOf(e.attempts).toBeNumber());
  });
});
