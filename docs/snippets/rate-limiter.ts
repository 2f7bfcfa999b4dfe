// Rate limiter examples, as shown in docs/rate-limiter.md. Type-checked by `npm test`.
import {
  RateLimiterEvents,
  isRateLimitedError,
  pipeline,
  rateLimiter,
  retry,
  timeout,
  type RateLimitDecision,
} from '../../src/index';

interface Receipt {
  readonly id: string;
}
interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}
interface PlayerSocket {
  readonly playerId: string;
  send(message: string): void;
}
declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const shop: { buy(playerId: string, item: string, quantity: number): Promise<Receipt> };
declare const log: { warn(message: string): void };
declare function handleChat(socket: PlayerSocket, text: string): void;

// --8<-- [start:basic]
// The payment partner's quota: 50 charges per second, bursts of up to 50.
const partnerQuota = rateLimiter({ name: 'payment-partner', rate: 50, per: 1_000 });

export async function charge(orderId: string): Promise<Receipt> {
  return partnerQuota.execute((ctx) => gateway.charge(orderId, { signal: ctx.signal }));
}
// --8<-- [end:basic]

// --8<-- [start:sliding-window]
// A social platform allows 600 calls per 10 minutes, stated as a window: no burst beyond it.
const socialQuota = rateLimiter({ name: 'social-api', rate: 600, per: 600_000, algorithm: 'sliding-window' });
// --8<-- [end:sliding-window]

// --8<-- [start:per-player]
// Each player may buy 1 item per 2 s, with bursts of 3; a bulk purchase costs its quantity.
const purchases = rateLimiter.partitioned({
  name: 'shop.purchase',
  key: (ctx) => ctx.labels['player'] ?? 'anonymous',
  rate: 1,
  per: 2_000,
  burst: 3,
  cost: (ctx) => Number(ctx.labels['quantity'] ?? '1'),
  maxPartitions: 100_000,
});

export async function buy(playerId: string, item: string, quantity: number): Promise<Receipt> {
  return purchases.execute(() => shop.buy(playerId, item, quantity), {
    labels: { player: playerId, quantity: String(quantity) },
  });
}
// --8<-- [end:per-player]

// --8<-- [start:try-acquire]
// Chat messages: 5 per second per player, bursts of 10, decided on the socket's hot path.
const chat = rateLimiter.partitioned({ name: 'chat', key: (ctx) => ctx.labels['player'] ?? 'anonymous', rate: 5, burst: 10 });

export function onChatMessage(socket: PlayerSocket, text: string): void {
  const d: RateLimitDecision = chat.tryAcquire(socket.playerId);
  if (!d.allowed) {
    socket.send(JSON.stringify({ error: 'slow-down', retryAfterMs: d.retryAfter }));
    return;
  }
  handleChat(socket, text);
}
// --8<-- [end:try-acquire]

// --8<-- [start:http-429]
export async function purchaseRoute(playerId: string, item: string, reply: Reply): Promise<void> {
  try {
    reply.send(await buy(playerId, item, 1));
  } catch (error) {
    if (isRateLimitedError(error)) {
      // retryAfter is in ms; Retry-After is in whole seconds, rounded up so it stays honest.
      reply.status(429).header('Retry-After', String(Math.ceil(error.retryAfter / 1_000))).send({ error: 'rate-limited' });
      return;
    }
    throw error;
  }
}
// --8<-- [end:http-429]

// --8<-- [start:wait]
// Smooth a burst of charges instead of refusing them: wait up to 500 ms for a slot, at most
// 100 waiters, first come first served. A caller that aborts leaves at once; a call never
// waits past its deadline (here the timeout's 2 s).
const smoothed = pipeline(
  timeout(2_000),
  rateLimiter({ name: 'payment-partner-smoothed', rate: 50, per: 1_000, maxWait: 500, maxQueue: 100 }),
);
// --8<-- [end:wait]

// --8<-- [start:partner-429]
// The partner's own 429 (the user's error, not ours): retry waits its Retry-After.
class PartnerHttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`partner answered ${status}`);
  }
}
const partner = pipeline(
  retry({
    maxAttempts: 3,
    maxDelay: 10_000,
    handle: (e) => e instanceof PartnerHttpError && (e.status === 429 || e.status >= 500),
    retryAfter: (e) => (e instanceof PartnerHttpError ? e.retryAfterMs : undefined),
  }),
  partnerQuota, // our own limiter: its RateLimitedError is never retried (retryRejections is off)
);
// --8<-- [end:partner-429]

// --8<-- [start:events]
purchases.on(RateLimiterEvents.limited, (e) => log.warn(`${e.policy}: player ${e.partition} limited (${e.reason}), retry in ${e.retryAfter} ms`));
// --8<-- [end:events]

export { partner, smoothed, socialQuota };
