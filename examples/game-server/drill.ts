/**
 * The chaos drill (`npm start`): starts the game server on an ephemeral loopback port,
 * arms chaos for this process only, drives real HTTP load at it and runs nine experiments:
 * six scenarios of the catalog, a shop flood, and the two latency experiments (a long
 * tail with and without hedging, a database capacity drop under the adaptive limit).
 * Prints a verdict table and the suite's resilience score, and writes
 * reports/chaos-report.{json,md,html}.
 *
 *   npm start                  the drill (about 2 min)
 *   npm start -- --quick       a short drill (about 40 s)
 *   npm start -- --compare     the same suite with the policies switched off too, side by side
 *   npm start -- --seed 7      replay the same random draws
 *   npm start -- --history DIR append this run to DIR/history.json and write the trend
 *                              across runs to DIR/trend.html and DIR/trend.md
 *
 * Everything is bounded (load count and time, every phase) and the process exits by itself:
 * the server and the client's connections are closed, and no timer is left behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seededRandom } from '../../src/testing/index';
import {
  CHAOS_ENV_SWITCH,
  chaos,
  progressReporter,
  renderHtml,
  renderJson,
  renderMarkdown,
  runSuite,
  type ExperimentJournal,
  type ProgressStream,
  type ChaosController,
  type SuiteJournal,
} from '../../src/chaos/index';
import { GameClient } from './client';
import { appendToHistory } from './history';
import { PLAYER_PATIENCE, QUICK, STANDARD, drillExperiments, emptyFloodStats, purchaseLedger, reconcilePurchases, warmUp, type DrillPlayer, type FloodStats, type PurchaseLedger } from './experiments';
import { capacityLine, latencyRecords, longTailLine, type LatencyRecords } from './latency-experiments';
import { startGameServer, type GameServer } from './server';

/** Options of {@link runDrill}. */
export interface DrillOptions {
  /** The short drill. @defaultValue false */
  readonly quick?: boolean | undefined;
  /** Also run the suite with the policies switched off. @defaultValue false */
  readonly compare?: boolean | undefined;
  /** Seed of every random draw (latencies, fault decisions, jitter). @defaultValue 42 */
  readonly seed?: number | undefined;
  /** Where the reports go. @defaultValue `reports/` */
  readonly reportsDir?: string | undefined;
  /**
   * The chaos controller, armed here with environment `'drill'`. @defaultValue the global
   * `chaos` (this process's environment switch is set first)
   */
  readonly controller?: ChaosController | undefined;
  /** Where progress and the tables go. @defaultValue `process.stdout` / `process.stderr` */
  readonly out?: { write(chunk: string): unknown } | undefined;
  readonly progressStream?: ProgressStream | undefined;
  /** Run only these scenarios. @defaultValue all nine */
  readonly only?: readonly string[] | undefined;
  /** Append the run to `<historyDir>/history.json` and write the trend there (`--history DIR`). @defaultValue none */
  readonly historyDir?: string | undefined;
}

/** One suite run, with the mode it ran in. */
export interface DrillRun {
  readonly mode: 'resilient' | 'pass-through';
  readonly suite: SuiteJournal;
  /** Purchases checked against the gateway's ledger after the drill (see {@link PurchaseAudit}). */
  readonly payments: PurchaseAudit;
  /** What the flooding players of the shop-flood experiment got back. */
  readonly flood: FloodStats;
  /** Charges the payment gateway refused with 429 (its merchant quota spent) during the drill. */
  readonly partnerThrottled: number;
  /** What the loads of the long-tail and capacity-drop experiments saw (live reads with and without the hedge, stale boards). */
  readonly latency: LatencyRecords;
}

/**
 * The purchases of a drill, checked against the gateway's ledger once the pending ones
 * were settled. `lost` (accepted, never charged) and `unacknowledged` (charged, though the
 * player was told it failed) must both be 0.
 */
export interface PurchaseAudit {
  /** Purchases the load sent. */
  readonly sent: number;
  /** Answered 200 (charged) or 202 (accepted, charged later). */
  readonly accepted: number;
  /** Of the accepted, charged by the end of the drill. */
  readonly charged: number;
  /** Accepted and never charged. */
  readonly lost: number;
  /** Charged although the player got an error (or no answer): a retry would charge twice. */
  readonly unacknowledged: number;
  /** The unacknowledged purchases, each as `key: what the player got`. */
  readonly unacknowledgedAnswers: readonly string[];
  /** Charged after an outage, from the pending queue. */
  readonly settledLater: number;
  /**
   * Purchases the player got no answer to (gave up waiting, connection lost) and learned
   * were accepted by asking again with the same key, as a game client does on its next start.
   */
  readonly reconciled: number;
  /** Calls that reached the gateway (retries included): every charge happened once per key. */
  readonly gatewayCalls: number;
}

/** What {@link runDrill} returns. */
export interface DrillResult {
  readonly resilient: DrillRun;
  readonly passThrough?: DrillRun | undefined;
  /** Paths of the reports written. */
  readonly reports: readonly string[];
  /** Wall time of the whole drill (ms). */
  readonly duration: number;
}

const pct = (r: number | null | undefined): string => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(r === 1 ? 0 : 1)} %`);
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

/** What players saw while the fault was on (calls that completed during ramp and inject). */
function during(j: ExperimentJournal): { availability: number | null; p99: number | null } {
  const s = j.summary.underFault;
  return { availability: s.availability, p99: s.p99 };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** One line about the purchases of a run. */
export function purchaseLine(p: PurchaseAudit, label = 'Purchases'): string {
  if (p.sent === 0) return `${label}: none in this run`;
  return (
    `${label}: ${p.accepted} of ${p.sent} accepted, ${p.charged} charged (${p.settledLater} after the outage, from the pending queue); ` +
    `${p.lost} lost, ${p.unacknowledged} charged behind an error` +
    (p.reconciled > 0 ? ` (${p.reconciled} found accepted by asking again with the same key after no answer)` : '') +
    `; ${p.gatewayCalls} gateway calls, one charge per idempotency key`
  );
}

/** One line about the shop flood of a run. */
export function floodLine(f: FloodStats, partnerThrottled: number, label = 'Shop flood'): string {
  if (f.sent === 0) return `${label}: not in this run`;
  return (
    `${label}: ${f.players.length} players sent ${f.sent} purchases, ${f.limited} answered 429 with Retry-After, ${f.accepted} accepted, ${f.other} other; ` +
    `the payment partner throttled ${partnerThrottled} charges`
  );
}

/** The journal of the capacity-drop experiment, if it ran. */
function capacityJournal(s: SuiteJournal): ExperimentJournal | undefined {
  return s.experiments.find((e) => e.journal.experiment === 'database-capacity-drop')?.journal;
}

/** The verdict table of a suite. */
export function verdictTable(suite: SuiteJournal): string {
  const rows = suite.experiments.map(({ journal: j }) => {
    const d = during(j);
    return [j.experiment, j.verdict.toUpperCase(), pct(d.availability), ms(d.p99), ms(j.timeToDetect), ms(j.mttr), ms(j.circuitsClosedAfter)];
  });
  return table(['experiment', 'verdict', 'availability*', 'p99*', 'time to detect', 'MTTR', 'circuits closed'], rows);
}

/** The with/without table of `--compare`. */
export function comparisonTable(withPolicies: SuiteJournal, without: SuiteJournal): string {
  const rows = withPolicies.experiments.map(({ journal: a }, i) => {
    const b = without.experiments[i]?.journal;
    const da = during(a);
    const db = b === undefined ? { availability: null, p99: null } : during(b);
    return [a.experiment, pct(da.availability), pct(db.availability), ms(da.p99), ms(db.p99)];
  });
  return table(['experiment', 'availability with', 'without', 'p99 with', 'without'], rows);
}

function audit(server: GameServer, ledger: PurchaseLedger, settledLater: number, reconciled: number): PurchaseAudit {
  const charged = new Set(server.dependencies.payments.ledger.map((r) => r.idempotencyKey));
  let chargedAccepted = 0;
  const unacknowledged: string[] = [];
  for (const key of ledger.accepted) if (charged.has(key)) chargedAccepted++;
  for (const key of ledger.sent) if (charged.has(key) && !ledger.accepted.has(key)) unacknowledged.push(`${key}: ${ledger.answers.get(key) ?? 'no answer recorded'}`);
  return {
    sent: ledger.sent.size,
    accepted: ledger.accepted.size,
    charged: chargedAccepted,
    lost: ledger.accepted.size - chargedAccepted,
    unacknowledged: unacknowledged.length,
    unacknowledgedAnswers: unacknowledged,
    settledLater,
    reconciled,
    gatewayCalls: server.dependencies.payments.calls,
  };
}

async function runOnce(mode: 'resilient' | 'pass-through', o: DrillOptions, controller: ChaosController): Promise<DrillRun> {
  const timing = o.quick === true ? QUICK : STANDARD;
  const seed = o.seed ?? 42;
  const random = seededRandom(seed);
  const server = await startGameServer({
    mode,
    random,
    controller,
    // Short breaks so that a recovery fits in the drill's recovery phase; production: 30 s.
    recoveryTimeout: o.quick === true ? 300 : 1_000,
    breakerWindow: o.quick === true ? 2_000 : 5_000,
    redisFlap: o.quick === true ? { on: 300, off: 400 } : { on: 600, off: 900 },
    poolHold: timing.schedule.inject,
  });
  // The client gives up after 5 s, as an impatient player would. Its patience must outlast
  // the server's own deadline (2.5 s) by more than an event-loop stall: an answer that
  // arrives after the player gave up, for a purchase that was charged, reads as "charged
  // behind an error" (3 s was too tight with the drill's server, load and test runner
  // sharing two busy cores).
  const client = new GameClient(server.url, { maxSockets: 128, timeout: PLAYER_PATIENCE });
  try {
    const players: DrillPlayer[] = Array.from({ length: 24 }, (_, i) => {
      const id = `player-${i + 1}`;
      return { id, ...server.dependencies.identity.signIn(id) };
    });
    await warmUp(client, players);
    const ledger = purchaseLedger();
    const flood = emptyFloodStats();
    // The long tail's p99 gauges look back 1 s: about 80 reads of each kind, enough for a p99.
    const latency = latencyRecords(1_000);
    const progress = progressReporter({ stream: o.progressStream ?? process.stderr });
    const suite = await runSuite({
      name: `game backend drill (${mode === 'resilient' ? 'with policies' : 'policies off'})`,
      seed,
      wallClock: () => Date.now(),
      progress,
      experiments: drillExperiments({ server, client, timing, controller, players, seed, progress, only: o.only, ledger, flood, latency }),
    });
    // The last experiment's purchases may still be in flight: their answers first, then
    // what is still pending, then the purchases nobody got an answer to.
    await Promise.allSettled([...ledger.inFlight]);
    await server.shop.settlePending();
    const reconciled = await reconcilePurchases(ledger, client);
    return { mode, suite, payments: audit(server, ledger, server.shop.settled, reconciled), flood, partnerThrottled: server.dependencies.payments.throttled, latency };
  } finally {
    client.close();
    await server.close();
  }
}

/**
 * Runs the drill and returns the suite journals. Arms `controller` (environment `'drill'`,
 * disarmed again at the end); with the default global controller, sets this process's
 * `BREAKWATER_CHAOS=1` first.
 */
export async function runDrill(options: DrillOptions = {}): Promise<DrillResult> {
  const started = Date.now();
  const out = options.out ?? process.stdout;
  const controller = options.controller ?? chaos;
  if (options.controller === undefined) process.env[CHAOS_ENV_SWITCH] = '1'; // this process only
  const status = controller.arm({ environment: 'drill', maxDuration: 10 * 60_000 });
  if (!status.armed) throw new Error(`chaos could not be armed: ${status.reason ?? 'unknown reason'}`);
  try {
    const resilient = await runOnce('resilient', options, controller);
    const passThrough = options.compare === true ? await runOnce('pass-through', options, controller) : undefined;

    const dir = resolve(options.reportsDir ?? 'reports');
    mkdirSync(dir, { recursive: true });
    const reports: string[] = [join(dir, 'chaos-report.json'), join(dir, 'chaos-report.md'), join(dir, 'chaos-report.html')];
    writeFileSync(reports[0] as string, renderJson(resilient.suite));
    writeFileSync(reports[1] as string, renderMarkdown(resilient.suite));
    writeFileSync(reports[2] as string, renderHtml(resilient.suite));

    const s = resilient.suite;
    const history = options.historyDir === undefined ? undefined : appendToHistory(options.historyDir, s);
    if (history !== undefined) reports.push(...history.files);
    out.write(`\n${verdictTable(s)}\n`);
    out.write('* under fault: calls that completed while the fault was on (what players saw)\n');
    out.write('MTTR: faults off until the steady state held again; circuits closed: faults off until every breaker was closed again\n\n');
    out.write(`Resilience score: ${s.score === null ? '–' : `${s.score}/100`}   (${Object.entries(s.verdicts).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(', ')}; ${ms(s.duration)})\n`);
    out.write(`${purchaseLine(resilient.payments)}\n`);
    out.write(`${floodLine(resilient.flood, resilient.partnerThrottled)}\n`);
    out.write(`${longTailLine(resilient.latency)}\n`);
    out.write(`${capacityLine(capacityJournal(s), resilient.latency)}\n`);
    if (passThrough !== undefined) {
      out.write(`\nWith and without the policies (same faults, same load):\n\n${comparisonTable(s, passThrough.suite)}\n`);
      out.write(`\nResilience score: ${s.score ?? '–'} with the policies, ${passThrough.suite.score ?? '–'} without\n`);
      out.write(`${purchaseLine(passThrough.payments, 'Purchases without the policies')}\n`);
      out.write(`${floodLine(passThrough.flood, passThrough.partnerThrottled, 'Shop flood without the policies')}\n`);
      out.write(`${longTailLine(passThrough.latency, 'Long tail without the policies', false)}\n`);
    }
    out.write(`\nReports: ${reports.map((r) => r.replace(`${process.cwd()}/`, '')).join(', ')}\n`);
    if (history !== undefined) out.write(`History: ${history.runs} run(s) in ${(history.files[0] as string).replace(`${process.cwd()}/`, '')}\n`);
    return { resilient, passThrough, reports, duration: Date.now() - started };
  } finally {
    controller.disarm();
  }
}

/** The command line: `--quick`, `--compare`, `--seed N`, `--history DIR`. */
export function parseArgs(argv: readonly string[]): DrillOptions {
  const seedAt = argv.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(argv[seedAt + 1]) : undefined;
  if (seed !== undefined && !Number.isFinite(seed)) throw new Error('--seed expects a number');
  const historyAt = argv.indexOf('--history');
  const historyDir = historyAt >= 0 ? argv[historyAt + 1] : undefined;
  if (historyAt >= 0 && (historyDir === undefined || historyDir.startsWith('--'))) throw new Error('--history expects a directory');
  const takesValue = (a: string | undefined): boolean => a === '--seed' || a === '--history';
  const unknown = argv.filter((a, i) => a.startsWith('--') && !['--quick', '--compare', '--seed', '--history'].includes(a) && !takesValue(argv[i - 1]));
  if (unknown.length > 0) throw new Error(`unknown option(s): ${unknown.join(' ')} (known: --quick, --compare, --seed N, --history DIR)`);
  return { quick: argv.includes('--quick'), compare: argv.includes('--compare'), ...(seed !== undefined ? { seed } : {}), ...(historyDir !== undefined ? { historyDir } : {}) };
}

const invokedDirectly = process.argv[1] !== undefined && /drill\.(ts|js|mjs)$/.test(process.argv[1]);
if (invokedDirectly && process.argv.includes('--fleet')) {
  // `npm start -- --fleet`: the multi-process fleet drill (fleet-drill.ts), with its own options.
  import('./fleet-drill')
    .then((m) => m.fleetDrillMain(process.argv.slice(2)))
    .catch((error: unknown) => {
      process.stderr.write(`fleet drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
} else if (invokedDirectly) {
  Promise.resolve()
    .then(() => runDrill(parseArgs(process.argv.slice(2))))
    .then(
    (r) => process.stdout.write(`Done in ${ms(r.duration)}.\n`),
    (error: unknown) => {
      process.stderr.write(`drill failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
