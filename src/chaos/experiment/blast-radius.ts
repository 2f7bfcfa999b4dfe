/**
 * The blast radius of an experiment: how many distinct users (the load's `userKey`) and
 * which operations its failed or degraded calls touched, while the faults were on and
 * over the whole run, in fixed memory (see `distinct-count.ts` for the estimate past
 * `exactUpTo` users).
 *
 * @packageDocumentation
 */
import type { ValidationIssue } from '../../core/errors';
import { collectIssues, rules } from '../../core/validation';
import { DEFAULT_EXACT_UP_TO, DistinctCounter } from './distinct-count';
import { round } from './window-stats';

/**
 * A successful call, as {@link BlastRadiusOptions.degraded} sees it.
 *
 * @example
 * ```ts
 * const degraded = (call: CompletedCall): boolean => call.operation === 'leaderboard.read' && call.duration > 300;
 * ```
 */
export interface CompletedCall {
  /** The call's operation. */
  readonly operation: string;
  /** What `load.fn` resolved with (a fallback's answer, an HTTP response…). */
  readonly value: unknown;
  /** How long the call took (ms). */
  readonly duration: number;
  /** The user the load gave the call (`load.userKey`), if any. */
  readonly user: string | undefined;
}

/**
 * What counts as an affected call besides a failed one, and how many users are counted
 * exactly. A failed call (`load.fn` threw or rejected) always counts.
 *
 * @example
 * ```ts
 * const blastRadius: BlastRadiusOptions = {
 *   degradedAfter: 800, // a call slower than 800 ms hurt its player too
 *   degraded: (call) => (call.value as { queued?: boolean }).queued === true, // answered by the fallback queue
 * };
 * ```
 */
export interface BlastRadiusOptions {
  /** A successful call slower than this (ms) counts as degraded. @defaultValue none */
  readonly degradedAfter?: number | undefined;
  /**
   * A successful call for which this returns `true` counts as degraded (a fallback's
   * answer, a stale value…). An error it throws is reported (`onCallbackError`) and the
   * call is not counted as degraded. @defaultValue none
   */
  readonly degraded?: ((call: CompletedCall) => boolean) | undefined;
  /** Distinct users counted exactly; past this, the counts are estimates (relative standard error 0.81 %). @defaultValue 10 000 */
  readonly exactUpTo?: number | undefined;
}

/**
 * The blast radius in one scope: the whole run, or the calls completed while the faults were on.
 *
 * @example
 * ```ts
 * const { affectedUsers, users, estimated } = journal.blastRadius!.underFault; // 14 of 50 players, exact
 * ```
 */
export interface ImpactScope {
  /** Completed calls. */
  readonly calls: number;
  /** Calls that failed or were degraded. */
  readonly affectedCalls: number;
  /** Failed calls (`load.fn` threw or rejected). */
  readonly failedCalls: number;
  /** Successful calls counted as degraded (`blastRadius.degradedAfter` / `degraded`). */
  readonly degradedCalls: number;
  /** Distinct users among the calls; `null` without `load.userKey`. */
  readonly users: number | null;
  /** Distinct users with at least one affected call; `null` without `load.userKey`. */
  readonly affectedUsers: number | null;
  /** `affectedUsers / users`; `null` without users. */
  readonly affectedUserShare: number | null;
  /** Distinct operations with at least one affected call. */
  readonly affectedOperations: number;
  /** Whether a user count is an estimate (more than `exactUpTo` distinct users). */
  readonly estimated: boolean;
}

/**
 * One operation's calls, and how many were affected, over the run and under fault.
 *
 * @example
 * ```ts
 * const worst = [...journal.blastRadius!.operations].sort((a, b) => b.affectedUnderFault - a.affectedUnderFault)[0];
 * ```
 */
export interface OperationImpact {
  /** The operation (`_other` for operations past the first 1 000). */
  readonly operation: string;
  /** Completed calls over the run. */
  readonly calls: number;
  /** Failed calls over the run. */
  readonly failed: number;
  /** Degraded calls over the run. */
  readonly degraded: number;
  /** Completed calls while the faults were on. */
  readonly callsUnderFault: number;
  /** Failed or degraded calls while the faults were on. */
  readonly affectedUnderFault: number;
}

/**
 * The blast radius of an experiment, as the journal reports it (`journal.blastRadius`).
 *
 * @example
 * ```ts
 * const b = journal.blastRadius;
 * if (b?.usersTracked) console.log(`${b.underFault.affectedUsers} of ${b.underFault.users} players hit`);
 * ```
 */
export interface BlastRadius {
  /** Whether calls carried a user (`load.userKey` given). */
  readonly usersTracked: boolean;
  /** Distinct users counted exactly before the counts become estimates. */
  readonly exactUpTo: number;
  /** Every completed call of the run. */
  readonly overall: ImpactScope;
  /** The calls that completed while the faults were on (ramp and inject). */
  readonly underFault: ImpactScope;
  /** Per operation, in name order; only operations with calls. */
  readonly operations: readonly OperationImpact[];
}

/** Operations tracked by name; the others are counted under `_other`. */
const MAX_OPERATIONS = 1_000;

const blastRadiusSchema = {
  degradedAfter: rules.duration(0),
  degraded: rules.func(),
  exactUpTo: rules.integer(0, 1_000_000),
};

/** Validates the `blastRadius` option, pushing its issues (paths under `blastRadius.`). */
export function validateBlastRadius(input: unknown, issues: ValidationIssue[]): void {
  collectIssues(input, blastRadiusSchema, 'blastRadius.', issues);
}

/** One scope's counters. */
class ScopeMeter {
  calls = 0;
  failed = 0;
  degraded = 0;
  readonly users: DistinctCounter;
  readonly affectedUsers: DistinctCounter;
  readonly affectedOps = new Set<string>();

  constructor(exactUpTo: number) {
    this.users = new DistinctCounter(exactUpTo);
    this.affectedUsers = new DistinctCounter(exactUpTo);
  }

  add(operation: string, failed: boolean, degraded: boolean, user: string | undefined): void {
    this.calls++;
    if (failed) this.failed++;
    else if (degraded) this.degraded++;
    if (user !== undefined) this.users.add(user);
    if (failed || degraded) {
      this.affectedOps.add(operation);
      if (user !== undefined) this.affectedUsers.add(user);
    }
  }

  scope(tracked: boolean): ImpactScope {
    const users = tracked ? this.users.count() : null;
    const affected = tracked ? Math.min(this.affectedUsers.count(), users as number) : null;
    return {
      calls: this.calls,
      affectedCalls: this.failed + this.degraded,
      failedCalls: this.failed,
      degradedCalls: this.degraded,
      users,
      affectedUsers: affected,
      affectedUserShare: users === null || users === 0 ? null : round((affected as number) / users),
      affectedOperations: this.affectedOps.size,
      estimated: tracked && (this.users.estimated || this.affectedUsers.estimated),
    };
  }
}

interface OperationCounts {
  calls: number;
  failed: number;
  degraded: number;
  callsUnderFault: number;
  affectedUnderFault: number;
}

/** Measures the blast radius of one run. */
export class BlastRadiusMeter {
  private readonly exactUpTo: number;
  private readonly overall: ScopeMeter;
  private readonly underFault: ScopeMeter;
  private readonly ops = new Map<string, OperationCounts>();
  private tracked = false;

  /**
   * @param options - the experiment's `blastRadius` (validated).
   * @param report - reports an error thrown by `degraded`.
   */
  constructor(
    private readonly options: BlastRadiusOptions,
    private readonly report: (error: unknown, what: string) => void,
  ) {
    this.exactUpTo = options.exactUpTo ?? DEFAULT_EXACT_UP_TO;
    this.overall = new ScopeMeter(this.exactUpTo);
    this.underFault = new ScopeMeter(this.exactUpTo);
  }

  /** Counts a completed call; `value` is what a successful call resolved with. */
  record(operation: string, ok: boolean, duration: number, value: unknown, user: string | undefined, faultsOn: boolean): void {
    const degraded = ok && this.isDegraded({ operation, value, duration, user });
    if (user !== undefined) this.tracked = true;
    this.overall.add(operation, !ok, degraded, user);
    if (faultsOn) this.underFault.add(operation, !ok, degraded, user);
    let c = this.ops.get(operation);
    if (c === undefined) {
      const key = this.ops.size < MAX_OPERATIONS ? operation : '_other';
      c = this.ops.get(key);
      if (c === undefined) this.ops.set(key, (c = { calls: 0, failed: 0, degraded: 0, callsUnderFault: 0, affectedUnderFault: 0 }));
    }
    c.calls++;
    if (!ok) c.failed++;
    else if (degraded) c.degraded++;
    if (faultsOn) {
      c.callsUnderFault++;
      if (!ok || degraded) c.affectedUnderFault++;
    }
  }

  /** Marks the run as keyed by user (`load.userKey` given), even before any call completed. */
  trackUsers(): void {
    this.tracked = true;
  }

  /** The journal's blast radius (so far). */
  result(): BlastRadius {
    const operations = [...this.ops.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([operation, c]) => ({ operation, ...c }));
    return {
      usersTracked: this.tracked,
      exactUpTo: this.exactUpTo,
      overall: this.overall.scope(this.tracked),
      underFault: this.underFault.scope(this.tracked),
      operations,
    };
  }

  private isDegraded(call: CompletedCall): boolean {
    const o = this.options;
    if (o.degradedAfter !== undefined && call.duration > o.degradedAfter) return true;
    if (o.degraded === undefined) return false;
    try {
      return o.degraded(call) === true;
    } catch (error) {
      this.report(error, 'blastRadius.degraded');
      return false;
    }
  }
}
