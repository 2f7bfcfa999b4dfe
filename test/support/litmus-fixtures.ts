/**
 * Litmus test helpers: the CRD schemas of LitmusChaos's chaos-operator, read at run time
 * from `../shared/reference/litmus/chaos_crds.yaml` (relative to the repository root; CI
 * copies `../shared` beside the repository), compiled with ajv; and `ChaosResult`
 * builders shaped as the operator writes them (chaosresult_types.go).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

/** The CRD file, beside the repository. */
export const LITMUS_CRDS_PATH = resolve(__dirname, '../..', '../shared/reference/litmus/chaos_crds.yaml');

type Schema = Record<string, unknown>;

/** The `openAPIV3Schema` of each CRD of the file, by kind (`ChaosEngine`, `ChaosExperiment`, `ChaosResult`). */
export function litmusSchemas(): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const doc of parseAllDocuments(readFileSync(LITMUS_CRDS_PATH, 'utf8'))) {
    const crd = doc.toJS() as { spec?: { names?: { kind?: string }; versions?: { name: string; schema?: { openAPIV3Schema?: Schema } }[] } } | null;
    const kind = crd?.spec?.names?.kind;
    const schema = crd?.spec?.versions?.find((v) => v.name === 'v1alpha1')?.schema?.openAPIV3Schema;
    if (kind !== undefined && schema !== undefined) out[kind] = schema;
  }
  return out;
}

/**
 * The schema as the API server applies it: a field that no `properties` names is pruned
 * (dropped) unless its object has `x-kubernetes-preserve-unknown-fields`. Closing every
 * such object (`additionalProperties: false`) makes a pruned field a validation error, so
 * a misspelt key cannot pass silently.
 */
export function pruningSchema(schema: Schema): Schema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' && typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, visit(s)])) : visit(v);
    if (out['properties'] !== undefined && out['x-kubernetes-preserve-unknown-fields'] !== true && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
    return out;
  };
  return visit(schema) as Schema;
}

/** ajv validators of a CRD kind: as written, and with pruning made an error. */
export function litmusValidators(kind: string): { schema: ValidateFunction; pruning: ValidateFunction } {
  const schema = litmusSchemas()[kind];
  if (schema === undefined) throw new Error(`no ${kind} CRD in ${LITMUS_CRDS_PATH}`);
  // The CRDs use Kubernetes' keywords (x-kubernetes-*, allowEmptyValue) and formats (int32, int64): not strict.
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, formats: { int32: true, int64: true } });
  return { schema: ajv.compile(schema), pruning: ajv.compile(pruningSchema(schema)) };
}

/** One probe status of a ChaosResult. */
export interface ProbeFixture {
  readonly name: string;
  readonly type?: string;
  readonly mode?: string;
  readonly verdict: string;
  readonly description?: string;
}

/** A ChaosResult as the operator writes it (`kubectl get chaosresult -o json`). */
export function chaosResult(o: {
  readonly name?: string;
  readonly engine?: string;
  readonly experiment?: string;
  readonly phase?: string;
  readonly verdict?: string;
  readonly probeSuccessPercentage?: string | number;
  readonly probes?: readonly ProbeFixture[];
  readonly failure?: { readonly failedStep: string; readonly errorCode?: string };
  readonly created?: string;
  readonly updated?: string;
} = {}): Record<string, unknown> {
  const engine = o.engine ?? 'game-server-pod-delete';
  const experiment = o.experiment ?? 'pod-delete';
  return {
    apiVersion: 'litmuschaos.io/v1alpha1',
    kind: 'ChaosResult',
    metadata: {
      name: o.name ?? `${engine}-${experiment}`,
      namespace: 'game',
      creationTimestamp: o.created ?? '2025-01-07T14:00:00Z',
      labels: { 'chaosUID': '3f0c0a2e-7d0b-4c1e-9a51-5d1f6c7b8a90', 'app.kubernetes.io/component': 'experiment-job' },
      managedFields: [
        { manager: 'experiments', operation: 'Update', time: o.created ?? '2025-01-07T14:00:00Z' },
        { manager: 'experiments', operation: 'Update', time: o.updated ?? '2025-01-07T14:01:30Z' },
      ],
    },
    spec: { engine, experiment },
    status: {
      experimentStatus: {
        phase: o.phase ?? 'Completed',
        verdict: o.verdict ?? 'Pass',
        probeSuccessPercentage: String(o.probeSuccessPercentage ?? '100'),
        ...(o.failure !== undefined ? { failureOutput: o.failure } : {}),
      },
      probeStatuses: (o.probes ?? [
        { name: 'game-server-health', type: 'httpProbe', mode: 'Continuous', verdict: 'Passed' },
        { name: 'game-server-availability', type: 'promProbe', mode: 'Continuous', verdict: 'Passed' },
      ]).map((p) => ({ name: p.name, type: p.type ?? 'httpProbe', mode: p.mode ?? 'Continuous', status: { verdict: p.verdict, description: p.description ?? `Probe ${p.verdict.toLowerCase()}` } })),
      history: {
        passedRuns: 3,
        failedRuns: 1,
        stoppedRuns: 0,
        targets: [{ name: 'game-server', kind: 'deployment', chaosStatus: 'targeted' }],
      },
    },
  };
}
