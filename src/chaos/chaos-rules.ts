/**
 * The declarative chaos rules: the limits a team keeps in a config file (environments, UTC
 * time windows, caps on rate, cohort and duration), validated strictly. `chaos.arm()` takes
 * them as `rules`.
 *
 * @packageDocumentation
 */
import { OptionsValidationError, type ValidationIssue } from '../core/errors';
import { collectIssues, isPlainObject, rules, validateOptions, type Rule } from '../core/validation';

/** Days of the week, as used by {@link ChaosTimeWindow.days} (UTC). */
export type ChaosDay = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

const DAYS: readonly ChaosDay[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * A time window (UTC) in which injection is allowed, e.g. weekdays 09:00–17:00 UTC when
 * the team is at its desks: `{ days: ['mon','tue','wed','thu','fri'], fromHour: 9, toHour: 17 }`.
 */
export interface ChaosTimeWindow {
  /** Days (UTC) the window applies to. @defaultValue every day */
  readonly days?: readonly ChaosDay[] | undefined;
  /** First hour (UTC, 0–23) inside the window. @defaultValue 0 */
  readonly fromHour?: number | undefined;
  /** Hour (UTC, 1–24) at which the window ends (exclusive); greater than `fromHour`. @defaultValue 24 */
  readonly toHour?: number | undefined;
}

/**
 * A declarative set of chaos rules: the limits a team keeps in a config file (plain JSON).
 * Validated strictly by {@link validateChaosRules}: unknown keys, wrong types and
 * prototype-pollution keys are errors.
 *
 * @example
 * ```ts
 * const rules = parseChaosRules(readFileSync('chaos-rules.json', 'utf8'));
 * chaos.arm({ environment: 'staging', rules });
 * ```
 */
export interface ChaosRules {
  /** Format version. @defaultValue 1 */
  readonly version?: 1 | undefined;
  /** Environments where arming is allowed at all. @defaultValue any */
  readonly environments?: readonly string[] | undefined;
  /** Injection happens only inside one of these windows (UTC). @defaultValue always */
  readonly windows?: readonly ChaosTimeWindow[] | undefined;
  /** Cap on every fault's `rate` (a higher rate is lowered to it). @defaultValue 1 */
  readonly maxRate?: number | undefined;
  /** Cap on every cohort's `percent`. @defaultValue 100 */
  readonly maxCohortPercent?: number | undefined;
  /** Cap on the armed duration (ms). @defaultValue `Infinity` */
  readonly maxDuration?: number | undefined;
}

const windowSchema = {
  days: rules.arrayOf(rules.oneOf(DAYS), { minLength: 1 }),
  fromHour: rules.integer(0, 23),
  toHour: rules.integer(1, 24),
};

const policySchema = {
  version: rules.oneOf([1]),
  environments: rules.arrayOf(rules.string(), { minLength: 1 }),
  windows: { expected: 'an array of time windows', check: (v: unknown) => Array.isArray(v) && v.length > 0 } satisfies Rule,
  maxRate: rules.number(0, 1),
  maxCohortPercent: rules.number(0, 100),
  maxDuration: rules.duration(0, { exclusiveMin: true }),
};

/**
 * Validates a declarative set of chaos rules and returns a frozen copy. Throws one
 * `OptionsValidationError` naming every bad field (unknown keys, wrong types,
 * `__proto__` / `constructor` keys, windows whose `toHour` is not after `fromHour`).
 *
 * @example
 * ```ts
 * validateChaosRules({ environments: ['staging'], maxRate: 0.2, windows: [{ fromHour: 9, toHour: 17 }] });
 * ```
 */
export function validateChaosRules(input: unknown): ChaosRules {
  if (!isPlainObject(input)) {
    throw new OptionsValidationError('chaos rules', [{ path: '(rules)', value: input, expected: 'a plain object' }]);
  }
  const policy = validateOptions<ChaosRules>('chaos rules', input, policySchema, (p, issues: ValidationIssue[]) => {
    (p.windows ?? []).forEach((w, i) => {
      const before = issues.length;
      collectIssues(w, windowSchema, `windows[${i}].`, issues);
      if (w === undefined) issues.push({ path: `windows[${i}]`, value: w, expected: 'a plain object' });
      if (issues.length === before && (w.toHour ?? 24) <= (w.fromHour ?? 0)) {
        issues.push({ path: `windows[${i}].toHour`, value: w.toHour, expected: `greater than fromHour (${w.fromHour ?? 0})` });
      }
    });
  });
  return Object.freeze({
    ...policy,
    ...(policy.environments !== undefined ? { environments: Object.freeze([...policy.environments]) } : {}),
    ...(policy.windows !== undefined
      ? { windows: Object.freeze(policy.windows.map((w) => Object.freeze({ ...w, ...(w.days !== undefined ? { days: Object.freeze([...w.days]) } : {}) }))) }
      : {}),
  });
}

/**
 * Parses chaos rules from JSON text and validates them ({@link validateChaosRules}).
 * `JSON.parse` keeps a `"__proto__"` key as an own property; it is rejected here.
 */
export function parseChaosRules(json: string): ChaosRules {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new OptionsValidationError('chaos rules', [{ path: '(json)', value: String(error), expected: 'valid JSON' }]);
  }
  return validateChaosRules(value);
}

/** @internal True when `wall` (epoch ms) falls inside one of `windows` (UTC). */
export function inWindows(windows: readonly ChaosTimeWindow[], wall: number): boolean {
  const d = new Date(wall);
  const day = DAYS[d.getUTCDay()] as ChaosDay;
  const hour = d.getUTCHours();
  for (const w of windows) {
    if (w.days !== undefined && !w.days.includes(day)) continue;
    if (hour >= (w.fromHour ?? 0) && hour < (w.toHour ?? 24)) return true;
  }
  return false;
}
