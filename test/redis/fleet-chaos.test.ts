/**
 * Fleet chaos across processes, on a real redis-server: one kill switch for the fleet.
 *
 * The test starts a redis-server and four game-server-like child processes — three armed
 * (`c0`–`c2`) and one (`guard`) whose `arm()` in production without the allowance is refused
 * and whose environment switch is off — each with its own ioredis client, coordinator, fleet
 * and chaos controller, and a loop that calls an error fault every 5 ms and reports (JSON
 * lines, wall time) whenever it starts or stops injecting or its fault is switched on or off.
 *
 * The children are this very file (so their code is type-checked and linted with the test),
 * bundled once by esbuild (node_modules left external) into `.tmp/` and run by plain `node`
 * with `FLEET_CHAOS_CHILD` set: the processes start in a fraction of what `tsx`
 * compilations take. Every child and the server are stopped in `afterAll` (and the bundle
 * removed); a child also exits when its stdin closes (the test process died).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';
import { faultInjection } from '../../src/chaos/call-faults';
import { runExperiment } from '../../src/chaos/experiment/runner';
import { createChaosController } from '../../src/chaos/guards';
import type { RedisClientLike } from '../../src/redis/client';
import { redisCoordinator } from '../../src/redis/coordinator';
import { redisChaosFleet } from '../../src/redis/fleet-chaos';
import { REDIS_CLI_BIN, useRedisServer } from '../support/redis-server';

/** What a child is told at start. */
interface ChildConfig {
  readonly name: string;
  readonly port: number;
  /** `BREAKWATER_CHAOS=1` in its environment. */
  readonly chaosSwitch: boolean;
  readonly environment: string;
  /** Tries `arm()` in production without `allowProduction` first (it must be refused). */
  readonly tryProduction?: boolean;
}

/** One line a child prints. */
interface Report {
  readonly name: string;
  /** Wall time (ms) on the child's side. */
  readonly at: number;
  readonly event: 'state' | 'refused' | 'fleet' | 'bye';
  readonly armed?: boolean;
  readonly active?: boolean;
  readonly enabled?: boolean;
  readonly injecting?: boolean;
  readonly haltReason?: string | null;
  readonly type?: string;
  readonly message?: string;
}

// ---------------------------------------------------------------------------------------- child

async function runChild(cfg: ChildConfig): Promise<void> {
  const say = (r: Omit<Report, 'name' | 'at'>): void => void process.stdout.write(`${JSON.stringify({ ...r, name: cfg.name, at: Date.now() })}\n`);
  const client = new Redis(cfg.port, '127.0.0.1', { retryStrategy: () => 50 });
  client.on('error', () => undefined);
  const coordinator = redisCoordinator({ client: client as unknown as RedisClientLike, instanceId: cfg.name });
  const fleet = redisChaosFleet(coordinator);
  fleet.onEvent((e) => {
    if (e.type === 'message-ignored' || e.type === 'switched' || e.type === 'halted') say({ event: 'fleet', type: e.type });
  });
  const controller = createChaosController({ env: cfg.chaosSwitch ? { BREAKWATER_CHAOS: '1' } : {} });
  const fault = faultInjection({ name: 'gateway-down', controller, enabled: false });
  const arm = (enable: boolean): void => {
    try {
      controller.arm({ environment: cfg.environment, coordinator: fleet, fleetFaults: [fault] });
    } catch (error) {
      say({ event: 'refused', message: (error as Error).message });
    }
    // The instance's own code switches its fault on, and only where it armed.
    if (enable && controller.isArmed()) fault.enable();
    else fault.disable();
  };
  let last = '';
  let checking = false;
  const check = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    let injecting = false;
    try {
      await fault.execute(() => 'real');
    } catch {
      injecting = true;
    }
    checking = false;
    const s = controller.status();
    const state = { armed: s.armed, active: s.active, enabled: fault.isEnabled, injecting, haltReason: s.haltReason ?? null };
    const key = JSON.stringify(state);
    if (key !== last) {
      last = key;
      say({ event: 'state', ...state });
    }
  };
  const loop = setInterval(() => void check(), 5);
  const bye = async (): Promise<void> => {
    clearInterval(loop);
    controller.disarm();
    fleet.close();
    await coordinator.close();
    client.disconnect();
    say({ event: 'bye' });
    process.exit(0);
  };
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      const cmd = JSON.parse(line) as { cmd: string; reason?: string; enable?: boolean };
      if (cmd.cmd === 'arm') arm(cmd.enable === true);
      else if (cmd.cmd === 'halt') controller.halt(cmd.reason);
      else if (cmd.cmd === 'exit') void bye();
    })
    .on('close', () => void bye());
  if (cfg.tryProduction === true) {
    try {
      controller.arm({ environment: 'production', coordinator: fleet, fleetFaults: [fault] });
    } catch (error) {
      say({ event: 'refused', message: (error as Error).message });
    }
  }
  arm(true);
}

// ---------------------------------------------------------------------------------------- tests

async function defineTests(): Promise<void> {
  const { afterAll, beforeAll, beforeEach, describe, expect, it } = await import('vitest');
  const redis = useRedisServer({ beforeAll, afterAll });
  const self = fileURLToPath(import.meta.url);
  const tmp = resolve(self, '../../../.tmp');
  let bundleDir = '';
  let bundle = '';

  interface Child {
    readonly name: string;
    readonly process: ChildProcess;
    readonly reports: Report[];
    latest(): Report | undefined;
    send(cmd: Record<string, unknown>): void;
  }
  const children: Child[] = [];
  const byName = (name: string): Child => children.find((c) => c.name === name) as Child;

  const until = async (cond: () => boolean, ms: number, what: string): Promise<void> => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (${children.map((c) => `${c.name}=${JSON.stringify(c.latest())}`).join(' ')})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  function start(cfg: Omit<ChildConfig, 'port'>): Child {
    const env: Record<string, string | undefined> = { ...process.env, FLEET_CHAOS_CHILD: JSON.stringify({ ...cfg, port: redis().port }) };
    delete env['BREAKWATER_CHAOS'];
    const proc = spawn(process.execPath, [bundle], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const reports: Report[] = [];
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        reports.push(JSON.parse(line) as Report);
      } catch {
        // not a report line
      }
    });
    return {
      name: cfg.name,
      process: proc,
      reports,
      latest: () => reports.filter((r) => r.event === 'state').at(-1),
      send: (cmd) => proc.stdin?.write(`${JSON.stringify(cmd)}\n`),
    };
  }

  const armedNames = ['c0', 'c1', 'c2'];
  const armedChildren = (): Child[] => armedNames.map(byName);
  const injecting = (c: Child): boolean => c.latest()?.injecting === true;

  /** Clears the halt flag and re-arms every child (fault on), then waits until the armed three inject. */
  async function rearm(enable = true): Promise<void> {
    await redis().command('DEL', 'breakwater:{chaos}:halt');
    for (const c of children) c.send({ cmd: 'arm', enable });
    await until(() => armedChildren().every((c) => c.latest()?.active === true && c.latest()?.enabled === enable), 5_000, 'the armed children active again');
  }

  beforeAll(async () => {
    const { build } = await import('esbuild');
    // Inside the repository (git-ignored .tmp/, made here in a fresh clone), so the bundle resolves packages from node_modules.
    mkdirSync(tmp, { recursive: true });
    bundleDir = mkdtempSync(join(tmp, 'fleet-chaos-'));
    bundle = join(bundleDir, 'child.mjs');
    await build({ entryPoints: [self], outfile: bundle, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
    children.push(
      ...armedNames.map((name) => start({ name, chaosSwitch: true, environment: 'staging' })),
      start({ name: 'guard', chaosSwitch: false, environment: 'staging', tryProduction: true }),
    );
    await until(() => armedChildren().every(injecting) && byName('guard').latest() !== undefined, 15_000, 'children up');
  }, 20_000);

  afterAll(async () => {
    for (const c of children) c.send({ cmd: 'exit' });
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.process.exitCode !== null || c.process.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.process.kill('SIGKILL'), 2_000);
            c.process.on('exit', () => {
              clearTimeout(kill);
              resolve();
            });
          }),
      ),
    );
    if (bundleDir !== '') rmSync(bundleDir, { recursive: true, force: true });
  });

  describe('fleet chaos across 4 processes (3 armed; 1 refused in production, then with its switch off)', () => {
    beforeEach(async () => {
      if (armedChildren().some((c) => c.latest()?.active !== true)) await rearm();
    });

    it('the guards hold per instance: production without allowance is refused, the switch off stays unarmed, while the others arm', () => {
      const guard = byName('guard');
      expect(guard.reports.find((r) => r.event === 'refused')?.message).toMatch(/"production" is a production environment; pass allowProduction: true/);
      expect(guard.latest()).toMatchObject({ armed: false, injecting: false, enabled: false });
      expect(armedChildren().every(injecting)).toBe(true);
    });

    it('halt() on one process stops injection on all three within 1 s', async () => {
      const t0 = Date.now();
      byName('c0').send({ cmd: 'halt', reason: 'operator on c0' });
      await until(() => armedChildren().every((c) => !injecting(c)), 2_000, 'all stopped');
      for (const c of armedChildren()) {
        const stopped = c.reports.find((r) => r.event === 'state' && r.at >= t0 && r.injecting === false) as Report;
        expect(stopped.at - t0, `${c.name} stopped ${stopped.at - t0} ms after the halt`).toBeLessThan(1_000);
        expect(stopped.haltReason).toBe('operator on c0');
      }
    });

    it('the documented redis-cli PUBLISH halts all three within 1 s', async () => {
      const message = '{"bw":"breakwater","v":1,"k":"halt","i":"ops","d":{"reason":"incident 4711"}}';
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) =>
        execFile(REDIS_CLI_BIN, ['-p', String(redis().port), 'PUBLISH', 'breakwater:chaos', message], (error) => (error ? reject(error) : resolve())),
      );
      await until(() => armedChildren().every((c) => !injecting(c)), 2_000, 'all stopped');
      for (const c of armedChildren()) {
        const stopped = c.reports.find((r) => r.event === 'state' && r.at >= t0 && r.injecting === false) as Report;
        expect(stopped.at - t0).toBeLessThan(1_000);
        expect(stopped.haltReason).toBe('incident 4711');
      }
      // Halted fleet-wide for late joiners too: the children stored the flag.
      expect(await redis().command('GET', 'breakwater:{chaos}:halt')).toContain('incident 4711');
    });

    it('forged arm / enable / switch messages arm nothing and switch on nothing on the unarmed instance', async () => {
      const forged = [
        { k: 'arm', d: { environment: 'staging' } },
        { k: 'enable', d: { faults: ['gateway-down'] } },
        { k: 'switch', d: { on: true, faults: ['gateway-down'], experiment: 'forged', duration: 60_000 } },
      ];
      const before = (c: Child): number => c.reports.filter((r) => r.event === 'fleet').length;
      const guard = byName('guard');
      const seen = before(guard);
      for (const f of forged) {
        await redis().command('PUBLISH', 'breakwater:chaos', JSON.stringify({ bw: 'breakwater', v: 1, k: f.k, i: 'mallory', d: f.d }));
      }
      // `guard` is in the fleet (unarmed) and hears all three: two ignored, one switch applied to nothing.
      await until(() => before(guard) - seen >= 3, 2_000, 'guard heard the forged messages');
      await new Promise((r) => setTimeout(r, 100));
      expect(guard.latest()).toMatchObject({ armed: false, enabled: false, injecting: false });
      // The armed ones did switch their offered fault on (they were armed by their own code).
      await until(() => armedChildren().every((c) => c.latest()?.enabled === true), 1_000, 'armed ones switched');
    });

    it('an experiment with fleet: true switches its faults on on every armed instance for the inject phase, and off at its end', async () => {
      await rearm(false);
      const client = new Redis(redis().port, '127.0.0.1');
      const coordinator = redisCoordinator({ client: client as unknown as RedisClientLike, instanceId: 'runner' });
      const fleet = redisChaosFleet(coordinator);
      const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' } });
      const fault = faultInjection({ name: 'gateway-down', controller, enabled: false });
      try {
        controller.arm({ environment: 'staging', coordinator: fleet });
        await until(() => controller.status().active, 3_000, 'runner released');
        const t0 = Date.now();
        const journal = await runExperiment({
          name: 'gateway outage, fleet-wide',
          hypothesis: 'checkout survives',
          faults: [fault],
          load: { fn: () => 'ok', rate: 20 },
          steadyState: { '*': { errorRate: ['rate<0.5'] } },
          schedule: { baseline: 300, inject: 700, recovery: 600, evaluationInterval: 200 },
          controller,
          fleet: true,
        });
        expect(journal.verdict).toBe('pass');
        await until(() => armedChildren().every((c) => c.latest()?.enabled === false), 1_000, 'all off');
        for (const c of armedChildren()) {
          const on = c.reports.find((r) => r.event === 'state' && r.at >= t0 && r.enabled === true) as Report;
          const off = c.reports.find((r) => r.event === 'state' && r.at >= on.at && r.enabled === false) as Report;
          expect(on.at - t0, `${c.name} on`).toBeGreaterThanOrEqual(250);
          expect(on.at - t0, `${c.name} on`).toBeLessThan(700);
          expect(off.at - t0, `${c.name} off`).toBeGreaterThanOrEqual(950);
          expect(off.at - t0, `${c.name} off`).toBeLessThan(1_500);
        }
        expect(byName('guard').reports.some((r) => r.event === 'state' && r.enabled === true)).toBe(false);
      } finally {
        controller.disarm();
        fleet.close();
        await coordinator.close();
        client.disconnect();
      }
    });
  });
}

const child = process.env['FLEET_CHAOS_CHILD'];
if (child !== undefined) await runChild(JSON.parse(child) as ChildConfig);
else await defineTests();
