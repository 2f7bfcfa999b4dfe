/**
 * The Litmus manifests against Litmus's own CRD schema (chaos-operator's
 * `deploy/chaos_crds.yaml`, read from `../shared/reference/litmus/` at run time): every
 * generated `ChaosEngine` validates against the `openAPIV3Schema` of the ChaosEngine CRD,
 * both as written and with pruning made an error (no field the API server would drop);
 * the five families of infrastructure faults are all present, each with its two probes;
 * a ChaosResult fixture validates against the ChaosResult CRD.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { LITMUS_SCENARIOS, toLitmusManifests, type LitmusManifestOptions, type LitmusScenario } from '../../src/chaos/litmus';
import { chaosResult, litmusValidators } from '../support/litmus-fixtures';

const engine = litmusValidators('ChaosEngine');
const BASE: LitmusManifestOptions = { namespace: 'game', appLabel: 'app=game-server', appKind: 'deployment' };

function documents(yaml: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(yaml);
  for (const d of docs) expect(d.errors, 'YAML errors').toEqual([]);
  return docs.map((d) => d.toJS() as Record<string, unknown>);
}

function expectValid(doc: unknown): void {
  const ok = engine.schema(doc);
  expect(engine.schema.errors ?? [], 'ChaosEngine CRD schema').toEqual([]);
  expect(ok).toBe(true);
  const kept = engine.pruning(doc);
  expect(engine.pruning.errors ?? [], 'a field the API server would prune').toEqual([]);
  expect(kept).toBe(true);
}

describe('toLitmusManifests against the ChaosEngine CRD', () => {
  it('every manifest of the default set validates; the five families are all present, with both probes', () => {
    const docs = documents(toLitmusManifests(BASE));
    expect(docs).toHaveLength(LITMUS_SCENARIOS.length);
    for (const d of docs) expectValid(d);
    const experiments = docs.map((d) => ((d['spec'] as { experiments: { name: string }[] }).experiments[0] as { name: string }).name);
    expect(experiments).toEqual(['pod-delete', 'node-drain', 'pod-network-partition', 'pod-network-latency', 'pod-cpu-hog', 'pod-memory-hog', 'disk-fill']);
    const families = new Set(LITMUS_SCENARIOS.map((s) => s.family));
    for (const f of ['pod/node kill', 'network partition', 'network latency', 'CPU exhaustion', 'memory exhaustion', 'disk exhaustion']) expect(families).toContain(f);
    for (const d of docs) {
      const probes = (d['spec'] as { experiments: { spec: { probe: { type: string }[] } }[] }).experiments[0]?.spec.probe.map((p) => p.type);
      expect(probes).toEqual(['httpProbe', 'promProbe']);
    }
  });

  it('with every option set, every manifest still validates', () => {
    const yaml = toLitmusManifests({
      ...BASE,
      appKind: 'statefulset',
      appLabel: 'app.kubernetes.io/name=matchmaker,tier=backend',
      namePrefix: 'mm',
      chaosNamespace: 'litmus',
      serviceAccount: 'chaos-runner',
      healthUrl: 'https://matchmaker.game.svc:8443/healthz?deep=1',
      prometheusEndpoint: 'http://prometheus.monitoring:9090',
      availabilityQuery: 'min(resilience_availability_ratio{pipeline="matchmaking", operation=~"match.*"})',
      availabilityObjective: 0.995,
      duration: 120_000,
      probeMode: 'Edge',
      probeInterval: 1_500,
      probeTimeout: 500,
      probeRetry: 3,
      podsAffectedPercent: 50,
      networkLatency: 800,
      dependencyHosts: ['redis.game.svc', '10.0.0.7'],
      cpuCores: 2,
      memoryMegabytes: 1024,
      diskFillPercent: 90,
      nodeLabel: 'pool=game',
      containerRuntime: 'crio',
      jobCleanUpPolicy: 'retain',
      env: { 'pod-kill': { CHAOS_INTERVAL: '5' }, 'disk-exhaustion': { EPHEMERAL_STORAGE_MEBIBYTES: '512' } },
    });
    const docs = documents(yaml);
    expect(docs).toHaveLength(7);
    for (const d of docs) expectValid(d);
  });

  it('property: any valid choice of scenarios and tunables gives manifests that validate', () => {
    const scenario = fc.constantFrom(...LITMUS_SCENARIOS.map((s) => s.scenario));
    fc.assert(
      fc.property(
        fc.uniqueArray(scenario, { minLength: 1, maxLength: 7 }),
        fc.record(
          {
            appKind: fc.constantFrom('deployment', 'statefulset', 'daemonset', 'deploymentconfig', 'rollout' as const),
            duration: fc.integer({ min: 1, max: 3_600 }).map((s) => s * 1000),
            probeMode: fc.constantFrom('SOT', 'EOT', 'Edge', 'Continuous', 'OnChaos' as const),
            probeInterval: fc.integer({ min: 1_000, max: 60_000 }),
            availabilityObjective: fc.double({ min: 0.5, max: 1, noNaN: true }),
            podsAffectedPercent: fc.integer({ min: 0, max: 100 }),
            networkLatency: fc.integer({ min: 1, max: 10_000 }),
            availabilityQuery: fc.string({ minLength: 1, maxLength: 80 }).filter((q) => q.trim() !== '' && !/[\r\n]/.test(q)),
          },
          { requiredKeys: ['appKind'] },
        ),
        (scenarios: LitmusScenario[], tunables) => {
          const docs = documents(toLitmusManifests({ ...BASE, ...tunables, scenarios }));
          expect(docs).toHaveLength(scenarios.length);
          for (const d of docs) expectValid(d);
          if (tunables.availabilityQuery !== undefined) {
            const probe = ((docs[0]?.['spec'] as { experiments: { spec: { probe: Record<string, { query?: string }>[] } }[] }).experiments[0]?.spec.probe[1] ?? {})['promProbe/inputs'];
            expect(probe?.query).toBe(tunables.availabilityQuery.replace(/[\uD800-\uDFFF]/g, (c, i: number, s: string) => (isPaired(s, i) ? c : '\uFFFD')));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('the validator can fail: a manifest missing what the CRD requires, or with a misspelt key, is refused', () => {
    const [doc] = documents(toLitmusManifests({ ...BASE, scenarios: ['pod-kill'] }));
    const broken = parse(JSON.stringify(doc)) as { spec: { appinfo: Record<string, string>; experiments: { spec: { probe: Record<string, unknown>[] } }[] } };
    broken.spec.appinfo['appkind'] = 'pod';
    delete broken.spec.experiments[0]?.spec.probe[0]?.['runProperties'];
    expect(engine.schema(broken)).toBe(false);
    expect(JSON.stringify(engine.schema.errors)).toMatch(/appkind|runProperties/);
    const misspelt = parse(JSON.stringify(doc)) as { spec: { experiments: { spec: { probe: Record<string, unknown>[] } }[] } };
    const probe = misspelt.spec.experiments[0]?.spec.probe[0] as Record<string, unknown>;
    probe['httpProbe/input'] = probe['httpProbe/inputs'];
    delete probe['httpProbe/inputs'];
    expect(engine.schema(misspelt)).toBe(true); // the CRD alone lets it through…
    expect(engine.pruning(misspelt)).toBe(false); // …and the API server would drop it
  });

  it('a ChaosResult as the operator writes it validates against the ChaosResult CRD', () => {
    const result = litmusValidators('ChaosResult');
    expect(result.schema(chaosResult())).toBe(true);
  });
});

function isPaired(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const n = s.charCodeAt(i + 1);
    return n >= 0xdc00 && n <= 0xdfff;
  }
  const p = s.charCodeAt(i - 1);
  return p >= 0xd800 && p <= 0xdbff;
}
