/**
 * Invariant monitors for property tests: they watch a policy's events (and its `stats`)
 * while a test drives it, and report every broken rule at the end.
 *
 * - {@link watchCircuitBreaker}: never more than `halfOpen.maxProbes` probes at once in
 *   half-open, no call admitted while open or isolated, only legal state transitions.
 * - {@link watchBulkhead}: never more than `maxConcurrent` running nor `maxQueue` queued.
 * - {@link watchRetry}: never more than `maxAttempts` attempts per call.
 * - {@link watchPipeline}: all of the above for every such policy in a pipeline.
 *
 * @packageDocumentation
 */
import { currentContext, type ExecutionContext } from '../core/context';
import type { ResilienceEvent, Subscription } from '../core/events';
import { Pipeline, type Policy } from '../core/policy';

/** Thrown by {@link InvariantMonitor.check} when a rule was broken. */
export class InvariantViolationError extends Error {
  /** Every violation seen, in order. */
  readonly violations: readonly string[];
  constructor(violations: readonly string[]) {
    const shown = violations.slice(0, 10);
    super(
      `${violations.length} invariant violation(s):\n- ${shown.join('\n- ')}${violations.length > shown.length ? `\n- … and ${violations.length - shown.length} more` : ''}`,
    );
    this.name = 'InvariantViolationError';
    this.violations = violations;
  }
}

/**
 * Watches one policy (or several) while a test runs. Monitors listen to events from the
 * moment they are made; {@link InvariantMonitor.track} wraps the protected function so
 * the monitor also looks at the policy each time a call reaches the function.
 */
export interface InvariantMonitor {
  /** What is watched, e.g. `circuit breaker "payments"`. */
  readonly subject: string;
  /** Violations seen so far (checks that need the whole run are added by `check()`). */
  readonly violations: readonly string[];
  /**
   * Wraps `fn` (the dependency call run by the policy) so every call is observed when it
   * starts and when it settles. Parameters, `this` and the result are passed through.
   *
   * @typeParam F - the type of `fn`; the returned function has the same type.
   */
  track<F extends (...args: never[]) => unknown>(fn: F): F;
  /** Looks at the policy's stats now. */
  sample(): void;
  /** Runs the end-of-run checks and throws an {@link InvariantViolationError} if any rule was broken. */
  check(): void;
  /** Stops listening. */
  dispose(): void;
}

/** @internal Shared plumbing of the monitors. */
abstract class BaseMonitor implements InvariantMonitor {
  readonly violations: string[] = [];
  private readonly subs: Subscription[] = [];
  constructor(readonly subject: string) {}

  protected listen(policy: Policy, listener: (e: ResilienceEvent) => void): void {
    this.subs.push(policy.onEvent(listener as (e: ResilienceEvent) => void));
  }

  protected violate(message: string, time?: number): void {
    this.violations.push(`${this.subject}${time === undefined ? '' : ` at t=${time}`}: ${message}`);
  }

  /** Called when a tracked call starts (with the breakwater context, when there is one). */
  protected abstract onCallStart(ctx: ExecutionContext | undefined): void;
  /** Called when a tracked call settles. */
  protected onCallEnd(_ctx: ExecutionContext | undefined): void {}
  abstract sample(): void;
  /** End-of-run checks. */
  protected finish(): void {}

  track<F extends (...args: never[]) => unknown>(fn: F): F {
    if (typeof fn !== 'function') throw new TypeError(`track() expects a function, got ${typeof fn}`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const monitor = this;
    return function tracked(this: unknown, ...args: never[]): unknown {
      const ctx = currentContext();
      monitor.onCallStart(ctx);
      let result: unknown;
      try {
        result = fn.apply(this, args);
      } catch (error) {
        monitor.onCallEnd(ctx);
        throw error;
      }
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        const end = (): void => monitor.onCallEnd(ctx);
        (result as PromiseLike<unknown>).then(end, end);
      } else {
        monitor.onCallEnd(ctx);
      }
      return result;
    } as unknown as F;
  }

  check(): void {
    this.finish();
    if (this.violations.length > 0) throw new InvariantViolationError([...this.violations]);
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
  }
}

function options(policy: Policy): Readonly<Record<string, unknown>> {
  return policy.describe().options;
}

function numberOption(opts: Readonly<Record<string, unknown>>, path: readonly string[], what: string): number {
  let v: unknown = opts;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  if (typeof v !== 'number') throw new TypeError(`cannot watch ${what}: its describe() has no numeric ${path.join('.')}`);
  return v;
}

// ------------------------------------------------------------------- circuit breaker

interface BreakerLike extends Policy {
  readonly state: string;
  readonly stats: { readonly activeProbes: number; readonly state: string };
}

interface BreakerEvent extends ResilienceEvent {
  readonly from?: string;
  readonly duration?: number;
}

const LEGAL: Readonly<Record<string, readonly string[]>> = {
  // event type → states it may leave
  opened: ['closed', 'half-open'],
  'half-opened': ['open'],
  closed: ['half-open'],
};

class CircuitBreakerMonitor extends BaseMonitor {
  private readonly maxProbes: number;
  private readonly probeTimeout: number;
  private state = 'unknown';
  /** When the current half-open period began; `undefined` outside half-open until the first one. */
  private halfOpenSince: number | undefined = undefined;
  /** Breaker-level intervals of calls admitted in the current half-open period. */
  private probes: { start: number; end: number }[] = [];

  constructor(private readonly breaker: BreakerLike) {
    super(`circuit breaker "${breaker.name}"`);
    const o = options(breaker);
    this.maxProbes = numberOption(o, ['halfOpen', 'maxProbes'], this.subject);
    this.probeTimeout = numberOption(o, ['halfOpen', 'probeTimeout'], this.subject);
    this.state = breaker.stats.state;
    if (this.state === 'half-open') this.halfOpenSince = breaker.clock.now();
    this.listen(breaker, (e) => this.onEvent(e as BreakerEvent));
  }

  private onEvent(e: BreakerEvent): void {
    switch (e.type) {
      case 'opened':
      case 'half-opened':
      case 'closed': {
        const from = e.from ?? (e.type === 'half-opened' ? 'open' : undefined);
        if (from !== undefined && this.state !== 'unknown' && from !== this.state) {
          this.violate(`'${e.type}' event says it came from ${from}, but the breaker was ${this.state}`, e.time);
        }
        const legal = LEGAL[e.type] ?? [];
        const reason = (e as { reason?: string }).reason;
        if (from !== undefined && !legal.includes(from) && reason !== 'isolated' && reason !== 'reset' && reason !== 'fleet') {
          this.violate(`illegal transition ${from} → ${e.type}`, e.time);
        }
        if (this.state === 'half-open') this.closePeriod();
        this.state = e.type === 'opened' ? (reason === 'isolated' ? 'isolated' : 'open') : e.type === 'closed' ? 'closed' : 'half-open';
        if (this.state === 'half-open') {
          this.halfOpenSince = e.time;
          this.probes = [];
        }
        break;
      }
      case 'success':
      case 'failure': {
        const duration = e.duration ?? 0;
        const start = e.time - duration;
        if (this.state === 'half-open' && this.halfOpenSince !== undefined && start >= this.halfOpenSince) {
          this.probes.push({ start, end: Math.min(e.time, start + this.probeTimeout) });
        }
        if (this.state === 'half-open') this.sample();
        break;
      }
      default:
        break;
    }
  }

  /** Max overlap of the probes of the half-open period that just ended. */
  private closePeriod(): void {
    const points: [number, number][] = [];
    for (const p of this.probes) {
      if (p.end <= p.start) continue;
      points.push([p.start, 1], [p.end, -1]);
    }
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // ends before starts at the same time
    let open = 0;
    for (const [t, d] of points) {
      open += d;
      if (open > this.maxProbes) {
        this.violate(`${open} probes ran at once in half-open (maxProbes ${this.maxProbes})`, t);
        break;
      }
    }
    this.probes = [];
  }

  sample(): void {
    const s = this.breaker.stats;
    if (s.activeProbes > this.maxProbes) {
      this.violate(`${s.activeProbes} probes hold a permit (maxProbes ${this.maxProbes})`, this.breaker.clock.now());
    }
  }

  protected onCallStart(): void {
    // (A call admitted while closed may start later, e.g. after a bulkhead queue inside the
    // breaker, when the breaker has opened meanwhile: the state at start proves nothing.)
    if (this.breaker.state === 'half-open') this.sample();
  }

  protected override finish(): void {
    if (this.state === 'half-open') {
      const keep = this.probes;
      this.closePeriod();
      this.probes = keep;
    }
  }
}

/**
 * Watches a circuit breaker: in half-open never more than `halfOpen.maxProbes` probes at
 * once (from the intervals of its `success`/`failure` events, and from
 * `stats.activeProbes` on every event and tracked call), and only legal transitions
 * (closed → open → half-open → closed | open; `isolate()` / `reset()` from anywhere), each
 * event's `from` matching the state the previous events left.
 *
 * @example
 * ```ts
 * const watch = watchCircuitBreaker(breaker);
 * const call = watch.track(gateway);          // optional: also look at every call
 * // … run the scenario on a VirtualClock …
 * watch.check();                              // throws InvariantViolationError if broken
 * ```
 */
export function watchCircuitBreaker(breaker: Policy): InvariantMonitor {
  if (breaker.kind !== 'circuit-breaker') throw new TypeError(`watchCircuitBreaker() expects a circuit breaker, got a ${breaker.kind}`);
  return new CircuitBreakerMonitor(breaker as BreakerLike);
}

// ------------------------------------------------------------------- bulkhead

interface BulkheadLike extends Policy {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly stats: { readonly active: number; readonly queued: number; readonly partitions?: number };
  statsOf?(key: string): { readonly active: number; readonly queued: number } | undefined;
}

interface BulkheadEventLike extends ResilienceEvent {
  readonly partition?: string | undefined;
  readonly active?: number;
  readonly queued?: number;
}

/** Options of {@link watchBulkhead}. */
export interface WatchBulkheadOptions {
  /**
   * For a partitioned bulkhead and tracked calls: the partition of a call (the same
   * function as the bulkhead's `key`), so running tracked calls are counted per
   * partition. @defaultValue every tracked call counts against one limit
   */
  readonly key?: ((ctx: ExecutionContext) => string) | undefined;
}

class BulkheadMonitor extends BaseMonitor {
  private readonly running = new Map<string, number>();
  private readonly partitioned: boolean;

  constructor(
    private readonly bulkhead: BulkheadLike,
    private readonly key: ((ctx: ExecutionContext) => string) | undefined,
  ) {
    super(`bulkhead "${bulkhead.name}"`);
    this.partitioned = 'key' in options(bulkhead);
    this.listen(bulkhead, (e) => this.onEvent(e as BulkheadEventLike));
  }

  private onEvent(e: BulkheadEventLike): void {
    if (e.active !== undefined && e.active > this.bulkhead.maxConcurrent) {
      this.violate(`'${e.type}' event reports ${e.active} running (maxConcurrent ${this.bulkhead.maxConcurrent})`, e.time);
    }
    if (e.queued !== undefined && e.queued > this.bulkhead.maxQueue) {
      this.violate(`'${e.type}' event reports ${e.queued} queued (maxQueue ${this.bulkhead.maxQueue})`, e.time);
    }
    this.sample();
  }

  sample(): void {
    const s = this.bulkhead.stats;
    const parts = this.partitioned ? (s.partitions ?? 1) : 1;
    const now = this.bulkhead.clock.now();
    if (s.active > this.bulkhead.maxConcurrent * parts) this.violate(`${s.active} running over ${parts} partition(s) (maxConcurrent ${this.bulkhead.maxConcurrent})`, now);
    if (s.queued > this.bulkhead.maxQueue * parts) this.violate(`${s.queued} queued over ${parts} partition(s) (maxQueue ${this.bulkhead.maxQueue})`, now);
  }

  private keyOf(ctx: ExecutionContext | undefined): string {
    return this.key !== undefined && ctx !== undefined ? this.key(ctx) : '';
  }

  protected onCallStart(ctx: ExecutionContext | undefined): void {
    const k = this.keyOf(ctx);
    const n = (this.running.get(k) ?? 0) + 1;
    this.running.set(k, n);
    if (n > this.bulkhead.maxConcurrent) {
      this.violate(`${n} tracked calls ran at once${k === '' ? '' : ` in partition "${k}"`} (maxConcurrent ${this.bulkhead.maxConcurrent})`, this.bulkhead.clock.now());
    }
    this.sample();
  }

  protected override onCallEnd(ctx: ExecutionContext | undefined): void {
    const k = this.keyOf(ctx);
    this.running.set(k, (this.running.get(k) ?? 1) - 1);
  }
}

/**
 * Watches a bulkhead (plain or partitioned): never more than `maxConcurrent` running
 * nor `maxQueue` queued (per partition), checked on every event, on `stats`, and — for
 * tracked calls — by counting the calls that actually run at once. Counting tracked calls
 * assumes every call of the tracked function goes through this bulkhead and that the
 * function settles when its signal aborts.
 *
 * @example
 * ```ts
 * const watch = watchBulkhead(pool);
 * const load = watch.track(db.query);
 * // … run concurrent calls on a VirtualClock …
 * watch.check();
 * ```
 */
export function watchBulkhead(bulkhead: Policy, options?: WatchBulkheadOptions): InvariantMonitor {
  if (bulkhead.kind !== 'bulkhead') throw new TypeError(`watchBulkhead() expects a bulkhead, got a ${bulkhead.kind}`);
  return new BulkheadMonitor(bulkhead as BulkheadLike, options?.key);
}

// ------------------------------------------------------------------- retry

interface RetryEventLike extends ResilienceEvent {
  readonly attempt?: number;
  readonly attempts?: number;
}

class RetryMonitor extends BaseMonitor {
  private readonly maxAttempts: number;
  private readonly perCall = new WeakMap<ExecutionContext, number>();

  constructor(retry: Policy) {
    super(`retry "${retry.name}"`);
    this.maxAttempts = numberOption(options(retry), ['maxAttempts'], this.subject);
    this.listen(retry, (e) => this.onEvent(e as RetryEventLike));
  }

  private onEvent(e: RetryEventLike): void {
    const max = this.maxAttempts;
    if (e.type === 'retry' && e.attempt !== undefined && e.attempt + 1 > max) {
      this.violate(`scheduled attempt ${e.attempt + 1} (maxAttempts ${max})`, e.time);
    }
    if ((e.type === 'give-up' || e.type === 'executed') && e.attempts !== undefined && e.attempts > max) {
      this.violate(`'${e.type}' event reports ${e.attempts} attempts (maxAttempts ${max})`, e.time);
    }
  }

  sample(): void {}

  protected onCallStart(ctx: ExecutionContext | undefined): void {
    if (ctx === undefined) return;
    // Each attempt has its own context view; they share the call's first view.
    const call = ctx.call;
    const n = (this.perCall.get(call) ?? 0) + 1;
    this.perCall.set(call, n);
    if (n > this.maxAttempts) this.violate(`one call ran the function ${n} times (maxAttempts ${this.maxAttempts})`, ctx.clock.now());
    if (ctx.attempt > this.maxAttempts) this.violate(`attempt number ${ctx.attempt} (maxAttempts ${this.maxAttempts})`, ctx.clock.now());
  }
}

/**
 * Watches a retry policy: never more than `maxAttempts` attempts per call, from its
 * `retry` / `give-up` events and — for tracked functions — by counting how many times
 * each call (each execution context) actually ran the function.
 *
 * @example
 * ```ts
 * const watch = watchRetry(policy);
 * await policy.execute(watch.track(() => flaky())).catch(() => {});
 * watch.check();
 * ```
 */
export function watchRetry(retry: Policy): InvariantMonitor {
  if (retry.kind !== 'retry') throw new TypeError(`watchRetry() expects a retry policy, got a ${retry.kind}`);
  return new RetryMonitor(retry);
}

// ------------------------------------------------------------------- pipeline

class CompositeMonitor implements InvariantMonitor {
  constructor(
    readonly subject: string,
    private readonly monitors: readonly InvariantMonitor[],
  ) {}
  get violations(): readonly string[] {
    return this.monitors.flatMap((m) => m.violations);
  }
  track<F extends (...args: never[]) => unknown>(fn: F): F {
    return this.monitors.reduce((f, m) => m.track(f), fn);
  }
  sample(): void {
    for (const m of this.monitors) m.sample();
  }
  check(): void {
    const all: string[] = [];
    for (const m of this.monitors) {
      try {
        m.check();
      } catch (error) {
        if (error instanceof InvariantViolationError) all.push(...error.violations);
        else throw error;
      }
    }
    if (all.length > 0) throw new InvariantViolationError(all);
  }
  dispose(): void {
    for (const m of this.monitors) m.dispose();
  }
}

function collect(policy: Policy, out: Policy[]): void {
  if (policy instanceof Pipeline) for (const p of policy.policies) collect(p, out);
  else out.push(policy);
}

/**
 * Watches every circuit breaker, bulkhead and retry policy of `policy` (a pipeline,
 * nested pipelines included, or a single policy) with the monitors above. `track` wraps
 * a function for all of them at once.
 *
 * @example
 * ```ts
 * const watch = watchPipeline(payments);
 * const charge = watch.track(gateway.charge);
 * // … run a random scenario …
 * watch.check();
 * watch.dispose();
 * ```
 */
export function watchPipeline(policy: Policy, options?: WatchBulkheadOptions): InvariantMonitor {
  const all: Policy[] = [];
  collect(policy, all);
  const monitors: InvariantMonitor[] = [];
  for (const p of all) {
    if (p.kind === 'circuit-breaker') monitors.push(watchCircuitBreaker(p));
    else if (p.kind === 'bulkhead') monitors.push(watchBulkhead(p, options));
    else if (p.kind === 'retry') monitors.push(watchRetry(p));
  }
  return new CompositeMonitor(`pipeline "${policy.name}"`, monitors);
}
