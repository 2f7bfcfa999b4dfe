/**
 * The option schemas of the hedging policy, read from a fresh load of the module (issue #23):
 * the schemas are built when `options.ts` loads, so these tests import the policy anew
 * (`vi.resetModules()`) and check each rule on that copy: what is accepted (`Infinity`
 * where documented), what is refused, and what the error says is expected, cross-field
 * rules included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, messageOf } from '../../test/support/fresh-module';
import { VirtualClock } from '../testing/virtual-clock';
import type * as Hedging from './hedging';

/** The hedging module, loaded again so that its option schemas are built in this test. */
async function fresh(): Promise<typeof Hedging> {
  return freshModule<typeof Hedging>(() => import('./hedging'));
}

const DELAY_EXPECTED = 'a duration in ms ≥ 0 (or Infinity), a function (info) => ms, or an adaptive delay { percentile, … }';
const BUDGET_EXPECTED = 'a budget (from retryBudget(): an object with recordCall and tryRetry functions)';
const budgetOn = (clock: VirtualClock): { recordCall(): void; tryRetry(): boolean; clock: VirtualClock } => ({
  recordCall: () => undefined,
  tryRetry: () => true,
  clock,
});

describe('hedging options (schema of a fresh load)', () => {
  it('accepts every documented option', async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    const p = hedging({
      name: 'reads',
      delay: 25,
      maxHedgedAttempts: 10,
      budget: budgetOn(clock),
      clock,
      handle: () => true,
      handleResult: () => false,
    });
    expect([p.name, p.maxHedgedAttempts, p.currentDelay]).toEqual(['reads', 10, 25]);
    expect(hedging({ delay: Infinity, maxHedgedAttempts: 0 }).currentDelay).toBe(Infinity);
    expect(hedging({ delay: () => 1 }).currentDelay).toBeUndefined();
  });

  it('accepts every documented field of an adaptive delay, Infinity for warmUpDelay and max included', async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    const delay = { percentile: 99.5, window: 100_000, minSamples: 100_000, warmUpDelay: Infinity, min: 0, max: Infinity };
    expect(hedging({ delay, clock }).describe().options['delay']).toEqual(delay);
    const small = { percentile: 0.5, window: 1, minSamples: 1, warmUpDelay: 0, min: 2.5, max: 2.5 };
    expect(hedging({ delay: small, clock }).describe().options['delay']).toEqual(small);
  });

  it('requires a delay and says what it may be', async () => {
    const { hedging } = await fresh();
    expect(messageOf(() => hedging({} as never))).toBe(`Invalid hedging options: expected \`delay\` to be ${DELAY_EXPECTED}, got undefined`);
    expect(messageOf(() => hedging(undefined as never))).toBe(
      `Invalid hedging options: expected \`delay\` to be ${DELAY_EXPECTED}, got undefined`,
    );
  });

  it('property: a number delay is accepted exactly when it is ≥ 0 (Infinity included)', async () => {
    const { hedging } = await fresh();
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6 }), fc.constantFrom(0, -0, Infinity, -Infinity, Number.NaN)), (delay) => {
        const make = (): unknown => hedging({ delay });
        if (delay >= 0) expect(make).not.toThrow();
        else expect(messageOf(make)).toMatch(`expected \`delay\` to be ${DELAY_EXPECTED}`);
      }),
    );
  });

  it('refuses a delay that is neither a number, a function nor a plain object', async () => {
    const { hedging } = await fresh();
    for (const delay of ['30', [95], null, true]) {
      expect(messageOf(() => hedging({ delay } as never))).toMatch(`expected \`delay\` to be ${DELAY_EXPECTED}`);
    }
  });

  it('property: maxHedgedAttempts is accepted exactly when it is an integer from 0 to 10', async () => {
    const { hedging } = await fresh();
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -5, max: 15 }), fc.double({ min: -5, max: 15 }), fc.constant(Infinity)), (n) => {
        const make = (): unknown => hedging({ delay: 10, maxHedgedAttempts: n });
        if (Number.isInteger(n) && n >= 0 && n <= 10) expect(make).not.toThrow();
        else expect(messageOf(make)).toMatch('expected `maxHedgedAttempts` to be an integer ≥ 0 and ≤ 10, got');
      }),
    );
  });

  it('says what a budget, a name, a clock, handle and handleResult must be', async () => {
    const { hedging } = await fresh();
    for (const budget of [{ recordCall: () => undefined }, { tryRetry: () => true }, null, 'budget']) {
      expect(messageOf(() => hedging({ delay: 10, budget } as never))).toMatch(`expected \`budget\` to be ${BUDGET_EXPECTED}, got`);
    }
    const message = messageOf(() => hedging({ delay: 10, name: '', clock: {}, handle: 1, handleResult: 2 } as never));
    expect(message).toMatch('expected `name` to be a non-empty string, got ""');
    expect(message).toMatch('expected `clock` to be a clock');
    expect(message).toMatch('expected `handle`');
    expect(message).toMatch('expected `handleResult`');
    expect(messageOf(() => hedging({ delay: 10, maxAttempts: 2 } as never))).toBe('Invalid hedging options: unknown option `maxAttempts`');
  });

  it('accepts a budget with no clock (nothing to pin), and refuses a function as a budget', async () => {
    const { hedging } = await fresh();
    const clockless = { recordCall: (): void => undefined, tryRetry: (): boolean => true };
    expect(hedging({ delay: 10, budget: clockless as never }).budget).toBe(clockless);
    const fn = Object.assign(() => undefined, clockless);
    expect(messageOf(() => hedging({ delay: 10, budget: fn as never }))).toMatch(`expected \`budget\` to be ${BUDGET_EXPECTED}, got`);
  });

  it('checks only a plain-object delay as an adaptive delay: fields of a delay function are not read', async () => {
    const { hedging } = await fresh();
    const fn = Object.assign(() => 5, { minSamples: 1_000, min: 10, max: 1 });
    expect(hedging({ delay: fn }).delay).toBe(fn);
  });

  it("refuses a budget on another clock than the policy's, and says so", async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    expect(() => hedging({ delay: 10, budget: budgetOn(clock), clock })).not.toThrow();
    expect(messageOf(() => hedging({ delay: 10, budget: budgetOn(clock) }))).toMatch(
      /^Invalid hedging options: expected `budget` to be a budget on the policy's clock \(pass the same `clock` to both\), got /,
    );
  });
});

describe('adaptive delay options (schema of a fresh load)', () => {
  it('property: percentile is accepted exactly when 0 < p < 100, and is required', async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    expect(messageOf(() => hedging({ delay: {} as never, clock }))).toBe(
      'Invalid hedging options: expected `delay.percentile` to be a number > 0 and < 100, got undefined',
    );
    expect(messageOf(() => hedging({ delay: { percentile: '95' as never }, clock }))).toBe(
      'Invalid hedging options: expected `delay.percentile` to be a number > 0 and < 100, got "95"',
    );
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -10, max: 110, noNaN: true }), fc.constantFrom(0, 100, Number.MIN_VALUE)), (percentile) => {
        const make = (): unknown => hedging({ delay: { percentile }, clock });
        if (percentile > 0 && percentile < 100) expect(make).not.toThrow();
        else expect(messageOf(make)).toMatch('expected `delay.percentile` to be a number > 0 and < 100, got');
      }),
    );
  });

  it('property: window and minSamples are accepted exactly when they are integers from 1 to 100 000', async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    fc.assert(
      fc.property(
        fc.constantFrom('window', 'minSamples'),
        fc.oneof(fc.integer({ min: -2, max: 3 }), fc.integer({ min: 99_998, max: 100_002 }), fc.double({ min: 0, max: 5 })),
        (field, n) => {
          const delay = field === 'window' ? { percentile: 50, window: n } : { percentile: 50, window: 100_000, minSamples: n };
          const make = (): unknown => hedging({ delay, clock });
          if (Number.isInteger(n) && n >= 1 && n <= 100_000) expect(make).not.toThrow();
          else expect(messageOf(make)).toMatch(`expected \`delay.${field}\` to be an integer ≥ 1 and ≤ 100000, got`);
        },
      ),
    );
  });

  it('warmUpDelay and max may be Infinity, min may not; none may be negative', async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    expect(messageOf(() => hedging({ delay: { percentile: 50, warmUpDelay: -1, min: Infinity, max: -1 }, clock }))).toBe(
      'Invalid hedging options: expected `delay.warmUpDelay` to be a duration in ms ≥ 0 (or Infinity), got -1; ' +
        'expected `delay.min` to be a duration in ms ≥ 0, got Infinity; ' +
        'expected `delay.max` to be a duration in ms ≥ 0 (or Infinity), got -1',
    );
  });

  it('minSamples may not exceed window (the default window is 500), and min may not exceed max', async () => {
    const { hedging } = await fresh();
    const clock = new VirtualClock();
    expect(messageOf(() => hedging({ delay: { percentile: 50, window: 10, minSamples: 11 }, clock }))).toBe(
      'Invalid hedging options: expected `delay.minSamples` to be an integer from 1 to `window` (10), got 11',
    );
    expect(() => hedging({ delay: { percentile: 50, minSamples: 500 }, clock })).not.toThrow();
    expect(messageOf(() => hedging({ delay: { percentile: 50, minSamples: 501 }, clock }))).toBe(
      'Invalid hedging options: expected `delay.minSamples` to be an integer from 1 to `window` (500), got 501',
    );
    expect(() => hedging({ delay: { percentile: 50, min: 20, max: 20 }, clock })).not.toThrow();
    expect(messageOf(() => hedging({ delay: { percentile: 50, min: 21, max: 20 }, clock }))).toBe(
      'Invalid hedging options: expected `delay.min` to be ≤ `max` (20), got 21',
    );
  });
});
