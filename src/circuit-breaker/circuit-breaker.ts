/**
 * The circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED, plus ISOLATED (held open by
 * hand), transitions computed from the clock. {@link CircuitBreakerPolicy} says how reads,
 * the recovery timer and the fleet (`coordinator`) behave.
 *
 * @packageDocumentation
 */
import { callFunction, unwrap } from '../core/alone';
import { compileClassifier, Handling, type Classifier } from '../core/classify';
import { CircuitStates } from '../core/circuit-states';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import { BrokenCircuitError, type RejectingCircuitState } from '../core/errors';
import type { EventPayload } from '../core/events';
import { StrategyPolicy, type Done, type Link, type Outcome } from '../core/policy';
import { validateOptions } from '../core/validation';
import { outcomePayload, type CircuitBreakerEvent, type CircuitCloseReason, type CircuitOpenReason, type CircuitState } from './events';
import {
  checkCircuitBreakerOptions,
  circuitBreakerDefaults as D,
  circuitBreakerSchema,
  type CircuitBreakerOptions,
  type RecoveryTimeout,
} from './options';
import { BreakerFleetHost } from './fleet-host';
import { FleetLink, type FleetHost } from './fleet-link';
import { ProbePermits, type ProbePermit } from './probe-permits';
import { describeRecovery, recoveryTimeoutFor, RecoveryTimer } from './recovery-timer';
import { statsOf, type CircuitBreakerStats } from './stats';
import { snapshotOf, type CircuitBreakerSnapshot } from './snapshot';
import { createTripRule, type TripRule } from './trip-rule';

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const ISOLATED = 3;
type StateCode = 0 | 1 | 2 | 3;
/** The state names by state code (the codes follow the order of {@link CircuitStates}). */
const STATE_NAMES: readonly CircuitState[] = CircuitStates;
const CODES: Readonly<Record<CircuitState, StateCode>> = { closed: CLOSED, open: OPEN, 'half-open': HALF_OPEN, isolated: ISOLATED };

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
 * and someone can hear `half-opened` (`on('half-opened')` or `onEvent` on the breaker, or
 * any listener of a pipeline that contains it), an unref'd timer emits it when the
 * recovery timeout elapses, even with no calls; it is cleared when the breaker leaves open
 * or the last such listener is disposed. A listener added after the timeout elapsed does
 * not hear that past transition (it is applied before the listener is added).
 *
 * With `coordinator`, the breaker is one of a fleet: it publishes its own opens and closes,
 * opens (reason `fleet`) when `quorum` other instances report theirs, probes only under the
 * fleet's lease (other calls in half-open are rejected as `half-open`), and closes or reopens
 * with the fleet's probe. Calls never wait on the fleet: its reports change the breaker
 * when they arrive. See `stats.fleet`, the `fleet-synced` / `fleet-degraded` events and
 * {@link CircuitBreakerPolicy.leaveFleet}.
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
  /**
   * Bumped on every transition: a closed-state call admitted in an earlier closed period is
   * not counted (a probe's permit plays that part in half-open: see {@link ProbePermits.reset}).
   */
  private epoch = 0;
  private openedAt = 0;
  private openUntil = 0;
  private recovery = 0;
  private opens = 0;
  /** Own listeners that hear `half-opened` (`on('half-opened')` and `onEvent`). */
  private hearers = 0;

  private readonly classifier: Classifier;
  /** What closed-state calls count and when that opens the breaker. */
  private readonly rule: TripRule;
  /** The trial calls of the half-open state. */
  private readonly probes: ProbePermits;
  private readonly recoveryTimeout: RecoveryTimeout;
  /** The recovery timer: armed only while open and someone can hear `half-opened`. */
  private readonly timer: RecoveryTimer;
  /** Closed-state calls need their start time (a slow-call rule). */
  private readonly timeCalls: boolean;
  /** Probes need their end time (a probe timeout or a slow-call rule). */
  private readonly timeProbes: boolean;
  /** The fleet, when `coordinator` is given. */
  private readonly fleet: FleetLink | undefined;

  /** @internal Use {@link circuitBreaker}. */
  constructor(options?: CircuitBreakerOptions<never>) {
    const o = validateOptions<CircuitBreakerOptions<never>>('circuitBreaker', options, circuitBreakerSchema, checkCircuitBreakerOptions);
    super({ kind: 'circuit-breaker', name: o.name ?? D.name, clock: o.clock ?? systemClock, keepsTime: true });
    this.classifier = compileClassifier(o);
    this.rule = createTripRule(o);
    this.probes = new ProbePermits(
      o.halfOpen?.maxProbes ?? D.maxProbes,
      o.halfOpen?.successThreshold ?? D.successThreshold,
      o.halfOpen?.probeTimeout ?? D.probeTimeout,
    );
    this.recoveryTimeout = o.recoveryTimeout ?? D.recoveryTimeout;
    this.timer = new RecoveryTimer(this.clock, `circuit breaker "${this.name}" recovery timer`, () => this.onRecoveryTimer());
    this.timeCalls = this.rule.timesCalls;
    this.timeProbes = this.timeCalls || this.probes.expires;
    if (o.restore !== undefined) this.restoreFrom(o.restore);
    const f = o.coordinator;
    const probeTimeout = this.probes.probeTimeout;
    this.fleet = f === undefined ? undefined : new FleetLink(this.fleetHost(), f, o.quorum ?? D.quorum, probeTimeout, this.st === OPEN || this.st === HALF_OPEN);
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
    const now = this.clock.now();
    const st = this.current(now);
    return statsOf(STATE_NAMES[st] as CircuitState, this.rule, this.probes, this.opens, now, this.fleet);
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
    this.fleet?.opened('isolated');
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
    const state = STATE_NAMES[this.current(now)] as CircuitState;
    return snapshotOf(state, now - this.openedAt, this.recovery, this.opens, this.probes.successes, this.rule.snapshot(now));
  }

  /**
   * Leaves the fleet given as `coordinator` (this instance's report is withdrawn, the fleet
   * no longer calls it back); the breaker goes on alone, in the state it is in. Does nothing
   * for a breaker without `coordinator`, or when called again. The coordinator's `close()`
   * does the same for every breaker that joined it.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => { breaker.leaveFleet(); void coordinator.close(); });
   * ```
   */
  leaveFleet(): void {
    this.fleet?.leave();
  }

  /**
   * @internal Its own listeners changed. A listener that can hear `half-opened` (of that
   * event, or of every event) counts: while one exists, an open breaker keeps its recovery
   * timer. Before one is added, a transition already due is applied for the earlier
   * listeners, so the new one never hears a `half-opened` older than what it can read.
   */
  protected override listenersChanged(type: string | undefined, delta: -1 | 0 | 1): void {
    if (type !== undefined && type !== 'half-opened') return;
    if (delta === 0) {
      this.refresh();
      return;
    }
    this.hearers += delta;
    this.syncTimer();
  }

  /** @internal A pipeline containing the breaker gained or lost listeners: arm or clear the recovery timer. */
  override enclosingListenersChanged(): void {
    this.refresh();
    this.syncTimer();
  }

  // ---------------------------------------------------------------- the strategy

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    if (this.st === CLOSED) {
      const timed = this.timeCalls || link.listening;
      const start = timed ? this.clock.now() : 0;
      const epoch = this.epoch;
      link.next(ctx, (o) => {
        this.recordClosed(ctx, link, o, epoch, timed, start);
        done(o);
      });
      return;
    }
    this.admitOutsideClosed(ctx, link, done);
  }

  /** @internal Alone and unheard, closed: the call awaited in place (core/alone.ts); other states go through the chain. */
  protected override runAlone(ctx: ExecutionContext, link: Link): Promise<unknown> | undefined {
    // Stryker disable next-line ConditionalExpression: the chain path (run) does the same for a closed breaker; runAlone only skips the chain's allocations
    return this.st === CLOSED ? this.closedAlone(ctx, link) : undefined;
  }

  private async closedAlone(ctx: ExecutionContext, link: Link): Promise<unknown> {
    const timed = this.timeCalls || link.listening;
    const start = timed ? this.clock.now() : 0;
    const epoch = this.epoch;
    let o: Outcome;
    try {
      o = { ok: true, value: await callFunction(ctx) };
    } catch (error) {
      o = { ok: false, error };
    }
    this.recordClosed(ctx, link, o, epoch, timed, start);
    ctx.dispose();
    return unwrap(o);
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
    const fleet = this.fleet;
    // A fleet-aware breaker probes only under the fleet's lease (asked for here, answered later).
    const permit = fleet === undefined || fleet.mayProbe(now) ? this.probes.acquire(now) : undefined;
    if (permit === undefined) {
      this.reject(ctx, link, done, 'half-open', 0);
      return;
    }
    if (fleet !== undefined) fleet.probeStarted(now);
    link.next(ctx, (o) => this.settleProbe(ctx, link, done, o, permit));
  }

  private reject(ctx: ExecutionContext, link: Link, done: Done, state: RejectingCircuitState, retryAfter: number): void {
    const error = BrokenCircuitError.create(this.name, state, retryAfter);
    if (link.listening) link.emit<CircuitBreakerEvent>(ctx, { type: 'rejected', state, retryAfter });
    done({ ok: false, error });
  }

  /** Counts a closed-state call's outcome and opens if a trip rule says so. `start`: its start time when `timed`. */
  private recordClosed(ctx: ExecutionContext, link: Link, o: Outcome, epoch: number, timed: boolean, start: number): void {
    const verdict = this.classifier.classify(o, ctx);
    if (verdict === Handling.Ignored) return;
    const failed = verdict === Handling.Failure;
    const rule = this.rule;
    let slow = false;
    let end = 0;
    if (timed) {
      end = this.clock.now();
      slow = end - start >= rule.slowCallDuration;
      if (link.listening) link.emit<CircuitBreakerEvent>(ctx, outcomePayload(o, failed, end - start, slow));
    }
    if (epoch === this.epoch) {
      // A call admitted in an earlier closed period no longer counts.
      const now = timed || !rule.usesNow ? end : this.clock.now();
      const reason = rule.record(failed, slow, now);
      if (reason !== undefined) this.open(reason, link, ctx);
    }
  }

  private settleProbe(ctx: ExecutionContext, link: Link, done: Done, o: Outcome, permit: ProbePermit): void {
    const verdict = this.classifier.classify(o, ctx);
    // Unused (0) when neither the rule nor the permits need it and nobody listens.
    const duration = this.timeProbes || link.listening ? this.clock.now() - permit.start : 0;
    // False for a late result: its permit expired, or the breaker left this half-open period.
    const counts = this.probes.release(permit, duration);
    if (verdict === Handling.Ignored) {
      done(o);
      return;
    }
    const failed = verdict === Handling.Failure;
    const slow = duration >= this.rule.slowCallDuration;
    if (link.listening) link.emit<CircuitBreakerEvent>(ctx, outcomePayload(o, failed, duration, slow));
    if (counts) {
      if (failed || slow) this.open('probe-failed', link, ctx);
      else if (this.probes.recordSuccess()) this.close('probes-succeeded', link, ctx);
    }
    done(o);
  }

  // ---------------------------------------------------------------- transitions

  /** The state at `now` without applying anything: a due OPEN → HALF_OPEN counts as done. */
  private current(now?: number): StateCode {
    const st = this.st;
    return st === OPEN && (now ?? this.clock.now()) >= this.openUntil ? HALF_OPEN : st;
  }

  /** Applies a due OPEN → HALF_OPEN transition outside a call (isolate, reset, a new listener, the fleet); returns the state then. */
  private refresh(): StateCode {
    if (this.st === OPEN && this.clock.now() >= this.openUntil) this.halfOpenOutsideCall();
    return this.st;
  }

  private enter(st: StateCode): void {
    this.st = st;
    // Stryker disable next-line UpdateOperator: the epoch is only compared for equality, and counting down gives a new value at every transition too
    this.epoch++;
    this.probes.reset();
    this.rule.stateChanged();
    if (this.timer.armed) this.timer.clear();
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

  /** Opens for `recoveryTimeout` (or for `breakFor` ms when the fleet says how long). */
  private open(reason: CircuitOpenReason, link: Link | undefined, ctx: ExecutionContext | undefined, breakFor?: number): void {
    const from = this.st;
    const opens = ++this.opens;
    const recovery = breakFor ?? recoveryTimeoutFor(this.recoveryTimeout, opens, this.name);
    const now = this.clock.now();
    this.enter(OPEN);
    this.openedAt = now;
    this.recovery = recovery;
    this.openUntil = now + recovery;
    // Before the event: a listener of `opened` may move the breaker on, which the fleet must hear after this.
    this.fleet?.opened(reason);
    this.emitTransition(link, ctx, { type: 'opened', reason, from: STATE_NAMES[from] as CircuitState, retryAfter: recovery });
    // After the event: a listener of `opened` may already have moved the breaker on.
    // Stryker disable next-line ConditionalExpression: only syncTimer() arms the timer, only while open, and enter() clears it, so out of open it is unarmed and syncTimer() does nothing
    if (this.st === OPEN) this.syncTimer();
  }

  /** What the fleet link may read and do to this breaker (the rules of the fleet's transitions are in fleet-host.ts). */
  private fleetHost(): FleetHost {
    return new BreakerFleetHost(this.name, this.clock, {
      applied: () => STATE_NAMES[this.st] as CircuitState,
      stateAt: (now) => STATE_NAMES[this.current(now)] as CircuitState,
      refreshed: () => STATE_NAMES[this.refresh()] as CircuitState,
      breakUntil: () => this.openUntil,
      open: (retryAfter) => this.open('fleet', undefined, undefined, retryAfter),
      extendBreak: (until) => {
        this.openUntil = until;
        this.recovery = until - this.openedAt;
        this.fleet?.breakExtended();
      },
      close: () => this.close('fleet', undefined, undefined),
      emit: (payload) => this.emitDetached(payload),
    });
  }

  // ---------------------------------------------------------------- the recovery timer

  /** Arms or clears the recovery timer: wanted while open and someone can hear `half-opened`. */
  private syncTimer(): void {
    const wanted = this.st === OPEN && this.someoneHears();
    if (wanted && !this.timer.armed) this.timer.arm(this.openUntil - this.clock.now());
    else if (!wanted && this.timer.armed) this.timer.clear();
  }

  private someoneHears(): boolean {
    return this.hearers > 0 || this.pipelinesListening;
  }

  /** The recovery timer fired (errors are reported by the timer). */
  private onRecoveryTimer(): void {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: enter() and syncTimer() clear the timer when the breaker leaves open or its last hearer goes, so it fires only while open and heard
    if (this.st !== OPEN || !this.someoneHears()) return; // nobody left: the next call applies it
    const now = this.clock.now();
    if (now < this.openUntil) this.timer.arm(this.openUntil - now); // a platform timer fired early, or a long break
    else this.halfOpenOutsideCall();
  }

  private close(reason: CircuitCloseReason, link: Link | undefined, ctx: ExecutionContext | undefined): void {
    const from = this.st;
    this.enter(CLOSED);
    this.opens = 0;
    this.rule.clear();
    this.fleet?.closed(reason);
    if (from !== CLOSED) this.emitTransition(link, ctx, { type: 'closed', reason, from: STATE_NAMES[from] as CircuitState });
  }

  private emitTransition(link: Link | undefined, ctx: ExecutionContext | undefined, payload: EventPayload<CircuitBreakerEvent>): void {
    // Only `opened` (from a call, or isolate()) and `closed` (from a probe, or reset()) go
    // through here; `half-opened` has its own two paths above.
    if (link === undefined || ctx === undefined) this.emitDetached(payload);
    else if (link.listening) link.emit<CircuitBreakerEvent>(ctx, payload);
  }

  // ---------------------------------------------------------------- snapshots

  private restoreFrom(s: CircuitBreakerSnapshot): void {
    const now = this.clock.now();
    this.st = CODES[s.state];
    this.opens = s.consecutiveOpens;
    // Stryker disable next-line ConditionalExpression: openedAt, recovery and openUntil are read only while open, and open() sets all three first
    if (this.st === OPEN) {
      this.recovery = s.recoveryTimeout;
      this.openedAt = now - s.openedFor;
      this.openUntil = this.openedAt + s.recoveryTimeout;
    }
    if (this.st === HALF_OPEN) this.probes.restoreSuccesses(s.probeSuccesses);
    this.rule.restore(s, now);
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    return { ...this.rule.describe(), ...describeRecovery(this.recoveryTimeout, this.probes) };
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
