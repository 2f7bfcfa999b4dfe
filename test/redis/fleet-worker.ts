/**
 * One game-server instance of the multi-process fleet test (rate-limit-fleet.test.ts): run
 * as a child process (`node --import tsx test/redis/fleet-worker.ts`), configured by its
 * environment. It connects, warms its limiter, prints `ready`, waits for `go <epoch ms>` on
 * stdin, then runs `CALLERS` concurrent callers against one fleet limit until `DURATION`
 * ms after the start and prints one JSON line with what it admitted.
 *
 * Env: REDIS_PORT, CLIENT (`ioredis` | `node-redis`), NAME (the store's name), RATE, BURST,
 * DURATION (ms), CALLERS, LOCAL_BATCH.
 */
import { createInterface } from 'node:readline';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { rateLimiter } from '../../src/rate-limiter/rate-limiter';
import { redisCoordinator } from '../../src/redis/coordinator';
import type { RedisClientLike } from '../../src/redis/client';

const env = (k: string, d?: string): string => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`fleet-worker: ${k} is required`);
  return v;
};
const port = Number(env('REDIS_PORT'));
const flavor = env('CLIENT', 'ioredis');
const rate = Number(env('RATE', '200'));
const burst = Number(env('BURST', '20'));
const duration = Number(env('DURATION', '3000'));
const callers = Number(env('CALLERS', '10'));
const localBatch = Number(env('LOCAL_BATCH', '1'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  let client: RedisClientLike;
  let closeClient: () => Promise<unknown>;
  if (flavor === 'ioredis') {
    const c = new Redis(port, '127.0.0.1', { lazyConnect: true });
    await c.connect();
    client = c;
    closeClient = () => c.quit();
  } else {
    const c = createClient({ url: `redis://127.0.0.1:${port}` });
    c.on('error', () => undefined);
    await c.connect();
    client = c;
    closeClient = () => c.close();
  }
  const coordinator = redisCoordinator({ client, prefix: 'fleet-test' });
  // A generous timeout: this test is about the shared budget, not about a slow machine.
  const store = coordinator.rateLimitStore({ name: env('NAME'), storeTimeout: 2_000, localBatch });
  const limiter = rateLimiter({ name: 'partner', rate, burst, store });
  // Load the script on this connection with a key of its own (spends nothing of the fleet's budget).
  const warm = rateLimiter({ name: 'warm', rate: 1_000, store: coordinator.rateLimitStore({ name: `${env('NAME')}-warm` }) });
  await warm.acquire();

  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  const startAt = await new Promise<number>((resolve) => lines.on('line', (l) => l.startsWith('go ') && resolve(Number(l.slice(3)))));
  lines.close();
  await sleep(Math.max(0, startAt - Date.now()));
  const end = startAt + duration;
  let admitted = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (Date.now() < end) {
        const d = await limiter.acquire();
        if (d.allowed) admitted++;
        else {
          refused++;
          await sleep(Math.min(Math.max(1, d.retryAfter), 20));
        }
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ admitted, refused, stats: store.stats, degraded: store.degraded })}\n`);
  await coordinator.close();
  await closeClient();
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet-worker failed: ${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
