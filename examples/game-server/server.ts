/**
 * The game backend: a plain `node:http` server on the loopback interface.
 *
 * | route | dependency | protection (see resilience.ts) |
 * | ----- | ---------- | ------------------------------ |
 * | `POST /login` | social-login provider | retry with token refresh, breaker, cached identity |
 * | `POST /match` | matchmaking | per-region bulkheads, breaker, solo-queue fallback |
 * | `POST /shop/purchase` | payment gateway | per-player limit (429), idempotency keys, retry budget, breaker, partner quota, pending queue |
 * | `GET /leaderboard` | Redis, then the database | cache-as-optional, deadline, last known good |
 * | `GET /assets/manifest` | CDN edge | retry, breaker, origin fallback |
 * | `GET /metrics` | — | Prometheus text of every pipeline |
 * | `GET /healthz` | — | liveness, plus the state of every breaker |
 *
 * Policy rejections become honest HTTP answers: a player over their limit gets 429 with
 * `Retry-After`, an open breaker or a full bulkhead is a 503 with `Retry-After`, a timeout
 * a 504, a failing dependency a 502.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isBrokenCircuitError,
  isExecutionRejectedError,
  isFallbackExhaustedError,
  isRateLimitedError,
  isTimeoutError,
  systemClock,
} from '../../src/index';
import { createMetrics, createMetricsHandler, type Metrics } from '../../src/metrics/index';
import { createDependencies, type Dependencies } from './dependencies';
import { createResilience, type Resilience, type ResilienceOptions } from './resilience';
import { AssetService, LeaderboardService, LoginRefusedError, LoginService, MatchmakingClient, PaymentClient, ShopService } from './services';

/** Options of {@link startGameServer}: the pipelines' options, plus the port and the dependencies. */
export interface GameServerOptions extends ResilienceOptions {
  /** Port on 127.0.0.1. @defaultValue 0 (an ephemeral port) */
  readonly port?: number | undefined;
  /** Dependencies to use (tests pass their own to script them). @defaultValue fresh simulations */
  readonly dependencies?: Dependencies | undefined;
}

/** A running game server. */
export interface GameServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly dependencies: Dependencies;
  readonly resilience: Resilience;
  readonly metrics: Metrics;
  readonly shop: ShopService;
  /** Stops listening, closes every connection, and resolves when the server is closed. */
  close(): Promise<void>;
}

/** Per-route request budgets (ms): the deadline handed to every policy of the call. */
const BUDGET = { login: 2_000, match: 1_000, purchase: 2_500, leaderboard: 500, live: 2_000, manifest: 1_500 } as const;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16_384) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'expected a JSON object');
}

function field(body: Record<string, unknown>, name: string, pattern = /^[\w.:-]{1,64}$/): string {
  const v = body[name];
  if (typeof v !== 'string' || !pattern.test(v)) throw new HttpError(400, `expected "${name}" to be a short identifier`);
  return v;
}

/** The region and size of a leaderboard request. */
function boardParams(url: URL): { region: string; limit: number } {
  const region = url.searchParams.get('region') ?? 'global';
  if (!/^[a-z-]{2,16}$/.test(region)) throw new HttpError(400, 'bad region');
  return { region, limit: Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 10) || 10)) };
}

/** Maps a failure to an HTTP answer. */
function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) return send(res, error.status, { error: error.message });
  if (error instanceof LoginRefusedError) {
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': `Bearer error="${error.reason === 'invalid_grant' ? 'invalid_grant' : 'invalid_token'}"` } : {};
    return send(res, error.status, { error: error.message }, headers);
  }
  if (isFallbackExhaustedError(error)) {
    const first = error.errors[0];
    if (first !== error) return sendError(res, first);
  }
  if (isBrokenCircuitError(error)) {
    return send(res, 503, { error: 'dependency unavailable', breaker: error.message }, { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfter / 1000))) });
  }
  if (isRateLimitedError(error)) {
    // The limiter's retryAfter is honest: a request sent after it is admitted. HTTP says it in whole seconds.
    return send(res, 429, { error: 'too many requests', retryAfter: error.retryAfter }, { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfter / 1000))) });
  }
  if (isExecutionRejectedError(error)) return send(res, 503, { error: 'overloaded, try again' }, { 'retry-after': '1' });
  if (isTimeoutError(error)) return send(res, 504, { error: 'dependency timed out' });
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // A partner's 429 passed on as it is (only without the policies: with them, it is queued).
    const after = (error as { headers?: Record<string, string> }).headers?.['retry-after'];
    return send(res, status, { error: (error as Error).message ?? `dependency answered ${status}` }, after === undefined ? {} : { 'retry-after': after });
  }
  // A dependency's own 503/504 (an error, or a response the policies flagged) is passed on.
  if (status === 503 || status === 504) return send(res, status, { error: `dependency answered ${status}` });
  send(res, 502, { error: 'dependency failed', detail: error instanceof Error ? error.message : String(error) });
}

/**
 * Starts the game server on 127.0.0.1 (an ephemeral port unless `port` is given) and
 * resolves once it listens.
 */
export async function startGameServer(options: GameServerOptions = {}): Promise<GameServer> {
  const clock = options.clock ?? systemClock;
  const deps = options.dependencies ?? createDependencies({ clock, random: options.random });
  const resilience = createResilience(deps, {
    mode: options.mode,
    clock,
    random: options.random,
    controller: options.controller,
    recoveryTimeout: options.recoveryTimeout,
    breakerWindow: options.breakerWindow,
    redisFlap: options.redisFlap,
    poolHold: options.poolHold,
  });
  const p = resilience.pipelines;

  const login = new LoginService(deps.identity, p.login);
  const matchmaking = new MatchmakingClient(deps.matchmaking, p.matchmaking);
  const shop = new ShopService(new PaymentClient(deps.payments, p.payments), resilience.pendingCharges, p.purchaseLimit);
  const leaderboard = new LeaderboardService(deps.redis, deps.database, p);
  const assets = new AssetService(deps.cdn, p.assets);

  // Metrics of every pipeline (and the database pool's occupancy), served at /metrics.
  const metrics = createMetrics({ clock, availabilityWindow: 60_000 });
  for (const policy of Object.values(p)) metrics.observe(policy);
  metrics.observe(deps.database.pool);
  const metricsHandler = createMetricsHandler(metrics);

  const handle = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const deadline = (ms: number): { signal: AbortSignal; deadline: number } => ({ signal, deadline: clock.now() + ms });
    switch (route) {
      case 'GET /healthz':
        return send(res, 200, { status: 'ok', mode: resilience.mode, breakers: Object.fromEntries(resilience.breakers.map((b) => [b.name, b.state])) });
      case 'GET /metrics':
      case 'HEAD /metrics':
        return metricsHandler(req, res);
      case 'POST /login': {
        const body = await readJson(req);
        const refreshToken = body['refreshToken'] === undefined ? undefined : field(body, 'refreshToken');
        const session = await login.login(field(body, 'playerId'), field(body, 'accessToken'), refreshToken, deadline(BUDGET.login));
        return send(res, 200, session);
      }
      case 'POST /match': {
        const body = await readJson(req);
        const ticket = await matchmaking.find(field(body, 'playerId'), field(body, 'region'), field(body, 'mode'), deadline(BUDGET.match));
        return send(res, ticket.degraded ? 202 : 200, ticket);
      }
      case 'POST /shop/purchase': {
        const key = req.headers['idempotency-key'];
        if (typeof key !== 'string' || !/^[\w-]{8,64}$/.test(key)) throw new HttpError(400, 'an Idempotency-Key header (8-64 characters) is required');
        const body = await readJson(req);
        const answer = await shop.purchase(key, field(body, 'playerId'), field(body, 'sku'), deadline(BUDGET.purchase));
        return send(res, answer.status, answer.body);
      }
      case 'GET /leaderboard': {
        const { region, limit } = boardParams(url);
        // `fresh=1`: skip the cached board (a player pulling to refresh).
        const board = await leaderboard.top(region, limit, { ...deadline(BUDGET.leaderboard), fresh: url.searchParams.get('fresh') === '1' });
        return send(res, 200, { region, stale: board.stale, rows: board.rows });
      }
      case 'GET /leaderboard/live': {
        const { region, limit } = boardParams(url);
        // `hedge=off` exists for the drill's long-tail experiment (the same read without the
        // hedge, to compare); a production server would not offer it.
        const hedged = url.searchParams.get('hedge') !== 'off';
        const rows = await leaderboard.live(region, limit, { ...deadline(BUDGET.live), hedged });
        return send(res, 200, { region, live: true, hedged, rows });
      }
      case 'GET /assets/manifest': {
        const platform = url.searchParams.get('platform') ?? 'pc';
        if (!['pc', 'ios', 'android', 'switch'].includes(platform)) throw new HttpError(400, 'unknown platform');
        const r = await assets.manifest(platform, deadline(BUDGET.manifest));
        if (!r.ok) return send(res, 502, { error: `CDN answered ${r.status}` });
        return send(res, 200, r.body);
      }
      default:
        throw new HttpError(404, 'not found');
    }
  };

  const server = createServer((req, res) => {
    // The client going away aborts the call: every policy and dependency stops waiting.
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
    });
    handle(req, res, controller.signal).catch((error: unknown) => sendError(res, error));
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    dependencies: deps,
    resilience,
    metrics,
    shop,
    close: () =>
      new Promise<void>((resolve) => {
        for (const f of Object.values(resilience.faults)) f.disable();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
