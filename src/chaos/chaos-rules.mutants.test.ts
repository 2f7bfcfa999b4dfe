/**
 * The validation rules of chaos/chaos-rules.ts, read directly: `windows` must be a non-empty
 * array; a window whose `toHour` equals its `fromHour` is rejected (the end is exclusive); an
 * `undefined` window is reported as not a plain object at its index; every error names the
 * subject "chaos rules" (non-object input, schema errors, bad JSON) and its path (`(rules)`,
 * `(json)`, `windows[i]`); the returned rules hold frozen copies of `environments`,
 * `windows` and each window's `days`, detached from the caller's arrays.
 */
import { describe, expect, it } from 'vitest';
import { OptionsValidationError } from '../core/errors';
import { parseChaosRules, validateChaosRules, type ChaosDay } from './chaos-rules';

function issuesOf(fn: () => unknown): { error: OptionsValidationError; paths: string[] } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsValidationError);
    const e = error as OptionsValidationError;
    return { error: e, paths: e.issues.map((i) => i.path) };
  }
  throw new Error('expected an OptionsValidationError');
}

describe('chaos rules validation (mutation pins)', () => {
  it('rejects an empty windows array (it would forbid injection at all times)', () => {
    const { paths } = issuesOf(() => validateChaosRules({ windows: [] }));
    expect(paths).toEqual(['windows']);
  });

  it('accepts a one-window array', () => {
    expect(validateChaosRules({ windows: [{ fromHour: 9, toHour: 17 }] }).windows).toEqual([{ fromHour: 9, toHour: 17 }]);
  });

  it('rejects a window whose toHour equals fromHour (an empty window)', () => {
    const { error, paths } = issuesOf(() => validateChaosRules({ windows: [{ fromHour: 9, toHour: 9 }] }));
    expect(paths).toEqual(['windows[0].toHour']);
    expect(error.issues[0]?.expected).toBe('greater than fromHour (9)');
  });

  it('accepts a window whose toHour is one hour after fromHour', () => {
    expect(() => validateChaosRules({ windows: [{ fromHour: 9, toHour: 10 }] })).not.toThrow();
  });

  it('reports an undefined window at its index as not a plain object', () => {
    const { error } = issuesOf(() => validateChaosRules({ windows: [{ fromHour: 1 }, undefined] }));
    expect(error.issues).toEqual([{ path: 'windows[1]', value: undefined, expected: 'a plain object' }]);
    expect(error.message).toContain('`windows[1]`');
  });

  it('names the subject "chaos rules" and the path (rules) for non-object input', () => {
    const { error } = issuesOf(() => validateChaosRules(42));
    expect(error.issues).toEqual([{ path: '(rules)', value: 42, expected: 'a plain object' }]);
    expect(error.message).toMatch(/^Invalid chaos rules options: /);
  });

  it('names the subject "chaos rules" for a schema error', () => {
    const { error } = issuesOf(() => validateChaosRules({ maxRate: 2 }));
    expect(error.message).toMatch(/^Invalid chaos rules options: /);
    expect(error.issues.map((i) => i.path)).toEqual(['maxRate']);
  });

  it('names the subject "chaos rules" and the path (json) for invalid JSON', () => {
    const { error } = issuesOf(() => parseChaosRules('{ nope'));
    expect(error.message).toMatch(/^Invalid chaos rules options: /);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('(json)');
    expect(error.issues[0]?.expected).toBe('valid JSON');
  });

  it('returns a frozen copy of environments, detached from the input array', () => {
    const environments = ['staging'];
    const policy = validateChaosRules({ environments });
    expect(policy.environments).not.toBe(environments);
    expect(Object.isFrozen(policy.environments)).toBe(true);
    environments.push('production');
    expect(policy.environments).toEqual(['staging']);
    expect(Object.isFrozen(environments)).toBe(false);
  });

  it('returns a frozen copy of windows and of each window, detached from the input', () => {
    const window = { fromHour: 9, toHour: 17 };
    const windows = [window];
    const policy = validateChaosRules({ windows });
    expect(policy.windows).not.toBe(windows);
    expect(Object.isFrozen(policy.windows)).toBe(true);
    expect(Object.isFrozen(policy.windows?.[0])).toBe(true);
    windows.push({ fromHour: 0, toHour: 1 });
    window.toHour = 18;
    expect(policy.windows).toEqual([{ fromHour: 9, toHour: 17 }]);
    expect(Object.isFrozen(windows)).toBe(false);
    expect(Object.isFrozen(window)).toBe(false);
  });

  it("returns a frozen copy of a window's days, detached from the input array", () => {
    const days: ChaosDay[] = ['mon', 'tue'];
    const policy = validateChaosRules({ windows: [{ days }] });
    const copy = policy.windows?.[0]?.days;
    expect(copy).not.toBe(days);
    expect(Object.isFrozen(copy)).toBe(true);
    days.push('wed');
    expect(copy).toEqual(['mon', 'tue']);
    expect(Object.isFrozen(days)).toBe(false);
  });
});
