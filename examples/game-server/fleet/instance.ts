/**
 * One game-server instance of the fleet drill, run as a child process
 * (`node --import tsx examples/game-server/fleet/instance.ts`) by fleet-drill.ts. A small
 * `node:http` server on an ephemeral loopback port with the fleet policies of policies.ts:
 *
 * - `POST /charge`: a purchase. The partner's quota (429 + `Retry-After` when spent), then
 *   the gateway's breaker and a 1 s timeout around one call to the payment gateway; a
 *   refused or failed charge is answered 503 + `Retry-After` (the fallback: "try again
 *   later"), never left without an answer. Header `x-quota: island` uses the quota kept by
 *   this instance alone (the drill's comparison).
 * - `GET /state`: the breaker's state and fleet view, the quota store's counters.
 *
 * Chaos is armed (environment `drill`, `BREAKWATER_CHAOS=1` given by the drill to these
 * processes only) and joined to the fleet's kill switch; a halt is printed as `chaos-halted`.
 *
 * Configured by its environment: `REDIS_URL`, `INSTANCE_ID`, `INSTANCES`, `GATEWAY_URL`,
 * `PARTNER_RATE`, `PARTNER_BURST`, `QUORUM`, `RECOVERY_TIMEOUT`. Prints one JSON object per
 * line on stdout: `{ "event": "listening", "port" }` once it serves, then the breaker's
 * transitions and fleet events, the quota store's `degraded` / `recovered` and the
 * coordinator's `down` / `up`, each with its wall time `at`. Exits when its stdin closes
 * (the drill is gone) or on SIGTERM / SIGINT, after closing its server, its policies and its
 * Redis client.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { isRateLimitedError } from '../../../src/index';
import { fleetPolicies, joinFleetChaos } from './policies';

const env = (k: string, d?: string): string => {
  const v = process.env[k] ?? d;
  if (v === undefined || v === '') throw new Error(`fleet instance: ${k} is required`);
  return v;
};

const instanceId = env('INSTANCE_ID');
const gatewayUrl = new URL(env('GATEWAY_URL'));
const say = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ instance: instanceId, ...line })}\n`);

async function main(): Promise<void> {
  // Reconnect every 100 ms while Redis is away; the policies never wait on it longer than their own bounds.
  const client = new Redis(env('REDIS_URL'), { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // the coordinator reports the connection as events
  await client.connect();
  const p = fleetPolicies(client, {
    instanceId,
    instances: Number(env('INSTANCES', '3')),
    partnerRate: Number(env('PARTNER_RATE', '50')),
    partnerBurst: Number(env('PARTNER_BURST', '10')),
    quorum: Number(env('QUORUM', '1')),
    recoveryTimeout: Number(env('RECOVERY_TIMEOUT', '2000')),
  });

  p.gatewayBreaker.onEvent((e) => {
    if (e.kind !== 'circuit-breaker') return;
    if (e.type === 'success' || e.type === 'failure' || e.type === 'rejected') return;
    const r = e as unknown as Record<string, unknown>;
    say({ event: `breaker-${e.type}`, reason: r['reason'], restored: r['restored'], at: Date.now() });
  });
  // Chaos is armed by the drill's BREAKWATER_CHAOS=1 for these processes only (environment `drill`).
  const fleetChaos = joinFleetChaos(p.coordinator);
  fleetChaos.chaosFleet.on('halted', (e) => say({ event: 'chaos-halted', source: e.source, by: e.by, reason: e.reason, at: Date.now() }));
  p.partnerStore.on('degraded', (e) => say({ event: 'quota-degraded', reason: e.reason, at: Date.now() }));
  p.partnerStore.on('recovered', (e) => say({ event: 'quota-recovered', downtime: e.downtime, localDecisions: e.localDecisions, at: Date.now() }));
  p.coordinator.on('down', () => say({ event: 'redis-down', at: Date.now() }));
  p.coordinator.on('up', () => say({ event: 'redis-up', at: Date.now() }));

  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** One call to the payment gateway; a 5xx or a broken connection is a failure. */
  const callGateway = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: gatewayUrl.hostname, port: gatewayUrl.port, path: '/charge', method: 'POST', agent, signal, headers: { 'x-instance': instanceId, 'x-breaker-state': p.gatewayBreaker.state } },
        (res) => {
          res.resume();
          res.once('end', () => ((res.statusCode ?? 500) < 500 ? resolve() : reject(new Error(`payment gateway answered ${res.statusCode}`))));
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end();
    });

  const send = (res: ServerResponse, status: number, body: Record<string, unknown>, retryAfterMs?: number): void => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1_000)));
    res.writeHead(status, headers).end(JSON.stringify({ instance: instanceId, ...body }));
  };

  const charge = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const quota = req.headers['x-quota'] === 'island' ? 'island' : 'fleet';
    // When the quota and the breaker let the call through (the drill counts quota admissions by it).
    let admittedAt: number | undefined;
    try {
      await p.charge((signal) => {
        admittedAt = Date.now();
        return callGateway(signal);
      }, quota);
      send(res, 200, { outcome: 'charged', admittedAt });
    } catch (error) {
      if (isRateLimitedError(error)) send(res, 429, { outcome: 'rate-limited' }, error.retryAfter);
      else {
        const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
        send(res, 503, { outcome: 'try-later', reason: error instanceof Error ? error.name : 'error', admittedAt }, typeof retryAfter === 'number' ? retryAfter : 1_000);
      }
    }
  };

  const server = createServer((req, res) => {
    req.resume();
    if (req.method === 'POST' && req.url === '/charge') void charge(req, res);
    else if (req.method === 'GET' && req.url === '/state') {
      send(res, 200, { breaker: p.gatewayBreaker.state, fleet: p.gatewayBreaker.stats.fleet, quota: p.partnerStore.stats, quotaDegraded: p.partnerStore.degraded, connected: p.coordinator.connected });
    } else send(res, 404, { error: 'not found' });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  say({ event: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0, chaosArmed: fleetChaos.armed, at: Date.now() });

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    // Bounded: whatever hangs, the process is gone within 2 s.
    setTimeout(() => process.exit(0), 2_000).unref();
    server.close();
    server.closeAllConnections();
    agent.destroy();
    fleetChaos.leave();
    void p
      .close()
      .catch(() => undefined)
      .then(() => client.quit().catch(() => client.disconnect()))
      .finally(() => process.exit(0));
  };
  process.stdin.on('close', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.resume();
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet instance ${instanceId} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
