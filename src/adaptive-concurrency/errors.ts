/**
 * The rejection error of the adaptive concurrency limit.
 *
 * It is an {@link ExecutionRejectedError} (code `ERR_EXECUTION_REJECTED` until core gives it
 * a code of its own), so `isExecutionRejectedError()` recognizes it and retry does not retry
 * it by default. Its own brand makes {@link isConcurrencyLimitedError} work across two copies
 * of the package, like the guards of `core/errors.ts`.
 *
 * @packageDocumentation
 */
import { ErrorCodes, ExecutionRejectedError } from '../core/errors';

/** The brand every breakwater error carries (`core/errors.ts`), a registered symbol. */
const ERROR_BRAND = Symbol.for('breakwater.error');
/** The brand of this error class, a registered symbol so the guard works across copies. */
const LIMITED_BRAND = Symbol.for('breakwater.concurrencyLimited');

/**
 * Why an adaptive concurrency limit refused a call: every slot under the current limit and
 * every queue place was taken (`'full'`), the call waited in the queue longer than
 * `queueTimeout` (`'queue-timeout'`), or a partitioned limit found `maxPartitions` keys live
 * (`'max-partitions'`).
 */
export type ConcurrencyLimitReason = 'full' | 'queue-timeout' | 'max-partitions';

function limitedMessage(limiter: string, reason: ConcurrencyLimitReason, partition: string | undefined, limit: number): string {
  const where = `Adaptive concurrency limit "${limiter}"${partition === undefined ? '' : ` (partition "${partition}")`}`;
  if (reason === 'full') return `${where} is full (limit ${limit})`;
  if (reason === 'queue-timeout') return `${where}: queue wait timed out (limit ${limit})`;
  return `${where}: too many live partitions`;
}

/**
 * Thrown by an adaptive concurrency limit that refuses a call. Cheap to make: the rejection
 * path builds it without capturing a stack (like the bulkhead's and the breaker's errors).
 *
 * @example
 * ```ts
 * try {
 *   await db.execute((ctx) => query(ctx.signal));
 * } catch (e) {
 *   if (isConcurrencyLimitedError(e)) reply.status(503).send({ error: `busy (limit ${e.limit})` });
 *   else throw e;
 * }
 * ```
 */
export class ConcurrencyLimitedError extends ExecutionRejectedError {
  /** Name of the limiter (its `name` option). */
  readonly limiter: string;
  /** Why the call was refused. */
  readonly reason: ConcurrencyLimitReason;
  /** The partition key, for a partitioned limiter; `undefined` otherwise. */
  readonly partition: string | undefined;
  /** The concurrency limit of the limiter (or partition) when it refused; `0` for `'max-partitions'`. */
  readonly limit: number;
  /** @internal */
  readonly [LIMITED_BRAND] = true;

  constructor(limiter: string, reason: ConcurrencyLimitReason, limit: number, partition?: string) {
    super(limitedMessage(limiter, reason, partition, limit), ErrorCodes.executionRejected);
    this.name = 'ConcurrencyLimitedError';
    this.limiter = limiter;
    this.reason = reason;
    this.partition = partition;
    this.limit = limit;
  }

  /**
   * @internal The cheap way to make one on the rejection path: no `Error` constructor, so no
   * stack capture. The result is `instanceof` this class and `Error`, has `message`, `code`,
   * `name` and a one-line `stack`, and passes the guards.
   */
  static create(limiter: string, reason: ConcurrencyLimitReason, limit: number, partition?: string): ConcurrencyLimitedError {
    const e = Object.create(ConcurrencyLimitedError.prototype) as { -readonly [K in keyof ConcurrencyLimitedError]: ConcurrencyLimitedError[K] } & {
      [ERROR_BRAND]: boolean;
      [LIMITED_BRAND]: boolean;
    };
    const message = limitedMessage(limiter, reason, partition, limit);
    e.message = message;
    e.stack = `ConcurrencyLimitedError: ${message}`;
    e.code = ErrorCodes.executionRejected;
    e[ERROR_BRAND] = true;
    e[LIMITED_BRAND] = true;
    e.limiter = limiter;
    e.reason = reason;
    e.partition = partition;
    e.limit = limit;
    return e as ConcurrencyLimitedError;
  }
}
Object.defineProperty(ConcurrencyLimitedError.prototype, 'name', { value: 'ConcurrencyLimitedError', writable: true, configurable: true, enumerable: false });

/**
 * True for {@link ConcurrencyLimitedError}, from this or another copy of the package.
 *
 * @example
 * ```ts
 * if (isConcurrencyLimitedError(error)) metrics.count('db.shed', { reason: error.reason });
 * ```
 */
export function isConcurrencyLimitedError(error: unknown): error is ConcurrencyLimitedError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] === true &&
    (error as { [LIMITED_BRAND]?: unknown })[LIMITED_BRAND] === true
  );
}
