/**
 * Fleet chaos on Redis: the controllers of this process in the fleet and the fleet view —
 * what the fleet does to them (halt, hold, release, switch) and what they announce. The Redis
 * side (`fleet-chaos.ts`) decides when; this table does it and keeps the rows.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import type { ChaosFleetAnnouncement, ChaosFleetMember, ChaosFleetSwitch } from '../chaos/fleet';
import type { ChaosFleetMemberView, FleetChaosEventPayload } from './fleet-chaos-events';

/** @internal One controller of this process in the fleet. */
export interface Joined {
  readonly id: string;
  readonly member: ChaosFleetMember;
  /** When it joined (a counter): a read of the flag that began earlier says nothing about it. */
  readonly since: number;
  /** The fleet confirmed it (released its joining hold, or halted it) after reading the flag. */
  confirmed: boolean;
  /** A halt reached it: no flag or message needs to halt it again (re-arming makes a new member). */
  halted: boolean;
  /** Its last announced row, without `expiresIn` (to announce changes only). */
  lastRow: string | undefined;
}

/** @internal The controllers of this process and the rows of the fleet view. */
export class LocalMembers {
  private readonly joined = new Map<ChaosFleetMember, Joined>();
  private readonly view = new Map<string, ChaosFleetMemberView>();
  private joins = 0;

  constructor(
    private readonly instanceId: string,
    private readonly clock: Clock,
    /** Holds every member while Redis is unreachable (`whileDisconnected: 'hold'`), else only unconfirmed ones. */
    private readonly holdAll: boolean,
    private readonly emit: (event: FleetChaosEventPayload) => void,
    /** Publishes a member's row (`state`). */
    private readonly publishRow: (row: Record<string, unknown>) => void,
  ) {}

  get size(): number {
    return this.joined.size;
  }

  /** The latest join so far: a flag read that begins now covers the members up to it. */
  get generation(): number {
    return this.joins;
  }

  /** The member's entry while it is in the fleet. */
  get(member: ChaosFleetMember): Joined | undefined {
    return this.joined.get(member);
  }

  all(): Joined[] {
    return [...this.joined.values()];
  }

  add(member: ChaosFleetMember): Joined {
    const taken = new Set(this.all().map((j) => j.id));
    let id = this.instanceId;
    for (let n = 2; taken.has(id); n++) id = `${this.instanceId}#${n}`;
    const j: Joined = { id, member, since: ++this.joins, confirmed: false, halted: false, lastRow: undefined };
    this.joined.set(member, j);
    return j;
  }

  /** Removes the member and its row; true when it was there. */
  remove(j: Joined): boolean {
    if (this.joined.get(j.member) !== j) return false;
    this.joined.delete(j.member);
    if (this.view.delete(j.id)) this.emit({ type: 'member-left', member: j.id, local: true });
    return true;
  }

  clear(): void {
    this.joined.clear();
    this.view.clear();
  }

  /** The fleet view, sorted by member id. */
  rows(): readonly ChaosFleetMemberView[] {
    return [...this.view.values()].sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  }

  /** Forgets the other instances' rows (before a roll call). */
  forgetRemote(): void {
    for (const [id, row] of this.view) if (!row.local) this.view.delete(id);
  }

  /** Another instance's member left. */
  removeRemote(member: string): void {
    const row = this.view.get(member);
    if (row !== undefined && !row.local && this.view.delete(member)) this.emit({ type: 'member-left', member, local: false });
  }

  /** Publishes the member's row when it changed (or when `force`d), and records it in the view. */
  announce(j: Joined, force: boolean, origin: string): void {
    let a: ChaosFleetAnnouncement;
    try {
      a = j.member.announcement();
    } catch (error) {
      this.emit({ type: 'error', operation: 'publish', error });
      return;
    }
    const row = { member: j.id, state: a.state, environment: a.environment, reason: a.reason ?? null, faults: [...a.faults], switchedOn: [...a.switchedOn] };
    const key = JSON.stringify(row);
    if (!force && key === j.lastRow) return;
    j.lastRow = key;
    this.record({ ...a, member: j.id }, true);
    this.publishRow({ ...row, expiresIn: a.expiresIn ?? null, origin });
  }

  /** Records a member's row in the view and tells the listeners. */
  record(a: ChaosFleetAnnouncement & { readonly member: string }, local: boolean): void {
    const row: ChaosFleetMemberView = {
      member: a.member,
      local,
      state: a.state,
      environment: a.environment,
      reason: a.reason,
      expiresIn: a.expiresIn,
      faults: a.faults,
      switchedOn: a.switchedOn,
      seenAt: this.clock.now(),
    };
    this.view.set(a.member, row);
    const { seenAt: _seen, ...event } = row;
    this.emit({ type: 'member', ...event });
  }

  /** Redis did not answer: holds the members (all of them when `holdAll`, else only unconfirmed ones). Returns how many. */
  holdUnreachable(why: string): number {
    let n = 0;
    for (const j of this.joined.values()) {
      if (j.halted || (!this.holdAll && j.confirmed)) continue;
      j.confirmed = false;
      j.member.hold(why);
      n++;
    }
    return n;
  }

  /** The fleet answered and is not halted (a read begun at `generation`): releases every unconfirmed member it covers. */
  release(generation: number): void {
    let n = 0;
    for (const j of this.all()) {
      if (j.confirmed || j.since > generation) continue;
      j.confirmed = true;
      if (!j.halted) j.member.hold(undefined);
      n++;
    }
    if (n > 0) this.emit({ type: 'released', reason: undefined });
  }

  /**
   * Halts every member not halted yet (`except` already is); for a `flag` read begun at
   * `generation`, only the members it covers (one that joined later waits for its own read).
   * Emits `halted` (for a flag, only when it reached someone).
   */
  halt(reason: string, by: string | undefined, source: 'local' | 'fleet' | 'flag', except: Joined | undefined, generation = Number.POSITIVE_INFINITY): void {
    let n = 0;
    if (except !== undefined) {
      except.halted = except.confirmed = true;
      n = 1;
    }
    for (const j of this.all()) {
      if (j.since > generation) continue;
      j.confirmed = true;
      if (j.halted || j === except) continue;
      j.halted = true;
      j.member.halt(reason);
      n++;
    }
    if (n > 0 || source !== 'flag') this.emit({ type: 'halted', source, reason, by, members: n });
  }

  /** Switches faults on every member but `except`, as asked `by` someone. */
  switchFaults(request: ChaosFleetSwitch, by: string, except: Joined | undefined): void {
    for (const j of this.all()) {
      if (j === except) continue;
      const applied = j.member.switchFaults(request);
      this.emit({ type: 'switched', on: request.on, experiment: request.experiment, faults: [...request.faults], applied: [...applied], by });
    }
  }
}
