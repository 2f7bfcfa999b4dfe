/**
 * Soak: millions of calls with random faults through a full pipeline
 * (fallback › retry › circuit breaker › timeout › bulkhead › chaos) on the REAL clock, with
 * small timeouts and latencies so it finishes in a minute or two. Not part of CI.
 *
 * Prints calls/s, the heap before and after (after a global GC) and the outcome counts,
 * which must add up to the number of calls; exits non-zero when they do not, when a call
 * is still in flight at the end, when a limit was exceeded, or when no call settled for
 * 10 s (a hang).
 *
 * Run it bundled (tsx's keepNames wrappers slow the hot path ~3×):
 *   npx esbuild scripts/soak.ts --bundle --platform=node --format=esm --target=node20 \
 *     --outfile=.tmp/soak.mjs --log-level=warning && node --expose-gc .tmp/soak.mjs
 * Options: --calls=N (default 5 000 000), --concurrency=N (default 512), --seed=N.
 */
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  ChaosInjectedError,
  FallbackExhaustedError,
  TimeoutError,
  pipeline,
  type ExecutionContext,
} from '../src/index';
import { retry, retryBudget } from '../src/retry/index';
import { circuitBreaker } from '../src/circuit-breaker/index';
import { timeout } from '../src/timeout/index';
import { bulkhead } from '../src/bulkhead/index';
import { fallback, lastKnownGood } from '../src/fallback/index';
import { createChaosController, faultInjection, hang, latencyInjection } from '../src/chaos/index';
import { createMetrics } from '../src/metrics/index';
import { seededRandom } from '../src/testing/seeded-random';

function arg(name: string, fallbackValue: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  const v = found === undefined ? Number.NaN : Number(found.slice(name.length + 3));
  return Number.isFinite(v) && v > 0 ? v : fallbackValue;
}

const CALLS = arg('calls', 5_000_000);
const CONCURRENCY = arg('concurrency', 512);
const SEED = arg('seed', 20_261_125);
const MAX_CONCURRENT = 256;
const MAX_QUEUE = 1_024;

const gc = (globalThis as { gc?: () => void }).gc;
function heapAfterGc(): number {
  if (gc !== undefined) for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}
const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(2)} MB`;

class DependencyError extends Error {
  constructor() {
    super('dependency failed');
    this.name = 'DependencyError';
  }
}

const random = seededRandom(SEED);
const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' } });
controller.arm({ environment: 'soak', maxDuration: 60 * 60_000 });
const metrics = createMetrics({ maxOperations: 20, maxLabelSets: 20, labelKeys: ['tenant'] });
const lkg = lastKnownGood({ maxAge: 1_000, maxEntries: 1_000, key: (ctx) => ctx.labels['tenant'] ?? '' });
const breaker = circuitBreaker({
  name: 'dependency',
  window: { kind: 'time', duration: 1_000, buckets: 10 },
  minimumThroughput: 200,
  failureRateThreshold: 0.3,
  recoveryTimeout: 50,
  halfOpen: { maxProbes: 4, successThreshold: 2 },
});
const pool = bulkhead({ maxConcurrent: MAX_CONCURRENT, maxQueue: MAX_QUEUE, queueTimeout: 50 });
const p = pipeline(
  { name: 'soak' },
  fallback<unknown>({ tiers: [lkg, (_ctx: ExecutionContext, failure: unknown) => (failure instanceof TimeoutError ? 'degraded' : Promise.reject(failure))] }),
  retry({ maxAttempts: 3, delay: 1, maxDelay: 4, jitter: 'full', random, budget: retryBudget({ ratio: 0.2, minPerSecond: 100 }) }),
  breaker,
  timeout(20),
  pool,
  latencyInjection({ controller, random, rate: 0.001, latency: 2 }),
  hang({ controller, random, rate: 0.0005 }),
  faultInjection({ controller, random, rate: 0.03 }),
);
metrics.observe(p);
// The pipeline's own `executed` events: one per call (a second count that must add up).
let executed = 0;
let viaFallback = 0;
p.on('executed', (e) => {
  executed++;
  if (e.fallback) viaFallback++;
});

// The dependency: mostly fast; some errors; rare slow calls; an outage of 400 ms every 3 s
// (enough to trip the breaker, fail probes while it lasts and recover after).
const started = performance.now();
const outage = (): boolean => (performance.now() - started) % 3_000 < 400;
let overLimit = 0;
function dependency(ctx: ExecutionContext): unknown {
  const st = pool.stats;
  if (st.active > MAX_CONCURRENT || st.queued > MAX_QUEUE) overLimit++;
  const r = random();
  if (outage()) return Promise.reject(new DependencyError());
  if (r < 0.05) throw new DependencyError();
  if (r < 0.08) return Promise.reject(new DependencyError());
  if (r < 0.081) return new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(r * 1e4) % 3, 'slow'));
  if (r < 0.0812) {
    // reads the signal and honours it: a long wait cut by the timeout
    const signal = ctx.signal;
    return new Promise((resolve, reject) => {
      const t = setTimeout(resolve, 100, 'late');
      signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    });
  }
  return r < 0.5 ? 'value' : Promise.resolve('value');
}

const outcomes: Record<string, number> = {
  value: 0,
  'value (slow)': 0,
  'fallback: degraded': 0,
  'caller aborted': 0,
  DependencyError: 0,
  BrokenCircuitError: 0,
  BulkheadRejectedError: 0,
  TimeoutError: 0,
  ChaosInjectedError: 0,
  FallbackExhaustedError: 0,
  other: 0,
};
const CALLER_ABORT = new Error('caller aborted');

function classifyValue(v: unknown): string {
  if (v === 'value') return 'value';
  if (v === 'slow' || v === 'late') return 'value (slow)';
  if (v === 'degraded') return 'fallback: degraded';
  return 'other';
}
function classifyError(e: unknown): string {
  if (e === CALLER_ABORT) return 'caller aborted';
  if (e instanceof DependencyError) return 'DependencyError';
  if (e instanceof BrokenCircuitError) return 'BrokenCircuitError';
  if (e instanceof BulkheadRejectedError) return 'BulkheadRejectedError';
  if (e instanceof TimeoutError) return 'TimeoutError';
  if (e instanceof ChaosInjectedError) return 'ChaosInjectedError';
  if (e instanceof FallbackExhaustedError) return 'FallbackExhaustedError';
  return 'other';
}

let startedCalls = 0;
let settled = 0;
let inFlight = 0;
let lastProgress = performance.now();
const tenants = Array.from({ length: 50 }, (_, i) => ({ tenant: `t${i}` }));

/** A value from the dependency, or the same value served again by lastKnownGood. */
function onValue(v: unknown): void {
  (outcomes as Record<string, number>)[classifyValue(v)]!++;
  finish();
}
function onError(e: unknown): void {
  (outcomes as Record<string, number>)[classifyError(e)]!++;
  finish();
}
function finish(): void {
  settled++;
  inFlight--;
  if ((settled & 0x3fff) === 0) lastProgress = performance.now();
  if (startedCalls < CALLS) launch();
  else if (inFlight === 0) void end();
}
function launch(): void {
  const i = startedCalls++;
  inFlight++;
  let signal: AbortSignal | undefined;
  if (i % 1_000 === 999) {
    const c = new AbortController();
    signal = c.signal;
    setTimeout(() => c.abort(CALLER_ABORT), 1);
  }
  p.execute(dependency, { signal, labels: tenants[i % 50] }).then(onValue, onError);
}

const watchdog = setInterval(() => {
  if (performance.now() - lastProgress > 10_000) {
    console.error(`HUNG: no call settled for 10 s; ${inFlight} in flight, ${settled}/${CALLS} settled`);
    process.exit(1);
  }
}, 1_000);
watchdog.unref();

const heapBefore = heapAfterGc();
const t0 = performance.now();
console.log(`soak: ${CALLS.toLocaleString('en-US')} calls, ${CONCURRENCY} in flight, seed ${SEED}, real clock${gc === undefined ? ' (no --expose-gc: heap numbers without GC)' : ''}`);
for (let i = 0; i < CONCURRENCY && startedCalls < CALLS; i++) launch();

async function end(): Promise<void> {
  const seconds = (performance.now() - t0) / 1_000;
  // Let trailing timers (caller aborts, slow dependency calls) run out before measuring.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const heapAfter = heapAfterGc();
  const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
  const snap = metrics.snapshot();
  const metricCalls = snap.calls.reduce((n, s) => n + s.total, 0);
  console.log(`calls/s        ${Math.round(CALLS / seconds).toLocaleString('en-US')} (${seconds.toFixed(1)} s)`);
  console.log(`heap before    ${mb(heapBefore)}`);
  console.log(`heap after     ${mb(heapAfter)} (${heapAfter >= heapBefore ? '+' : ''}${mb(heapAfter - heapBefore)})`);
  console.log('outcomes:');
  for (const [k, v] of Object.entries(outcomes)) console.log(`  ${k.padEnd(28)} ${v.toLocaleString('en-US').padStart(10)}`);
  console.log(`  ${'total'.padEnd(28)} ${total.toLocaleString('en-US').padStart(10)}  (calls ${CALLS.toLocaleString('en-US')})`);
  console.log(`metrics        ${metricCalls.toLocaleString('en-US')} calls recorded`);
  for (const b of snap.breakers) {
    const opens = Object.values(b.openings).reduce((a, n) => a + n, 0);
    console.log(`breaker        ${b.name}: opened ${opens} times, ${b.recoveries} recoveries, MTTR ${b.mttr === undefined ? 'n/a' : `${b.mttr.toFixed(1)} ms`}`);
  }
  const injections = new Map<string, number>();
  for (const f of snap.injections) injections.set(`${f.fault} (${f.faultKind})`, (injections.get(`${f.fault} (${f.faultKind})`) ?? 0) + f.injections);
  for (const [fault, n] of injections) console.log(`chaos          ${fault}: ${n.toLocaleString('en-US')} injections`);
  console.log(`events         ${executed.toLocaleString('en-US')} executed events, ${viaFallback.toLocaleString('en-US')} served by a fallback tier`);
  const problems: string[] = [];
  if (total !== CALLS) problems.push(`outcomes add up to ${total}, not ${CALLS}`);
  if (settled !== CALLS) problems.push(`${settled} settled of ${CALLS}`);
  if (executed !== CALLS) problems.push(`${executed} executed events, not ${CALLS}`);
  if (metricCalls !== CALLS) problems.push(`metrics recorded ${metricCalls} calls, not ${CALLS}`);
  if (outcomes['other'] !== 0) problems.push(`${outcomes['other']} unexpected errors`);
  if (overLimit > 0) problems.push(`bulkhead over its limits ${overLimit} times`);
  const st = pool.stats;
  if (st.active !== 0 || st.queued !== 0) problems.push(`bulkhead not empty: ${st.active} active, ${st.queued} queued`);
  if (breaker.stats.activeProbes !== 0) problems.push(`${breaker.stats.activeProbes} half-open permits still held`);
  if (lkg.size > 1_000) problems.push(`lastKnownGood holds ${lkg.size} entries (cap 1000)`);
  if (problems.length > 0) {
    console.error(`FAIL: ${problems.join('; ')}`);
    process.exitCode = 1;
  } else console.log('OK: every call settled once; outcomes add up; no limit exceeded');
  // No process.exit(): the process must end by itself now (nothing left keeps it alive).
}
