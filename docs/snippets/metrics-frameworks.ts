// Serving /metrics from fastify and express, as shown in docs/metrics.md. Type-checked by
// `npm test` against the real fastify and express types; test/docs-real-clients.test.ts
// starts both servers on 127.0.0.1 and scrapes them once.
import type { Server } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, createMetricsHandler, type Metrics } from '../../src/metrics/index';

/** Where a metrics server listens. */
export interface ListenAddress {
  readonly port: number;
  readonly host: string;
}

// --8<-- [start:fastify]
export async function serveMetricsWithFastify(
  metrics: Metrics,
  at: ListenAddress = { port: 9464, host: '0.0.0.0' },
): Promise<FastifyInstance> {
  const app = Fastify();
  // One snapshot per scrape; fastify answers HEAD on a GET route by itself.
  app.get('/metrics', async (_request, reply) => {
    reply.type(PROMETHEUS_CONTENT_TYPE).header('Cache-Control', 'no-store');
    return metrics.toPrometheus();
  });
  await app.listen(at);
  return app; // app.close() on shutdown
}
// --8<-- [end:fastify]

// --8<-- [start:express]
export function serveMetricsWithExpress(
  metrics: Metrics,
  at: ListenAddress = { port: 9464, host: '0.0.0.0' },
): Promise<Server> {
  const app = express();
  // express's req and res extend node:http's, so the node:http handler mounts as it is
  // (GET and HEAD get the text, with the Prometheus content type).
  app.get('/metrics', createMetricsHandler(metrics));
  return new Promise((resolve, reject) => {
    const server = app.listen(at.port, at.host, (error) => (error ? reject(error) : resolve(server)));
  });
}
// --8<-- [end:express]
