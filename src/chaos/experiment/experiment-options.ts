/**
 * The options of a chaos experiment (`runExperiment`): the faults, the load, the
 * checks, the schedule, and what the runner needs of a chaos controller and of a
 * circuit breaker.
 *
 * @packageDocumentation
 */
import type { Clock } from '../../core/clock';
import type { ChaosFleetSwitch } from '../fleet';
import type { BlastRadiusOptions } from './blast-radius';
import type { ExperimentGauges } from './gauges';
import type { ExperimentImpact } from './impact';
import type { FaultIntensity } from './intensity';
import type { ExperimentJournal, ExperimentPhase, SeriesPoint } from './journal';
import type { LoadOptions } from './load';
import type { SloSpec } from './slo';
import type { ThresholdMetric } from './thresholds';

/** What the runner needs of a fault: a name, a switch and a counter. Every `FaultPolicy` fits. */
export interface ExperimentFault {
  /** Name used in the journal (distinct within an experiment). */
  readonly name: string;
  /** Switches the fault on (called when the ramp or inject phase starts). */
  enable(): void;
  /** Switches the fault off at once (called at the start of the baseline and of recovery, and on halt). */
  disable(): void;
  /** Injections so far (the runner records the difference over the experiment). */
  readonly injections: number;
  /** The controller the fault obeys; the runner checks that it is armed. @defaultValue the global `chaos` */
  readonly controller?: ChaosGate | undefined;
}

/** What the runner needs of a chaos controller. `ChaosController` fits. */
export interface ChaosGate {
  /** Whether injection is allowed right now, and why not. */
  status(): {
    /** Armed and allowed to inject now. */
    readonly active: boolean;
    /** Why injection is off (`undefined` when active). */
    readonly reason: string | undefined;
    /** In a fleet (armed with a `coordinator`); needed by `fleet: true`. */
    readonly fleet?: boolean | undefined;
  };
  /** The kill switch: stops every injection (used when a fault cannot be disabled). */
  halt(reason?: string): unknown;
  /** Switches faults on or off on the other instances of its fleet; false when in none. Needed by `fleet: true`. */
  switchFleetFaults?(request: ChaosFleetSwitch): boolean;
}

/**
 * A circuit breaker whose state the runner records over time (a `CircuitBreakerPolicy`
 * fits). With `onEvent`, every transition is recorded at its exact time from the
 * breaker's events and `state` is read once, at the start. Without it, the state is read
 * after every load call and at every evaluation, and `on('opened')`, when present, gives
 * openings their exact time.
 *
 * @example
 * ```ts
 * const breaker = circuitBreaker({ name: 'payment-gateway', recoveryTimeout: 5_000 });
 * await runExperiment({ ...experiment, circuitBreakers: [breaker] }); // watched through its events
 * await runExperiment({ ...experiment, circuitBreakers: [{ name: 'legacy', get state() { return legacy.status; } }] }); // polled
 * ```
 */
export interface WatchedCircuit {
  /** Name used in the journal and the charts. */
  readonly name: string;
  /** Current state: `closed`, `open`, `half-open` or `isolated`. */
  readonly state: string;
  /** Subscribes to openings (exact timestamps); optional, used only without `onEvent`. */
  on?(
    type: 'opened',
    listener: (event: {
      /** Clock time of the opening. */
      readonly time: number;
    }) => void,
  ): {
    /** Removes the listener. */
    dispose(): void;
  };
  /**
   * Subscribes to every event of the breaker; optional. The runner reads `opened` (with
   * `reason` and `retryAfter`), `half-opened` and `closed`, and ignores the rest.
   */
  onEvent?(
    listener: (event: {
      /** `opened`, `half-opened` and `closed` are read; other types are ignored. */
      readonly type: string;
      /** Clock time of the event. */
      readonly time: number;
      /** `opened`: `isolated` when held open by hand. */
      readonly reason?: string | undefined;
      /** `opened`: ms until the breaker admits a probe (`Infinity` when isolated). */
      readonly retryAfter?: number | undefined;
    }) => void,
  ): {
    /** Removes the listener. */
    dispose(): void;
  };
}

/** A threshold, optionally `hard` (broken during ramp or inject → the experiment halts at once). */
export type ThresholdSpec =
  | string
  | {
      /** The threshold expression, e.g. `p(99)<800`. */
      readonly threshold: string;
      /** Broken during ramp or inject → halt at once. @defaultValue false */
      readonly hard?: boolean | undefined;
    };

/** Thresholds per metric, for one operation. */
export interface OperationThresholds {
  /** On the failed share of completed calls: `rate<0.01`, `count<5`. */
  readonly errorRate?: readonly ThresholdSpec[] | undefined;
  /** On the successful share: `rate>0.995`. */
  readonly availability?: readonly ThresholdSpec[] | undefined;
  /** On call durations (ms): `p(99)<800`, `avg<200`, `max<2000`, `med<100`. */
  readonly latency?: readonly ThresholdSpec[] | undefined;
  /** On completed calls per second: `rate>40`. */
  readonly throughput?: readonly ThresholdSpec[] | undefined;
}

/** One check in the flat form. */
export interface CheckSpec {
  /** What the check measures. */
  readonly metric: ThresholdMetric;
  /** The threshold expression, e.g. `rate<0.01`. */
  readonly threshold: string;
  /** The operation (`'*'`: every call). @defaultValue `'*'` */
  readonly operation?: string | undefined;
  /** Halt at once when broken during ramp or inject. @defaultValue false */
  readonly hard?: boolean | undefined;
}

/**
 * Checks, either per operation (`{ '*': { errorRate: ['rate<0.01'] }, 'payment.charge': … }`,
 * `'*'` meaning every call) or as a flat list of {@link CheckSpec}.
 */
export type Checks = Readonly<Record<string, OperationThresholds>> | readonly CheckSpec[];

/** The durations (ms) of the phases. */
export interface ExperimentSchedule {
  /** Faults off; the steady state must hold here, or the experiment is skipped. */
  readonly baseline: number;
  /** Faults on, their intensity rising from 0 to 1 (see `faultIntensity`). @defaultValue 0 */
  readonly ramp?: number | undefined;
  /** Faults on at full intensity. */
  readonly inject: number;
  /** Faults off; the steady state must come back here. */
  readonly recovery: number;
  /** Length of an evaluation window (ms). Every phase is cut into windows of this length (the last one of a phase may be shorter). */
  readonly evaluationInterval: number;
}

/**
 * The load the runner drives for the whole experiment: {@link LoadOptions} without the
 * fields the runner owns (`duration`, `clock`, `onResult`), plus the operation of each
 * call. Give exactly one of `rate` and `concurrency`.
 */
export interface ExperimentLoad extends Omit<LoadOptions, 'duration' | 'clock' | 'onResult'> {
  /** The operation a call belongs to (a name, or a function of the call number). @defaultValue `'default'` */
  readonly operation?: string | ((index: number) => string) | undefined;
}

/** Receives the progress of an experiment (see `progressReporter`). Errors it throws are ignored. */
export interface ExperimentObserver {
  /** The experiment starts. */
  onStart?(info: ExperimentStartInfo): void;
  /** A phase starts. */
  onPhase?(info: { readonly experiment: string; readonly phase: ExperimentPhase; readonly elapsed: number; readonly duration: number }): void;
  /** A window was evaluated; `impact` is the blast radius and SLO usage so far. */
  onEvaluation?(info: { readonly experiment: string; readonly elapsed: number; readonly duration: number; readonly point: SeriesPoint; readonly impact?: ExperimentImpact | undefined }): void;
  /** The experiment ended (after its rollbacks). */
  onEnd?(journal: ExperimentJournal): void;
}

/** Given to {@link ExperimentObserver.onStart}. */
export interface ExperimentStartInfo {
  /** The experiment's name. */
  readonly experiment: string;
  /** Its hypothesis. */
  readonly hypothesis: string;
  /** Planned duration (ms). */
  readonly duration: number;
  /** Position in a suite (1-based) and the suite's size; 1 of 1 outside a suite. */
  readonly position: number;
  /** Size of the suite. */
  readonly of: number;
}

/** Options of `runExperiment`. */
export interface ExperimentOptions {
  /** Name of the experiment. Required. */
  readonly name: string;
  /** What you expect, in words: "checkout stays above 99.5 % when the gateway is slow". Required. */
  readonly hypothesis: string;
  /** The faults switched on during ramp and inject. Required (at least one). */
  readonly faults: readonly ExperimentFault[];
  /** The traffic. Required. */
  readonly load: ExperimentLoad;
  /** The steady-state hypothesis as checks. Required (at least one check). */
  readonly steadyState: Checks;
  /** The phases. Required. */
  readonly schedule: ExperimentSchedule;
  /** Extra checks that halt the experiment at once when broken during ramp or inject. @defaultValue none */
  readonly halt?: Checks | undefined;
  /** Run after the experiment ends, whatever the ending, in order, all of them. @defaultValue none */
  readonly rollbacks?: readonly (() => unknown)[] | undefined;
  /** A rollback that has not settled after this many ms is recorded as failed. @defaultValue 10 000 */
  readonly rollbackTimeout?: number | undefined;
  /** Recorded in the journal; build your faults' `random` from it (`seededRandom(seed)`). @defaultValue none */
  readonly seed?: number | undefined;
  /** The clock everything runs on. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Wall-clock time (epoch ms) for `startedAt` in the journal. @defaultValue none (no `startedAt`) */
  readonly wallClock?: (() => number) | undefined;
  /** The chaos controller that must be armed. @defaultValue the faults' controllers (the global `chaos` for faults without one) */
  readonly controller?: ChaosGate | undefined;
  /**
   * Switch the faults on every instance of the fleet, not only here: the controller(s) must
   * be in a fleet (`arm({ coordinator })`). When the faults go on, the other instances are
   * asked to switch on their faults of the same names (those they offered in `fleetFaults`,
   * while armed) until the inject phase's planned end plus one evaluation interval (at
   * least 1 s) — their own timers switch them off if the "off" never comes; when the faults
   * go off (recovery, or any ending), they are asked to switch them off. The experiment's
   * load and checks stay on this instance. @defaultValue false
   */
  readonly fleet?: boolean | undefined;
  /** Circuit breakers whose state is recorded over time and counts for time to detect. @defaultValue none */
  readonly circuitBreakers?: readonly WatchedCircuit[] | undefined;
  /** Consecutive evaluations in which the steady state holds that count as "recovered". @defaultValue 3 */
  readonly recoveryStreak?: number | undefined;
  /** Driven by the runner during the ramp (see `faultIntensity`). @defaultValue none */
  readonly intensity?: FaultIntensity | undefined;
  /** Progress receiver (see `progressReporter`). @defaultValue none */
  readonly progress?: ExperimentObserver | undefined;
  /**
   * Availability SLOs per operation (`'*'`: every call together): the journal reports the
   * error budget each consumed and its burn rate (overall, under fault, peak window), and
   * checks may read the burn rate (`errorRate: ['burn_rate<14.4']`).
   * @defaultValue none
   */
  readonly slos?: Readonly<Record<string, SloSpec>> | undefined;
  /**
   * What counts as an affected call besides a failed one (a slow or degraded answer), and
   * how many users are counted exactly. Users come from `load.userKey`.
   * @defaultValue only failed calls are affected; 10 000 users counted exactly
   */
  readonly blastRadius?: BlastRadiusOptions | undefined;
  /**
   * Your own readings, recorded over time: at the end of every evaluation window the runner
   * calls each gauge and records its reading in that window's series point
   * (`series[i].gauges[name]`), and the HTML report draws them in one chart (one line per
   * gauge, on one axis: give an experiment gauges of one unit). Use them for what the runner
   * cannot see: an adaptive limit, a queue length, the p99 of one path of your load. A
   * gauge is read on the experiment's schedule only, so keep it cheap and synchronous. One
   * that throws is recorded as `null` and reported (`onCallbackError`); the experiment goes
   * on. A reading that is not a finite number is recorded as `null`.
   * @defaultValue none (no `gauges` in the series)
   * @example
   * ```ts
   * await runExperiment({ ...experiment, gauges: { 'database limit': () => databaseLimit.limit } });
   * ```
   */
  readonly gauges?: ExperimentGauges | undefined;
}
