/**
 * Issue 18's breaker target: a call through a fleet-aware breaker costs ≤ 1.1× a call
 * through a local breaker. Both breakers are closed; the fleet one has joined a fleet on a
 * real redis-server (its heartbeats and reports run in the background), so the ratio shows
 * what the fleet adds to the hot path, which must be nothing measurable: a call never waits
 * on Redis.
 *
 * Rounds alternate between the two cases; medians of CPU time per call; PASS/MISS printed.
 *
 * Usage: npm run bench:redis-breaker (tsx bench/redis-breaker.ts) [--quick]
 *
 * @packageDocumentation
 */
import Redis from 'ioredis';
import { circuitBreaker } from '../src/circuit-breaker/index';
import { redisCoordinator } from '../src/redis/coordinator';
import { startRedisServer } from '../test/support/redis-server';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 7 : 31;
const CALLS = quick ? 20_000 : 200_000;
const fn = async (): Promise<number> => 1;

async function perCall(op: () => Promise<unknown>, n: number): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await op();
  const u = process.cpuUsage(t);
  return ((u.user + u.system) * 1000) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const client = new Redis(server.port, '127.0.0.1', { lazyConnect: false });
  const coordinator = redisCoordinator({ client, prefix: 'bench' });
  try {
    const local = circuitBreaker({ name: 'gateway', failureThreshold: 5, recoveryTimeout: 10_000 });
    const fleet = circuitBreaker({ name: 'gateway', failureThreshold: 5, recoveryTimeout: 10_000, coordinator, quorum: 2 });
    const cases: [string, () => Promise<unknown>][] = [
      ['local breaker', () => local.execute(fn)],
      ['fleet breaker', () => fleet.execute(fn)],
    ];
    for (const [, op] of cases) await perCall(op, CALLS / 2);
    const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, op] of r % 2 === 0 ? cases : [...cases].reverse()) samples.get(name)?.push(await perCall(op, CALLS));
    }
    const l = median(samples.get('local breaker') as number[]);
    const f = median(samples.get('fleet breaker') as number[]);
    const ratio = f / l;
    console.log(`| case | ns per call (CPU, median of ${ROUNDS} rounds × ${CALLS}) |`);
    console.log('| :--- | ---: |');
    console.log(`| local breaker | ${l.toFixed(0)} |`);
    console.log(`| fleet breaker (joined, quorum 2) | ${f.toFixed(0)} |`);
    console.log('');
    console.log(`fleet breaker ÷ local breaker: ${f.toFixed(0)} ns ÷ ${l.toFixed(0)} ns = ${ratio.toFixed(2)}× (goal ≤ 1.1×) ${ratio <= 1.1 ? 'PASS' : 'MISS'}`);
    if (fleet.state !== 'closed' || fleet.stats.fleet?.status === undefined) throw new Error('the fleet breaker should be closed and joined');
  } finally {
    await coordinator.close();
    client.disconnect();
    await server.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
