// Chaos fault injection, as shown in docs/chaos.md. Type-checked by `npm test`.
import { readFileSync } from 'node:fs';
import { bulkhead } from '../../src/bulkhead/index';
import {
  behaviorInjection,
  chaos,
  createChaosController,
  distributions,
  exhaustion,
  faultInjection,
  flapping,
  hang,
  isInjectedFault,
  latencyInjection,
  outcomeInjection,
  parseChaosRules,
  paymentGatewayDown,
  paymentGatewayErrorSpike,
  redisKeyExpiry,
  simulatedSystemError,
} from '../../src/chaos/index';
import { circuitBreaker } from '../../src/circuit-breaker/index';
import { fallback } from '../../src/fallback/index';
import { pipeline } from '../../src/index';
import { retry } from '../../src/retry/index';
import { seededRandom, VirtualClock } from '../../src/testing/index';
import { timeout } from '../../src/timeout/index';

interface Receipt {
  readonly id: string;
  readonly queued?: boolean;
}
declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const cache: { get(key: string): Promise<string | null>; clear(): void };
declare const log: { info(message: string): void; warn(message: string): void };

// --8<-- [start:arm]
// 1. The process must be started with BREAKWATER_CHAOS=1, and
// 2. the code must arm, naming its environment (production needs allowProduction: true).
const rules = parseChaosRules(readFileSync('chaos-rules.json', 'utf8'));
const status = chaos.arm({
  environment: process.env['DEPLOY_ENV'] ?? 'development',
  maxDuration: 30 * 60_000, // disarms by itself after 30 minutes
  rules,
});
if (!status.armed) log.info(`chaos is off: ${status.reason}`);

// The kill switch: synchronous and global. The very next call runs untouched.
process.on('SIGUSR2', () => chaos.halt('operator pressed the red button'));
// --8<-- [end:arm]

// --8<-- [start:pipeline]
const spike = paymentGatewayErrorSpike({ target: { operations: ['payment.*'] } });

const payments = pipeline(
  { name: 'payments' },
  fallback<Receipt>({ tiers: [{ id: 'pending', queued: true }] }),
  retry({ maxAttempts: 3, delay: 200, jitter: 'full' }),
  circuitBreaker({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  timeout(2_000),
  spike, // chaos goes innermost: every real policy sees the fault
);

spike.on('injected', (e) => log.warn(`chaos: ${e.fault} hit ${e.operation}`));

export function charge(orderId: string): Promise<Receipt> {
  return payments.execute((ctx) => gateway.charge(orderId, { signal: ctx.signal }), { operation: 'payment.charge' });
}
// --8<-- [end:pipeline]

// --8<-- [start:faults]
// Errors: a ChaosInjectedError by default, or the error you describe.
const refused = faultInjection({
  name: 'db-refused',
  rate: 0.2,
  error: () => simulatedSystemError('ECONNREFUSED', 'connect', { address: '10.0.0.20', port: 5432 }),
});

// Latency: fixed, uniform, normal, lognormal or empirical; abort-aware.
const slowQueries = latencyInjection({ latency: distributions.lognormal({ median: 200, p99: 3_000 }), rate: 0.25 });
const jittery = latencyInjection({ latency: distributions.uniform(50, 250) });
const replayed = latencyInjection({ latency: distributions.empirical([12, 14, 15, 18, 40, 95, 900]) });

// Fake outcomes: a declined payment, a 401, a cache miss.
const declined = outcomeInjection({ result: { status: 402, code: 'card_declined' }, rate: 0.05 });
const cacheMiss = redisKeyExpiry({ rate: 0.5 });

// A side effect first, then the call.
const flushCache = behaviorInjection({ behavior: () => cache.clear(), rate: 0.01 });

// Never answers until a timeout or the caller aborts.
const partition = hang({ rate: 0.1 });

// Hold 14 of the pool's 16 slots for 5 s: what comes next queues or is rejected.
const pool = bulkhead({ maxConcurrent: 16, maxQueue: 8 });
const drain = exhaustion({ bulkhead: pool, permits: 14, holdFor: 5_000, rate: 0.01 });

// On for 10 s, off for 20 s: probes that sometimes pass, to exercise half-open.
const unstable = flapping({ onDuration: 10_000, offDuration: 20_000, fault: hang() });
// --8<-- [end:faults]

// --8<-- [start:targeting]
const euFreeTier = faultInjection({
  target: {
    operations: ['shop.*', 'inventory.**', /^leaderboard\.(read|top)$/],
    labels: { region: 'eu', tier: ['free', 'trial'] },
  },
  cohort: { label: 'userId', percent: 5 }, // the same 5 % of players, every time, in every process
  when: (ctx) => ctx.labels['canary'] !== 'true', // a predicate per call
  rate: (ctx) => (ctx.operation === 'shop.checkout' ? 0.5 : 0.1),
});

async function loadProfile(userId: string): Promise<string | null> {
  return pipeline(euFreeTier).execute(() => cache.get(`profile:${userId}`), {
    operation: 'shop.profile',
    labels: { userId, region: 'eu', tier: 'free' },
  });
}
// --8<-- [end:targeting]

// --8<-- [start:test]
// In a test: an isolated controller, a virtual clock and a seed replay the same run.
const clock = new VirtualClock();
const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
controller.arm({ environment: 'test' });

const flaky = faultInjection({ controller, clock, rate: 0.3, random: seededRandom(42) });

export async function injectedCalls(): Promise<number[]> {
  const hits: number[] = [];
  for (let i = 0; i < 100; i++) {
    await flaky.execute(() => i).catch((error: unknown) => {
      if (isInjectedFault(error)) hits.push(i);
    });
  }
  return hits; // the same list on every run with seed 42
}
// --8<-- [end:test]

// --8<-- [start:switch]
// Built off: arming at start-up leaves it off until something calls enable().
const gatewayDown = paymentGatewayDown({ enabled: false, target: { operations: ['payment.*'] } });

// Experiments switch faults at run time; the counters tell what was injected.
gatewayDown.enable(); // on now (it injects while the controller is armed)
slowQueries.disable(); // off now: ongoing injected delays end, the calls run
slowQueries.enable();
log.info(`${slowQueries.name}: ${slowQueries.injections} injections`);
// --8<-- [end:switch]

export { gatewayDown, refused, jittery, replayed, declined, cacheMiss, flushCache, partition, drain, unstable, loadProfile };
