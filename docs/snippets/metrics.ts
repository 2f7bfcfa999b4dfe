// Metrics, as shown in docs/metrics.md. Type-checked by `npm test`.
import { createServer } from 'node:http';
import { metrics as otel } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { pipeline } from '../../src/index';
import {
  createMetrics,
  createMetricsHandler,
  registerOpenTelemetry,
  registerPromClient,
} from '../../src/metrics/index';
import { retry } from '../../src/retry/index';
import { timeout } from '../../src/timeout/index';

declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<string> };

// --8<-- [start:observe]
const payments = pipeline(
  { name: 'payments' },
  retry({ maxAttempts: 3, delay: 200 }),
  circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  timeout(2_000),
);

const metrics = createMetrics({ availabilityWindow: 300_000 });
const subscription = metrics.observe(payments); // subscription.dispose() stops listening

await payments.execute((ctx) => gateway.charge('order-1', { signal: ctx.signal }), { operation: 'payment.charge' });
// --8<-- [end:observe]

// --8<-- [start:snapshot]
const snap = metrics.snapshot();
const charge = snap.calls.find((c) => c.operation === 'payment.charge');
console.log(`availability ${charge?.availability}, p99 ${charge?.duration.p99} ms`);
const breaker = snap.breakers.find((b) => b.name === 'payment-gateway');
console.log(`state ${breaker?.state}, MTTR ${breaker?.mttr} ms, MTBF ${breaker?.mtbf} ms`);
console.log(`half-open recovery rate ${breaker?.recoveryRate}`);
// --8<-- [end:snapshot]

// --8<-- [start:http]
const handler = createMetricsHandler(metrics);
const server = createServer((req, res) => {
  if (req.url === '/metrics') handler(req, res);
  else res.writeHead(404).end();
});
server.listen(9464);
// --8<-- [end:http]

// --8<-- [start:prom-client]
const registry = new Registry();
registerPromClient(metrics, registry); // returns a subscription; dispose() unregisters
const text = await registry.metrics(); // your metrics and breakwater's, one scrape
// --8<-- [end:prom-client]

// --8<-- [start:otel]
const meter = otel.getMeter('game-server');
const otelRegistration = registerOpenTelemetry(metrics, meter);
// --8<-- [end:otel]

// --8<-- [start:labels]
const tenantMetrics = createMetrics({
  labelKeys: ['region'], // only these call labels become metric labels
  maxOperations: 50, // further operations are counted as "_other"
  maxLabelSets: 20, // further regions too
  histogram: { min: 0.5, max: 30_000, bucketsPerDoubling: 4 },
});
tenantMetrics.observe(payments);
await payments.execute(() => 'ok', { operation: 'shop.buy', labels: { region: 'eu', user: 'u-123' } });
// --8<-- [end:labels]

subscription.dispose();
otelRegistration.dispose();
server.close();
console.log(text.length);
