/**
 * Pins the rules of the live views metrics reads gauges from ({@link findLiveParts} and the
 * `read*` helpers behind `metrics.observe()`): only an object with an `onEvent` method is
 * observable; only a named node is classified, as an adaptive concurrency limit (kind
 * `adaptive-concurrency` with readable `stats`), a breaker (a `state` that is a circuit state,
 * or any `state` on kind `circuit-breaker`), a bulkhead (readable `stats` with a numeric
 * `active`) or a rate limiter (kind `rate-limiter` with a numeric `queued`), first match wins;
 * unreadable values (throwing getters, `null`, non-objects, missing numbers) read as absent,
 * and missing optional numbers read as 0.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { findLiveParts, isObservable, readConcurrency, readStats, type LiveBulkhead, type LiveConcurrencyLimit } from './live-views';

const onEvent = (): { dispose(): void } => ({ dispose: () => undefined });

/** A pipeline-like observable target holding `policies`. */
function target(...policies: object[]): { name: string; onEvent: typeof onEvent; policies: object[] } {
  return { name: 'p', onEvent, policies };
}

/** The names found in each category when walking `policies`. */
function classify(...policies: object[]): Record<string, string[]> {
  const parts = findLiveParts({ policies });
  const names = (xs: readonly { name: string }[]): string[] => xs.map((x) => x.name);
  return {
    breakers: names(parts.breakers),
    bulkheads: names(parts.bulkheads),
    rateLimiters: names(parts.rateLimiters),
    concurrencyLimits: names(parts.concurrencyLimits),
  };
}

const none = { breakers: [], bulkheads: [], rateLimiters: [], concurrencyLimits: [] };

describe('isObservable / observe(): what can be observed', () => {
  it('accepts only a non-null object with an onEvent method', () => {
    expect(isObservable({ onEvent })).toBe(true);
    expect(isObservable(null)).toBe(false);
    expect(isObservable(undefined)).toBe(false);
    expect(isObservable({})).toBe(false);
    expect(isObservable({ onEvent: 'yes' })).toBe(false);
    expect(isObservable(Object.assign(() => undefined, { onEvent }))).toBe(false);
  });

  it('observe() rejects null and objects without onEvent with its own message', () => {
    const m = createMetrics();
    expect(() => m.observe(null as never)).toThrow('metrics.observe() expects a policy or pipeline (an object with onEvent)');
    expect(() => m.observe({ name: 'x', policies: [] } as never)).toThrow('metrics.observe() expects a policy or pipeline (an object with onEvent)');
  });
});

describe('readStats: a bulkhead read live', () => {
  it('reads the four numbers, missing or non-numeric optional ones as 0', () => {
    expect(readStats({ name: 'b', stats: { active: 2, queued: 1, maxConcurrent: 4, maxQueue: 8 } })).toEqual({ active: 2, queued: 1, maxConcurrent: 4, maxQueue: 8 });
    expect(readStats({ name: 'b', stats: { active: 2 } })).toEqual({ active: 2, queued: 0, maxConcurrent: 0, maxQueue: 0 });
    expect(readStats({ name: 'b', stats: { active: 2, queued: '1', maxConcurrent: null } })).toEqual({ active: 2, queued: 0, maxConcurrent: 0, maxQueue: 0 });
  });

  it('reads through a getter, every time', () => {
    let active = 1;
    const b = { name: 'b', get stats() { return { active }; } } as LiveBulkhead;
    expect(readStats(b)?.active).toBe(1);
    active = 5;
    expect(readStats(b)?.active).toBe(5);
  });

  it('is undefined when stats throw, are null, not an object, or have no numeric active', () => {
    const throwing = { name: 'b', get stats(): unknown { throw new Error('gone'); } } as LiveBulkhead;
    expect(readStats(throwing)).toBeUndefined();
    expect(readStats({ name: 'b', stats: null })).toBeUndefined();
    expect(readStats({ name: 'b', stats: 3 })).toBeUndefined();
    expect(readStats({ name: 'b', stats: Object.assign(() => undefined, { active: 1 }) })).toBeUndefined();
    expect(readStats({ name: 'b', stats: {} })).toBeUndefined();
    expect(readStats({ name: 'b', stats: { active: '1', queued: 2 } })).toBeUndefined();
  });
});

describe('readConcurrency: an adaptive concurrency limit read live', () => {
  it('reads limit, inFlight and queued; a partitioned limit (no limit) reads limit undefined, queued 0 when missing', () => {
    expect(readConcurrency({ name: 'c', kind: 'adaptive-concurrency', stats: { limit: 10, inFlight: 3, queued: 2 } })).toEqual({ limit: 10, inFlight: 3, queued: 2 });
    expect(readConcurrency({ name: 'c', kind: 'adaptive-concurrency', stats: { inFlight: 3 } })).toEqual({ limit: undefined, inFlight: 3, queued: 0 });
  });

  it('reads through a getter', () => {
    const c = { name: 'c', kind: 'adaptive-concurrency', get stats() { return { limit: 4, inFlight: 1 }; } } as LiveConcurrencyLimit;
    expect(readConcurrency(c)).toEqual({ limit: 4, inFlight: 1, queued: 0 });
  });

  it('is undefined when stats throw, are null, not an object, or have no numeric inFlight', () => {
    const throwing = { name: 'c', kind: 'adaptive-concurrency', get stats(): unknown { throw new Error('gone'); } } as LiveConcurrencyLimit;
    expect(readConcurrency(throwing)).toBeUndefined();
    expect(readConcurrency({ name: 'c', kind: 'adaptive-concurrency', stats: null })).toBeUndefined();
    expect(readConcurrency({ name: 'c', kind: 'adaptive-concurrency', stats: 'busy' })).toBeUndefined();
    expect(readConcurrency({ name: 'c', kind: 'adaptive-concurrency', stats: Object.assign(() => undefined, { inFlight: 1 }) })).toBeUndefined();
    expect(readConcurrency({ name: 'c', kind: 'adaptive-concurrency', stats: { limit: 4 } })).toBeUndefined();
  });
});

describe('findLiveParts: how a node is classified', () => {
  it('ignores a node without a string name, whatever it holds', () => {
    expect(classify({ state: 'open' }, { name: 1, state: 'closed' }, { stats: { active: 1 } }, { kind: 'rate-limiter', queued: 1 })).toEqual(none);
  });

  it('a named node that is no live part (e.g. a retry) is in no category', () => {
    expect(classify({ name: 'retry', kind: 'retry' })).toEqual(none);
  });

  it('an adaptive concurrency limit needs kind adaptive-concurrency and readable stats', () => {
    expect(classify({ name: 'c', kind: 'adaptive-concurrency', stats: { limit: 4, inFlight: 1 } })).toEqual({ ...none, concurrencyLimits: ['c'] });
    expect(classify({ name: 'c', kind: 'adaptive-concurrency', stats: { limit: 4 } })).toEqual(none);
    expect(classify({ name: 'c', kind: 'adaptive-concurrency', stats: null })).toEqual(none);
  });

  it('stats with inFlight on another kind make a bulkhead (by active), not a concurrency limit', () => {
    expect(classify({ name: 'pool', kind: 'bulkhead', stats: { active: 1, inFlight: 1 } })).toEqual({ ...none, bulkheads: ['pool'] });
    expect(classify({ name: 'x', stats: { inFlight: 1 } })).toEqual(none);
  });

  it('a breaker is a node whose state is a circuit state, whatever its kind', () => {
    expect(classify({ name: 'b', state: 'open' }, { name: 'b2', kind: 'custom', state: 'half-open' })).toEqual({ ...none, breakers: ['b', 'b2'] });
  });

  it('a state that is no circuit state makes no breaker, unless the kind is circuit-breaker', () => {
    expect(classify({ name: 'job', state: 'running' })).toEqual(none);
    expect(classify({ name: 'gw', kind: 'circuit-breaker', state: 'bogus' })).toEqual({ ...none, breakers: ['gw'] });
    const throwing = { name: 'gw2', kind: 'circuit-breaker', get state(): unknown { throw new Error('gone'); } };
    expect(classify(throwing)).toEqual({ ...none, breakers: ['gw2'] });
  });

  it('kind circuit-breaker without a state property is no breaker', () => {
    expect(classify({ name: 'gw', kind: 'circuit-breaker' })).toEqual(none);
  });

  it('a bulkhead needs readable stats with a numeric active', () => {
    expect(classify({ name: 'pool', stats: { active: 0 } })).toEqual({ ...none, bulkheads: ['pool'] });
    expect(classify({ name: 'pool', stats: {} }, { name: 'pool2', stats: null })).toEqual(none);
  });

  it('a rate limiter needs kind rate-limiter and a numeric queued', () => {
    expect(classify({ name: 'rl', kind: 'rate-limiter', queued: 0 })).toEqual({ ...none, rateLimiters: ['rl'] });
    expect(classify({ name: 'rl', kind: 'rate-limiter', queued: 'many' })).toEqual(none);
    expect(classify({ name: 'rl', kind: 'rate-limiter' })).toEqual(none);
    expect(classify({ name: 'q', kind: 'queue', queued: 3 })).toEqual(none);
  });
});

describe('observe(): gauges from plain objects of the right shape', () => {
  it('reports a breaker, bulkhead, rate limiter and concurrency limit found in a pipeline, and nothing for impostors', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.observe(
      target(
        { name: 'gw', state: 'open' },
        { name: 'job', state: 'running' },
        { name: 'pool', stats: { active: 2, maxConcurrent: 4 } },
        { name: 'empty', stats: {} },
        { name: 'rl', kind: 'rate-limiter', queued: 3 },
        { name: 'q', kind: 'queue', queued: 5 },
        { name: 'lim', kind: 'adaptive-concurrency', stats: { limit: 8, inFlight: 2 } },
      ) as never,
    );
    const s = m.snapshot();
    expect(s.breakers.map((b) => [b.name, b.state])).toEqual([['gw', 'open']]);
    expect(s.bulkheads).toEqual([{ name: 'pool', active: 2, queued: 0, maxConcurrent: 4, maxQueue: 0 }]);
    expect(s.rateLimiters).toEqual([{ name: 'rl', queued: 3 }]);
    expect(s.concurrencyLimits).toEqual([{ name: 'lim', limit: 8, inFlight: 2, queued: 0 }]);
  });
});
