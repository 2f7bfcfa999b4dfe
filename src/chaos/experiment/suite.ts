/**
 * Chaos experiment suites: experiments run one after the other, every one validated
 * before the first starts, and a weighted resilience score.
 *
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../../core/clock';
import { isPlainObject, rules, validateOptions, type Rule } from '../../core/validation';
import type { ExperimentObserver, ExperimentOptions } from './experiment-options';
import { experimentScore, resilienceScore, type SuiteEntry, type SuiteJournal, type Verdict } from './journal';
import { planExperiment } from './impact';
import { runPlanned } from './runner';
import { safeIso } from './user-callbacks';
import { round } from './window-stats';

/** One experiment of a suite. */
export interface SuiteExperiment {
  /** Relative importance in the resilience score. @defaultValue 1 */
  readonly weight?: number | undefined;
  /** The experiment's options. */
  readonly experiment: ExperimentOptions;
}

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  /** Name of the suite. Required. */
  readonly name: string;
  /** The experiments, run one after the other. Required (at least one). */
  readonly experiments: readonly SuiteExperiment[];
  /** Recorded in the suite journal. @defaultValue none */
  readonly seed?: number | undefined;
  /** The clock used to time the suite. @defaultValue the first experiment's clock */
  readonly clock?: Clock | undefined;
  /** Wall-clock time for `startedAt`. @defaultValue none */
  readonly wallClock?: (() => number) | undefined;
  /** Progress receiver for every experiment (overrides theirs). @defaultValue each experiment's own */
  readonly progress?: ExperimentObserver | undefined;
}

const suiteSchema = {
  name: rules.required(rules.string()),
  experiments: rules.required(
    rules.arrayOf(
      {
        expected: 'an object { experiment, weight? } with a finite weight ≥ 0',
        check: (v) =>
          isPlainObject(v) &&
          isPlainObject(v['experiment']) &&
          Object.keys(v).every((k) => k === 'experiment' || k === 'weight') &&
          (v['weight'] === undefined || (typeof v['weight'] === 'number' && Number.isFinite(v['weight']) && v['weight'] >= 0)),
      },
      { minLength: 1 },
    ),
  ),
  seed: rules.number(),
  clock: rules.clock(),
  wallClock: rules.func(),
  progress: { expected: 'an observer object', check: (v: unknown) => typeof v === 'object' && v !== null } satisfies Rule,
};

/**
 * Runs experiments one after the other and resolves with the suite journal and its
 * weighted resilience score (see `resilienceScore`). Every experiment's options are
 * validated before the first one starts.
 *
 * @example
 * ```ts
 * const suite = await runSuite({
 *   name: 'game backend',
 *   experiments: [{ weight: 3, experiment: paymentsDown }, { weight: 1, experiment: cdnSlow }],
 * });
 * console.log(`resilience score ${suite.score}/100`);
 * ```
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteJournal> {
  const o = validateOptions<SuiteOptions>('runSuite', options, suiteSchema);
  const list = o.experiments.map((e) => ({ weight: e.weight ?? 1, options: o.progress === undefined ? e.experiment : { ...e.experiment, progress: o.progress } }));
  list.forEach((e) => planExperiment(e.options)); // validate all before running any
  const clock = o.clock ?? list[0]?.options.clock ?? systemClock;
  const t0 = clock.now();
  const entries: SuiteEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as { weight: number; options: ExperimentOptions };
    const journal = await runPlanned(e.options, i + 1, list.length);
    entries.push({ weight: e.weight, score: experimentScore(journal), journal });
  }
  const verdicts: Record<Verdict, number> = { pass: 0, fail: 0, halted: 0, aborted: 0, skipped: 0 };
  for (const e of entries) verdicts[e.journal.verdict]++;
  return {
    kind: 'suite',
    version: 1,
    name: o.name,
    seed: o.seed ?? null,
    startedAt: o.wallClock === undefined ? null : safeIso(o.wallClock),
    experiments: entries,
    score: resilienceScore(entries),
    verdicts,
    duration: round(clock.now() - t0),
  };
}
