/**
 * The resilience of the game backend: one pipeline per dependency, the policies a senior
 * engineer would choose for it (and why, in the comments), and the chaos faults the drill
 * switches on, placed innermost so that every real policy meets them as it would meet the
 * real failure.
 *
 * `mode: 'pass-through'` builds the same pipelines with the policies left out (only the
 * faults remain), so the drill's `--compare` can show what the policies buy.
 *
 * Order in every pipeline (see docs/composition.md): fallback › retry › circuit breaker ›
 * timeout › hedging › bulkhead / adaptive limit › rate limiter › chaos. The shop's per-player purchase limit runs
 * before the payment pipeline (a purchase over it is never charged, nor queued).
 */
import {
  bulkhead,
  circuitBreaker,
  fallback,
  hedging,
  isExecutionRejectedError,
  isTimeoutError,
  lastKnownGood,
  pipeline,
  rateLimiter,
  retry,
  retryBudget,
  systemClock,
  timeout,
  type CircuitBreakerPolicy,
  type Clock,
  type LastKnownGood,
  type PartitionedRateLimiterPolicy,
  type Policy,
  type RateLimiterPolicy,
  type Random,
  type RecoveryTimeout,
} from '../../src/index';
import { adaptiveConcurrency, isConcurrencyLimitedError, type AdaptiveConcurrencyPolicy } from '../../src/adaptive-concurrency/index';
import {
  cdnLoadFailure,
  chaos,
  databaseSlowQueries,
  flapping,
  matchmakingFailure,
  paymentGatewayDown,
  paymentGatewaySlow,
  redisConnectionRefused,
  resourceExhaustion,
  socialLoginTokenExpired,
  type ChaosController,
  type FaultPolicy,
} from '../../src/chaos/index';
import type { AssetManifest, Dependencies, DependencyResponse, IdentityBody, MatchTicket, ScoreRow } from './dependencies';
import type { ChargeResult } from './services';

/** With the policies, or with the faults alone. */
export type ResilienceMode = 'resilient' | 'pass-through';

/** Options of {@link createResilience}. */
export interface ResilienceOptions {
  readonly mode?: ResilienceMode | undefined;
  /** The clock of every policy. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Source of chance for jitter and fault decisions (seed it to replay a drill). */
  readonly random?: Random | undefined;
  /** The chaos controller the faults obey. @defaultValue the global `chaos` */
  readonly controller?: ChaosController | undefined;
  /**
   * How long an open breaker waits before probing (ms, first opening; it doubles on
   * each failed probe up to 8×). Production would use 30 s; the drill shortens it so a
   * whole recovery fits in a few seconds. @defaultValue 5 000
   */
  readonly recoveryTimeout?: number | undefined;
  /**
   * Length of the breakers' failure-rate windows (ms). 10 s suits production traffic; the
   * drill shortens it with its phases. @defaultValue 10 000
   */
  readonly breakerWindow?: number | undefined;
  /** Flapping schedule of the Redis scenario (ms on, ms off). @defaultValue 600 / 900 */
  readonly redisFlap?: { readonly on: number; readonly off: number } | undefined;
  /** How long the pool-exhaustion fault holds the database connections (ms). @defaultValue 10 000 */
  readonly poolHold?: number | undefined;
}

/** The chaos faults of the backend, by scenario. All start switched off. */
export interface GameFaults {
  readonly paymentGatewaySlow: FaultPolicy;
  readonly paymentGatewayDown: FaultPolicy;
  readonly redisFlapping: FaultPolicy;
  readonly cdnOutage: FaultPolicy;
  readonly databasePoolExhausted: FaultPolicy;
  /** 5 % of database reads take about 1 s (a slow replica, lock waits): a long latency tail. */
  readonly databaseLongTail: FaultPolicy;
  readonly socialLoginTokenExpired: FaultPolicy;
  readonly matchmakingFailure: FaultPolicy;
}

/** The pipelines of the backend, by dependency. */
export interface GamePipelines {
  /** payment.charge, through the gateway (used by the decorated `PaymentClient`). */
  readonly payments: Policy;
  /** identity.verify, through the social-login provider. */
  readonly login: Policy;
  /** match.find (used by the decorated `MatchmakingClient`). */
  readonly matchmaking: Policy;
  /** The whole leaderboard read: a deadline and the last known good board. */
  readonly leaderboard: Policy;
  /** Redis reads and writes. */
  readonly cache: Policy;
  /** Database queries. */
  readonly database: Policy;
  /** The live leaderboard's database read (no cache, no stale board), hedged. */
  readonly liveLeaderboard: Policy;
  /** The same read without the hedge: only for the drill's comparison under a latency tail. */
  readonly liveLeaderboardUnhedged: Policy;
  /** assets.manifest from the CDN edge, origin as fallback. */
  readonly assets: Policy;
  /** The origin's own protection (it is small: never let an edge outage flood it). */
  readonly origin: Policy;
  /** The shop's per-player purchase limit (labels `player`), run before a purchase is charged. */
  readonly purchaseLimit: Policy;
}

/** The rate limiters of the backend (absent in pass-through mode). */
export interface GameRateLimiters {
  /** Purchases per player: a macro spamming the shop gets 429s, nobody else notices. */
  readonly purchasesPerPlayer: PartitionedRateLimiterPolicy;
  /** The payment partner's quota, kept below what the gateway allows the merchant key. */
  readonly paymentPartner: RateLimiterPolicy;
}

/** Everything {@link createResilience} builds. */
export interface Resilience {
  readonly mode: ResilienceMode;
  readonly pipelines: GamePipelines;
  readonly faults: GameFaults;
  /** Every circuit breaker (empty in pass-through mode). */
  readonly breakers: readonly CircuitBreakerPolicy[];
  /** Pending purchases: charges accepted while the gateway could not take them. */
  readonly pendingCharges: Map<string, PendingCharge>;
  /** The rate limiters (`undefined` in pass-through mode). */
  readonly rateLimiters: GameRateLimiters | undefined;
  /** The adaptive concurrency limit in front of the database (`undefined` in pass-through mode). */
  readonly databaseLimit: AdaptiveConcurrencyPolicy | undefined;
}

/** A purchase accepted while the gateway was unavailable, to be charged later with the same idempotency key. */
export interface PendingCharge {
  readonly idempotencyKey: string;
  readonly playerId: string;
  readonly sku: string;
  readonly amountCents: number;
}

/** Errors worth retrying against a remote dependency: 5xx (not 501), resets, timeouts. */
export function isTransient(error: unknown): boolean {
  if (isTimeoutError(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { status?: unknown; code?: unknown };
  if (typeof e.status === 'number') return e.status >= 500 && e.status !== 501;
  return e.code === 'ECONNRESET' || e.code === 'ECONNREFUSED' || e.code === 'ETIMEDOUT' || e.code === 'EPIPE';
}

const responseFailed = (r: DependencyResponse): boolean => r.status >= 500;

/** A partner's 429: its quota is spent for now (not a fault of the partner, not worth a retry storm). */
export function isPartnerThrottled(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 429;
}

/**
 * Builds the pipelines and the faults. Faults are created switched off: the drill's
 * experiments switch them on and off; outside a drill they cost one field read per call.
 */
export function createResilience(deps: Dependencies, options: ResilienceOptions = {}): Resilience {
  const mode = options.mode ?? 'resilient';
  const clock = options.clock ?? systemClock;
  const random = options.random;
  const common = { clock };
  // Retry (jitter) and the faults (decisions) draw from `random`: seed it to replay a drill.
  const chancy = { clock, ...(random !== undefined ? { random } : {}) };
  const chaosCommon = { ...chancy, controller: options.controller ?? chaos };
  const base = options.recoveryTimeout ?? 5_000;
  // Exponential break: a dependency that fails its probe gets more time each round,
  // up to 8× the base (a flapping service is not hammered by probes).
  const recoveryTimeout: RecoveryTimeout = (opens) => Math.min(base * 2 ** (opens - 1), base * 8);
  const window = { kind: 'time', duration: options.breakerWindow ?? 10_000, buckets: 10 } as const;
  // What a fallback takes over: transient failures, and the policies' own refusals (an
  // open breaker, a full bulkhead): they mean "not now", which is the fallback's job.
  const fallbackWorthy = (e: unknown): boolean => isTransient(e) || isExecutionRejectedError(e) || isPartnerThrottled(e);

  // ─── faults (innermost, switched off until an experiment turns them on) ──────────────
  const flap = options.redisFlap ?? { on: 600, off: 900 };
  const faults: GameFaults = {
    paymentGatewaySlow: paymentGatewaySlow({ ...chaosCommon }),
    paymentGatewayDown: paymentGatewayDown({ ...chaosCommon }),
    // Redis coming and going: refused connections for `on` ms, then fine for `off` ms.
    redisFlapping: flapping({ ...chaosCommon, name: 'redis-flapping', onDuration: flap.on, offDuration: flap.off, fault: redisConnectionRefused({ ...chaosCommon }) }),
    cdnOutage: cdnLoadFailure({ ...chaosCommon, name: 'cdn-outage' }),
    // Every free connection of the pool held (leaked connections, a stuck batch job).
    databasePoolExhausted: resourceExhaustion({ ...chaosCommon, name: 'database-pool-exhausted', bulkhead: deps.database.pool, permits: Number.POSITIVE_INFINITY, holdFor: options.poolHold ?? 10_000 }),
    // One read in twenty waits about a second (lognormal, median 1 s, p99 1.2 s) before it runs.
    databaseLongTail: databaseSlowQueries({ ...chaosCommon, name: 'database-long-tail', rate: 0.05, median: 1_000, p99: 1_200, max: 1_400 }),
    // Three in ten token introspections answer 401 invalid_token (a provider rotating keys).
    socialLoginTokenExpired: socialLoginTokenExpired({ ...chaosCommon, rate: 0.3 }),
    matchmakingFailure: matchmakingFailure({ ...chaosCommon }),
  };
  for (const f of Object.values(faults) as FaultPolicy[]) f.disable();

  const pendingCharges = new Map<string, PendingCharge>();
  // Every database read meets the database's faults, innermost.
  const dbFaults = [faults.databasePoolExhausted, faults.databaseLongTail] as const;

  if (mode === 'pass-through') {
    return {
      mode,
      faults,
      breakers: [],
      pendingCharges,
      rateLimiters: undefined,
      databaseLimit: undefined,
      pipelines: {
        payments: pipeline({ name: 'payments' }, faults.paymentGatewaySlow, faults.paymentGatewayDown),
        login: pipeline({ name: 'login' }, faults.socialLoginTokenExpired),
        matchmaking: pipeline({ name: 'matchmaking' }, faults.matchmakingFailure),
        leaderboard: pipeline({ name: 'leaderboard' }),
        cache: pipeline({ name: 'cache' }, faults.redisFlapping),
        database: pipeline({ name: 'database' }, ...dbFaults),
        liveLeaderboard: pipeline({ name: 'live-leaderboard' }, ...dbFaults),
        liveLeaderboardUnhedged: pipeline({ name: 'live-leaderboard-unhedged' }, ...dbFaults),
        assets: pipeline({ name: 'assets' }, faults.cdnOutage),
        origin: pipeline({ name: 'origin' }),
        purchaseLimit: pipeline({ name: 'purchase-limit' }),
      },
    };
  }

  // ─── rate limits ──────────────────────────────────────────────────────────────────────
  // Per player: a human buys a few items a minute; 2 purchases/s with bursts of 4 never
  // touches a real player (nor the drill's load, 1.7/s per player) and stops a macro
  // spamming the shop at once, with a 429 whose Retry-After is honest. One state per
  // player, dropped as soon as the player is idle again: a million one-off players cost nothing.
  const purchasesPerPlayer = rateLimiter.partitioned({
    ...common,
    name: 'purchases-per-player',
    key: (ctx) => ctx.labels['player'] ?? 'anonymous',
    rate: 2,
    per: 1_000,
    burst: 4,
    maxPartitions: 1_000_000,
  });
  const purchaseLimit = pipeline({ name: 'purchase-limit' }, purchasesPerPlayer);
  // The payment partner allows the merchant key 100 charges per second (past that it
  // answers 429). Our own limit stays below it, bursts included (at most 60 + 20 in any
  // second), so that the partner never throttles us: a call over it waits up to 250 ms
  // for a slot, else the fallback queues the purchase as pending.
  const paymentPartner = rateLimiter({ ...common, name: 'payment-partner', rate: 60, per: 1_000, burst: 20, maxWait: 250, maxQueue: 64 });

  // ─── payments ─────────────────────────────────────────────────────────────────────────
  // Retrying a charge is only safe because every charge carries the purchase's
  // idempotency key: the gateway answers a repeated key with the first receipt. Without
  // the key, a retry after a lost response double-charges the player.
  const paymentBreaker = circuitBreaker({
    ...common,
    name: 'payment-gateway',
    // A rate over a time window, not N consecutive failures: at 20+ charges/s one
    // unlucky streak must not open it, a real outage must open it within a second or two.
    window,
    minimumThroughput: 8,
    failureRateThreshold: 0.5,
    // A gateway that answers in 800 ms+ is as bad as one that fails: checkout feels broken.
    slowCallDuration: 800,
    slowCallRateThreshold: 0.5,
    recoveryTimeout,
    // Declines (402) and idempotency conflicts (409) are answers, not gateway trouble.
    handle: isTransient,
  });
  const payments = pipeline(
    { name: 'payments' },
    // Last resort: accept the order as pending and charge it later with the same key.
    // The player keeps playing; support sees a queue, not an outage.
    fallback<ChargeResult>({
      handle: fallbackWorthy,
      tiers: [
        (ctx) => {
          const request = ctx.properties['request'] as PendingCharge;
          pendingCharges.set(request.idempotencyKey, request);
          return { status: 'pending', idempotencyKey: request.idempotencyKey };
        },
      ],
    }),
    // Three attempts with full jitter; a shared budget caps retries at 20 % extra load,
    // so an outage cannot turn into a retry storm against a gateway that is already down.
    retry({ ...chancy, maxAttempts: 3, delay: 100, maxDelay: 1_000, jitter: 'full', handle: isTransient, budget: retryBudget({ clock, ratio: 0.2 }) }),
    paymentBreaker,
    // Healthy p99 is ~450 ms; one attempt gets 1 s. The request's own deadline (2.5 s,
    // passed by the server) bounds all attempts together.
    timeout({ ...common, duration: 1_000 }),
    // The gateway allows 32 concurrent requests per merchant key; 64 may wait 250 ms.
    bulkhead({ ...common, name: 'payments-bulkhead', maxConcurrent: 32, maxQueue: 64, queueTimeout: 250 }),
    // The partner's quota, innermost (every attempt counts, retries included, and nothing
    // sits between the admission and the gateway): the gateway sees our rate, not a bunch.
    paymentPartner,
    faults.paymentGatewaySlow,
    faults.paymentGatewayDown,
  );

  // ─── login ────────────────────────────────────────────────────────────────────────────
  // The provider answers responses, not exceptions, so the policies classify results:
  // 401 invalid_token means "refresh the token and try again", 5xx "provider in trouble".
  const verifications: LastKnownGood = lastKnownGood({
    // Stale-if-error for token introspection: if the provider is down, a token that it
    // confirmed in the last 10 minutes is still accepted. Keyed by a hash of the token
    // itself, never by player id: a forged token must never inherit someone's session.
    maxAge: 10 * 60_000,
    key: (ctx) => String(ctx.properties['tokenKey']),
    maxEntries: 100_000,
  });
  const identityBreaker = circuitBreaker<DependencyResponse<IdentityBody>>({
    ...common,
    name: 'identity-provider',
    failureThreshold: 5,
    recoveryTimeout,
    // An expired token is the player's problem, not the provider's: only 5xx count.
    handleResult: responseFailed,
    handle: isTransient,
  });
  const expiredToken = (r: DependencyResponse<IdentityBody>): boolean => r.status === 401 && r.body?.error === 'invalid_token';
  const login = pipeline(
    { name: 'login' },
    // Only "the provider could not answer" falls back; a 401 is an answer and goes to the player.
    fallback<DependencyResponse<IdentityBody>>({ tiers: [verifications], handleResult: responseFailed, handle: fallbackWorthy }),
    // Each retry after invalid_token refreshes the token first (see LoginService). Three
    // attempts, 30 ms apart: a login is interactive, a long backoff helps nobody.
    retry<DependencyResponse<IdentityBody>>({
      ...chancy,
      maxAttempts: 3,
      delay: 30,
      handleResult: (r) => expiredToken(r) || responseFailed(r),
      handle: isTransient,
    }),
    identityBreaker,
    timeout({ ...common, duration: 800 }),
    bulkhead({ ...common, name: 'login-bulkhead', maxConcurrent: 64, maxQueue: 128, queueTimeout: 200 }),
    faults.socialLoginTokenExpired,
  );

  // ─── matchmaking ──────────────────────────────────────────────────────────────────────
  const matchBreaker = circuitBreaker({
    ...common,
    name: 'matchmaking',
    window: { kind: 'count', size: 50 },
    minimumThroughput: 20,
    failureRateThreshold: 0.5,
    recoveryTimeout,
    handle: isTransient,
  });
  const matchmaking = pipeline(
    { name: 'matchmaking' },
    // Degraded answer: queue the player solo and let the client poll again.
    fallback<MatchTicket>({
      handle: fallbackWorthy,
      tiers: [(ctx) => ({ matchId: 'solo-queue', region: ctx.labels['region'] ?? 'unknown', mode: 'solo', estimatedWait: 15_000, degraded: true })],
    }),
    retry({ ...chancy, maxAttempts: 2, delay: 50, handle: isTransient }),
    matchBreaker,
    timeout({ ...common, duration: 400 }),
    // One bulkhead per region: a surge in one region's lobby cannot starve the others.
    bulkhead.partitioned({ ...common, name: 'matchmaking-regions', key: (ctx) => ctx.labels['region'] ?? 'unknown', maxConcurrent: 16, maxQueue: 32, queueTimeout: 200, maxPartitions: 16 }),
    faults.matchmakingFailure,
  );

  // ─── leaderboard: Redis, then the database, then the last known good board ────────────
  const redisBreaker = circuitBreaker({ ...common, name: 'redis', failureThreshold: 3, recoveryTimeout });
  const cache = pipeline(
    { name: 'cache' },
    // A cache that fails is a cache that misses: read from the database instead.
    fallback<string | null>({ tiers: [null] }),
    // No retry: Redis answers in a millisecond or not at all, and the database is right there.
    // The breaker stops paying even the 25 ms timeout on every request while Redis is down.
    redisBreaker,
    timeout({ ...common, duration: 25 }),
    faults.redisFlapping,
  );
  const dbBreaker = circuitBreaker({
    ...common,
    name: 'database',
    window,
    minimumThroughput: 10,
    failureRateThreshold: 0.5,
    recoveryTimeout,
    // The adaptive limit below shedding load is not the database failing: not counted.
    handle: (e) => !isConcurrencyLimitedError(e),
  });
  // The pool's real capacity moves (a replica lost, a vacuum running): a fixed limit in front
  // of it is a guess. The adaptive limit learns it from the queries' latency and sheds the
  // excess at once (the leaderboard's fallback answers), instead of letting it queue for a
  // connection until the timeout.
  const databaseLimit = adaptiveConcurrency({ ...common, name: 'database-limit', initialLimit: 8, minLimit: 2, maxLimit: 64, maxQueue: 16, queueTimeout: 50 });
  // Reads are idempotent: one quick retry for a dropped connection.
  const dbRetry = retry({ ...chancy, maxAttempts: 2, delay: 20, handle: (e) => !isTimeoutError(e) && isTransient(e) });
  // Leaderboard reads are idempotent: a query slower than 95 % of the recent ones gets a
  // second copy (at most 1 extra query in 10, so a database slow for everyone is not
  // doubled); the first answer wins and the other is cancelled.
  const readHedge = hedging({ ...common, name: 'leaderboard-read-hedge', delay: { percentile: 95, min: 10, max: 100 }, maxHedgedAttempts: 1, budget: retryBudget({ ...common, ratio: 0.1, minPerSecond: 2 }) });
  const database = pipeline(
    { name: 'database' },
    dbRetry,
    dbBreaker,
    // Time waiting for a pool connection counts: the pool lives inside the call.
    timeout({ ...common, duration: 150 }),
    readHedge,
    databaseLimit,
    ...dbFaults,
  );
  // The live board (end-of-match standings) must be exact: no Redis, no stale board. With
  // nothing to fall back on, a slow answer beats none: the read gets 1.5 s, not the
  // cache-miss path's 150 ms, and waits for a pool connection rather than being shed by the
  // adaptive limit (which sheds after 50 ms, and admits half its limit while it probes for
  // the no-load latency: right for reads with a stale board behind them, not for these).
  const liveRead = (name: string, ...hedge: Policy[]): Policy => pipeline({ name }, dbRetry, dbBreaker, timeout({ ...common, duration: 1_500 }), ...hedge, ...dbFaults);
  const liveLeaderboard = liveRead('live-leaderboard', readHedge);
  // The same read without the hedge, for the drill's long-tail experiment only: it compares
  // the p99 of both under one fault. A production server would not offer it.
  const liveLeaderboardUnhedged = liveRead('live-leaderboard-unhedged');
  const boards: LastKnownGood = lastKnownGood({ maxAge: 10 * 60_000, key: (ctx) => `${ctx.labels['region'] ?? 'global'}:${ctx.labels['limit'] ?? '10'}` });
  const leaderboard = pipeline(
    { name: 'leaderboard' },
    // Stale-if-error: a board a few minutes old beats an error page.
    fallback<ScoreRow[]>({ tiers: [boards] }),
    // The whole read (cache, database, retries) gets 400 ms; inner timeouts never outlive it.
    timeout({ ...common, duration: 400 }),
  );

  // ─── assets: CDN edge, origin as fallback ─────────────────────────────────────────────
  const origin = pipeline(
    { name: 'origin' },
    retry<DependencyResponse<AssetManifest>>({ ...chancy, maxAttempts: 2, delay: 50, handleResult: responseFailed, handle: isTransient }),
    timeout({ ...common, duration: 1_000 }),
    // The origin is sized for cache fills, not for all traffic: at most 16 at once.
    bulkhead({ ...common, name: 'origin-bulkhead', maxConcurrent: 16, maxQueue: 64, queueTimeout: 500 }),
  );
  const edgeBreaker = circuitBreaker<DependencyResponse<AssetManifest>>({ ...common, name: 'cdn-edge', failureThreshold: 5, recoveryTimeout, handleResult: responseFailed, handle: isTransient });
  const assets = pipeline(
    { name: 'assets' },
    fallback<DependencyResponse<AssetManifest>>({
      handleResult: (r) => !r.ok,
      handle: fallbackWorthy,
      tiers: [
        (ctx) =>
          origin.execute((c) => deps.origin.fetchManifest(ctx.labels['platform'] ?? 'pc', { signal: c.signal }), {
            operation: 'assets.origin',
            labels: ctx.labels,
            signal: ctx.signal,
            deadline: ctx.deadline,
          }),
      ],
    }),
    retry<DependencyResponse<AssetManifest>>({ ...chancy, maxAttempts: 2, delay: 25, handleResult: responseFailed, handle: isTransient }),
    edgeBreaker,
    timeout({ ...common, duration: 300 }),
    faults.cdnOutage,
  );

  return {
    mode,
    faults,
    pendingCharges,
    breakers: [paymentBreaker, identityBreaker, matchBreaker, redisBreaker, dbBreaker, edgeBreaker],
    rateLimiters: { purchasesPerPlayer, paymentPartner },
    databaseLimit,
    pipelines: { payments, login, matchmaking, leaderboard, cache, database, liveLeaderboard, liveLeaderboardUnhedged, assets, origin, purchaseLimit },
  };
}
