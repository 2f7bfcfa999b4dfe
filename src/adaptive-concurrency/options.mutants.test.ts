/**
 * The algorithm schemas of the adaptive concurrency limit, read from a fresh load of the
 * module (issue #23, mutation testing): the schemas (`aimd.ts`, `gradient2.ts`, `vegas.ts`)
 * and the list of algorithm names (`algorithm.ts`) are built when the modules load, so these
 * tests import the policy anew (`vi.resetModules()`) and check on that copy what each schema
 * accepts (every algorithm by name and by kind, `Infinity` where documented) and what it
 * refuses on its boundaries, with what the error says is expected.
 */
import { describe, expect, it } from 'vitest';
import { freshModule, issuesOf } from '../../test/support/fresh-module';
import type * as Adaptive from './adaptive-concurrency';
import type { AdaptiveConcurrencyOptions } from './options';

/** The policy module, loaded again so that the schemas are built in this test. */
async function fresh(): Promise<typeof Adaptive> {
  return freshModule<typeof Adaptive>(() => import('./adaptive-concurrency'));
}

const limits = { initialLimit: 10, minLimit: 1, maxLimit: 100 } as const;

/** The issues (path and expected) of refusing `algorithm`. */
function refused(make: typeof Adaptive.adaptiveConcurrency, algorithm: AdaptiveConcurrencyOptions['algorithm']): { path: string; expected: string }[] {
  return issuesOf(() => make({ ...limits, algorithm })).map(({ path, expected }) => ({ path, expected }));
}

describe('algorithm schemas (of a fresh load)', () => {
  it('accepts every algorithm by name, and by kind with every tuning option at its documented bounds', async () => {
    const { adaptiveConcurrency } = await fresh();
    for (const name of ['gradient2', 'aimd', 'vegas'] as const) {
      expect(adaptiveConcurrency({ ...limits, algorithm: name }).algorithm).toBe(name);
    }
    expect(adaptiveConcurrency({ ...limits, algorithm: { kind: 'gradient2', tolerance: 1, smoothing: 1, queueSize: 0 } }).describe().options).toMatchObject({
      algorithm: 'gradient2',
      tolerance: 1,
      smoothing: 1,
      queueSize: 0,
    });
    expect(adaptiveConcurrency({ ...limits, algorithm: { kind: 'aimd', backoffRatio: 0.5, latencyThreshold: Number.POSITIVE_INFINITY } }).describe().options).toMatchObject({
      algorithm: 'aimd',
      backoffRatio: 0.5,
      latencyThreshold: Number.POSITIVE_INFINITY,
    });
    expect(adaptiveConcurrency({ ...limits, algorithm: { kind: 'aimd', latencyThreshold: 0.5 } }).describe().options).toMatchObject({ latencyThreshold: 0.5 });
    expect(adaptiveConcurrency({ ...limits, algorithm: { kind: 'vegas', alpha: 0.5, beta: 1, smoothing: 1 } }).describe().options).toMatchObject({
      algorithm: 'vegas',
      alpha: 0.5,
      beta: 1,
      smoothing: 1,
    });
  });

  it('aimd: refuses a backoffRatio of 0 and a latencyThreshold of 0, saying what it expects', async () => {
    const { adaptiveConcurrency } = await fresh();
    expect(refused(adaptiveConcurrency, { kind: 'aimd', backoffRatio: 0, latencyThreshold: 0 })).toEqual([
      { path: 'algorithm.backoffRatio', expected: 'a finite number > 0 and < 1' },
      { path: 'algorithm.latencyThreshold', expected: 'a duration in ms > 0 (or Infinity)' },
    ]);
  });

  it('gradient2: refuses a smoothing of 0', async () => {
    const { adaptiveConcurrency } = await fresh();
    expect(refused(adaptiveConcurrency, { kind: 'gradient2', smoothing: 0 })).toEqual([{ path: 'algorithm.smoothing', expected: 'a finite number > 0 and ≤ 1' }]);
  });

  it('vegas: refuses an alpha, a beta or a smoothing of 0 (a beta of 0 is also not above alpha)', async () => {
    const { adaptiveConcurrency } = await fresh();
    expect(refused(adaptiveConcurrency, { kind: 'vegas', alpha: 0 })).toEqual([{ path: 'algorithm.alpha', expected: 'a finite number > 0' }]);
    expect(refused(adaptiveConcurrency, { kind: 'vegas', beta: 0 })).toEqual([
      { path: 'algorithm.beta', expected: 'a finite number > 0' },
      { path: 'algorithm.beta', expected: 'a finite number > alpha (3)' },
    ]);
    expect(refused(adaptiveConcurrency, { kind: 'vegas', smoothing: 0 })).toEqual([{ path: 'algorithm.smoothing', expected: 'a finite number > 0 and ≤ 1' }]);
  });
});
