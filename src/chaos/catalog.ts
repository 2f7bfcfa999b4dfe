/**
 * The scenario catalog: ready-made faults for what a game-server team rehearses. Each
 * function returns a configured fault policy (place it innermost in the dependency's
 * pipeline) and accepts every common fault option (`rate`, `target`, `cohort`,
 * `controller`, `clock`, `random`…) plus a few knobs of its own.
 *
 * @packageDocumentation
 */
import { withoutStack } from '../core/errors';
import { distributions, type LatencyDistribution } from './distributions';
import type { FaultKind } from './events';
import { faultInjection, hang, latencyInjection, outcomeInjection, type FaultInjectionPolicy, type HangPolicy, type LatencyInjectionPolicy, type OutcomeInjectionPolicy } from './call-faults';
import { exhaustion, flapping, type ExhaustionPolicy, type FlappingPolicy, type OccupiableBulkhead } from './state-faults';
import type { FaultOptions } from './options';

/** Options every scenario takes: the common fault options. The default `name` is the scenario id. */
export type ScenarioOptions = FaultOptions;

/** A Node-style system error (`code`, `errno`, `syscall`, `address`, `port`), as sockets raise them. */
export interface SimulatedSystemError extends Error {
  /** The error code, e.g. `'ECONNREFUSED'`. */
  readonly code: string;
  /**
   * Node's (negative, Linux) errno of `code`: `-111` for `ECONNREFUSED`, `-104` for
   * `ECONNRESET`, `-110` for `ETIMEDOUT`, `-113` for `EHOSTUNREACH`, `-1` for any other code.
   */
  readonly errno: number;
  /** The system call that failed, e.g. `'connect'` or `'read'`. */
  readonly syscall: string;
  /** The remote address, when one was given. */
  readonly address?: string;
  /** The remote port, when one was given. */
  readonly port?: number;
}

const ERRNO: Readonly<Record<string, number>> = { ECONNREFUSED: -111, ECONNRESET: -104, ETIMEDOUT: -110, EHOSTUNREACH: -113 };

/**
 * Makes an error shaped like the ones Node's `net` module raises (`connect ECONNREFUSED
 * 10.0.0.5:5432`), so code that checks `error.code` behaves as in a real outage.
 *
 * @example
 * ```ts
 * faultInjection({ error: () => simulatedSystemError('ECONNREFUSED', 'connect', { address: '10.0.0.5', port: 5432 }) });
 * ```
 */
export function simulatedSystemError(
  code: string,
  syscall: string,
  where: { readonly address?: string | undefined; readonly port?: number | undefined } = {},
): SimulatedSystemError {
  const target = where.address !== undefined ? ` ${where.address}${where.port !== undefined ? `:${where.port}` : ''}` : '';
  const error = withoutStack(() => new Error(`${syscall} ${code}${target}`)) as Error & Record<string, unknown>;
  error['code'] = code;
  error['errno'] = ERRNO[code] ?? -1;
  error['syscall'] = syscall;
  if (where.address !== undefined) error['address'] = where.address;
  if (where.port !== undefined) error['port'] = where.port;
  return error as unknown as SimulatedSystemError;
}

/**
 * An HTTP error answer (a 503 from a gateway, a 502 from an edge), as an HTTP client
 * that throws on error statuses would raise it.
 */
export class SimulatedHttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** `HTTP_<status>`. */
  readonly code: string;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SimulatedHttpError';
    this.status = status;
    this.code = `HTTP_${status}`;
  }
}

const httpError = (status: number, message: string) => (): SimulatedHttpError =>
  withoutStack(() => new SimulatedHttpError(status, message));

/** A fake HTTP response returned by the outcome scenarios. */
export interface SimulatedResponse {
  /** Whether the status is a success (2xx), as in the Fetch API's `Response.ok`. */
  readonly ok: boolean;
  /** The HTTP status code, e.g. `503`. */
  readonly status: number;
  /** The HTTP reason phrase, e.g. `'Service Unavailable'`. */
  readonly statusText: string;
  /** The response body, if any. */
  readonly body?: unknown;
}

function named<T extends FaultOptions>(id: string, options: T | undefined): T {
  return { ...(options ?? ({} as T)), name: options?.name ?? id };
}

function split<T extends object, K extends string>(options: T | undefined, keys: readonly K[]): [Partial<Pick<T, Extract<K, keyof T>>>, Omit<T, K>] {
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) (keys.includes(k as K) ? own : rest)[k] = v;
  return [own as Partial<Pick<T, Extract<K, keyof T>>>, rest as Omit<T, K>];
}

/** Options of the connection-refused scenarios. */
export interface ConnectionRefusedOptions extends ScenarioOptions {
  /** Address shown in the error. */
  readonly host?: string | undefined;
  /** Port shown in the error. */
  readonly port?: number | undefined;
}

function refused(id: string, defaults: { host: string; port: number }, options: ConnectionRefusedOptions | undefined): FaultInjectionPolicy {
  const [own, rest] = split(options, ['host', 'port'] as const);
  const address = own.host ?? defaults.host;
  const port = own.port ?? defaults.port;
  return faultInjection({ ...named(id, rest), error: () => simulatedSystemError('ECONNREFUSED', 'connect', { address, port }) });
}

/** Options of the slow-dependency scenarios: the lognormal shape of the delay. */
export interface SlowOptions extends ScenarioOptions {
  /** Median delay (ms). */
  readonly median?: number | undefined;
  /** 99th-percentile delay (ms). */
  readonly p99?: number | undefined;
  /** Longest delay (ms). @defaultValue 30 000 */
  readonly max?: number | undefined;
}

function slow(id: string, defaults: { median: number; p99: number }, options: SlowOptions | undefined): LatencyInjectionPolicy {
  const [own, rest] = split(options, ['median', 'p99', 'max'] as const);
  const latency: LatencyDistribution = distributions.lognormal({ median: own.median ?? defaults.median, p99: own.p99 ?? defaults.p99, max: own.max ?? 30_000 });
  return latencyInjection({ ...named(id, rest), latency });
}

/** Options of the fake-response scenarios. */
export interface ResponseOptions<R> extends ScenarioOptions {
  /** The fake response. */
  readonly response?: R | undefined;
}

// ─── Generic infrastructure ───────────────────────────────────────────────────────────

/** Dependency unreachable: every call fails at once with `ECONNREFUSED` (nothing listens). Exercises retry, circuit breaker, fallback. */
export function dependencyUnreachable(options?: ConnectionRefusedOptions): FaultInjectionPolicy {
  return refused('dependency-unreachable', { host: '10.0.0.10', port: 443 }, options);
}

/** Network partition: calls hang until a timeout or the caller aborts them. Exercises timeout (then breaker, fallback). */
export function networkPartition(options?: ScenarioOptions): HangPolicy {
  return hang(named('network-partition', options));
}

/** Options of {@link resourceExhaustion}. */
export interface ResourceExhaustionOptions extends ScenarioOptions {
  /** The bulkhead (pool) to drain. Required. */
  readonly bulkhead: OccupiableBulkhead;
  /** Permits to hold. Required. */
  readonly permits: number;
  /** How long (ms). @defaultValue 10 000 */
  readonly holdFor?: number | LatencyDistribution | undefined;
}

/** Resource exhaustion: a pool's permits are held (leaked connections, a stuck consumer). Exercises bulkhead limits, queue timeout, fallback. */
export function resourceExhaustion(options: ResourceExhaustionOptions): ExhaustionPolicy {
  const [own, rest] = split(options, ['bulkhead', 'permits', 'holdFor'] as const);
  return exhaustion({
    ...named('resource-exhaustion', rest),
    bulkhead: own.bulkhead as OccupiableBulkhead,
    permits: own.permits as number,
    holdFor: own.holdFor ?? 10_000,
  });
}

// ─── Game services ────────────────────────────────────────────────────────────────────

/** Game server failure: a game-server process dies mid-session, connections reset (`ECONNRESET`). Exercises retry on another server, breaker. */
export function gameServerFailure(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('game-server-failure', options), error: () => simulatedSystemError('ECONNRESET', 'read') });
}

/** Matchmaking failure: the matchmaking service answers 503. Exercises breaker and a degraded fallback (solo queue, retry later). */
export function matchmakingFailure(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('matchmaking-failure', options), error: httpError(503, 'Matchmaking service unavailable') });
}

/** Data-store failure: reads and writes time out at the driver (`ETIMEDOUT`). Exercises retry with backoff, breaker, last-known-good fallback. */
export function dataStoreFailure(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('data-store-failure', options), error: () => simulatedSystemError('ETIMEDOUT', 'read') });
}

// ─── Database ─────────────────────────────────────────────────────────────────────────

/** Database connection refused (`ECONNREFUSED`, port 5432 by default). Exercises retry, breaker. */
export function databaseConnectionRefused(options?: ConnectionRefusedOptions): FaultInjectionPolicy {
  return refused('database-connection-refused', { host: '10.0.0.20', port: 5432 }, options);
}

/** Slow queries: lognormal delays (median 200 ms, p99 3 s by default). Exercises timeout, slow-call rate of the breaker. */
export function databaseSlowQueries(options?: SlowOptions): LatencyInjectionPolicy {
  return slow('database-slow-queries', { median: 200, p99: 3_000 }, options);
}

// ─── Redis ────────────────────────────────────────────────────────────────────────────

/** Redis connection refused (`ECONNREFUSED`, port 6379). Exercises fallback to the source of truth, breaker. */
export function redisConnectionRefused(options?: ConnectionRefusedOptions): FaultInjectionPolicy {
  return refused('redis-connection-refused', { host: '10.0.0.30', port: 6379 }, options);
}

/** Redis out of memory: writes fail with Redis's `OOM command not allowed` reply error. Exercises handling of non-retryable errors. */
export function redisOutOfMemory(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({
    ...named('redis-out-of-memory', options),
    error: () => {
      const e = withoutStack(() => new Error("OOM command not allowed when used memory > 'maxmemory'.")) as Error & Record<string, unknown>;
      e.name = 'ReplyError';
      e['code'] = 'OOM';
      return e;
    },
  });
}

/** Options of {@link redisKeyExpiry}. */
export interface KeyExpiryOptions extends ScenarioOptions {
  /** What a miss returns. @defaultValue `null` (as `GET` does) */
  readonly missValue?: unknown;
}

/** Redis key expiry: reads return a cache miss (`null`) as if keys had expired. Exercises the cache-miss path and thundering-herd protection. */
export function redisKeyExpiry(options?: KeyExpiryOptions): OutcomeInjectionPolicy {
  const [own, rest] = split(options, ['missValue'] as const);
  return outcomeInjection({ ...named('redis-key-expiry', rest), result: 'missValue' in own ? own.missValue : null });
}

// ─── Payment gateway ──────────────────────────────────────────────────────────────────

/** Payment gateway down: every charge fails with 503. Exercises breaker, fallback to a backup gateway or a queue. */
export function paymentGatewayDown(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('payment-gateway-down', options), error: httpError(503, 'Payment gateway unavailable') });
}

/** Payment gateway slow: lognormal delays (median 1.5 s, p99 8 s). Exercises timeout and the breaker's slow-call rate. */
export function paymentGatewaySlow(options?: SlowOptions): LatencyInjectionPolicy {
  return slow('payment-gateway-slow', { median: 1_500, p99: 8_000 }, options);
}

/** Options of {@link paymentGatewayErrorSpike}. */
export interface ErrorSpikeOptions extends ScenarioOptions {
  /** How long each spike lasts (ms). @defaultValue 15 000 */
  readonly spikeDuration?: number | undefined;
  /** Quiet time between spikes (ms). @defaultValue 45 000 */
  readonly quietDuration?: number | undefined;
}

/**
 * Payment gateway error spike: bursts of 502s (half the calls by default, `rate`) for
 * `spikeDuration`, then quiet. Exercises the breaker's failure-rate window and half-open
 * recovery.
 */
export function paymentGatewayErrorSpike(options?: ErrorSpikeOptions): FlappingPolicy {
  const [own, rest] = split(options, ['spikeDuration', 'quietDuration'] as const);
  return flapping({
    rate: 0.5,
    ...named('payment-gateway-error-spike', rest),
    onDuration: own.spikeDuration ?? 15_000,
    offDuration: own.quietDuration ?? 45_000,
    error: httpError(502, 'Payment gateway: bad gateway'),
  });
}

/** A 429 Too Many Requests answer, with the partner's `Retry-After`. */
export class SimulatedRateLimitError extends SimulatedHttpError {
  /** The partner's `Retry-After`, in ms (the header says it in whole seconds). */
  readonly retryAfter: number;
  /** The response headers, lower-case: `retry-after` in whole seconds, as HTTP sends it. */
  readonly headers: Readonly<Record<string, string>>;
  constructor(retryAfter: number, message = 'Partner quota exceeded: too many requests') {
    super(429, message);
    this.name = 'SimulatedRateLimitError';
    this.retryAfter = retryAfter;
    this.headers = { 'retry-after': String(Math.ceil(retryAfter / 1000)) };
  }
}

/** Options of {@link partnerRateLimited}. */
export interface PartnerRateLimitedOptions extends ScenarioOptions {
  /** The `Retry-After` the partner answers (ms; the header rounds it up to whole seconds). @defaultValue 2 000 */
  readonly retryAfter?: number | undefined;
}

/**
 * Partner answers 429 with `Retry-After`: a payment gateway's or a social platform's quota
 * is spent. The error is a {@link SimulatedRateLimitError} (`status` 429, `retryAfter` in
 * ms, `headers['retry-after']` in seconds). Exercises retry honouring the partner's pushback
 * (`retry({ retryAfter: (e) => e.retryAfter })`), our own rate limiter in front of the
 * partner, and fallback.
 */
export function partnerRateLimited(options?: PartnerRateLimitedOptions): FaultInjectionPolicy {
  const [own, rest] = split(options, ['retryAfter'] as const);
  const after = own.retryAfter ?? 2_000;
  if (!(typeof after === 'number' && Number.isFinite(after) && after >= 0)) {
    throw new RangeError(`partnerRateLimited() expects \`retryAfter\` to be a duration in ms ≥ 0, got ${String(after)}`);
  }
  return faultInjection({ ...named('partner-rate-limited', rest), error: () => withoutStack(() => new SimulatedRateLimitError(after)) });
}

// ─── Social login ─────────────────────────────────────────────────────────────────────

/** Social login down: the identity provider answers 503. Exercises breaker and a fallback (guest session, cached identity). */
export function socialLoginDown(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('social-login-down', options), error: httpError(503, 'Identity provider unavailable') });
}

/** Social login token expired: the provider answers 401 `invalid_token`. Exercises token refresh and `handleResult`. */
export function socialLoginTokenExpired(options?: ResponseOptions<SimulatedResponse>): OutcomeInjectionPolicy<SimulatedResponse> {
  const [own, rest] = split(options, ['response'] as const);
  const result: SimulatedResponse = own.response ?? {
    ok: false,
    status: 401,
    statusText: 'Unauthorized',
    body: { error: 'invalid_token', error_description: 'The access token expired' },
  };
  return outcomeInjection<SimulatedResponse>({ ...named('social-login-token-expired', rest), result });
}

/** Social login sync failure: friends/profile sync fails with 502. Exercises retry and a stale-but-usable fallback. */
export function socialLoginSyncFailure(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('social-login-sync-failure', options), error: httpError(502, 'Social sync failed: bad gateway') });
}

// ─── CDN ──────────────────────────────────────────────────────────────────────────────

/** CDN edge failure: the edge node drops the connection (`ECONNRESET`). Exercises retry (another edge) and fallback to origin. */
export function cdnEdgeFailure(options?: ScenarioOptions): FaultInjectionPolicy {
  return faultInjection({ ...named('cdn-edge-failure', options), error: () => simulatedSystemError('ECONNRESET', 'read') });
}

/** CDN slow delivery: lognormal delays (median 800 ms, p99 6 s). Exercises timeout and hedging/fallback to origin. */
export function cdnSlowDelivery(options?: SlowOptions): LatencyInjectionPolicy {
  return slow('cdn-slow-delivery', { median: 800, p99: 6_000 }, options);
}

/** CDN load failure: asset requests get a 503 response (not a thrown error). Exercises `handleResult` and the fallback asset. */
export function cdnLoadFailure(options?: ResponseOptions<SimulatedResponse>): OutcomeInjectionPolicy<SimulatedResponse> {
  const [own, rest] = split(options, ['response'] as const);
  const result: SimulatedResponse = own.response ?? { ok: false, status: 503, statusText: 'Service Unavailable' };
  return outcomeInjection<SimulatedResponse>({ ...named('cdn-load-failure', rest), result });
}

/** One entry of {@link scenarioCatalog}. */
export interface ScenarioInfo {
  /** Stable id, also the default fault name. */
  readonly id: string;
  /** The factory's exported name. */
  readonly factory: string;
  /** What the scenario simulates. */
  readonly simulates: string;
  /** The fault kind it injects. */
  readonly faultKind: FaultKind;
  /** The policies it is meant to exercise. */
  readonly exercises: string;
}

/** Every scenario of the catalog, as data (for docs, experiment suites and dashboards). */
export const scenarioCatalog: readonly ScenarioInfo[] = Object.freeze([
  { id: 'dependency-unreachable', factory: 'dependencyUnreachable', faultKind: 'error', simulates: 'connection refused (ECONNREFUSED)', exercises: 'retry, circuit breaker, fallback' },
  { id: 'network-partition', factory: 'networkPartition', faultKind: 'hang', simulates: 'calls hang until a timeout', exercises: 'timeout, then breaker and fallback' },
  { id: 'resource-exhaustion', factory: 'resourceExhaustion', faultKind: 'exhaustion', simulates: 'pool permits held (leaked connections)', exercises: 'bulkhead limits, queue timeout, fallback' },
  { id: 'game-server-failure', factory: 'gameServerFailure', faultKind: 'error', simulates: 'game server crash, connection reset (ECONNRESET)', exercises: 'retry, circuit breaker' },
  { id: 'matchmaking-failure', factory: 'matchmakingFailure', faultKind: 'error', simulates: 'matchmaking answers 503', exercises: 'circuit breaker, degraded fallback' },
  { id: 'data-store-failure', factory: 'dataStoreFailure', faultKind: 'error', simulates: 'data store reads/writes time out (ETIMEDOUT)', exercises: 'retry with backoff, breaker, last-known-good' },
  { id: 'database-connection-refused', factory: 'databaseConnectionRefused', faultKind: 'error', simulates: 'database refuses connections (ECONNREFUSED :5432)', exercises: 'retry, circuit breaker' },
  { id: 'database-slow-queries', factory: 'databaseSlowQueries', faultKind: 'latency', simulates: 'slow queries, lognormal (median 200 ms, p99 3 s)', exercises: 'timeout, slow-call rate' },
  { id: 'redis-connection-refused', factory: 'redisConnectionRefused', faultKind: 'error', simulates: 'Redis refuses connections (ECONNREFUSED :6379)', exercises: 'fallback to the source of truth, breaker' },
  { id: 'redis-out-of-memory', factory: 'redisOutOfMemory', faultKind: 'error', simulates: 'Redis OOM reply error', exercises: 'handle (non-retryable errors), fallback' },
  { id: 'redis-key-expiry', factory: 'redisKeyExpiry', faultKind: 'outcome', simulates: 'cache miss (null) as if keys expired', exercises: 'cache-miss path, load on the source' },
  { id: 'payment-gateway-down', factory: 'paymentGatewayDown', faultKind: 'error', simulates: 'payment gateway answers 503', exercises: 'circuit breaker, fallback gateway or queue' },
  { id: 'payment-gateway-slow', factory: 'paymentGatewaySlow', faultKind: 'latency', simulates: 'slow charges, lognormal (median 1.5 s, p99 8 s)', exercises: 'timeout, slow-call rate' },
  { id: 'payment-gateway-error-spike', factory: 'paymentGatewayErrorSpike', faultKind: 'flapping', simulates: 'bursts of 502s (15 s on, 45 s off, 50 %)', exercises: 'failure-rate window, half-open recovery' },
  { id: 'partner-rate-limited', factory: 'partnerRateLimited', faultKind: 'error', simulates: 'partner answers 429 with Retry-After (quota spent)', exercises: 'retry honouring retryAfter, rate limiter, fallback' },
  { id: 'social-login-down', factory: 'socialLoginDown', faultKind: 'error', simulates: 'identity provider answers 503', exercises: 'circuit breaker, guest/cached fallback' },
  { id: 'social-login-token-expired', factory: 'socialLoginTokenExpired', faultKind: 'outcome', simulates: '401 invalid_token response', exercises: 'token refresh, handleResult' },
  { id: 'social-login-sync-failure', factory: 'socialLoginSyncFailure', faultKind: 'error', simulates: 'friends/profile sync fails with 502', exercises: 'retry, stale fallback' },
  { id: 'cdn-edge-failure', factory: 'cdnEdgeFailure', faultKind: 'error', simulates: 'edge node resets connections (ECONNRESET)', exercises: 'retry, fallback to origin' },
  { id: 'cdn-slow-delivery', factory: 'cdnSlowDelivery', faultKind: 'latency', simulates: 'slow asset delivery, lognormal (median 800 ms, p99 6 s)', exercises: 'timeout, fallback to origin' },
  { id: 'cdn-load-failure', factory: 'cdnLoadFailure', faultKind: 'outcome', simulates: 'asset requests get a 503 response', exercises: 'handleResult, fallback asset' },
] satisfies ScenarioInfo[]);
