/**
 * @internal Runs an experiment to its end on a virtual clock, for the tests of the chaos
 * runner and what reads its journal. Not part of the package.
 */
import type { ExperimentOptions } from '../../src/chaos/experiment/experiment-options';
import type { ExperimentJournal } from '../../src/chaos/experiment/journal';
import { runExperiment } from '../../src/chaos/experiment/runner';
import type { VirtualClock } from '../../src/testing/virtual-clock';

/** Starts `options`' experiment, runs `clock` until nothing is scheduled, and returns the journal. */
export async function runToEnd(clock: VirtualClock, options: ExperimentOptions): Promise<ExperimentJournal> {
  const p = runExperiment(options);
  await clock.runAll();
  return p;
}
