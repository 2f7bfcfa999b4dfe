import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, OptionsValidationError, type ValidationIssue } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { circuitBreaker } from './circuit-breaker';
import type { CircuitBreakerOptions } from './options';

function issuesOf(options: unknown): ValidationIssue[] {
  try {
    circuitBreaker(options as CircuitBreakerOptions);
  } catch (e) {
    if (isOptionsValidationError(e)) return [...e.issues];
    throw e;
  }
  return [];
}

const paths = (options: unknown): string[] => issuesOf(options).map((i) => i.path);

describe('circuitBreaker options validation', () => {
  it('accepts no options and every documented shape', () => {
    expect(() => circuitBreaker()).not.toThrow();
    expect(() => circuitBreaker({})).not.toThrow();
    expect(() =>
      circuitBreaker({
        name: 'x',
        clock: new VirtualClock(),
        window: { kind: 'time', duration: 10_000, buckets: 20 },
        minimumThroughput: 1,
        failureRateThreshold: 1,
        slowCallDuration: 0.5,
        slowCallRateThreshold: 0.01,
        recoveryTimeout: 0,
        halfOpen: { maxProbes: 10, successThreshold: 3, probeTimeout: Number.POSITIVE_INFINITY },
        handle: [TypeError],
        handleResult: (v: number) => v > 1,
      }),
    ).not.toThrow();
    expect(() => circuitBreaker({ failureThreshold: 1, recoveryTimeout: (n) => n * 1_000 })).not.toThrow();
    expect(() => circuitBreaker({ window: { kind: 'count', size: 1 } })).not.toThrow();
  });

  const bad: [string, unknown, string][] = [
    ['name', { name: '' }, 'name'],
    ['name', { name: 3 }, 'name'],
    ['clock', { clock: { now: () => 0 } }, 'clock'],
    ['failureThreshold', { failureThreshold: 0 }, 'failureThreshold'],
    ['failureThreshold', { failureThreshold: 1.5 }, 'failureThreshold'],
    ['failureThreshold', { failureThreshold: Number.NaN }, 'failureThreshold'],
    ['window', { window: 'count' }, 'window'],
    ['window.kind', { window: { kind: 'sliding', size: 3 } }, 'window.kind'],
    ['window.kind', { window: { size: 3 } }, 'window.kind'],
    ['window.size', { window: { kind: 'count', size: 0 } }, 'window.size'],
    ['window.size', { window: { kind: 'count', size: 1_000_001 } }, 'window.size'],
    ['window.size', { window: { kind: 'count' } }, 'window.size'],
    ['window.size', { window: { kind: 'time', duration: 100, size: 3 } }, 'window.size'],
    ['window.duration', { window: { kind: 'time', duration: 0 } }, 'window.duration'],
    ['window.duration', { window: { kind: 'time', duration: Number.POSITIVE_INFINITY } }, 'window.duration'],
    ['window.duration', { window: { kind: 'time' } }, 'window.duration'],
    ['window.duration', { window: { kind: 'count', size: 2, duration: 100 } }, 'window.duration'],
    ['window.buckets', { window: { kind: 'time', duration: 100, buckets: 0 } }, 'window.buckets'],
    ['window.buckets', { window: { kind: 'time', duration: 100, buckets: 10_001 } }, 'window.buckets'],
    ['window.buckets', { window: { kind: 'count', size: 2, buckets: 2 } }, 'window.buckets'],
    ['window unknown key', { window: { kind: 'count', size: 2, sise: 3 } }, 'window.sise'],
    ['minimumThroughput', { window: { kind: 'count', size: 5 }, minimumThroughput: 0 }, 'minimumThroughput'],
    ['minimumThroughput', { window: { kind: 'count', size: 5 }, minimumThroughput: 6 }, 'minimumThroughput'],
    ['minimumThroughput', { minimumThroughput: 3 }, 'minimumThroughput'],
    ['failureRateThreshold', { window: { kind: 'count', size: 5 }, failureRateThreshold: 0 }, 'failureRateThreshold'],
    ['failureRateThreshold', { window: { kind: 'count', size: 5 }, failureRateThreshold: 50 }, 'failureRateThreshold'],
    ['failureRateThreshold', { failureRateThreshold: 0.5 }, 'failureRateThreshold'],
    ['failureThreshold with window', { window: { kind: 'count', size: 5 }, failureThreshold: 3 }, 'failureThreshold'],
    ['slowCallDuration', { window: { kind: 'count', size: 5 }, slowCallDuration: 0 }, 'slowCallDuration'],
    ['slowCallDuration', { window: { kind: 'count', size: 5 }, slowCallDuration: -1 }, 'slowCallDuration'],
    ['slowCallDuration', { slowCallDuration: 100 }, 'slowCallDuration'],
    ['slowCallRateThreshold', { window: { kind: 'count', size: 5 }, slowCallDuration: 10, slowCallRateThreshold: 1.5 }, 'slowCallRateThreshold'],
    ['slowCallRateThreshold', { window: { kind: 'count', size: 5 }, slowCallRateThreshold: 0.5 }, 'slowCallRateThreshold'],
    ['recoveryTimeout', { recoveryTimeout: -1 }, 'recoveryTimeout'],
    ['recoveryTimeout', { recoveryTimeout: Number.POSITIVE_INFINITY }, 'recoveryTimeout'],
    ['recoveryTimeout', { recoveryTimeout: '1s' }, 'recoveryTimeout'],
    ['halfOpen', { halfOpen: 1 }, 'halfOpen'],
    ['halfOpen.maxProbes', { halfOpen: { maxProbes: 0 } }, 'halfOpen.maxProbes'],
    ['halfOpen.maxProbes', { halfOpen: { maxProbes: 10_001 } }, 'halfOpen.maxProbes'],
    ['halfOpen.successThreshold', { halfOpen: { successThreshold: 0 } }, 'halfOpen.successThreshold'],
    ['halfOpen.probeTimeout', { halfOpen: { probeTimeout: 0 } }, 'halfOpen.probeTimeout'],
    ['halfOpen.probeTimeout', { halfOpen: { probeTimeout: Number.NaN } }, 'halfOpen.probeTimeout'],
    ['halfOpen unknown key', { halfOpen: { probes: 2 } }, 'halfOpen.probes'],
    ['handle', { handle: 'Error' }, 'handle'],
    ['handle', { handle: [] }, 'handle'],
    ['handleResult', { handleResult: true }, 'handleResult'],
    ['restore', { restore: { version: 2 } }, 'restore'],
    ['restore', { restore: 'open' }, 'restore'],
    ['unknown key', { threshold: 5 }, 'threshold'],
  ];

  for (const [what, options, path] of bad) {
    it(`rejects a bad ${what}: ${JSON.stringify(options)}`, () => {
      expect(paths(options)).toContain(path);
    });
  }

  it('reports every bad field in one error with field, value and expectation', () => {
    let error: unknown;
    try {
      circuitBreaker({ failureThreshold: 0, recoveryTimeout: -5, halfOpen: { maxProbes: 0 }, nope: 1 } as unknown as CircuitBreakerOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionsValidationError);
    const message = (error as Error).message;
    expect(message).toContain('Invalid circuitBreaker options');
    expect(message).toContain('expected `failureThreshold` to be an integer ≥ 1, got 0');
    expect(message).toContain('`recoveryTimeout`');
    expect(message).toContain('`halfOpen.maxProbes`');
    expect(message).toContain('unknown option `nope`');
  });

  it('accepts every ratio in (0, 1] and rejects everything outside (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (r) => {
        const ok = Number.isFinite(r) && r > 0 && r <= 1;
        const p = paths({ window: { kind: 'count', size: 2 }, failureRateThreshold: r, slowCallDuration: 1, slowCallRateThreshold: r });
        expect(p.includes('failureRateThreshold')).toBe(!ok);
        expect(p.includes('slowCallRateThreshold')).toBe(!ok);
      }),
    );
  });

  it('accepts every integer failureThreshold ≥ 1 and rejects the rest (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double()), (n) => {
        expect(paths({ failureThreshold: n }).includes('failureThreshold')).toBe(!(Number.isInteger(n) && n >= 1 && n <= Number.MAX_SAFE_INTEGER));
      }),
    );
  });
});
