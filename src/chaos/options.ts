/**
 * Options shared by every fault policy.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { Random } from '../core/random';
import { rules, type Rule, type Schema } from '../core/validation';
import { ChaosController } from './guards';
import { labelSelectorRule, operationsRule, type FaultCohort, type FaultTarget } from './targeting';

/**
 * Options every fault policy takes. A call gets the fault when: the fault is switched on
 * (`enabled` at creation, then `enable()`/`disable()`), its controller is armed, `when`
 * says yes, the call matches `target` and `cohort`, it is within `maxDuration`, and a draw
 * of `random` falls under `rate`. Any error thrown while deciding (by `rate`, `when`, …)
 * means "do not inject".
 *
 * @example
 * ```ts
 * // Built off: arming the controller at start-up does not switch it on; an admin endpoint does.
 * const slowDb = latencyInjection({ latency: 800, enabled: false, when: (ctx) => ctx.labels['tier'] === 'free' });
 * slowDb.enable();
 * ```
 */
export interface FaultOptions {
  /** Name used in events, metrics and errors. @defaultValue the fault kind, e.g. `'fault-injection'` */
  readonly name?: string | undefined;
  /** Clock for `maxDuration`, flapping phases and hold times. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Source of chance: a seeded random replays the same decisions. @defaultValue `Math.random` */
  readonly random?: Random | undefined;
  /**
   * Share of eligible calls that get the fault, 0–1, or a function of the call returning
   * one (values outside 0–1 are clamped, `NaN` means 0). Capped by the chaos rules'
   * `maxRate`. @defaultValue 1
   */
  readonly rate?: number | ((ctx: ExecutionContext) => number) | undefined;
  /**
   * Whether the fault starts switched on: the initial state of the run-time switch
   * `enable()` / `disable()` / `isEnabled`. `false` builds the fault off until `enable()`,
   * so arming its controller does not switch it on. (A per-call predicate goes in `when`;
   * a function here is rejected.) @defaultValue true
   */
  readonly enabled?: boolean | undefined;
  /**
   * A predicate per call: the call is eligible only when it returns `true` (anything else,
   * or a throw, skips it). Checked only while the fault is switched on and armed.
   * @defaultValue every call
   */
  readonly when?: ((ctx: ExecutionContext) => boolean) | undefined;
  /** Which operations and labels are eligible. @defaultValue every call */
  readonly target?: FaultTarget | undefined;
  /** A sticky cohort of users or tenants. @defaultValue every call */
  readonly cohort?: FaultCohort | undefined;
  /**
   * The fault stops injecting this many ms after the first call it sees while armed
   * (the count restarts on `enable()`). @defaultValue `Infinity`
   */
  readonly maxDuration?: number | undefined;
  /** The controller whose arming this fault obeys. @defaultValue the global {@link chaos} controller */
  readonly controller?: ChaosController | undefined;
}

const rateRule = rules.anyOf(rules.number(0, 1), rules.func('a function returning a rate'));

/** @internal The schema of {@link FaultOptions}. */
export const faultOptionsSchema: Schema = {
  name: rules.string(),
  clock: rules.clock(),
  random: rules.func('a function returning a number in [0, 1)'),
  rate: rateRule,
  enabled: {
    expected: 'a boolean, whether the fault starts switched on (a per-call predicate goes in `when: (ctx) => boolean`)',
    check: (v) => typeof v === 'boolean',
  } satisfies Rule,
  when: rules.func('a predicate (ctx) => boolean'),
  target: rules.object({ operations: operationsRule, labels: labelSelectorRule }, 'an object with operations and/or labels'),
  cohort: rules.object(
    { label: rules.required(rules.string()), percent: rules.required(rules.number(0, 100)), salt: rules.string({ nonEmpty: false }) },
    'an object { label, percent, salt? }',
  ),
  maxDuration: rules.duration(0, { exclusiveMin: true, allowInfinity: true }),
  controller: { expected: 'a chaos controller (from createChaosController())', check: (v) => v instanceof ChaosController } satisfies Rule,
};
