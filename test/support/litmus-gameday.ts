/**
 * A game day in miniature for the schedule and trend tests: a VirtualClock, a chaos
 * controller whose wall clock runs 60 000 times faster than the virtual one (1 virtual ms
 * = 1 wall minute, so 100 ms ticks cross the hours of a UTC time window), and a suite of
 * two 30 ms experiments (a database outage behind a fallback, which passes, and one
 * without, which fails) driven at one call per virtual ms.
 */
import { pipeline, type Policy } from '../../src/core/policy';
import { fallback } from '../../src/fallback/index';
import { faultInjection } from '../../src/chaos/call-faults';
import { createChaosController, type ChaosController } from '../../src/chaos/guards';
import type { ChaosRules } from '../../src/chaos/chaos-rules';
import type { ExperimentOptions } from '../../src/chaos/experiment/experiment-options';
import type { SuiteOptions } from '../../src/chaos/experiment/suite';
import { scriptedDependency, Step } from '../../src/testing/scripted-dependency';
import { VirtualClock } from '../../src/testing/virtual-clock';

/** Monday 6 January 2025, 06:00 UTC: the wall time at virtual time 0. */
export const GAME_DAY_BASE = Date.parse('2025-01-06T06:00:00.000Z');
/** Each experiment's phases (35 ms in all; recovery holds the 3 evaluations a recovery needs). */
export const EXPERIMENT_SCHEDULE = { baseline: 10, inject: 10, recovery: 15, evaluationInterval: 5 } as const;

/** Wall ms per virtual ms. */
export const WALL_SCALE = 60_000;

export interface GameDayWorld {
  readonly clock: VirtualClock;
  readonly controller: ChaosController;
  /** Wall time: {@link GAME_DAY_BASE} + 1 minute per virtual ms. */
  readonly wallClock: () => number;
  /** The suite (35 ms of virtual time per experiment, 70 ms in all). */
  readonly suite: SuiteOptions;
  /** One experiment's options, e.g. to build other suites. */
  experiment(name: string, withFallback: boolean): ExperimentOptions;
}

/** Builds the world; `rules` arm the controller (default: no windows). */
export function gameDayWorld(options: { rules?: ChaosRules; armed?: boolean } = {}): GameDayWorld {
  const clock = new VirtualClock();
  const wallClock = (): number => GAME_DAY_BASE + clock.now() * WALL_SCALE;
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock, wallClock });
  if (options.armed !== false) controller.arm({ environment: 'test', ...(options.rules !== undefined ? { rules: options.rules } : {}) });
  const experiment = (name: string, withFallback: boolean): ExperimentOptions => {
    const dep = scriptedDependency({ otherwise: Step.ok('row', 1) }, clock);
    const fault = faultInjection({ name: `${name}-fault`, clock, controller });
    const calls: Policy = withFallback ? pipeline(fallback<string>({ tiers: ['cached'], clock }), fault) : pipeline(fault);
    return {
      name,
      hypothesis: `${name}: reads stay available`,
      faults: [fault],
      load: { fn: () => calls.execute(() => dep()), rate: 1_000 },
      steadyState: { '*': { availability: ['rate>0.9'] } },
      schedule: EXPERIMENT_SCHEDULE,
      clock,
    };
  };
  const suite: SuiteOptions = {
    name: 'game day',
    experiments: [
      { weight: 2, experiment: experiment('database down, with fallback', true) },
      { weight: 1, experiment: experiment('database down, no fallback', false) },
    ],
    clock,
  };
  return { clock, controller, wallClock, suite, experiment };
}
