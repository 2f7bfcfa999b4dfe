// Game days, as shown in docs/game-days.md. Type-checked by `npm test`.
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { chaos, paymentGatewayDown, progressReporter, runSuite, scenarioCatalog, type ExperimentOptions } from '../../src/chaos/index';
import { fallback } from '../../src/fallback/index';
import { pipeline } from '../../src/index';
import { createExperimentMetrics } from '../../src/metrics/index';

interface Receipt {
  readonly id: string;
  readonly queued?: boolean;
}
declare const gateway: { charge(order: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const playerOf: (i: number) => string;
declare const drainPendingOrders: () => Promise<void>;

// --8<-- [start:safety]
// Safety review, in code: only in staging, on weekdays 09:00–17:00 UTC while the team is
// there, at most 20 % of calls and 10 % of players, disarmed by itself after one hour.
chaos.arm({
  environment: 'staging',
  maxDuration: 60 * 60_000,
  rules: {
    environments: ['staging'],
    windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], fromHour: 9, toHour: 17 }],
    maxRate: 0.2,
    maxCohortPercent: 10,
  },
});
// The abort button of the runbook, for whoever watches the run: stops every injection at once.
const abort = (): void => void chaos.halt('game day aborted by the on-call engineer');
// --8<-- [end:safety]
void abort;

const breaker = circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 5_000 });
const gatewayDown = paymentGatewayDown({ cohort: { label: 'player', percent: 10 } });
const payments = pipeline({ name: 'payments' }, fallback<Receipt>({ tiers: [{ id: 'pending', queued: true }] }), breaker, gatewayDown);

// --8<-- [start:runbook]
// The runbook of payment-gateway-down, as an experiment: every field of the template has a place.
const info = scenarioCatalog.find((s) => s.id === 'payment-gateway-down');
const paymentGatewayDownRunbook: ExperimentOptions = {
  name: 'payment-gateway-down',
  hypothesis: `${info?.simulates}: ${info?.exercises} keep checkout available; the breaker closes within 10 s of recovery`,
  faults: [gatewayDown], // blast radius: a sticky 10 % of players
  load: {
    fn: (i) => payments.execute((ctx) => gateway.charge(`order-${i}`, { signal: ctx.signal }), { operation: 'payment.charge', labels: { player: playerOf(i) } }),
    rate: 50,
    operation: 'payment.charge',
    userKey: playerOf,
  },
  steadyState: { 'payment.charge': { availability: ['rate>0.99'], latency: ['p(99)<800'] } },
  halt: { 'payment.charge': { errorRate: ['burn_rate<14.4'], availability: [{ threshold: 'rate>0.95', hard: true }] } },
  slos: { 'payment.charge': { objective: 0.999 } },
  blastRadius: { degraded: (call) => (call.value as Receipt).queued === true },
  schedule: { baseline: 60_000, inject: 5 * 60_000, recovery: 2 * 60_000, evaluationInterval: 5_000 },
  circuitBreakers: [breaker],
  rollbacks: [() => breaker.reset(), drainPendingOrders],
};
// --8<-- [end:runbook]

// --8<-- [start:run]
const experiments = createExperimentMetrics(); // served on /metrics with combinePrometheus
const day = await runSuite({
  name: `game day ${new Date().toISOString().slice(0, 10)}`,
  experiments: [{ weight: 3, experiment: paymentGatewayDownRunbook }],
  progress: experiments.observer(progressReporter({ stream: process.stderr })),
  wallClock: () => Date.now(),
});
// --8<-- [end:run]
void day;
