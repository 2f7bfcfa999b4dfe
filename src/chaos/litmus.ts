/**
 * The Litmus bridge, manifests side: `ChaosEngine` manifests (LitmusChaos,
 * `litmuschaos.io/v1alpha1`) for the infrastructure faults an in-process experiment
 * cannot cause (a pod or a node lost, the network cut or slowed, CPU, memory or disk
 * exhausted), each judged by the same steady state as the in-process experiments: an
 * `httpProbe` on the service's health endpoint and a `promProbe` on the availability
 * breakwater's metrics export. The YAML is written by hand (fixed shapes, every string
 * quoted: see `litmus-yaml.ts`); reading a `ChaosResult` back is in `litmus-result.ts`.
 *
 * @packageDocumentation
 */
import type { ValidationIssue } from '../core/errors';
import { isPlainObject, rules, validateOptions, type Rule } from '../core/validation';
import { yamlDocument, type YamlValue } from './litmus-yaml';

/**
 * The infrastructure scenarios {@link toLitmusManifests} writes, one `ChaosEngine` each.
 *
 * @example
 * ```ts
 * const scenarios: LitmusScenario[] = ['pod-kill', 'network-latency'];
 * ```
 */
export type LitmusScenario = 'pod-kill' | 'node-kill' | 'network-partition' | 'network-latency' | 'cpu-exhaustion' | 'memory-exhaustion' | 'disk-exhaustion';

/**
 * Workload kinds Litmus's `appinfo.appkind` accepts.
 *
 * @example
 * ```ts
 * const kind: LitmusAppKind = 'statefulset';
 * ```
 */
export type LitmusAppKind = 'deployment' | 'statefulset' | 'daemonset' | 'deploymentconfig' | 'rollout';

/**
 * When a Litmus probe runs: start of test, end of test, both (`Edge`), all along, or while the fault is on.
 *
 * @example
 * ```ts
 * toLitmusManifests({ ...options, probeMode: 'Edge' }); // before and after the fault only
 * ```
 */
export type LitmusProbeMode = 'SOT' | 'EOT' | 'Edge' | 'Continuous' | 'OnChaos';

/**
 * Container runtimes of the cluster's nodes (the network and stress experiments enter the target's namespaces through it).
 *
 * @example
 * ```ts
 * toLitmusManifests({ ...options, containerRuntime: 'crio' });
 * ```
 */
export type LitmusContainerRuntime = 'containerd' | 'docker' | 'crio';

/**
 * What one scenario is in Litmus.
 *
 * @example
 * ```ts
 * const info = LITMUS_SCENARIOS.find((s) => s.scenario === 'node-kill'); // { experiment: 'node-drain', … }
 * ```
 */
export interface LitmusScenarioInfo {
  /** Our name of the scenario. */
  readonly scenario: LitmusScenario;
  /** The Litmus experiment (its `ChaosExperiment` must be installed in the chaos namespace). */
  readonly experiment: string;
  /** The seed's family of infrastructure faults. */
  readonly family: 'pod/node kill' | 'network partition' | 'network latency' | 'CPU exhaustion' | 'memory exhaustion' | 'disk exhaustion';
  /** What happens, in words. */
  readonly description: string;
}

/**
 * The scenarios, in the order {@link toLitmusManifests} writes them.
 *
 * @example
 * ```ts
 * LITMUS_SCENARIOS.map((s) => `${s.scenario} → ${s.experiment}`); // ['pod-kill → pod-delete', …]
 * ```
 */
export const LITMUS_SCENARIOS: readonly LitmusScenarioInfo[] = Object.freeze([
  { scenario: 'pod-kill', experiment: 'pod-delete', family: 'pod/node kill', description: 'deletes pods of the app (one by default) for the chaos duration, as a crash or an eviction would' },
  { scenario: 'node-kill', experiment: 'node-drain', family: 'pod/node kill', description: 'drains a node of the app (cordons it and evicts every pod), as losing the node would' },
  { scenario: 'network-partition', experiment: 'pod-network-partition', family: 'network partition', description: "cuts the app's pods off from their dependencies (egress; only `dependencyHosts` when given) with a NetworkPolicy" },
  { scenario: 'network-latency', experiment: 'pod-network-latency', family: 'network latency', description: "adds `networkLatency` to the app's outgoing traffic (only to `dependencyHosts` when given)" },
  { scenario: 'cpu-exhaustion', experiment: 'pod-cpu-hog', family: 'CPU exhaustion', description: "burns `cpuCores` cores inside the app's containers" },
  { scenario: 'memory-exhaustion', experiment: 'pod-memory-hog', family: 'memory exhaustion', description: "consumes `memoryMegabytes` MB inside the app's containers" },
  { scenario: 'disk-exhaustion', experiment: 'disk-fill', family: 'disk exhaustion', description: "fills `diskFillPercent` % of the app's ephemeral storage" },
] as const satisfies readonly LitmusScenarioInfo[]);

const SCENARIO_NAMES = LITMUS_SCENARIOS.map((s) => s.scenario);

/**
 * Options of {@link toLitmusManifests}. Durations in milliseconds, as everywhere in breakwater.
 *
 * @example
 * ```ts
 * const options: LitmusManifestOptions = { namespace: 'game', appLabel: 'app=game-server', appKind: 'deployment', duration: 120_000 };
 * ```
 */
export interface LitmusManifestOptions {
  /** Namespace of the application (`appinfo.appns`). Required: a DNS-1123 label. */
  readonly namespace: string;
  /** Label selector of the application's pods, `key=value` (several joined by commas). Required. */
  readonly appLabel: string;
  /** Kind of the application's workload. Required. */
  readonly appKind: LitmusAppKind;
  /** Which scenarios to write. @defaultValue every one of {@link LITMUS_SCENARIOS} */
  readonly scenarios?: readonly LitmusScenario[] | undefined;
  /** Namespace the engines are created in (where Litmus and its experiments are installed). @defaultValue `namespace` */
  readonly chaosNamespace?: string | undefined;
  /** Service account the experiments run as. @defaultValue `'litmus-admin'` */
  readonly serviceAccount?: string | undefined;
  /** Start of every engine's and probe's name (a DNS-1123 label of at most 41 characters). @defaultValue the value of the first label of `appLabel` */
  readonly namePrefix?: string | undefined;
  /** The service's health endpoint, probed with GET (200 expected). @defaultValue `http://<namePrefix>.<namespace>.svc.cluster.local:8080/healthz` */
  readonly healthUrl?: string | undefined;
  /** Prometheus's URL, for the `promProbe`. @defaultValue `'http://prometheus-operated.monitoring.svc.cluster.local:9090'` (prometheus-operator's service) */
  readonly prometheusEndpoint?: string | undefined;
  /** PromQL giving the availability (0–1) the probe compares. @defaultValue `min(resilience_availability_ratio{namespace="<namespace>"})` */
  readonly availabilityQuery?: string | undefined;
  /** The availability the `promProbe` requires (`>=`). @defaultValue 0.99 */
  readonly availabilityObjective?: number | undefined;
  /** How long each fault lasts (`TOTAL_CHAOS_DURATION`), in whole seconds of ms. @defaultValue 60_000 */
  readonly duration?: number | undefined;
  /** When the probes run. @defaultValue `'Continuous'` (before, during and after the fault) */
  readonly probeMode?: LitmusProbeMode | undefined;
  /** Time between two probe runs (ms). @defaultValue 5_000 */
  readonly probeInterval?: number | undefined;
  /** Time a probe run may take (ms). @defaultValue 2_000 */
  readonly probeTimeout?: number | undefined;
  /** Retries of a failed probe run before it counts as failed. @defaultValue 1 */
  readonly probeRetry?: number | undefined;
  /** Share of the app's pods the pod-level faults hit (`PODS_AFFECTED_PERC`, 0–100). @defaultValue Litmus's: one pod */
  readonly podsAffectedPercent?: number | undefined;
  /** Delay network-latency adds (ms). @defaultValue 2_000 */
  readonly networkLatency?: number | undefined;
  /** Hosts the network partition and latency apply to (the app's dependencies). @defaultValue every destination */
  readonly dependencyHosts?: readonly string[] | undefined;
  /** CPU cores cpu-exhaustion burns. @defaultValue 1 */
  readonly cpuCores?: number | undefined;
  /** Memory memory-exhaustion consumes (MB). @defaultValue 500 */
  readonly memoryMegabytes?: number | undefined;
  /** Share of ephemeral storage disk-exhaustion fills (1–100). @defaultValue 80 */
  readonly diskFillPercent?: number | undefined;
  /** The node node-kill drains (`TARGET_NODE`). @defaultValue Litmus picks a node of the app */
  readonly targetNode?: string | undefined;
  /** Label of the nodes node-kill may drain (`NODE_LABEL`); not with `targetNode`. @defaultValue none */
  readonly nodeLabel?: string | undefined;
  /** The nodes' container runtime. @defaultValue `'containerd'` */
  readonly containerRuntime?: LitmusContainerRuntime | undefined;
  /** The runtime's socket on the nodes. @defaultValue the runtime's usual path (`/run/containerd/containerd.sock`, `/var/run/docker.sock`, `/var/run/crio/crio.sock`) */
  readonly socketPath?: string | undefined;
  /** Whether Litmus deletes the experiment's jobs when done. @defaultValue `'delete'` */
  readonly jobCleanUpPolicy?: 'delete' | 'retain' | undefined;
  /** Extra environment variables per scenario (they override the ones written here). @defaultValue none */
  readonly env?: Readonly<Partial<Record<LitmusScenario, Readonly<Record<string, string>>>>> | undefined;
}

/** The metric breakwater exports the availability under (`MetricNames.availability` of `breakwater/metrics`; chaos cannot import metrics). */
const AVAILABILITY_METRIC = 'resilience_availability_ratio';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/;
const MAX_PREFIX = 41; // + "-pod-network-partition" = 63, the longest name Litmus derives labels from

const dnsLabel = (max = 63): Rule => ({
  expected: `a DNS-1123 label (lower-case letters, digits and '-', at most ${max} characters)`,
  check: (v) => typeof v === 'string' && v.length <= max && DNS_LABEL.test(v),
});

/** `key=value[,key=value…]`, each key a Kubernetes label name and each value a label value. */
function labelPairs(v: string): [string, string][] | undefined {
  const pairs = v.split(',').map((p) => {
    const at = p.indexOf('=');
    return at < 0 ? undefined : ([p.slice(0, at).trim(), p.slice(at + 1).trim()] as [string, string]);
  });
  if (pairs.some((p) => p === undefined)) return undefined;
  const ok = (pairs as [string, string][]).every(([k, val]) => k.length <= 316 && LABEL_NAME.test(k) && k.split('/').pop()!.length <= 63 && val.length <= 63 && LABEL_VALUE.test(val));
  return ok ? (pairs as [string, string][]) : undefined;
}

const httpUrl: Rule = {
  expected: 'an http(s) URL',
  check: (v) => {
    if (typeof v !== 'string' || /\s/.test(v)) return false;
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
};

const wholeSeconds = (min: number): Rule => ({
  expected: `a duration in ms, a whole number of seconds ≥ ${min / 1000} s`,
  check: (v) => typeof v === 'number' && Number.isInteger(v / 1000) && v >= min,
});

const oneLine = (what: string): Rule => ({
  expected: what,
  check: (v) => typeof v === 'string' && v.trim() !== '' && !/[\r\n]/.test(v) && v.length <= 4096,
});

const schema = {
  namespace: rules.required(dnsLabel()),
  appLabel: rules.required({ expected: 'a label selector `key=value` (several joined by commas)', check: (v) => typeof v === 'string' && labelPairs(v) !== undefined }),
  appKind: rules.required(rules.oneOf(['deployment', 'statefulset', 'daemonset', 'deploymentconfig', 'rollout'])),
  scenarios: {
    expected: `a non-empty array of distinct scenarios (${SCENARIO_NAMES.map((s) => JSON.stringify(s)).join(', ')})`,
    check: (v) => Array.isArray(v) && v.length > 0 && new Set(v).size === v.length && v.every((s) => (SCENARIO_NAMES as readonly unknown[]).includes(s)),
  },
  chaosNamespace: dnsLabel(),
  serviceAccount: dnsLabel(253),
  namePrefix: dnsLabel(MAX_PREFIX),
  healthUrl: httpUrl,
  prometheusEndpoint: httpUrl,
  availabilityQuery: oneLine('a one-line PromQL expression'),
  availabilityObjective: rules.number(0, 1, { exclusiveMin: true }),
  duration: wholeSeconds(1_000),
  probeMode: rules.oneOf(['SOT', 'EOT', 'Edge', 'Continuous', 'OnChaos']),
  probeInterval: rules.integer(1, 3_600_000),
  probeTimeout: rules.integer(1, 3_600_000),
  probeRetry: rules.integer(0, 100),
  podsAffectedPercent: rules.integer(0, 100),
  networkLatency: rules.integer(1, 3_600_000),
  dependencyHosts: rules.arrayOf({ expected: 'a host name or IP address', check: (v) => typeof v === 'string' && v.length <= 253 && HOST.test(v) }, { minLength: 1 }),
  cpuCores: rules.integer(1, 1024),
  memoryMegabytes: rules.integer(1, 1_048_576),
  diskFillPercent: rules.integer(1, 100),
  targetNode: dnsLabel(253),
  nodeLabel: { expected: 'a node label `key=value`', check: (v) => typeof v === 'string' && labelPairs(v)?.length === 1 },
  containerRuntime: rules.oneOf(['containerd', 'docker', 'crio']),
  socketPath: { expected: 'an absolute path', check: (v) => typeof v === 'string' && /^\/[^\s]*$/.test(v) && v.length <= 4096 },
  jobCleanUpPolicy: rules.oneOf(['delete', 'retain']),
  env: rules.any('an object of scenario → { NAME: value }'),
} satisfies Record<keyof LitmusManifestOptions, Rule>;

function checkCrossFields(o: LitmusManifestOptions, issues: ValidationIssue[]): void {
  if (o.targetNode !== undefined && o.nodeLabel !== undefined) {
    issues.push({ path: 'nodeLabel', value: o.nodeLabel, expected: 'absent when `targetNode` is given (Litmus drains one or the other)' });
  }
  if (o.probeTimeout !== undefined && o.probeInterval !== undefined && o.probeTimeout > o.probeInterval) {
    issues.push({ path: 'probeTimeout', value: o.probeTimeout, expected: `at most probeInterval (${o.probeInterval} ms)` });
  }
  if (o.namePrefix === undefined) {
    const value = labelPairs(o.appLabel)?.[0]?.[1] ?? '';
    if (!(value.length <= MAX_PREFIX && DNS_LABEL.test(value))) {
      issues.push({ path: 'namePrefix', value: undefined, expected: `given: the value of appLabel (${JSON.stringify(value)}) is not a DNS-1123 label of at most ${MAX_PREFIX} characters` });
    }
  }
  if (o.env !== undefined) {
    if (!isPlainObject(o.env)) issues.push({ path: 'env', value: o.env, expected: 'an object of scenario → { NAME: value }' });
    else {
      for (const [scenario, vars] of Object.entries(o.env)) {
        if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
          issues.push({ path: `env.${scenario}`, value: vars, expected: 'not present (unknown scenario)' });
        } else if (!isPlainObject(vars) || !Object.entries(vars).every(([k, v]) => ENV_NAME.test(k) && typeof v === 'string' && v.length <= 65_536)) {
          issues.push({ path: `env.${scenario}`, value: vars, expected: 'an object of environment variables (C identifiers) with string values' });
        }
      }
    }
  }
}

const SOCKETS: Readonly<Record<LitmusContainerRuntime, string>> = {
  containerd: '/run/containerd/containerd.sock',
  docker: '/var/run/docker.sock',
  crio: '/var/run/crio/crio.sock',
};

/** A Go duration for Litmus's runProperties: `2s`, `1500ms`. */
function goDuration(ms: number): string {
  return Number.isInteger(ms / 1000) ? `${ms / 1000}s` : `${Math.ceil(ms)}ms`;
}

/** The resolved settings every manifest reads. */
interface Settings {
  readonly o: LitmusManifestOptions;
  readonly prefix: string;
  readonly healthUrl: string;
  readonly query: string;
  readonly objective: number;
  readonly seconds: string;
  readonly runtime: LitmusContainerRuntime;
  readonly socket: string;
}

function settingsOf(o: LitmusManifestOptions): Settings {
  const prefix = o.namePrefix ?? (labelPairs(o.appLabel)?.[0]?.[1] as string);
  const runtime = o.containerRuntime ?? 'containerd';
  return {
    o,
    prefix,
    healthUrl: o.healthUrl ?? `http://${prefix}.${o.namespace}.svc.cluster.local:8080/healthz`,
    query: o.availabilityQuery ?? `min(${AVAILABILITY_METRIC}{namespace="${o.namespace}"})`,
    objective: o.availabilityObjective ?? 0.99,
    seconds: String((o.duration ?? 60_000) / 1000),
    runtime,
    socket: o.socketPath ?? SOCKETS[runtime],
  };
}

/** The experiment's tunables (`spec.experiments[].spec.components.env`), as name → value. */
function tunables(scenario: LitmusScenario, s: Settings): Record<string, string> {
  const o = s.o;
  const env: Record<string, string> = { TOTAL_CHAOS_DURATION: s.seconds };
  const pods = (): void => {
    if (o.podsAffectedPercent !== undefined) env['PODS_AFFECTED_PERC'] = String(o.podsAffectedPercent);
  };
  const runtime = (): void => {
    env['CONTAINER_RUNTIME'] = s.runtime;
    env['SOCKET_PATH'] = s.socket;
  };
  const hosts = (): void => {
    if (o.dependencyHosts !== undefined) env['DESTINATION_HOSTS'] = o.dependencyHosts.join(',');
  };
  switch (scenario) {
    case 'pod-kill':
      env['FORCE'] = 'false';
      pods();
      break;
    case 'node-kill':
      if (o.targetNode !== undefined) env['TARGET_NODE'] = o.targetNode;
      if (o.nodeLabel !== undefined) env['NODE_LABEL'] = o.nodeLabel;
      break;
    case 'network-partition':
      env['POLICY_TYPES'] = 'egress';
      hosts();
      break;
    case 'network-latency':
      env['NETWORK_LATENCY'] = String(o.networkLatency ?? 2_000);
      env['JITTER'] = '0';
      hosts();
      runtime();
      pods();
      break;
    case 'cpu-exhaustion':
      env['CPU_CORES'] = String(o.cpuCores ?? 1);
      runtime();
      pods();
      break;
    case 'memory-exhaustion':
      env['MEMORY_CONSUMPTION'] = String(o.memoryMegabytes ?? 500);
      runtime();
      pods();
      break;
    case 'disk-exhaustion':
      env['FILL_PERCENTAGE'] = String(o.diskFillPercent ?? 80);
      runtime();
      pods();
      break;
  }
  return { ...env, ...(o.env?.[scenario] ?? {}) };
}

function runProperties(o: LitmusManifestOptions): YamlValue {
  const interval = o.probeInterval ?? 5_000;
  return {
    probeTimeout: goDuration(o.probeTimeout ?? Math.min(2_000, interval)),
    interval: goDuration(interval),
    retry: o.probeRetry ?? 1,
    probePollingInterval: goDuration(interval),
  };
}

/** The two probes: the same steady state the in-process experiments judge by. */
function probes(s: Settings): YamlValue {
  const mode = s.o.probeMode ?? 'Continuous';
  return [
    {
      name: `${s.prefix}-health`,
      type: 'httpProbe',
      mode,
      'httpProbe/inputs': { url: s.healthUrl, insecureSkipVerify: false, method: { get: { criteria: '==', responseCode: '200' } } },
      runProperties: runProperties(s.o),
    },
    {
      name: `${s.prefix}-availability`,
      type: 'promProbe',
      mode,
      'promProbe/inputs': {
        endpoint: s.o.prometheusEndpoint ?? 'http://prometheus-operated.monitoring.svc.cluster.local:9090',
        query: s.query,
        comparator: { criteria: '>=', value: String(s.objective) },
      },
      runProperties: runProperties(s.o),
    },
  ];
}

function engine(info: LitmusScenarioInfo, s: Settings): string {
  const o = s.o;
  const env = Object.entries(tunables(info.scenario, s)).map(([name, value]) => ({ name, value }));
  const root = {
    apiVersion: 'litmuschaos.io/v1alpha1',
    kind: 'ChaosEngine',
    metadata: {
      name: `${s.prefix}-${info.experiment}`,
      namespace: o.chaosNamespace ?? o.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'breakwater', 'breakwater/scenario': info.scenario },
    },
    spec: {
      engineState: 'active',
      jobCleanUpPolicy: o.jobCleanUpPolicy ?? 'delete',
      chaosServiceAccount: o.serviceAccount ?? 'litmus-admin',
      appinfo: { appns: o.namespace, applabel: o.appLabel, appkind: o.appKind },
      experiments: [{ name: info.experiment, spec: { components: { env }, probe: probes(s) } }],
    },
  };
  return yamlDocument(root, [
    `breakwater: ${info.scenario} (${info.family}) with Litmus's ${info.experiment}: ${info.description.replace(/`/g, '')}`,
    `steady state: GET ${s.healthUrl} answers 200, and ${s.query} >= ${s.objective} (${o.probeMode ?? 'Continuous'} probes)`,
  ]);
}

/**
 * Writes LitmusChaos `ChaosEngine` manifests (YAML, one document per scenario, each
 * starting with `---`) for the infrastructure faults: pod kill (`pod-delete`), node kill
 * (`node-drain`), network partition (`pod-network-partition`, egress), network latency
 * (`pod-network-latency`), CPU, memory and disk exhaustion (`pod-cpu-hog`,
 * `pod-memory-hog`, `disk-fill`). Every engine carries two probes that state the steady
 * state the in-process experiments use: an `httpProbe` (GET `healthUrl` answers 200) and a
 * `promProbe` (`availabilityQuery` over breakwater's `resilience_availability_ratio` is at
 * least `availabilityObjective`). Options are validated (one `OptionsValidationError`
 * naming every bad field); the manifests validate against Litmus's own CRD schema (a test
 * checks it). Apply them with `kubectl apply -f`; Litmus's experiments (`ChaosExperiment`)
 * and the service account must be installed in the chaos namespace.
 *
 * @example
 * ```ts
 * const yaml = toLitmusManifests({ namespace: 'game', appLabel: 'app=game-server', appKind: 'deployment' });
 * writeFileSync('chaos/litmus-engines.yaml', yaml);
 * // kubectl apply -f chaos/litmus-engines.yaml, then read each ChaosResult back with fromLitmusResult()
 * ```
 */
export function toLitmusManifests(options: LitmusManifestOptions): string {
  const o = validateOptions<LitmusManifestOptions>('toLitmusManifests', options, schema, checkCrossFields);
  const s = settingsOf(o);
  const wanted = new Set<LitmusScenario>(o.scenarios ?? SCENARIO_NAMES);
  return LITMUS_SCENARIOS.filter((i) => wanted.has(i.scenario))
    .map((i) => `---\n${engine(i, s)}`)
    .join('');
}
