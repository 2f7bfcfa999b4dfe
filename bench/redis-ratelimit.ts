/**
 * Fleet rate limit benchmark (issue #18): breakwater's Redis store against
 * rate-limiter-flexible's `RateLimiterRedis`, on one redis-server, in one run.
 *
 * 4 worker processes × 50 concurrent callers each make decisions on one shared key as fast
 * as they can, each process with one ioredis connection (the same for both libraries).
 *
 * - **Throughput** (a limit nobody reaches, so every decision is an admission and costs one
 *   script call in both libraries): decisions per second (wall clock) and per CPU-second
 *   (the workers' CPU plus redis-server's, which is what counts on a busy machine) of
 *   rate-limiter-flexible, of breakwater without batching, and of breakwater with
 *   `localBatch`. breakwater's coordinator sends the script calls made in one turn of the
 *   event loop as one ioredis pipeline (node-redis does that by itself); a reference row
 *   shows rate-limiter-flexible on a client with ioredis's `enableAutoPipelining`. Rounds
 *   are interleaved; the median is reported.
 * - **Accuracy** (a binding limit, half of what each configuration reached): what
 *   breakwater admits against what the limit allows (`rate · duration + burst`), i.e. its
 *   overshoot.
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
/** The binding limit of an accuracy run: this share of the throughput its configuration just reached (so the limit binds). */
const ACCURATE_SHARE = 0.5;
/** A limit no run reaches. */
const OPEN_RATE = 1_000_000_000;

type CaseName = 'rlf' | 'rlf-ap' | 'bw' | 'bw-batch';
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
  /** CPU time (µs) the process spent in the timed run. */
  readonly cpu: number;
}

// ------------------------------------------------------------------ worker

async function worker(): Promise<void> {
  const url = new URL(process.env['BENCH_REDIS_URL'] as string);
  const io = new Redis(Number(url.port), url.hostname, { lazyConnect: true });
  await io.connect();
  // A second connection with ioredis's auto-pipelining, for the reference row: breakwater
  // pipelines its script calls itself, rate-limiter-flexible does when the client does.
  const ioAp = new Redis(Number(url.port), url.hostname, { lazyConnect: true, enableAutoPipelining: true });
  await ioAp.connect();
  const coordinator = redisCoordinator({ client: io, prefix: 'bench' });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) {
    if (line === 'exit') break;
    const req = JSON.parse(line) as RunRequest;
    let decide: () => Promise<boolean>;
    let roundTrips = (): number => 0;
    if (req.case === 'rlf' || req.case === 'rlf-ap') {
      const rl = new RateLimiterRedis({ storeClient: req.case === 'rlf' ? io : ioAp, points: req.rate, duration: 1, keyPrefix: req.key });
      let calls = 0; // one round trip each
      roundTrips = () => calls;
      decide = () => {
        calls++;
        return rl.consume('k', 1).then(
          () => true,
          (r: unknown) => {
            if (r instanceof Error) throw r;
            return false;
          },
        );
      };
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
    const cpu0 = process.cpuUsage();
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
    const cpu = process.cpuUsage(cpu0);
    const result: RunResult = { decisions, admitted, roundTrips: roundTrips() - before, cpu: cpu.user + cpu.system };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  await coordinator.close();
  io.disconnect();
  ioAp.disconnect();
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

/** CPU time (µs) redis-server has used, from INFO cpu. */
async function serverCpu(io: Redis): Promise<number> {
  const info = String(await io.info('cpu'));
  const read = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

async function runCase(workers: readonly Worker[], io: Redis, req: Omit<RunRequest, 'startAt'>): Promise<RunResult & { seconds: number }> {
  const startAt = Date.now() + 300;
  for (const w of workers) w.child.stdin?.write(`${JSON.stringify({ ...req, startAt })}\n`);
  const s0 = await serverCpu(io);
  const results = (await Promise.all(workers.map((w) => w.next()))).map((l) => JSON.parse(l) as RunResult);
  const s1 = await serverCpu(io);
  const sum = (f: (r: RunResult) => number): number => results.reduce((n, r) => n + f(r), 0);
  return {
    decisions: sum((r) => r.decisions),
    admitted: sum((r) => r.admitted),
    roundTrips: sum((r) => r.roundTrips),
    // Workers' CPU in the run, plus redis-server's over the whole case (setup included: a slight overcount).
    cpu: sum((r) => r.cpu) + (s1 - s0),
    seconds: req.duration / 1_000,
  };
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
  const u = new URL(url);
  const admin = new Redis(Number(u.port), u.hostname);
  try {
    for (const w of workers) if ((await w.next()) !== 'ready') throw new Error('worker failed to start');
    const cases: CaseName[] = ['rlf', 'rlf-ap', 'bw', 'bw-batch'];
    const rates: Record<CaseName, number[]> = { rlf: [], 'rlf-ap': [], bw: [], 'bw-batch': [] };
    const trips: Record<CaseName, number[]> = { rlf: [], 'rlf-ap': [], bw: [], 'bw-batch': [] };
    const perCpu: Record<CaseName, number[]> = { rlf: [], 'rlf-ap': [], bw: [], 'bw-batch': [] };
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < cases.length; i++) {
        const name = cases[(i + round) % cases.length] as CaseName;
        const r = await runCase(workers, admin, { case: name, key: `open-${name}-${round}-${t0}`, rate: OPEN_RATE, burst: OPEN_RATE, duration });
        rates[name].push(r.decisions / r.seconds);
        trips[name].push(r.roundTrips / r.seconds);
        perCpu[name].push(r.decisions / (r.cpu / 1e6));
        log(`round ${round + 1}/${rounds} ${name}: ${fmt(r.decisions / r.seconds)} decisions/s`);
      }
    }
    // Accuracy: a limit at half of what each configuration reached, so that it binds.
    const accDuration = quick ? 1_000 : 3_000;
    const limitFor = (c: CaseName): number => Math.max(1_000, Math.round((median(rates[c]) * ACCURATE_SHARE) / 100) * 100);
    const accuracy = async (c: 'bw' | 'bw-batch'): Promise<{ rate: number; burst: number; admitted: number; allowed: number; over: number }> => {
      const rate = limitFor(c);
      const burst = Math.round(rate / 20); // 50 ms worth
      const r = await runCase(workers, admin, { case: c, key: `acc-${c}-${t0}`, rate, burst, duration: accDuration });
      const allowed = (rate * accDuration) / 1_000 + burst;
      return { rate, burst, admitted: r.admitted, allowed, over: ((r.admitted - allowed) / allowed) * 100 };
    };
    const acc = await accuracy('bw-batch');
    const accPlain = await accuracy('bw');
    const overshoot = acc.over;
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
    const cpuOf = (c: CaseName): string => fmt(median(perCpu[c]));
    const cpuRatio = (c: CaseName): string => `${(median(perCpu[c]) / median(perCpu.rlf)).toFixed(2)}×`;
    out.push(
      '| case (limit never reached) | decisions/s | × rate-limiter-flexible | round trips/s | decisions per CPU-second (workers + redis-server) | × rate-limiter-flexible |',
      '| :--- | ---: | ---: | ---: | ---: | ---: |',
    );
    out.push(`| rate-limiter-flexible \`RateLimiterRedis\` (fixed window, one Lua call per decision) | ${fmt(rlf)} | 1.00× | ${fmt(median(trips.rlf))} | ${cpuOf('rlf')} | 1.00× |`);
    const ap = median(rates['rlf-ap']);
    out.push(`| _reference:_ the same on a client with \`enableAutoPipelining: true\` | ${fmt(ap)} | ${(ap / rlf).toFixed(2)}× | ${fmt(median(trips['rlf-ap']))} | ${cpuOf('rlf-ap')} | ${cpuRatio('rlf-ap')} |`);
    out.push(`| breakwater \`rateLimitStore()\` (GCRA, one Lua call per decision; calls of one turn share a pipeline) | ${fmt(bw)} | ${(bw / rlf).toFixed(2)}× | ${fmt(median(trips.bw))} | ${cpuOf('bw')} | ${cpuRatio('bw')} |`);
    out.push(`| breakwater \`rateLimitStore({ localBatch: ${LOCAL_BATCH} })\` | ${fmt(batch)} | ${(batch / rlf).toFixed(2)}× | ${fmt(median(trips['bw-batch']))} | ${cpuOf('bw-batch')} | ${cpuRatio('bw-batch')} |`);
    out.push('');
    out.push(`| accuracy (${accDuration / 1_000} s; limit at ${ACCURATE_SHARE}× the throughput reached above, burst 50 ms of it) | limit | admitted | allowed (rate · t + burst) | over (−: under) |`, '| :--- | ---: | ---: | ---: | ---: |');
    out.push(`| breakwater, localBatch ${LOCAL_BATCH} (ttl ${LOCAL_BATCH_TTL} ms) | ${fmt(acc.rate)}/s | ${fmt(acc.admitted)} | ${fmt(acc.allowed)} | ${acc.over.toFixed(2)} % |`);
    out.push(`| breakwater, no batching | ${fmt(accPlain.rate)}/s | ${fmt(accPlain.admitted)} | ${fmt(accPlain.allowed)} | ${accPlain.over.toFixed(2)} % |`);
    out.push('');
    const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
    out.push('Targets (issue #18):', '');
    out.push(`- ${verdict(bw >= rlf)} breakwater without batching ≥ 1.0× rate-limiter-flexible: ${(bw / rlf).toFixed(2)}× (${fmt(bw)} vs ${fmt(rlf)} decisions/s)`);
    out.push(`- ${verdict(batch >= 5 * rlf)} breakwater with localBatch ≥ 5× rate-limiter-flexible: ${(batch / rlf).toFixed(2)}× (${fmt(batch)} vs ${fmt(rlf)} decisions/s)`);
    out.push(`- ${verdict(overshoot <= 1)} localBatch overshoot ≤ 1 %: ${overshoot.toFixed(2)} % (${fmt(acc.admitted)} admitted, ${fmt(acc.allowed)} allowed; bound ${PROCESSES} · ${LOCAL_BATCH} = ${PROCESSES * LOCAL_BATCH} units)`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const w of workers) w.child.stdin?.write('exit\n');
    const killer = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), 5_000);
    await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(undefined) : w.child.once('exit', r)))));
    clearTimeout(killer);
    admin.disconnect();
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
