/**
 * Rules of `ConcurrencyLimitedError` and its guard that the policy tests leave unpinned
 * (issue #23, mutation testing): the message of each reason, what the public constructor
 * and the stackless rejection-path copy both carry, the `name` of the prototype, and what
 * `isConcurrencyLimitedError()` accepts (both brands, from any copy of the package).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ExecutionRejectedError, isResilienceError, isExecutionRejectedError } from '../core/errors';
import { ConcurrencyLimitedError, isConcurrencyLimitedError, type ConcurrencyLimitReason } from './errors';

const MESSAGES: readonly [ConcurrencyLimitReason, string | undefined, string][] = [
  ['full', undefined, 'Adaptive concurrency limit "db" is full (limit 7)'],
  ['full', 'eu', 'Adaptive concurrency limit "db" (partition "eu") is full (limit 7)'],
  ['queue-timeout', undefined, 'Adaptive concurrency limit "db": queue wait timed out (limit 7)'],
  ['queue-timeout', 'eu', 'Adaptive concurrency limit "db" (partition "eu"): queue wait timed out (limit 7)'],
  ['max-partitions', 'eu', 'Adaptive concurrency limit "db" (partition "eu"): too many live partitions'],
];

describe('ConcurrencyLimitedError', () => {
  it('names the limiter, the partition (when there is one), the reason and the limit in its message, whichever way it is made', () => {
    for (const [reason, partition, message] of MESSAGES) {
      expect(new ConcurrencyLimitedError('db', reason, 7, partition).message).toBe(message);
      expect(ConcurrencyLimitedError.create('db', reason, 7, partition).message).toBe(message);
    }
  });

  it('made with new: an ExecutionRejectedError with its fields, code and name, that the guards recognize', () => {
    const e = new ConcurrencyLimitedError('db', 'queue-timeout', 3, 'eu');
    expect(e).toBeInstanceOf(ConcurrencyLimitedError);
    expect(e).toBeInstanceOf(ExecutionRejectedError);
    expect({ limiter: e.limiter, reason: e.reason, limit: e.limit, partition: e.partition, code: e.code }).toEqual({
      limiter: 'db',
      reason: 'queue-timeout',
      limit: 3,
      partition: 'eu',
      code: ErrorCodes.executionRejected,
    });
    expect(Object.prototype.hasOwnProperty.call(e, 'name') ? e.name : undefined).toBe('ConcurrencyLimitedError');
    expect(isConcurrencyLimitedError(e)).toBe(true);
    expect(isExecutionRejectedError(e)).toBe(true);
  });

  it('made on the rejection path: the same fields, the code, and a one-line stack that names the class and the message', () => {
    const e = ConcurrencyLimitedError.create('db', 'full', 4);
    expect(e).toBeInstanceOf(ConcurrencyLimitedError);
    expect(e).toBeInstanceOf(Error);
    expect({ limiter: e.limiter, reason: e.reason, limit: e.limit, partition: e.partition, code: e.code, name: e.name }).toEqual({
      limiter: 'db',
      reason: 'full',
      limit: 4,
      partition: undefined,
      code: ErrorCodes.executionRejected,
      name: 'ConcurrencyLimitedError',
    });
    expect(e.stack).toBe('ConcurrencyLimitedError: Adaptive concurrency limit "db" is full (limit 4)');
    expect(String(e)).toBe('ConcurrencyLimitedError: Adaptive concurrency limit "db" is full (limit 4)');
    expect(isResilienceError(e)).toBe(true);
    expect(isExecutionRejectedError(e)).toBe(true);
    expect(isConcurrencyLimitedError(e)).toBe(true);
  });

  it('its prototype names the class like an Error would: writable, configurable, not enumerable', () => {
    expect(Object.getOwnPropertyDescriptor(ConcurrencyLimitedError.prototype, 'name')).toEqual({
      value: 'ConcurrencyLimitedError',
      writable: true,
      configurable: true,
      enumerable: false,
    });
    const e = ConcurrencyLimitedError.create('db', 'full', 1);
    expect(Object.keys(e)).not.toContain('name');
    e.name = 'Renamed';
    expect(e.name).toBe('Renamed');
  });
});

describe('isConcurrencyLimitedError', () => {
  const errorBrand = Symbol.for('breakwater.error');
  const limitedBrand = Symbol.for('breakwater.concurrencyLimited');

  it('recognizes an error of another copy of the package by its two registered brands', () => {
    expect(isConcurrencyLimitedError({ [errorBrand]: true, [limitedBrand]: true })).toBe(true);
  });

  it('wants both brands, set to true, on an object', () => {
    expect(isConcurrencyLimitedError({ [errorBrand]: true })).toBe(false);
    expect(isConcurrencyLimitedError({ [limitedBrand]: true })).toBe(false);
    expect(isConcurrencyLimitedError({ [errorBrand]: 1, [limitedBrand]: true })).toBe(false);
    expect(isConcurrencyLimitedError({ [errorBrand]: true, [limitedBrand]: 'yes' })).toBe(false);
    expect(isConcurrencyLimitedError(new ExecutionRejectedError('rejected', ErrorCodes.executionRejected))).toBe(false);
    for (const value of [null, undefined, 'ConcurrencyLimitedError', 0, () => undefined]) {
      expect(isConcurrencyLimitedError(value)).toBe(false);
    }
  });
});
