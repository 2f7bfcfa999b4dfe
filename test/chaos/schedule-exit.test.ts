/**
 * A process with a schedule exits by itself: a game day scheduled hourly on the system
 * clock runs once at start (its own timers keep the process alive while it runs, as any
 * work in progress does), reports, and then nothing of the schedule keeps the process
 * alive: its next tick, an hour away, is `unref`'d. With `keepAlive: true` the same
 * process stays up (the control: the harness sees a process kept alive). The child runs
 * the sources through tsx, in its own process group, killed at its time limit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllRuntimeProcesses, runProcess } from '../support/runtime-process';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'breakwater-schedule-exit-'));

afterAll(() => {
  killAllRuntimeProcesses();
  rmSync(dir, { recursive: true, force: true });
});

function script(keepAlive: boolean): string {
  const src = (p: string): string => JSON.stringify(join(root, 'src', p));
  return `
const { scheduleSuite } = await import(${src('chaos/experiment/schedule.ts')});
const { createChaosController } = await import(${src('chaos/guards.ts')});
const { faultInjection } = await import(${src('chaos/call-faults.ts')});
const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' } });
controller.arm({ environment: 'test', maxDuration: 24 * 3_600_000 });
const fault = faultInjection({ name: 'db-down', controller });
const experiment = {
  name: 'db down', hypothesis: 'h', faults: [fault],
  load: { fn: () => 'row', rate: 100 },
  steadyState: { '*': { errorRate: ['rate<=1'] } },
  schedule: { baseline: 100, inject: 100, recovery: 300, evaluationInterval: 100 },
};
scheduleSuite({ name: 'hourly', experiments: [{ experiment }] }, {
  every: 3_600_000, runAtStart: true, keepAlive: ${keepAlive}, policy: controller,
  onReport: (r) => console.log('REPORT ' + r.journal.experiments.length),
});
`;
}

async function run(keepAlive: boolean) {
  const file = join(dir, `child-${keepAlive ? 'kept' : 'free'}.mjs`);
  writeFileSync(file, script(keepAlive));
  return runProcess(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir },
    limitMs: 20_000,
    watchFor: 'REPORT',
    exitAfterMarkerMs: 2_500,
  });
}

describe('a process with a scheduled game day', () => {
  it('exits by itself once its run is reported; keepAlive keeps it up (control)', async () => {
    const [free, kept] = await Promise.all([run(false), run(true)]);
    expect(free.stderr).toBe('');
    expect(free.stdout).toContain('REPORT 1');
    expect(free.keptAlive, 'kept alive after its run').toBe(false);
    expect(free.timedOut).toBe(false);
    expect(free.code).toBe(0);
    expect(free.exitAfterMarker).toBeLessThan(2_500);

    expect(kept.stdout).toContain('REPORT 1');
    expect(kept.keptAlive, 'keepAlive: the next tick holds the process').toBe(true);
  }, 30_000);
});
