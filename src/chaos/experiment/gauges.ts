/**
 * Gauges of an experiment: the user's own readings (a limit, a queue length, a p99 the
 * load measured itself), sampled by the runner at the end of every evaluation window into
 * the journal's series, next to the runner's own measurements. A gauge that throws never
 * breaks the experiment: its reading is `null` and the error is reported
 * (`onCallbackError`), as for every other callback of the runner.
 *
 * @packageDocumentation
 */
import type { ValidationIssue } from '../../core/errors';
import { reportInternalError } from '../../core/report';
import { isPlainObject, type Rule } from '../../core/validation';
import { round } from './window-stats';

/**
 * One gauge: returns its current reading, or `null` when it has none (no data yet). A
 * reading that is not a finite number (`NaN`, `Infinity`, a string…) is recorded as `null`.
 *
 * @example
 * ```ts
 * const limit: ExperimentGauge = () => databaseLimit.limit;
 * ```
 */
export type ExperimentGauge = () => number | null;

/**
 * The `gauges` option of an experiment: gauges by name (the name is the key of the
 * readings in `SeriesPoint.gauges`, and the line's label in the reports).
 *
 * @example
 * ```ts
 * const gauges: ExperimentGauges = { 'database limit': () => databaseLimit.limit, 'in flight': () => databaseLimit.inFlight };
 * ```
 */
export type ExperimentGauges = Readonly<Record<string, ExperimentGauge>>;

const EXPECTED_GAUGES = 'an object of gauges { [name]: () => number | null }';
const EXPECTED_GAUGE = 'a function returning the reading (a number, or null for none)';
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** @internal The schema rule of the `gauges` option (its entries are checked by {@link validateGauges}). */
export const gaugesRule: Rule = { expected: EXPECTED_GAUGES, check: isPlainObject };

/**
 * @internal Pushes one issue per bad gauge of `gauges` (an object already accepted by
 * {@link gaugesRule}): a name that is empty or reserved, or a value that is not a function.
 */
export function validateGauges(gauges: unknown, issues: ValidationIssue[], path = 'gauges'): void {
  if (!isPlainObject(gauges)) return;
  for (const name of Object.keys(gauges)) {
    const value = gauges[name];
    if (name.trim() === '' || RESERVED.has(name)) issues.push({ path: `${path}[${JSON.stringify(name)}]`, value: name, expected: 'a gauge name (not empty, not __proto__, constructor or prototype)' });
    else if (typeof value !== 'function') issues.push({ path: `${path}.${name}`, value, expected: EXPECTED_GAUGE });
  }
}

/** @internal Reads a set of gauges, each guarded: what one throws is reported, and its reading is `null`. */
export class GaugeSampler {
  private readonly entries: readonly (readonly [string, ExperimentGauge])[];

  constructor(gauges: ExperimentGauges | undefined) {
    this.entries = gauges === undefined ? [] : Object.entries(gauges);
  }

  /** The readings now (rounded to 3 decimals, as every number of the journal); `undefined` without gauges. */
  sample(): Record<string, number | null> | undefined {
    if (this.entries.length === 0) return undefined;
    const out: Record<string, number | null> = {};
    for (const [name, gauge] of this.entries) out[name] = read(name, gauge);
    return out;
  }
}

function read(name: string, gauge: ExperimentGauge): number | null {
  let v: unknown;
  try {
    v = gauge();
  } catch (error) {
    reportInternalError(error, `gauge "${name}"`);
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  // Past 2^53 every double is a whole number (and v × 1000 could overflow to Infinity).
  return Math.abs(v) >= 2 ** 53 ? v : round(v) + 0; // + 0: no -0 (JSON has none)
}
