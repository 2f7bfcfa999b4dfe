import { describe, expectTypeOf, it } from 'vitest';
import type { AnyJournal, ExperimentOptions } from '../chaos/index';
import { combinePrometheus, createExperimentMetrics, createMetricsHandler, ExperimentMetricNames, type ExperimentMetrics, type PrometheusSource } from './index';

describe('experiment metrics types', () => {
  it('plug into an experiment, a suite and the metrics handler', () => {
    const experiments = createExperimentMetrics();
    expectTypeOf(experiments).toEqualTypeOf<ExperimentMetrics>();
    expectTypeOf(experiments.observer()).toMatchTypeOf<NonNullable<ExperimentOptions['progress']>>();
    expectTypeOf(experiments.observer).parameter(0).toEqualTypeOf<NonNullable<ExperimentOptions['progress']> | undefined>();
    expectTypeOf(experiments.record).parameter(0).toEqualTypeOf<AnyJournal>();
    expectTypeOf(combinePrometheus).returns.toEqualTypeOf<PrometheusSource>();
    expectTypeOf(createMetricsHandler).toBeCallableWith(combinePrometheus(experiments));
    expectTypeOf(ExperimentMetricNames.runs).toEqualTypeOf<'resilience_experiment_runs_total'>();
    // @ts-expect-error: maxExperiments is a number
    createExperimentMetrics({ maxExperiments: '10' });
  });
});
