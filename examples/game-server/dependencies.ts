/**
 * The game backend's dependencies, simulated in-process: a payment gateway, a social-login
 * provider, a matchmaking service, a Redis-like cache, a database with a connection pool,
 * a CDN and its origin.
 *
 * Each one behaves like the real thing where it matters to resilience:
 *
 * - latency follows a lognormal distribution (a long right tail, as measured services
 *   have), drawn from the chaos library's `distributions`;
 * - a small background failure rate, with errors shaped like the real ones (HTTP statuses,
 *   Node's `ECONNRESET`…);
 * - waits are abort-aware: a caller that gives up (a timeout aborting `ctx.signal`) stops
 *   waiting at once, like a socket being closed;
 * - the payment gateway deduplicates charges by idempotency key, as Stripe, Adyen and
 *   Braintree do, and can lose a response *after* committing a charge (the failure that
 *   makes idempotency keys necessary);
 * - the database has a bounded connection pool (a breakwater bulkhead: a pool *is* a
 *   bulkhead), which is what the "pool exhausted" scenario drains.
 *
 * Chaos faults are not here: they live innermost in the pipelines (resilience.ts), in front
 * of these simulations, as they would sit in front of a real client library.
 */
import { bulkhead, systemClock, systemRandom, type BulkheadPolicy, type Clock, type Random } from '../../src/index';
import { SimulatedHttpError, SimulatedRateLimitError, distributions, simulatedSystemError, type LatencyDistribution } from '../../src/chaos/index';

/** Options every simulation takes. */
export interface SimulationOptions {
  /** The clock waits are scheduled on. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Source of chance (latency draws, background failures). @defaultValue `Math.random` */
  readonly random?: Random | undefined;
  /** Latency shape. @defaultValue per dependency (see each class) */
  readonly latency?: LatencyDistribution | undefined;
  /** Share of calls that fail on their own (no chaos). @defaultValue per dependency */
  readonly failureRate?: number | undefined;
}

/** An HTTP-like response, as `fetch` would give it (not thrown on error statuses). */
export interface DependencyResponse<B = unknown> {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly body?: B;
}

/**
 * Waits `ms` on `clock`, rejecting with the signal's reason as soon as it aborts. This is
 * the network of the simulation: a closed socket stops the wait.
 */
export function networkDelay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Common plumbing of the simulations. */
abstract class Simulation {
  readonly clock: Clock;
  protected readonly random: Random;
  protected readonly latency: LatencyDistribution;
  protected readonly failureRate: number;
  /** Calls received (whether they succeeded or not). */
  calls = 0;

  protected constructor(options: SimulationOptions, latency: LatencyDistribution, failureRate: number) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.latency = options.latency ?? latency;
    this.failureRate = options.failureRate ?? failureRate;
  }

  /** One round trip: the drawn latency (× `stretch`), then whether the call failed on its own. */
  protected async roundTrip(signal: AbortSignal | undefined, stretch = 1): Promise<boolean> {
    this.calls++;
    await networkDelay(this.clock, this.latency.sample(this.random) * stretch, signal);
    return this.random() < this.failureRate;
  }
}

// ─── Payment gateway ───────────────────────────────────────────────────────────────────

/** A charge request. The idempotency key is what makes a retried charge safe. */
export interface ChargeRequest {
  readonly idempotencyKey: string;
  readonly playerId: string;
  readonly sku: string;
  readonly amountCents: number;
}

/** A committed charge. */
export interface Receipt {
  readonly receiptId: string;
  readonly idempotencyKey: string;
  readonly playerId: string;
  readonly sku: string;
  readonly amountCents: number;
}

/** The merchant quota of the payment gateway: at most `limit` charges per fixed window of `window` ms. */
export interface GatewayQuota {
  readonly limit: number;
  readonly window: number;
}

/**
 * The payment gateway: lognormal latency (median 90 ms, p99 450 ms), 0.2 % spontaneous
 * 502s. Charges are deduplicated by idempotency key: the same key with the same request
 * returns the first receipt (and charges nothing more); the same key with a different
 * request is refused with 409, as real gateways do. The merchant key has a quota (100
 * charges per second by default): past it, the gateway answers 429 with `Retry-After`
 * (the end of the current second), as Stripe and Adyen do.
 */
export class PaymentGatewaySim extends Simulation {
  private readonly charges = new Map<string, Receipt>();
  private lose = 0;
  private seq = 0;
  private readonly quota: GatewayQuota;
  private windowStart = 0;
  private inWindow = 0;
  /** Charges refused with 429 because the merchant quota was spent. */
  throttled = 0;

  constructor(options: SimulationOptions & { readonly quota?: GatewayQuota | undefined } = {}) {
    super(options, distributions.lognormal({ median: 90, p99: 450, max: 5_000 }), 0.002);
    this.quota = options.quota ?? { limit: 100, window: 1_000 };
  }

  /** Charges the player once per idempotency key. */
  async charge(request: ChargeRequest, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<Receipt> {
    const now = this.clock.now();
    const start = now - (now % this.quota.window);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.inWindow = 0;
    }
    if (++this.inWindow > this.quota.limit) {
      this.calls++;
      this.throttled++;
      throw new SimulatedRateLimitError(start + this.quota.window - now, 'Payment gateway: merchant quota exceeded');
    }
    const failed = await this.roundTrip(options.signal);
    if (failed) throw new SimulatedHttpError(502, 'Payment gateway: bad gateway');
    const existing = this.charges.get(request.idempotencyKey);
    let receipt: Receipt;
    if (existing !== undefined) {
      if (existing.playerId !== request.playerId || existing.sku !== request.sku || existing.amountCents !== request.amountCents) {
        throw new SimulatedHttpError(409, 'Idempotency key reused with a different request');
      }
      receipt = existing;
    } else {
      receipt = { receiptId: `rcpt_${(++this.seq).toString(36).padStart(6, '0')}`, ...request };
      this.charges.set(request.idempotencyKey, receipt);
    }
    if (this.lose > 0) {
      // The charge is committed, then the connection drops before the answer arrives:
      // the client cannot tell this from a charge that never happened.
      this.lose--;
      throw simulatedSystemError('ECONNRESET', 'read');
    }
    return receipt;
  }

  /** Loses the answers of the next `n` charges after committing them. */
  loseNextResponses(n: number): void {
    this.lose = n;
  }

  /** Every committed charge (one per idempotency key). */
  get ledger(): readonly Receipt[] {
    return [...this.charges.values()];
  }

  /** Charges committed for one player. */
  chargesOf(playerId: string): readonly Receipt[] {
    return this.ledger.filter((r) => r.playerId === playerId);
  }
}

// ─── Social login ──────────────────────────────────────────────────────────────────────

/** What the identity provider says about a token. */
export interface IdentityBody {
  readonly playerId?: string;
  readonly displayName?: string;
  /** A new access token (refresh answers). */
  readonly accessToken?: string;
  /** `invalid_token` (expired or unknown access token), `invalid_grant` (bad refresh token). */
  readonly error?: string;
}

/** What the game client got from the provider's SDK when the player signed in. */
export interface SocialCredentials {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/**
 * The social-login identity provider (OAuth token introspection and refresh): lognormal
 * latency (median 45 ms, p99 300 ms), 0.3 % spontaneous 503s. Answers are responses, not
 * exceptions, as `fetch` gives them: a valid token gets 200, an unknown one 401
 * `invalid_token`; a refresh with a valid refresh token gets a new access token, a bad one
 * 401 `invalid_grant`.
 */
export class SocialLoginSim extends Simulation {
  private readonly accessTokens = new Map<string, string>();
  private readonly refreshTokens = new Map<string, string>();
  private seq = 0;

  constructor(options: SimulationOptions = {}) {
    super(options, distributions.lognormal({ median: 45, p99: 300, max: 5_000 }), 0.003);
  }

  private token(prefix: string, playerId: string, into: Map<string, string>): string {
    const t = `${prefix}_${(++this.seq).toString(36)}_${Math.floor(this.random() * 2 ** 32).toString(36)}`;
    into.set(t, playerId);
    return t;
  }

  /** The player signs in with the provider's SDK on their device (no network in the simulation). */
  signIn(playerId: string): SocialCredentials {
    return { accessToken: this.token('at', playerId, this.accessTokens), refreshToken: this.token('rt', playerId, this.refreshTokens) };
  }

  /** Introspects an access token. */
  async verify(accessToken: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<DependencyResponse<IdentityBody>> {
    const failed = await this.roundTrip(options.signal);
    if (failed) return { ok: false, status: 503, statusText: 'Service Unavailable' };
    const playerId = this.accessTokens.get(accessToken);
    if (playerId === undefined) return { ok: false, status: 401, statusText: 'Unauthorized', body: { error: 'invalid_token' } };
    return { ok: true, status: 200, statusText: 'OK', body: { playerId, displayName: `Player ${playerId}` } };
  }

  /** Exchanges a refresh token for a new access token of the same player. */
  async refresh(refreshToken: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<DependencyResponse<IdentityBody>> {
    const failed = await this.roundTrip(options.signal);
    if (failed) return { ok: false, status: 503, statusText: 'Service Unavailable' };
    const playerId = this.refreshTokens.get(refreshToken);
    if (playerId === undefined) return { ok: false, status: 401, statusText: 'Unauthorized', body: { error: 'invalid_grant' } };
    return { ok: true, status: 200, statusText: 'OK', body: { playerId, accessToken: this.token('at', playerId, this.accessTokens) } };
  }
}

// ─── Matchmaking ───────────────────────────────────────────────────────────────────────

/** A match assignment. */
export interface MatchTicket {
  readonly matchId: string;
  readonly region: string;
  readonly mode: string;
  /** Estimated wait before the match starts (ms). */
  readonly estimatedWait: number;
  /** True when the ticket is a degraded answer (matchmaking unavailable). */
  readonly degraded: boolean;
}

/** The matchmaking service: lognormal latency (median 25 ms, p99 250 ms), 0.5 % 503s. */
export class MatchmakingSim extends Simulation {
  private seq = 0;

  constructor(options: SimulationOptions = {}) {
    super(options, distributions.lognormal({ median: 25, p99: 250, max: 5_000 }), 0.005);
  }

  async find(playerId: string, region: string, mode: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<MatchTicket> {
    const failed = await this.roundTrip(options.signal);
    if (failed) throw new SimulatedHttpError(503, 'Matchmaking service unavailable');
    void playerId;
    return { matchId: `m_${region}_${(++this.seq).toString(36)}`, region, mode, estimatedWait: 2_000 + Math.round(this.random() * 8_000), degraded: false };
  }
}

// ─── Redis ─────────────────────────────────────────────────────────────────────────────

/** A Redis-like cache: GET/SET with a TTL; lognormal latency (median 0.8 ms, p99 6 ms). */
export class RedisSim extends Simulation {
  private readonly store = new Map<string, { value: string; expiresAt: number }>();

  constructor(options: SimulationOptions = {}) {
    super(options, distributions.lognormal({ median: 0.8, p99: 6, max: 1_000 }), 0);
  }

  async get(key: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<string | null> {
    await this.roundTrip(options.signal);
    const e = this.store.get(key);
    if (e === undefined) return null;
    if (e.expiresAt <= this.clock.now()) {
      this.store.delete(key);
      return null;
    }
    return e.value;
  }

  async set(key: string, value: string, ttl: number, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<'OK'> {
    await this.roundTrip(options.signal);
    this.store.set(key, { value, expiresAt: this.clock.now() + ttl });
    return 'OK';
  }
}

// ─── Database ──────────────────────────────────────────────────────────────────────────

/** One leaderboard row. */
export interface ScoreRow {
  readonly rank: number;
  readonly playerId: string;
  readonly score: number;
}

/** Options of {@link DatabaseSim}. */
export interface DatabaseOptions extends SimulationOptions {
  /** Connections in the pool. @defaultValue 8 */
  readonly poolSize?: number | undefined;
  /** Longest wait for a free connection before the driver gives up (ms), like pg's `connectionTimeoutMillis`. @defaultValue 1 500 */
  readonly connectionTimeout?: number | undefined;
  /** Queries the server runs at full speed at once (see {@link DatabaseSim.capacity}). @defaultValue `poolSize` */
  readonly capacity?: number | undefined;
}

/**
 * The database: a pool of connections (a bulkhead: `poolSize` running queries, the others
 * wait up to `connectionTimeout`), lognormal query latency (median 15 ms, p99 120 ms),
 * 0.1 % spontaneous `ETIMEDOUT`s, and a server that serves `capacity` queries at once at
 * full speed: past that, a query is slower in proportion (its latency × running /
 * capacity, counted when it starts), as a saturated CPU or disk makes every query slower.
 */
export class DatabaseSim extends Simulation {
  /** The connection pool; the "pool exhausted" scenario holds its connections. */
  readonly pool: BulkheadPolicy;
  /** Queries the server runs at full speed at once (its CPU and disks). */
  readonly capacity: number;
  /**
   * A lowered capacity while it returns a number (a replica lost, a vacuum running: the drill's
   * capacity-drop fault sets it); read once per query. @defaultValue none
   */
  capacityDrop: (() => number | undefined) | undefined = undefined;
  /** Queries running now (holding a connection). */
  running = 0;

  constructor(options: DatabaseOptions = {}) {
    super(options, distributions.lognormal({ median: 15, p99: 120, max: 10_000 }), 0.001);
    this.pool = bulkhead({
      name: 'db-connection-pool',
      maxConcurrent: options.poolSize ?? 8,
      maxQueue: 200,
      queueTimeout: options.connectionTimeout ?? 1_500,
      clock: this.clock,
    });
    this.capacity = options.capacity ?? options.poolSize ?? 8;
  }

  /** The top `limit` scores of a region (deterministic data). */
  topScores(region: string, limit: number, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<ScoreRow[]> {
    return this.pool.execute(async (ctx) => {
      const capacity = Math.max(1, this.capacityDrop?.() ?? this.capacity);
      let failed: boolean;
      try {
        failed = await this.roundTrip(options.signal ?? ctx.signal, Math.max(1, ++this.running / capacity));
      } finally {
        this.running--;
      }
      if (failed) throw simulatedSystemError('ETIMEDOUT', 'read');
      const rows: ScoreRow[] = [];
      for (let i = 0; i < limit; i++) rows.push({ rank: i + 1, playerId: `${region}-p${(i * 7919) % 1000}`, score: 100_000 - i * 137 });
      return rows;
    }, options.signal !== undefined ? { signal: options.signal, operation: 'db.query' } : { operation: 'db.query' });
  }
}

// ─── CDN ───────────────────────────────────────────────────────────────────────────────

/** The asset manifest the game client downloads at start-up. */
export interface AssetManifest {
  readonly version: string;
  readonly platform: string;
  readonly servedBy: 'edge' | 'origin';
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly bytes: number }[];
}

function manifestFor(platform: string, servedBy: 'edge' | 'origin'): AssetManifest {
  const files = ['core.pak', 'maps/arena.pak', 'maps/harbor.pak', 'audio/music.pak', 'ui/atlas.png'].map((path, i) => ({
    path: `${platform}/${path}`,
    sha256: (0x9e3779b9 * (i + 1) + platform.length).toString(16).padStart(16, '0'),
    bytes: 1_048_576 * (i + 2),
  }));
  return { version: '2026.11.3', platform, servedBy, files };
}

/**
 * A CDN edge: lognormal latency (median 12 ms, p99 90 ms), 0.2 % 503 responses. Like
 * `fetch`, it answers error statuses as responses instead of throwing.
 */
export class CdnSim extends Simulation {
  constructor(options: SimulationOptions = {}) {
    super(options, distributions.lognormal({ median: 12, p99: 90, max: 5_000 }), 0.002);
  }

  async fetchManifest(platform: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<DependencyResponse<AssetManifest>> {
    const failed = await this.roundTrip(options.signal);
    if (failed) return { ok: false, status: 503, statusText: 'Service Unavailable' };
    return { ok: true, status: 200, statusText: 'OK', body: manifestFor(platform, 'edge') };
  }
}

/** The origin behind the CDN: slower (median 60 ms, p99 300 ms) but the source of truth. */
export class OriginSim extends Simulation {
  constructor(options: SimulationOptions = {}) {
    super(options, distributions.lognormal({ median: 60, p99: 300, max: 5_000 }), 0.001);
  }

  async fetchManifest(platform: string, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<DependencyResponse<AssetManifest>> {
    const failed = await this.roundTrip(options.signal);
    if (failed) return { ok: false, status: 503, statusText: 'Service Unavailable' };
    return { ok: true, status: 200, statusText: 'OK', body: manifestFor(platform, 'origin') };
  }
}

/** All the simulated dependencies of one server. */
export interface Dependencies {
  readonly payments: PaymentGatewaySim;
  readonly identity: SocialLoginSim;
  readonly matchmaking: MatchmakingSim;
  readonly redis: RedisSim;
  readonly database: DatabaseSim;
  readonly cdn: CdnSim;
  readonly origin: OriginSim;
}

/** Builds every dependency on one clock and random. */
export function createDependencies(options: { readonly clock?: Clock | undefined; readonly random?: Random | undefined } = {}): Dependencies {
  const common = { clock: options.clock, random: options.random };
  return {
    payments: new PaymentGatewaySim(common),
    identity: new SocialLoginSim(common),
    matchmaking: new MatchmakingSim(common),
    redis: new RedisSim(common),
    database: new DatabaseSim(common),
    cdn: new CdnSim(common),
    origin: new OriginSim(common),
  };
}
