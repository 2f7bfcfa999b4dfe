/**
 * The services of the game backend: what the HTTP handlers call. Each dependency call runs
 * through its pipeline (resilience.ts), either with `policy.execute(...)` or, for the
 * payment and matchmaking clients, through the `@resilient` decorator on the method.
 */
import { createHash } from 'node:crypto';
import { currentContext, type ExecutionContext, type Policy } from '../../src/index';
import { resilient } from '../../src/decorators/index';
import type {
  AssetManifest,
  ChargeRequest,
  DependencyResponse,
  IdentityBody,
  MatchmakingSim,
  MatchTicket,
  PaymentGatewaySim,
  Receipt,
  RedisSim,
  ScoreRow,
  DatabaseSim,
  SocialLoginSim,
  CdnSim,
} from './dependencies';
import type { GamePipelines, PendingCharge } from './resilience';

/** Per-call options the HTTP layer passes down: the request's signal and deadline. */
export interface CallOptions {
  /** Aborted when the HTTP client goes away. */
  readonly signal?: AbortSignal | undefined;
  /** The request's deadline on the server's clock (ms): no retry is scheduled past it. */
  readonly deadline?: number | undefined;
}

function callOptions(options: CallOptions | undefined): { signal?: AbortSignal; deadline?: number } {
  const o: { signal?: AbortSignal; deadline?: number } = {};
  if (options?.signal !== undefined) o.signal = options.signal;
  if (options?.deadline !== undefined) o.deadline = options.deadline;
  return o;
}

/** The outcome of a charge: charged now, or accepted and queued for later. */
export type ChargeResult =
  | { readonly status: 'charged'; readonly receipt: Receipt }
  | { readonly status: 'pending'; readonly idempotencyKey: string };

/**
 * The payment gateway client. The `@resilient` decorator runs `charge` through the
 * payments pipeline of this instance (`scope: 'instance'`: each server has its own
 * breaker and bulkhead); `callOptions` hands the request to the pipeline's fallback (to
 * queue it) and the HTTP request's signal and deadline to every policy.
 */
export class PaymentClient {
  constructor(
    readonly gateway: PaymentGatewaySim,
    readonly policy: Policy,
  ) {}

  @resilient((self: PaymentClient) => self.policy, {
    scope: 'instance',
    operation: 'payment.charge',
    callOptions: (_self, [request, options]) => ({ ...callOptions(options as CallOptions | undefined), properties: { request } }),
  })
  async charge(request: ChargeRequest, options?: CallOptions): Promise<ChargeResult> {
    void options; // read by the decorator's callOptions
    const ctx = currentContext(); // read before the first await
    const receipt = await this.gateway.charge(request, { signal: ctx?.signal });
    return { status: 'charged', receipt };
  }
}

/** The matchmaking client, decorated like the payment client; calls are labelled by region (per-region bulkheads). */
export class MatchmakingClient {
  constructor(
    readonly service: MatchmakingSim,
    readonly policy: Policy,
  ) {}

  @resilient((self: MatchmakingClient) => self.policy, {
    scope: 'instance',
    operation: 'match.find',
    callOptions: (_self, [, region, , options]) => ({ ...callOptions(options as CallOptions | undefined), labels: { region: String(region) } }),
  })
  async find(playerId: string, region: string, mode: string, options?: CallOptions): Promise<MatchTicket> {
    void options;
    const ctx = currentContext();
    return this.service.find(playerId, region, mode, { signal: ctx?.signal });
  }
}

/** What a successful login returns. */
export interface Session {
  readonly playerId: string;
  readonly displayName: string;
  /** A new access token when the presented one had expired and was refreshed (the client keeps it). */
  readonly accessToken?: string;
  /** True when the provider was unavailable and a recent verification of this same token was used. */
  readonly fromCache: boolean;
}

/** Thrown for a login the provider refused. */
export class LoginRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`login refused: ${reason}`);
    this.name = 'LoginRefusedError';
  }
}

/** A stable, non-reversible key for a token (tokens never go into labels, events or logs). */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/**
 * Social login: verify the player's access token with the provider. An expired token
 * (401 `invalid_token`) is refreshed with the player's refresh token and verified again
 * (the retry policy does the "again"); a provider that is down falls back to a recent
 * verification of the *same* token (never to "this player logged in recently": that
 * would let anyone in with a forged token).
 */
export class LoginService {
  constructor(
    private readonly identity: SocialLoginSim,
    private readonly policy: Policy,
  ) {}

  async login(playerId: string, accessToken: string, refreshToken: string | undefined, options?: CallOptions): Promise<Session> {
    // The per-call property bag, shared with the policies: the function keeps the current
    // token and the provider's last answer there; the lastKnownGood tier reads `tokenKey`.
    const bag: { tokenKey: string; token: string; expired: boolean; refreshed: boolean; fresh?: DependencyResponse<IdentityBody> } = {
      tokenKey: tokenKey(accessToken),
      token: accessToken,
      expired: false,
      refreshed: false,
    };
    const response = await this.policy.execute(
      async (ctx: ExecutionContext): Promise<DependencyResponse<IdentityBody>> => {
        if (bag.expired && refreshToken !== undefined) {
          // The previous attempt got 401 invalid_token: exchange the refresh token first.
          const r = await this.identity.refresh(refreshToken, { signal: ctx.signal });
          if (!r.ok || r.body?.accessToken === undefined) return (bag.fresh = r);
          bag.token = r.body.accessToken;
          bag.tokenKey = tokenKey(bag.token); // a success is remembered for the token actually verified
          bag.refreshed = true;
        }
        const r = await this.identity.verify(bag.token, { signal: ctx.signal });
        bag.expired = r.status === 401;
        return (bag.fresh = r);
      },
      { ...callOptions(options), operation: 'identity.verify', properties: bag },
    );
    if (!response.ok || response.body?.playerId !== playerId) {
      throw new LoginRefusedError(response.status >= 500 ? 503 : 401, response.body?.error ?? `provider answered ${response.status}`);
    }
    return {
      playerId,
      displayName: response.body.displayName ?? playerId,
      ...(bag.refreshed ? { accessToken: bag.token } : {}),
      fromCache: response !== bag.fresh,
    };
  }
}

/** Options of a leaderboard read. */
export interface LeaderboardOptions extends CallOptions {
  /** Skip the cached board and read the database (a player pulling to refresh); the stale board still answers when the database cannot. @defaultValue false */
  readonly fresh?: boolean | undefined;
}

/**
 * The leaderboard of a region: Redis first, the database on a miss, the last known good
 * board on failure. The live board (end-of-match standings) is the database read itself.
 */
export class LeaderboardService {
  constructor(
    private readonly redis: RedisSim,
    private readonly database: DatabaseSim,
    private readonly pipelines: Pick<GamePipelines, 'leaderboard' | 'cache' | 'database' | 'liveLeaderboard' | 'liveLeaderboardUnhedged'>,
    /** How long a board stays in Redis (ms). */
    private readonly ttl = 1_000,
  ) {}

  async top(region: string, limit: number, options?: LeaderboardOptions): Promise<{ rows: ScoreRow[]; stale: boolean }> {
    let stale = true;
    const rows = await this.pipelines.leaderboard.execute(
      async (ctx) => {
        // Inner calls inherit the outer deadline and signal: the 400 ms budget covers everything.
        const inner = { signal: ctx.signal, deadline: ctx.deadline, labels: ctx.labels };
        const key = `leaderboard:${region}:${limit}`;
        if (options?.fresh !== true) {
          const cached = await this.pipelines.cache.execute((c) => this.redis.get(key, { signal: c.signal }), { ...inner, operation: 'cache.get' });
          if (cached !== null) {
            stale = false;
            return JSON.parse(cached) as ScoreRow[];
          }
        }
        const fresh = await this.pipelines.database.execute((c) => this.database.topScores(region, limit, { signal: c.signal }), { ...inner, operation: 'db.top-scores' });
        stale = false;
        // Fill the cache without making the player wait for it; a failed write is a later miss.
        this.pipelines.cache.execute((c) => this.redis.set(key, JSON.stringify(fresh), this.ttl, { signal: c.signal }), { operation: 'cache.set' }).catch(() => undefined);
        return fresh;
      },
      { ...callOptions(options), operation: 'leaderboard.top', labels: { region, limit: String(limit) } },
    );
    return { rows, stale };
  }

  /**
   * The live board: the database read is the answer (no cache, no stale board), hedged.
   * `hedged: false` reads it without the hedge, for the drill's comparison only.
   */
  live(region: string, limit: number, options?: CallOptions & { readonly hedged?: boolean | undefined }): Promise<ScoreRow[]> {
    const policy = options?.hedged === false ? this.pipelines.liveLeaderboardUnhedged : this.pipelines.liveLeaderboard;
    return policy.execute((c) => this.database.topScores(region, limit, { signal: c.signal }), {
      ...callOptions(options),
      operation: 'db.live-scores',
      labels: { region, limit: String(limit) },
    });
  }
}

/** The asset manifest: CDN edge first, origin as fallback. */
export class AssetService {
  constructor(
    private readonly cdn: CdnSim,
    private readonly policy: Policy,
  ) {}

  async manifest(platform: string, options?: CallOptions): Promise<DependencyResponse<AssetManifest>> {
    return this.policy.execute((ctx) => this.cdn.fetchManifest(platform, { signal: ctx.signal }), {
      ...callOptions(options),
      operation: 'assets.manifest',
      labels: { platform },
    });
  }
}

/** A stored answer to a purchase, replayed for a repeated idempotency key. */
export interface PurchaseRecord {
  readonly status: number;
  readonly body: unknown;
  /** What the key was first used for: a different request with the same key is refused. */
  readonly fingerprint: string;
}

/**
 * The shop. Every purchase carries an idempotency key chosen by the client (one per
 * purchase attempt, reused on every retry of it). The shop keeps the answer per key, so a
 * client retrying the HTTP request gets the first answer back, and the gateway client
 * sends the same key on every attempt, so the gateway charges once.
 *
 * A new purchase first passes the per-player limit (`limit`, labelled with `player`): over
 * it, the purchase is refused with the limiter's `RateLimitedError` (the server answers 429
 * with `Retry-After`), nothing is charged or queued, and the key stays free for a retry.
 * Replaying a known key costs nothing: its answer is already known.
 */
export class ShopService {
  private readonly answers = new Map<string, PurchaseRecord | Promise<PurchaseRecord>>();
  /** Pending purchases charged so far by {@link ShopService.settlePending}. */
  settled = 0;
  private readonly prices: Readonly<Record<string, number>> = { 'gems-100': 99, 'gems-550': 499, 'season-pass': 999, 'skin-neon': 1499 };

  constructor(
    private readonly payments: PaymentClient,
    private readonly pending: Map<string, PendingCharge>,
    /** The per-player purchase limit (a policy reading the `player` label). @defaultValue none */
    private readonly limit: Policy | undefined = undefined,
    /** Most answers remembered (oldest dropped first). */
    private readonly maxAnswers = 50_000,
  ) {}

  /** Buys `sku` for `playerId`, once per idempotency key. */
  purchase(idempotencyKey: string, playerId: string, sku: string, options?: CallOptions): Promise<PurchaseRecord> {
    const fingerprint = `${playerId}\u0000${sku}`;
    const known = this.answers.get(idempotencyKey);
    if (known !== undefined) {
      // Same key again (a client retry, a double tap): the first answer, or the one in flight.
      return Promise.resolve(known).then((r) =>
        r.fingerprint === fingerprint ? r : { status: 422, body: { error: 'idempotency_key_reused' }, fingerprint },
      );
    }
    const amountCents = this.prices[sku];
    if (amountCents === undefined) return Promise.resolve({ status: 404, body: { error: 'unknown_sku', sku }, fingerprint });
    const request = { idempotencyKey, playerId, sku, amountCents };
    const answer =
      this.limit === undefined
        ? this.charge(request, fingerprint, options)
        : this.limit.execute(() => this.charge(request, fingerprint, options), { ...callOptions(options), operation: 'shop.purchase', labels: { player: playerId } });
    this.remember(idempotencyKey, answer);
    answer.then(
      (r) => {
        // Only final answers are kept; a failure may be retried with the same key.
        if (r.status >= 500) this.answers.delete(idempotencyKey);
        else this.remember(idempotencyKey, r);
      },
      () => this.answers.delete(idempotencyKey),
    );
    return answer;
  }

  private async charge(request: ChargeRequest, fingerprint: string, options: CallOptions | undefined): Promise<PurchaseRecord> {
    const result = await this.payments.charge(request, options);
    if (result.status === 'charged') return { status: 200, body: { status: 'charged', receiptId: result.receipt.receiptId, sku: request.sku }, fingerprint };
    return { status: 202, body: { status: 'pending', idempotencyKey: result.idempotencyKey, sku: request.sku }, fingerprint };
  }

  private remember(key: string, value: PurchaseRecord | Promise<PurchaseRecord>): void {
    this.answers.delete(key);
    this.answers.set(key, value);
    if (this.answers.size > this.maxAnswers) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
  }

  /**
   * Charges the purchases accepted while the gateway was unavailable, with their original
   * idempotency keys (a worker would run this; the drill runs it as an experiment's
   * rollback and at the end), `concurrency` at a time. Returns how many were charged;
   * those that still cannot be charged stay pending. Eight at a time is as fast as the
   * payment partner's limiter lets charges through (60/s): more workers would only wait in
   * its queue, past its `maxWait`, and be queued as pending again.
   */
  async settlePending(options?: CallOptions, concurrency = 8): Promise<number> {
    const queue = [...this.pending.values()];
    let settled = 0;
    const settleOne = async (request: PendingCharge): Promise<void> => {
      this.pending.delete(request.idempotencyKey);
      const result = await this.payments.charge(request, options).catch(() => undefined);
      if (result?.status === 'charged') {
        settled++;
        this.settled++;
        this.remember(request.idempotencyKey, {
          status: 200,
          body: { status: 'charged', receiptId: result.receipt.receiptId, sku: request.sku },
          fingerprint: `${request.playerId}\u0000${request.sku}`,
        });
      } else {
        // Still unavailable (the fallback queued it again, or it failed): keep it.
        this.pending.set(request.idempotencyKey, request);
      }
    };
    // One charge alone first: if the breaker is half-open it is the probe, and the
    // others follow once it closed (instead of being refused next to the probe).
    const first = queue.shift();
    if (first !== undefined) await settleOne(first);
    if (settled === 0) return 0; // still down: try again later
    const worker = async (): Promise<void> => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) await settleOne(r);
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return settled;
  }
}
