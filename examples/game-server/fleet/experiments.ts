/**
 * The fleet drill's three experiments, each measured from outside the instances (the
 * balancer's answers, the gateway's counts, the instances' event lines) and ending in a
 * verdict line with its numbers:
 *
 * 1. a partner quota held fleet-wide (one rate limit in Redis for three instances, against
 *    the same limit kept by each instance alone);
 * 2. a gateway outage seen by one instance first: the others open within 1 s, then one
 *    probe at a time across the fleet;
 * 3. chaos halted from the command line: the `redis-cli PUBLISH` of docs/fleet.md stops
 *    chaos on every instance within 1 s and leaves the halt flag for late joiners;
 * 4. Redis killed under load: every request answered, local decisions within 1 s, resync
 *    when Redis is back.
 */
import type { PaymentGateway } from './gateway';
import type { Fleet } from './instances';
import { byStatus, drive, type DriveOptions, type Shot } from './load';
import { redisCommand, type DrillRedis } from './redis-launcher';

/** Durations of one drill. */
export interface FleetTiming {
  /** Ms of load of each phase of the quota experiment. */
  readonly quotaPhase: number;
  /** Ms of load through the balancer while the fleet's breakers are open. */
  readonly openPhase: number;
  /** Ms of load of the Redis experiment, and when (ms into it) Redis is killed and restarted. */
  readonly redisLoad: number;
  readonly redisKillAt: number;
  readonly redisRestartAt: number;
}

/** The standard drill. */
export const FLEET_STANDARD: FleetTiming = { quotaPhase: 4_000, openPhase: 1_000, redisLoad: 7_000, redisKillAt: 1_500, redisRestartAt: 4_000 };
/** `--quick`. */
export const FLEET_QUICK: FleetTiming = { quotaPhase: 2_000, openPhase: 800, redisLoad: 4_500, redisKillAt: 1_000, redisRestartAt: 2_500 };

/** The fleet's settings the experiments check against. */
export interface FleetSetup {
  readonly partnerRate: number;
  readonly partnerBurst: number;
  readonly recoveryTimeout: number;
}

/** What the experiments need. */
export interface FleetDrillContext {
  readonly fleet: Fleet;
  readonly gateway: PaymentGateway;
  readonly redis: DrillRedis;
  /** The balancer's URL. */
  readonly entry: string;
  readonly timing: FleetTiming;
  readonly setup: FleetSetup;
  readonly out: { write(chunk: string): unknown };
  /** Aborted on Ctrl-C: the load stops sending and the waits end early. */
  readonly signal?: AbortSignal | undefined;
}

/** One experiment's outcome. */
export interface FleetExperimentResult {
  readonly name: string;
  readonly verdict: 'pass' | 'fail' | 'skipped';
  /** The verdict line and the lines of numbers under it. */
  readonly lines: readonly string[];
  /** The numbers, by name (for tests and the JSON of a CI run). */
  readonly numbers: Readonly<Record<string, number>>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** {@link drive}, stopped early by the drill's signal too. */
function load(c: FleetDrillContext, url: string, o: DriveOptions): Promise<Shot[]> {
  const signals = [o.signal, c.signal].filter((x): x is AbortSignal => x !== undefined);
  return drive(url, signals.length === 0 ? o : { ...o, signal: AbortSignal.any(signals) });
}
const perInstance = (shots: readonly Shot[], status: number): Record<string, number> => {
  const m: Record<string, number> = {};
  for (const s of shots) if (s.status === status && s.instance !== undefined) m[s.instance] = (m[s.instance] ?? 0) + 1;
  return m;
};
const list = (m: Readonly<Record<string, number>>): string =>
  Object.keys(m)
    .sort()
    .map((k) => `${k} ${m[k]}`)
    .join(', ') || 'none';
const statuses = (shots: readonly Shot[]): string =>
  [...byStatus(shots)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${n} × ${s}`)
    .join(', ');
/** Quota admissions: the charge went on to the gateway (answered 200, or 503 when the gateway failed it). */
const admissions = (shots: readonly Shot[]): number[] => shots.flatMap((s) => (s.admittedAt === undefined ? [] : [s.admittedAt]));
const verdictLine = (ok: boolean, name: string, summary: string): string => `${ok ? 'PASS' : 'FAIL'}  ${name}: ${summary}`;

/** Steady load (requests per second) of experiments 2 and 3: above the partner's quota, so some 429s are expected. */
const STEADY_LOAD = 15;

/** 1. The partner's quota held by the whole fleet, against each instance keeping it alone. */
export async function partnerQuotaExperiment(c: FleetDrillContext): Promise<FleetExperimentResult> {
  const { partnerRate: rate, partnerBurst: burst } = c.setup;
  const n = c.fleet.members.length;
  const loadRate = rate * n * 1.6; // each instance receives 1.6 × the quota
  const seconds = c.timing.quotaPhase / 1_000;
  c.out.write(`  quota: ${loadRate}/s through the balancer for ${seconds} s, fleet limit ${rate}/s (burst ${burst})\n`);
  const localBefore = await localDecisions(c);
  const fleetShots = await load(c, c.entry, { rate: loadRate, duration: c.timing.quotaPhase });
  const local = (await localDecisions(c)) - localBefore;
  await sleep(1_200); // both limiters refill; the island phase starts as full as the fleet phase did
  const islandShots = await load(c, c.entry, { rate: loadRate, duration: c.timing.quotaPhase, headers: { 'x-quota': 'island' } });
  const admittedAt = admissions(fleetShots);
  const admitted = admittedAt.length;
  const islands = admissions(islandShots).length;
  // GCRA's bound over the span in which the admissions happened (a busy machine can stretch
  // it past the load's duration): rate · span + burst.
  const span = admitted === 0 ? 0 : Math.max(...admittedAt) - Math.min(...admittedAt);
  const bound = Math.floor((rate * span) / 1_000) + burst;
  const unanswered = [...fleetShots, ...islandShots].filter((s) => s.status === 0).length;
  // 2 % + 2 for timing jitter between the instances' clocks reads; alone, each instance admits its whole quota.
  const ok = admitted <= bound * 1.02 + 2 && islands > admitted * 1.5 && unanswered === 0;
  const perSecond = span > 0 ? (admitted * 1_000) / span : 0;
  return {
    name: 'partner quota held fleet-wide',
    verdict: ok ? 'pass' : 'fail',
    numbers: { admitted, bound, span, islands, admittedPerSecond: perSecond, unanswered, localDecisions: local },
    lines: [
      verdictLine(ok, 'partner quota held fleet-wide', `${perSecond.toFixed(1)}/s admitted across ${n} instances (${admitted} in ${(span / 1_000).toFixed(2)} s; the limit ${rate}/s + burst ${burst} allows ${bound}, ${Math.round((admitted / Math.max(1, bound)) * 100)} % used)`),
      `      one shared budget : ${statuses(fleetShots)}; charged per instance: ${list(perInstance(fleetShots, 200))}; ${local} decided without Redis`,
      `      each one alone    : ${statuses(islandShots)}; ${islands} admitted, ${(islands / Math.max(1, admitted)).toFixed(1)} × the shared budget; charged per instance: ${list(perInstance(islandShots, 200))}`,
    ],
  };
}

/** The quota store's decisions made without Redis so far, summed over the fleet. */
async function localDecisions(c: FleetDrillContext): Promise<number> {
  const states = await Promise.all(c.fleet.members.map((m) => c.fleet.state(m)));
  return states.reduce((sum, s) => sum + Number((s['quota'] as { localDecisions?: unknown } | undefined)?.localDecisions ?? 0), 0);
}

/** Drives light load until every instance's breaker is closed (bounded): experiment 2 starts from a calm fleet. */
async function settle(c: FleetDrillContext): Promise<void> {
  const end = Date.now() + c.setup.recoveryTimeout + 5_000;
  while (Date.now() < end && c.signal?.aborted !== true) {
    const states = await Promise.all(c.fleet.members.map((m) => c.fleet.state(m)));
    if (states.every((s) => s['breaker'] === 'closed')) return;
    await load(c, c.entry, { rate: 10, duration: 300 });
  }
}

/** 2. The gateway fails; one instance sees it first; the fleet opens; one probe at a time. */
export async function gatewayOutageExperiment(c: FleetDrillContext): Promise<FleetExperimentResult> {
  const [first, ...others] = c.fleet.members;
  if (first === undefined) throw new Error('no instance');
  await settle(c);
  const t0 = Date.now();
  c.gateway.setUp(false);
  c.out.write(`  outage: the gateway answers 503; only ${first.id} has purchases to make\n`);
  // Purchases pinned to the first instance (one player's session), until its breaker opens.
  for (let i = 0; i < 40 && c.fleet.find('breaker-opened', t0, first.id).length === 0 && c.signal?.aborted !== true; i++) {
    await load(c, `http://127.0.0.1:${first.port}`, { rate: 200, duration: 25 });
  }
  const opened = c.fleet.find('breaker-opened', t0, first.id)[0];
  await c.fleet.until(() => others.every((m) => c.fleet.find('breaker-opened', t0, m.id).length > 0), 3_000, c.signal);
  const lags: Record<string, number> = {};
  for (const m of others) {
    const e = c.fleet.find('breaker-opened', t0, m.id)[0];
    // Never below 0: the others can hear the report before the first instance has printed its own event.
    lags[m.id] = e === undefined || opened === undefined ? Number.POSITIVE_INFINITY : Math.max(0, e.at - opened.at);
  }
  const reasons = others.map((m) => String(c.fleet.find('breaker-opened', t0, m.id)[0]?.['reason'] ?? 'none'));
  const maxLag = Math.max(...Object.values(lags));

  // While open: the others answer 503 without calling the gateway.
  c.gateway.resetCounts();
  const openShots = await load(c, c.entry, { rate: STEADY_LOAD, duration: c.timing.openPhase });
  const callsWhileOpen = c.gateway.counts().calls;
  const othersCalls = others.reduce((s, m) => s + (callsWhileOpen[m.id] ?? 0), 0);

  // Recovery: the gateway is back, slow enough (200 ms) that overlapping probes would show.
  c.gateway.setUp(true);
  c.gateway.setLatency(200);
  c.gateway.resetCounts();
  const recoveryStart = Date.now();
  const stopLoad = new AbortController();
  const recoveryLoad = load(c, c.entry, { rate: STEADY_LOAD, duration: c.setup.recoveryTimeout + 5_000, signal: stopLoad.signal });
  const closed = await c.fleet.until(() => c.fleet.members.every((m) => c.fleet.find('breaker-closed', recoveryStart, m.id).length > 0), c.setup.recoveryTimeout + 5_000, c.signal);
  stopLoad.abort();
  const recoveryShots = await recoveryLoad;
  c.gateway.setLatency(5);
  const counts = c.gateway.counts();
  const probes = Object.values(counts.probes).reduce((a, b) => a + b, 0);
  const closedAt = Math.max(...c.fleet.members.map((m) => c.fleet.find('breaker-closed', recoveryStart, m.id)[0]?.at ?? Number.NaN));

  const unanswered = [...openShots, ...recoveryShots].filter((s) => s.status !== 200 && s.status !== 429 && s.status !== 503).length;
  const ok = opened !== undefined && maxLag < 1_000 && othersCalls === 0 && closed && counts.maxConcurrentProbes <= 1 && unanswered === 0;
  return {
    name: 'gateway outage seen by one instance first',
    verdict: ok ? 'pass' : 'fail',
    numbers: { openLagMax: maxLag, othersCallsWhileOpen: othersCalls, probes, maxConcurrentProbes: counts.maxConcurrentProbes, closeAfter: closedAt - recoveryStart, unanswered },
    lines: [
      verdictLine(
        ok,
        'gateway outage seen by one instance first',
        opened === undefined ? `${first.id} never opened` : `${first.id} opened (${String(opened['reason'])}); ${others.map((m) => `${m.id} +${lags[m.id]} ms`).join(', ')} (reason ${[...new Set(reasons)].join('/')}, quorum 1)`,
      ),
      `      while open: ${statuses(openShots)}; gateway calls from ${others.map((m) => m.id).join(' and ')}: ${othersCalls}`,
      `      recovery  : ${statuses(recoveryShots)}`,
      `      half-open : probes per instance ${list(counts.probes)}; at most ${counts.maxConcurrentProbes} in flight at once fleet-wide; every breaker closed ${Number.isFinite(closedAt) ? `${closedAt - recoveryStart} ms` : 'never'} after the gateway came back`,
    ],
  };
}

/** 3. Redis killed under load, then restarted. */
export async function redisKilledExperiment(c: FleetDrillContext): Promise<FleetExperimentResult> {
  const name = 'Redis killed during the drill';
  if (!c.redis.owned) {
    return { name, verdict: 'skipped', numbers: {}, lines: [`SKIP  ${name}: REDIS_URL is set, and the drill kills only a Redis it started`] };
  }
  const { redisLoad, redisKillAt, redisRestartAt } = c.timing;
  c.out.write(`  redis: ${STEADY_LOAD}/s through the balancer for ${redisLoad / 1_000} s; redis-server killed at ${redisKillAt / 1_000} s, restarted at ${redisRestartAt / 1_000} s\n`);
  const start = Date.now();
  const steady = load(c, c.entry, { rate: STEADY_LOAD, duration: redisLoad });
  await sleep(redisKillAt);
  const killedAt = Date.now();
  await c.redis.kill();
  await sleep(Math.max(0, start + redisRestartAt - Date.now()));
  const restartedAt = Date.now();
  await c.redis.restart();
  const shots = await steady;
  const ids = c.fleet.members.map((m) => m.id);
  // Resync: the quota store goes back to Redis on its next probe, the breakers on their next heartbeat.
  await c.fleet.until(() => ids.every((id) => c.fleet.find('quota-recovered', restartedAt, id).length > 0 && c.fleet.find('breaker-fleet-synced', restartedAt, id).length > 0), 5_000, c.signal);

  const firstAfter = (event: string, since: number, id: string): number => (c.fleet.find(event, since, id)[0]?.at ?? Number.NaN) - since;
  const local = Math.max(...ids.map((id) => firstAfter('quota-degraded', killedAt, id)));
  const breakerAlone = Math.max(...ids.map((id) => firstAfter('breaker-fleet-degraded', killedAt, id)));
  const quotaBack = Math.max(...ids.map((id) => firstAfter('quota-recovered', restartedAt, id)));
  const breakerBack = Math.max(...ids.map((id) => firstAfter('breaker-fleet-synced', restartedAt, id)));
  const lost = shots.filter((s) => s.status !== 200 && s.status !== 429 && s.status !== 503).length;
  const outage = shots.filter((s) => s.sentAt >= killedAt && s.sentAt < restartedAt);
  const outageSeconds = (restartedAt - killedAt) / 1_000;
  const admittedInOutage = outage.filter((s) => s.status === 200).length;
  const ok = lost === 0 && local < 1_000 && breakerAlone < 1_000 && Number.isFinite(quotaBack) && Number.isFinite(breakerBack);
  const ms = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'never');
  return {
    name,
    verdict: ok ? 'pass' : 'fail',
    numbers: { sent: shots.length, lost, localWithin: local, breakerAloneWithin: breakerAlone, quotaResync: quotaBack, breakerResync: breakerBack, admittedPerSecondInOutage: admittedInOutage / outageSeconds },
    lines: [
      verdictLine(ok, name, `${shots.length} requests, ${lost} without an answer (${statuses(shots)})`),
      `      local decisions: quota within ${ms(local)} of the kill, breakers alone within ${ms(breakerAlone)}; ${(admittedInOutage / outageSeconds).toFixed(1)}/s admitted meanwhile (each instance 1/${ids.length} of ${c.setup.partnerRate}/s)`,
      `      resync after the restart: quota back on Redis within ${ms(quotaBack)}, breakers synced within ${ms(breakerBack)}`,
    ],
  };
}

/** The instances' key and channel prefix (policies.ts). */
const PREFIX = 'game';

/** 3. An operator halts chaos with the documented `redis-cli PUBLISH`: every instance stops within 1 s. */
export async function chaosHaltExperiment(c: FleetDrillContext): Promise<FleetExperimentResult> {
  const name = 'chaos halted from redis-cli';
  const ids = c.fleet.members.map((m) => m.id);
  const armed = ids.filter((id) => c.fleet.find('listening', 0, id)[0]?.['chaosArmed'] === true);
  const message = JSON.stringify({ bw: PREFIX, v: 1, k: 'halt', i: 'ops', d: { reason: 'fleet drill' } });
  c.out.write(`  chaos: redis-cli PUBLISH ${PREFIX}:chaos '${message}'\n`);
  const publishedAt = Date.now();
  const receivers = await redisCommand(c.redis.host, c.redis.port, ['PUBLISH', `${PREFIX}:chaos`, message]);
  await c.fleet.until(() => ids.every((id) => c.fleet.find('chaos-halted', publishedAt, id).length > 0), 3_000, c.signal);
  const lags: Record<string, number> = {};
  for (const id of ids) lags[id] = (c.fleet.find('chaos-halted', publishedAt, id)[0]?.at ?? Number.POSITIVE_INFINITY) - publishedAt;
  const maxLag = Math.max(...Object.values(lags));
  const flagKey = `${PREFIX}:{chaos}:halt`;
  const flag = await redisCommand(c.redis.host, c.redis.port, ['GET', flagKey]);
  const flagSet = flag !== undefined && flag.startsWith('$') && flag !== '$-1';
  // Clear it: this drill's later experiments (and its next run on the same REDIS_URL) start unhalted.
  await redisCommand(c.redis.host, c.redis.port, ['DEL', flagKey]);
  const by = [...new Set(ids.map((id) => String(c.fleet.find('chaos-halted', publishedAt, id)[0]?.['by'] ?? '?')))].join('/');
  const ok = armed.length === ids.length && maxLag < 1_000 && flagSet;
  const ms = (v: number): string => (Number.isFinite(v) ? `${Math.max(0, Math.round(v))} ms` : 'never');
  return {
    name,
    verdict: ok ? 'pass' : 'fail',
    numbers: { armed: armed.length, haltLagMax: maxLag, flagSet: flagSet ? 1 : 0 },
    lines: [
      verdictLine(ok, name, `${ids.map((id) => `${id} halted after ${ms(lags[id] ?? Number.NaN)}`).join(', ')} (by ${by}; ${armed.length} of ${ids.length} armed, PUBLISH reached ${receivers?.replace(/^:/, '') ?? '?'} subscribers)`),
      `      halt flag ${flagKey}: ${flagSet ? 'set (instances that arm later stay halted; the drill deletes it)' : `not set (${flag ?? 'no reply'})`}`,
    ],
  };
}
