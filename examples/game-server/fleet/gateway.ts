/**
 * The payment gateway of the fleet drill: one loopback `node:http` server in the drill's
 * process that the three instances call (`POST /charge`), so that it sees the whole fleet.
 * The drill takes it down (503) and back up, slows it, and reads who called it: calls per
 * instance, and probes (calls an instance made while its breaker was half-open, from the
 * `x-breaker-state` header) with the most probes in flight at once across the fleet.
 */
import { createServer, type Server } from 'node:http';

/** What the gateway saw since the last {@link PaymentGateway.resetCounts}. */
export interface GatewayCounts {
  /** Calls per instance id. */
  readonly calls: Readonly<Record<string, number>>;
  /** Probes (calls made half-open) per instance id. */
  readonly probes: Readonly<Record<string, number>>;
  /** Most probes in flight at the same time, fleet-wide. */
  readonly maxConcurrentProbes: number;
}

/** The drill's payment gateway. */
export interface PaymentGateway {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Up (200 after `latency` ms) or down (503 at once). */
  setUp(up: boolean): void;
  /** Ms each successful charge takes. */
  setLatency(ms: number): void;
  counts(): GatewayCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

/** Starts the gateway on an ephemeral loopback port. */
export async function startPaymentGateway(): Promise<PaymentGateway> {
  let up = true;
  let latency = 5;
  let calls: Record<string, number> = {};
  let probes: Record<string, number> = {};
  let probesInFlight = 0;
  let maxConcurrentProbes = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    req.resume();
    const instance = String(req.headers['x-instance'] ?? 'unknown');
    const probe = req.headers['x-breaker-state'] === 'half-open';
    calls[instance] = (calls[instance] ?? 0) + 1;
    if (probe) {
      probes[instance] = (probes[instance] ?? 0) + 1;
      probesInFlight++;
      maxConcurrentProbes = Math.max(maxConcurrentProbes, probesInFlight);
    }
    const finish = (status: number): void => {
      if (probe) probesInFlight--;
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"charged":true}' : '{"error":"unavailable"}');
    };
    if (!up) {
      finish(503);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      finish(200);
    }, latency);
    timers.add(t);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    setUp: (u) => void (up = u),
    setLatency: (ms) => void (latency = ms),
    counts: () => ({ calls: { ...calls }, probes: { ...probes }, maxConcurrentProbes }),
    resetCounts() {
      calls = {};
      probes = {};
      maxConcurrentProbes = probesInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
