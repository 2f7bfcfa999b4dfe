/**
 * @internal One breaker of this process in a Redis fleet: what it last published, its
 * heartbeats (one sync at a time), its lease calls, and the breaker's callbacks. Made by
 * {@link RedisBreakerFleet.joinBreaker}.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import type { BreakerFleetMember, BreakerFleetPeer, BreakerFleetReport, BreakerFleetState } from '../circuit-breaker/fleet';
import { decodeSyncReply, encodeStoredState, LEASE_SCRIPT, LEAVE_SCRIPT, RELEASE_SCRIPT, reportPayload, SYNC_SCRIPT } from './fleet-breaker-scripts';

/** @internal What a member needs from its fleet. */
export interface MemberHost {
  readonly instanceId: string;
  readonly clock: Clock;
  /** Heartbeat TTL (ms): live while the last heartbeat is younger. */
  readonly ttl: number;
  /** A sync not answered within this many ms loses the fleet. */
  readonly timeout: number;
  key(breaker: string, part: 'live' | 'reports' | 'lease'): string;
  eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  publish(payload: unknown): Promise<number>;
  /** Resolves once the fleet's subscription is confirmed (or failed). */
  ready(): Promise<unknown>;
  left(member: BreakerMember): void;
}

/** @internal */
export class BreakerMember implements BreakerFleetMember {
  readonly instanceId: string;
  private state: BreakerFleetState = { open: false, retryAfter: 0, generation: 0 };
  /** Clock time of the last publish: `retryAfter` counts from it. */
  private stateAt = 0;
  private readonly live: string;
  private readonly reports: string;
  private readonly lease: string;
  private subscribed = false;
  private inFlight = false;
  private sentAt = 0;
  private again = false;
  private timedOut = false;
  private gone = false;

  constructor(
    private readonly host: MemberHost,
    /** The breaker's name. */
    readonly name: string,
    private readonly peer: BreakerFleetPeer,
  ) {
    this.instanceId = host.instanceId;
    this.live = host.key(name, 'live');
    this.reports = host.key(name, 'reports');
    this.lease = host.key(name, 'lease');
  }

  /** Starts: the first sync once the fleet hears the channel, so no report falls between the two. */
  joined(): void {
    this.host.ready().then(
      () => this.first(),
      () => this.first(),
    );
  }

  publish(state: BreakerFleetState): void {
    if (this.gone) return;
    this.state = state;
    this.stateAt = this.host.clock.now();
    this.host.publish(reportPayload(this.name, state, state.retryAfter)).catch((error: unknown) => this.lose(error));
    this.sync();
  }

  acquireLease(ttl: number): Promise<boolean> {
    return this.host.eval(LEASE_SCRIPT, [this.lease], [this.instanceId, Math.max(1, Math.ceil(ttl))]).then((r) => r === 1);
  }

  releaseLease(): void {
    if (this.gone) return;
    this.host.eval(RELEASE_SCRIPT, [this.lease], [this.instanceId]).catch(() => undefined); // it expires anyway
  }

  leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.host.left(this);
    this.host.eval(LEAVE_SCRIPT, [this.live, this.reports, this.lease], [this.instanceId]).catch(() => undefined);
  }

  // ------------------------------------------------------------------ from the fleet

  /** Writes this instance's report and heartbeat, and hands the live instances' reports to the breaker. One at a time. */
  sync(): void {
    if (this.gone || !this.subscribed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.again = false;
    const now = this.host.clock.now();
    this.sentAt = now;
    const s = this.state;
    const value = encodeStoredState(s, s.open ? s.retryAfter - (now - this.stateAt) : 0);
    this.host.eval(SYNC_SCRIPT, [this.live, this.reports], [this.instanceId, value, Math.ceil(this.host.ttl)]).then(
      (reply) => {
        this.inFlight = false;
        this.timedOut = false;
        const reports = decodeSyncReply(reply, this.instanceId);
        if (reports === undefined) this.lose(new Error('redis breaker fleet: a sync reply of an unexpected shape'));
        else if (!this.gone) this.peer.sync(reports);
        if (this.again) this.sync();
      },
      (error: unknown) => {
        this.inFlight = false;
        this.lose(error);
      },
    );
  }

  /** A heartbeat: sync, or, when the last sync has been unanswered for `timeout` ms, lose the fleet. */
  beat(now: number): void {
    if (!this.inFlight) {
      this.sync();
      return;
    }
    if (!this.timedOut && now - this.sentAt >= this.host.timeout) {
      this.timedOut = true;
      this.lose(new Error(`redis breaker fleet: no answer from Redis within ${this.host.timeout} ms`));
    }
  }

  receive(report: BreakerFleetReport): void {
    if (!this.gone) this.peer.receive(report);
  }

  lose(error: unknown): void {
    if (!this.gone) this.peer.lost(error);
  }

  private first(): void {
    this.subscribed = true;
    this.sync();
  }
}
