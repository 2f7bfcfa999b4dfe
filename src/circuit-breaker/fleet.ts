/**
 * The fleet seam of the circuit breaker: how breakers of the same name on several
 * instances (processes) share what they see, through a backend the user plugs in as
 * `coordinator` (`redisBreakerFleet()` from `breakwater/redis`, or their own).
 *
 * The breaker knows nothing of the backend: it joins a {@link BreakerFleet} by name and
 * gets a {@link BreakerFleetMember} to publish its own state and take the fleet's probe
 * lease; the backend calls the breaker's {@link BreakerFleetPeer} back with what the other
 * instances report. The backend never runs on a call's path: publishing is fire and
 * forget, and the fleet's state reaches the breaker through these callbacks.
 *
 * The rules (quorum, generations, lease) live in the breaker, so every backend behaves the
 * same; a backend only carries reports, keeps the last report of each live instance, and
 * grants one lease at a time.
 *
 * @packageDocumentation
 */

/**
 * What one instance says about its breaker, as it publishes it. The backend adds the
 * instance's id (see {@link BreakerFleetReport}).
 *
 * @example
 * ```ts
 * const state: BreakerFleetState = { open: true, retryAfter: 30_000, generation: 4 };
 * ```
 */
export interface BreakerFleetState {
  /**
   * True when the instance's own breaker is open or half-open because of what its own calls
   * saw (its trip rule, or its own failed probe). A breaker opened by the fleet, isolated by
   * hand or closed reports `false`: only first-hand evidence counts towards the quorum.
   */
  readonly open: boolean;
  /**
   * For an open report: ms until the instance admits a probe, as of the moment the report
   * is delivered (a backend that stores reports subtracts the time they spent stored); 0
   * when the break is over (the instance is half-open, waiting for the fleet's probe). 0
   * for a closed report.
   */
  readonly retryAfter: number;
  /**
   * The fleet generation the report belongs to: every probe that succeeds under the fleet's
   * lease closes the breaker fleet-wide and starts the next generation. A report of an older
   * generation than the reader's is stale (made before a recovery the reader knows of) and
   * counts as closed; a newer one tells the reader it missed a recovery.
   */
  readonly generation: number;
  /**
   * Set on the report that follows a probe run under the fleet's lease: `'succeeded'` (the
   * report is closed, at the next generation: every instance closes) or `'failed'` (the
   * report is open with the prober's new break: every instance waiting for that probe opens
   * again for as long).
   */
  readonly probe?: 'succeeded' | 'failed' | undefined;
}

/**
 * A report as the backend delivers it: a {@link BreakerFleetState} and the id of the
 * instance that made it. Reports come from outside the process: the breaker checks each
 * one with {@link isBreakerFleetReport} and ignores any that does not pass.
 *
 * @example
 * ```ts
 * peer.receive({ instance: 'game-7f3a', open: true, retryAfter: 25_000, generation: 4 });
 * ```
 */
export interface BreakerFleetReport extends BreakerFleetState {
  /** The reporting instance (unique in the fleet; never the receiving instance's own id). */
  readonly instance: string;
}

/**
 * What a breaker gets when it joins a fleet: its voice in the fleet. No method may throw or
 * block: a backend that fails tells the breaker through {@link BreakerFleetPeer.lost}.
 *
 * @example
 * ```ts
 * // The shape of a backend's member (here one that keeps nothing: a fleet of one).
 * const alone: BreakerFleetMember = {
 *   instanceId: 'solo',
 *   publish: () => {},
 *   acquireLease: async () => true,
 *   releaseLease: () => {},
 *   leave: () => {},
 * };
 * ```
 */
export interface BreakerFleetMember {
  /** This instance's id in the fleet. */
  readonly instanceId: string;
  /**
   * Publishes this instance's state: the backend stores it as this instance's last report
   * (kept while the instance is live), delivers it to the other members of the breaker and
   * re-asserts it as long as the instance lives. Fire and forget.
   */
  publish(state: BreakerFleetState): void;
  /**
   * Asks for the fleet's probe lease of this breaker for `ttl` ms: granted (`true`) when no
   * other instance holds it; when this instance holds it already, extends it to `ttl` ms from
   * now. Only one instance holds it at a time; it expires after `ttl` ms unless extended or
   * released, so a prober that dies cannot block the fleet. Rejects (or resolves `false`)
   * when the backend cannot answer.
   */
  acquireLease(ttl: number): PromiseLike<boolean>;
  /** Gives the lease back if this instance holds it. Fire and forget. */
  releaseLease(): void;
  /** Leaves the fleet: withdraws this instance's report, stops its heartbeats and callbacks. Idempotent. */
  leave(): void;
}

/**
 * What the backend calls on a breaker that joined. The breaker never throws out of these
 * (an error inside is reported through `onCallbackError`).
 *
 * @example
 * ```ts
 * // In a backend: deliver the stored reports on join and on each heartbeat, and losses.
 * store.readLiveReports(name).then((reports) => peer.sync(reports), (error) => peer.lost(error));
 * ```
 */
export interface BreakerFleetPeer {
  /**
   * The full picture: the last report of every *other* live instance of this breaker. Called
   * once the member has joined (this is how a new instance learns the fleet's state), then
   * whenever the backend refreshes its view of who is live (its heartbeats), and after it
   * reconnects (resync). An instance missing from it is no longer live.
   */
  sync(reports: readonly BreakerFleetReport[]): void;
  /** One report another instance just published. */
  receive(report: BreakerFleetReport): void;
  /**
   * The backend lost the fleet (connection closed, a command failed or timed out): the
   * breaker works alone until the next {@link BreakerFleetPeer.sync}.
   */
  lost(error: unknown): void;
}

/**
 * A fleet the breaker can join: the `coordinator` option of {@link circuitBreaker}. The
 * `redisBreakerFleet(coordinator)` of `breakwater/redis` is one; any object with this method is.
 *
 * @example
 * ```ts
 * import { redisBreakerFleet, redisCoordinator } from 'breakwater/redis';
 * const fleet = redisBreakerFleet(redisCoordinator({ client: new Redis() }));
 * const breaker = circuitBreaker({ name: 'payment-gateway', coordinator: fleet, quorum: 2 });
 * ```
 */
export interface BreakerFleet {
  /**
   * Joins the fleet of breakers named `name`; `peer` receives what the fleet says. Must not
   * call `peer` before it returns (deliver asynchronously), and must not wait on the network.
   * Throws only for a programming error (a closed fleet, a name this instance already
   * joined): the breaker's construction then fails with that error.
   */
  joinBreaker(name: string, peer: BreakerFleetPeer): BreakerFleetMember;
}

/**
 * How many instances must report a breaker open (first-hand) for the others to open it:
 * an integer ≥ 1 (a count), or a number in (0, 1) (a fraction of the live instances, this
 * one included). `1` is the count 1: a fraction of 1 could never be met, since the instance
 * that decides has not opened itself.
 *
 * @example
 * ```ts
 * const twoInstances: FleetQuorum = 2;
 * const aThird: FleetQuorum = 0.34;
 * ```
 */
export type FleetQuorum = number;

/** Largest generation and retryAfter accepted from a report (beyond: malformed). */
const MAX_GENERATION = Number.MAX_SAFE_INTEGER;
/** A break longer than a year is not a break anyone configured: the report is malformed. */
const MAX_RETRY_AFTER = 365 * 24 * 3_600_000;
/** Longest instance id accepted from a report. */
const MAX_INSTANCE_LENGTH = 256;

/**
 * True when `value` is a well-formed {@link BreakerFleetReport}: an own plain object with a
 * non-empty `instance` (≤ 256 chars), a boolean `open`, a `retryAfter` in [0, 1 year] ms
 * (0 unless open), an integer `generation` ≥ 0 and `probe` absent or one of
 * `'succeeded'` / `'failed'` (a succeeded probe is closed, a failed one open). Anything
 * else, including extra keys, is rejected: the report came from outside the process.
 *
 * @example
 * ```ts
 * isBreakerFleetReport({ instance: 'a', open: true, retryAfter: 1_000, generation: 0 }); // true
 * isBreakerFleetReport({ instance: 'a', open: 'yes' }); // false
 * ```
 */
export function isBreakerFleetReport(value: unknown): value is BreakerFleetReport {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (key !== 'instance' && key !== 'open' && key !== 'retryAfter' && key !== 'generation' && key !== 'probe') return false;
  }
  const { instance, open, retryAfter, generation, probe } = r;
  if (typeof instance !== 'string' || instance.length === 0 || instance.length > MAX_INSTANCE_LENGTH) return false;
  if (typeof open !== 'boolean') return false;
  if (typeof retryAfter !== 'number' || !(retryAfter >= 0 && retryAfter <= MAX_RETRY_AFTER)) return false;
  if (!open && retryAfter !== 0) return false;
  if (!Number.isInteger(generation) || (generation as number) < 0 || (generation as number) > MAX_GENERATION) return false;
  if (probe !== undefined && !((probe === 'succeeded' && !open) || (probe === 'failed' && open))) return false;
  return true;
}

/**
 * The quorum rule: how many instances must report the breaker open (first-hand) for an
 * instance to open it by the fleet, when `live` instances are live (this one included).
 *
 * - A count `q` (an integer ≥ 1) needs `q` instances, whatever the size of the fleet: with
 *   fewer than `q` live instances the fleet never opens anyone (each breaker still opens by
 *   its own calls).
 * - A fraction `f` in (0, 1) needs the smallest `k ≥ 1` with `k / live ≥ f`.
 *
 * `1` is a count (one instance suffices), as is every integer; a fraction is any other
 * number in (0, 1).
 *
 * @example
 * ```ts
 * requiredReports(2, 50);   // 2
 * requiredReports(0.5, 4);  // 2
 * requiredReports(0.3, 10); // 3
 * ```
 */
export function requiredReports(quorum: FleetQuorum, live: number): number {
  if (Number.isInteger(quorum)) return quorum;
  const n = Math.max(1, live);
  let k = Math.max(1, Math.ceil(quorum * n));
  // quorum · n may round up past an exact integer (0.3 · 10 = 3.0000000000000004).
  while (k > 1 && (k - 1) / n >= quorum) k--;
  return k;
}

/**
 * True for a valid `quorum` option: an integer ≥ 1 or a finite number in (0, 1).
 *
 * @example
 * ```ts
 * isFleetQuorum(2);   // true
 * isFleetQuorum(0.5); // true
 * isFleetQuorum(1.5); // false
 * ```
 */
export function isFleetQuorum(value: unknown): value is FleetQuorum {
  return typeof value === 'number' && Number.isFinite(value) && (Number.isInteger(value) ? value >= 1 : value > 0 && value < 1);
}

/**
 * True for an object that can be a breaker's `coordinator`: it has a `joinBreaker` function.
 *
 * @example
 * ```ts
 * isBreakerFleet(redisBreakerFleet(coordinator)); // true
 * isBreakerFleet({ consume() {} });               // false: a rate-limit store
 * ```
 */
export function isBreakerFleet(value: unknown): value is BreakerFleet {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { joinBreaker?: unknown }).joinBreaker === 'function'
  );
}
