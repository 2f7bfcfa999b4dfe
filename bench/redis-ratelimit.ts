/**
 * Fleet rate limit benchmark (issue #18): breakwater's Redis store against
 * rate-limiter-flexible's `RateLimiterRedis`, on one redis-server, in one run.
 *
 * 4 worker processes × 50 concurrent callers each make decisions on one shared key as fast
 * as they can, each process with one ioredis connection (the same for both libraries).
 *
 * - **Throughput** (a limit nobody reaches, so every decision is an admission and costs the
 *   same work in both libraries): decisions per second of rate-limiter-flexible, of
 *   breakwater without batching, and of breakwater with `localBatch`. Rounds are
 *   interleaved; the median is reported.
 * - **Accuracy** (a binding limit): what breakwater with `localBatch` admits against what
 *   the limit allows (`rate · duration + burst`), i.e. its overshoot.
 *
 * Targets: breakwater ≥ 1.0× rate-limiter-flexible without batching; ≥ 5× with
 * `localBatch`, at ≤ 1 % overshoot.
 *
 * Run: `npx tsx bench/redis-ratelimit.ts [--quick]` (starts its own redis-server, or uses
 * `REDIS_URL`). The report is Markdown on stdout; progress goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { rateLimiter } from '../src/rate-limiter/rate-limiter';
import { redisCoordinator } from '../src/redis/coordinator';
import { startRedisServer, type RedisServer } from '../test/support/redis-server';

const PROCESSES = 4;
const CALLERS = 50;
const LOCAL_BATCH = 256;
const LOCAL_BATCH_TTL = 100;
/** The binding limit of the accuracy run: this share of the batched throughput just measured (so the limit binds). */
const ACCURATE_SHARE = 0.5;
const ACCURATE_BURST = 200;
/** A limit no run reaches. */
const OPEN_RATE = 1_000_000_000;

type CaseName = 'rlf' | 'bw' | 'bw-batch';
interface RunRequest {
  readonly case: CaseName;
  readonly key: string;
  readonly rate: number;
  readonly burst: number;
  readonly startAt: number;
  readonly duration: number;
}
interface RunResult {
  readonly decisions: number;
  readonly admitted: number;
  readonly roundTrips: number;
}

// ------------------------------------------------------------------ worker

async function worker(): Promise<void> {
  const url = new URL(process.env['BENCH_REDIS_URL'] as string);
  const io = new Redis(Number(url.port), url.hostname, { lazyConnect: true });
  await io.connect();
  const coordinator = redisCoordinator({ client: io, prefix: 'bench' });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) {
    if (line === 'exit') break;
    const req = JSON.parse(line) as RunRequest;
    let decide: () => Promise<boolean>;
    let roundTrips = (): number => 0;
    if (req.case === 'rlf') {
      const rl = new RateLimiterRedis({ storeClient: io, points: req.rate, duration: 1, keyPrefix: req.key });
      decide = () =>
        rl.consume('k', 1).then(
          () => true,
          (r: unknown) => {
            if (r instanceof Error) throw r;
            return false;
          },
        );
    } else {
      const store = coordinator.rateLimitStore({
        name: req.key,
        storeTimeout: 5_000,
        localShare: 1,
        ...(req.case === 'bw-batch' ? { localBatch: LOCAL_BATCH, localBatchTtl: LOCAL_BATCH_TTL } : {}),
      });
      const limiter = rateLimiter({ name: 'bench', rate: req.rate, burst: req.burst, store });
      decide = () => limiter.acquire().then((d) => d.allowed);
      roundTrips = () => store.stats.roundTrips;
    }
    await decide(); // load the script on this connection before the clock starts
    const before = roundTrips();
    await new Promise((r) => setTimeout(r, Math.max(0, req.startAt - Date.now())));
    const end = req.startAt + req.duration;
    let decisions = 0;
    let admitted = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (Date.now() < end) {
          const ok = await decide();
          decisions++;
          if (ok) admitted++;
          // A refusal remembered locally answers synchronously-fast: let the loop turn.
          else await new Promise((r) => setImmediate(r));
        }
      }),
    );
    const result: RunResult = { decisions, admitted, roundTrips: roundTrips() - before };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  await coordinator.close();
  io.disconnect();
  process.exit(0); // stdin stays open: leave explicitly
}

// ------------------------------------------------------------------ parent

interface Worker {
  readonly child: ChildProcess;
  next(): Promise<string>;
}

function startWorker(url: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker'], {
    env: { ...process.env, BENCH_REDIS_URL: url },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    const w = waiting.shift();
    if (w !== undefined) w(l);
    else queue.push(l);
  });
  return {
    child,
    next: () => {
      const l = queue.shift();
      return l !== undefined ? Promise.resolve(l) : new Promise((r) => waiting.push(r));
    },
  };
}

async function runCase(workers: readonly Worker[], req: Omit<RunRequest, 'startAt'>): Promise<RunResult & { seconds: number }> {
  const startAt = Date.now() + 300;
  for (const w of workers) w.child.stdin?.write(`${JSON.stringify({ ...req, startAt })}\n`);
  const results = (await Promise.all(workers.map((w) => w.next()))).map((l) => JSON.parse(l) as RunResult);
  const sum = (f: (r: RunResult) => number): number => results.reduce((n, r) => n + f(r), 0);
  return { decisions: sum((r) => r.decisions), admitted: sum((r) => r.admitted), roundTrips: sum((r) => r.roundTrips), seconds: req.duration / 1_000 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const log = (m: string): void => void process.stderr.write(`${m}\n`);

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 1 : 3;
  const duration = quick ? 1_000 : 2_000;
  let server: RedisServer | undefined;
  const url = process.env['REDIS_URL'] ?? (server = await startRedisServer()).url;
  const loadBefore = loadavg()[0] as number;
  const t0 = Date.now();
  log(`redis at ${url}; starting ${PROCESSES} workers`);
  const workers = Array.from({ length: PROCESSES }, () => startWorker(url));
  try {
    for (const w of workers) if ((await w.next()) !== 'ready') throw new Error('worker failed to start');
    const cases: CaseName[] = ['rlf', 'bw', 'bw-batch'];
    const rates: Record<CaseName, number[]> = { rlf: [], bw: [], 'bw-batch': [] };
    const trips: Record<CaseName, number[]> = { rlf: [], bw: [], 'bw-batch': [] };
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < cases.length; i++) {
        const name = cases[(i + round) % cases.length] as CaseName;
        const r = await runCase(workers, { case: name, key: `open-${name}-${round}-${t0}`, rate: OPEN_RATE, burst: OPEN_RATE, duration });
        rates[name].push(r.decisions / r.seconds);
        trips[name].push(r.roundTrips / r.seconds);
        log(`round ${round + 1}/${rounds} ${name}: ${fmt(r.decisions / r.seconds)} decisions/s`);
      }
    }
    const accDuration = quick ? 1_000 : 3_000;
    const ACCURATE_RATE = Math.max(1_000, Math.round((median(rates['bw-batch']) * ACCURATE_SHARE) / 100) * 100);
    const acc = await runCase(workers, { case: 'bw-batch', key: `acc-${t0}`, rate: ACCURATE_RATE, burst: ACCURATE_BURST, duration: accDuration });
    const accPlain = await runCase(workers, { case: 'bw', key: `acc-plain-${t0}`, rate: ACCURATE_RATE, burst: ACCURATE_BURST, duration: accDuration });
    const allowed = (ACCURATE_RATE * accDuration) / 1_000 + ACCURATE_BURST;
    const overshoot = ((acc.admitted - allowed) / allowed) * 100;
    const overshootPlain = ((accPlain.admitted - allowed) / allowed) * 100;

    const rlf = median(rates.rlf);
    const bw = median(rates.bw);
    const batch = median(rates['bw-batch']);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const out: string[] = [];
    out.push('## Fleet rate limit on Redis (breakwater/redis vs rate-limiter-flexible)', '');
    out.push(
      `Machine: ${cpus().length} CPU, ${cpu}, Node ${process.version}; redis-server on loopback; ${PROCESSES} processes × ${CALLERS} concurrent callers, one ioredis connection each; ${rounds} interleaved round(s) of ${duration / 1_000} s, median; took ${((Date.now() - t0) / 1_000).toFixed(1)} s; 1-minute load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after.`,
      '',
    );
    out.push('| case (limit never reached) | decisions/s | × rate-limiter-flexible | round trips/s |', '| :--- | ---: | ---: | ---: |');
    out.push(`| rate-limiter-flexible \`RateLimiterRedis\` (fixed window, one Lua call per decision) | ${fmt(rlf)} | 1.00× | ${fmt(rlf)} |`);
    out.push(`| breakwater \`rateLimitStore()\` (GCRA, one Lua call per decision) | ${fmt(bw)} | ${(bw / rlf).toFixed(2)}× | ${fmt(median(trips.bw))} |`);
    out.push(`| breakwater \`rateLimitStore({ localBatch: ${LOCAL_BATCH} })\` | ${fmt(batch)} | ${(batch / rlf).toFixed(2)}× | ${fmt(median(trips['bw-batch']))} |`);
    out.push('');
    out.push(`| accuracy: limit ${fmt(ACCURATE_RATE)}/s (${ACCURATE_SHARE}× the batched throughput), burst ${ACCURATE_BURST}, ${accDuration / 1_000} s | admitted | allowed (rate · t + burst) | over (−: under) |`, '| :--- | ---: | ---: | ---: |');
    out.push(`| breakwater, localBatch ${LOCAL_BATCH} (ttl ${LOCAL_BATCH_TTL} ms) | ${fmt(acc.admitted)} | ${fmt(allowed)} | ${overshoot.toFixed(2)} % |`);
    out.push(`| breakwater, no batching | ${fmt(accPlain.admitted)} | ${fmt(allowed)} | ${overshootPlain.toFixed(2)} % |`);
    out.push('');
    const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
    out.push('Targets (issue #18):', '');
    out.push(`- ${verdict(bw >= rlf)} breakwater without batching ≥ 1.0× rate-limiter-flexible: ${(bw / rlf).toFixed(2)}× (${fmt(bw)} vs ${fmt(rlf)} decisions/s)`);
    out.push(`- ${verdict(batch >= 5 * rlf)} breakwater with localBatch ≥ 5× rate-limiter-flexible: ${(batch / rlf).toFixed(2)}× (${fmt(batch)} vs ${fmt(rlf)} decisions/s)`);
    out.push(`- ${verdict(overshoot <= 1)} localBatch overshoot ≤ 1 %: ${overshoot.toFixed(2)} % (${fmt(acc.admitted)} admitted, ${fmt(allowed)} allowed; bound ${PROCESSES} · ${LOCAL_BATCH} = ${PROCESSES * LOCAL_BATCH} units)`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const w of workers) w.child.stdin?.write('exit\n');
    const killer = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), 5_000);
    await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(undefined) : w.child.once('exit', r)))));
    clearTimeout(killer);
    await server?.stop();
  }
}

if (process.argv.includes('--worker')) {
  worker().catch((e: unknown) => {
    process.stderr.write(`bench worker failed: ${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
} else {
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
    process.exitCode = 1;
  });
}
