/**
 * Bad input: every public factory, fed arbitrary values for each option (and whole
 * arbitrary options objects), either builds a policy that works or throws an
 * `OptionsValidationError`: never another exception, never NaN, a negative number, an
 * unwanted Infinity or an unknown key accepted silently, and `__proto__` / `constructor`
 * keys (as `JSON.parse` makes them) cannot pollute prototypes.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isOptionsValidationError } from '../../src/core/errors';
import { Policy, pipeline } from '../../src/core/policy';
import { retry, retryBudget, exponentialBackoff, linearBackoff, constantBackoff, type RetryBudget } from '../../src/retry/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { timeout } from '../../src/timeout/index';
import { bulkhead } from '../../src/bulkhead/index';
import { rateLimiter } from '../../src/rate-limiter/index';
import { hedging } from '../../src/hedging/index';
import { adaptiveConcurrency } from '../../src/adaptive-concurrency/index';
import { fallback, lastKnownGood, type LastKnownGood } from '../../src/fallback/index';
import {
  behaviorInjection,
  createChaosController,
  distributions,
  exhaustion,
  faultInjection,
  flapping,
  hang,
  latencyInjection,
  outcomeInjection,
  validateChaosRules,
  type ChaosController,
} from '../../src/chaos/index';
import { createMetrics, type Metrics } from '../../src/metrics/index';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { macrotask, trapUnhandledRejections } from './support';

const unhandled = trapUnhandledRejections();
const RUNS = Number(process.env['RELIABILITY_RUNS'] ?? 1000);
/** Runs of the per-key properties (each runs once per key of every factory). */
const KEY_RUNS = Math.max(50, Math.round(RUNS / 5));

/** What a factory built, and a way to check it works. */
type Built = unknown;

interface FactorySpec {
  readonly name: string;
  /** Valid options for the given clock (the base every property varies one key of). */
  readonly base: (clock: VirtualClock) => Record<string, unknown>;
  readonly build: (options: unknown) => Built;
  /** Every option key the factory documents (anything else must be rejected). */
  readonly keys: readonly string[];
  /** The keys the per-key properties vary; `keys` when absent. */
  readonly vary?: readonly string[];
  /** Numeric keys, with whether Infinity is meaningful for them. */
  readonly numeric: Readonly<Record<string, { infinity: boolean }>>;
}

function armedController(clock: VirtualClock): ChaosController {
  const c = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  c.arm({ environment: 'test' });
  return c;
}

const FAULT_KEYS = ['name', 'clock', 'random', 'rate', 'enabled', 'when', 'target', 'cohort', 'maxDuration', 'controller'];
const FAULT_NUMERIC = { rate: { infinity: false }, maxDuration: { infinity: true } };
const faultBase = (clock: VirtualClock) => ({ clock, controller: armedController(clock), rate: 1 });

const BREAKER_KEYS = [
  'name',
  'clock',
  'failureThreshold',
  'window',
  'minimumThroughput',
  'failureRateThreshold',
  'slowCallDuration',
  'slowCallRateThreshold',
  'recoveryTimeout',
  'halfOpen',
  'handle',
  'handleResult',
  'restore',
];

const HEDGING_KEYS = ['delay', 'maxHedgedAttempts', 'budget', 'name', 'clock', 'handle', 'handleResult'];
const ADAPTIVE_KEYS = ['initialLimit', 'minLimit', 'maxLimit', 'algorithm', 'maxQueue', 'queueTimeout', 'name', 'clock', 'handle', 'handleResult'];
const ADAPTIVE_NUMERIC = {
  initialLimit: { infinity: false },
  minLimit: { infinity: false },
  maxLimit: { infinity: false },
  maxQueue: { infinity: true },
  queueTimeout: { infinity: true },
};

/**
 * The clock of the spec whose options are a nested object (`hedging`'s adaptive `delay`,
 * an adaptive limit's `algorithm` tuning): `base(clock)` sets it just before `build` runs,
 * so the policy built around the nested object runs on the property's clock.
 */
let nestedClock: VirtualClock | undefined;
const nestedBase = (clock: VirtualClock, options: Record<string, unknown>): Record<string, unknown> => {
  nestedClock = clock;
  return options;
};

const specs: readonly FactorySpec[] = [
  {
    name: 'retry',
    base: (clock) => ({ clock, maxAttempts: 3, delay: 10 }),
    build: (o) => retry(o as never),
    keys: ['name', 'clock', 'random', 'maxAttempts', 'backoff', 'delay', 'factor', 'maxDelay', 'jitter', 'handle', 'handleResult', 'retryAfter', 'maxDuration', 'budget', 'retryRejections'],
    numeric: { maxAttempts: { infinity: true }, delay: { infinity: false }, factor: { infinity: false }, maxDelay: { infinity: false }, maxDuration: { infinity: false } },
  },
  {
    name: 'circuitBreaker',
    base: (clock) => ({ clock, failureThreshold: 2, recoveryTimeout: 100 }),
    build: (o) => circuitBreaker(o as never),
    keys: BREAKER_KEYS,
    numeric: {
      failureThreshold: { infinity: false },
      minimumThroughput: { infinity: false },
      failureRateThreshold: { infinity: false },
      slowCallDuration: { infinity: false },
      slowCallRateThreshold: { infinity: false },
      recoveryTimeout: { infinity: false },
    },
  },
  {
    name: 'circuitBreaker (window)',
    base: (clock) => ({ clock, window: { kind: 'count', size: 4 }, minimumThroughput: 2, recoveryTimeout: 100 }),
    build: (o) => circuitBreaker(o as never),
    keys: BREAKER_KEYS,
    vary: ['window', 'minimumThroughput', 'failureRateThreshold', 'slowCallDuration', 'slowCallRateThreshold', 'halfOpen'],
    numeric: { minimumThroughput: { infinity: false }, failureRateThreshold: { infinity: false }, slowCallDuration: { infinity: false } },
  },
  {
    name: 'timeout',
    base: (clock) => ({ clock, duration: 100 }),
    build: (o) => timeout(o as never),
    keys: ['duration', 'strategy', 'name', 'clock'],
    numeric: { duration: { infinity: false } },
  },
  {
    name: 'bulkhead',
    base: (clock) => ({ clock, maxConcurrent: 2, maxQueue: 2 }),
    build: (o) => bulkhead(o as never),
    keys: ['maxConcurrent', 'maxQueue', 'queueTimeout', 'name', 'clock'],
    numeric: { maxConcurrent: { infinity: false }, maxQueue: { infinity: true }, queueTimeout: { infinity: true } },
  },
  {
    name: 'bulkhead.partitioned',
    base: (clock) => ({ clock, maxConcurrent: 2, key: () => 'k' }),
    build: (o) => bulkhead.partitioned(o as never),
    keys: ['maxConcurrent', 'maxQueue', 'queueTimeout', 'name', 'clock', 'key', 'maxPartitions'],
    numeric: { maxConcurrent: { infinity: false }, maxQueue: { infinity: true }, queueTimeout: { infinity: true }, maxPartitions: { infinity: true } },
  },
  {
    name: 'rateLimiter',
    base: (clock) => ({ clock, rate: 5, burst: 2, maxWait: 10 }),
    build: (o) => rateLimiter(o as never),
    keys: ['rate', 'per', 'burst', 'cost', 'algorithm', 'maxWait', 'maxQueue', 'name', 'clock', 'store'],
    numeric: { rate: { infinity: false }, per: { infinity: false }, burst: { infinity: false }, maxWait: { infinity: false }, maxQueue: { infinity: true } },
  },
  {
    name: 'rateLimiter.partitioned',
    base: (clock) => ({ clock, rate: 5, key: () => 'k' }),
    build: (o) => rateLimiter.partitioned(o as never),
    keys: ['rate', 'per', 'burst', 'cost', 'algorithm', 'maxWait', 'maxQueue', 'name', 'clock', 'store', 'key', 'maxPartitions'],
    numeric: { rate: { infinity: false }, per: { infinity: false }, burst: { infinity: false }, maxWait: { infinity: false }, maxQueue: { infinity: true }, maxPartitions: { infinity: true } },
  },
  {
    name: 'hedging',
    base: (clock) => ({ clock, delay: 30, maxHedgedAttempts: 1 }),
    build: (o) => hedging(o as never),
    keys: HEDGING_KEYS,
    numeric: { delay: { infinity: true }, maxHedgedAttempts: { infinity: false } },
  },
  {
    // The adaptive delay's own keys, each varied inside `delay`.
    name: 'hedging (adaptive delay)',
    base: (clock) => nestedBase(clock, { percentile: 95, window: 20, minSamples: 5 }),
    build: (o) => hedging({ clock: nestedClock, delay: o as never }),
    keys: ['percentile', 'window', 'minSamples', 'warmUpDelay', 'min', 'max'],
    numeric: {
      percentile: { infinity: false },
      window: { infinity: false },
      minSamples: { infinity: false },
      warmUpDelay: { infinity: true },
      min: { infinity: false },
      max: { infinity: true },
    },
  },
  {
    name: 'adaptiveConcurrency',
    base: (clock) => ({ clock, initialLimit: 4, minLimit: 1, maxLimit: 10, maxQueue: 2 }),
    build: (o) => adaptiveConcurrency(o as never),
    keys: ADAPTIVE_KEYS,
    numeric: ADAPTIVE_NUMERIC,
  },
  {
    name: 'adaptiveConcurrency.partitioned',
    base: (clock) => ({ clock, initialLimit: 4, minLimit: 1, maxLimit: 10, key: () => 'k' }),
    build: (o) => adaptiveConcurrency.partitioned(o as never),
    keys: [...ADAPTIVE_KEYS, 'key', 'maxPartitions'],
    numeric: { ...ADAPTIVE_NUMERIC, maxPartitions: { infinity: true } },
  },
  {
    // The algorithm's tuning keys, varied inside `algorithm` (aimd's: the kind fixed by the base).
    name: 'adaptiveConcurrency (aimd tuning)',
    base: (clock) => nestedBase(clock, { kind: 'aimd', backoffRatio: 0.8 }),
    build: (o) => adaptiveConcurrency({ clock: nestedClock, initialLimit: 4, minLimit: 1, maxLimit: 10, algorithm: o as never }),
    keys: ['kind', 'backoffRatio', 'latencyThreshold'],
    numeric: { backoffRatio: { infinity: false }, latencyThreshold: { infinity: true } },
  },
  {
    name: 'fallback',
    base: (clock) => ({ clock, tiers: ['fallback value'] }),
    build: (o) => fallback(o as never),
    keys: ['tiers', 'handle', 'handleResult', 'name', 'clock'],
    numeric: {},
  },
  {
    name: 'lastKnownGood',
    base: () => ({ maxAge: 1_000 }),
    build: (o) => lastKnownGood(o as never),
    keys: ['maxAge', 'key', 'maxEntries'],
    numeric: { maxAge: { infinity: true }, maxEntries: { infinity: false } },
  },
  {
    name: 'retryBudget',
    base: (clock) => ({ clock, ratio: 0.1 }),
    build: (o) => retryBudget(o as never),
    keys: ['ratio', 'minPerSecond', 'window', 'clock'],
    numeric: { ratio: { infinity: false }, minPerSecond: { infinity: false }, window: { infinity: false } },
  },
  {
    name: 'exponentialBackoff',
    base: () => ({ delay: 10 }),
    build: (o) => exponentialBackoff(o as never),
    keys: ['delay', 'factor', 'maxDelay', 'jitter'],
    numeric: { delay: { infinity: false }, factor: { infinity: false }, maxDelay: { infinity: false } },
  },
  {
    name: 'linearBackoff',
    base: () => ({ delay: 10 }),
    build: (o) => linearBackoff(o as never),
    keys: ['delay', 'maxDelay', 'jitter'],
    numeric: { delay: { infinity: false }, maxDelay: { infinity: false } },
  },
  {
    name: 'constantBackoff',
    base: () => ({ delay: 10 }),
    build: (o) => constantBackoff(o as never),
    keys: ['delay', 'maxDelay', 'jitter'],
    numeric: { delay: { infinity: false }, maxDelay: { infinity: false } },
  },
  {
    name: 'pipeline',
    base: (clock) => ({ clock, name: 'p' }),
    build: (o) => pipeline(o as never, timeout({ duration: 1_000, clock: (o as { clock?: unknown } | null)?.clock instanceof VirtualClock ? ((o as { clock: VirtualClock }).clock) : undefined })),
    keys: ['name', 'operation', 'clock'],
    numeric: {},
  },
  {
    name: 'faultInjection',
    base: faultBase,
    build: (o) => faultInjection(o as never),
    keys: [...FAULT_KEYS, 'error'],
    numeric: FAULT_NUMERIC,
  },
  {
    name: 'latencyInjection',
    base: (clock) => ({ ...faultBase(clock), latency: 10 }),
    build: (o) => latencyInjection(o as never),
    keys: [...FAULT_KEYS, 'latency'],
    numeric: { ...FAULT_NUMERIC, latency: { infinity: false } },
  },
  {
    name: 'outcomeInjection',
    base: (clock) => ({ ...faultBase(clock), result: 'fake' }),
    build: (o) => outcomeInjection(o as never),
    keys: [...FAULT_KEYS, 'result', 'generate'],
    numeric: FAULT_NUMERIC,
  },
  {
    name: 'behaviorInjection',
    base: (clock) => ({ ...faultBase(clock), behavior: () => undefined }),
    build: (o) => behaviorInjection(o as never),
    keys: [...FAULT_KEYS, 'behavior'],
    numeric: FAULT_NUMERIC,
  },
  {
    name: 'hang',
    base: faultBase,
    build: (o) => hang(o as never),
    keys: FAULT_KEYS,
    numeric: FAULT_NUMERIC,
  },
  {
    name: 'exhaustion',
    base: (clock) => ({ ...faultBase(clock), bulkhead: bulkhead({ clock, maxConcurrent: 2 }), permits: 1, holdFor: 50 }),
    build: (o) => exhaustion(o as never),
    keys: [...FAULT_KEYS, 'bulkhead', 'permits', 'holdFor', 'partition'],
    numeric: { ...FAULT_NUMERIC, permits: { infinity: true }, holdFor: { infinity: false } },
  },
  {
    name: 'flapping',
    base: (clock) => ({ ...faultBase(clock), onDuration: 50, offDuration: 50 }),
    build: (o) => flapping(o as never),
    keys: [...FAULT_KEYS, 'onDuration', 'offDuration', 'fault', 'error', 'startWith'],
    numeric: { ...FAULT_NUMERIC, onDuration: { infinity: false }, offDuration: { infinity: false } },
  },
  {
    name: 'createChaosController',
    base: (clock) => ({ clock, env: { BREAKWATER_CHAOS: '1' } }),
    build: (o) => createChaosController(o as never),
    keys: ['env', 'clock', 'wallClock'],
    numeric: {},
  },
  {
    name: 'chaos.arm',
    base: () => ({ environment: 'test' }),
    build: (o) => createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock: new VirtualClock() }).arm(o as never),
    keys: ['environment', 'allowProduction', 'productionEnvironments', 'maxDuration', 'policy', 'clock'],
    numeric: { maxDuration: { infinity: true } },
  },
  {
    name: 'validateChaosRules',
    base: () => ({ maxRate: 0.5 }),
    build: (o) => validateChaosRules(o),
    keys: ['version', 'environments', 'maxRate', 'maxCohortPercent', 'maxDuration', 'windows'],
    numeric: { maxRate: { infinity: false }, maxCohortPercent: { infinity: false }, maxDuration: { infinity: true } },
  },
  {
    name: 'createMetrics',
    base: (clock) => ({ clock }),
    build: (o) => createMetrics(o as never),
    keys: ['clock', 'availabilityWindow', 'availabilityBuckets', 'maxOperations', 'maxLabelSets', 'labelKeys', 'histogram'],
    numeric: { availabilityWindow: { infinity: false }, availabilityBuckets: { infinity: false }, maxOperations: { infinity: false }, maxLabelSets: { infinity: false } },
  },
];

/** Values worth trying for any option: everything fast-check makes, functions, and the classic traps. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }) },
  { weight: 2, arbitrary: fc.func(fc.anything()) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(NaN, Infinity, -Infinity, -1, 0, -0, 0.5, 1.5, 2 ** 53, 1e300, '', '1', 'count', 'none', true, false, null, [], {}, () => {
      throw new Error('boom');
    }),
  },
);

const badNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -1, -1e-9, -Number.MAX_VALUE),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
);

/** Builds, and reports either the product or the error. */
function attempt(spec: FactorySpec, options: unknown): { ok: true; value: Built } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: spec.build(options) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Checks that a built product works: a policy runs calls to settlement on the clock. */
async function exercise(built: Built, clock: VirtualClock): Promise<void> {
  if (built instanceof Policy) {
    if (built.clock !== clock) return; // only drive policies on the test clock
    const p = pipeline(timeout({ clock, duration: 60_000 }), built);
    let n = 0;
    const results = [
      p.execute(() => 42),
      p.execute(() => {
        throw new Error('fails');
      }),
      p.execute(async () => {
        await null;
        if (n++ === 0) throw new Error('fails once');
        return 1;
      }),
    ].map((pr) => pr.then(() => 'settled', () => 'settled'));
    let settled = 0;
    for (const r of results) void r.then(() => settled++);
    await clock.runAll();
    await macrotask();
    expect(settled).toBe(3);
    return;
  }
  if (isMetrics(built)) {
    const p = timeout({ clock, duration: 10 });
    built.observe(p);
    await p.execute(() => 1);
    built.snapshot();
    expect(typeof built.toPrometheus()).toBe('string');
    return;
  }
  if (isBudget(built)) {
    if (built.clock !== clock) return;
    const r = retry({ clock, budget: built, delay: 1 });
    const done = r.execute(() => Promise.reject(new Error('x'))).catch(() => 'settled');
    await clock.runAll();
    expect(await done).toBe('settled');
  }
  if (isLkg(built)) {
    const f = fallback({ clock, tiers: [built, 'default'] });
    await expect(f.execute(() => Promise.reject(new Error('x')))).resolves.toBe('default');
  }
}

function isMetrics(v: unknown): v is Metrics {
  return typeof v === 'object' && v !== null && typeof (v as Metrics).observe === 'function' && typeof (v as Metrics).toPrometheus === 'function';
}
function isBudget(v: unknown): v is RetryBudget {
  return typeof v === 'object' && v !== null && typeof (v as RetryBudget).tryRetry === 'function';
}
function isLkg(v: unknown): v is LastKnownGood {
  return typeof v === 'object' && v !== null && typeof (v as LastKnownGood).lookup === 'function';
}

function expectValidationError(spec: FactorySpec, options: unknown, error: unknown): void {
  if (!isOptionsValidationError(error)) {
    throw new Error(`${spec.name}(${safeString(options)}) threw ${safeString(error)} instead of an OptionsValidationError`);
  }
}

function safeString(v: unknown): string {
  try {
    return fc.stringify(v).slice(0, 300);
  } catch {
    return String(v);
  }
}

// Options that build may include callbacks that throw or return garbage (contained and
// reported with console.error): keep the output readable.
let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  consoleError.mockRestore();
  expect(unhandled.take()).toEqual([]);
});

describe.each(specs)('$name fed arbitrary input', (spec) => {
  it('each option: builds a working policy or throws OptionsValidationError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(spec.vary ?? spec.keys)), anyValue, async (key, value) => {
        const clock = new VirtualClock();
        const options = { ...spec.base(clock), [key]: value };
        const r = attempt(spec, options);
        if (!r.ok) return expectValidationError(spec, options, r.error);
        await exercise(r.value, clock);
      }),
      { numRuns: KEY_RUNS * Math.min((spec.vary ?? spec.keys).length, 5) },
    );
  });

  if (Object.keys(spec.numeric).length > 0) {
    it('never accepts NaN, a negative number, or Infinity where it means nothing', () => {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(spec.numeric)), badNumber, (key, value) => {
          const clock = new VirtualClock();
          const options = { ...spec.base(clock), [key]: value };
          const r = attempt(spec, options);
          const infinityOk = value === Infinity && spec.numeric[key]?.infinity === true;
          if (r.ok) {
            if (!infinityOk) throw new Error(`${spec.name} accepted ${key}: ${String(value)}`);
          } else expectValidationError(spec, options, r.error);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('rejects unknown keys (typos never pass silently)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('maxAttemps', 'timeOut', 'Name', 'toString', 'hasOwnProperty', 'valueOf')).filter((k) => !spec.keys.includes(k)),
        anyValue,
        (key, value) => {
          const clock = new VirtualClock();
          const options = { ...spec.base(clock), [key]: value };
          const r = attempt(spec, options);
          if (r.ok) throw new Error(`${spec.name} accepted the unknown key ${JSON.stringify(key)}`);
          expectValidationError(spec, options, r.error);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('whole options objects: builds or throws OptionsValidationError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyValue, fc.dictionary(fc.constantFrom(...spec.keys), anyValue), fc.record(Object.fromEntries(spec.keys.map((k) => [k, anyValue])), { requiredKeys: [] })),
        async (options) => {
          const clock = new VirtualClock();
          const r = attempt(spec, options);
          if (!r.ok) return expectValidationError(spec, options, r.error);
          await exercise(r.value, clock);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("rejects every other factory's option key it does not itself accept", () => {
    // Deterministic companion to the random-key property: a key list here that misses a
    // real option would make the random property fail only when it happens to draw it.
    const foreign = [...new Set(specs.flatMap((s) => s.keys))].filter((k) => !spec.keys.includes(k));
    for (const key of foreign) {
      const clock = new VirtualClock();
      const options = { ...spec.base(clock), [key]: 1 };
      const r = attempt(spec, options);
      expect(r.ok, `${spec.name} accepted the key ${JSON.stringify(key)} it does not document`).toBe(false);
      if (!r.ok) expectValidationError(spec, options, r.error);
    }
  });

  it('__proto__ and constructor keys (from JSON.parse) are rejected and pollute nothing', () => {
    const payloads = [
      '{"__proto__": {"polluted": "yes"}}',
      '{"constructor": {"prototype": {"polluted": "yes"}}}',
      '{"prototype": {"polluted": "yes"}}',
    ];
    for (const payload of payloads) {
      const clock = new VirtualClock();
      const parsed = JSON.parse(payload) as Record<string, unknown>;
      const options = Object.assign(parsed, spec.base(clock));
      const r = attempt(spec, options);
      expect(r.ok, `${spec.name} accepted ${payload}`).toBe(false);
      if (!r.ok) expectValidationError(spec, options, r.error);
      // Nested option objects too.
      for (const key of spec.keys) {
        const nested = Object.assign({}, spec.base(clock), { [key]: JSON.parse(payload) as unknown });
        const n = attempt(spec, nested);
        if (!n.ok) expectValidationError(spec, nested, n.error);
      }
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    }
  });
});

describe('nested option objects', () => {
  it('reject __proto__ / constructor keys too', () => {
    const clock = new VirtualClock();
    const evil = (): Record<string, unknown> => JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}') as Record<string, unknown>;
    const cases: [string, () => unknown][] = [
      ['circuitBreaker.halfOpen', () => circuitBreaker({ clock, halfOpen: { maxProbes: 1, ...evil() } })],
      ['circuitBreaker.window', () => circuitBreaker({ clock, window: Object.assign(evil(), { kind: 'count', size: 3 }) as never })],
      ['faultInjection.target', () => faultInjection({ clock, target: Object.assign(evil(), { operations: ['x'] }) as never })],
      ['faultInjection.cohort', () => faultInjection({ clock, cohort: Object.assign(evil(), { label: 'u', percent: 5 }) as never })],
      ['createMetrics.histogram', () => createMetrics({ clock, histogram: Object.assign(evil(), { min: 1, max: 10 }) as never })],
      ['hedging.delay', () => hedging({ clock, delay: Object.assign(evil(), { percentile: 95 }) as never })],
      ['adaptiveConcurrency.algorithm', () => adaptiveConcurrency({ clock, initialLimit: 2, minLimit: 1, maxLimit: 4, algorithm: Object.assign(evil(), { kind: 'aimd' }) as never })],
      ['validateChaosRules.windows[0]', () => validateChaosRules({ windows: [Object.assign(evil(), { fromHour: 1, toHour: 2 })] })],
    ];
    for (const [name, build] of cases) {
      expect(build, name).toThrow(expect.objectContaining({ name: 'OptionsValidationError' }));
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('positional factory forms', () => {
  it('timeout(x), bulkhead(x), fallback(x), pipeline(x, policy) with any x: build or OptionsValidationError', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, async (x) => {
        for (const [name, build] of [
          ['timeout', () => timeout(x as never)],
          ['bulkhead', () => bulkhead(x as never)],
          ['fallback', () => fallback(x as never)],
          ['pipeline', () => pipeline(x as never, timeout(10))],
          ['distributions.uniform', () => distributions.uniform(x as never, 10)],
          ['distributions.fixed', () => distributions.fixed(x as never)],
        ] as const) {
          try {
            build();
          } catch (error) {
            if (!isOptionsValidationError(error)) throw new Error(`${name}(${safeString(x)}) threw ${safeString(error)}`);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('timeout and bulkhead reject NaN, negative and Infinity numbers', () => {
    for (const x of [NaN, -1, -Infinity, Infinity, 0]) {
      expect(() => timeout(x)).toThrow(expect.objectContaining({ name: 'OptionsValidationError' }));
      expect(() => bulkhead(x)).toThrow(expect.objectContaining({ name: 'OptionsValidationError' }));
    }
  });
});
