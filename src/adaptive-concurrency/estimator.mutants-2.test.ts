/**
 * The deepest probe of the limit estimator, read from a fresh load of the module (issue #23,
 * mutation testing): the bound (1/64 of the limit) is a module constant, built when the module
 * loads, so this test imports the estimator anew (`vi.resetModules()`) and checks on that copy
 * that repeated probes halve their depth down to the bound and stay there.
 */
import { describe, expect, it } from 'vitest';
import { freshModule } from '../../test/support/fresh-module';
import type { LimitRule, RuleStep } from './algorithm';
import type * as Estimator from './estimator';

/** A rule that compares latency with the no-load latency (so the estimator probes) and always keeps the limit. */
const holding: LimitRule = {
  name: 'gradient2',
  slowAfter: Number.POSITIVE_INFINITY,
  usesNoLoad: true,
  next: (limit: number): RuleStep => ({ limit, cut: false }),
  describe: () => ({}),
};

describe('probe depth (of a fresh load)', () => {
  it('each probe that finds a latency more than 10 % lower goes twice as deep, down to 1/64 of the limit', async () => {
    const { LimitEstimator } = await freshModule<typeof Estimator>(() => import('./estimator'));
    const e = new LimitEstimator(holding, 1, 1_000, 640);
    /** Closes windows of calls with the whole limit in flight, at `latency`, until a probe starts. */
    const untilProbe = (latency: number): void => {
      for (let w = 0; w < 100 && !e.probing; w++) {
        while (!e.sample(latency, e.limit, false));
      }
      expect(e.probing).toBe(true);
    };
    const limits: number[] = [];
    for (const latency of [500, 400, 300, 200, 100, 50, 25]) {
      untilProbe(1_000);
      limits.push(e.probeLimit);
      while (!e.sample(latency, e.probeLimit, false));
    }
    expect(limits).toEqual([320, 160, 80, 40, 20, 10, 10]);
  });
});
