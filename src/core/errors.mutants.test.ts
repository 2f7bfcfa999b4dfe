/**
 * The error rules of core/errors.ts, read directly:
 * - every class sets its own `name` (`new X(...)` and the cheap `X.create(...)` alike);
 * - exact messages: circuit breaker, bulkhead (with/without partition, `full`/`queue-timeout`),
 *   rate limiter (each reason, with/without key, finite `retryAfter` and `Infinity`), timeout,
 *   chaos (default message), options validation (issues joined by `; `), fallback
 *   (`the call and all N tier(s) failed` with N = errors.length - 1);
 * - `fastError` gives a one-line `stack` `Name: message`;
 * - `RateLimitedError.create` builds `message` and `stack` lazily; assigning either makes an own,
 *   writable, configurable, non-enumerable data property;
 * - the `isXxx` guards accept only non-null objects carrying the brand and a matching string
 *   `code`: primitives, `null`, unbranded look-alikes, branded objects with a wrong/missing code
 *   and branded functions are rejected;
 * - `formatValue`: strings up to 60 chars are kept, longer ones cut to 57 + `...`; numbers,
 *   booleans, `undefined`, `null` via `String`; functions `function name` / `function (anonymous)`;
 *   arrays `array(n)`; plain and null-prototype objects as JSON (≤ 60 chars); class instances as
 *   `Ctor json`; otherwise `Ctor {…}`, with `object` when the constructor name is not a string.
 */
import { describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  ChaosInjectedError,
  ErrorCodes,
  ExecutionRejectedError,
  FallbackExhaustedError,
  OptionsValidationError,
  RateLimitedError,
  ResilienceError,
  TimeoutError,
  UNKNOWN_OPTION,
  formatValue,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isChaosInjectedError,
  isExecutionRejectedError,
  isFallbackExhaustedError,
  isOptionsValidationError,
  isRateLimitedError,
  isResilienceError,
  isTimeoutError,
} from './errors';

const BRAND = Symbol.for('breakwater.error');

const guards = [
  isExecutionRejectedError,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isRateLimitedError,
  isTimeoutError,
  isChaosInjectedError,
  isOptionsValidationError,
  isFallbackExhaustedError,
];

describe('error names', () => {
  it('each class sets its own name', () => {
    expect(new ResilienceError('m').name).toBe('ResilienceError');
    expect(new ExecutionRejectedError('m').name).toBe('ExecutionRejectedError');
    expect(new BrokenCircuitError('b', 'open', 1).name).toBe('BrokenCircuitError');
    expect(new BulkheadRejectedError('b', 'full').name).toBe('BulkheadRejectedError');
    expect(new RateLimitedError('l', 'rate', 1).name).toBe('RateLimitedError');
    expect(new TimeoutError(1).name).toBe('TimeoutError');
    expect(new ChaosInjectedError('f').name).toBe('ChaosInjectedError');
    expect(new OptionsValidationError('x', []).name).toBe('OptionsValidationError');
    expect(new FallbackExhaustedError([new Error('a')], 'fb').name).toBe('FallbackExhaustedError');
  });

  it('the cheap create paths carry the class name', () => {
    expect(BrokenCircuitError.create('b', 'open', 1).name).toBe('BrokenCircuitError');
    expect(BulkheadRejectedError.create('b', 'full').name).toBe('BulkheadRejectedError');
    expect(RateLimitedError.create('l', 'rate', 1).name).toBe('RateLimitedError');
  });
});

describe('messages', () => {
  it('circuit breaker', () => {
    expect(new BrokenCircuitError('db', 'half-open', 0).message).toBe('Circuit breaker "db" is half-open; calls are rejected');
    const fast = BrokenCircuitError.create('db', 'open', 5);
    expect(fast.message).toBe('Circuit breaker "db" is open; calls are rejected');
    expect(fast.stack).toBe('BrokenCircuitError: Circuit breaker "db" is open; calls are rejected');
  });

  it('bulkhead, with and without partition, full and queue-timeout', () => {
    expect(new BulkheadRejectedError('pool', 'full').message).toBe('Bulkhead "pool" is full');
    expect(new BulkheadRejectedError('pool', 'queue-timeout').message).toBe('Bulkhead "pool": queue wait timed out');
    expect(new BulkheadRejectedError('pool', 'full', 't1').message).toBe('Bulkhead "pool" (partition "t1") is full');
    expect(new BulkheadRejectedError('pool', 'queue-timeout', 't1').message).toBe(
      'Bulkhead "pool" (partition "t1"): queue wait timed out',
    );
    const fast = BulkheadRejectedError.create('pool', 'queue-timeout');
    expect(fast.message).toBe('Bulkhead "pool": queue wait timed out');
    expect(fast.stack).toBe('BulkheadRejectedError: Bulkhead "pool": queue wait timed out');
  });

  it('rate limiter, each reason, with and without key, finite and infinite retryAfter', () => {
    expect(new RateLimitedError('api', 'rate', 250).message).toBe('Rate limiter "api": rate limit exceeded; retry after 250 ms');
    expect(new RateLimitedError('api', 'queue-full', 10, 'k').message).toBe(
      'Rate limiter "api" (key "k"): wait queue is full; retry after 10 ms',
    );
    expect(new RateLimitedError('api', 'deadline', 7).message).toBe(
      'Rate limiter "api": the wait would outlive the deadline; retry after 7 ms',
    );
    expect(new RateLimitedError('api', 'max-partitions', Number.POSITIVE_INFINITY, 'k').message).toBe(
      'Rate limiter "api" (key "k"): too many live keys; the cost exceeds the burst',
    );
    expect(new RateLimitedError('api', 'rate', Number.POSITIVE_INFINITY).message).toBe(
      'Rate limiter "api": rate limit exceeded; the cost exceeds the burst',
    );
  });

  it('rate limiter create: lazy message and stack', () => {
    const e = RateLimitedError.create('api', 'deadline', 3, 'u');
    expect(e.message).toBe('Rate limiter "api" (key "u"): the wait would outlive the deadline; retry after 3 ms');
    expect(e.stack).toBe('RateLimitedError: Rate limiter "api" (key "u"): the wait would outlive the deadline; retry after 3 ms');
    expect(Object.getOwnPropertyDescriptor(e, 'message')).toBeUndefined();
    expect(e).toBeInstanceOf(RateLimitedError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(ErrorCodes.rateLimited);
    expect(isRateLimitedError(e)).toBe(true);
    expect(isExecutionRejectedError(e)).toBe(true);
    expect(isResilienceError(e)).toBe(true);
  });

  it('assigning message on a created RateLimitedError makes an own writable, configurable, hidden property', () => {
    const e = RateLimitedError.create('api', 'rate', 1);
    (e as { message: string }).message = 'x';
    expect(e.message).toBe('x');
    expect(Object.getOwnPropertyDescriptor(e, 'message')).toEqual({
      value: 'x',
      writable: true,
      configurable: true,
      enumerable: false,
    });
    expect(e.stack).toBe('RateLimitedError: x');
    (e as { message: string }).message = 'x2';
    expect(e.message).toBe('x2');
  });

  it('assigning stack on a created RateLimitedError makes an own writable, configurable, hidden property', () => {
    const e = RateLimitedError.create('api', 'rate', 1);
    e.stack = 'y';
    expect(e.stack).toBe('y');
    expect(Object.getOwnPropertyDescriptor(e, 'stack')).toEqual({
      value: 'y',
      writable: true,
      configurable: true,
      enumerable: false,
    });
    expect(Object.getOwnPropertyDescriptor(e, 'message')).toBeUndefined();
    expect(Object.keys(e)).not.toContain('stack');
  });

  it('timeout', () => {
    expect(new TimeoutError(1500).message).toBe('Operation timed out after 1500 ms');
  });

  it('chaos: default and explicit message', () => {
    expect(new ChaosInjectedError('latency').message).toBe('Chaos fault "latency" injected a failure');
    expect(new ChaosInjectedError('latency', 'boom').message).toBe('boom');
  });

  it('options validation joins the issues with "; "', () => {
    const e = new OptionsValidationError('retry', [
      { path: 'maxAttempts', value: 0, expected: 'an integer ≥ 1' },
      { path: 'bogus', value: 1, expected: UNKNOWN_OPTION },
    ]);
    expect(e.message).toBe('Invalid retry options: expected `maxAttempts` to be an integer ≥ 1, got 0; unknown option `bogus`');
  });

  it('fallback counts the tiers as errors.length - 1', () => {
    const e = new FallbackExhaustedError([new Error('a'), new Error('b'), new Error('c')], 'fb');
    expect(e.message).toBe('Fallback "fb": the call and all 2 tier(s) failed');
    expect(new FallbackExhaustedError([new Error('a')], 'x').message).toBe('Fallback "x": the call and all 0 tier(s) failed');
  });
});

describe('guards', () => {
  it('accept their own errors', () => {
    expect(isRateLimitedError(new RateLimitedError('l', 'rate', 1))).toBe(true);
    expect(isBrokenCircuitError(BrokenCircuitError.create('b', 'open', 1))).toBe(true);
    expect(isBulkheadRejectedError(BulkheadRejectedError.create('b', 'full'))).toBe(true);
    expect(isExecutionRejectedError(new ExecutionRejectedError('m'))).toBe(true);
    expect(isRateLimitedError(new TimeoutError(1))).toBe(false);
  });

  it('reject non-objects and null without throwing', () => {
    for (const guard of [...guards, isResilienceError]) {
      for (const input of [null, undefined, 'ERR_TIMEOUT', 42, true]) {
        expect(guard(input)).toBe(false);
      }
    }
  });

  it('reject an unbranded object with a code, and branded objects with a wrong or missing code', () => {
    for (const [guard, code] of [
      [isTimeoutError, ErrorCodes.timeout],
      [isRateLimitedError, ErrorCodes.rateLimited],
      [isBrokenCircuitError, ErrorCodes.brokenCircuit],
    ] as const) {
      expect(guard({ code })).toBe(false);
      expect(guard({ code, [BRAND]: 'yes' })).toBe(false);
      expect(guard({ [BRAND]: true })).toBe(false);
      expect(guard({ code: 'ERR_OTHER', [BRAND]: true })).toBe(false);
      expect(guard({ code: [code], [BRAND]: true })).toBe(false);
      expect(guard({ code, [BRAND]: true })).toBe(true);
    }
    expect(isResilienceError({ [BRAND]: true })).toBe(true);
    expect(isResilienceError({ [BRAND]: 1 })).toBe(false);
  });

  it('reject a function even when it carries the brand and a code', () => {
    const fn = Object.assign(() => undefined, { code: ErrorCodes.timeout, [BRAND]: true });
    expect(isTimeoutError(fn)).toBe(false);
    expect(isResilienceError(fn)).toBe(false);
  });
});

describe('formatValue', () => {
  it('keeps strings of up to 60 chars and cuts longer ones to 57 + "..."', () => {
    const s60 = 'a'.repeat(60);
    expect(formatValue(s60)).toBe(JSON.stringify(s60));
    expect(formatValue('b'.repeat(59))).toBe(JSON.stringify('b'.repeat(59)));
    expect(formatValue('c'.repeat(61))).toBe(JSON.stringify(`${'c'.repeat(57)}...`));
    expect(formatValue('hi')).toBe('"hi"');
  });

  it('numbers, booleans, undefined and null', () => {
    expect(formatValue(3.5)).toBe('3.5');
    expect(formatValue(-0)).toBe('-0');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(false)).toBe('false');
    expect(formatValue(undefined)).toBe('undefined');
    expect(formatValue(null)).toBe('null');
  });

  it('functions, named and anonymous; arrays', () => {
    function named(): void {}
    expect(formatValue(named)).toBe('function named');
    expect(formatValue(() => 1)).toBe('function (anonymous)');
    expect(formatValue([1, 2, 3])).toBe('array(3)');
    expect(formatValue([])).toBe('array(0)');
  });

  it('plain and null-prototype objects as JSON', () => {
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2 });
    expect(formatValue(bare)).toBe('{"b":2}');
  });

  it('JSON of exactly 60 chars is kept, 61 is not', () => {
    const at60 = { a: 'x'.repeat(52) };
    expect(JSON.stringify(at60)).toHaveLength(60);
    expect(formatValue(at60)).toBe(JSON.stringify(at60));
    const at61 = { a: 'x'.repeat(53) };
    expect(formatValue(at61)).toBe('Object {…}');
  });

  it('long or non-string JSON gives "Ctor {…}"', () => {
    expect(formatValue({ a: 'x'.repeat(100) })).toBe('Object {…}');
    expect(formatValue({ toJSON: () => undefined })).toBe('Object {…}');
    const bareLong = Object.assign(Object.create(null) as Record<string, unknown>, { a: 'x'.repeat(100) });
    expect(formatValue(bareLong)).toBe('object {…}');
  });

  it('class instances as "Ctor json" or "Ctor {…}"', () => {
    class Foo {
      constructor(readonly v: unknown) {}
    }
    expect(formatValue(new Foo(1))).toBe('Foo {"v":1}');
    expect(formatValue(new Foo('x'.repeat(100)))).toBe('Foo {…}');
  });

  it('a prototype without a constructor name counts as "object"', () => {
    const orphan: unknown = Object.create(Object.create(null) as object);
    expect(formatValue(orphan)).toBe('object {}');
  });

  it('a constructor whose name is not a string', () => {
    function Odd(this: { v: unknown }, v: unknown): void {
      this.v = v;
    }
    Object.defineProperty(Odd, 'name', { value: 42 });
    const OddCtor = Odd as unknown as new (v: unknown) => object;
    expect(formatValue(new OddCtor(1))).toBe('42 {"v":1}');
    expect(formatValue(new OddCtor('x'.repeat(100)))).toBe('object {…}');
  });
});
