// The code of docs/litmus.md, run: the docs copy these functions verbatim (test/docs.test.ts
// checks it), and the tests below run them against the CRD-free parts (the CRD check is in
// test/chaos/litmus-crd.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { chaosResult } from '../../test/support/litmus-fixtures';
import { gameDayWorld } from '../../test/support/litmus-gameday';
import type { SuiteJournal } from './experiment/journal';
import { renderMarkdown } from './experiment/report-markdown';
import { runSuite, type SuiteOptions } from './experiment/suite';
import { toLitmusManifests } from './litmus';
import { addClusterResults, fromLitmusResult, fromLitmusResults, type LitmusJournal } from './litmus-result';

function writeLitmusEngines(dir: string): string {
  const yaml = toLitmusManifests({
    namespace: 'game',
    appLabel: 'app=game-server',
    appKind: 'deployment',
    healthUrl: 'http://game-server.game.svc.cluster.local:8080/healthz',
    availabilityObjective: 0.99, // the objective of the in-process steady state
    dependencyHosts: ['redis.game.svc.cluster.local'], // partition and slow down only these
    duration: 120_000,
  });
  const file = join(dir, 'litmus-engines.yaml');
  writeFileSync(file, yaml); // then: kubectl apply -f litmus-engines.yaml
  return file;
}

async function gameDayWithCluster(gameDay: SuiteOptions, kubectlJson: string): Promise<SuiteJournal> {
  const suite = await runSuite(gameDay); // the in-process experiments
  const cluster = fromLitmusResults(kubectlJson); // kubectl get chaosresults -n game -o json
  return addClusterResults(suite, cluster, { weight: 2 }); // one report, both levels
}

function readYamlResult(text: string): LitmusJournal {
  return fromLitmusResult(text, { parse }); // the yaml package's parse: breakwater has no dependency
}

const dir = mkdtempSync(join(tmpdir(), 'litmus-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/litmus.md', () => {
  it('writes the engines', () => {
    const text = readFileSync(writeLitmusEngines(dir), 'utf8');
    expect(text.match(/^kind: "ChaosEngine"$/gm)).toHaveLength(7);
    expect(text).toContain('value: "120"');
    expect(text).toContain('DESTINATION_HOSTS');
  });

  it('puts the cluster results in the game-day report', async () => {
    const w = gameDayWorld();
    const list = JSON.stringify({ kind: 'List', items: [chaosResult(), chaosResult({ engine: 'game-server-pod-cpu-hog', experiment: 'pod-cpu-hog', verdict: 'Fail', probeSuccessPercentage: 50 })] });
    const run = gameDayWithCluster(w.suite, list);
    await w.clock.runAll();
    const both = await run;
    expect(both.experiments.map((e) => e.journal.experiment)).toEqual([
      'database down, with fallback',
      'database down, no fallback',
      'litmus: game-server-pod-delete/pod-delete',
      'litmus: game-server-pod-cpu-hog/pod-cpu-hog',
    ]);
    expect(renderMarkdown(both)).toContain('| 4 | litmus: game-server-pod-cpu-hog/pod-cpu-hog | **fail** |');
  });

  it('reads YAML through the parser given', () => {
    expect(readYamlResult(stringify(chaosResult({ verdict: 'Fail' }))).verdict).toBe('fail');
  });
});
