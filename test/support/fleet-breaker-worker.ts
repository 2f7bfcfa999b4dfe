/**
 * One game-server instance of the multi-process tests of the fleet-aware breaker
 * (test/redis/fleet-breaker.process.test.ts): its own Redis client, coordinator and breaker
 * fleet, and the fleet-aware breakers each test asks for, driven over stdin and reporting
 * on stdout, one JSON object per line. Bundled once by the test (see fleet-breaker-driver.ts)
 * and run by plain node; it exits when its stdin closes (the test process is gone). A test
 * helper, never shipped.
 *
 * Env: FLEET_PORT, FLEET_ID (instance id), FLEET_HEARTBEAT (ms), FLEET_CLIENT (`ioredis` |
 * `node-redis`).
 *
 * Commands (`{ id, op, breaker, … }`): `join` (a breaker: `quorum`, `threshold`, `recovery`,
 * `probeTimeout`), `fail` (`n` failing calls), `call` (one call that succeeds), `probe` (a call
 * that hangs until `finish`), `finish` (`outcome`: `ok` | `fail`), `state`. Each is answered by
 * `{ id, … }`; breaker events are printed as `{ event, breaker, …, at }` with the wall time of
 * the event.
 */
import { createInterface } from 'node:readline';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { circuitBreaker, type CircuitBreakerPolicy } from '../../src/circuit-breaker/circuit-breaker';
import { isBrokenCircuitError } from '../../src/core/errors';
import type { RedisClientLike } from '../../src/redis/client';
import { redisCoordinator } from '../../src/redis/coordinator';
import { redisBreakerFleet } from '../../src/redis/fleet-breaker';

/** A command from the test. */
export interface WorkerCommand {
  readonly id: number;
  readonly op: 'join' | 'fail' | 'call' | 'probe' | 'finish' | 'state';
  readonly breaker: string;
  readonly n?: number;
  readonly outcome?: 'ok' | 'fail';
  readonly quorum?: number;
  readonly threshold?: number;
  readonly recovery?: number;
  readonly probeTimeout?: number;
}

/** One line from the worker: an answer (`id`) or an event (`event`). */
export interface WorkerLine {
  readonly id?: number;
  readonly event?: string;
  readonly at?: number;
  readonly [key: string]: unknown;
}

const env = (k: string, d?: string): string => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`fleet-breaker-worker: ${k} is required`);
  return v;
};

const say = (line: WorkerLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const port = Number(env('FLEET_PORT'));
  let client: RedisClientLike;
  if (env('FLEET_CLIENT', 'ioredis') === 'ioredis') {
    const c = new Redis(port, '127.0.0.1', { retryStrategy: () => 50, maxRetriesPerRequest: 2 });
    c.on('error', () => undefined);
    client = c;
  } else {
    const c = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: () => 50 } });
    c.on('error', () => undefined);
    await c.connect();
    client = c;
  }
  const coordinator = redisCoordinator({ client, instanceId: env('FLEET_ID'), prefix: 'bw-test' });
  const fleet = redisBreakerFleet(coordinator, { heartbeat: Number(env('FLEET_HEARTBEAT', '100')) });
  const breakers = new Map<string, CircuitBreakerPolicy>();
  const hanging = new Map<string, ((outcome: 'ok' | 'fail') => void)[]>();

  const join = (cmd: WorkerCommand): void => {
    const breaker = circuitBreaker({
      name: cmd.breaker,
      coordinator: fleet,
      quorum: cmd.quorum ?? 2,
      failureThreshold: cmd.threshold ?? 2,
      recoveryTimeout: cmd.recovery ?? 60_000,
      halfOpen: { probeTimeout: cmd.probeTimeout ?? 1_000 },
    });
    breaker.onEvent((e) => {
      if (e.kind !== 'circuit-breaker' || e.type === 'rejected' || e.type === 'success' || e.type === 'failure') return;
      const r = e as unknown as Record<string, unknown>;
      say({ event: e.type, breaker: cmd.breaker, reason: r['reason'], restored: r['restored'], error: r['error'] === undefined ? undefined : String(r['error']), at: Date.now() });
    });
    breakers.set(cmd.breaker, breaker);
  };

  const outcome = async (breaker: CircuitBreakerPolicy, fn: () => unknown): Promise<string> => {
    try {
      await breaker.execute(fn);
      return 'ok';
    } catch (e) {
      return isBrokenCircuitError(e) ? `rejected:${e.state}` : 'failed';
    }
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (l) => {
    let cmd: WorkerCommand;
    try {
      cmd = JSON.parse(l) as WorkerCommand;
    } catch {
      return;
    }
    void (async () => {
      if (cmd.op === 'join') {
        join(cmd);
        say({ id: cmd.id, joined: true });
        return;
      }
      const breaker = breakers.get(cmd.breaker);
      if (breaker === undefined) {
        say({ id: cmd.id, error: `no breaker ${cmd.breaker}` });
        return;
      }
      switch (cmd.op) {
        case 'fail': {
          const results: string[] = [];
          for (let i = 0; i < (cmd.n ?? 1); i++) results.push(await outcome(breaker, () => Promise.reject(new Error('gateway down'))));
          say({ id: cmd.id, results });
          break;
        }
        case 'call':
          say({ id: cmd.id, result: await outcome(breaker, () => 'ok') });
          break;
        case 'probe': {
          let admitted = false;
          const mine = hanging.get(cmd.breaker) ?? [];
          hanging.set(cmd.breaker, mine);
          const p = outcome(
            breaker,
            () =>
              new Promise((resolve, reject) => {
                admitted = true;
                mine.push((o) => (o === 'ok' ? resolve('ok') : reject(new Error('gateway down'))));
              }),
          );
          await new Promise((r) => setImmediate(r));
          say({ id: cmd.id, admitted, result: admitted ? 'running' : await p });
          break;
        }
        case 'finish':
          for (const h of (hanging.get(cmd.breaker) ?? []).splice(0)) h(cmd.outcome ?? 'ok');
          await new Promise((r) => setTimeout(r, 5));
          say({ id: cmd.id, state: breaker.state });
          break;
        case 'state':
          say({ id: cmd.id, state: breaker.state, fleet: breaker.stats.fleet });
          break;
      }
    })();
  });
  lines.on('close', () => {
    fleet.close();
    void coordinator.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
  say({ event: 'started', at: Date.now() });
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet-breaker-worker: ${String(e)}\n`);
  process.exit(1);
});
