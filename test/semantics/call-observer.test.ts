/**
 * The call-observer seam (core/call-observer.ts): a policy that observes a call hears every
 * event of the call's policies, wraps every run of the user's function, and stops hearing
 * once the observation ends; other calls are not affected.
 */
import { describe, expect, it } from 'vitest';
import { observeCall, observing, type CallObserver } from '../../src/core/call-observer';
import type { ExecutionContext } from '../../src/core/context';
import type { ResilienceEvent } from '../../src/core/events';
import type { Done } from '../../src/core/outcome';
import { pipeline, StrategyPolicy, type Link } from '../../src/core/policy';
import { retry } from '../../src/retry/index';
import { systemClock } from '../../src/core/clock';

/** An outermost policy that observes each of its calls with a fresh recorder. */
class Observe extends StrategyPolicy<never> {
  readonly seen: { events: string[]; attempts: number[] }[] = [];
  constructor() {
    super({ kind: 'observe', name: 'observe', clock: systemClock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const record = { events: [] as string[], attempts: [] as number[] };
    this.seen.push(record);
    const observer: CallObserver = {
      event: (e: ResilienceEvent) => record.events.push(`${e.kind}:${e.type}`),
      attempt: (view, run) => {
        record.attempts.push(view.attempt);
        return run(view);
      },
    };
    const end = observeCall(ctx, observer);
    if (end === undefined) record.events.push('already observed');
    link.next(ctx, (o) => {
      end?.();
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return {};
  }
}

describe('call observer', () => {
  it('hears the events of every policy of its call and wraps every attempt', async () => {
    const obs = new Observe();
    const p = pipeline(obs, retry({ maxAttempts: 3, delay: 0, backoff: 'constant' }));
    let n = 0;
    await expect(
      p.execute(() => {
        n++;
        if (n < 3) throw new Error(`fail ${n}`);
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(obs.seen).toHaveLength(1);
    expect(obs.seen[0]?.attempts).toEqual([1, 2, 3]);
    expect(obs.seen[0]?.events).toEqual(['retry:retry', 'retry:retry']);
    expect(observing()).toBe(false);
  });

  it('is off once the call ends: a later call without the observer is not heard', async () => {
    const obs = new Observe();
    const inner = retry({ maxAttempts: 2, delay: 0, backoff: 'constant' });
    await pipeline(obs, inner).execute(() => 1);
    let failures = 0;
    await inner.execute(() => {
      if (failures++ === 0) throw new Error('once');
      return 2;
    });
    expect(obs.seen).toHaveLength(1);
    expect(obs.seen[0]?.events).toEqual([]);
    expect(observing()).toBe(false);
  });

  it('refuses a second observer on one call: the outer one keeps watching', async () => {
    const outer = new Observe();
    const inner = new Observe();
    await expect(pipeline(outer, inner).execute(() => 1)).resolves.toBe(1);
    expect(inner.seen[0]?.events).toEqual(['already observed']);
    expect(outer.seen[0]?.attempts).toEqual([1]);
    expect(inner.seen[0]?.attempts).toEqual([]);
    expect(observing()).toBe(false);
  });

  it('a throwing observer event is reported, never breaks the call', async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      class Throwing extends Observe {
        override run(ctx: ExecutionContext, link: Link, done: Done): void {
          const end = observeCall(ctx, {
            event: () => {
              throw new Error('observer bug');
            },
            attempt: (view, run) => run(view),
          });
          link.next(ctx, (o) => {
            end?.();
            done(o);
          });
        }
      }
      let n = 0;
      const p = pipeline(new Throwing(), retry({ maxAttempts: 2, delay: 0, backoff: 'constant' }));
      await expect(p.execute(() => (n++ === 0 ? Promise.reject(new Error('x')) : 5))).resolves.toBe(5);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      console.error = original;
    }
  });
});
