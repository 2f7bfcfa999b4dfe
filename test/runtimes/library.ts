/**
 * The shapes shared by the runtime checks, the entry that runs them and the vitest test that
 * reads their reports. Only types come from `src/`: at run time the checks receive the BUILT
 * package (`dist/`, loaded through the package's `exports` map by `entry.mjs`), never the
 * sources.
 */
import type * as FastCheck from 'fast-check';
import type * as Chaos from '../../src/chaos/index';
import type * as Decorators from '../../src/decorators/index';
import type * as Core from '../../src/index';
import type * as Metrics from '../../src/metrics/index';
import type * as Arbitraries from '../../src/testing/arbitraries';
import type * as Testing from '../../src/testing/index';

/** The package's entry points as the runtime loaded them (one namespace per `exports` subpath). */
export interface Library {
  /** `breakwater` */
  readonly core: typeof Core;
  /** `breakwater/chaos` */
  readonly chaos: typeof Chaos;
  /** `breakwater/metrics` */
  readonly metrics: typeof Metrics;
  /** `breakwater/testing` */
  readonly testing: typeof Testing;
  /** `breakwater/decorators` */
  readonly decorators: typeof Decorators;
  /** `breakwater/testing/arbitraries` */
  readonly arbitraries: typeof Arbitraries;
  /** fast-check, the optional peer dependency of `breakwater/testing/arbitraries`. */
  readonly fc: typeof FastCheck;
  /** Every entry point of the `exports` map (those above and any other), keyed by specifier. */
  readonly entryPoints: Readonly<Record<string, object>>;
}

/**
 * Deterministic values a check observed (seeded draws, a journal's numbers, a digest of
 * rendered text). Every runtime must report the same facts as Node: the parity check.
 */
export type Facts = Readonly<Record<string, string | number | boolean | null>>;

/** One named check: throws (or rejects) when the behaviour is not what the library documents. */
export interface Check {
  readonly name: string;
  readonly run: (lib: Library) => void | Facts | Promise<void | Facts>;
  /** The check makes the library report callback errors on purpose (and asserts them itself). */
  readonly expectsCallbackErrors?: true;
}

/** The runtimes the suite runs in. */
export type RuntimeName = 'node' | 'bun' | 'deno' | 'browser';

/** How one check went. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** The failure (message and the first stack lines), when not ok. */
  readonly error?: string;
  readonly ms: number;
}

/** What a runtime reports after running every check. */
export interface RuntimeReport {
  /** The runtime the checks detected they ran in. */
  readonly runtime: RuntimeName;
  /** Its version (the user agent in a browser). */
  readonly version: string;
  readonly results: readonly CheckResult[];
  /** Facts of every passing check, keyed `check name › fact`. */
  readonly facts: Facts;
  /** Errors the library reported through `onCallbackError` that no check expected. */
  readonly callbackErrors: readonly string[];
}

/** The line prefix a terminal runtime prints its report after (one JSON object). */
export const REPORT_MARKER = 'BREAKWATER_RUNTIME_REPORT ';
