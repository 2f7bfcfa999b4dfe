/**
 * Rules of the backoff value that the mutation run (issue #23) found unpinned: what
 * `with()` keeps for each kind, `factor` as reported by `toJSON()`, the `maxDelay = delay`
 * boundary and the wording of the validation errors. The defaults and the field rules are
 * built when `backoff.ts` loads, so the last block imports it anew (`vi.resetModules()`) and
 * checks them on that copy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, issuesOf, messageOf } from '../../test/support/fresh-module';
import { constantBackoff, exponentialBackoff, linearBackoff, type Backoff, type BackoffOptions, type JitterKind } from './backoff';
import type * as BackoffModule from './backoff';


describe('Backoff.with()', () => {
  it('an exponential backoff keeps its custom factor when other fields change', () => {
    const b = exponentialBackoff({ delay: 100, factor: 3, maxDelay: 5_000, jitter: 'none' });
    const c = b.with({ delay: 10 });
    expect(c.toJSON()).toEqual({ kind: 'exponential', delay: 10, factor: 3, maxDelay: 5_000, jitter: 'none' });
    expect(c.preview(3)).toEqual([10, 30, 90]);
  });

  it('property: with() of an exponential backoff keeps every field it is not given', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom<JitterKind>('none', 'full', 'equal'),
        fc.integer({ min: 0, max: 1_000 }),
        (delay, factor, extra, jitter, newDelay) => {
          const b = exponentialBackoff({ delay, factor, maxDelay: delay + extra + newDelay, jitter });
          expect(b.with({ delay: newDelay }).toJSON()).toEqual({ ...b.toJSON(), delay: newDelay });
          expect(b.with({ jitter: 'none' }).toJSON()).toEqual({ ...b.toJSON(), jitter: 'none' });
          expect(b.with({}).toJSON()).toEqual(b.toJSON());
        },
      ),
    );
  });

  it('linearBackoff().with() gives a linear backoff (factor 1) with the other fields kept', () => {
    const b = linearBackoff({ delay: 100, maxDelay: 1_000, jitter: 'equal' });
    const c = b.with({ delay: 200 });
    expect(c.toJSON()).toEqual({ kind: 'linear', delay: 200, factor: 1, maxDelay: 1_000, jitter: 'equal' });
    expect(c.with({ jitter: 'none' }).preview(6)).toEqual([200, 400, 600, 800, 1_000, 1_000]);
    expect(linearBackoff().with({}).toJSON()).toEqual(linearBackoff().toJSON());
  });

  it('constantBackoff().with() gives a constant backoff', () => {
    const c = constantBackoff({ delay: 70, jitter: 'none' }).with({ maxDelay: 500 });
    expect(c.toJSON()).toEqual({ kind: 'constant', delay: 70, factor: 1, maxDelay: 500, jitter: 'none' });
  });

  it('switching a custom-factor exponential backoff to decorrelated jitter drops the factor (no error)', () => {
    const b = exponentialBackoff({ delay: 100, factor: 3, jitter: 'none' });
    const d = b.with({ jitter: 'decorrelated' });
    expect(d.jitter).toBe('decorrelated');
    expect(d.delay).toBe(100);
    expect(d.next(1, 0, () => 0.5)).toBe(200); // uniform in [100, 300]
    // And back: the factor of the decorrelated value (the default) is kept.
    expect(d.with({ jitter: 'full' }).toJSON()).toEqual({ kind: 'exponential', delay: 100, factor: 2, maxDelay: 30_000, jitter: 'full' });
  });

  it('a factor given to with() replaces the kept one', () => {
    expect(exponentialBackoff({ factor: 3 }).with({ factor: 1.5 }).factor).toBe(1.5);
  });
});

describe('Backoff.toJSON()', () => {
  it("reports factor 1 for linear and constant backoff, and the given factor for exponential", () => {
    expect(linearBackoff({ delay: 5 }).toJSON()).toEqual({ kind: 'linear', delay: 5, factor: 1, maxDelay: 30_000, jitter: 'full' });
    expect(constantBackoff({ delay: 5 }).toJSON().factor).toBe(1);
    expect(linearBackoff().factor).toBe(1);
    expect(exponentialBackoff({ factor: 4 }).toJSON().factor).toBe(4);
  });

  it('property: a linear or constant backoff rebuilt from its JSON (minus factor) is the same value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('linear' as const, 'constant' as const),
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom<JitterKind>('none', 'full', 'equal'),
        (kind, delay, extra, jitter) => {
          const make = kind === 'linear' ? linearBackoff : constantBackoff;
          const b: Backoff = make({ delay, maxDelay: delay + extra, jitter });
          const { kind: k, factor, ...rest } = b.toJSON();
          expect(k).toBe(kind);
          expect(factor).toBe(1);
          expect(make(rest).toJSON()).toEqual(b.toJSON());
        },
      ),
    );
  });
});

describe('backoff validation', () => {
  it('accepts maxDelay equal to delay (the bound is inclusive) and then never exceeds it', () => {
    const b = exponentialBackoff({ delay: 100, maxDelay: 100, jitter: 'none' });
    expect(b.preview(3)).toEqual([100, 100, 100]);
    expect(issuesOf(() => exponentialBackoff({ delay: 100, maxDelay: 99.5 }))).toEqual([
      { path: 'maxDelay', value: 99.5, expected: '≥ `delay` (100)' },
    ]);
  });

  it('the default delay (200) is the bound when only maxDelay is given', () => {
    expect(issuesOf(() => linearBackoff({ maxDelay: 150 }))).toEqual([{ path: 'maxDelay', value: 150, expected: '≥ `delay` (200)' }]);
    expect(linearBackoff({ maxDelay: 200 }).maxDelay).toBe(200);
  });

  it('says why a factor is refused, for each case', () => {
    expect(issuesOf(() => linearBackoff({ factor: 2 } as never))).toEqual([
      { path: 'factor', value: 2, expected: 'absent: `factor` applies only to exponential backoff' },
    ]);
    expect(issuesOf(() => constantBackoff({ factor: 3 } as never))).toEqual([
      { path: 'factor', value: 3, expected: 'absent: `factor` applies only to exponential backoff' },
    ]);
    expect(issuesOf(() => exponentialBackoff({ factor: 2, jitter: 'decorrelated' }))).toEqual([
      { path: 'factor', value: 2, expected: 'absent: decorrelated jitter grows by its own factor (3)' },
    ]);
  });

  it('refuses decorrelated jitter on linear and constant backoff with the reason, and names the kind', () => {
    const expected = "'none', 'full' or 'equal' (decorrelated jitter needs exponential backoff)";
    expect(issuesOf(() => linearBackoff({ jitter: 'decorrelated' }))).toEqual([{ path: 'jitter', value: 'decorrelated', expected }]);
    expect(issuesOf(() => constantBackoff({ jitter: 'decorrelated' }))).toEqual([{ path: 'jitter', value: 'decorrelated', expected }]);
    expect(() => constantBackoff({ jitter: 'decorrelated' })).toThrow(/^Invalid constant backoff options: /);
    expect(() => exponentialBackoff({ delay: -1 })).toThrow(/^Invalid exponential backoff options: /);
  });

  it('accepts factor 1 exactly (no growth)', () => {
    expect(exponentialBackoff({ delay: 50, factor: 1, jitter: 'none' }).preview(3)).toEqual([50, 50, 50]);
  });
});

describe('decorrelated jitter at its upper bound', () => {
  it('a random source answering 1 (or more) gives exactly the upper bound, even where the sum would round above it', () => {
    // 0.3 + 1 × (0.87 − 0.3) is 0.8700000000000001 in floating point.
    const b = exponentialBackoff({ delay: 0.3, maxDelay: 0.87, jitter: 'decorrelated' });
    expect(b.bounds(1, 0)).toEqual({ min: 0.3, max: 0.87 });
    expect(b.next(1, 0, () => 1)).toBe(0.87);
    expect(b.next(1, 0, () => 1.5)).toBe(0.87);
  });

  it('property: with a random source at 1, the delay is the upper bound (to rounding) and never above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 900 }), fc.integer({ min: 0, max: 3_000 }), (cents, extraCents, previous) => {
        const delay = cents / 100;
        const maxDelay = (cents + extraCents) / 100;
        const b = exponentialBackoff({ delay, maxDelay, jitter: 'decorrelated' });
        const { max } = b.bounds(2, previous / 100);
        const d = b.next(2, previous / 100, () => 1);
        expect(d).toBeLessThanOrEqual(max);
        expect(max).toBeLessThanOrEqual(maxDelay);
        expect(d).toBeCloseTo(max, 9);
      }),
      { examples: [[30, 57, 0]] },
    );
  });
});

/** The backoff module, loaded again so that its defaults, jitter kinds and rules are built in this test. */
async function fresh(): Promise<typeof BackoffModule> {
  return freshModule<typeof BackoffModule>(() => import('./backoff'));
}

describe('backoff options (defaults and rules of a fresh load)', () => {
  it('the defaults: 200 ms, factor 2, up to 30 s, full jitter', async () => {
    const { exponentialBackoff: freshExponential, linearBackoff: freshLinear } = await fresh();
    expect(freshExponential().toJSON()).toEqual({ kind: 'exponential', delay: 200, factor: 2, maxDelay: 30_000, jitter: 'full' });
    expect(freshLinear().toJSON()).toEqual({ kind: 'linear', delay: 200, factor: 1, maxDelay: 30_000, jitter: 'full' });
    // Full jitter: uniform in [0, base).
    expect(freshExponential().next(2, 0, () => 0.25)).toBe(100);
  });

  it('accepts each jitter kind', async () => {
    const { exponentialBackoff: freshExponential } = await fresh();
    for (const jitter of ['none', 'full', 'equal', 'decorrelated'] as const) {
      expect(freshExponential({ delay: 100, jitter }).jitter).toBe(jitter);
    }
  });

  it('says what each field expects, every bad field in one message', async () => {
    const { exponentialBackoff: freshExponential } = await fresh();
    expect(messageOf(() => freshExponential({ delay: -1, factor: 0.5, maxDelay: -2, jitter: 'half' as JitterKind }))).toBe(
      'Invalid exponential backoff options: ' +
        [
          'expected `delay` to be a duration in ms ≥ 0, got -1',
          'expected `factor` to be a finite number ≥ 1, got 0.5',
          'expected `maxDelay` to be a duration in ms ≥ 0, got -2',
          'expected `jitter` to be one of "none", "full", "equal", "decorrelated", got "half"',
        ].join('; '),
    );
    expect(messageOf(() => freshExponential({ dely: 5 } as BackoffOptions))).toBe('Invalid exponential backoff options: unknown option `dely`');
  });

  it('accepts a delay and maxDelay of 0 and a factor of exactly 1', async () => {
    const { exponentialBackoff: freshExponential } = await fresh();
    expect(freshExponential({ delay: 0, maxDelay: 0, factor: 1, jitter: 'none' }).preview(2)).toEqual([0, 0]);
  });
});

describe('Backoff.with() reads only what the factories read', () => {
  it('refuses changes that are not a plain object (a factor on a prototype), naming the value', () => {
    const b = exponentialBackoff({ factor: 3 });
    expect(() => b.with(Object.create({ factor: 5 }) as never)).toThrow(/a plain object/);
    expect(b.with({}).factor).toBe(3);
    expect(b.with({ factor: 5 }).factor).toBe(5);
  });

  it('a non-enumerable factor is not an own option: the backoff keeps its factor', () => {
    const changes = {};
    Object.defineProperty(changes, 'factor', { value: 5, enumerable: false });
    expect(exponentialBackoff({ factor: 3 }).with(changes).factor).toBe(3);
  });
});
