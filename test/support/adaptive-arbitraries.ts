/**
 * @internal fast-check arbitraries of the adaptive concurrency limit's options and of the
 * window summaries its algorithms see, used by the property tests in
 * `src/adaptive-concurrency/`. Not part of the package.
 */
import fc from 'fast-check';
import type { AdaptiveAlgorithmName, WindowStats } from '../../src/adaptive-concurrency/algorithm';
import type { AdaptiveAlgorithmOptions } from '../../src/adaptive-concurrency/options';

/** Any valid `algorithm` option: a name, or a kind with random valid tuning. */
export const adaptiveAlgorithm: fc.Arbitrary<AdaptiveAlgorithmName | AdaptiveAlgorithmOptions> = fc.oneof(
  fc.constantFrom<AdaptiveAlgorithmName>('gradient2', 'aimd', 'vegas'),
  fc.record(
    {
      kind: fc.constant('gradient2' as const),
      tolerance: fc.double({ min: 1, max: 4, noNaN: true }),
      smoothing: fc.double({ min: 0.01, max: 1, noNaN: true }),
      queueSize: fc.double({ min: 0, max: 20, noNaN: true }),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    {
      kind: fc.constant('aimd' as const),
      backoffRatio: fc.double({ min: 0.05, max: 0.99, noNaN: true }),
      latencyThreshold: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constant(Number.POSITIVE_INFINITY)),
    },
    { requiredKeys: ['kind'] },
  ),
  fc
    .record({
      alpha: fc.double({ min: 0.5, max: 5, noNaN: true }),
      gap: fc.double({ min: 0.5, max: 5, noNaN: true }),
      smoothing: fc.double({ min: 0.01, max: 1, noNaN: true }),
    })
    .map(({ alpha, gap, smoothing }): AdaptiveAlgorithmOptions => ({ kind: 'vegas', alpha, beta: alpha + gap, smoothing })),
);

/** Valid limits: 1 ≤ minLimit ≤ `maxMin`, minLimit ≤ initialLimit ≤ maxLimit ≤ minLimit + `maxSpan`. */
export function adaptiveLimits(maxMin = 8, maxSpan = 40): fc.Arbitrary<{ minLimit: number; initialLimit: number; maxLimit: number }> {
  return fc
    .tuple(fc.noBias(fc.integer({ min: 1, max: maxMin })), fc.noBias(fc.integer({ min: 0, max: maxSpan })), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([minLimit, span, at]) => ({ minLimit, maxLimit: minLimit + span, initialLimit: minLimit + Math.round(span * at) }));
}

/** A window summary as the estimator builds it, for a limit of about `limit`. */
export function windowStats(limit: number): fc.Arbitrary<WindowStats> {
  return fc
    .record({
      samples: fc.integer({ min: 1, max: Math.max(10, limit * 2) }),
      fastFailures: fc.double({ min: 0, max: 1, noNaN: true }),
      drops: fc.double({ min: 0, max: 1, noNaN: true }),
      latency: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
      meanInFlight: fc.double({ min: 1, max: limit * 2 + 1, noNaN: true }),
      maxExtra: fc.integer({ min: 0, max: limit * 2 }),
    })
    .map(({ samples, fastFailures, drops, latency, meanInFlight, maxExtra }) => {
      const latencySamples = samples - Math.floor(samples * fastFailures);
      return {
        samples,
        drops: Math.floor(samples * drops),
        latency: latencySamples > 0 ? latency : Number.NaN,
        meanInFlight: latencySamples > 0 ? meanInFlight : Number.NaN,
        maxInFlight: Math.ceil(meanInFlight) + maxExtra,
      };
    });
}
