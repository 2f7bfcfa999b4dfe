import { describe, expect, it } from 'vitest';
import { pipeline } from '../core/policy';
import { circuitBreaker } from '../circuit-breaker/index';
import { fallback } from '../fallback/index';
import { retry } from '../retry/index';
import { timeout } from '../timeout/index';
import { describePipeline, flattenPipeline } from './describe';

describe('describePipeline', () => {
  const make = () => {
    const inner = pipeline({ name: 'gateway' }, circuitBreaker({ name: 'gw-breaker', failureThreshold: 3 }), timeout(2_000));
    return pipeline(
      { name: 'payments' },
      fallback({ tiers: [function queueForLater() { return 'queued'; }] }),
      retry({ maxAttempts: 4, delay: 100, jitter: 'none' }),
      inner,
    );
  };

  it('describes kinds, names and effective options as plain data', () => {
    const d = describePipeline(make());
    expect(d).toMatchObject({
      kind: 'pipeline',
      name: 'payments',
      policies: [
        { kind: 'fallback' },
        { kind: 'retry', name: 'retry', options: { maxAttempts: 4, maxDelay: 30_000 } },
        {
          kind: 'pipeline',
          name: 'gateway',
          policies: [
            { kind: 'circuit-breaker', name: 'gw-breaker', options: { failureThreshold: 3, recoveryTimeout: 60_000, halfOpen: { maxProbes: 1 } } },
            { kind: 'timeout', options: { duration: 2_000 } },
          ],
        },
      ],
    });
    // Plain: no functions or class instances anywhere.
    const walk = (v: unknown): void => {
      expect(typeof v).not.toBe('function');
      if (v !== null && typeof v === 'object') {
        const proto: unknown = Object.getPrototypeOf(v);
        expect(proto === Object.prototype || proto === Array.prototype).toBe(true);
        Object.values(v).forEach(walk);
      }
    };
    walk(d);
    // Same configuration, same description.
    expect(describePipeline(make())).toEqual(d);
  });

  it('changes when an option changes', () => {
    const a = describePipeline(retry({ maxAttempts: 3 }));
    const b = describePipeline(retry({ maxAttempts: 4 }));
    expect(a).not.toEqual(b);
  });

  it('flattens nested pipelines in call order, with their path', () => {
    expect(flattenPipeline(make()).map((p) => `${p.path.join('/')}:${p.kind}`)).toEqual([
      'payments:fallback',
      'payments:retry',
      'payments/gateway:circuit-breaker',
      'payments/gateway:timeout',
    ]);
    expect(flattenPipeline(timeout(5)).map((p) => p.kind)).toEqual(['timeout']);
  });

  it('rejects non-policies', () => {
    expect(() => describePipeline({} as never)).toThrow(TypeError);
    expect(() => describePipeline(null as never)).toThrow(TypeError);
  });
});
