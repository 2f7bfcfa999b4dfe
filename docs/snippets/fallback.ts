// Examples of docs/fallback.md. Type-checked by `npm test`; each block of the page is copied from here.
import {
  circuitBreaker,
  fallback,
  FallbackEvents,
  isFallbackExhaustedError,
  lastKnownGood,
  pipeline,
  retry,
  timeout,
} from '../../src/index';

interface Shop {
  readonly items: readonly string[];
  readonly stale?: boolean;
}
declare const shopApi: { catalog(region: string, opts: { signal: AbortSignal }): Promise<Shop> };
declare const shopMirror: { catalog(region: string): Promise<Shop> };
declare const cdn: { fetchJson(path: string, opts: { signal: AbortSignal }): Promise<Shop> };
class ValidationError extends Error {}

// --8<-- [start:tiers]
const shopCatalog = fallback<Shop>({
  tiers: [
    () => shopMirror.catalog('eu'), // 1. a secondary source
    lastKnownGood({ maxAge: 10 * 60_000 }), // 2. the last good catalog, if < 10 min old
    { items: [], stale: true }, // 3. a constant
  ],
  handle: (error) => !(error instanceof ValidationError), // a bad request is not an outage
});

export async function catalog(): Promise<Shop> {
  return shopCatalog.execute((ctx) => shopApi.catalog('eu', { signal: ctx.signal }), { operation: 'shop.catalog' });
}
// --8<-- [end:tiers]

// --8<-- [start:failure]
const config = fallback<Shop>({
  tiers: [
    (ctx, failure) => {
      console.warn(`config: primary failed (${String(failure)}), trying the CDN`);
      return cdn.fetchJson('/config/shop.json', { signal: ctx.signal });
    },
  ],
  handleResult: (shop) => shop.items.length === 0, // an empty answer counts as a failure too
});
// --8<-- [end:failure]

// --8<-- [start:exhausted]
export async function loadConfig(): Promise<Shop | undefined> {
  try {
    return await config.execute((ctx) => shopApi.catalog('config', { signal: ctx.signal }));
  } catch (error) {
    if (isFallbackExhaustedError(error)) {
      const [primary, ...tiers] = error.errors; // the call's failure, then each tier's
      console.error('config unavailable', primary, tiers);
      return undefined;
    }
    throw error;
  }
}
// --8<-- [end:exhausted]

// --8<-- [start:per-key]
const playerProfiles = lastKnownGood({
  maxAge: 5 * 60_000,
  key: (ctx) => ctx.labels['player'] ?? '', // one value per player (and operation)
  maxEntries: 50_000, // least recently used dropped beyond this
});
const profiles = fallback({ tiers: [playerProfiles] });

export function profile(playerId: string): Promise<Shop> {
  return profiles.execute((ctx) => shopApi.catalog(playerId, { signal: ctx.signal }), {
    operation: 'player.profile',
    labels: { player: playerId },
  });
}
// --8<-- [end:per-key]

// --8<-- [start:ordering]
const checkout = pipeline(
  fallback<Shop>({ tiers: [lastKnownGood({ maxAge: 60_000 })] }), // only after all retries failed
  retry({ maxAttempts: 3 }),
  circuitBreaker({ name: 'shop-api' }), // an open circuit fails fast... and falls back at once
  timeout(1_000),
);

checkout.on(FallbackEvents.fallback, (e) => console.info(`fallback tier ${e.tier} after`, e.failure));
checkout.on('executed', (e) => {
  if (e.fallback) console.info(`${e.operation} served by a fallback tier`);
});
// --8<-- [end:ordering]

// --8<-- [start:shorthand]
const emptyShop = fallback<Shop>(() => ({ items: [] }));
const noFriends = fallback<string[]>([]);
// --8<-- [end:shorthand]

export const examples = { checkout, emptyShop, noFriends };
