/**
 * The docs' examples against the real clients they name (issue #15, item 11): the /metrics
 * examples of docs/metrics.md really serve a scrape from fastify and express, and the
 * leaderboard recipe of docs/recipes.md behaves as the page says with ioredis, a client
 * that cannot cancel a command. Loopback only (127.0.0.1, port 0).
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMetricsWithExpress, serveMetricsWithFastify } from '../docs/snippets/metrics-frameworks';
import { circuitBreaker } from '../src/circuit-breaker/index';
import { fallback } from '../src/fallback/index';
import { pipeline } from '../src/index';
import { PROMETHEUS_CONTENT_TYPE, createMetrics, type Metrics } from '../src/metrics/index';
import { VirtualClock } from '../src/testing/virtual-clock';
import { timeout } from '../src/timeout/index';

const loopback = { port: 0, host: '127.0.0.1' };
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function observedMetrics(): Promise<Metrics> {
  const metrics = createMetrics();
  const shop = pipeline({ name: 'shop' }, timeout(1_000));
  const subscription = metrics.observe(shop);
  cleanups.push(() => subscription.dispose());
  await shop.execute(() => 'ok', { operation: 'shop.buy' });
  return metrics;
}

async function scrape(port: number): Promise<{ get: Response; body: string; head: Response }> {
  const url = `http://127.0.0.1:${port}/metrics`;
  const get = await fetch(url, { headers: { connection: 'close' } });
  const body = await get.text();
  const head = await fetch(url, { method: 'HEAD', headers: { connection: 'close' } });
  return { get, body, head };
}

describe('docs/metrics.md: /metrics served by real frameworks', () => {
  it('fastify example serves the Prometheus text on GET and HEAD', async () => {
    const metrics = await observedMetrics();
    const app = await serveMetricsWithFastify(metrics, loopback);
    cleanups.push(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    const { get, body, head } = await scrape(port);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(body).toBe(metrics.toPrometheus());
    expect(body).toMatch(/^resilience_calls_total\{.*operation="shop\.buy".*\} 1$/m);
    expect(head.status).toBe(200);
  });

  it('express example serves the Prometheus text on GET and HEAD', async () => {
    const metrics = await observedMetrics();
    const server = await serveMetricsWithExpress(metrics, loopback);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const { get, body, head } = await scrape(port);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(body).toBe(metrics.toPrometheus());
    expect(body).toMatch(/^resilience_calls_total\{.*operation="shop\.buy".*\} 1$/m);
    expect(head.status).toBe(200);
  });
});

/** A TCP server that accepts connections, records what it receives and never answers. */
interface SilentServer {
  readonly port: number;
  /** Resolves once the server has received `n` RESP commands named `name`. */
  commands(name: string, n: number): Promise<void>;
}

async function silentRedis(): Promise<SilentServer> {
  let data = '';
  const waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      for (const wake of waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  );
  const count = (name: string): number => data.toLowerCase().split(`\r\n${name.toLowerCase()}\r\n`).length - 1;
  return {
    port: (server.address() as AddressInfo).port,
    commands: (name, n) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (count(name) >= n) resolve();
          else waiters.push(check);
        };
        check();
      }),
  };
}

describe('docs/recipes.md: the leaderboard recipe with ioredis, which cannot cancel', () => {
  it('the timeout bounds the wait, the GET stays queued in the client, and the open breaker queues no more', async () => {
    const redisServer = await silentRedis();
    const redis = new Redis({
      port: redisServer.port,
      host: '127.0.0.1',
      // This server never answers: skip the handshake (HELLO of RESP3, INFO, CLIENT SETINFO)
      // so the client is ready on connect, like a Redis that stalls after the connection is up.
      protocol: 2,
      enableReadyCheck: false,
      disableClientInfo: true,
      maxRetriesPerRequest: 1, // as in the recipe
      lazyConnect: true,
    });
    cleanups.push(() => redis.disconnect());
    await redis.connect();

    // The recipe's cache pipeline, on a virtual clock.
    const clock = new VirtualClock();
    const cache = pipeline(
      { name: 'cache' },
      fallback<string | null>({ tiers: [null] }),
      circuitBreaker({ name: 'redis', failureThreshold: 3, recoveryTimeout: 5_000, clock }),
      timeout({ duration: 25, clock }),
    );

    const sent: Promise<string | null>[] = [];
    const get = (): Promise<string | null> => {
      const command = redis.get('board:eu');
      sent.push(command);
      command.catch(() => {}); // rejected when the client disconnects at the end
      return command;
    };

    for (let i = 1; i <= 3; i++) {
      const answer = cache.execute(get);
      await redisServer.commands('get', i); // the GET really left for Redis
      await clock.advance(25);
      await expect(answer).resolves.toBeNull(); // the wait ended at 25 ms: a miss
    }
    // Each GET is still in ioredis's command queue, unanswered and unsettled.
    expect(redis.commandQueue.length).toBe(3);
    const settled = await Promise.race([Promise.allSettled(sent).then(() => true), clock.runUntilIdle().then(() => false)]);
    expect(settled).toBe(false);

    // Three failures opened the breaker: the next read is a miss without touching ioredis.
    await expect(cache.execute(get)).resolves.toBeNull();
    expect(sent).toHaveLength(3);
    expect(redis.commandQueue.length).toBe(3);
  });
});
