/**
 * The circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED, plus ISOLATED (held open by
 * hand). Transitions are computed from the clock. Reading the breaker (`state`, `stats`,
 * `snapshot()`) reports the state at that instant and changes nothing: the due
 * OPEN → HALF_OPEN transition is applied by the next call, `isolate()`, `reset()`, or the
 * recovery timer. That timer is the breaker's only one: it runs only while the breaker is
 * open and someone can hear `half-opened` (a breaker listener of `half-opened`, an
 * `onEvent` listener, or a listener of the pipeline whose call opened it), and it is
 * unref'd, so it never keeps a process alive.
 *
 * @packageDocumentation
 */
import { compileClassifier, Verdict, type Classifier } from '../core/classify';
import { systemClock, unrefTimer } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { BrokenCircuitError, type RejectingCircuitState } from '../core/errors';
import type { EventPayload, ExecutedEvent, Listener, Subscription } from '../core/events';
import { StrategyPolicy, type Done, type EventOfType, type Link, type Outcome } from '../core/policy';
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
/** Longest delay a platform timer takes (Node fires longer ones after 1 ms). */
const MAX_TIMER_DELAY = 2_147_483_647;


/** What `stats` reports. */
export interface CircuitBreakerStats {
  /** The state at the instant of reading (a due half-open counts; see {@link CircuitBreakerPolicy.state}). */
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
 * Reading `state`, `stats` or `snapshot()` has no side effect: it reports the state at
 * that instant (an open breaker whose `recoveryTimeout` has elapsed reads `half-open`)
 * without applying the transition, so a health check or a metrics scrape never changes
 * what the breaker does next nor when its events are emitted. While the breaker is open
 * and someone listens to `half-opened` (see {@link CircuitBreakerPolicy.on}), an unref'd
 * timer emits it when the recovery timeout elapses.
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
  /** The recovery timer: armed only while open and someone can hear `half-opened`. */
  private recoveryTimer: unknown = undefined;
  private timerArmed = false;
  /** Own listeners that hear `half-opened` (`on('half-opened')` and `onEvent`). */
  private hearers = 0;
  /** Set while open by a call that ran through a pipeline: whose listeners hear the timer. */
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
    super({ kind: 'circuit-breaker', name: o.name ?? D.name, clock: o.clock ?? systemClock, keepsTime: true });
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

  /**
   * The state at this instant: `half-open` as soon as the time since opening is
   * ≥ `recoveryTimeout`, even before a call notices it. Reading it has no side effect (it
   * neither applies the transition nor emits an event), so reading or not reading never
   * changes what the breaker does next.
   *
   * @example
   * ```ts
   * app.get('/health', () => ({ payments: breaker.state })); // 'closed' | 'open' | 'half-open' | 'isolated'
   * ```
   */
  get state(): CircuitState {
    return STATE_NAMES[this.current()] as CircuitState;
  }

  /** Counts of the current window and the state at this instant (see {@link CircuitBreakerStats}); no side effect. */
  get stats(): CircuitBreakerStats {
    const st = this.current();
    const w = this.window;
    if (w !== undefined && w === this.timeWindow) w.expire(this.clock.now());
    const calls = w?.calls ?? 0;
    const failures = w?.failures ?? 0;
    const slow = w?.slow ?? 0;
    return {
      state: STATE_NAMES[st] as CircuitState,
      rule: w === undefined ? 'consecutive' : w === this.timeWindow ? 'time' : 'count',
      consecutiveFailures: this.consecutiveFailures,
      calls,
      failures,
      slowCalls: slow,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slow / calls,
      consecutiveOpens: this.opens,
      activeProbes: st === HALF_OPEN ? this.activeProbes(this.clock.now()) : 0,
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
   * flight are not part of it. Taking it has no side effect (an open breaker whose
   * recovery timeout has elapsed is saved as `half-open`).
   */
  snapshot(): CircuitBreakerSnapshot {
    const now = this.clock.now();
    const st = this.current(now);
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

  /** @internal Keeps a breaker assignable to `Policy` (whose `on` accepts any event type); accepts nothing. */
  override on(type: never, listener: Listener<never>): Subscription;
  /**
   * Listens to one event type (see {@link Policy.on}). While someone listens to
   * `half-opened` (here, with `onEvent`, or on the pipeline whose call opened the breaker),
   * an open breaker keeps one unref'd timer that emits `half-opened` when the recovery
   * timeout elapses, so a listener hears it on time even when no call comes. The timer is
   * cleared when the breaker leaves open or the last such breaker listener is disposed.
   * A listener added after the recovery timeout elapsed does not hear that past
   * transition (it is applied, for the earlier listeners, before the new one is added).
   *
   * @example
   * ```ts
   * const sub = breaker.on('half-opened', () => void drainPendingPurchases());
   * sub.dispose(); // no listener left: no timer
   * ```
   */
  override on<K extends (CircuitBreakerEvent | ExecutedEvent)['type']>(
    type: K,
    listener: Listener<EventOfType<CircuitBreakerEvent | ExecutedEvent, K>>,
  ): Subscription;
  override on(type: (CircuitBreakerEvent | ExecutedEvent)['type'], listener: Listener<never>): Subscription {
    const l = listener as Listener<unknown>;
    if (type !== 'half-opened') return super.on(type, l);
    return this.hear(() => super.on(type, l));
  }

  /** Listens to every event (see {@link Policy.onEvent}); hears `half-opened` on time, like {@link CircuitBreakerPolicy.on}. */
  override onEvent(listener: Listener<CircuitBreakerEvent | ExecutedEvent>): Subscription {
    return this.hear(() => super.onEvent(listener));
  }

  /** @internal A pipeline containing the breaker gained or lost listeners: arm or clear the recovery timer. */
  override enclosingListenersChanged(): void {
    this.refresh();
    this.syncTimer();
  }

  private hear(subscribe: () => Subscription): Subscription {
    // A due transition happened before this listener came: apply it for the earlier
    // listeners now, so the new one never hears a `half-opened` older than what it can read.
    this.refresh();
    const sub = subscribe();
    this.hearers++;
    this.syncTimer();
    let active = true;
    return {
      dispose: () => {
        if (!active) return;
        active = false;
        sub.dispose();
        this.hearers--;
        this.syncTimer();
      },
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

  /** The state at `now` without applying anything: a due OPEN → HALF_OPEN counts as done. */
  private current(now?: number): StateCode {
    const st = this.st;
    return st === OPEN && (now ?? this.clock.now()) >= this.openUntil ? HALF_OPEN : st;
  }

  /** Applies a due OPEN → HALF_OPEN transition outside a call (isolate, reset, a new listener). */
  private refresh(): void {
    if (this.st === OPEN && this.clock.now() >= this.openUntil) this.halfOpenOutsideCall();
  }

  private enter(st: StateCode): void {
    this.st = st;
    this.epoch++;
    this.probeIds.fill(0);
    this.probeSuccesses = 0;
    this.consecutiveFailures = 0;
    if (this.timerArmed) this.clearTimer();
  }

  private toHalfOpen(link: Link, ctx: ExecutionContext): void {
    this.enter(HALF_OPEN);
    if (link.listening) link.emit<CircuitBreakerEvent>(ctx, { type: 'half-opened' });
  }

  /**
   * OPEN → HALF_OPEN noticed outside a call (the recovery timer): it belongs to no call, so
   * it reaches the breaker's listeners and those of every pipeline containing it once.
   */
  private halfOpenOutsideCall(): void {
    this.enter(HALF_OPEN);
    this.emitDetached({ type: 'half-opened' });
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
    // After the event: a listener of `opened` may already have moved the breaker on.
    if (this.st === OPEN) this.syncTimer();
  }

  // ---------------------------------------------------------------- the recovery timer

  /** Arms or clears the recovery timer: wanted while open and someone can hear `half-opened`. */
  private syncTimer(): void {
    const wanted = this.st === OPEN && this.someoneHears();
    if (wanted && !this.timerArmed) this.armTimer();
    else if (!wanted && this.timerArmed) this.clearTimer();
  }

  private someoneHears(): boolean {
    return this.hearers > 0 || this.pipelinesListening;
  }

  private armTimer(): void {
    const delay = Math.min(MAX_TIMER_DELAY, Math.max(0, this.openUntil - this.clock.now()));
    let handle: unknown;
    try {
      handle = this.clock.setTimeout(() => this.onRecoveryTimer(handle), delay);
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.name}" recovery timer`);
      return;
    }
    this.recoveryTimer = handle;
    this.timerArmed = true;
    unrefTimer(handle); // a background timer: it never keeps a process alive
  }

  private clearTimer(): void {
    const handle = this.recoveryTimer;
    this.recoveryTimer = undefined;
    this.timerArmed = false;
    try {
      this.clock.clearTimeout(handle);
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.name}" recovery timer`);
    }
  }

  private onRecoveryTimer(handle: unknown): void {
    if (!this.timerArmed || this.recoveryTimer !== handle) return; // cleared meanwhile
    this.recoveryTimer = undefined;
    this.timerArmed = false;
    try {
      if (this.st !== OPEN || !this.someoneHears()) return; // nobody left: the next call applies it
      if (this.clock.now() < this.openUntil) this.armTimer(); // a platform timer fired early, or a long break
      else this.halfOpenOutsideCall();
    } catch (error) {
      reportInternalError(error, `circuit breaker "${this.name}" recovery timer`);
    }
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
    // Only `opened` (from a call, or isolate()) and `closed` (from a probe, or reset()) go
    // through here; `half-opened` has its own two paths above.
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
