/**
 * The drill's chaos experiments: six scenarios of the catalog, a shop flood, and the two
 * latency experiments of latency-experiments.ts (a long tail with and without hedging, a
 * database capacity drop under the adaptive limit), each with real HTTP load on the route
 * it threatens, a steady-state hypothesis written like k6 thresholds, and the circuit
 * breakers whose openings count as detection.
 */
import type { CircuitBreakerPolicy } from '../../src/index';
import type {
  ChaosController,
  ExperimentFault,
  ExperimentObserver,
  ExperimentOptions,
  ExperimentSchedule,
  SuiteExperiment,
} from '../../src/chaos/index';
import { expectOk } from './answers';
import { GameClient, type HttpAnswer } from './client';
import { capacityDropExperiment, latencyRecords, longTailExperiment, type LatencyRecords, type SharedOptions } from './latency-experiments';
import type { GameServer } from './server';

export { BadAnswerError } from './answers';

/** A player of the drill's load, as the game client knows them. */
export interface DrillPlayer {
  readonly id: string;
  /** Replaced when the server hands back a refreshed token. */
  accessToken: string;
  readonly refreshToken: string;
}

/** Timing of a drill. */
export interface DrillTiming {
  readonly schedule: ExperimentSchedule;
  /** Requests per second of each experiment's load. */
  readonly rate: number;
  /** Consecutive good evaluations that count as recovered. */
  readonly recoveryStreak: number;
}

/** How long a player waits for an answer (ms) before giving up: the drill clients' timeout. */
export const PLAYER_PATIENCE = 5_000;

/** `--quick`: under 4 s per experiment. */
export const QUICK: DrillTiming = {
  schedule: { baseline: 500, inject: 2_000, recovery: 1_250, evaluationInterval: 250 },
  rate: 40,
  recoveryStreak: 2,
};

/** The default: about 12 s per experiment. */
export const STANDARD: DrillTiming = {
  schedule: { baseline: 2_000, inject: 5_000, recovery: 5_000, evaluationInterval: 1_000 },
  rate: 40,
  recoveryStreak: 2,
};

/** Options of {@link drillExperiments}. */
export interface DrillExperimentOptions {
  readonly server: GameServer;
  readonly client: GameClient;
  readonly timing: DrillTiming;
  readonly controller: ChaosController;
  /** The players of the load, signed in with the provider. */
  readonly players: readonly DrillPlayer[];
  readonly seed?: number | undefined;
  readonly progress?: ExperimentObserver | undefined;
  /** Keep only these scenario ids. @defaultValue all nine */
  readonly only?: readonly string[] | undefined;
  /** Filled with every purchase sent and every purchase the shop accepted (200 or 202), by idempotency key. */
  readonly ledger?: PurchaseLedger | undefined;
  /** Filled with what the flooding players of the shop-flood experiment got back. */
  readonly flood?: FloodStats | undefined;
  /** Filled with what the loads of the long-tail and capacity-drop experiments saw. */
  readonly latency?: LatencyRecords | undefined;
}

/** What the flooding players of the shop-flood experiment sent and got back. */
export interface FloodStats {
  /** The flooding players' ids. */
  players: readonly string[];
  /** Purchases they sent. */
  sent: number;
  /** Answered 429 (with `Retry-After`). */
  limited: number;
  /** Answered 200 or 202. */
  accepted: number;
  /** Anything else (an error, no answer). */
  other: number;
}

/** A fresh {@link FloodStats}. */
export function emptyFloodStats(): FloodStats {
  return { players: [], sent: 0, limited: 0, accepted: 0, other: 0 };
}

/** How many of the players flood the shop, and how fast each one sends (purchases per second). */
export const FLOOD = { players: 3, ratePerPlayer: 40 } as const;

/**
 * The "fault" of the shop-flood experiment: a few players whose macro spams purchases,
 * each at `ratePerPlayer` per second, through their own connections. Switched on and off
 * by the runner like any fault; it obeys the chaos controller (no purchase is sent while
 * chaos is not active) and leaves no timer behind once disabled.
 */
class ShopFlood implements ExperimentFault {
  readonly name = 'shop-flood';
  private timers: ReturnType<typeof setInterval>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    private readonly url: string,
    private readonly flooders: readonly DrillPlayer[],
    private readonly ratePerPlayer: number,
    readonly controller: ChaosController,
    private readonly stats: FloodStats,
    private readonly keyPrefix: string,
    private readonly ledger: PurchaseLedger | undefined,
    private client: GameClient | undefined = undefined,
  ) {
    stats.players = flooders.map((p) => p.id);
  }

  get injections(): number {
    return this.stats.sent;
  }

  enable(): void {
    if (this.timers.length > 0) return;
    // Their own client: a flood does not take the sockets of the other players' load.
    this.client ??= new GameClient(this.url, { maxSockets: 32, timeout: PLAYER_PATIENCE });
    const client = this.client;
    this.timers = this.flooders.map((player) =>
      setInterval(() => {
        if (!this.controller.status().active || this.inFlight.size >= 256) return;
        const key = `${this.keyPrefix}-${++this.seq}`;
        this.stats.sent++;
        const sent = sendPurchase(this.ledger, client, player.id, 'gems-100', key).then(
          (answer) => {
            if (answer.status === 429) this.stats.limited++;
            else if (answer.status === 200 || answer.status === 202) this.stats.accepted++;
            else this.stats.other++;
          },
          () => {
            this.stats.other++;
          },
        );
        this.inFlight.add(sent);
        void sent.finally(() => this.inFlight.delete(sent));
      }, 1_000 / this.ratePerPlayer),
    );
  }

  disable(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Waits for the purchases still in flight, then closes the flood's connections. */
  async drain(): Promise<void> {
    this.disable();
    await Promise.all([...this.inFlight]);
    this.client?.close();
    this.client = undefined;
  }
}

/** The drill's own record of purchases, to check the gateway's ledger against. */
export interface PurchaseLedger {
  readonly sent: Set<string>;
  readonly accepted: Set<string>;
  /** What the player last learned about each purchase: the status, or why there was no answer. */
  readonly answers: Map<string, string>;
  /** Purchases that got no answer at all (the player gave up, the connection dropped), to ask about again. */
  readonly unanswered: Map<string, { readonly playerId: string; readonly sku: string }>;
  /**
   * Purchases still waiting for their answer. An experiment stops its load without waiting
   * for the calls in flight, so the audit waits for these first: a purchase answered after
   * the audit would read as charged behind an error.
   */
  readonly inFlight: Set<Promise<unknown>>;
}

/** An empty {@link PurchaseLedger}. */
export function purchaseLedger(): PurchaseLedger {
  return { sent: new Set(), accepted: new Set(), answers: new Map(), unanswered: new Map(), inFlight: new Set() };
}

/**
 * Sends a purchase and writes it in `ledger`: sent, then what came back. Answers with the
 * client's own answer (or its rejection), so each load goes on judging it as before.
 */
export async function sendPurchase(ledger: PurchaseLedger | undefined, client: GameClient, playerId: string, sku: string, key: string): Promise<HttpAnswer> {
  if (ledger === undefined) return client.purchase(playerId, sku, key);
  ledger.sent.add(key);
  const sent = client.purchase(playerId, sku, key);
  ledger.inFlight.add(sent);
  let answer: HttpAnswer;
  try {
    answer = await sent;
  } catch (error) {
    ledger.answers.set(key, `no answer (${error instanceof Error ? error.message : String(error)})`);
    ledger.unanswered.set(key, { playerId, sku });
    throw error;
  } finally {
    ledger.inFlight.delete(sent);
  }
  ledger.unanswered.delete(key);
  ledger.answers.set(key, String(answer.status));
  if (answer.status === 200 || answer.status === 202) ledger.accepted.add(key);
  else ledger.accepted.delete(key);
  return answer;
}

/**
 * What a game client does on its next start for a purchase it never got an answer to:
 * asks again with the same idempotency key, which answers what the first request did (or
 * charges it now, once). Waits for the purchases still in flight first. Returns how many
 * of the unanswered purchases turned out accepted.
 */
export async function reconcilePurchases(ledger: PurchaseLedger, client: GameClient): Promise<number> {
  await Promise.allSettled([...ledger.inFlight]);
  let accepted = 0;
  for (const [key, { playerId, sku }] of [...ledger.unanswered]) {
    const answer = await sendPurchase(ledger, client, playerId, sku, key).catch(() => undefined);
    if (answer?.status === 200 || answer?.status === 202) accepted++;
  }
  return accepted;
}

export const REGIONS = ['eu', 'na', 'sa', 'asia', 'oce', 'me', 'af', 'cn'] as const;
export const PLATFORMS = ['pc', 'ios', 'android', 'switch'] as const;
export const BOARD_SIZES = [10, 50] as const;
const SKUS = ['gems-100', 'gems-550', 'season-pass', 'skin-neon'] as const;

/**
 * The traffic a running server has already seen: every player logged in once, every
 * leaderboard and manifest read once. (A server fresh from a deploy has no last known
 * good values yet: that is a different experiment.)
 */
export async function warmUp(client: GameClient, players: readonly DrillPlayer[]): Promise<void> {
  await Promise.all([
    ...players.map((p) => client.login(p.id, p.accessToken, p.refreshToken)),
    ...REGIONS.flatMap((r) => BOARD_SIZES.map((n) => client.leaderboard(r, n))),
    ...PLATFORMS.map((p) => client.manifest(p)),
  ]);
}

/** The nine experiments, as suite entries (weights: money first, then login, then the rest). */
export function drillExperiments(o: DrillExperimentOptions): SuiteExperiment[] {
  const { server, client, timing, players } = o;
  const faults = server.resilience.faults;
  const breaker = (name: string): CircuitBreakerPolicy[] => server.resilience.breakers.filter((b) => b.name === name);
  const resilient = server.resilience.mode === 'resilient';
  const total = timing.schedule.baseline + timing.schedule.inject + timing.schedule.recovery;
  const maxCalls = Math.ceil((timing.rate * total) / 1_000) + 10;
  const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;
  let purchaseSeq = 0;

  const purchases = async (i: number): Promise<void> => {
    const player = pick(players, i);
    // One idempotency key per purchase, as the game client makes it.
    const key = `drill-${o.seed ?? 0}-${server.resilience.mode}-${++purchaseSeq}-${i}`;
    expectOk('POST /shop/purchase', await sendPurchase(o.ledger, client, player.id, pick(SKUS, i), key));
  };
  const leaderboards = async (i: number): Promise<void> => {
    expectOk('GET /leaderboard', await client.leaderboard(pick(REGIONS, i), i % 3 === 0 ? BOARD_SIZES[1] : BOARD_SIZES[0]));
  };
  const manifests = async (i: number): Promise<void> => {
    expectOk('GET /assets/manifest', await client.manifest(pick(PLATFORMS, i)));
  };
  const logins = async (i: number): Promise<void> => {
    const player = pick(players, i);
    // A 401 for a player whose credentials are valid is an outage from the player's point of view.
    const answer = expectOk('POST /login', await client.login(player.id, player.accessToken, player.refreshToken), [401]);
    const renewed = (answer.body as { accessToken?: unknown }).accessToken;
    if (typeof renewed === 'string') player.accessToken = renewed; // the client keeps the refreshed token
  };

  // The shop flood: the first few players flood the shop; the load comes from the others.
  const flooders = players.slice(0, FLOOD.players);
  const others = players.slice(FLOOD.players);
  const floodKeys = `flood-${o.seed ?? 0}-${server.resilience.mode}`;
  const flood = new ShopFlood(server.url, flooders, FLOOD.ratePerPlayer, o.controller, o.flood ?? emptyFloodStats(), floodKeys, o.ledger);
  const othersPurchases = async (i: number): Promise<void> => {
    const player = pick(others, i);
    const key = `drill-${o.seed ?? 0}-${server.resilience.mode}-${++purchaseSeq}-${i}`;
    // Here a 429 fails the call: the hypothesis is that nobody but the flooders gets one.
    expectOk('POST /shop/purchase', await sendPurchase(o.ledger, client, player.id, pick(SKUS, i), key), [429]);
  };

  const shared: SharedOptions = {
    // A safety net for real drills: stop at once if more than half the players fail. The
    // run without policies has none, so that --compare measures the whole damage.
    ...(resilient ? { halt: { '*': { availability: [{ threshold: 'rate>0.5', hard: true }] } } } : {}),
    schedule: timing.schedule,
    recoveryStreak: timing.recoveryStreak,
    controller: o.controller,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.progress !== undefined ? { progress: o.progress } : {}),
  };
  const experiment = (
    id: string,
    hypothesis: string,
    fault: ExperimentFault,
    fn: (i: number) => Promise<void>,
    operation: string,
    thresholds: { availability: string; p99: string },
    breakers: readonly CircuitBreakerPolicy[],
    extra: Partial<ExperimentOptions> = {},
  ): ExperimentOptions => ({
    name: id,
    hypothesis,
    faults: [fault],
    load: { fn, rate: timing.rate, maxCalls, maxInFlight: 200, operation },
    steadyState: { '*': { availability: [thresholds.availability], latency: [thresholds.p99] } },
    ...shared,
    circuitBreakers: breakers,
    ...extra,
  });
  const latency = o.latency ?? latencyRecords();

  const all: (SuiteExperiment & { id: string })[] = [
    {
      id: 'payment-gateway-slow',
      weight: 3,
      experiment: experiment(
        'payment-gateway-slow',
        'Checkout answers within 1.5 s for 99 % of purchases and stays above 95 % available when charges take 1.5 s (median) to 8 s (p99).',
        faults.paymentGatewaySlow,
        purchases,
        'shop.purchase',
        { availability: 'rate>0.95', p99: 'p(99)<1500' },
        breaker('payment-gateway'),
      ),
    },
    {
      id: 'payment-gateway-down',
      weight: 3,
      experiment: experiment(
        'payment-gateway-down',
        'When the gateway answers 503 to every charge, purchases are accepted as pending (202) and charged once after it recovers.',
        faults.paymentGatewayDown,
        purchases,
        'shop.purchase',
        { availability: 'rate>0.95', p99: 'p(99)<1500' },
        breaker('payment-gateway'),
        // Rollback: charge what was queued, with the original idempotency keys.
        { rollbacks: [async function settlePendingPurchases() { await server.shop.settlePending(); }] },
      ),
    },
    {
      id: 'redis-flapping',
      weight: 2,
      experiment: experiment(
        'redis-flapping',
        'Leaderboards stay above 99 % available and under 300 ms (p99) while Redis refuses connections on and off.',
        faults.redisFlapping,
        leaderboards,
        'leaderboard.top',
        { availability: 'rate>0.99', p99: 'p(99)<300' },
        breaker('redis'),
      ),
    },
    {
      id: 'cdn-outage',
      weight: 2,
      experiment: experiment(
        'cdn-outage',
        'The asset manifest stays above 99 % available (served by the origin) while every CDN edge answers 503.',
        faults.cdnOutage,
        manifests,
        'assets.manifest',
        { availability: 'rate>0.99', p99: 'p(99)<800' },
        breaker('cdn-edge'),
      ),
    },
    { id: 'leaderboard-long-tail', weight: 2, experiment: longTailExperiment(o, shared, breaker('database'), latency) },
    { id: 'database-capacity-drop', weight: 2, experiment: capacityDropExperiment(o, shared, breaker('database'), latency) },
    {
      id: 'database-pool-exhausted',
      weight: 2,
      experiment: experiment(
        'database-pool-exhausted',
        'Leaderboards stay above 99 % available and under 300 ms (p99), stale if need be, while every database connection is held.',
        faults.databasePoolExhausted,
        leaderboards,
        'leaderboard.top',
        { availability: 'rate>0.99', p99: 'p(99)<300' },
        breaker('database'),
      ),
    },
    {
      id: 'social-login-token-expired',
      weight: 3,
      experiment: experiment(
        'social-login-token-expired',
        'Players keep logging in (above 95 %, p99 under 800 ms) while 3 in 10 token checks answer 401 invalid_token: the server refreshes the token and checks again.',
        faults.socialLoginTokenExpired,
        logins,
        'identity.login',
        { availability: 'rate>0.95', p99: 'p(99)<800' },
        breaker('identity-provider'),
      ),
    },
    {
      id: 'shop-flood',
      weight: 2,
      experiment: experiment(
        'shop-flood',
        `While ${FLOOD.players} players' macros flood the shop with ${FLOOD.players * FLOOD.ratePerPlayer} purchases/s, the other players' purchases stay above 95 % available and under 1.5 s (p99): only the flooders get 429s, and the payment partner never throttles us.`,
        flood,
        othersPurchases,
        'shop.purchase',
        { availability: 'rate>0.95', p99: 'p(99)<1500' },
        [],
        // Let the flood's last purchases finish before the next experiment (or the audit).
        { rollbacks: [async function drainFlood() { await flood.drain(); }] },
      ),
    },
  ];
  return all.filter((e) => o.only === undefined || o.only.includes(e.id)).map(({ weight, experiment: ex }) => ({ weight, experiment: ex }));
}
