import { describe, expectTypeOf, it } from 'vitest';
import type { CircuitBreakerPolicy } from '../../circuit-breaker/index';
import type { FaultPolicy } from '../fault-policy';
import type { ChaosController } from '../guards';
import type { ChaosGate, Checks, ExperimentFault, ExperimentJournal, SuiteJournal, WatchedCircuit } from './index';
import { renderHtml, renderMarkdown, runExperiment, runSuite } from './index';

describe('experiment types', () => {
  it('accepts the library objects structurally', () => {
    expectTypeOf<FaultPolicy>().toMatchTypeOf<ExperimentFault>();
    expectTypeOf<CircuitBreakerPolicy>().toMatchTypeOf<WatchedCircuit>();
    expectTypeOf<ChaosController>().toMatchTypeOf<ChaosGate>();
    expectTypeOf<{ name: string; state: string }>().toMatchTypeOf<WatchedCircuit>();
  });

  it('takes checks in both forms and rejects unknown metrics', () => {
    expectTypeOf<{ '*': { errorRate: string[]; latency: [{ threshold: string; hard: true }] } }>().toMatchTypeOf<Checks>();
    expectTypeOf<[{ metric: 'latency'; threshold: string; operation: string }]>().toMatchTypeOf<Checks>();
    expectTypeOf<[{ metric: 'errors'; threshold: string }]>().not.toMatchTypeOf<Checks>();
  });

  it('resolves with journals that renderers take', () => {
    expectTypeOf(runExperiment).returns.resolves.toEqualTypeOf<ExperimentJournal>();
    expectTypeOf(runSuite).returns.resolves.toEqualTypeOf<SuiteJournal>();
    expectTypeOf(renderHtml).parameter(0).toEqualTypeOf<ExperimentJournal | SuiteJournal>();
    expectTypeOf(renderMarkdown).returns.toEqualTypeOf<string>();
    expectTypeOf<ExperimentJournal['verdict']>().toEqualTypeOf<'pass' | 'fail' | 'halted' | 'aborted' | 'skipped'>();
  });
});
