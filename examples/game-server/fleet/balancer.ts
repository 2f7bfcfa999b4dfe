/**
 * The fleet drill's load balancer: a loopback round-robin HTTP proxy (`node:http`) in front
 * of the instances. Each request goes to the next instance in turn; an instance that cannot
 * be reached is answered 502 and counted (the drill expects none).
 */
import { Agent, createServer, request, type Server } from 'node:http';

/** The running balancer. */
export interface Balancer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Requests the balancer could not deliver (answered 502). */
  readonly upstreamErrors: number;
  close(): Promise<void>;
}

/** Starts a round-robin proxy over `upstreams` (ports on 127.0.0.1). */
export async function startBalancer(upstreams: readonly number[]): Promise<Balancer> {
  if (upstreams.length === 0) throw new Error('startBalancer: no upstream');
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  let next = 0;
  let upstreamErrors = 0;
  const server: Server = createServer((req, res) => {
    const port = upstreams[next++ % upstreams.length] as number;
    const out = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.once('error', () => {
      upstreamErrors++;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"bad gateway"}');
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstreamErrors() {
      return upstreamErrors;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
