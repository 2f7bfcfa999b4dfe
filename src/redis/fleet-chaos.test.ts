/**
 * Fleet chaos on a real redis-server (test/support/redis-server.ts), several "instances" in
 * one process (each its own client, coordinator, fleet and controller): halts, the halt
 * flag, the redis-cli form, forged and malformed messages, the fleet view, losing Redis
 * (killed, or one instance cut off behind a proxy), close(). The cross-process tests are in
 * test/redis/fleet-chaos.test.ts.
 */
import Redis from 'ioredis';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { faultInjection } from '../chaos/call-faults';
import { createChaosController, type ChaosController } from '../chaos/guards';
import { isOptionsValidationError } from '../core/errors';
import { onCallbackError } from '../core/report';
import { useRedisServer } from '../../test/support/redis-server';
import type { RedisClientLike } from './client';
import { redisCoordinator, type RedisCoordinator } from './coordinator';
import { redisChaosFleet, type RedisChaosFleet, type RedisChaosFleetOptions } from './fleet-chaos';
import type { FleetChaosEvent } from './fleet-chaos-events';

const redis = useRedisServer({ beforeAll, afterAll });
const ON = { BREAKWATER_CHAOS: '1' };

const until = async (cond: () => boolean | Promise<boolean>, ms = 3_000, what = 'condition'): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

interface Instance {
  name: string;
  client: Redis | ReturnType<typeof createClient>;
  coordinator: RedisCoordinator;
  fleet: RedisChaosFleet;
  controller: ChaosController;
  fault: ReturnType<typeof faultInjection>;
  events: FleetChaosEvent[];
  injects(): Promise<boolean>;
}

const open: Instance[] = [];

/** Closes every instance the test made (before a proxy they go through is closed). */
async function closeInstances(): Promise<void> {
  for (const i of open.splice(0)) {
    i.controller.disarm();
    i.fleet.close();
    await i.coordinator.close();
    if (i.client instanceof Redis) i.client.disconnect();
    else await i.client.quit().catch(() => undefined);
  }
}

afterEach(async () => {
  await closeInstances();
  await redis().command('DEL', 'breakwater:{chaos}:halt');
});

async function instance(
  name: string,
  opts: { env?: Record<string, string>; port?: number; flavor?: 'ioredis' | 'node-redis'; fleet?: RedisChaosFleetOptions; arm?: boolean; environment?: string } = {},
): Promise<Instance> {
  const port = opts.port ?? redis().port;
  let client: Instance['client'];
  if (opts.flavor === 'node-redis') {
    const c = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: () => 50 } });
    c.on('error', () => undefined);
    await c.connect();
    client = c;
  } else {
    const c = new Redis(port, '127.0.0.1', { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    await until(() => c.status === 'ready', 3_000, `${name} connected`);
    client = c;
  }
  const coordinator = redisCoordinator({ client: client as unknown as RedisClientLike, instanceId: name });
  const fleet = redisChaosFleet(coordinator, opts.fleet);
  const events: FleetChaosEvent[] = [];
  fleet.onEvent((e) => events.push(e));
  const controller = createChaosController({ env: opts.env ?? ON });
  const fault = faultInjection({ name: 'gateway-down', controller, enabled: false });
  const i: Instance = {
    name,
    client,
    coordinator,
    fleet,
    controller,
    fault,
    events,
    injects: async () => {
      try {
        await fault.execute(() => 'real');
        return false;
      } catch {
        return true;
      }
    },
  };
  open.push(i);
  if (opts.arm !== false) controller.arm({ environment: opts.environment ?? 'staging', coordinator: fleet, fleetFaults: [fault] });
  return i;
}

/** Arms every instance and waits until the fleet released them all (fault on: they inject). */
async function armed(...names: string[]): Promise<Instance[]> {
  const all = await Promise.all(names.map((n) => instance(n)));
  for (const i of all) i.fault.enable();
  await until(() => all.every((i) => i.controller.status().active), 3_000, 'all released by the fleet');
  return all;
}

/** A loopback TCP proxy to redis that can cut its clients off (one instance partitioned). */
async function proxy(target: number): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const server: Server = createServer((inbound) => {
    if (isCut) {
      inbound.destroy();
      return;
    }
    const outbound = connect(target, '127.0.0.1');
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const end = (): void => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    cut: () => {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      isCut = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('redisChaosFleet options', () => {
  it('names every bad field at once, the coordinator included', () => {
    let error: unknown;
    try {
      redisChaosFleet({} as never, { haltTtl: 0, whileDisconnected: 'pause', pollInterval: 10, colour: 1 } as never);
    } catch (e) {
      error = e;
    }
    expect(isOptionsValidationError(error)).toBe(true);
    expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['coordinator', 'colour', 'haltTtl', 'whileDisconnected', 'pollInterval']);
    expect((error as Error).message).toContain('expected `coordinator` to be a redisCoordinator() of breakwater/redis');
  });
});

describe('one kill switch across the fleet (real redis-server)', () => {
  it('halt() on one instance halts the others within milliseconds, and stores the flag with its TTL', async () => {
    const [a, b, c] = (await armed('a', 'b', 'c')) as [Instance, Instance, Instance];
    for (const i of [a, b, c]) expect(await i.injects()).toBe(true);
    const t0 = performance.now();
    a.controller.halt('incident 4711');
    await until(async () => !(await b.injects()) && !(await c.injects()), 1_000, 'b and c stopped');
    expect(performance.now() - t0).toBeLessThan(1_000);
    for (const i of [b, c]) expect(i.controller.status()).toMatchObject({ armed: false, haltReason: 'incident 4711' });
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'halted', source: 'fleet', reason: 'incident 4711', by: 'a', members: 1 }));
    const flag = await b.fleet.haltFlag();
    expect(flag).toMatchObject({ reason: 'incident 4711', by: 'a' });
    const ttl = Number((await redis().command('PTTL', 'breakwater:{chaos}:halt')).slice(1));
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('a halted fleet stays halted for a late joiner until the flag is cleared; clearing arms nobody', async () => {
    const [a] = (await armed('a')) as [Instance];
    a.controller.halt('game day over');
    await until(async () => (await a.fleet.haltFlag()) !== undefined);
    const late = await instance('late');
    late.fault.enable();
    await until(() => late.controller.status().haltReason === 'game day over', 2_000, 'late joiner halted');
    expect(await late.injects()).toBe(false);
    expect(await late.fleet.clearHalt()).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(late.controller.isArmed()).toBe(false); // clearing arms nobody
    late.controller.arm({ environment: 'staging', coordinator: late.fleet, fleetFaults: [late.fault] });
    await until(() => late.controller.status().active, 2_000, 're-armed after the flag was cleared');
  });

  it('the documented redis-cli PUBLISH halts every instance, and the instances store the flag for late joiners', async () => {
    const all = await armed('a', 'b');
    const t0 = performance.now();
    await redis().command('PUBLISH', 'breakwater:chaos', '{"bw":"breakwater","v":1,"k":"halt","i":"ops","d":{"reason":"incident 4711"}}');
    await until(async () => (await Promise.all(all.map((i) => i.injects()))).every((x) => !x), 1_000, 'all stopped');
    expect(performance.now() - t0).toBeLessThan(1_000);
    for (const i of all) expect(i.controller.status().haltReason).toBe('incident 4711');
    await until(async () => (await all[0]!.fleet.haltFlag())?.by === 'ops', 1_000, 'flag stored');
    // The minimal form: no payload at all still halts (stopping is the safe direction).
    await redis().command('DEL', 'breakwater:{chaos}:halt');
    const c = (await armed('c'))[0] as Instance;
    await redis().command('PUBLISH', 'breakwater:chaos', '{"bw":"breakwater","v":1,"k":"halt","i":"ops","d":null}');
    await until(() => !c.controller.isArmed(), 1_000);
    expect(c.controller.status().haltReason).toBe('halted through Redis by "ops"');
  });

  it('a flag set by hand (no message) halts within one poll', async () => {
    const a = await instance('a', { fleet: { pollInterval: 200 } });
    a.fault.enable();
    await until(() => a.controller.status().active, 3_000, 'released');
    await redis().command('SET', 'breakwater:{chaos}:halt', 'anything');
    await until(() => !a.controller.isArmed(), 500, 'halted by the poll');
    expect(a.controller.status().haltReason).toBe('the fleet is halted (its halt flag is set)');
    expect(a.events).toContainEqual(expect.objectContaining({ type: 'halted', source: 'flag' }));
  });

  it('the fleet view shows arming and halting everywhere', async () => {
    const [a, b] = (await armed('a', 'b')) as [Instance, Instance];
    await until(() => a.fleet.members().some((m) => m.member === 'b' && m.state === 'armed'), 2_000, 'b seen armed by a');
    expect(a.fleet.members().map((m) => [m.member, m.local, m.state, m.faults])).toEqual([
      ['a', true, 'armed', ['gateway-down']],
      ['b', false, 'armed', ['gateway-down']],
    ]);
    b.controller.halt('b halts');
    await until(() => a.fleet.members().every((m) => m.state === 'halted'), 2_000, 'both halted in the view');
    b.controller.disarm();
    await until(() => a.fleet.members().length === 1, 2_000, 'b left the view');
    expect(a.events).toContainEqual(expect.objectContaining({ type: 'member-left', member: 'b', local: false }));
  });

  it('works with node-redis too', async () => {
    const a = await instance('nr-a', { flavor: 'node-redis' });
    const b = await instance('nr-b', { flavor: 'node-redis' });
    for (const i of [a, b]) i.fault.enable();
    await until(() => a.controller.status().active && b.controller.status().active, 3_000, 'released');
    b.controller.halt('from node-redis');
    await until(async () => !(await a.injects()), 1_000);
    expect(a.controller.status().haltReason).toBe('from node-redis');
  });
});

describe('messages from Redis can halt, never arm', () => {
  const send = (kind: string, d: unknown, i = 'mallory'): Promise<string> => redis().command('PUBLISH', 'breakwater:chaos', JSON.stringify({ bw: 'breakwater', v: 1, k: kind, i, d }));

  it('forged arm / enable / switch messages do nothing to an unarmed instance; malformed bytes are ignored with events', async () => {
    const u = await instance('unarmed', { env: {} });
    await until(() => u.events.some((e) => e.type === 'released'), 2_000, 'subscribed and confirmed');
    await send('arm', { environment: 'staging' });
    await send('enable', { faults: ['gateway-down'] });
    await send('switch', { on: true, faults: ['gateway-down'], experiment: 'evil', duration: 60_000 });
    await send('switch', { on: true, faults: ['gateway-down'], experiment: 'evil', duration: 60_000, extra: 1 });
    await send('state', { member: 'x', state: 'armed' });
    await redis().command('PUBLISH', 'breakwater:chaos', '{"bw":"breakwater","v":1,"k":"arm"');
    await redis().command('PUBLISH', 'breakwater:chaos', '{"bw":"other","v":1,"k":"halt","i":"x","d":null}');
    await until(() => u.events.filter((e) => e.type === 'message-ignored' || e.type === 'switched').length === 7, 2_000, `all seen: ${JSON.stringify(u.events)}`);
    expect(u.events.filter((e) => e.type === 'message-ignored').map((e) => (e.type === 'message-ignored' ? [e.reason, e.messageKind ?? '-'] : []))).toEqual([
      ['unknown-kind', 'arm'],
      ['unknown-kind', 'enable'],
      ['bad-payload', 'switch'],
      ['bad-payload', 'state'],
      ['malformed', '-'],
      ['foreign-prefix', '-'],
    ]);
    expect(u.events).toContainEqual(expect.objectContaining({ type: 'switched', on: true, applied: [] }));
    expect(u.controller.isArmed()).toBe(false);
    expect(u.fault.isEnabled).toBe(false);
    expect(await u.injects()).toBe(false);
  });

  it('an armed instance switches on only the faults it offered, and only for the asked duration', async () => {
    const [a] = (await armed('a')) as [Instance];
    a.fault.disable();
    await send('switch', { on: true, faults: ['not-offered'], experiment: 'x', duration: 60_000 });
    await send('switch', { on: true, faults: ['gateway-down'], experiment: 'x', duration: 300 });
    await until(() => a.fault.isEnabled, 1_000, 'switched on');
    expect(a.events.filter((e) => e.type === 'switched').map((e) => (e.type === 'switched' ? e.applied : []))).toEqual([[], ['gateway-down']]);
    await until(() => !a.fault.isEnabled, 1_000, 'off by itself after 300 ms');
  });

  it('the production guard holds per instance: production without allowance refuses to arm, the others arm', async () => {
    const p = await instance('prod', { arm: false });
    expect(() => p.controller.arm({ environment: 'production', coordinator: p.fleet, fleetFaults: [p.fault] })).toThrow(/production environment/);
    const [b] = (await armed('b')) as [Instance];
    await send('switch', { on: true, faults: ['gateway-down'], experiment: 'x', duration: 60_000 });
    await until(() => b.events.some((e) => e.type === 'switched'));
    expect(p.controller.isArmed()).toBe(false);
    expect(p.fault.isEnabled).toBe(false);
    expect(p.fleet.members()).toEqual([]); // never joined
  });
});

describe('losing Redis', () => {
  it('killed: armed instances hold (inject nothing) while down; the local kill switch works; its halt reaches the fleet after the restart', async () => {
    const [a, b] = (await armed('a', 'b')) as [Instance, Instance];
    await redis().kill();
    try {
      await until(() => !a.controller.status().active && !b.controller.status().active, 2_000, 'both held');
      expect(a.controller.status().reason).toMatch(/^held: the fleet cannot be reached/);
      expect(await a.injects()).toBe(false);
      a.controller.halt('halted while Redis was down');
      expect(a.controller.status()).toMatchObject({ armed: false, haltReason: 'halted while Redis was down' });
    } finally {
      await redis().restart();
    }
    await until(() => b.controller.status().haltReason === 'halted while Redis was down', 5_000, 'the pending halt reached b');
    expect(await b.fleet.haltFlag()).toMatchObject({ reason: 'halted while Redis was down', by: 'a' });
  });

  it('cut off: a halt issued meanwhile is applied when the instance reconnects; with whileDisconnected: inject it went on injecting until then', async () => {
    const p = await proxy(redis().port);
    try {
      const [a] = (await armed('a')) as [Instance];
      const held = await instance('held', { port: p.port });
      const goes = await instance('goes', { port: p.port, fleet: { whileDisconnected: 'inject' } });
      for (const i of [held, goes]) i.fault.enable();
      await until(() => held.controller.status().active && goes.controller.status().active, 3_000, 'released');
      p.cut();
      await until(() => !held.controller.status().active, 2_000, 'held while cut off');
      expect(await goes.injects()).toBe(true);
      a.controller.halt('halted during the partition');
      await new Promise((r) => setTimeout(r, 300));
      expect(goes.controller.isArmed()).toBe(true); // it could not hear it
      p.restore();
      await until(() => goes.controller.status().haltReason === 'halted during the partition' && held.controller.status().haltReason === 'halted during the partition', 5_000, 'applied on reconnection');
      expect(goes.events).toContainEqual(expect.objectContaining({ type: 'halted', source: 'flag' }));
      // Let the reconnected subscribers finish re-subscribing, then close them while the proxy
      // still carries their connections: closed by the proxy first, they would reconnect and
      // re-subscribe (ioredis before 6.1 leaves that promise unhandled) during the teardown.
      await until(async () => (await redis().command('PUBSUB', 'NUMSUB', 'breakwater:chaos')).includes(':3'), 3_000, 'all three subscribed again');
      await closeInstances();
    } finally {
      await p.close();
    }
  });
});

describe('close()', () => {
  it('holds its controllers, releases the channel and the coordinator listeners', async () => {
    const [a] = (await armed('a')) as [Instance];
    const reported: string[] = [];
    const sub = onCallbackError((_e, source) => reported.push(source));
    a.fleet.close();
    expect(a.controller.status()).toMatchObject({ armed: true, active: false, reason: 'held: its chaos fleet was closed (arm again to go on)' });
    expect(await a.injects()).toBe(false);
    await until(async () => (await redis().command('PUBSUB', 'NUMSUB', 'breakwater:chaos')).includes(':0'), 2_000, 'unsubscribed');
    a.controller.arm({ environment: 'staging', coordinator: a.fleet });
    expect(a.controller.status().reason).toMatch(/could not join the fleet/);
    expect(reported).toEqual(['chaos fleet joinChaos']);
    sub.dispose();
  });
});
