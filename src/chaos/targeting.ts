/**
 * Which calls a fault may touch: `target` (operation names and patterns, label
 * selectors) and `cohort` (a sticky percentage of users or tenants, by a stable hash of
 * a label).
 *
 * @packageDocumentation
 */
import type { ExecutionContext, Labels } from '../core/context';
import { isPlainObject, type Rule } from '../core/validation';

/**
 * Which calls a fault applies to. A call must match every given part.
 *
 * - `operations`: the call's operation must match one entry: an exact name, a glob
 *   (`*` matches any run of characters except `.`, `**` any run including `.`:
 *   `payment.*` matches `payment.charge` but not `payment.card.charge`; `payment.**`
 *   matches both), or a `RegExp`.
 * - `labels`: for every key, the call's label must equal the value or one of the
 *   values given (`{ region: ['eu', 'us'], tier: 'free' }`).
 *
 * @example
 * ```ts
 * faultInjection({ target: { operations: ['payment.*'], labels: { region: 'eu' } } });
 * ```
 */
export interface FaultTarget {
  /** Operation names, globs or regular expressions. @defaultValue every operation */
  readonly operations?: readonly (string | RegExp)[] | undefined;
  /** Label selector: every key must match. @defaultValue every call */
  readonly labels?: Readonly<Record<string, string | readonly string[]>> | undefined;
}

/**
 * A sticky cohort: the calls whose label `label` hashes into the first `percent` % of
 * the hash space. The same value is always in or always out (across calls, restarts and
 * processes), and a smaller cohort with the same salt is a subset of a larger one.
 *
 * @example
 * ```ts
 * faultInjection({ cohort: { label: 'userId', percent: 5 } }); // the same 5 % of players
 * ```
 */
export interface FaultCohort {
  /** The label whose value identifies a member (e.g. `'userId'`, `'tenant'`). Calls without it are outside. */
  readonly label: string;
  /** Percentage of values inside the cohort, 0–100 (steps of 0.01). */
  readonly percent: number;
  /** Changes which values are chosen, for the same percent. @defaultValue `''` */
  readonly salt?: string | undefined;
}

/**
 * The 32-bit FNV-1a hash of the UTF-8 bytes of `text`: stable across processes, platforms
 * and languages.
 *
 * @example
 * ```ts
 * fnv1a32('foobar'); // 0xbf9cf968
 * ```
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
    } else if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
    } else if (c < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
    } else {
      h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
    }
  }
  return h >>> 0;
}

/**
 * The finalizer of MurmurHash3 (fmix32): spreads every input bit over every output bit.
 * FNV-1a alone leaves its low bits, which `% 10 000` reads, correlated for ids that differ
 * only in their last characters (`player-1`, `player-2`…).
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Is `value` (a user id, a tenant…) inside the cohort of `percent` % with `salt`? The
 * answer depends only on its arguments: the same everywhere, every time. Membership is
 * `fmix32(fnv1a32(salt === '' ? value : salt + ':' + value)) % 10000 < round(percent × 100)`
 * (fmix32 being MurmurHash3's 32-bit finalizer), so another service or language can
 * compute the same cohort.
 *
 * @example
 * ```ts
 * isInCohort('player-42', 5); // true for about 5 % of ids, always the same ones
 * ```
 */
export function isInCohort(value: string, percent: number, salt = ''): boolean {
  if (percent >= 100) return true;
  if (!(percent > 0)) return false;
  return fmix32(fnv1a32(salt === '' ? value : `${salt}:${value}`)) % 10_000 < Math.round(percent * 100);
}

/** @internal Compiles a glob (`*` within a segment, `**` across) into a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        src += '.*';
        i++;
      } else src += '[^.]*';
    } else if (ch === '?') src += '[^.]';
    else src += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** @internal A compiled operation/label matcher. */
export interface TargetMatcher {
  matches(ctx: ExecutionContext): boolean;
}

const CACHE_LIMIT = 1024;

/** @internal Compiles a {@link FaultTarget}; `undefined` when it selects every call. */
export function compileTarget(target: FaultTarget | undefined): TargetMatcher | undefined {
  if (target === undefined) return undefined;
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const ops = target.operations;
  if (ops !== undefined) {
    for (const op of ops) {
      if (typeof op === 'string') {
        if (op.includes('*') || op.includes('?')) patterns.push(globToRegExp(op));
        else exact.add(op);
      } else {
        // Drop stateful flags: `test()` with /g or /y would depend on earlier calls.
        patterns.push(new RegExp(op.source, op.flags.replace(/[gy]/g, '')));
      }
    }
  }
  const selector: [string, readonly string[]][] = [];
  if (target.labels !== undefined) {
    for (const key of Object.keys(target.labels)) {
      const v = target.labels[key] as string | readonly string[];
      selector.push([key, typeof v === 'string' ? [v] : [...v]]);
    }
  }
  const checkOps = ops !== undefined;
  const cache = new Map<string, boolean>();
  const operationMatches = (op: string): boolean => {
    const hit = cache.get(op);
    if (hit !== undefined) return hit;
    let ok = exact.has(op);
    for (let i = 0; !ok && i < patterns.length; i++) ok = (patterns[i] as RegExp).test(op);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(op, ok);
    return ok;
  };
  const labelsMatch = (labels: Labels): boolean => {
    for (let i = 0; i < selector.length; i++) {
      const [key, values] = selector[i] as [string, readonly string[]];
      const v = Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
      if (v === undefined || !values.includes(v)) return false;
    }
    return true;
  };
  return {
    matches: (ctx) => (!checkOps || operationMatches(ctx.operation)) && (selector.length === 0 || labelsMatch(ctx.labels)),
  };
}

/** @internal Cohort membership of a call (`percent` may be capped by the chaos rules). */
export function callInCohort(ctx: ExecutionContext, cohort: FaultCohort, percentCap: number): boolean {
  const labels = ctx.labels;
  const value = Object.prototype.hasOwnProperty.call(labels, cohort.label) ? labels[cohort.label] : undefined;
  if (value === undefined) return false;
  return isInCohort(value, Math.min(cohort.percent, percentCap), cohort.salt ?? '');
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** @internal Validation rule of a label selector. */
export const labelSelectorRule: Rule = {
  expected: 'an object whose values are strings or non-empty arrays of strings',
  check: (v) =>
    isPlainObject(v) &&
    Object.keys(v).every((k) => {
      if (FORBIDDEN.has(k)) return false;
      const x = v[k];
      return typeof x === 'string' || (Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string'));
    }),
};

/** @internal Validation rule of an operations list. */
export const operationsRule: Rule = {
  expected: 'an array of operation names, globs or RegExps',
  check: (v) => Array.isArray(v) && v.every((x) => (typeof x === 'string' && x.length > 0) || x instanceof RegExp),
};
