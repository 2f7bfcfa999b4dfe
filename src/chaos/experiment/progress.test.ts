import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../circuit-breaker/index';
import { pipeline } from '../../core/policy';
import { scriptedDependency, Step } from '../../testing/scripted-dependency';
import { VirtualClock } from '../../testing/virtual-clock';
import { faultInjection } from '../call-faults';
import { createChaosController } from '../guards';
import { progressReporter, type ProgressStream } from './progress';
import type { ExperimentOptions } from './experiment-options';
import { runExperiment } from './runner';
import { runSuite } from './suite';

function stream(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  const s = {
    text: '',
    isTTY,
    ...(columns !== undefined ? { columns } : {}),
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s;
}

function experiment(clock: VirtualClock, name = 'gateway down'): ExperimentOptions {
  const controller = createChaosController({ env: { BREAKWATER_CHAOS: '1' }, clock });
  controller.arm({ environment: 'test' });
  const dep = scriptedDependency({ otherwise: Step.ok(1, 20) }, clock);
  const fault = faultInjection({ name: 'down', clock, controller });
  const breaker = circuitBreaker({ name: 'gw', failureThreshold: 3, recoveryTimeout: 1_500, clock });
  const p = pipeline(breaker, fault);
  return {
    name,
    hypothesis: 'errors stop soon after',
    faults: [fault],
    load: { fn: () => p.execute(() => dep()), rate: 10 },
    steadyState: { '*': { errorRate: ['rate<0.1'] } },
    schedule: { baseline: 1_000, inject: 2_000, recovery: 3_000, evaluationInterval: 500 },
    circuitBreakers: [breaker],
    clock,
  };
}

describe('progressReporter', () => {
  it('writes plain lines when not a TTY: start, each phase, the verdict', async () => {
    const clock = new VirtualClock();
    const out = stream(false);
    const p = runExperiment({ ...experiment(clock), progress: progressReporter({ stream: out }) });
    await clock.runAll();
    await p;
    expect(out.text).not.toContain('\r');
    expect(out.text.split('\n')).toEqual([
      'gateway down: started (6 s planned) - errors stop soon after',
      'gateway down: baseline 0 ms/6 s',
      'gateway down: inject 1 s/6 s phase started',
      'gateway down: recovery 3 s/6 s phase started',
      '✔ PASS gateway down: availability under fault 0%, TTD 200 ms, MTTR 1.5 s, circuits closed 1.2 s after - steady state back 1500 ms after the faults went off (3 consecutive evaluations)',
      '',
    ]);
  });

  it('rewrites one line on a TTY with phase, elapsed time, error rate, p99 and open circuits, then clears it', async () => {
    const clock = new VirtualClock();
    const out = stream(true);
    const p = runExperiment({ ...experiment(clock), progress: progressReporter({ stream: out }) });
    await clock.advance(1_500);
    expect(out.text).not.toContain('\n');
    const last = out.text.split('\r\x1b[2K').at(-1);
    expect(last).toBe('gateway down: inject 1.5 s/6 s · errors 100% · p99 0 ms · gw open');
    await clock.runAll();
    await p;
    expect(out.text).toContain('\r\x1b[2K✔ PASS gateway down: ');
    expect(out.text.endsWith('\n')).toBe(true);
    expect(out.text.split('\n').length).toBe(2);
  });

  it('cuts lines to the terminal width and numbers experiments of a suite', async () => {
    const clock = new VirtualClock();
    const out = stream(true, 30);
    const p = runSuite({ name: 's', experiments: [{ experiment: experiment(clock, 'one') }, { experiment: experiment(clock, 'two') }], progress: progressReporter({ stream: out }) });
    await clock.runAll();
    await p;
    const updates = out.text.split('\r\x1b[2K').filter((l) => l !== '' && !l.includes('\n'));
    expect(updates.length).toBeGreaterThan(10);
    expect(updates.every((l) => l.length <= 29)).toBe(true);
    expect(updates.some((l) => l.startsWith('[2/2] two:'))).toBe(true);
  });

  it('validates its options', () => {
    expect(() => progressReporter({ stream: {} as ProgressStream })).toThrow('`stream`');
    expect(() => progressReporter({ stream: stream(false), tty: 'yes' as unknown as boolean })).toThrow('`tty`');
  });

  it('a throwing stream does not break the experiment', async () => {
    const clock = new VirtualClock();
    const p = runExperiment({
      ...experiment(clock),
      progress: progressReporter({
        stream: {
          write: () => {
            throw new Error('EPIPE');
          },
        },
      }),
    });
    await clock.runAll();
    expect((await p).verdict).toBe('pass');
  });
});
