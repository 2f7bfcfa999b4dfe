/**
 * An in-memory fleet for the unit and property tests of the fleet-aware breaker: several
 * "instances" in one process, on one VirtualClock, with the same contract as the Redis
 * backend (the last report of each live instance, delivered to the others asynchronously;
 * one probe lease at a time, `SET NX PX` semantics on the virtual clock). A test helper
 * (test/support/), never part of the package; the Redis tests use a real redis-server.
 *
 * Tests drive what a network does: `disconnect(id)` / `reconnect(id)` (the instance loses
 * and resyncs its fleet), `kill(id)` (it stops heartbeating: the others drop it at their
 * next sync), `inject(name, raw)` (deliver anything to every member, as a hostile or buggy
 * peer would).
 */
import type {
  BreakerFleet,
  BreakerFleetMember,
  BreakerFleetPeer,
  BreakerFleetReport,
  BreakerFleetState,
} from '../../src/circuit-breaker/fleet';
import type { VirtualClock } from '../../src/testing/virtual-clock';

interface Stored {
  readonly state: BreakerFleetState;
  /** Clock time the report was made. */
  readonly at: number;
}

interface Joined {
  readonly instance: string;
  readonly name: string;
  readonly peer: BreakerFleetPeer;
  left: boolean;
}

/** What the fleet saw, for assertions. */
export interface FleetLogEntry {
  readonly instance: string;
  readonly name: string;
  readonly kind: 'publish' | 'lease-granted' | 'lease-denied' | 'lease-released';
  readonly state?: BreakerFleetState;
  readonly time: number;
}

/** @internal */
export class MemoryFleet {
  private readonly members: Joined[] = [];
  private readonly reports = new Map<string, Map<string, Stored>>();
  private readonly leases = new Map<string, { holder: string; until: number }>();
  private readonly down = new Set<string>();
  readonly log: FleetLogEntry[] = [];

  constructor(readonly clock: VirtualClock) {}

  /** The coordinator of instance `id`: pass it as a breaker's `coordinator`. */
  instance(id: string): BreakerFleet {
    return { joinBreaker: (name, peer) => this.join(id, name, peer) };
  }

  /** Instance `id` loses the fleet: its breakers hear `lost`, its publishes and lease requests fail. */
  disconnect(id: string): void {
    this.down.add(id);
    for (const m of this.live(id)) this.later(() => m.peer.lost(new Error(`instance ${id} disconnected`)));
  }

  /** Instance `id` is back: its breakers get a full sync. */
  reconnect(id: string): void {
    this.down.delete(id);
    for (const m of this.live(id)) this.later(() => this.syncOne(m));
  }

  /** Instance `id` dies: its reports and lease stay until they expire; the others drop it at the next sync. */
  kill(id: string): void {
    for (const m of this.members) if (m.instance === id) m.left = true;
    for (const reports of this.reports.values()) reports.delete(id);
  }

  /** Delivers a full sync to every live member (a heartbeat round). */
  syncAll(): void {
    for (const m of this.members) if (!m.left && !this.down.has(m.instance)) this.later(() => this.syncOne(m));
  }

  /** Delivers `raw` as a report to every member of breaker `name` (no checks: the breaker must check). */
  inject(name: string, raw: unknown): void {
    for (const m of this.members) if (!m.left && m.name === name) this.later(() => m.peer.receive(raw as BreakerFleetReport));
  }

  /** Delivers `raws` as the full picture to every member of breaker `name`. */
  injectSync(name: string, raws: readonly unknown[]): void {
    for (const m of this.members) if (!m.left && m.name === name) this.later(() => m.peer.sync(raws as BreakerFleetReport[]));
  }

  /** Who holds the lease of `name` now. */
  leaseHolder(name: string): string | undefined {
    const l = this.leases.get(name);
    return l !== undefined && l.until > this.clock.now() ? l.holder : undefined;
  }

  /** The last report of every live instance of `name`. */
  reportsOf(name: string): ReadonlyMap<string, Stored> {
    return this.reports.get(name) ?? new Map();
  }

  private live(id: string): Joined[] {
    return this.members.filter((m) => m.instance === id && !m.left);
  }

  private join(instance: string, name: string, peer: BreakerFleetPeer): BreakerFleetMember {
    const me: Joined = { instance, name, peer, left: false };
    this.members.push(me);
    const table = (): Map<string, Stored> => {
      let t = this.reports.get(name);
      if (t === undefined) this.reports.set(name, (t = new Map()));
      return t;
    };
    this.later(() => this.syncOne(me));
    return {
      instanceId: instance,
      publish: (state) => {
        if (me.left || this.down.has(instance)) return;
        const now = this.clock.now();
        table().set(instance, { state, at: now });
        this.log.push({ instance, name, kind: 'publish', state, time: now });
        for (const m of this.members) {
          if (m !== me && !m.left && m.name === name && m.instance !== instance && !this.down.has(m.instance)) {
            this.later(() => m.peer.receive({ instance, ...state, retryAfter: this.remaining(state, now) }));
          }
        }
      },
      acquireLease: (ttl) => {
        if (this.down.has(instance)) return Promise.reject(new Error(`instance ${instance} disconnected`));
        const now = this.clock.now();
        const l = this.leases.get(name);
        const granted = l === undefined || l.until <= now || l.holder === instance;
        if (granted) this.leases.set(name, { holder: instance, until: now + ttl });
        this.log.push({ instance, name, kind: granted ? 'lease-granted' : 'lease-denied', time: now });
        return Promise.resolve(granted);
      },
      releaseLease: () => {
        const l = this.leases.get(name);
        if (l !== undefined && l.holder === instance && !this.down.has(instance)) {
          this.leases.delete(name);
          this.log.push({ instance, name, kind: 'lease-released', time: this.clock.now() });
        }
      },
      leave: () => {
        me.left = true;
        table().delete(instance);
      },
    };
  }

  private remaining(state: BreakerFleetState, at: number): number {
    return state.open ? Math.max(0, state.retryAfter - (this.clock.now() - at)) : 0;
  }

  private syncOne(m: Joined): void {
    if (m.left || this.down.has(m.instance)) return;
    const out: BreakerFleetReport[] = [];
    for (const [instance, s] of this.reportsOf(m.name)) {
      if (instance !== m.instance) out.push({ instance, ...s.state, retryAfter: this.remaining(s.state, s.at) });
    }
    m.peer.sync(out);
  }

  private later(fn: () => void): void {
    queueMicrotask(fn);
  }
}
