/**
 * Runtime checks of `breakwater/chaos`: the guards (inert unless armed, the environment
 * switch, production allowance, kill switch, maximum duration), faults against the real
 * policies, seeded decisions that replay identically on every runtime, and a whole
 * experiment on the virtual clock with its three report renderings.
 */
import { deepEqual, equal, fingerprint, includes, ok, rejects, throws } from '../support/runtime-assert';
import type { Check, Library } from './library';

/** The harness runs every runtime without `BREAKWATER_CHAOS` (a browser has no environment at all). */
async function inertUnlessArmed({ core, chaos }: Library) {
  const controller = chaos.createChaosController();
  const status = controller.arm({ environment: 'staging' });
  equal(status.armed, false, 'arming without the environment switch');
  includes(status.reason ?? '', chaos.CHAOS_ENV_SWITCH, 'the reason names the switch');
  const fault = chaos.faultInjection({ controller, rate: 1 });
  equal(await core.pipeline(fault).execute(() => 'real'), 'real', 'a fault of an unarmed controller injects nothing');
  equal(fault.injections, 0, 'no injection counted');
  // Faults without a controller follow the global one, which nothing armed.
  const global = chaos.faultInjection({ rate: 1 });
  equal(await global.execute(() => 'real'), 'real', 'the global controller is not armed either');
  equal(chaos.chaos.isArmed(), false, 'the global controller');
}

async function guardsAndKillSwitch({ core, chaos, testing }: Library) {
  const { pipeline, circuitBreaker, isBrokenCircuitError } = core;
  const clock = new testing.VirtualClock();
  const controller = chaos.createChaosController({ env: { [chaos.CHAOS_ENV_SWITCH]: '1' }, clock });
  const refused = throws(() => controller.arm({ environment: 'production' }), 'arming in production without allowance');
  ok(chaos.isChaosArmingError(refused), `expected a ChaosArmingError, got ${String(refused)}`);
  equal(controller.arm({ environment: 'staging', maxDuration: 5_000 }).armed, true, 'armed in staging');
  const fault = chaos.databaseConnectionRefused({ controller, clock, port: 5432 });
  const injected: string[] = [];
  const breaker = circuitBreaker({ name: 'db', failureThreshold: 3, recoveryTimeout: 1_000, clock });
  const db = pipeline({ name: 'db' }, breaker, fault);
  const sub = db.on('injected', (e) => injected.push(`${e.fault}:${e.faultKind}`));
  for (let i = 0; i < 3; i++) {
    const error = await rejects(db.execute(() => 'row'), `injected failure ${i + 1}`);
    equal((error as { code?: string }).code, 'ECONNREFUSED', 'a Node-shaped system error');
    ok(chaos.isInjectedFault(error), 'marked as injected');
    equal(chaos.injectedBy(error), 'database-connection-refused', 'the fault that made it');
  }
  ok(isBrokenCircuitError(await rejects(db.execute(() => 'row'), 'the 4th call')), 'the breaker outside opened on injected faults');
  deepEqual(injected, ['database-connection-refused:error', 'database-connection-refused:error', 'database-connection-refused:error'], 'injected events');
  // The kill switch stops every injection at once.
  const halted = controller.halt('red button');
  equal(halted.armed, false, 'halted');
  equal(halted.haltReason, 'red button', 'the halt reason');
  equal(await fault.execute(() => 'row'), 'row', 'no injection after halt()');
  // maxDuration: the controller disarms by itself on its clock.
  equal(controller.arm({ environment: 'staging', maxDuration: 1_000 }).armed, true, 're-armed');
  await clock.advance(999);
  equal(controller.isArmed(), true, 'still armed before maxDuration');
  await clock.advance(1);
  equal(controller.isArmed(), false, 'disarmed at maxDuration');
  equal(await fault.execute(() => 'row'), 'row', 'no injection after expiry');
  sub.dispose();
}

async function faultsAgainstPolicies({ core, chaos, testing }: Library) {
  const { pipeline, timeout, bulkhead, isTimeoutError, isBulkheadRejectedError } = core;
  const clock = new testing.VirtualClock();
  const controller = chaos.createChaosController({ env: { [chaos.CHAOS_ENV_SWITCH]: 'true' }, clock });
  controller.arm({ environment: 'test' });
  // A network partition (hang) is cut by the timeout outside it.
  const partition = pipeline(timeout({ duration: 1_000, clock }), chaos.networkPartition({ clock, controller }));
  const cut = partition.execute(() => 'real').catch((e: unknown) => e);
  await clock.advance(1_000);
  ok(isTimeoutError(await cut), 'the hang ends at the timeout');
  // Fixed latency is added in virtual time.
  const slow = chaos.latencyInjection({ latency: 300, clock, controller });
  let answeredAt = -1;
  const call = slow.execute(() => (answeredAt = clock.now()));
  await clock.advance(300);
  await call;
  equal(answeredAt, 1_300, 'the function runs after the injected latency');
  // Resource exhaustion holds a real bulkhead's slots until the hold ends.
  const pool = bulkhead({ maxConcurrent: 2, maxQueue: 0, clock });
  const drain = chaos.resourceExhaustion({ clock, controller, bulkhead: pool, permits: Number.POSITIVE_INFINITY, holdFor: 500 });
  ok(isBulkheadRejectedError(await rejects(pipeline(drain, pool).execute(() => 'x'), 'a call while drained')), 'rejected by the drained bulkhead');
  equal(pool.stats.active, 2, 'the fault holds both slots');
  await clock.advance(500);
  equal(pool.stats.active, 0, 'released after holdFor');
  drain.disable();
  // A fake outcome: the token-expired answer of a social login.
  const login = chaos.socialLoginTokenExpired({ clock, controller });
  const answer = await login.execute(() => ({ ok: true, status: 200, statusText: 'OK' }));
  equal(answer.status, 401, 'the injected response');
  equal(clock.pending, 0, 'no timer left behind');
}

/** Seeded chance and hashing: the same decisions on every runtime (compared with Node's as facts). */
async function seededDecisions({ chaos, testing }: Library) {
  const clock = new testing.VirtualClock();
  const controller = chaos.createChaosController({ env: { [chaos.CHAOS_ENV_SWITCH]: '1' }, clock });
  controller.arm({ environment: 'test' });
  const pattern = async (seed: number): Promise<string> => {
    const fault = chaos.faultInjection({ controller, clock, rate: 0.3, random: testing.seededRandom(seed) });
    let bits = '';
    for (let i = 0; i < 64; i++) bits += await fault.execute(() => '.').then(() => '.', () => 'x');
    return bits;
  };
  const a = await pattern(2024);
  equal(await pattern(2024), a, 'the same seed replays the same decisions');
  ok(a.includes('x') && a.includes('.'), `a 30 % rate injects some calls and spares others: ${a}`);
  const inCohort = Array.from({ length: 40 }, (_, i) => (chaos.isInCohort(`p${i}`, 25, 'shop') ? '1' : '0')).join('');
  ok(inCohort.includes('1') && inCohort.includes('0'), `a 25 % cohort takes some players and leaves others: ${inCohort}`);
  return { pattern: a, fnv1a32: chaos.fnv1a32('player-42'), cohort: inCohort };
}

/** The runner's own example (see its tests): a resilient gateway passes; the numbers follow from the script. */
async function experimentOnVirtualClock({ core, chaos, testing }: Library) {
  const { pipeline, fallback, retry, circuitBreaker } = core;
  const { VirtualClock, scriptedDependency, Step } = testing;
  const clock = new VirtualClock();
  const controller = chaos.createChaosController({ env: { [chaos.CHAOS_ENV_SWITCH]: '1' }, clock });
  controller.arm({ environment: 'test' });
  const dep = scriptedDependency({ otherwise: Step.ok('charged', 20) }, clock);
  const fault = chaos.faultInjection({ name: 'gateway-down', clock, controller });
  const breaker = circuitBreaker({ name: 'gateway', failureThreshold: 3, recoveryTimeout: 1_500, clock });
  const gateway = pipeline(fallback({ tiers: ['queued'], clock }), retry({ maxAttempts: 2, delay: 10, clock, random: testing.seededRandom(2024) }), breaker, fault);
  let rolledBack = 0;
  const run = chaos.runExperiment({
    name: 'gateway down',
    hypothesis: 'checkout stays available',
    faults: [fault],
    load: { fn: () => gateway.execute(() => dep()), rate: 10 },
    steadyState: { '*': { availability: [{ threshold: 'rate>0.99', hard: true }], latency: ['p(99)<500'] } },
    schedule: { baseline: 1_000, inject: 2_000, recovery: 3_000, evaluationInterval: 500 },
    circuitBreakers: [breaker],
    rollbacks: [() => void rolledBack++],
    seed: 2024,
    clock,
  });
  await clock.runAll();
  const journal = await run;
  equal(journal.verdict, 'pass', 'verdict');
  equal(journal.timeToDetect, 100, 'time to detect (the breaker opens on its 3rd failure)');
  equal(journal.detectedBy, 'circuit gateway opened', 'detected by');
  equal(journal.mttr, 0, 'MTTR (the steady state never broke)');
  equal(journal.circuitsClosedAfter, 1_120, 'the breaker closed 1 120 ms after the faults went off');
  equal(rolledBack, 1, 'the rollback ran once');
  equal(clock.pending, 0, 'no timer of the experiment outlives it');
  deepEqual(JSON.parse(chaos.renderJson(journal)), JSON.parse(JSON.stringify(journal)), 'renderJson is the journal as JSON');
  const markdown = chaos.renderMarkdown(journal);
  includes(markdown, 'gateway down', 'the Markdown report');
  const html = chaos.renderHtml(journal);
  includes(html, '<svg', 'the HTML report has its inline charts');
  ok(html.startsWith('<!doctype html>') || html.startsWith('<!DOCTYPE html>'), 'the HTML report is a whole page');
  return { series: journal.series.length, injections: journal.injections['gateway-down'] ?? -1, json: fingerprint(chaos.renderJson(journal)), markdown: fingerprint(markdown), html: fingerprint(html) };
}

/** The checks of `breakwater/chaos`. */
export const chaosChecks: readonly Check[] = [
  { name: 'chaos: inert unless armed (no environment switch here)', run: inertUnlessArmed },
  { name: 'chaos: guards, injected faults open a breaker, kill switch, maxDuration', run: guardsAndKillSwitch },
  { name: 'chaos: partition, latency, exhaustion and fake outcomes against real policies', run: faultsAgainstPolicies },
  { name: 'chaos: seeded decisions and cohort hashing replay identically', run: seededDecisions },
  { name: 'chaos: an experiment on the virtual clock, with JSON, Markdown and HTML reports', run: experimentOnVirtualClock },
];
