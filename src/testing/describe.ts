/**
 * Plain descriptions of pipelines, to assert in tests ("payments retries 3 times inside
 * its fallback, and its breaker opens after 5 failures").
 *
 * @packageDocumentation
 */
import type { Policy, PolicyDescription } from '../core/policy';

function plain(value: unknown, seen: Set<unknown>): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function') return `function ${(value as { name?: string }).name || '(anonymous)'}`;
    if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
    return value;
  }
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => plain(v, seen));
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const d = (value as { describe?: unknown }).describe;
      if (typeof d === 'function') return plain((d as () => unknown).call(value), seen);
      const j = (value as { toJSON?: unknown }).toJSON;
      if (typeof j === 'function') return plain((j as () => unknown).call(value), seen);
      return `[${(value as { constructor?: { name?: string } }).constructor?.name ?? 'object'}]`;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * A plain description of `policy` (a pipeline or a single policy): its kind, name and
 * effective options (defaults filled in; functions shown as `'function name'`), and for
 * pipelines their policies, outermost first. The result is a fresh tree of plain objects,
 * arrays, strings, numbers and booleans, ready for `toEqual` or a snapshot.
 *
 * @example
 * ```ts
 * expect(describePipeline(payments)).toMatchObject({
 *   kind: 'pipeline',
 *   policies: [{ kind: 'retry', options: { maxAttempts: 3 } }, { kind: 'circuit-breaker' }],
 * });
 * ```
 */
export function describePipeline(policy: Policy): PolicyDescription {
  if (policy === null || typeof policy !== 'object' || typeof (policy as { describe?: unknown }).describe !== 'function') {
    throw new TypeError(`describePipeline() expects a policy or pipeline, got ${policy === null ? 'null' : typeof policy}`);
  }
  return plain(policy.describe(), new Set()) as PolicyDescription;
}

/** One policy of a flattened pipeline. */
export interface FlatPolicy {
  /** Policy kind, e.g. `'retry'`. */
  readonly kind: string;
  /** Policy name. */
  readonly name: string;
  /** Its effective options (plain). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Names of the pipelines it sits in, outermost first. */
  readonly path: readonly string[];
}

/**
 * The policies of `policy` in the order a call meets them (nested pipelines flattened),
 * outermost first.
 *
 * @example
 * ```ts
 * expect(flattenPipeline(payments).map((p) => p.kind)).toEqual(['fallback', 'retry', 'circuit-breaker', 'timeout']);
 * ```
 */
export function flattenPipeline(policy: Policy): readonly FlatPolicy[] {
  const out: FlatPolicy[] = [];
  const walk = (d: PolicyDescription, path: readonly string[]): void => {
    if (d.policies !== undefined) {
      for (const p of d.policies) walk(p, [...path, d.name]);
      return;
    }
    out.push({ kind: d.kind, name: d.name, options: d.options, path });
  };
  walk(describePipeline(policy), []);
  return out;
}
