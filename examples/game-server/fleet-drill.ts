/**
 * The fleet drill (`npm start -- --fleet`): three game-server processes behind a loopback
 * round-robin balancer, sharing one Redis through `breakwater/redis`, and four experiments:
 *
 * 1. the payment partner's quota (10/s) held by the whole fleet;
 * 2. a payment-gateway outage seen by one instance first: the others open within 1 s, then
 *    one probe at a time across the fleet;
 * 3. chaos halted on every instance by one `redis-cli PUBLISH`;
 * 4. redis-server killed under load: every request answered, local decisions within 1 s,
 *    resync when it is back.
 *
 *   npm start -- --fleet           the drill (about 30 s)
 *   npm start -- --fleet --quick   shorter phases (about 25 s)
 *
 * Redis: `REDIS_URL` when set (experiment 4 is then skipped: the drill kills only a Redis it
 * started), else a `redis-server` started here on a free loopback port with no persistence.
 * Without either, it says how to install Redis and exits 0. Everything it started (the
 * instances, the balancer, the gateway, redis-server) is stopped at the end, on failure and
 * on Ctrl-C.
 */
import { startBalancer, type Balancer } from './fleet/balancer';
import {
  FLEET_QUICK,
  FLEET_STANDARD,
  chaosHaltExperiment,
  gatewayOutageExperiment,
  partnerQuotaExperiment,
  redisKilledExperiment,
  type FleetDrillContext,
  type FleetExperimentResult,
  type FleetSetup,
} from './fleet/experiments';
import { startPaymentGateway, type PaymentGateway } from './fleet/gateway';
import { Fleet } from './fleet/instances';
import { closeLoad } from './fleet/load';
import { INSTALL_HINT, startDrillRedis } from './fleet/redis-launcher';

/** Options of {@link runFleetDrill}. */
export interface FleetDrillOptions {
  /** The short drill. @defaultValue false */
  readonly quick?: boolean | undefined;
  /** Where the lines go. @defaultValue `process.stdout` */
  readonly out?: { write(chunk: string): unknown } | undefined;
  /** The environment read for `REDIS_URL`. @defaultValue `process.env` */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Aborting it stops the drill between steps and tears everything down (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
}

/** What {@link runFleetDrill} returns. */
export interface FleetDrillResult {
  /** `no-redis`: neither redis-server nor `REDIS_URL`; nothing ran. */
  readonly status: 'ran' | 'no-redis';
  readonly experiments: readonly FleetExperimentResult[];
  /** Requests the balancer could not deliver to an instance. */
  readonly upstreamErrors: number;
  /** Wall time (ms). */
  readonly duration: number;
}

/** The fleet's settings: three instances, a partner quota of 10/s (bursts of 5), quorum 1. */
export const FLEET_SETUP: FleetSetup & { readonly instances: number; readonly quorum: number } = {
  instances: 3,
  partnerRate: 10,
  partnerBurst: 5,
  quorum: 1,
  recoveryTimeout: 3_000,
};

/** Thrown by {@link runFleetDrill} when its `signal` aborted (after everything was stopped). */
export class FleetDrillInterrupted extends Error {
  constructor() {
    super('fleet drill interrupted');
    this.name = 'FleetDrillInterrupted';
  }
}

/** Runs the fleet drill; resolves (or rejects) once everything it started is stopped. */
export async function runFleetDrill(options: FleetDrillOptions = {}): Promise<FleetDrillResult> {
  const started = Date.now();
  const out = options.out ?? process.stdout;
  const timing = options.quick === true ? FLEET_QUICK : FLEET_STANDARD;
  const redis = await startDrillRedis(options.env ?? process.env);
  if (redis === undefined) {
    out.write(`Fleet drill skipped: no redis-server found and REDIS_URL is not set.\n${INSTALL_HINT}\n`);
    return { status: 'no-redis', experiments: [], upstreamErrors: 0, duration: Date.now() - started };
  }
  const fleet = new Fleet();
  let gateway: PaymentGateway | undefined;
  let balancer: Balancer | undefined;
  const experiments: FleetExperimentResult[] = [];
  const checkAborted = (): void => {
    if (options.signal?.aborted === true) throw new FleetDrillInterrupted();
  };
  try {
    out.write(`Redis: ${redis.owned ? `redis-server started on ${redis.url} (no persistence)` : `REDIS_URL (${redis.host}:${redis.port})`}\n`);
    gateway = await startPaymentGateway();
    await fleet.start({ redisUrl: redis.url, gatewayUrl: gateway.url, ...FLEET_SETUP });
    checkAborted();
    balancer = await startBalancer(fleet.members.map((m) => m.port));
    out.write(`Fleet: ${fleet.members.map((m) => `${m.id} :${m.port}`).join(', ')} behind the balancer ${balancer.url}\n\n`);
    const context: FleetDrillContext = { fleet, gateway, redis, entry: balancer.url, timing, setup: FLEET_SETUP, out, signal: options.signal };
    for (const experiment of [partnerQuotaExperiment, gatewayOutageExperiment, chaosHaltExperiment, redisKilledExperiment]) {
      checkAborted();
      const result = await experiment(context);
      checkAborted(); // an interrupted experiment has no verdict
      experiments.push(result);
      out.write(`${result.lines.join('\n')}\n\n`);
    }
    const failed = experiments.filter((e) => e.verdict === 'fail').length;
    out.write(`${experiments.length - failed} of ${experiments.length} experiments held${failed > 0 ? `, ${failed} failed` : ''}; the balancer could not reach an instance ${balancer.upstreamErrors} times.\n`);
    return { status: 'ran', experiments, upstreamErrors: balancer.upstreamErrors, duration: Date.now() - started };
  } finally {
    await balancer?.close();
    await fleet.stop();
    await gateway?.close();
    await redis.stop();
    closeLoad();
  }
}

/** Runs the drill from the command line (`drill.ts --fleet` calls it): exit code 1 when an experiment failed. */
export async function fleetDrillMain(argv: readonly string[]): Promise<void> {
  const unknown = argv.filter((a) => a.startsWith('--') && a !== '--fleet' && a !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown option(s) with --fleet: ${unknown.join(' ')} (known: --quick)`);
  const abort = new AbortController();
  let interrupted = 0;
  const onSignal = (): void => {
    interrupted++;
    if (interrupted > 1) process.exit(130); // a second Ctrl-C: now (the exit hooks still kill redis-server)
    process.stderr.write('\nstopping the fleet drill…\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runFleetDrill({ quick: argv.includes('--quick'), signal: abort.signal });
    if (result.experiments.some((e) => e.verdict === 'fail')) process.exitCode = 1;
    if (result.status === 'ran') process.stdout.write(`Done in ${(result.duration / 1_000).toFixed(1)} s.\n`);
  } catch (error) {
    if (!(error instanceof FleetDrillInterrupted)) throw error;
    process.stderr.write('Fleet drill interrupted: the instances, the balancer, the gateway and redis-server are stopped.\n');
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (interrupted > 0) process.exitCode = 130;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /fleet-drill\.(ts|js|mjs)$/.test(process.argv[1]);
if (invokedDirectly) {
  fleetDrillMain(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`fleet drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
