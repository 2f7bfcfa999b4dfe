// Blast radius, SLOs and experiment metrics, as shown in docs/chaos-experiments.md.
// Type-checked by `npm test`.
import { createServer } from 'node:http';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { chaos, paymentGatewayDown, progressReporter, runExperiment, runSuite, type ExperimentOptions } from '../../src/chaos/index';
import { fallback } from '../../src/fallback/index';
import { pipeline } from '../../src/index';
import { combinePrometheus, createExperimentMetrics, createMetrics, createMetricsHandler } from '../../src/metrics/index';
import { retry } from '../../src/retry/index';

interface Receipt {
  readonly id: string;
  readonly queued?: boolean;
}
declare const gateway: { charge(order: string, player: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const players: readonly string[]; // the ids of the test players the load plays
declare const cdnSlow: ExperimentOptions;

chaos.arm({ environment: 'staging', maxDuration: 10 * 60_000 });
const breaker = circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 5_000 });
// The fault hits a sticky 10 % cohort of players, chosen by the `player` label of the call.
const gatewayDown = paymentGatewayDown({ cohort: { label: 'player', percent: 10 } });
const payments = pipeline(
  { name: 'payments' },
  fallback<Receipt>({ tiers: [{ id: 'pending', queued: true }] }),
  retry({ maxAttempts: 3, delay: 100, jitter: 'full' }),
  breaker,
  gatewayDown,
);

// --8<-- [start:impact]
const playerOf = (i: number): string => players[i % players.length] as string;

const checkoutForACohort: ExperimentOptions = {
  name: 'payment gateway down for 10 % of players',
  hypothesis: 'only the cohort waits for its receipts, and checkout keeps its 99.9 % SLO budget',
  faults: [gatewayDown],
  load: {
    fn: (i) => payments.execute((ctx) => gateway.charge(`order-${i}`, playerOf(i), { signal: ctx.signal }), { operation: 'payment.charge', labels: { player: playerOf(i) } }),
    rate: 50,
    operation: 'payment.charge',
    userKey: playerOf, // the user of call i: counted in the blast radius
  },
  steadyState: { 'payment.charge': { availability: ['rate>0.99'] } },
  // Halt at once if the experiment burns checkout's budget 14.4 times too fast.
  halt: { 'payment.charge': { errorRate: ['burn_rate<14.4'] } },
  slos: { 'payment.charge': { objective: 0.999, window: 30 * 24 * 3_600_000 } },
  blastRadius: {
    degradedAfter: 800, // a charge slower than 800 ms hurt its player too
    degraded: (call) => (call.value as Receipt).queued === true, // so did a queued receipt
  },
  schedule: { baseline: 10_000, inject: 30_000, recovery: 20_000, evaluationInterval: 1_000 },
  circuitBreakers: [breaker],
};

const journal = await runExperiment(checkoutForACohort);
const hit = journal.blastRadius?.underFault;
console.log(`${hit?.affectedUsers} of ${hit?.users} players affected (${hit?.affectedOperations} operation)`);
for (const slo of journal.slos ?? []) {
  console.log(`${slo.operation}: burned ${slo.underFault.burnRate}× under fault, ${slo.overall.budgetConsumed} of the month's budget`);
}
// --8<-- [end:impact]

// --8<-- [start:metrics]
const metrics = createMetrics();
metrics.observe(payments);
const experiments = createExperimentMetrics();
// One /metrics for the policies' metrics and the experiments'.
createServer(createMetricsHandler(combinePrometheus(metrics, experiments))).listen(9464);

// Live: the phase, the blast radius and the window burn rate move at every evaluation.
await runSuite({
  name: 'weekly game day',
  experiments: [{ weight: 3, experiment: checkoutForACohort }, { experiment: cdnSlow }],
  progress: experiments.observer(progressReporter({ stream: process.stderr })),
});
// --8<-- [end:metrics]
