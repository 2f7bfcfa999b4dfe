// Chaos experiments, as shown in docs/chaos-experiments.md. Type-checked by `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { chaos, createChaosController, paymentGatewayDown, paymentGatewaySlow } from '../../src/chaos/index';
import {
  faultIntensity,
  parseThreshold,
  progressReporter,
  renderHtml,
  renderJson,
  renderMarkdown,
  runExperiment,
  runSuite,
  type Checks,
  type ExperimentOptions,
} from '../../src/chaos/index';
import { fallback } from '../../src/fallback/index';
import { pipeline } from '../../src/index';
import { retry } from '../../src/retry/index';
import { scriptedDependency, seededRandom, Step, VirtualClock } from '../../src/testing/index';
import { timeout } from '../../src/timeout/index';

interface Receipt {
  readonly id: string;
  readonly queued?: boolean;
}
declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const cdnSlow: ExperimentOptions;

// --8<-- [start:pipeline]
const seed = 42;
const gatewayDown = paymentGatewayDown({ random: seededRandom(seed) }); // chaos goes innermost
const breaker = circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 5_000 });
const payments = pipeline(
  { name: 'payments' },
  fallback<Receipt>({ tiers: [{ id: 'pending', queued: true }] }), // queue the order when all else fails
  retry({ maxAttempts: 3, delay: 100, jitter: 'full', random: seededRandom(seed + 1) }),
  breaker,
  timeout(2_000),
  gatewayDown,
);
// --8<-- [end:pipeline]

// --8<-- [start:experiment]
// Chaos must be armed: BREAKWATER_CHAOS=1 in the environment, and arm() in code.
chaos.arm({ environment: 'staging', maxDuration: 10 * 60_000 });

let order = 0;
const paymentsDown: ExperimentOptions = {
  name: 'payment gateway down',
  hypothesis: 'checkout stays available (a queued order counts) while the gateway is down',
  seed,
  faults: [gatewayDown],
  load: {
    fn: () => payments.execute((ctx) => gateway.charge(`order-${++order}`, { signal: ctx.signal }), { operation: 'payment.charge' }),
    rate: 50, // calls per second, for the whole experiment
    operation: 'payment.charge',
  },
  steadyState: {
    'payment.charge': {
      availability: [{ threshold: 'rate>0.99', hard: true }], // broken while faults are on: halt at once
      latency: ['p(99)<800'],
    },
  },
  schedule: { baseline: 10_000, inject: 30_000, recovery: 20_000, evaluationInterval: 1_000 },
  circuitBreakers: [breaker],
  rollbacks: [() => breaker.reset()],
  progress: progressReporter({ stream: process.stderr }),
};

const journal = await runExperiment(paymentsDown);
console.log(journal.verdict, journal.timeToDetect, journal.mttr);
// --8<-- [end:experiment]

// --8<-- [start:reports]
mkdirSync('reports', { recursive: true });
writeFileSync('reports/chaos-report.json', renderJson(journal));
writeFileSync('reports/chaos-report.md', renderMarkdown(journal));
writeFileSync('reports/chaos-report.html', renderHtml(journal)); // one self-contained page
// --8<-- [end:reports]

// --8<-- [start:checks]
// The same checks in the flat form, with an operation filter and a hard limit:
const checks: Checks = [
  { metric: 'errorRate', threshold: 'rate<0.01' },
  { metric: 'latency', threshold: 'p(95)<=300', operation: 'leaderboard.read' },
  { metric: 'availability', threshold: 'rate>0.995', hard: true },
];
parseThreshold('p(99)<800'); // { aggregate: 'p', percentile: 99, operator: '<', value: 800, … }
parseThreshold('p99<800'); // throws: Invalid threshold "p99<800" at character 1: expected an aggregation…
// --8<-- [end:checks]
void checks;

// --8<-- [start:virtual]
// The same kind of experiment in a unit test: a VirtualClock runs it in milliseconds.
async function rehearseOnVirtualTime(): Promise<void> {
  const clock = new VirtualClock();
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const charge = scriptedDependency({ otherwise: Step.ok({ id: 'r-1' }, 20) }, clock); // answers in 20 ms
  const down = paymentGatewayDown({ clock, controller });
  const gatewayBreaker = circuitBreaker({ name: 'gateway', failureThreshold: 3, recoveryTimeout: 1_500, clock });
  const charges = pipeline(gatewayBreaker, down);

  const run = runExperiment({
    name: 'breaker only',
    hypothesis: 'errors stop within 2 s of the gateway coming back',
    faults: [down],
    load: { fn: () => charges.execute(() => charge()), rate: 10 },
    steadyState: { '*': { errorRate: ['rate<0.1'] } },
    schedule: { baseline: 1_000, inject: 2_000, recovery: 3_000, evaluationInterval: 500 },
    circuitBreakers: [gatewayBreaker],
    clock,
  });
  await clock.runAll(); // fires every timer of the experiment, in order
  const result = await run;
  // Faults on at 1 000 ms; the 3rd failing call (at 1 200 ms) opens the breaker: detected in 200 ms.
  // Faults off at 3 000 ms; the breaker's probe succeeds at 4 220 ms; 4 500–5 000 is the
  // first clean window: MTTR 1 500 ms.
  console.assert(result.verdict === 'pass' && result.timeToDetect === 200 && result.mttr === 1_500);
}
// --8<-- [end:virtual]
void rehearseOnVirtualTime;

// --8<-- [start:ramp]
const intensity = faultIntensity();
const slowCharges = paymentGatewaySlow({ rate: intensity.scale(0.5) }); // 0 → 50 % of calls during the ramp
await runExperiment({
  ...paymentsDown,
  name: 'payment gateway slow, ramped',
  faults: [slowCharges],
  intensity,
  schedule: { ...paymentsDown.schedule, ramp: 15_000 },
});
// --8<-- [end:ramp]

// --8<-- [start:suite]
const suite = await runSuite({
  name: 'game backend drill',
  seed,
  experiments: [
    { weight: 3, experiment: paymentsDown }, // checkout matters most
    { weight: 1, experiment: cdnSlow },
  ],
  progress: progressReporter({ stream: process.stderr }),
});
console.log(`resilience score: ${suite.score ?? 'n/a'} / 100`);
writeFileSync('reports/chaos-report.html', renderHtml(suite));
// --8<-- [end:suite]
