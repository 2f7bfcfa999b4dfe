/**
 * The circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED, plus ISOLATED (held open by
 * hand). Every transition is computed lazily from the clock when a call, `state`,
 * `stats`, `snapshot()`, `isolate()` or `reset()` looks at the breaker: it owns no timers.
 *
 * @packageDocumentation
 */
import { compileClassifier, Verdict, type Classifier } from '../core/classify';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { BrokenCircuitError, type RejectingCircuitState } from '../core/errors';
import type { EventPayload } from '../core/events';
import { StrategyPolicy, type Done, type Link, type Outcome } from '../core/policy';
import { reportInternalError } from '../core/timer-service';
import { validateOptions } from '../core/validation';
import type { CircuitBreakerEvent, CircuitCloseReason, CircuitOpenReason, CircuitState } from './events';
import {
  checkCircuitBreakerOptions,
  circuitBreakerDefaults as D,
  circuitBreakerSchema,
  type CircuitBreakerOptions,
  type RecoveryTimeout,
} from './options';
import type { CircuitBreakerSnapshot, CircuitWindowSnapshot } from './snapshot';
import { CountWindow, TimeWindow } from './window';

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const ISOLATED = 3;
type StateCode = 0 | 1 | 2 | 3;
const STATE_NAMES: readonly CircuitState[] = ['closed', 'open', 'half-open', 'isolated'];
const CODES: Readonly<Record<CircuitState, StateCode>> = { closed: CLOSED, open: OPEN, 'half-open': HALF_OPEN, isolated: ISOLATED };

/** What `stats` reports. */
export interface CircuitBreakerStats {
  /** The current state (after lazy transitions). */
  readonly state: CircuitState;
  /** The trip rule: `consecutive` failures, or a `count` or `time` window. */
  readonly rule: 'consecutive' | 'count' | 'time';
  /** Consecutive failures counted in closed state (consecutive rule; 0 with a window). */
  readonly consecutiveFailures: number;
  /** Calls in the window (0 for the consecutive rule). */
  readonly calls: number;
  /** Failed calls in the window. */
  readonly failures: number;
  /** Slow calls in the window (failed or not). */
  readonly slowCalls: number;
  /** `failures / calls`, 0 when the window is empty. */
  readonly failureRate: number;
  /** `slowCalls / calls`, 0 when the window is empty. */
  readonly slowCallRate: number;
  /** Opens since the breaker last closed. */
  readonly consecutiveOpens: number;
  /** Probes holding a permit right now (half-open only). */
  readonly activeProbes: number;
  /** Probes that succeeded in the current half-open period. */
  readonly probeSuccesses: number;
}

/**
 * A circuit breaker. Create it with {@link circuitBreaker}.
 *
 * Calls run while it is closed and are counted; when the trip rule fires it opens and
 * rejects every call with a `BrokenCircuitError` until `recoveryTimeout` has passed; then
 * it is half-open: up to `halfOpen.maxProbes` trial calls run at once, and after
 * `halfOpen.successThreshold` successes it closes again, while one failed trial reopens it.
 *
 * Results of calls that started in an earlier period (a closed-state call that finishes
 * after the breaker opened, a probe that finishes after the breaker left half-open, a
 * probe that finished after `probeTimeout`) still produce `success` / `failure` events
 * but never change the state.
 *
 * @example
 * ```ts
 * const breaker = circuitBreaker({ name: 'payments', failureThreshold: 5, recoveryTimeout: 30_000 });
 * try {
 *   await breaker.execute(() => gateway.charge(order));
 * } catch (e) {
 *   if (isBrokenCircuitError(e)) return queueForLater(order, e.retryAfter);
 *   throw e;
 * }
 * ```
 */
export class CircuitBreakerPolicy extends StrategyPolicy<CircuitBreakerEvent> {
  private st: StateCode = CLOSED;
  /** Bumped on every transition: results of calls admitted in an older period are ignored. */
  private epoch = 0;
  private openedAt = 0;
  private openUntil = 0;
  private recovery = 0;
  private opens = 0;
  private consecutiveFailures = 0;
  private probeSuccesses = 0;
  private nextProbeId = 1;
  private readonly probeIds: Float64Array;
  private readonly probeStarts: Float64Array;

  private readonly classifier: Classifier;
  private readonly failureThreshold: number;
  private readonly window: CountWindow | TimeWindow | undefined;
  private readonly timeWindow: TimeWindow | undefined;
  private readonly minimumThroughput: number;
  private readonly failureRateThreshold: number;
  private readonly slowCallDuration: number;
  private readonly slowCallRateThreshold: number;
  private readonly recoveryTimeout: RecoveryTimeout;
  private readonly maxProbes: number;
  private readonly successThreshold: number;
  private readonly probeTimeout: number;
  /** Closed-state calls need their start time (a slow-call rule). */
  private readonly timeCalls: boolean;
  /** Probes need their end time (a probe timeout or a slow-call rule). */
  private readonly timeProbes: boolean;
  private readonly options: CircuitBreakerOptions<never>;

  /** @internal Use {@link circuitBreaker}. */
  constructor(options?: CircuitBreakerOptions<never>) {
    const o = validateOptions<CircuitBreakerOptions<never>>('circuitBreaker', options, circuitBreakerSchema, checkCircuitBreakerOptions);
    super({ kind: 'circuit-breaker', name: o.name ?? D.name, clock: o.clock ?? systemClock });
    this.options = o;
    this.classifier = compileClassifier(o);
    this.failureThreshold = o.failureThreshold ?? D.failureThreshold;
    const w = o.window;
    if (w === undefined) {
      this.window = this.timeWindow = undefined;
      this.minimumThroughput = 0;
    } else if (w.kind === 'count') {
      this.window = new CountWindow(w.size);
      this.timeWindow = undefined;
      this.minimumThroughput = o.minimumThroughput ?? Math.min(D.minimumThroughput, w.size);
    } else {
      this.window = this.timeWindow = new TimeWindow(w.duration, w.buckets ?? D.buckets);
      this.minimumThroughput = o.minimumThroughput ?? D.minimumThroughput;
    }
    this.failureRateThreshold = o.failureRateThreshold ?? D.failureRateThreshold;
    this.slowCallDuration = o.slowCallDuration ?? Number.POSITIVE_INFINITY;
    this.slowCallRateThreshold = o.slowCallDuration === undefined ? Number.POSITIVE_INFINITY : (o.slowCallRateThreshold ?? D.slowCallRateThreshold);
    this.recoveryTimeout = o.recoveryTimeout ?? D.recoveryTimeout;
    this.maxProbes = o.halfOpen?.maxProbes ?? D.maxProbes;
    this.successThreshold = o.halfOpen?.successThreshold ?? D.successThreshold;
    this.probeTimeout = o.halfOpen?.probeTimeout ?? D.probeTimeout;
    this.probeIds = new Float64Array(this.maxProbes);
    this.probeStarts = new Float64Array(this.maxProbes);
    this.timeCalls = o.slowCallDuration !== undefined;
    this.timeProbes = this.timeCalls || this.probeTimeout !== Number.POSITIVE_INFINITY;
    if (o.restore !== undefined) this.restoreFrom(o.restore);
  }

  // ---------------------------------------------------------------- public surface

  /** The current state. Reading it applies a due OPEN → HALF_OPEN transition (and emits it). */
  get state(): CircuitState {
    this.refresh();
    return STATE_NAMES[this.st] as CircuitState;
  }

  /** Counts of the current window and state (see {@link CircuitBreakerStats}). */
  get stats(): CircuitBreakerStats {
    this.refresh();
    const w = this.window;
    if (w !== undefined && w === this.timeWindow) w.expire(this.clock.now());
    const calls = w?.calls ?? 0;
    const failures = w?.failures ?? 0;
    const slow = w?.slow ?? 0;
    return {
      state: STATE_NAMES[this.st] as CircuitState,
      rule: w === undefined ? 'consecutive' : w === this.timeWindow ? 'time' : 'count',
      consecutiveFailures: this.consecutiveFailures,
      calls,
      failures,
      slowCalls: slow,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slow / calls,
      consecutiveOpens: this.opens,
      activeProbes: this.st === HALF_OPEN ? this.activeProbes(this.clock.now()) : 0,
      probeSuccesses: this.probeSuccesses,
    };
  }

  /**
   * Holds the breaker open until {@link CircuitBreakerPolicy.reset}: every call is
   * rejected with `retryAfter: Infinity`. Emits `opened` with reason `isolated` (unless
   * already isolated).
   *
   * @example
   * ```ts
   * adminApi.post('/breakers/payments/isolate', () => breaker.isolate());
   * ```
   */
  isolate(): void {
    this.refresh();
    if (this.st === ISOLATED) return;
    const from = this.st;
    this.enter(ISOLATED);
    this.emitTransition(undefined, undefined, { type: 'opened', reason: 'isolated', from: STATE_NAMES[from] as CircuitState, retryAfter: Number.POSITIVE_INFINITY });
  }

  /**
   * Closes the breaker from any state, clearing its counts and its open count. Emits
   * `closed` with reason `reset` unless it was already closed. Calls in flight when it is
   * reset no longer count.
   */
  reset(): void {
    this.refresh();
    this.close('reset', undefined, undefined);
  }

  /**
   * A JSON-safe picture of the breaker, with durations relative to the clock. Pass it as
   * the `restore` option of a new breaker to carry the state across a restart. Probes in
   * flight are not part of it.
   */
  snapshot(): CircuitBreakerSnapshot {
    this.refresh();
    const now = this.clock.now();
    const st = this.st;
    let window: CircuitWindowSnapshot | null = null;
    const w = this.window;
    if (w instanceof CountWindow) window = { kind: 'count', size: w.size, outcomes: w.outcomes() };
    else if (w !== undefined) window = { kind: 'time', duration: w.duration, buckets: w.buckets, counts: w.bucketsAt(now) };
    return {
      version: 1,
      state: STATE_NAMES[st] as CircuitState,
      openedFor: st === OPEN ? Math.max(0, now - this.openedAt) : 0,
      recoveryTimeout: st === OPEN ? this.recovery : 0,
      consecutiveOpens: this.opens,
      consecutiveFailures: this.consecutiveFailures,
      probeSuccesses: st === HALF_OPEN ? this.probeSuccesses : 0,
      window,
    };
  }

  // ---------------------------------------------------------------- the strategy

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (this.st === CLOSED) {
      const start = this.timeCalls || link.listening ? this.clock.now() : Number.NaN;
      const epoch = this.epoch;
      link.next(ctx, (o) => this.settleClosed(ctx, link, done, o, epoch, start));
      return;
    }
    this.admitOutsideClosed(ctx, link, done);
  }

  private admitOutsideClosed(ctx: ExecutionContext, link: Link, done: Done): void {
    const now = this.clock.now();
    const st = this.st;
    if (st === OPEN) {
      if (now < this.openUntil) {
        this.reject(ctx, link, done, 'open', this.openUntil - now);
        return;
      }
      this.toHalfOpen(link, ctx);
    } else if (st === ISOLATED) {
      this.reject(ctx, link, done, 'isolated', Number.POSITIVE_INFINITY);
      return;
    }
    const slot = this.freeSlot(now);
    if (slot < 0) {
      this.reject(ctx, link, done, 'half-open', 0);
      return;
    }
    const id = this.nextProbeId++;
    this.probeIds[slot] = id;
    this.probeStarts[slot] = now;
    link.next(ctx, (o) => this.settleProbe(ctx, link, done, o, slot, id, now));
  }

  private reject(ctx: ExecutionContext, link: Link, done: Done, state: RejectingCircuitState, retryAfter: number): void {
    const error = BrokenCircuitError.create(this.name, state, retryAfter);
    if (link.listening) link.emit<CircuitBreakerEvent>(ctx, { type: 'rejected', state, retryAfter });
    done({ ok: false, error });
  }

  private settleClosed(ctx: ExecutionContext, link: Link, done: Done, o: Outcome, epoch: number, start: number): void {
    const verdict = this.classifier.classify(o, ctx);
    if (verdict === Verdict.Ignored) {
      done(o);
      return;
    }
    const failed = verdict === Verdict.Failure;
    let end = Number.NaN;
    let slow = false;
    if (start === start) {
      end = this.clock.now();
      slow = end - start >= this.slowCallDuration;
      if (link.listening) this.emitOutcome(ctx, link, o, failed, end - start, slow);
    }
    if (epoch === this.epoch) this.recordClosed(ctx, link, failed, slow, end);
    done(o);
  }

  private recordClosed(ctx: ExecutionContext, link: Link, failed: boolean, slow: boolean, end: number): void {
    const w = this.window;
    if (w === undefined) {
      if (!failed) this.consecutiveFailures = 0;
      else if (++this.consecutiveFailures >= this.failureThreshold) this.open('failures', link, ctx);
      return;
    }
    if (w === this.timeWindow && end !== end) end = this.clock.now();
    w.record(failed, slow, end);
    const calls = w.calls;
    if (calls < this.minimumThroughput) return;
    if (w.failures / calls >= this.failureRateThreshold) this.open('failure-rate', link, ctx);
    else if (w.slow / calls >= this.slowCallRateThreshold) this.open('slow-call-rate', link, ctx);
  }

  private settleProbe(ctx: ExecutionContext, link: Link, done: Done, o: Outcome, slot: number, id: number, start: number): void {
    const verdict = this.classifier.classify(o, ctx);
    const ids = this.probeIds;
    let current = ids[slot] === id;
    if (current) ids[slot] = 0;
    let duration = 0;
    if (this.timeProbes || link.listening) {
      duration = this.clock.now() - start;
      if (duration >= this.probeTimeout) current = false; // late: its permit had expired
    }
    if (verdict === Verdict.Ignored) {
      done(o);
      return;
    }
    const failed = verdict === Verdict.Failure;
    const slow = duration >= this.slowCallDuration;
    if (link.listening) this.emitOutcome(ctx, link, o, failed, duration, slow);
    if (current) {
      if (failed || slow) this.open('probe-failed', link, ctx);
      else if (++this.probeSuccesses >= this.successThreshold) this.close('probes-succeeded', link, ctx);
    }
    done(o);
  }

  // ---------------------------------------------------------------- transitions

  /** Applies a due OPEN → HALF_OPEN transition (outside a call). */
  private refresh(): void {
    if (this.st === OPEN && this.clock.now() >= this.openUntil) this.toHalfOpen(undefined, undefined);
  }

  private enter(st: StateCode): void {
    this.st = st;
    this.epoch++;
    this.probeIds.fill(0);
    this.probeSuccesses = 0;
    this.consecutiveFailures = 0;
  }

  private toHalfOpen(link: Link | undefined, ctx: ExecutionContext | undefined): void {
    this.enter(HALF_OPEN);
    this.emitTransition(link, ctx, { type: 'half-opened' });
  }

  private open(reason: CircuitOpenReason, link: Link | undefined, ctx: ExecutionContext | undefined): void {
    const from = this.st;
    const recovery = this.recoveryFor(++this.opens);
    const now = this.clock.now();
    this.enter(OPEN);
    this.openedAt = now;
    this.recovery = recovery;
    this.openUntil = now + recovery;
    this.emitTransition(link, ctx, { type: 'opened', reason, from: STATE_NAMES[from] as CircuitState, retryAfter: recovery });
  }

  private close(reason: CircuitCloseReason, link: Link | undefined, ctx: ExecutionContext | undefined): void {
    const from = this.st;
    this.enter(CLOSED);
    this.opens = 0;
    this.window?.clear();
    if (from !== CLOSED) this.emitTransition(link, ctx, { type: 'closed', reason, from: STATE_NAMES[from] as CircuitState });
  }

  private recoveryFor(opens: number): number {
    const r = this.recoveryTimeout;
    if (typeof r === 'number') return r;
    let v: unknown;
    try {
      v = r(opens);
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.name}" recoveryTimeout`);
    }
    return typeof v === 'number' && v >= 0 && Number.isFinite(v) ? v : D.recoveryTimeout;
  }

  private emitTransition(link: Link | undefined, ctx: ExecutionContext | undefined, payload: EventPayload<CircuitBreakerEvent>): void {
    if (link === undefined || ctx === undefined) this.emitDetached(payload);
    else if (link.listening) link.emit<CircuitBreakerEvent>(ctx, payload);
  }

  private emitOutcome(ctx: ExecutionContext, link: Link, o: Outcome, failed: boolean, duration: number, slow: boolean): void {
    if (!failed) link.emit<CircuitBreakerEvent>(ctx, { type: 'success', duration, slow });
    else if (o.ok) link.emit<CircuitBreakerEvent>(ctx, { type: 'failure', duration, slow, error: undefined, result: o.value });
    else link.emit<CircuitBreakerEvent>(ctx, { type: 'failure', duration, slow, error: o.error });
  }

  // ---------------------------------------------------------------- probes

  /** Index of a free probe permit at `now` (an expired one counts as free), or -1. */
  private freeSlot(now: number): number {
    const ids = this.probeIds;
    const starts = this.probeStarts;
    const timeout = this.probeTimeout;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === 0 || now - (starts[i] as number) >= timeout) return i;
    }
    return -1;
  }

  private activeProbes(now: number): number {
    let n = 0;
    for (let i = 0; i < this.probeIds.length; i++) {
      if (this.probeIds[i] !== 0 && now - (this.probeStarts[i] as number) < this.probeTimeout) n++;
    }
    return n;
  }

  // ---------------------------------------------------------------- snapshots

  private restoreFrom(s: CircuitBreakerSnapshot): void {
    const now = this.clock.now();
    this.st = CODES[s.state];
    this.opens = s.consecutiveOpens;
    if (this.st === OPEN) {
      this.recovery = s.recoveryTimeout;
      this.openedAt = now - s.openedFor;
      this.openUntil = this.openedAt + s.recoveryTimeout;
    }
    if (this.st === HALF_OPEN) this.probeSuccesses = s.probeSuccesses;
    if (this.window === undefined && this.st === CLOSED) this.consecutiveFailures = s.consecutiveFailures;
    const w = this.window;
    const sw = s.window;
    if (w === undefined || sw === null) return;
    if (w instanceof CountWindow) {
      if (sw.kind === 'count' && sw.size === w.size) w.load(sw.outcomes);
    } else if (sw.kind === 'time' && sw.duration === w.duration && sw.buckets === w.buckets) {
      w.load(sw.counts, now);
    }
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    const w = this.options.window;
    return {
      ...(w === undefined ? { failureThreshold: this.failureThreshold } : {
        window: w.kind === 'count' ? { kind: 'count', size: w.size } : { kind: 'time', duration: w.duration, buckets: w.buckets ?? D.buckets },
        minimumThroughput: this.minimumThroughput,
        failureRateThreshold: this.failureRateThreshold,
        ...(this.timeCalls ? { slowCallDuration: this.slowCallDuration, slowCallRateThreshold: this.slowCallRateThreshold } : {}),
      }),
      recoveryTimeout: typeof this.recoveryTimeout === 'number' ? this.recoveryTimeout : `function ${this.recoveryTimeout.name || '(anonymous)'}`,
      halfOpen: { maxProbes: this.maxProbes, successThreshold: this.successThreshold, probeTimeout: this.probeTimeout },
    };
  }
}

/**
 * Creates a circuit breaker. See {@link CircuitBreakerOptions} for the trip rules and
 * their defaults.
 *
 * @example
 * ```ts
 * const breaker = circuitBreaker({
 *   name: 'payment-gateway',
 *   failureThreshold: 5,
 *   recoveryTimeout: 30_000,
 *   handleResult: (res: Response) => res.status >= 500,
 * });
 * breaker.on('opened', (e) => log.warn(`payments breaker opened: ${e.reason}`));
 * const res = await breaker.execute((ctx) => fetch(url, { signal: ctx.signal }));
 * ```
 */
export function circuitBreaker<T = unknown>(options?: CircuitBreakerOptions<T>): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(options as CircuitBreakerOptions<never> | undefined);
}
