// toLitmusManifests: what each engine holds, option validation, and safe quoting. The
// schema check against Litmus's own CRD is in test/chaos/litmus-crd.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { isOptionsValidationError, type OptionsValidationError } from '../core/errors';
import { MetricNames } from '../metrics/names';
import { LITMUS_SCENARIOS, toLitmusManifests, type LitmusManifestOptions } from './litmus';
import { yamlDocument, yamlString } from './litmus-yaml';

const BASE: LitmusManifestOptions = { namespace: 'game', appLabel: 'app=game-server', appKind: 'deployment' };

interface Engine {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    engineState: string;
    jobCleanUpPolicy: string;
    chaosServiceAccount: string;
    appinfo: { appns: string; applabel: string; appkind: string };
    experiments: { name: string; spec: { components: { env: { name: string; value: string }[] }; probe: Record<string, unknown>[] } }[];
  };
}

function engines(options: LitmusManifestOptions): Engine[] {
  return parseAllDocuments(toLitmusManifests(options)).map((d) => d.toJS() as Engine);
}

const envOf = (e: Engine): Record<string, string> => Object.fromEntries((e.spec.experiments[0]?.spec.components.env ?? []).map((v) => [v.name, v.value]));

function validationError(fn: () => unknown): OptionsValidationError {
  try {
    fn();
  } catch (error) {
    if (isOptionsValidationError(error)) return error;
    throw error;
  }
  throw new Error('expected an OptionsValidationError');
}

describe('toLitmusManifests', () => {
  it('one active engine per scenario, named after the app and the experiment, in the app namespace', () => {
    const list = engines(BASE);
    expect(list.map((e) => e.metadata.name)).toEqual(LITMUS_SCENARIOS.map((s) => `game-server-${s.experiment}`));
    for (const [i, e] of list.entries()) {
      expect(e.metadata.namespace).toBe('game');
      expect(e.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'breakwater', 'breakwater/scenario': LITMUS_SCENARIOS[i]?.scenario });
      expect(e.spec).toMatchObject({ engineState: 'active', jobCleanUpPolicy: 'delete', chaosServiceAccount: 'litmus-admin', appinfo: { appns: 'game', applabel: 'app=game-server', appkind: 'deployment' } });
      expect(envOf(e)['TOTAL_CHAOS_DURATION']).toBe('60');
    }
  });

  it('each engine judges the same steady state: the health endpoint answers 200, availability ≥ the objective', () => {
    for (const e of engines(BASE)) {
      const [http, prom] = e.spec.experiments[0]?.spec.probe ?? [];
      expect(http).toEqual({
        name: 'game-server-health',
        type: 'httpProbe',
        mode: 'Continuous',
        'httpProbe/inputs': { url: 'http://game-server.game.svc.cluster.local:8080/healthz', insecureSkipVerify: false, method: { get: { criteria: '==', responseCode: '200' } } },
        runProperties: { probeTimeout: '2s', interval: '5s', retry: 1, probePollingInterval: '5s' },
      });
      expect(prom).toEqual({
        name: 'game-server-availability',
        type: 'promProbe',
        mode: 'Continuous',
        'promProbe/inputs': {
          endpoint: 'http://prometheus-operated.monitoring.svc.cluster.local:9090',
          query: 'min(resilience_availability_ratio{namespace="game"})',
          comparator: { criteria: '>=', value: '0.99' },
        },
        runProperties: { probeTimeout: '2s', interval: '5s', retry: 1, probePollingInterval: '5s' },
      });
    }
  });

  it('queries the availability gauge breakwater/metrics exports', () => {
    expect(toLitmusManifests({ ...BASE, scenarios: ['pod-kill'] })).toContain(`${MetricNames.availability}{`);
  });

  it('each experiment gets its tunables', () => {
    const byScenario = Object.fromEntries(
      engines({ ...BASE, duration: 90_000, podsAffectedPercent: 50, networkLatency: 750, dependencyHosts: ['redis.game.svc', 'db.game.svc'], cpuCores: 2, memoryMegabytes: 256, diskFillPercent: 70, targetNode: 'node-1', containerRuntime: 'docker' }).map((e) => [
        e.metadata.labels['breakwater/scenario'],
        envOf(e),
      ]),
    );
    const runtime = { CONTAINER_RUNTIME: 'docker', SOCKET_PATH: '/var/run/docker.sock' };
    expect(byScenario).toEqual({
      'pod-kill': { TOTAL_CHAOS_DURATION: '90', FORCE: 'false', PODS_AFFECTED_PERC: '50' },
      'node-kill': { TOTAL_CHAOS_DURATION: '90', TARGET_NODE: 'node-1' },
      'network-partition': { TOTAL_CHAOS_DURATION: '90', POLICY_TYPES: 'egress', DESTINATION_HOSTS: 'redis.game.svc,db.game.svc' },
      'network-latency': { TOTAL_CHAOS_DURATION: '90', NETWORK_LATENCY: '750', JITTER: '0', DESTINATION_HOSTS: 'redis.game.svc,db.game.svc', ...runtime, PODS_AFFECTED_PERC: '50' },
      'cpu-exhaustion': { TOTAL_CHAOS_DURATION: '90', CPU_CORES: '2', ...runtime, PODS_AFFECTED_PERC: '50' },
      'memory-exhaustion': { TOTAL_CHAOS_DURATION: '90', MEMORY_CONSUMPTION: '256', ...runtime, PODS_AFFECTED_PERC: '50' },
      'disk-exhaustion': { TOTAL_CHAOS_DURATION: '90', FILL_PERCENTAGE: '70', ...runtime, PODS_AFFECTED_PERC: '50' },
    });
  });

  it('a chosen subset, in catalog order; env overrides; probe timings as Go durations', () => {
    const list = engines({ ...BASE, scenarios: ['disk-exhaustion', 'pod-kill'], probeInterval: 1_500, probeTimeout: 250, probeRetry: 0, probeMode: 'OnChaos', env: { 'pod-kill': { FORCE: 'true', CHAOS_INTERVAL: '5' } } });
    expect(list.map((e) => e.metadata.labels['breakwater/scenario'])).toEqual(['pod-kill', 'disk-exhaustion']);
    expect(envOf(list[0] as Engine)).toEqual({ TOTAL_CHAOS_DURATION: '60', FORCE: 'true', CHAOS_INTERVAL: '5' });
    const probe = list[0]?.spec.experiments[0]?.spec.probe[0];
    expect(probe?.['mode']).toBe('OnChaos');
    expect(probe?.['runProperties']).toEqual({ probeTimeout: '250ms', interval: '1500ms', retry: 0, probePollingInterval: '1500ms' });
  });

  it('names come from namePrefix, else from the value of the first label', () => {
    expect(engines({ ...BASE, appLabel: 'app.kubernetes.io/name=shop,tier=web', scenarios: ['pod-kill'] })[0]?.metadata.name).toBe('shop-pod-delete');
    expect(engines({ ...BASE, namePrefix: 'gs', scenarios: ['pod-kill'] })[0]?.metadata.name).toBe('gs-pod-delete');
    const e = validationError(() => toLitmusManifests({ ...BASE, appLabel: 'app=Game_Server' }));
    expect(e.issues.map((i) => i.path)).toEqual(['namePrefix']);
  });

  it('rejects bad options with one error naming every bad field', () => {
    const e = validationError(() =>
      toLitmusManifests({
        namespace: 'Game',
        appLabel: 'game-server',
        appKind: 'pod' as never,
        scenarios: ['pod-kill', 'pod-kill'],
        duration: 1_500,
        healthUrl: 'ftp://x/healthz',
        availabilityObjective: 0,
        availabilityQuery: 'up\n# injected',
        dependencyHosts: ['a b'],
        socketPath: 'relative/path',
        colour: 'red',
      } as unknown as LitmusManifestOptions),
    );
    expect(e.issues.map((i) => i.path).sort()).toEqual(
      ['appKind', 'appLabel', 'availabilityObjective', 'availabilityQuery', 'colour', 'dependencyHosts', 'duration', 'healthUrl', 'namespace', 'scenarios', 'socketPath'].sort(),
    );
    expect(e.message).toContain('expected `duration` to be a duration in ms, a whole number of seconds ≥ 1 s, got 1500');
  });

  it('cross-field rules: node target xor label, probe timeout within the interval, env of known scenarios only', () => {
    const e = validationError(() =>
      toLitmusManifests({ ...BASE, targetNode: 'n1', nodeLabel: 'pool=a', probeInterval: 1_000, probeTimeout: 2_000, env: { 'pod-kill': { 'BAD-NAME': 'x' }, 'gpu-melt': {} } as never }),
    );
    expect(e.issues.map((i) => i.path).sort()).toEqual(['env.gpu-melt', 'env.pod-kill', 'nodeLabel', 'probeTimeout']);
  });

  it('strings are data, never YAML: quotes, colons, comments and newlines cannot change the document', () => {
    const query = 'sum(x{a="b: c"}) # not a comment \\ "quoted" \u2028 \u0085 \u007f';
    const [e] = engines({ ...BASE, scenarios: ['pod-kill'], availabilityQuery: query, env: { 'pod-kill': { NOTE: 'line 1\nline 2\n- name: INJECTED' } } });
    expect((e?.spec.experiments[0]?.spec.probe[1]?.['promProbe/inputs'] as { query: string }).query).toBe(query);
    expect(envOf(e as Engine)).toMatchObject({ NOTE: 'line 1\nline 2\n- name: INJECTED' });
    expect(envOf(e as Engine)['INJECTED']).toBeUndefined();
  });
});

/** Characters YAML treats specially, escapes, separators, BOM, non-characters, lone and paired surrogates. */
const AWKWARD = ['"', '\\', '\n', '\r\n', '\t', ': ', ' #', '- ', '\u0000', '\u007f', '\u0085', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '\ud800', '\udfff', '😀', 'é', '&a', '*a', '!!str', '%YAML', '---', '...'];

// Any code point, lone surrogates, and the awkward ones (fast-check's 'binary' unit is slow to generate).
const piece = fc.oneof(
  fc.integer({ min: 0, max: 0x10ffff }).map((c) => (c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : String.fromCodePoint(c))),
  fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(...AWKWARD),
);

describe('yamlString', () => {
  it('property: any string reads back as itself (a lone surrogate as U+FFFD)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        const read = parse(`k: ${yamlString(text)}\n`) as { k: string };
        const expected = text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
        expect(read.k).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('values that YAML would coerce stay strings', () => {
    for (const s of ['yes', 'no', 'null', '~', '0x10', '1e3', 'true', '.inf', '', ' ', '- a', '{a: 1}', '&anchor', '*alias', '!tag', '%directive', '@at', '`tick']) {
      expect((parse(`k: ${yamlString(s)}\n`) as { k: unknown }).k).toBe(s);
    }
  });

  it('documents: nested maps and lists, quoted keys, empty collections', () => {
    const text = yamlDocument({ a: { 'b/c': [1, 'two', true, { d: [] }], 'weird key: x': {} }, e: [['x', 'y'], []] }, ['top\ncomment']);
    expect(text.split('\n')[0]).toBe('# top comment');
    expect(parse(text)).toEqual({ a: { 'b/c': [1, 'two', true, { d: [] }], 'weird key: x': {} }, e: [['x', 'y'], []] });
    expect(() => yamlDocument({ n: Number.NaN })).toThrow(RangeError);
  });
});
