import { describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  ChaosInjectedError,
  ErrorCodes,
  FallbackExhaustedError,
  OptionsValidationError,
  ResilienceError,
  TimeoutError,
  formatValue,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isChaosInjectedError,
  isExecutionRejectedError,
  isFallbackExhaustedError,
  isOptionsValidationError,
  isResilienceError,
  isTimeoutError,
  withoutStack,
} from './errors';

describe('errors', () => {
  it('carry stable codes and are recognized by their guards', () => {
    const open = new BrokenCircuitError('db', 'open', 1000);
    expect(open.code).toBe(ErrorCodes.brokenCircuit);
    expect(isBrokenCircuitError(open) && isExecutionRejectedError(open) && isResilienceError(open)).toBe(true);
    expect(open.retryAfter).toBe(1000);
    const full = new BulkheadRejectedError('pool', 'full', 'tenant-1');
    expect(isBulkheadRejectedError(full) && isExecutionRejectedError(full)).toBe(true);
    expect(full.message).toContain('tenant-1');
    expect(isTimeoutError(new TimeoutError(5))).toBe(true);
    expect(isChaosInjectedError(new ChaosInjectedError('f'))).toBe(true);
    expect(isOptionsValidationError(new OptionsValidationError('x', []))).toBe(true);
    const agg = new FallbackExhaustedError([new Error('a'), new Error('b')], 'fb');
    expect(agg).toBeInstanceOf(AggregateError);
    expect(isFallbackExhaustedError(agg)).toBe(true);
    expect(agg.errors).toHaveLength(2);
  });

  it('guards reject look-alikes and cross-kind errors', () => {
    expect(isBrokenCircuitError(new TimeoutError(1))).toBe(false);
    expect(isTimeoutError({ code: ErrorCodes.timeout })).toBe(false);
    expect(isResilienceError(new Error('x'))).toBe(false);
    expect(isResilienceError(null)).toBe(false);
    expect(isExecutionRejectedError(new ResilienceError('x'))).toBe(false);
  });

  it('guards work across two copies of the package (brand via Symbol.for)', () => {
    // A structurally identical error from "another copy": same global symbol, same code.
    const foreign = Object.assign(new Error('x'), { code: ErrorCodes.timeout, [Symbol.for('breakwater.error')]: true });
    expect(isTimeoutError(foreign)).toBe(true);
    expect(isResilienceError(foreign)).toBe(true);
  });

  it('withoutStack makes errors without a captured stack and restores the limit', () => {
    const before = Error.stackTraceLimit;
    const e = withoutStack(() => new BrokenCircuitError('x', 'open', 1));
    expect(Error.stackTraceLimit).toBe(before);
    expect(e.stack?.split('\n').length ?? 1).toBe(1);
    expect(() => withoutStack(() => { throw new Error('inner'); })).toThrow('inner');
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('formatValue is short and never throws', () => {
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(-0)).toBe('-0');
    expect(formatValue('x')).toBe('"x"');
    expect(formatValue(1n)).toBe('1n');
    expect(formatValue(() => 1)).toContain('function');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(typeof formatValue(cyclic)).toBe('string');
    expect(formatValue(Object.create(null))).toBe('{}');
    expect(formatValue('y'.repeat(100)).length).toBeLessThan(70);
  });
});
