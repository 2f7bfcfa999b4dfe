/**
 * Option validation shared by every factory: all fields checked at once, unknown keys
 * rejected, one {@link OptionsValidationError} naming every bad field.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, UNKNOWN_OPTION, type ValidationIssue } from './errors';

/** @internal A rule for one option: a check and the words for what it expects. */
export interface Rule {
  /** Completes "expected `x` to be …", e.g. `an integer ≥ 1`. */
  readonly expected: string;
  /** True when the value is acceptable. Never called with `undefined` for optional fields. */
  readonly check: (value: unknown) => boolean;
  /** For nested option objects: the schema of the object (checked when `check` passes). */
  readonly schema?: Schema;
  /** When set, `undefined` is not accepted. */
  readonly required?: boolean;
}

/** @internal A map of option names to rules. */
export type Schema = Readonly<Record<string, Rule>>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** @internal Collects the issues of `input` against `schema`, prefixing paths with `prefix`. */
export function collectIssues(input: unknown, schema: Schema, prefix: string, issues: ValidationIssue[]): void {
  if (input === undefined) return;
  if (!isPlainObject(input)) {
    issues.push({ path: prefix === '' ? '(options)' : prefix.slice(0, -1), value: input, expected: 'a plain object' });
    return;
  }
  for (const key of Object.keys(input)) {
    if (FORBIDDEN_KEYS.has(key) || !Object.prototype.hasOwnProperty.call(schema, key)) {
      issues.push({ path: prefix + key, value: input[key], expected: UNKNOWN_OPTION });
    }
  }
  for (const key of Object.keys(schema)) {
    const rule = schema[key] as Rule;
    const value = Object.prototype.hasOwnProperty.call(input, key) ? input[key] : undefined;
    if (value === undefined) {
      if (rule.required === true) issues.push({ path: prefix + key, value, expected: rule.expected });
      continue;
    }
    let ok: boolean;
    try {
      ok = rule.check(value);
    } catch {
      ok = false;
    }
    if (!ok) issues.push({ path: prefix + key, value, expected: rule.expected });
    else if (rule.schema !== undefined && isPlainObject(value)) collectIssues(value, rule.schema, `${prefix}${key}.`, issues);
  }
}

/**
 * @internal Validates `input` against `schema` and returns it typed, or throws one
 * {@link OptionsValidationError} naming every bad field. `extra` may add cross-field issues.
 */
export function validateOptions<T>(
  subject: string,
  input: unknown,
  schema: Schema,
  extra?: (options: T, issues: ValidationIssue[]) => void,
): T {
  const issues: ValidationIssue[] = [];
  collectIssues(input, schema, '', issues);
  const options = (input ?? {}) as T;
  if (issues.length === 0 && extra !== undefined) extra(options, issues);
  if (issues.length > 0) throw new OptionsValidationError(subject, issues);
  return options;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** @internal Rule builders. */
export const rules = {
  /** An integer within [min, max]; Infinity passes only with `allowInfinity` (`max` = Infinity does not admit it). */
  integer(min: number, max = Number.MAX_SAFE_INTEGER, opts: { allowInfinity?: boolean } = {}): Rule {
    const allowInf = opts.allowInfinity === true;
    return {
      expected: `an integer ≥ ${min}${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}${allowInf ? ' (or Infinity)' : ''}`,
      check: (v) => (allowInf && v === Number.POSITIVE_INFINITY) || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max),
    };
  },
  /** A finite number within [min, max] (or (min, max] when `exclusiveMin`). */
  number(min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, opts: { exclusiveMin?: boolean; allowInfinity?: boolean } = {}): Rule {
    const ex = opts.exclusiveMin === true;
    const allowInf = opts.allowInfinity === true;
    const parts: string[] = [];
    if (min !== Number.NEGATIVE_INFINITY) parts.push(`${ex ? '>' : '≥'} ${min}`);
    if (max !== Number.POSITIVE_INFINITY) parts.push(`≤ ${max}`);
    return {
      expected: `a finite number${parts.length > 0 ? ` ${parts.join(' and ')}` : ''}${allowInf ? ' (or Infinity)' : ''}`,
      check: (v) =>
        (allowInf && v === Number.POSITIVE_INFINITY) ||
        (isFiniteNumber(v) && (ex ? v > min : v >= min) && v <= max),
    };
  },
  /** A duration in milliseconds: a finite number ≥ `min` (default 0). */
  duration(min = 0, opts: { allowInfinity?: boolean; exclusiveMin?: boolean } = {}): Rule {
    const r = rules.number(min, Number.POSITIVE_INFINITY, opts);
    return { expected: `${r.expected.replace('a finite number', 'a duration in ms')}`, check: r.check };
  },
  boolean(): Rule {
    return { expected: 'a boolean', check: (v) => typeof v === 'boolean' };
  },
  string(opts: { nonEmpty?: boolean } = {}): Rule {
    const nonEmpty = opts.nonEmpty !== false;
    return {
      expected: nonEmpty ? 'a non-empty string' : 'a string',
      check: (v) => typeof v === 'string' && (!nonEmpty || v.length > 0),
    };
  },
  func(what = 'a function'): Rule {
    return { expected: what, check: (v) => typeof v === 'function' };
  },
  oneOf<T extends string | number | boolean>(values: readonly T[]): Rule {
    return {
      expected: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
      check: (v) => values.includes(v as T),
    };
  },
  /** Accepts when any of `alternatives` accepts. */
  anyOf(...alternatives: Rule[]): Rule {
    return {
      expected: alternatives.map((r) => r.expected).join(' or '),
      check: (v) => alternatives.some((r) => r.check(v)),
    };
  },
  /** A nested options object. */
  object(schema: Schema, expected = 'an object'): Rule {
    return { expected, check: (v) => isPlainObject(v), schema };
  },
  /** An array whose items all pass `item`. */
  arrayOf(item: Rule, opts: { minLength?: number } = {}): Rule {
    const min = opts.minLength ?? 0;
    return {
      expected: `an array${min > 0 ? ` of at least ${min}` : ' of'} ${item.expected.replace(/^an? /, '')} item(s)`,
      check: (v) => Array.isArray(v) && v.length >= min && v.every((x) => item.check(x)),
    };
  },
  /** A string-to-string map (labels). */
  labels(): Rule {
    return {
      expected: 'an object of string values',
      check: (v) => isPlainObject(v) && Object.keys(v).every((k) => !FORBIDDEN_KEYS.has(k) && typeof v[k] === 'string'),
    };
  },
  /** A clock: an object with now(), setTimeout() and clearTimeout(). */
  clock(): Rule {
    return {
      expected: 'a clock (an object with now, setTimeout and clearTimeout functions)',
      check: (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as Record<string, unknown>)['now'] === 'function' &&
        typeof (v as Record<string, unknown>)['setTimeout'] === 'function' &&
        typeof (v as Record<string, unknown>)['clearTimeout'] === 'function',
    };
  },
  /** Anything (for fields whose shape is checked elsewhere). */
  any(expected = 'any value'): Rule {
    return { expected, check: () => true };
  },
  required(rule: Rule): Rule {
    return { ...rule, required: true };
  },
};

/** @internal Is `value` a plain object (prototype Object.prototype or null)? */
export { isPlainObject };
