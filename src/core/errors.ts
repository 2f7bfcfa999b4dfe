/**
 * The error hierarchy of breakwater.
 *
 * Every error the library creates extends {@link ResilienceError}, carries a stable
 * `code` and a brand (a `Symbol.for` key), so the `isXxx()` guards keep working when two
 * copies of the package end up in one process (a common thing in monorepos).
 *
 * @packageDocumentation
 */

import type { RejectingCircuitState } from './circuit-states';

const BRAND = Symbol.for('breakwater.error');

/** Stable codes of every error the library throws. */
export const ErrorCodes = {
  /** Code of a plain {@link ResilienceError} (the default of its constructor). */
  resilience: 'ERR_RESILIENCE',
  /** Code of a plain {@link ExecutionRejectedError} (the default of its constructor). */
  executionRejected: 'ERR_EXECUTION_REJECTED',
  /** Code of {@link BrokenCircuitError}: a circuit breaker rejected the call. */
  brokenCircuit: 'ERR_BROKEN_CIRCUIT',
  /** Code of {@link BulkheadRejectedError}: a bulkhead was full or its queue wait timed out. */
  bulkheadRejected: 'ERR_BULKHEAD_REJECTED',
  /** Code of {@link RateLimitedError}: a rate limiter refused the call. */
  rateLimited: 'ERR_RATE_LIMITED',
  /** Code of {@link TimeoutError}: a timeout policy's deadline passed. */
  timeout: 'ERR_TIMEOUT',
  /** Code of {@link ChaosInjectedError}: a chaos fault failed the call on purpose. */
  chaosInjected: 'ERR_CHAOS_INJECTED',
  /** Code of {@link OptionsValidationError}: invalid options at construction. */
  optionsValidation: 'ERR_OPTIONS_VALIDATION',
  /** Code of {@link FallbackExhaustedError}: the call and every fallback tier failed. */
  fallbackExhausted: 'ERR_FALLBACK_EXHAUSTED',
} as const;

/** One of the values of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Runs `make` with stack capture switched off. Errors on hot rejection paths (an open
 * circuit, a full bulkhead) are created this way: capturing a stack costs microseconds
 * and the stack of a rejection says nothing the error's fields do not.
 */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function setPrototypeName(cls: { prototype: Error }, name: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

function hasCode(error: unknown, codes: readonly string[]): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const branded = (error as { [BRAND]?: unknown })[BRAND];
  if (branded !== true) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && codes.includes(code);
}

/**
 * Base class of every error breakwater creates.
 *
 * @example
 * ```ts
 * try { await policy.execute(call); }
 * catch (e) { if (isResilienceError(e)) console.log(e.code); }
 * ```
 */
export class ResilienceError extends Error {
  /** Stable machine-readable code, one of {@link ErrorCodes}. */
  readonly code: ErrorCode;
  /** @internal */
  readonly [BRAND] = true;

  constructor(message: string, code: ErrorCode = ErrorCodes.resilience, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ResilienceError';
  }
}

/**
 * A policy refused to run the call at all (an open circuit, a full bulkhead). Retry does
 * not retry these by default: hammering a refusing policy makes things worse.
 */
export class ExecutionRejectedError extends ResilienceError {
  constructor(message: string, code: ErrorCode = ErrorCodes.executionRejected, options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'ExecutionRejectedError';
  }
}

/** The state a circuit breaker was in when it rejected a call. */
export type { RejectingCircuitState };

function brokenCircuitMessage(breaker: string, state: RejectingCircuitState): string {
  return `Circuit breaker "${breaker}" is ${state}; calls are rejected`;
}

/**
 * Thrown by a circuit breaker that does not admit the call.
 *
 * @example
 * ```ts
 * if (isBrokenCircuitError(e)) res.setHeader('Retry-After', Math.ceil(e.retryAfter / 1000));
 * ```
 */
export class BrokenCircuitError extends ExecutionRejectedError {
  /** Name of the breaker. */
  readonly breaker: string;
  /** State the breaker was in: `open`, `half-open` (no probe permit free) or `isolated`. */
  readonly state: RejectingCircuitState;
  /**
   * Milliseconds until the breaker will admit a probe; `Infinity` while isolated, `0` in
   * half-open when a permit may free up at any moment.
   */
  readonly retryAfter: number;

  constructor(breaker: string, state: RejectingCircuitState, retryAfter: number) {
    super(brokenCircuitMessage(breaker, state), ErrorCodes.brokenCircuit);
    this.name = 'BrokenCircuitError';
    this.breaker = breaker;
    this.state = state;
    this.retryAfter = retryAfter;
  }

  /** @internal The cheap way to make one on the rejection path (see `fastError`). */
  static create(breaker: string, state: RejectingCircuitState, retryAfter: number): BrokenCircuitError {
    const e = fastError(BrokenCircuitError.prototype, brokenCircuitMessage(breaker, state), ErrorCodes.brokenCircuit) as { -readonly [K in keyof BrokenCircuitError]: BrokenCircuitError[K] };
    e.breaker = breaker;
    e.state = state;
    e.retryAfter = retryAfter;
    return e as BrokenCircuitError;
  }
}
setPrototypeName(BrokenCircuitError, 'BrokenCircuitError');

/**
 * @internal Makes an error of `proto`'s class without running the `Error` constructor: no
 * stack capture and no engine bookkeeping, about 20× cheaper. Used for the hot rejections
 * (open circuit, full bulkhead), where thousands per second are normal and a stack says
 * nothing the fields do not. The result is `instanceof` its class and `Error`, has
 * `message`, `code`, `name` and a one-line `stack`, and passes the `isXxx()` guards.
 */
function fastError<E extends ResilienceError>(proto: E, message: string, code: ErrorCode): E & { message: string; stack: string } {
  const e = Object.create(proto) as E & { message: string; stack: string; code: ErrorCode; [BRAND]: boolean };
  e.message = message;
  e.code = code;
  e[BRAND] = true;
  e.stack = `${proto.name}: ${message}`;
  return e;
}

function bulkheadMessage(bulkhead: string, reason: 'full' | 'queue-timeout', partition: string | undefined): string {
  const where = `Bulkhead "${bulkhead}"${partition === undefined ? '' : ` (partition "${partition}")`}`;
  return reason === 'full' ? `${where} is full` : `${where}: queue wait timed out`;
}

/** Thrown by a bulkhead whose running slots and queue are all taken, or whose queue wait timed out. */
export class BulkheadRejectedError extends ExecutionRejectedError {
  /** Name of the bulkhead. */
  readonly bulkhead: string;
  /** Why: the queue was full, or the call waited longer than `queueTimeout`. */
  readonly reason: 'full' | 'queue-timeout';
  /** Partition key, for partitioned bulkheads. */
  readonly partition: string | undefined;

  constructor(bulkhead: string, reason: 'full' | 'queue-timeout', partition?: string) {
    super(bulkheadMessage(bulkhead, reason, partition), ErrorCodes.bulkheadRejected);
    this.name = 'BulkheadRejectedError';
    this.bulkhead = bulkhead;
    this.reason = reason;
    this.partition = partition;
  }

  /** @internal The cheap way to make one on the rejection path (see `fastError`). */
  static create(bulkhead: string, reason: 'full' | 'queue-timeout', partition?: string): BulkheadRejectedError {
    const e = fastError(BulkheadRejectedError.prototype, bulkheadMessage(bulkhead, reason, partition), ErrorCodes.bulkheadRejected) as { -readonly [K in keyof BulkheadRejectedError]: BulkheadRejectedError[K] };
    e.bulkhead = bulkhead;
    e.reason = reason;
    e.partition = partition;
    return e as BulkheadRejectedError;
  }
}
setPrototypeName(BulkheadRejectedError, 'BulkheadRejectedError');

/**
 * Why a rate limiter refused a call: over the rate (`'rate'`: no wait allowed, or the wait
 * is longer than `maxWait`), the waiting queue is full (`'queue-full'`), the wait would end
 * after the call's deadline (`'deadline'`), or a new key found `maxPartitions` keys live
 * (`'max-partitions'`).
 */
export type RateLimitReason = 'rate' | 'queue-full' | 'deadline' | 'max-partitions';

function rateLimitedMessage(limiter: string, reason: RateLimitReason, partition: string | undefined, retryAfter: number): string {
  const where = `Rate limiter "${limiter}"${partition === undefined ? '' : ` (key "${partition}")`}`;
  const after = retryAfter === Number.POSITIVE_INFINITY ? 'the cost exceeds the burst' : `retry after ${retryAfter} ms`;
  return `${where}: ${reason === 'rate' ? 'rate limit exceeded' : reason === 'queue-full' ? 'wait queue is full' : reason === 'deadline' ? 'the wait would outlive the deadline' : 'too many live keys'}; ${after}`;
}

/**
 * Thrown by a rate limiter that refuses a call. `retryAfter` is honest: a call of the same
 * cost made `retryAfter` ms later is admitted if nothing else came in between.
 *
 * @example
 * ```ts
 * if (isRateLimitedError(e)) res.writeHead(429, { 'Retry-After': Math.ceil(e.retryAfter / 1000) });
 * ```
 */
export class RateLimitedError extends ExecutionRejectedError {
  /** Name of the rate limiter. */
  readonly limiter: string;
  /** Why the call was refused. */
  readonly reason: RateLimitReason;
  /** The key, for partitioned limiters. */
  readonly partition: string | undefined;
  /** Milliseconds (an integer) after which a call of the same cost is admitted; `Infinity` when the cost exceeds the burst. */
  readonly retryAfter: number;

  constructor(limiter: string, reason: RateLimitReason, retryAfter: number, partition?: string) {
    super(rateLimitedMessage(limiter, reason, partition, retryAfter), ErrorCodes.rateLimited);
    this.name = 'RateLimitedError';
    this.limiter = limiter;
    this.reason = reason;
    this.partition = partition;
    this.retryAfter = retryAfter;
  }

  /**
   * @internal The cheap way to make one on the rejection path (see `fastError`), cheaper
   * still: `message` and `stack` are built from the fields when first read (a refused
   * player's message is usually never read), by accessors on the prototype.
   */
  static create(limiter: string, reason: RateLimitReason, retryAfter: number, partition?: string): RateLimitedError {
    const e = Object.create(RateLimitedError.prototype) as { -readonly [K in keyof RateLimitedError]: RateLimitedError[K] } & { [BRAND]: boolean };
    e.code = ErrorCodes.rateLimited;
    e[BRAND] = true;
    e.limiter = limiter;
    e.reason = reason;
    e.partition = partition;
    e.retryAfter = retryAfter;
    return e as RateLimitedError;
  }
}
setPrototypeName(RateLimitedError, 'RateLimitedError');
/** Sets an own data property in place of a prototype accessor (an assignment to a lazy field). */
function shadow(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}
Object.defineProperty(RateLimitedError.prototype, 'message', {
  get(this: RateLimitedError): string {
    return rateLimitedMessage(this.limiter, this.reason, this.partition, this.retryAfter);
  },
  set(this: RateLimitedError, value: unknown) {
    shadow(this, 'message', value);
  },
  configurable: true,
  enumerable: false,
});
Object.defineProperty(RateLimitedError.prototype, 'stack', {
  get(this: RateLimitedError): string {
    return `RateLimitedError: ${this.message}`;
  },
  set(this: RateLimitedError, value: unknown) {
    shadow(this, 'stack', value);
  },
  configurable: true,
  enumerable: false,
});

/** Thrown when a timeout policy's deadline passes before the call settles. */
export class TimeoutError extends ResilienceError {
  /** The timeout's duration in milliseconds (the policy's, before nesting shortened it). */
  readonly duration: number;

  constructor(duration: number, options?: { cause?: unknown }) {
    super(`Operation timed out after ${duration} ms`, ErrorCodes.timeout, options);
    this.name = 'TimeoutError';
    this.duration = duration;
  }
}

/**
 * An error thrown by a chaos fault on purpose. Metrics and events count these apart from
 * real failures.
 */
export class ChaosInjectedError extends ResilienceError {
  /** Name of the fault that injected it. */
  readonly fault: string;

  constructor(fault: string, message = `Chaos fault "${fault}" injected a failure`, options?: { cause?: unknown }) {
    super(message, ErrorCodes.chaosInjected, options);
    this.name = 'ChaosInjectedError';
    this.fault = fault;
  }
}

/** One bad field reported by {@link OptionsValidationError}. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `halfOpen.maxProbes`. */
  readonly path: string;
  /** The value given. */
  readonly value: unknown;
  /** What the field must be, e.g. `an integer ≥ 1`; for unknown keys, `not present (unknown option)`. */
  readonly expected: string;
}

/**
 * Thrown at construction when options are invalid. The message names every bad field,
 * its value and what it must be; `issues` holds the same as data.
 *
 * @example
 * ```ts
 * retry({ maxAttempts: 0 });
 * // OptionsValidationError: Invalid retry options: expected `maxAttempts` to be an integer ≥ 1, got 0
 * ```
 */
export class OptionsValidationError extends ResilienceError {
  /** Every bad field. */
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    super(
      `Invalid ${subject} options: ${issues
        .map((i) =>
          i.expected === UNKNOWN_OPTION
            ? `unknown option \`${i.path}\``
            : `expected \`${i.path}\` to be ${i.expected}, got ${formatValue(i.value)}`,
        )
        .join('; ')}`,
      ErrorCodes.optionsValidation,
    );
    this.name = 'OptionsValidationError';
    this.issues = issues;
  }
}

/** @internal The `expected` text of an unknown key. */
export const UNKNOWN_OPTION = 'not present (unknown option)';

/**
 * Thrown by a fallback when the call and every tier failed. `errors[0]` is the original
 * failure, `errors[i]` the failure of tier `i - 1`.
 */
export class FallbackExhaustedError extends AggregateError {
  /** Stable code. */
  readonly code = ErrorCodes.fallbackExhausted;
  /** @internal */
  readonly [BRAND] = true;

  constructor(errors: readonly unknown[], policy: string) {
    super(errors, `Fallback "${policy}": the call and all ${errors.length - 1} tier(s) failed`);
    this.name = 'FallbackExhaustedError';
  }
}

/** @internal Formats a value for an error message: short, unambiguous, never throwing. */
export function formatValue(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) {
      return Object.is(value, -0) ? '-0' : String(value);
    }
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    if (Array.isArray(value)) return `array(${value.length})`;
    const proto: unknown = Object.getPrototypeOf(value);
    const ctorName =
      proto === null ? 'object' : ((proto as { constructor?: { name?: unknown } }).constructor?.name ?? 'object');
    const json = JSON.stringify(value);
    if (typeof json === 'string' && json.length <= 60) return ctorName === 'Object' || proto === null ? json : `${String(ctorName)} ${json}`;
    return `${typeof ctorName === 'string' ? ctorName : 'object'} {…}`;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * True for any error created by breakwater (any copy of the package): a
 * {@link ResilienceError} or a {@link FallbackExhaustedError} (which extends
 * `AggregateError`).
 */
export function isResilienceError(error: unknown): error is ResilienceError | FallbackExhaustedError {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true;
}
/** True for {@link ExecutionRejectedError} and its subclasses (open circuit, full bulkhead, rate limited). */
export function isExecutionRejectedError(error: unknown): error is ExecutionRejectedError {
  return hasCode(error, [ErrorCodes.executionRejected, ErrorCodes.brokenCircuit, ErrorCodes.bulkheadRejected, ErrorCodes.rateLimited]);
}
/** True for {@link BrokenCircuitError}. */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return hasCode(error, [ErrorCodes.brokenCircuit]);
}
/** True for {@link BulkheadRejectedError}. */
export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return hasCode(error, [ErrorCodes.bulkheadRejected]);
}
/** True for {@link RateLimitedError}. */
export function isRateLimitedError(error: unknown): error is RateLimitedError {
  return hasCode(error, [ErrorCodes.rateLimited]);
}
/** True for {@link TimeoutError}. */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return hasCode(error, [ErrorCodes.timeout]);
}
/** True for {@link ChaosInjectedError}. */
export function isChaosInjectedError(error: unknown): error is ChaosInjectedError {
  return hasCode(error, [ErrorCodes.chaosInjected]);
}
/** True for {@link OptionsValidationError}. */
export function isOptionsValidationError(error: unknown): error is OptionsValidationError {
  return hasCode(error, [ErrorCodes.optionsValidation]);
}
/** True for {@link FallbackExhaustedError}. */
export function isFallbackExhaustedError(error: unknown): error is FallbackExhaustedError {
  return hasCode(error, [ErrorCodes.fallbackExhausted]);
}
