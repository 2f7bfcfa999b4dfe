/**
 * The option-validation rules of core/validation.ts, read directly:
 * - a plain object is one whose prototype is `Object.prototype` or `null`; class instances are not;
 * - a non-object at a nested path is reported at that path (without the trailing dot), at the
 *   top level as `(options)`, and is expected to be `a plain object`;
 * - each rule builder's `expected` words: `an integer ≥ min[ and ≤ max][ (or Infinity)]`,
 *   `a finite number[ > / ≥ min][ and ≤ max][ (or Infinity)]`, `a duration in ms …`,
 *   `a (non-empty) string`, `a function`, `one of "a", "b"`, `X or Y`, the clock sentence,
 *   `any value`;
 * - `number`: `exclusiveMin` excludes `min`, `allowInfinity` admits +Infinity, `max` is enforced;
 * - `string`: non-empty unless `nonEmpty: false`;
 * - `arrayOf`: `minLength` is enforced; `labels`: every value must be a string;
 * - `clock`: a non-null object (not a function) with all three of now/setTimeout/clearTimeout;
 * - `required`: a missing required field is an issue.
 */
import { describe, expect, it } from 'vitest';
import type { ValidationIssue } from './errors';
import { OptionsValidationError } from './errors';
import { collectIssues, isPlainObject, rules, validateOptions, type Schema } from './validation';

function issues(input: unknown, schema: Schema): ValidationIssue[] {
  try {
    validateOptions('test', input, schema);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsValidationError);
    return [...(e as OptionsValidationError).issues];
  }
}

const fn = (): void => undefined;

describe('isPlainObject', () => {
  it('rejects a class instance (prototype is neither Object.prototype nor null)', () => {
    class Box {
      readonly x = 1;
    }
    expect(isPlainObject(new Box())).toBe(false);
    expect(isPlainObject(new Date(0))).toBe(false);
  });

  it('accepts a null-prototype object and an ordinary literal', () => {
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
  });

  it('a null-prototype options object validates like a literal', () => {
    const input = Object.create(null) as Record<string, unknown>;
    input['n'] = 2;
    expect(issues(input, { n: rules.integer(1) })).toEqual([]);
  });
});

describe('collectIssues: non-object input', () => {
  it('names the top level `(options)` and expects `a plain object`', () => {
    expect(issues(42, { n: rules.integer(1) })).toEqual([{ path: '(options)', value: 42, expected: 'a plain object' }]);
  });

  it('names a nested non-object by its prefix without the trailing dot', () => {
    const out: ValidationIssue[] = [];
    collectIssues('x', { n: rules.integer(1) }, 'outer.inner.', out);
    expect(out).toEqual([{ path: 'outer.inner', value: 'x', expected: 'a plain object' }]);
  });
});

describe('rules.integer: expected words', () => {
  it('an integer with only a minimum says just `≥ min`', () => {
    expect(rules.integer(1).expected).toBe('an integer ≥ 1');
  });

  it('an integer with a maximum below MAX_SAFE_INTEGER says `≥ min and ≤ max`', () => {
    expect(rules.integer(1, 10).expected).toBe('an integer ≥ 1 and ≤ 10');
  });

  it('a maximum of exactly MAX_SAFE_INTEGER is not mentioned', () => {
    expect(rules.integer(0, Number.MAX_SAFE_INTEGER).expected).toBe('an integer ≥ 0');
  });

  it('allowInfinity adds ` (or Infinity)`', () => {
    expect(rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }).expected).toBe('an integer ≥ 1 (or Infinity)');
  });

  it('allowInfinity admits +Infinity; without it Infinity is rejected', () => {
    expect(rules.integer(1, Number.MAX_SAFE_INTEGER, { allowInfinity: true }).check(Number.POSITIVE_INFINITY)).toBe(true);
    expect(rules.integer(1).check(Number.POSITIVE_INFINITY)).toBe(false);
  });
});

describe('rules.number', () => {
  it('without bounds says just `a finite number`', () => {
    expect(rules.number().expected).toBe('a finite number');
  });

  it('a minimum only says `≥ min`; a maximum only says `≤ max`', () => {
    expect(rules.number(0).expected).toBe('a finite number ≥ 0');
    expect(rules.number(Number.NEGATIVE_INFINITY, 5).expected).toBe('a finite number ≤ 5');
  });

  it('both bounds are joined with ` and `', () => {
    expect(rules.number(0, 1).expected).toBe('a finite number ≥ 0 and ≤ 1');
  });

  it('exclusiveMin says `> min` and rejects min itself', () => {
    const r = rules.number(0, 1, { exclusiveMin: true });
    expect(r.expected).toBe('a finite number > 0 and ≤ 1');
    expect(r.check(0)).toBe(false);
    expect(r.check(0.5)).toBe(true);
  });

  it('without exclusiveMin, min itself is accepted (inclusive)', () => {
    const r = rules.number(0, 1);
    expect(r.check(0)).toBe(true);
    expect(rules.number(0, 1, { exclusiveMin: false }).check(0)).toBe(true);
  });

  it('allowInfinity admits +Infinity and says ` (or Infinity)`', () => {
    const r = rules.number(0, Number.POSITIVE_INFINITY, { allowInfinity: true });
    expect(r.expected).toBe('a finite number ≥ 0 (or Infinity)');
    expect(r.check(Number.POSITIVE_INFINITY)).toBe(true);
    expect(rules.number(0).check(Number.POSITIVE_INFINITY)).toBe(false);
  });

  it('enforces the maximum', () => {
    expect(rules.number(0, 1).check(2)).toBe(false);
    expect(rules.number(0, 1).check(1)).toBe(true);
  });
});

describe('rules.duration', () => {
  it('says `a duration in ms ≥ min`', () => {
    expect(rules.duration().expected).toBe('a duration in ms ≥ 0');
    expect(rules.duration(1, { exclusiveMin: true }).expected).toBe('a duration in ms > 1');
  });
});

describe('rules.string', () => {
  it('is non-empty by default', () => {
    const r = rules.string();
    expect(r.expected).toBe('a non-empty string');
    expect(r.check('')).toBe(false);
    expect(r.check('x')).toBe(true);
  });

  it('nonEmpty: true is the same as the default', () => {
    expect(rules.string({ nonEmpty: true }).check('')).toBe(false);
  });

  it('nonEmpty: false accepts the empty string and says `a string`', () => {
    const r = rules.string({ nonEmpty: false });
    expect(r.expected).toBe('a string');
    expect(r.check('')).toBe(true);
  });
});

describe('rules.func / oneOf / anyOf / any: expected words', () => {
  it('func defaults to `a function`', () => {
    expect(rules.func().expected).toBe('a function');
  });

  it('oneOf lists the JSON of each value, comma-separated', () => {
    expect(rules.oneOf(['a', 'b', 3] as const).expected).toBe('one of "a", "b", 3');
  });

  it('anyOf joins the alternatives with ` or `', () => {
    expect(rules.anyOf(rules.boolean(), rules.func()).expected).toBe('a boolean or a function');
  });

  it('any defaults to `any value`', () => {
    expect(rules.any().expected).toBe('any value');
    expect(rules.any().check(undefined)).toBe(true);
  });
});

describe('rules.arrayOf / labels', () => {
  it('arrayOf enforces minLength', () => {
    const r = rules.arrayOf(rules.boolean(), { minLength: 1 });
    expect(r.check([])).toBe(false);
    expect(r.check([true])).toBe(true);
  });

  it('arrayOf says its item words without their article, and its minimum when above 0', () => {
    expect(rules.arrayOf(rules.integer(1)).expected).toBe('an array of integer ≥ 1 item(s)');
    expect(rules.arrayOf(rules.func('error class'), { minLength: 2 }).expected).toBe('an array of at least 2 error class item(s)');
    expect(rules.arrayOf(rules.any('anything'), { minLength: 0 }).expected).toBe('an array of anything item(s)');
    expect(rules.arrayOf(rules.any('a predicate')).expected).toBe('an array of predicate item(s)');
    expect(rules.arrayOf(rules.any('value of a kind')).expected).toBe('an array of value of a kind item(s)');
  });

  it('labels says what it wants', () => {
    expect(rules.labels().expected).toBe('an object of string values');
  });

  it('labels requires every value to be a string, not just one', () => {
    const r = rules.labels();
    expect(r.check({ a: 'x', b: 1 })).toBe(false);
    expect(r.check({ a: 1 })).toBe(false);
    expect(r.check({ a: 'x', b: 'y' })).toBe(true);
  });
});

describe('rules.clock', () => {
  const r = rules.clock();

  it('says what a clock is', () => {
    expect(r.expected).toBe('a clock (an object with now, setTimeout and clearTimeout functions)');
  });

  it('accepts an object with all three functions', () => {
    expect(r.check({ now: fn, setTimeout: fn, clearTimeout: fn })).toBe(true);
  });

  it('rejects an object missing any one of now, setTimeout, clearTimeout', () => {
    expect(r.check({ setTimeout: fn, clearTimeout: fn })).toBe(false);
    expect(r.check({ now: fn, clearTimeout: fn })).toBe(false);
    expect(r.check({ now: fn, setTimeout: fn })).toBe(false);
  });

  it('rejects objects with only clearTimeout, or only setTimeout and clearTimeout, or nothing', () => {
    expect(r.check({ clearTimeout: fn })).toBe(false);
    expect(r.check({})).toBe(false);
  });

  it('rejects a function even if it carries the three functions as properties', () => {
    const f = Object.assign(() => 0, { now: fn, setTimeout: fn, clearTimeout: fn });
    expect(r.check(f)).toBe(false);
  });

  it('rejects null', () => {
    expect(r.check(null)).toBe(false);
  });
});

describe('rules.required', () => {
  it('a missing required field is reported with the rule’s expected words', () => {
    const schema = { n: rules.required(rules.integer(1)) };
    expect(issues({}, schema)).toEqual([{ path: 'n', value: undefined, expected: 'an integer ≥ 1' }]);
    expect(rules.required(rules.integer(1)).required).toBe(true);
  });
});
