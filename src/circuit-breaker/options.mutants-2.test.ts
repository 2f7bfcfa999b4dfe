/**
 * The options schema of the circuit breaker and its defaults table, read from a fresh load
 * of the modules (issue #23): both are built when `options.ts` loads, so these tests import
 * the breaker anew (`vi.resetModules()`) and check on that copy what each option accepts at
 * its bounds, what the error says it expects, and the documented defaults.
 */
import { describe, expect, it } from 'vitest';
import { freshModule, issuesOf, messageOf } from '../../test/support/fresh-module';
import type * as Breakers from './circuit-breaker';
import type * as Options from './options';

async function fresh(): Promise<typeof Breakers & typeof Options> {
  return freshModule<typeof Breakers & typeof Options>(async () => ({ ...(await import('./circuit-breaker')), ...(await import('./options')) }));
}

const prefix = 'Invalid circuitBreaker options: expected ';
const count = (size: number): { kind: 'count'; size: number } => ({ kind: 'count', size });

describe('circuit breaker options (schema of a fresh load): what each option expects', () => {
  const refused: [string, unknown, string][] = [
    ['name', { name: '' }, '`name` to be a non-empty string, got ""'],
    ['clock', { clock: 1 }, '`clock` to be a clock (an object with now, setTimeout and clearTimeout functions), got 1'],
    ['failureThreshold', { failureThreshold: 0 }, '`failureThreshold` to be an integer ≥ 1, got 0'],
    ['window', { window: 3 }, "`window` to be an object { kind: 'count', size } or { kind: 'time', duration, buckets? }, got 3"],
    ['window.kind', { window: { kind: 'sliding', size: 3 } }, '`window.kind` to be one of "count", "time", got "sliding"'],
    ['window.kind (missing)', { window: { size: 3 } }, '`window.kind` to be one of "count", "time", got undefined'],
    ['window.size', { window: count(1_000_001) }, '`window.size` to be an integer ≥ 1 and ≤ 1000000, got 1000001'],
    ['window.duration', { window: { kind: 'time', duration: 0 } }, '`window.duration` to be a duration in ms > 0, got 0'],
    ['window.buckets', { window: { kind: 'time', duration: 10, buckets: 10_001 } }, '`window.buckets` to be an integer ≥ 1 and ≤ 10000, got 10001'],
    ['minimumThroughput', { window: count(3), minimumThroughput: 0 }, '`minimumThroughput` to be an integer ≥ 1, got 0'],
    ['failureRateThreshold', { window: count(3), failureRateThreshold: 0 }, '`failureRateThreshold` to be a finite number > 0 and ≤ 1, got 0'],
    ['slowCallDuration', { window: count(3), slowCallDuration: 0 }, '`slowCallDuration` to be a duration in ms > 0, got 0'],
    [
      'slowCallRateThreshold',
      { window: count(3), slowCallDuration: 1, slowCallRateThreshold: 0 },
      '`slowCallRateThreshold` to be a finite number > 0 and ≤ 1, got 0',
    ],
    ['recoveryTimeout', { recoveryTimeout: -1 }, '`recoveryTimeout` to be a duration in ms ≥ 0 or a function (consecutiveOpens) => ms, got -1'],
    ['halfOpen', { halfOpen: 3 }, '`halfOpen` to be an object, got 3'],
    ['halfOpen.maxProbes', { halfOpen: { maxProbes: 10_001 } }, '`halfOpen.maxProbes` to be an integer ≥ 1 and ≤ 10000, got 10001'],
    ['halfOpen.successThreshold', { halfOpen: { successThreshold: 0 } }, '`halfOpen.successThreshold` to be an integer ≥ 1, got 0'],
    ['halfOpen.probeTimeout', { halfOpen: { probeTimeout: 0 } }, '`halfOpen.probeTimeout` to be a duration in ms > 0 (or Infinity), got 0'],
    ['handle', { handle: 1 }, '`handle` to be a predicate or an error class or an array of at least 1 error class item(s), got 1'],
    ['handleResult', { handleResult: 1 }, '`handleResult` to be a predicate, got 1'],
    ['restore', { restore: 1 }, '`restore` to be a snapshot returned by snapshot() (version 1), got 1'],
    [
      'coordinator',
      { coordinator: {} },
      '`coordinator` to be a breaker fleet (an object with a joinBreaker(name, peer) function, e.g. redisBreakerFleet(coordinator)), got {}',
    ],
    [
      'quorum',
      { quorum: 0 },
      '`quorum` to be an integer ≥ 1 (a count of instances) or a number > 0 and < 1 (a fraction of the live instances), got 0',
    ],
  ];
  for (const [what, options, expected] of refused) {
    it(`refuses a bad ${what} and says what it expects`, async () => {
      const { circuitBreaker } = await fresh();
      expect(messageOf(() => circuitBreaker(options as Options.CircuitBreakerOptions))).toBe(prefix + expected);
    });
  }

  it('refuses unknown keys at the top, in window and in halfOpen', async () => {
    const { circuitBreaker } = await fresh();
    expect(issuesOf(() => circuitBreaker({ threshold: 5, window: { kind: 'count', size: 2, sise: 3 }, halfOpen: { probes: 2 } } as never)).map((i) => i.path)).toEqual(
      expect.arrayContaining(['threshold', 'window.sise', 'halfOpen.probes']),
    );
  });
});

describe('circuit breaker options (schema of a fresh load): the bounds each option accepts', () => {
  it('the largest count window, the most buckets and probes, ratios of 1, a recovery of 0 ms', async () => {
    const { circuitBreaker, LIMITS } = await fresh();
    expect(LIMITS).toEqual({ windowSize: 1_000_000, buckets: 10_000, maxProbes: 10_000 });
    expect(() => circuitBreaker({ window: count(1_000_000), failureRateThreshold: 1, slowCallDuration: 1, slowCallRateThreshold: 1 })).not.toThrow();
    expect(() => circuitBreaker({ window: { kind: 'time', duration: 1, buckets: 10_000 } })).not.toThrow();
    expect(() => circuitBreaker({ window: { kind: 'time', duration: 1, buckets: 1 }, minimumThroughput: 1 })).not.toThrow();
    expect(() => circuitBreaker({ recoveryTimeout: 0, halfOpen: { maxProbes: 10_000, successThreshold: 1 } })).not.toThrow();
    expect(() => circuitBreaker({ window: count(1), failureThreshold: undefined })).not.toThrow();
  });

  it('a probe timeout of Infinity (without a fleet), a recovery timeout given as a function', async () => {
    const { circuitBreaker } = await fresh();
    const options = circuitBreaker({ recoveryTimeout: function grow(n) { return n * 1_000; }, halfOpen: { probeTimeout: Number.POSITIVE_INFINITY } }).describe().options;
    expect(options).toMatchObject({ recoveryTimeout: 'function grow', halfOpen: { probeTimeout: Number.POSITIVE_INFINITY } });
  });

  it('rates just above 0, a slow-call duration just above 0', async () => {
    const { circuitBreaker } = await fresh();
    expect(() => circuitBreaker({ window: count(2), failureRateThreshold: Number.MIN_VALUE, slowCallDuration: 0.001, slowCallRateThreshold: Number.MIN_VALUE })).not.toThrow();
  });
});

describe('circuit breaker options (a fresh load): the defaults', () => {
  it('are the documented ones', async () => {
    const { circuitBreakerDefaults } = await fresh();
    expect(circuitBreakerDefaults).toEqual({
      name: 'circuit-breaker',
      failureThreshold: 5,
      minimumThroughput: 10,
      failureRateThreshold: 0.5,
      slowCallRateThreshold: 1,
      recoveryTimeout: 60_000,
      buckets: 10,
      maxProbes: 1,
      successThreshold: 1,
      probeTimeout: 60_000,
      quorum: 2,
    });
  });

  it('are what a breaker given no options describes', async () => {
    const { circuitBreaker } = await fresh();
    expect(circuitBreaker().describe()).toEqual({
      kind: 'circuit-breaker',
      name: 'circuit-breaker',
      options: { failureThreshold: 5, recoveryTimeout: 60_000, halfOpen: { maxProbes: 1, successThreshold: 1, probeTimeout: 60_000 } },
    });
  });
});
