// The table of this process's controllers in the fleet, without Redis: a flag read speaks
// only for the members that joined before it began, holds and halts reach the right ones.
import { describe, expect, it } from 'vitest';
import type { ChaosFleetAnnouncement, ChaosFleetMember, ChaosFleetSwitch } from '../chaos/fleet';
import { VirtualClock } from '../testing/virtual-clock';
import type { FleetChaosEventPayload } from './fleet-chaos-events';
import { LocalMembers } from './fleet-chaos-members';

class FakeMember implements ChaosFleetMember {
  readonly calls: string[] = [];
  announcement(): ChaosFleetAnnouncement {
    return { state: 'armed', environment: 'test', reason: undefined, expiresIn: undefined, faults: [], switchedOn: [] };
  }
  halt(reason: string): void {
    this.calls.push(`halt:${reason}`);
  }
  hold(reason: string | undefined): void {
    this.calls.push(reason === undefined ? 'release' : 'hold');
  }
  switchFaults(request: ChaosFleetSwitch): readonly string[] {
    this.calls.push(`switch:${request.on}`);
    return [];
  }
}

function table(holdAll = true) {
  const events: FleetChaosEventPayload[] = [];
  const rows: Record<string, unknown>[] = [];
  const t = new LocalMembers('game-1', new VirtualClock(), holdAll, (e) => events.push(e), (r) => rows.push(r));
  return { t, events, rows };
}

describe('LocalMembers', () => {
  it('names a second controller of one instance #2, and reuses freed ids', () => {
    const { t } = table();
    const a = t.add(new FakeMember());
    const b = t.add(new FakeMember());
    expect([a.id, b.id]).toEqual(['game-1', 'game-1#2']);
    t.remove(a);
    expect(t.add(new FakeMember()).id).toBe('game-1');
  });

  it('a flag read begun before a member joined neither halts nor releases it', () => {
    const { t } = table();
    const early = new FakeMember();
    t.add(early);
    const generation = t.generation;
    const late = new FakeMember();
    t.add(late);
    t.halt('stale flag', 'x', 'flag', undefined, generation);
    expect(early.calls).toEqual(['halt:stale flag']);
    expect(late.calls).toEqual([]);
    const { t: t2 } = table();
    const e2 = new FakeMember();
    t2.add(e2);
    const g2 = t2.generation;
    const l2 = new FakeMember();
    t2.add(l2);
    t2.release(g2);
    expect(e2.calls).toEqual(['release']);
    expect(l2.calls).toEqual([]);
    t2.release(t2.generation);
    expect(l2.calls).toEqual(['release']);
  });

  it('a halt reaches each member once; a message halt reaches members whatever their age', () => {
    const { t, events } = table();
    const a = new FakeMember();
    const b = new FakeMember();
    const ja = t.add(a);
    t.add(b);
    t.halt('from a', ja.id, 'local', ja);
    t.halt('again', 'y', 'fleet', undefined);
    t.halt('flag', 'z', 'flag', undefined, t.generation);
    expect(a.calls).toEqual([]);
    expect(b.calls).toEqual(['halt:from a']);
    expect(events.map((e) => (e.type === 'halted' ? [e.source, e.members] : e.type))).toEqual([
      ['local', 2],
      ['fleet', 0],
    ]);
  });

  it("holds everyone when Redis is unreachable with 'hold', only unconfirmed members with 'inject'", () => {
    for (const holdAll of [true, false]) {
      const { t } = table(holdAll);
      const confirmed = new FakeMember();
      t.add(confirmed);
      t.release(t.generation);
      const fresh = new FakeMember();
      t.add(fresh);
      expect(t.holdUnreachable('down')).toBe(holdAll ? 2 : 1);
      expect(confirmed.calls).toEqual(holdAll ? ['release', 'hold'] : ['release']);
      expect(fresh.calls).toEqual(['hold']);
    }
  });

  it('announces a row only when it changed, and keeps the view', () => {
    const { t, rows } = table();
    const j = t.add(new FakeMember());
    t.announce(j, false, 'o');
    t.announce(j, false, 'o');
    t.announce(j, true, 'o');
    expect(rows).toHaveLength(2);
    expect(t.rows().map((r) => [r.member, r.local, r.state])).toEqual([['game-1', true, 'armed']]);
    t.record({ member: 'game-2', state: 'halted', environment: 'test', reason: 'x', expiresIn: undefined, faults: [], switchedOn: [] }, false);
    t.forgetRemote();
    expect(t.rows().map((r) => r.member)).toEqual(['game-1']);
  });
});
