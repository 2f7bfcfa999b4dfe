/**
 * A smoke test of the fleet drill (`npm start -- --fleet`): the quick drill against a real
 * redis-server that it starts itself (three instance processes, the balancer, the gateway),
 * every experiment holding and everything stopped afterwards; and, always, what it does
 * when there is no Redis to be had (says how to install it, exits 0).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleetDrill } from '../../examples/game-server/fleet-drill';
import { ping } from '../../examples/game-server/fleet/redis-launcher';
import { redisServerAvailable } from '../support/redis-server';

const root = join(__dirname, '../..');
const NO_REDIS = { PATH: process.env['PATH'] ?? '', REDIS_SERVER: join(root, '.tmp', 'no-such-redis-server') };

/** Pids of processes whose command line contains `needle` (running now). */
function processesMatching(needle: string): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .filter((l) => l.includes(needle))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('fleet drill without Redis', () => {
  it('says how to install redis-server and runs nothing', async () => {
    let text = '';
    const r = await runFleetDrill({ quick: true, env: NO_REDIS, out: { write: (s: string) => (text += s) } });
    expect(r.status).toBe('no-redis');
    expect(r.experiments).toEqual([]);
    expect(text).toContain('apt-get install redis-server');
    expect(text).toContain('REDIS_URL');
  });

  it('npm start -- --fleet exits 0 with that message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/game-server/drill.ts', '--fleet', '--quick'], { cwd: root, env: NO_REDIS, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(out).toContain('Fleet drill skipped');
    expect(out).toContain('apt-get install redis-server');
    expect(code).toBe(0);
  }, 60_000);
});

describe.runIf(redisServerAvailable())('fleet drill (quick) on a real redis-server', () => {
  it('holds the quota fleet-wide, opens the fleet within 1 s with one probe at a time, halts chaos everywhere from redis-cli, and loses no request when Redis dies', async () => {
    let text = '';
    const r = await runFleetDrill({ quick: true, env: { PATH: process.env['PATH'] ?? '' }, out: { write: (s: string) => (text += s) } });
    expect(r.status, text).toBe('ran');
    expect(r.experiments.map((e) => [e.name, e.verdict]), text).toEqual([
      ['partner quota held fleet-wide', 'pass'],
      ['gateway outage seen by one instance first', 'pass'],
      ['chaos halted from redis-cli', 'pass'],
      ['Redis killed during the drill', 'pass'],
    ]);
    const [quota, outage, halt, killed] = r.experiments;
    expect(quota?.numbers['admitted'], text).toBeLessThanOrEqual((quota?.numbers['bound'] ?? 0) * 1.02 + 2);
    expect(outage?.numbers['openLagMax'], text).toBeLessThan(1_000);
    expect(outage?.numbers['maxConcurrentProbes'], text).toBeLessThanOrEqual(1);
    expect(outage?.numbers['othersCallsWhileOpen'], text).toBe(0);
    expect(halt?.numbers['armed'], text).toBe(3);
    expect(halt?.numbers['haltLagMax'], text).toBeLessThan(1_000);
    expect(halt?.numbers['flagSet'], text).toBe(1);
    expect(killed?.numbers['lost'], text).toBe(0);
    expect(killed?.numbers['localWithin'], text).toBeLessThan(1_000);
    expect(r.upstreamErrors).toBe(0);
    // Everything it started is gone: no instance process, and its redis-server no longer answers.
    expect(processesMatching('examples/game-server/fleet/instance.ts')).toEqual([]);
    const port = Number(/redis-server started on redis:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await ping('127.0.0.1', port)).toBe(false);
  }, 120_000);
});

if (!redisServerAvailable()) {
  describe('fleet drill (quick) on a real redis-server', () => {
    it.skip('skipped: /usr/bin/redis-server is not installed (apt-get install redis-server)', () => undefined);
  });
}
