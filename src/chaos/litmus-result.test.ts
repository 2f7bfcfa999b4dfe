// fromLitmusResult: a ChaosResult read into an experiment journal (verdicts, probes,
// times), defensive reading of untrusted text, and one report with both levels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { isOptionsValidationError } from '../core/errors';
import { chaosResult, type ProbeFixture } from '../../test/support/litmus-fixtures';
import { experimentScore, resilienceScore, type SuiteJournal } from './experiment/journal';
import { renderHtml } from './experiment/report-html';
import { renderMarkdown } from './experiment/report-markdown';
import { isLitmusResultError, type LitmusResultError } from './litmus-read';
import { addClusterResults, fromLitmusResult, fromLitmusResults } from './litmus-result';

const json = (o: unknown): string => JSON.stringify(o);

function problemsOf(fn: () => unknown): LitmusResultError['problems'] {
  try {
    fn();
  } catch (error) {
    if (isLitmusResultError(error)) return error.problems;
    throw error;
  }
  throw new Error('expected a LitmusResultError');
}

describe('fromLitmusResult: verdicts, probes and times', () => {
  it('a passed run: verdict pass, every probe a held check, score 100, its times', () => {
    const j = fromLitmusResult(json(chaosResult()));
    expect(j).toMatchObject({
      kind: 'experiment',
      source: 'litmus',
      experiment: 'litmus: game-server-pod-delete/pod-delete',
      verdict: 'pass',
      reason: 'Litmus verdict Pass (phase Completed); probes passed: 100%',
      startedAt: '2025-01-07T14:00:00.000Z',
      duration: 90_000,
      faults: ['pod-delete'],
      heldDuringInjection: 1,
      heldDuringRecovery: 1,
      phases: [],
      series: [],
      mttr: null,
    });
    expect(j.hypothesis).toBe('the steady state (probes game-server-health, game-server-availability) holds while Litmus runs pod-delete');
    expect(j.checks).toEqual([
      { id: 'probe:game-server-health', operation: 'game-server-health', metric: 'availability', threshold: 'httpProbe (Continuous)', role: 'steady-state', hard: false },
      { id: 'probe:game-server-availability', operation: 'game-server-availability', metric: 'availability', threshold: 'promProbe (Continuous)', role: 'steady-state', hard: false },
    ]);
    expect(j.evaluations.map((e) => [e.check, e.phase, e.pass, e.value, e.time])).toEqual([
      ['probe:game-server-health', 'inject', true, 1, 90_000],
      ['probe:game-server-availability', 'inject', true, 1, 90_000],
    ]);
    expect(experimentScore(j)).toBe(100);
    expect(j.litmus).toMatchObject({ engine: 'game-server-pod-delete', experiment: 'pod-delete', verdict: 'Pass', probeSuccessPercentage: 100, history: { passedRuns: 3, failedRuns: 1, stoppedRuns: 0 }, updatedAt: '2025-01-07T14:01:30.000Z' });
    // Plain JSON, like every journal.
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('a failed run: verdict fail with the failed step and probes; partial credit by probe mode', () => {
    const probes: ProbeFixture[] = [
      { name: 'health', mode: 'Continuous', verdict: 'Failed' },
      { name: 'before', mode: 'SOT', verdict: 'Passed' },
      { name: 'after', mode: 'EOT', verdict: 'Passed' },
      { name: 'during', mode: 'OnChaos', verdict: 'Passed' },
    ];
    const j = fromLitmusResult(json(chaosResult({ verdict: 'Fail', probeSuccessPercentage: 75, probes, failure: { failedStep: 'Probe execution result didn’t met the passing criteria', errorCode: 'PROBE_FAILED' } })));
    expect(j.verdict).toBe('fail');
    expect(j.reason).toBe('Litmus verdict Fail (phase Completed) at step "Probe execution result didn’t met the passing criteria" (error PROBE_FAILED); probes passed: 75%; failed probes: health');
    expect(j.evaluations.map((e) => [e.check, e.phase, e.pass])).toEqual([
      ['probe:health', 'inject', false],
      ['probe:before', 'baseline', true],
      ['probe:after', 'recovery', true],
      ['probe:during', 'inject', true],
    ]);
    expect(j.heldDuringInjection).toBe(0.5); // Continuous failed, OnChaos passed
    expect(j.heldDuringRecovery).toBe(0.5); // Continuous failed, EOT passed
    expect(experimentScore(j)).toBe(25);
  });

  it('Awaited is not judged yet (skipped), Stopped and Error ended early (aborted): none is scored', () => {
    const awaited = fromLitmusResult(json(chaosResult({ verdict: 'Awaited', phase: 'Running', probeSuccessPercentage: 'Awaited', probes: [{ name: 'p', verdict: 'Awaited' }] })));
    expect(awaited).toMatchObject({ verdict: 'skipped', heldDuringInjection: null });
    expect(awaited.reason).toContain('not judged yet');
    expect(awaited.evaluations[0]).toMatchObject({ pass: null, value: null });
    const stopped = fromLitmusResult(json(chaosResult({ verdict: 'Stopped', phase: 'Stopped' })));
    const error = fromLitmusResult(json(chaosResult({ verdict: 'Error', phase: 'Completed', failure: { failedStep: 'ChaosInject' } })));
    expect([stopped.verdict, error.verdict]).toEqual(['aborted', 'aborted']);
    expect(error.reason).toBe('ended before a verdict: Litmus verdict Error (phase Completed) at step "ChaosInject"; probes passed: 100%');
    expect([awaited, stopped, error].map((j) => experimentScore(j))).toEqual([null, null, null]);
  });

  it('reads YAML through the parser given; without one, says so', () => {
    const yaml = stringify(chaosResult({ verdict: 'Fail', probeSuccessPercentage: 0, probes: [{ name: 'h', verdict: 'Failed' }] }));
    expect(fromLitmusResult(yaml, { parse }).verdict).toBe('fail');
    expect(problemsOf(() => fromLitmusResult(yaml))[0]?.problem).toMatch(/not JSON; to read YAML pass a parser/);
  });

  it('older results: experimentstatus, failStep, and probe statuses as a map of phases', () => {
    const old = {
      apiVersion: 'litmuschaos.io/v1alpha1',
      kind: 'ChaosResult',
      metadata: { name: 'engine-pod-delete', namespace: 'game' },
      spec: { engine: 'engine', experiment: 'pod-delete' },
      status: {
        experimentstatus: { phase: 'Completed', verdict: 'Fail', failStep: 'Post chaos probes' },
        probeStatus: [{ name: 'health', type: 'HttpProbe', mode: 'Edge', status: { prechaos: 'Passed 👍', postchaos: 'Failed ❌' } }],
      },
    };
    const j = fromLitmusResult(json(old));
    expect(j.verdict).toBe('fail');
    expect(j.litmus.failedStep).toBe('Post chaos probes');
    expect(j.evaluations[0]).toMatchObject({ phase: 'recovery', pass: false });
    expect(j.startedAt).toBeNull();
    expect(j.duration).toBe(0);
  });

  it('a List of results (kubectl get chaosresults -o json), or one', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [chaosResult(), chaosResult({ engine: 'gs-cpu', experiment: 'pod-cpu-hog', verdict: 'Fail' })] };
    expect(fromLitmusResults(json(list)).map((j) => [j.experiment, j.verdict])).toEqual([
      ['litmus: game-server-pod-delete/pod-delete', 'pass'],
      ['litmus: gs-cpu/pod-cpu-hog', 'fail'],
    ]);
    expect(fromLitmusResults(json(chaosResult()))).toHaveLength(1);
    const bad = { kind: 'List', items: [chaosResult(), { kind: 'ChaosResult' }] };
    expect(problemsOf(() => fromLitmusResults(json(bad))).map((p) => p.path)).toEqual(['items[1].metadata', 'items[1].status']);
  });
});

describe('fromLitmusResult: untrusted input', () => {
  it('names every problem at once', () => {
    const bad = {
      kind: 'ChaosEngine',
      apiVersion: 'v1',
      metadata: { name: 42, creationTimestamp: 'yesterday' },
      status: { experimentStatus: { verdict: 'Maybe', probeSuccessPercentage: '250' }, probeStatuses: 'all good', history: { passedRuns: -1 } },
    };
    expect(problemsOf(() => fromLitmusResult(json(bad)))).toEqual([
      { path: 'kind', problem: 'expected "ChaosResult", got "ChaosEngine"' },
      { path: 'apiVersion', problem: 'expected litmuschaos.io/…, got "v1"' },
      { path: 'metadata.name', problem: 'expected a string, got 42' },
      { path: 'status.experimentStatus.verdict', problem: 'expected Pass, Fail, Stopped, Awaited or Error, got "Maybe"' },
      { path: 'metadata.creationTimestamp', problem: 'expected an RFC 3339 time, got "yesterday"' },
      { path: 'status.experimentStatus.probeSuccessPercentage', problem: 'expected a percentage 0–100, got "250"' },
      { path: 'status.probeStatuses', problem: 'expected an array, got "all good"' },
      { path: 'status.history.passedRuns', problem: 'expected an integer ≥ 0, got -1' },
    ]);
  });

  it('text that is no ChaosResult at all: clear errors, never a crash', () => {
    expect(problemsOf(() => fromLitmusResult('{"kind": "ChaosResult",'))[0]?.problem).toMatch(/^could not be parsed as JSON/);
    expect(problemsOf(() => fromLitmusResult('[1, 2]', { parse: JSON.parse }))[0]).toEqual({ path: '(root)', problem: 'expected an object, got array(2)' });
    expect(problemsOf(() => fromLitmusResult('null', { parse: JSON.parse }))[0]).toEqual({ path: '(root)', problem: 'expected an object, got null' });
    expect(problemsOf(() => fromLitmusResult(`{"a":"${'x'.repeat(200)}"}`, { maxLength: 100 }))[0]?.problem).toBe('longer than maxLength (208 > 100 characters)');
    expect(problemsOf(() => fromLitmusResult('kind: ChaosResult', { parse: () => { throw new Error('bad indentation'); } }))[0]?.problem).toBe('could not be parsed as YAML: bad indentation');
    expect(problemsOf(() => fromLitmusResult(`{"probes": ${'['.repeat(5000)}${']'.repeat(5000)}}`)).length).toBeGreaterThan(0);
  });

  it('keys such as __proto__ are read as data and pollute nothing', () => {
    const text = json(chaosResult()).replace('"kind":"ChaosResult"', '"kind":"ChaosResult","__proto__":{"polluted":true}');
    const j = fromLitmusResult(text);
    expect(j.verdict).toBe('pass');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(j)).toBe(Object.prototype);
  });

  it('caps what it keeps: long strings are truncated, too many probes refused', () => {
    const long = fromLitmusResult(json(chaosResult({ probes: [{ name: 'p', verdict: 'Passed', description: 'x'.repeat(5_000) }] })));
    expect(long.litmus.probes[0]?.description).toHaveLength(1_000);
    const many = chaosResult({ probes: Array.from({ length: 1_001 }, (_, i) => ({ name: `p${i}`, verdict: 'Passed' })) });
    expect(problemsOf(() => fromLitmusResult(json(many)))[0]).toEqual({ path: 'status.probeStatuses', problem: 'more than 1000 probes (1001)' });
  });

  it('bad options are an OptionsValidationError', () => {
    let caught: unknown;
    try {
      fromLitmusResult('{}', { parse: 'yaml', maxLength: 0 } as never);
    } catch (error) {
      caught = error;
    }
    expect(isOptionsValidationError(caught)).toBe(true);
    expect((caught as Error).message).toContain('`parse`');
    expect((caught as Error).message).toContain('`maxLength`');
  });

  it('property: any JSON value is either read or refused with a LitmusResultError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ kind: fc.constant('ChaosResult'), metadata: fc.jsonValue(), status: fc.jsonValue(), spec: fc.jsonValue() })), (value) => {
        try {
          const j = fromLitmusResult(JSON.stringify(value) ?? 'null', { parse: JSON.parse });
          expect(['pass', 'fail', 'aborted', 'skipped']).toContain(j.verdict);
        } catch (error) {
          expect(isLitmusResultError(error)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('fromLitmusResult: the numbers', () => {
  it('property: the held shares are the passed share of the judged probes of their modes, and the score follows', () => {
    const probe = fc.record({
      name: fc.string({ minLength: 1, maxLength: 8 }),
      mode: fc.constantFrom('SOT', 'EOT', 'Edge', 'Continuous', 'OnChaos'),
      verdict: fc.constantFrom('Passed', 'Failed', 'N/A', 'Awaited'),
    });
    fc.assert(
      fc.property(fc.array(probe, { maxLength: 12 }), fc.constantFrom('Pass', 'Fail'), fc.integer({ min: 0, max: 100 }), (probes, verdict, pct) => {
        const j = fromLitmusResult(json(chaosResult({ verdict, probeSuccessPercentage: pct, probes })));
        const share = (modes: string[]): number | null => {
          const judged = probes.filter((p) => modes.includes(p.mode) && (p.verdict === 'Passed' || p.verdict === 'Failed'));
          return judged.length === 0 ? pct / 100 : Math.round((judged.filter((p) => p.verdict === 'Passed').length / judged.length) * 10_000) / 10_000;
        };
        expect(j.heldDuringInjection).toBe(share(['Continuous', 'OnChaos']));
        expect(j.heldDuringRecovery).toBe(share(['Continuous', 'EOT', 'Edge']));
        const score = experimentScore(j) as number;
        expect(score).toBeGreaterThanOrEqual(verdict === 'Pass' ? 50 : 0);
        expect(score).toBeLessThanOrEqual(verdict === 'Pass' ? 100 : 50);
        expect(j.evaluations).toHaveLength(probes.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('addClusterResults: one report, both levels', () => {
  const inProcess = (): SuiteJournal => ({
    kind: 'suite',
    version: 1,
    name: 'game day',
    seed: 1,
    startedAt: null,
    experiments: [{ weight: 2, score: 100, journal: { ...fromLitmusResult(json(chaosResult())), experiment: 'payment gateway down' } }],
    score: 100,
    verdicts: { pass: 1, fail: 0, halted: 0, aborted: 0, skipped: 0 },
    duration: 1_000,
  });

  it('appends the cluster experiments and computes the verdicts and the score again', () => {
    const cluster = fromLitmusResults(json({ kind: 'List', items: [chaosResult({ verdict: 'Fail', probeSuccessPercentage: 0, probes: [{ name: 'h', verdict: 'Failed' }] }), chaosResult({ verdict: 'Awaited' })] }));
    const both = addClusterResults(inProcess(), cluster, { weight: 1 });
    expect(both.experiments.map((e) => [e.journal.verdict, e.weight, e.score])).toEqual([
      ['pass', 2, 100],
      ['fail', 1, 0],
      ['skipped', 1, null],
    ]);
    expect(both.verdicts).toEqual({ pass: 1, fail: 1, halted: 0, aborted: 0, skipped: 1 });
    expect(both.score).toBe(resilienceScore(both.experiments));
    expect(both.score).toBe(66.7);
    expect(() => addClusterResults(inProcess(), [{ kind: 'suite' }] as never)).toThrow(/journals/);
  });

  it('renders in the Markdown and HTML reports beside the in-process ones, escaped', () => {
    const hostile = fromLitmusResult(json(chaosResult({ engine: '<img src=x onerror=alert(1)>', probes: [{ name: '<b>p</b>', verdict: 'Passed' }] })));
    const both = addClusterResults(inProcess(), [hostile]);
    const md = renderMarkdown(both);
    expect(md).toContain('payment gateway down');
    expect(md).toContain('litmus: &lt;img src=x onerror=alert(1)&gt;/pod-delete');
    const html = renderHtml(both);
    expect(html).toContain('litmus: &lt;img src=x onerror=alert(1)&gt;/pod-delete');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>p</b>');
  });
});
