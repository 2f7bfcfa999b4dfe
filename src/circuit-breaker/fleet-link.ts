/**
 * @internal The breaker's side of a fleet: what the other instances report, the quorum
 * rule, the fleet generation, the probe lease and the link's status. The breaker calls it on
 * its own transitions and before a probe; the backend calls it (as the breaker's
 * {@link BreakerFleetPeer}) with the fleet's reports. Nothing here waits on the backend: the
 * fleet's answers arrive as callbacks and change the breaker then.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import { reportInternalError } from '../core/report';
import type { CircuitOpenReason, CircuitState } from './events';
import {
  isBreakerFleetReport,
  requiredReports,
  type BreakerFleet,
  type BreakerFleetMember,
  type BreakerFleetPeer,
  type BreakerFleetReport,
  type BreakerFleetState,
  type FleetQuorum,
} from './fleet';

/**
 * Where the link stands: `joining` (no picture of the fleet yet), `synced`, or `degraded`
 * (the fleet is unreachable: the breaker works alone).
 *
 * @example
 * ```ts
 * const status: FleetStatus | undefined = breaker.stats.fleet?.status;
 * ```
 */
export type FleetStatus = 'joining' | 'synced' | 'degraded';

/**
 * The fleet part of a fleet-aware breaker's `stats` (see `CircuitBreakerStats.fleet`).
 *
 * @example
 * ```ts
 * const { fleet } = breaker.stats;
 * if (fleet?.status === 'degraded') log.warn('payments breaker works alone: Redis is unreachable');
 * ```
 */
export interface CircuitFleetStats {
  /** `joining` until the fleet's state first arrives, `synced`, or `degraded` while the backend is unreachable (the breaker works alone). */
  readonly status: FleetStatus;
  /** This instance's id in the fleet. */
  readonly instanceId: string;
  /** Live instances of this breaker, this one included (as of the last report). */
  readonly instances: number;
  /** Live instances whose own breaker is open (first-hand), this one included. */
  readonly open: number;
  /** Reports of open needed for the fleet to open this instance (the quorum rule at `instances`). */
  readonly required: number;
  /** True while this instance is open because the fleet reached its quorum, not because of its own calls. */
  readonly openedByFleet: boolean;
  /** True while this instance holds the fleet's probe lease. */
  readonly leaseHeld: boolean;
  /** The fleet generation: successful fleet probes so far, as far as this instance knows. */
  readonly generation: number;
}

/** What the link needs from its breaker. */
export interface FleetHost {
  readonly name: string;
  readonly clock: Clock;
  /** The breaker's state at `now`, without applying anything. */
  stateAt(now: number): CircuitState;
  /** Ms left of the breaker's break at `now` (0 unless open). */
  breakLeft(now: number): number;
  /** The fleet reached its quorum (from closed) or a fleet probe failed (from half-open): open for `retryAfter` ms. */
  openByFleet(retryAfter: number): void;
  /** A fleet probe failed while this breaker is still open: stay open at least until `until`. */
  holdOpenUntil(until: number): void;
  /** A fleet probe succeeded: close (from open or half-open). */
  closeByFleet(): void;
  /** Emits an event that belongs to no call. */
  emitFleet(payload: { type: 'fleet-degraded'; error: unknown } | { type: 'fleet-synced'; instances: number; open: number; restored: boolean }): void;
}

/** What the link knows of one other instance. */
interface Entry {
  readonly open: boolean;
  /** Clock time at which its break ends (open only). */
  readonly until: number;
  readonly generation: number;
}

/** Reasons an instance opens on its own evidence (its own calls). */
const FIRST_HAND: ReadonlySet<CircuitOpenReason> = new Set(['failures', 'failure-rate', 'slow-call-rate', 'probe-failed']);

/** At most one lease request per this many ms while another instance probes (a dead prober's lease expires on its own). */
const LEASE_RETRY_INTERVAL = 1_000;

/** @internal */
export class FleetLink implements BreakerFleetPeer {
  private status: FleetStatus = 'joining';
  private readonly member: BreakerFleetMember;
  private readonly others = new Map<string, Entry>();
  private generation = 0;
  /** This instance's breaker is open (or half-open) because of its own calls. */
  // Stryker disable next-line BooleanLiteral: the constructor sets it from `openAtStart` before anything reads it
  private evidence = false;
  /** The last opening was the fleet's. */
  private fleetOpened = false;
  private last: BreakerFleetState | undefined;
  private leaseHeld = false;
  private leaseUntil = 0;
  /** Bumped by each lease request: an answer to an older request is ignored. */
  private leaseToken = 0;
  private leasePending = false;
  /** When the last lease request was sent (or denied): the next waits {@link FleetLink.retryGap}. */
  private leaseAskedAt = Number.NEGATIVE_INFINITY;
  private retryGap = 0;
  private left = false;

  constructor(
    private readonly host: FleetHost,
    fleet: BreakerFleet,
    private readonly quorum: FleetQuorum,
    /** The lease's time to live: the breaker's probe timeout. */
    private readonly leaseTtl: number,
    openAtStart: boolean,
  ) {
    this.evidence = openAtStart;
    // A backend that cannot even join (closed, a duplicate name) is a programming error: it throws to the constructor.
    this.member = fleet.joinBreaker(host.name, this);
    // Stryker disable next-line BooleanLiteral: the first publish: nothing was published yet, so it goes out with or without force
    this.publishOwn(undefined, true);
  }

  /** This instance's id in the fleet. */
  get instanceId(): string {
    const id: unknown = this.member.instanceId;
    return typeof id === 'string' ? id : '';
  }

  stats(now: number): CircuitFleetStats {
    const live = 1 + this.others.size;
    return {
      status: this.status,
      instanceId: this.instanceId,
      instances: live,
      open: this.countOpen() + (this.evidence ? 1 : 0),
      required: requiredReports(this.quorum, live),
      openedByFleet: this.fleetOpened && !this.evidence,
      leaseHeld: this.holdsLease(now),
      generation: this.generation,
    };
  }

  // ------------------------------------------------------------ called by the breaker

  /**
   * The breaker is half-open and about to admit a probe: true when it may (it holds the
   * fleet's lease, or works alone: the fleet is unreachable, or it left the fleet).
   * Otherwise asks for the lease (at most once per interval) and answers false: the call is
   * rejected, the answer comes later.
   */
  mayProbe(now: number): boolean {
    if (this.left || this.status === 'degraded') return true;
    if (this.holdsLease(now)) return true;
    this.leaseHeld = false;
    if (now - this.leaseAskedAt >= this.retryGap) this.askLease(now, LEASE_RETRY_INTERVAL);
    return false;
  }

  /** A probe started under the lease: extend the lease so it covers the probe's whole timeout. */
  probeStarted(now: number): void {
    if (this.leaseHeld && this.status !== 'degraded') this.askLease(now, this.leaseTtl);
  }

  /** The breaker opened (its break is set). */
  opened(reason: CircuitOpenReason): void {
    const probed = reason === 'probe-failed' && this.leaseHeld;
    if (FIRST_HAND.has(reason)) this.evidence = true;
    else if (reason === 'isolated') this.evidence = false;
    this.fleetOpened = reason === 'fleet';
    this.releaseLease();
    this.publishOwn(probed ? 'failed' : undefined);
  }

  /** The fleet made the breaker's break longer: an open report says how long now. */
  breakExtended(): void {
    this.publishOwn(undefined);
  }

  /** The breaker closed (`probes-succeeded`, `reset` or `fleet`). */
  closed(reason: string): void {
    const probed = reason === 'probes-succeeded' && this.leaseHeld && this.status !== 'degraded';
    this.evidence = false;
    this.fleetOpened = false;
    if (probed) this.generation++;
    this.releaseLease();
    this.publishOwn(probed ? 'succeeded' : undefined);
  }

  /** Leaves the fleet (idempotent). */
  leave(): void {
    if (this.left) return;
    this.left = true;
    this.releaseLease();
    this.others.clear();
    try {
      this.member.leave();
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.host.name}" fleet leave`);
    }
  }

  // ------------------------------------------------------------ called by the backend

  sync(reports: readonly BreakerFleetReport[]): void {
    if (this.left) return;
    this.guard('sync', () => {
      const now = this.host.clock.now();
      const wasStatus = this.status;
      const valid = Array.isArray(reports) ? reports.filter((r) => this.acceptable(r)) : [];
      let top = this.generation;
      for (const r of valid) if (r.generation > top) top = r.generation;
      // Joining, a newer generation is simply the fleet's; after a loss, it is a recovery we missed.
      if (top > this.generation) {
        if (wasStatus === 'joining') this.generation = top;
        else this.recover(top);
      }
      this.others.clear();
      for (const r of valid) this.others.set(r.instance, this.entryOf(r, now));
      this.status = 'synced';
      if (wasStatus !== 'synced') {
        this.retryGap = 0;
        this.publishOwn(undefined, true);
        this.host.emitFleet({ type: 'fleet-synced', instances: 1 + this.others.size, open: this.countOpen() + (this.evidence ? 1 : 0), restored: wasStatus === 'degraded' });
      }
      this.evaluate(now);
    });
  }

  receive(report: BreakerFleetReport): void {
    if (this.left || this.status === 'degraded') return;
    this.guard('message', () => {
      if (!this.acceptable(report)) return;
      const now = this.host.clock.now();
      if (report.generation > this.generation) this.recover(report.generation);
      this.others.set(report.instance, this.entryOf(report, now));
      if (report.probe === 'failed' && report.generation === this.generation) this.probeFailedElsewhere(report.retryAfter, now);
      this.evaluate(now);
    });
  }

  lost(error: unknown): void {
    if (this.left || this.status === 'degraded') return;
    this.guard('lost', () => {
      this.status = 'degraded';
      this.leaseToken++;
      this.leasePending = false;
      this.leaseHeld = false;
      this.host.emitFleet({ type: 'fleet-degraded', error });
    });
  }

  // ------------------------------------------------------------ the rules

  /** A report from another instance that passes the checks (a malformed or own one is ignored). */
  private acceptable(r: unknown): r is BreakerFleetReport {
    return isBreakerFleetReport(r) && r.instance !== this.instanceId;
  }

  private entryOf(r: BreakerFleetReport, now: number): Entry {
    return { open: r.open, until: r.open ? now + r.retryAfter : 0, generation: r.generation };
  }

  /** Other live instances whose own breaker is open, in the current generation. */
  private countOpen(): number {
    let n = 0;
    for (const e of this.others.values()) if (e.open && e.generation === this.generation) n++;
    return n;
  }

  /** The quorum rule: a closed breaker opens by the fleet when enough others report open first-hand. */
  private evaluate(now: number): void {
    if (this.status !== 'synced') return;
    if (this.host.stateAt(now) !== 'closed') return;
    const open = this.countOpen();
    if (open === 0 || open < requiredReports(this.quorum, 1 + this.others.size)) return;
    let until = now;
    for (const e of this.others.values()) if (e.open && e.generation === this.generation && e.until > until) until = e.until;
    this.host.openByFleet(until - now);
  }

  /** A probe run under the lease succeeded somewhere (generation `g` began): close, whatever this breaker saw. */
  private recover(g: number): void {
    this.generation = g;
    const st = this.host.stateAt(this.host.clock.now());
    if (st === 'open' || st === 'half-open') this.host.closeByFleet();
  }

  /** The prober of this generation failed: whoever waits for it opens again for as long as the prober. */
  private probeFailedElsewhere(retryAfter: number, now: number): void {
    const st = this.host.stateAt(now);
    if (st === 'half-open') this.host.openByFleet(retryAfter);
    else if (st === 'open') this.host.holdOpenUntil(now + retryAfter);
  }

  // ------------------------------------------------------------ publishing and the lease

  /** Publishes this instance's state (unless it is what it published last, and neither a probe result nor `force`d). */
  private publishOwn(probe: 'succeeded' | 'failed' | undefined, force = false): void {
    const member = this.member;
    if (this.left) return;
    const open = this.evidence;
    const state: BreakerFleetState = {
      open,
      retryAfter: open ? this.host.breakLeft(this.host.clock.now()) : 0,
      generation: this.generation,
      ...(probe === undefined ? {} : { probe }),
    };
    const last = this.last;
    if (!force && probe === undefined && last !== undefined && last.open === state.open && last.retryAfter === state.retryAfter && last.generation === state.generation) return;
    this.last = state;
    try {
      member.publish(state);
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.host.name}" fleet publish`);
    }
  }

  private holdsLease(now: number): boolean {
    return this.leaseHeld && now < this.leaseUntil;
  }

  /** Sends a lease request (a first one, or an extension); the next waits `gap` ms. */
  private askLease(now: number, gap: number): void {
    const member = this.member;
    const token = ++this.leaseToken;
    this.leasePending = true;
    this.leaseAskedAt = now;
    this.retryGap = gap;
    let answer: PromiseLike<boolean>;
    try {
      answer = member.acquireLease(this.leaseTtl);
    } catch (error) {
      // Stryker disable next-line BooleanLiteral: lost() below clears it too (askLease never runs while degraded or after leaving, so lost() does not return early)
      this.leasePending = false;
      this.lost(error);
      return;
    }
    Promise.resolve(answer).then(
      (granted) => this.leaseAnswered(token, granted === true, now),
      (error: unknown) => {
        if (token !== this.leaseToken) return;
        // Stryker disable next-line BooleanLiteral: lost() below clears it too (a current token means neither lost() nor leave() came since the request, so lost() does not return early)
        this.leasePending = false;
        this.lost(error);
      },
    );
  }

  /** The answer to lease request `token`, sent at `askedAt`: the lease runs from then (never later than the backend's). */
  private leaseAnswered(token: number, granted: boolean, askedAt: number): void {
    if (token !== this.leaseToken || this.left) return;
    this.guard('lease', () => {
      this.leasePending = false;
      const now = this.host.clock.now();
      if (!granted) {
        this.leaseHeld = false;
        this.leaseAskedAt = now;
        this.retryGap = LEASE_RETRY_INTERVAL;
        return;
      }
      // Never true today: every transition out of half-open and every loss bumps the token (releaseLease(), lost()), so a current answer finds the breaker half-open and not degraded.
      // Stryker disable next-line LogicalOperator,BlockStatement: unreachable (above); kept as a guard should a transition ever skip releaseLease()
      if (this.status === 'degraded' || this.host.stateAt(now) !== 'half-open') {
        // Stryker disable next-line BooleanLiteral: unreachable (above)
        this.leaseHeld = true;
        this.releaseLease(); // no longer wanted
        return;
      }
      this.leaseHeld = true;
      this.leaseUntil = askedAt + this.leaseTtl;
    });
  }

  private releaseLease(): void {
    if (this.leasePending) {
      // An answer still on its way is not wanted any more; a granted one would be released by leaseAnswered.
      this.leaseToken++;
      this.leasePending = false;
      this.tryRelease();
    }
    if (!this.leaseHeld) return;
    this.leaseHeld = false;
    this.tryRelease();
  }

  private tryRelease(): void {
    try {
      this.member.releaseLease();
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.host.name}" fleet releaseLease`);
    }
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.host.name}" fleet ${what}`);
    }
  }
}
