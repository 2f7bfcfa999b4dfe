import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecutionContext } from '../core/context';
import type { ResilienceEvent } from '../core/events';
import { StrategyPolicy, pipeline, type Done, type Link } from '../core/policy';
import { bulkhead } from '../bulkhead/index';
import { circuitBreaker } from '../circuit-breaker/index';
import { retry } from '../retry/index';
import { timeout } from '../timeout/index';
import { arbitraries } from './arbitraries';
import { InvariantViolationError, watchBulkhead, watchCircuitBreaker, watchPipeline, watchRetry } from './invariants';
import { scriptedDependency } from './scripted-dependency';
import { seededRandom } from './seeded-random';
import { VirtualClock } from './virtual-clock';

/** Starts `execute()` calls at the given times; returns once every timer has run. */
async function drive(clock: VirtualClock, arrivals: readonly number[], call: () => Promise<unknown>): Promise<void> {
  for (const at of arrivals) clock.setTimeout(() => void call().catch(() => undefined), at);
  await clock.runAll();
}

const arrivals = fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 30 });

describe('invariant monitors hold for the real policies', () => {
  it('circuit breaker: never more than maxProbes probes at once, legal transitions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          failureThreshold: fc.integer({ min: 1, max: 3 }),
          recoveryTimeout: fc.integer({ min: 0, max: 500 }),
          halfOpen: fc.record({ maxProbes: fc.integer({ min: 1, max: 3 }), successThreshold: fc.integer({ min: 1, max: 3 }), probeTimeout: fc.integer({ min: 1, max: 2_000 }) }),
        }),
        arbitraries.faultSchedule({ maxLength: 30, latency: fc.integer({ min: 1, max: 800 }) }),
        arrivals,
        async (options, schedule, times) => {
          const clock = new VirtualClock();
          const breaker = circuitBreaker({ ...options, clock });
          const watch = watchCircuitBreaker(breaker);
          const dep = watch.track(scriptedDependency(schedule, clock));
          await drive(clock, times, () => breaker.execute(() => dep()));
          watch.check();
          watch.dispose();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('bulkhead: never over maxConcurrent running nor maxQueue queued, with timeouts outside', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraries.bulkheadOptions(), arbitraries.faultSchedule({ maxLength: 30 }), arrivals, async (options, schedule, times) => {
        const clock = new VirtualClock();
        const pool = bulkhead({ ...options, clock });
        const p = pipeline(timeout({ duration: 700, clock }), pool);
        const watch = watchPipeline(p);
        const dep = watch.track(scriptedDependency(schedule, clock));
        await drive(clock, times, () => p.execute(() => dep()));
        watch.check();
      }),
      { numRuns: 150 },
    );
  });

  it('retry: never over maxAttempts per call', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraries.faultSchedule({ maxLength: 30, weights: { hang: 0 } }), fc.integer(), arrivals, async (schedule, seed, times) => {
        const clock = new VirtualClock();
        const options = fc.sample(arbitraries.retryOptions({ clock, random: seededRandom(seed) }), { numRuns: 1, seed })[0];
        const policy = retry(options);
        const watch = watchRetry(policy);
        const dep = watch.track(scriptedDependency(schedule, clock));
        await drive(clock, times, () => policy.execute(() => dep()));
        watch.check();
      }),
      { numRuns: 150 },
    );
  });
});

// ------------------------------------------------------------- broken fakes: the monitors must catch them

class MisbehavingBreaker extends StrategyPolicy<ResilienceEvent> {
  active = 0;
  fakeState = 'closed';
  constructor(clock: VirtualClock) {
    super({ kind: 'circuit-breaker', name: 'fake', clock });
  }
  get state(): string {
    return this.fakeState;
  }
  get stats(): { activeProbes: number; state: string } {
    return { activeProbes: this.fakeState === 'half-open' ? this.active : 0, state: this.fakeState };
  }
  fire(payload: Record<string, unknown> & { type: string }): void {
    this.emitDetached(payload as never);
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const start = ctx.clock.now();
    this.active++;
    link.next(ctx, (o) => {
      this.active--;
      if (link.listening) link.emit(ctx, { type: o.ok ? 'success' : 'failure', duration: ctx.clock.now() - start, slow: false } as never);
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return { halfOpen: { maxProbes: 1, successThreshold: 1, probeTimeout: Number.POSITIVE_INFINITY } };
  }
}

class LeakyBulkhead extends StrategyPolicy<ResilienceEvent> {
  readonly maxConcurrent = 1;
  readonly maxQueue = 0;
  active = 0;
  constructor(clock: VirtualClock) {
    super({ kind: 'bulkhead', name: 'leaky', clock });
  }
  get stats(): { active: number; queued: number } {
    return { active: this.active, queued: 0 };
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    this.active++;
    link.next(ctx, (o) => {
      this.active--;
      done(o);
    });
  }
  protected describeOptions(): Record<string, unknown> {
    return { maxConcurrent: 1, maxQueue: 0 };
  }
}

class GreedyRetry extends StrategyPolicy<ResilienceEvent> {
  constructor(clock: VirtualClock) {
    super({ kind: 'retry', name: 'greedy', clock });
  }
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    let attempt = ctx;
    const again = (o: { ok: boolean }): void => {
      if (o.ok || attempt.attempt >= 3) {
        done(o as never);
        return;
      }
      attempt = ctx.forAttempt(attempt.attempt + 1);
      link.next(attempt, again);
    };
    link.next(ctx, again);
  }
  protected describeOptions(): Record<string, unknown> {
    return { maxAttempts: 2 };
  }
}

describe('invariant monitors catch broken policies', () => {
  it('a breaker admitting two probes at once in half-open', async () => {
    const clock = new VirtualClock();
    const breaker = new MisbehavingBreaker(clock);
    const watch = watchCircuitBreaker(breaker);
    const dep = scriptedDependency({ calls: [{ kind: 'ok', delay: 100 }, { kind: 'ok', delay: 100 }] }, clock);
    breaker.fire({ type: 'opened', reason: 'failures', from: 'closed', retryAfter: 10 });
    breaker.fakeState = 'open';
    await clock.advance(10);
    breaker.fire({ type: 'half-opened' });
    breaker.fakeState = 'half-open';
    const a = breaker.execute(watch.track(() => dep()));
    await clock.advance(50);
    const b = breaker.execute(watch.track(() => dep()));
    await clock.runAll();
    await Promise.all([a, b]);
    expect(() => watch.check()).toThrow(InvariantViolationError);
    expect(watch.violations.join('\n')).toMatch(/2 probes hold a permit \(maxProbes 1\)/);
    expect(watch.violations.join('\n')).toMatch(/2 probes ran at once in half-open \(maxProbes 1\)/);
  });

  it('a breaker making an illegal transition', () => {
    const clock = new VirtualClock();
    const breaker = new MisbehavingBreaker(clock);
    const watch = watchCircuitBreaker(breaker);
    breaker.fire({ type: 'half-opened' });
    breaker.fire({ type: 'closed', reason: 'probes-succeeded', from: 'open' });
    expect(watch.violations).toEqual([
      `circuit breaker "fake" at t=0: 'half-opened' event says it came from open, but the breaker was closed`,
      `circuit breaker "fake" at t=0: 'closed' event says it came from open, but the breaker was half-open`,
      `circuit breaker "fake" at t=0: illegal transition open → closed`,
    ]);
    watch.dispose();
    breaker.fire({ type: 'half-opened' });
    expect(watch.violations).toHaveLength(3);
  });

  it('a bulkhead running more calls than its limit', async () => {
    const clock = new VirtualClock();
    const pool = new LeakyBulkhead(clock);
    const watch = watchBulkhead(pool);
    const dep = watch.track(scriptedDependency({ otherwise: { kind: 'ok', delay: 10 } }, clock));
    await drive(clock, [0, 5], () => pool.execute(() => dep()));
    expect(() => watch.check()).toThrow(/2 tracked calls ran at once \(maxConcurrent 1\)/);
    expect(watch.violations.join('\n')).toMatch(/2 running over 1 partition\(s\)/);
  });

  it('a retry running more attempts than maxAttempts', async () => {
    const clock = new VirtualClock();
    const policy = new GreedyRetry(clock);
    const watch = watchPipeline(pipeline(policy));
    const dep = watch.track(scriptedDependency({ otherwise: { kind: 'fail' } }, clock));
    await policy.execute(() => dep()).catch(() => undefined);
    expect(() => watch.check()).toThrow(/ran the function 3 times \(maxAttempts 2\)/);
  });

  it('refuses to watch the wrong kind of policy', () => {
    const clock = new VirtualClock();
    expect(() => watchRetry(timeout({ duration: 5, clock }))).toThrow(TypeError);
    expect(() => watchBulkhead(timeout({ duration: 5, clock }))).toThrow(TypeError);
    expect(() => watchCircuitBreaker(timeout({ duration: 5, clock }))).toThrow(TypeError);
  });
});
