// Examples of docs/recipes.md. Type-checked by `npm test`; every ts block of the page is copied from here.
import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import {
  bulkhead,
  circuitBreaker,
  fallback,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isTimeoutError,
  lastKnownGood,
  pipeline,
  retry,
  retryBudget,
  systemClock,
  timeout,
  type ExecutionContext,
} from '../../src/index';

interface Entry {
  readonly player: string;
  readonly score: number;
}
interface Profile {
  readonly id: string;
}
interface Report {
  readonly rows: number;
}
interface Identity {
  readonly ok: boolean;
  readonly status: number;
  readonly playerId?: string;
}
declare const db: { topScores(region: string, opts: { signal: AbortSignal }): Promise<Entry[]> };
declare const reports: { run(tenant: string, opts: { signal: AbortSignal }): Promise<Report> };
declare const idp: {
  verify(token: string, opts: { signal: AbortSignal }): Promise<Identity>;
  refresh(refreshToken: string): Promise<string>;
};
declare const api: { profile(id: string, opts: { signal: AbortSignal }): Promise<Profile> };
declare function send(method: string, url: string, opts: { signal: AbortSignal; headers?: Record<string, string> }): Promise<unknown>;

// --8<-- [start:idempotent]
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

// Safe to repeat: an idempotent method, a request carrying an idempotency key, or an error
// that proves the request never left (nothing listened, so nothing happened).
function safeToRepeat(ctx: ExecutionContext, failure: unknown): boolean {
  if (SAFE_METHODS.has(ctx.labels['method'] ?? '')) return true;
  if (typeof ctx.properties['idempotencyKey'] === 'string') return true;
  return (failure as { code?: unknown } | null)?.code === 'ECONNREFUSED';
}

const httpRetry = retry({
  maxAttempts: 3,
  delay: 100,
  // `retryAfter` sees the call's context; a negative delay means "do not retry".
  retryAfter: (failure, info) => (safeToRepeat(info.context, failure) ? undefined : -1),
});

export function request(method: string, url: string, idempotencyKey?: string): Promise<unknown> {
  return httpRetry.execute(
    (ctx) => send(method, url, { signal: ctx.signal, ...(idempotencyKey !== undefined ? { headers: { 'Idempotency-Key': idempotencyKey } } : {}) }),
    { labels: { method }, properties: idempotencyKey !== undefined ? { idempotencyKey } : {} },
  );
}
// --8<-- [end:idempotent]

// --8<-- [start:tenants]
const reportPool = pipeline(
  { name: 'reports' },
  // Each tenant gets 4 slots and a queue of 8 of its own: one tenant's batch job
  // cannot starve the others. Idle partitions are dropped at once.
  bulkhead.partitioned({
    name: 'reports-per-tenant',
    key: (ctx) => ctx.labels['tenant'] ?? 'anonymous',
    maxConcurrent: 4,
    maxQueue: 8,
    queueTimeout: 1_000,
    maxPartitions: 10_000,
  }),
  // …and all tenants together never exceed what the database can take.
  bulkhead({ name: 'reports-total', maxConcurrent: 32, maxQueue: 64, queueTimeout: 1_000 }),
);

export function runReport(tenant: string): Promise<Report> {
  return reportPool.execute((ctx) => reports.run(tenant, { signal: ctx.signal }), { labels: { tenant } });
}
// --8<-- [end:tenants]

// --8<-- [start:retry-after]
/** `Retry-After` is either seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const politeRetry = retry<Response>({
  maxAttempts: 4,
  delay: 200,
  // A server asking for more than 10 s is not retried at all: fail now, let the caller decide.
  maxDelay: 10_000,
  handleResult: (res) => res.status === 429 || res.status === 503,
  retryAfter: (failure) => (failure instanceof Response ? retryAfterMs(failure.headers.get('retry-after')) : undefined),
});

export function fetchPolitely(url: string): Promise<Response> {
  return politeRetry.execute((ctx) => fetch(url, { signal: ctx.signal }));
}
// --8<-- [end:retry-after]

// --8<-- [start:stale-leaderboard]
// ioredis cannot cancel a command: once queued or sent, it stays in the client until Redis
// answers or the client gives up, whatever the caller does, so there is no signal to pass.
// Bound the client's own queue instead: flush queued commands with an error after one
// failed reconnect attempt (default: 20), reject a command unanswered after 1 s.
const redis = new Redis({ maxRetriesPerRequest: 1, commandTimeout: 1_000 });

// Redis failing is Redis missing: fall through to the database. The 25 ms timeout bounds
// how long a request waits for Redis (the command stays queued in the client); after three
// failures the breaker stops queuing commands at all while Redis is down.
const cache = pipeline(
  { name: 'cache' },
  fallback<string | null>({ tiers: [null] }),
  circuitBreaker({ name: 'redis', failureThreshold: 3, recoveryTimeout: 5_000 }),
  timeout(25),
);

// The whole read gets 400 ms; if the database cannot answer either, serve the last good
// board of that region, up to 10 minutes old.
const boards = lastKnownGood({ maxAge: 10 * 60_000, key: (ctx) => ctx.labels['region'] ?? 'global' });
const leaderboard = pipeline({ name: 'leaderboard' }, fallback<Entry[]>({ tiers: [boards] }), timeout(400));

export function topScores(region: string): Promise<Entry[]> {
  return leaderboard.execute(
    async (ctx) => {
      // Inner calls share the outer deadline and signal.
      const inner = { signal: ctx.signal, deadline: ctx.deadline };
      const cached = await cache.execute(() => redis.get(`board:${region}`), inner);
      if (cached !== null) return JSON.parse(cached) as Entry[];
      return db.topScores(region, { signal: ctx.signal }); // a client that can cancel gets the signal
    },
    { operation: 'leaderboard.top', labels: { region } },
  );
}
// --8<-- [end:stale-leaderboard]

// --8<-- [start:deadline]
const profileCalls = pipeline({ name: 'profiles' }, retry({ maxAttempts: 3, delay: 100 }), timeout(800));

createServer((_req, res) => {
  // The client going away cancels the work; the request's budget bounds every retry.
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const deadline = systemClock.now() + 1_500;
  profileCalls
    .execute((ctx) => api.profile('p1', { signal: ctx.signal }), { signal: controller.signal, deadline })
    .then(
      (profile) => res.end(JSON.stringify(profile)),
      () => res.writeHead(503).end(),
    );
}).listen(8080, '127.0.0.1');
// --8<-- [end:deadline]

// --8<-- [start:503]
export function sendFailure(res: ServerResponse, error: unknown): void {
  if (isBrokenCircuitError(error)) {
    // Tell clients when it is worth coming back instead of letting them hammer you.
    res.writeHead(503, { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfter / 1_000))) }).end();
  } else if (isBulkheadRejectedError(error)) {
    res.writeHead(503, { 'Retry-After': '1' }).end();
  } else if (isTimeoutError(error)) {
    res.writeHead(504).end();
  } else {
    res.writeHead(502).end();
  }
}
// --8<-- [end:503]

// --8<-- [start:refresh-token]
const verifyCalls = retry<Identity>({
  maxAttempts: 2, // the call, and once more with a fresh token
  delay: 0,
  handleResult: (r) => r.status === 401,
});

export function verify(accessToken: string, refreshToken: string): Promise<Identity> {
  let token = accessToken;
  return verifyCalls.execute(async (ctx) => {
    if (ctx.attempt > 1) token = await idp.refresh(refreshToken); // the first attempt got a 401
    return idp.verify(token, { signal: ctx.signal });
  });
}
// --8<-- [end:refresh-token]

// The "client-errors" recipe lives in recipe-client-errors.ts, where a test runs it against an open breaker.
import { profiles } from './recipe-client-errors';

// --8<-- [start:budget]
// One budget for every call to the gateway: retries may add at most 10 % load (plus a
// floor of 5 per second), however many requests fail at once.
const gatewayBudget = retryBudget({ ratio: 0.1, minPerSecond: 5 });
const charges = retry({ maxAttempts: 3, budget: gatewayBudget });
const refunds = retry({ maxAttempts: 5, budget: gatewayBudget });

charges.on('budget-exhausted', (e) => console.warn(`retry budget empty; attempt ${e.attempt} not retried`));
// --8<-- [end:budget]

export { profiles, refunds };
