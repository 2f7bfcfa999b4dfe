import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OptionsValidationError, isOptionsValidationError } from './errors';
import { rules, validateOptions } from './validation';

const schema = {
  attempts: rules.integer(1),
  delay: rules.duration(),
  rate: rules.number(0, 1),
  mode: rules.oneOf(['a', 'b'] as const),
  nested: rules.object({ size: rules.integer(1, 10) }),
  labels: rules.labels(),
};

function issuesOf(input: unknown): string[] {
  try {
    validateOptions('test', input, schema);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsValidationError);
    return (e as OptionsValidationError).issues.map((i) => i.path);
  }
}

describe('validateOptions', () => {
  it('accepts valid and missing fields', () => {
    expect(issuesOf(undefined)).toEqual([]);
    expect(issuesOf({})).toEqual([]);
    expect(issuesOf({ attempts: 3, delay: 0, rate: 0.5, mode: 'a', nested: { size: 10 }, labels: { a: 'b' } })).toEqual([]);
  });

  it('reports every bad field at once, naming the field, the value and what it must be', () => {
    let error: unknown;
    try {
      validateOptions('retry', { attempts: 0, delay: -1, rate: Number.NaN, mode: 'c', nested: { size: 11 }, extra: 1 }, schema);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    const e = error as OptionsValidationError;
    expect(e.issues.map((i) => i.path).sort()).toEqual(['attempts', 'delay', 'extra', 'mode', 'nested.size', 'rate']);
    expect(e.message).toContain('Invalid retry options');
    expect(e.message).toContain('expected `attempts` to be an integer ≥ 1, got 0');
    expect(e.message).toContain('expected `delay` to be a duration in ms ≥ 0, got -1');
    expect(e.message).toContain('expected `rate` to be a finite number ≥ 0 and ≤ 1, got NaN');
    expect(e.message).toContain('expected `mode` to be one of "a", "b", got "c"');
    expect(e.message).toContain('expected `nested.size` to be an integer ≥ 1 and ≤ 10, got 11');
    expect(e.message).toContain('unknown option `extra`');
  });

  it('rejects Infinity unless allowed, and non-objects', () => {
    expect(issuesOf({ delay: Number.POSITIVE_INFINITY })).toEqual(['delay']);
    expect(issuesOf({ attempts: Number.POSITIVE_INFINITY })).toEqual(['attempts']);
    expect(issuesOf(42)).toEqual(['(options)']);
    expect(issuesOf([1])).toEqual(['(options)']);
    expect(issuesOf({ nested: 'x' })).toEqual(['nested']);
    const inf = { n: rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }) };
    expect(() => validateOptions('t', { n: Number.POSITIVE_INFINITY }, inf)).not.toThrow();
  });

  it('rejects prototype-pollution keys and never pollutes', () => {
    const input: unknown = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}');
    expect(issuesOf(input).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(issuesOf({ labels: JSON.parse('{"__proto__": "x"}') })).toEqual(['labels']);
  });

  it('a throwing check counts as a bad value, not a crash', () => {
    const s = { f: { expected: 'fine', check: () => { throw new Error('boom'); } } };
    expect(() => validateOptions('t', { f: 1 }, s)).toThrow(OptionsValidationError);
  });

  it('property: arbitrary input either validates or throws OptionsValidationError', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          validateOptions('t', input, schema);
        } catch (e) {
          return isOptionsValidationError(e);
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
