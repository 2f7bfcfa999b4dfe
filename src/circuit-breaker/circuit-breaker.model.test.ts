/**
 * Model-based test: the breaker and a small, naive reference model are driven side by
 * side by random command sequences (calls starting and finishing as successes, failures,
 * flagged results or unhandled errors; slow calls through time passing while calls are in
 * flight; time jumps; concurrent probes; isolate and reset; reads of `state`, `stats` and
 * `snapshot()`). After every command they must agree on admit/reject, retryAfter, the state
 * and the transition events.
 *
 * With a listener, `half-opened` is emitted when the recovery timeout elapses (the model
 * applies it as time passes); without one, it is applied by the next call. A twin breaker
 * gets the same commands except the reads: its events (with their times) and its
 * admissions must be identical, which proves that reading the breaker changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { BreakerDriver, type CallEnd, type PendingCall } from '../../test/support/breaker-driver';
import type { CircuitBreakerOptions } from './options';
import type { CircuitBreakerEvent, CircuitState } from './events';

// ------------------------------------------------------------------ the reference model

interface ModelConfig {
  readonly rule:
    | { readonly kind: 'consecutive'; readonly threshold: number }
    | { readonly kind: 'count'; readonly size: number; readonly min: number; readonly rate: number }
    | { readonly kind: 'time'; readonly duration: number; readonly buckets: number; readonly min: number; readonly rate: number };
  readonly slow: { readonly duration: number; readonly rate: number } | null;
  readonly recovery: { readonly kind: 'fixed'; readonly ms: number } | { readonly kind: 'growing'; readonly base: number; readonly cap: number };
  readonly maxProbes: number;
  readonly successThreshold: number;
  readonly probeTimeout: number;
  /** Whether someone listens to the breaker's events (which arms its recovery timer). */
  readonly listen: boolean;
}

interface ModelCall {
  readonly period: number;
  readonly start: number;
  readonly probe: boolean;
}

/** Deliberately naive: keeps every counted call in a list and recomputes the rates. */
class Model {
  state: CircuitState = 'closed';
  period = 0;
  openedAt = 0;
  recovery = 0;
  opens = 0;
  consecutive = 0;
  successes = 0;
  log: { t: number; failed: boolean; slow: boolean }[] = [];
  probes = new Map<number, number>(); // call id -> start
  calls = new Map<number, ModelCall>();
  transitions: string[] = [];
  /** How often the interesting corners were hit (to check the generator reaches them). */
  static corners = { lateProbe: 0, staleProbe: 0, staleClosed: 0, concurrentProbes: 0, readDueHalfOpen: 0 };

  /** Slow-call rules need a window (the options reject them otherwise). */
  readonly slowRule: { readonly duration: number; readonly rate: number } | null;

  constructor(readonly cfg: ModelConfig) {
    this.slowRule = cfg.rule.kind === 'consecutive' ? null : cfg.slow;
  }

  private go(to: CircuitState): void {
    this.state = to;
    this.period++;
    this.probes.clear();
    this.successes = 0;
    this.consecutive = 0;
  }

  refresh(now: number): void {
    if (this.state === 'open' && now >= this.openedAt + this.recovery) {
      this.go('half-open');
      this.transitions.push('half-opened');
    }
  }

  /** What a read reports at `now`: the due half-open counts, nothing is applied. */
  stateAt(now: number): CircuitState {
    if (this.state === 'open' && now >= this.openedAt + this.recovery) {
      Model.corners.readDueHalfOpen++;
      return 'half-open';
    }
    return this.state;
  }

  /** Probes holding a live permit at `now` (0 unless half-open has been applied). */
  activeProbes(now: number): number {
    if (this.state !== 'half-open') return 0;
    let n = 0;
    for (const start of this.probes.values()) if (now - start < this.cfg.probeTimeout) n++;
    return n;
  }

  private open(reason: string, now: number): void {
    const from = this.state;
    this.opens++;
    const r = this.cfg.recovery;
    this.recovery = r.kind === 'fixed' ? r.ms : Math.min(r.base * 2 ** (this.opens - 1), r.cap);
    this.go('open');
    this.openedAt = now;
    this.transitions.push(`opened:${reason}:${from}`);
  }

  private close(reason: string): void {
    const from = this.state;
    this.go('closed');
    this.opens = 0;
    this.log = [];
    if (from !== 'closed') this.transitions.push(`closed:${reason}:${from}`);
  }

  /** Returns undefined when admitted, else [state, retryAfter]. */
  admit(id: number, now: number): [string, number] | undefined {
    this.refresh(now);
    switch (this.state) {
      case 'closed':
        this.calls.set(id, { period: this.period, start: now, probe: false });
        return undefined;
      case 'open':
        return ['open', this.openedAt + this.recovery - now];
      case 'isolated':
        return ['isolated', Number.POSITIVE_INFINITY];
      case 'half-open': {
        let active = 0;
        for (const start of this.probes.values()) if (now - start < this.cfg.probeTimeout) active++;
        if (active >= this.cfg.maxProbes) return ['half-open', 0];
        if (active > 0) Model.corners.concurrentProbes++;
        this.probes.set(id, now);
        this.calls.set(id, { period: this.period, start: now, probe: true });
        return undefined;
      }
    }
  }

  private windowCounts(now: number): { calls: number; failures: number; slow: number } {
    const rule = this.cfg.rule;
    let entries = this.log;
    if (rule.kind === 'count') entries = entries.slice(-rule.size);
    if (rule.kind === 'time') {
      const width = rule.duration / rule.buckets;
      const cur = Math.floor(now / width);
      entries = entries.filter((e) => Math.floor(e.t / width) > cur - rule.buckets);
    }
    return {
      calls: entries.length,
      failures: entries.filter((e) => e.failed).length,
      slow: entries.filter((e) => e.slow).length,
    };
  }

  finish(id: number, end: CallEnd, now: number): void {
    const call = this.calls.get(id);
    if (call === undefined) throw new Error('unknown call');
    this.calls.delete(id);
    const failed = end === 'failure' || end === 'bad-result';
    const slow = this.slowRule !== null && now - call.start >= this.slowRule.duration;
    if (call.probe) {
      const current = call.period === this.period && this.probes.has(id) && now - call.start < this.cfg.probeTimeout;
      this.probes.delete(id);
      if (call.period !== this.period) Model.corners.staleProbe++;
      else if (!current) Model.corners.lateProbe++;
      if (end === 'ignored' || !current) return;
      if (failed || slow) this.open('probe-failed', now);
      else if (++this.successes >= this.cfg.successThreshold) this.close('probes-succeeded');
      return;
    }
    if (call.period !== this.period) Model.corners.staleClosed++;
    if (end === 'ignored' || call.period !== this.period) return;
    const rule = this.cfg.rule;
    if (rule.kind === 'consecutive') {
      if (!failed) this.consecutive = 0;
      else if (++this.consecutive >= rule.threshold) this.open('failures', now);
      return;
    }
    this.log.push({ t: now, failed, slow });
    const c = this.windowCounts(now);
    if (c.calls < rule.min) return;
    if (c.failures / c.calls >= rule.rate) this.open('failure-rate', now);
    else if (this.slowRule !== null && c.slow / c.calls >= this.slowRule.rate) this.open('slow-call-rate', now);
  }

  isolate(now: number): void {
    this.refresh(now);
    if (this.state === 'isolated') return;
    const from = this.state;
    this.go('isolated');
    this.transitions.push(`opened:isolated:${from}`);
  }

  reset(now: number): void {
    this.refresh(now);
    this.close('reset');
  }
}

function toOptions(cfg: ModelConfig): Omit<CircuitBreakerOptions, 'clock' | 'handle' | 'handleResult'> {
  const r = cfg.rule;
  const rec = cfg.recovery;
  return {
    ...(r.kind === 'consecutive'
      ? { failureThreshold: r.threshold }
      : {
          window: r.kind === 'count' ? { kind: 'count' as const, size: r.size } : { kind: 'time' as const, duration: r.duration, buckets: r.buckets },
          minimumThroughput: r.min,
          failureRateThreshold: r.rate,
          ...(cfg.slow === null ? {} : { slowCallDuration: cfg.slow.duration, slowCallRateThreshold: cfg.slow.rate }),
        }),
    recoveryTimeout: rec.kind === 'fixed' ? rec.ms : (n: number) => Math.min(rec.base * 2 ** (n - 1), rec.cap),
    halfOpen: { maxProbes: cfg.maxProbes, successThreshold: cfg.successThreshold, probeTimeout: cfg.probeTimeout },
  };
}

// ------------------------------------------------------------------ commands

interface Real {
  driver: BreakerDriver;
  /** Gets every command but the reads. */
  twin: BreakerDriver;
  inflight: PendingCall[];
  twinInflight: PendingCall[];
}

type World = { model: Model; inflight: number[] };

/** The comparable fields of an event (errors are distinct objects in the two drivers). */
function plain(e: CircuitBreakerEvent): Record<string, unknown> {
  const r = e as unknown as Record<string, unknown>;
  return Object.fromEntries(
    ['type', 'time', 'reason', 'from', 'state', 'retryAfter', 'duration', 'slow', 'pipeline', 'operation'].filter((k) => k in r).map((k) => [k, r[k]]),
  );
}

function agree(m: World, r: Real): void {
  if (m.model.cfg.listen) expect(r.driver.transitions()).toEqual(m.model.transitions);
  // Reads happened on the driver only: the twin must have seen exactly the same events.
  expect(r.twin.events.map(plain)).toEqual(r.driver.events.map(plain));
}

class StartCommand implements fc.AsyncCommand<World, Real> {
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    const res = r.driver.start();
    const twin = r.twin.start();
    const id = res.admitted ? res.call.id : -1;
    const expected = m.model.admit(res.admitted ? id : Number.NaN, r.driver.clock.now());
    expect(twin.admitted).toBe(res.admitted);
    if (res.admitted) {
      expect(expected).toBeUndefined();
      r.inflight.push(res.call);
      if (twin.admitted) r.twinInflight.push(twin.call);
      m.inflight.push(id);
    } else {
      expect(expected).toBeDefined();
      expect(isBrokenCircuitError(res.error)).toBe(true);
      const e = res.error as { state: string; retryAfter: number };
      expect([e.state, e.retryAfter]).toEqual(expected);
      if (!twin.admitted) expect(twin.error).toMatchObject({ state: e.state, retryAfter: e.retryAfter });
    }
    agree(m, r);
  }
  toString(): string {
    return 'start';
  }
}

class FinishCommand implements fc.AsyncCommand<World, Real> {
  constructor(
    readonly pick: number,
    readonly end: CallEnd,
  ) {}
  check(m: Readonly<World>): boolean {
    return m.inflight.length > 0;
  }
  async run(m: World, r: Real): Promise<void> {
    const i = this.pick % r.inflight.length;
    const call = r.inflight.splice(i, 1)[0] as PendingCall;
    const twinCall = r.twinInflight.splice(i, 1)[0] as PendingCall;
    const id = m.inflight.splice(i, 1)[0] as number;
    expect(call.id).toBe(id);
    m.model.finish(id, this.end, r.driver.clock.now());
    r.driver.finish(call, this.end);
    r.twin.finish(twinCall, this.end);
    agree(m, r);
  }
  toString(): string {
    return `finish(${this.pick}, ${this.end})`;
  }
}

class AdvanceCommand implements fc.AsyncCommand<World, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    await r.driver.clock.advance(this.ms);
    await r.twin.clock.advance(this.ms);
    // A listener hears `half-opened` when the recovery timeout elapses, call or no call.
    if (m.model.cfg.listen) m.model.refresh(r.driver.clock.now());
    agree(m, r);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

class StateCommand implements fc.AsyncCommand<World, Real> {
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    expect(r.driver.breaker.state).toBe(m.model.stateAt(r.driver.clock.now()));
    agree(m, r);
  }
  toString(): string {
    return 'state';
  }
}

class StatsCommand implements fc.AsyncCommand<World, Real> {
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    const now = r.driver.clock.now();
    const s = r.driver.breaker.stats;
    expect([s.state, s.activeProbes, s.probeSuccesses, s.consecutiveOpens]).toEqual([
      m.model.stateAt(now),
      m.model.activeProbes(now),
      m.model.successes,
      m.model.opens,
    ]);
    agree(m, r);
  }
  toString(): string {
    return 'stats';
  }
}

class SnapshotCommand implements fc.AsyncCommand<World, Real> {
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    const now = r.driver.clock.now();
    const snap = r.driver.breaker.snapshot();
    const state = m.model.stateAt(now);
    expect(snap.state).toBe(state);
    expect(snap.openedFor).toBe(state === 'open' ? now - m.model.openedAt : 0);
    agree(m, r);
  }
  toString(): string {
    return 'snapshot';
  }
}

class IsolateCommand implements fc.AsyncCommand<World, Real> {
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    r.driver.breaker.isolate();
    r.twin.breaker.isolate();
    m.model.isolate(r.driver.clock.now());
    agree(m, r);
  }
  toString(): string {
    return 'isolate';
  }
}

class ResetCommand implements fc.AsyncCommand<World, Real> {
  check(): boolean {
    return true;
  }
  async run(m: World, r: Real): Promise<void> {
    r.driver.breaker.reset();
    r.twin.breaker.reset();
    m.model.reset(r.driver.clock.now());
    agree(m, r);
  }
  toString(): string {
    return 'reset';
  }
}

const rate = fc.constantFrom(0.25, 0.3, 0.5, 2 / 3, 0.75, 1);

const configArb: fc.Arbitrary<ModelConfig> = fc.record({
  rule: fc.oneof(
    fc.record({ kind: fc.constant('consecutive' as const), threshold: fc.integer({ min: 1, max: 4 }) }),
    fc.integer({ min: 1, max: 6 }).chain((size) =>
      fc.record({ kind: fc.constant('count' as const), size: fc.constant(size), min: fc.integer({ min: 1, max: size }), rate }),
    ),
    fc.record({
      kind: fc.constant('time' as const),
      duration: fc.constantFrom(100, 250, 300, 1000),
      buckets: fc.integer({ min: 1, max: 5 }),
      min: fc.integer({ min: 1, max: 5 }),
      rate,
    }),
  ),
  slow: fc.option(fc.record({ duration: fc.oneof(fc.constantFrom(25, 50, 100), fc.integer({ min: 20, max: 200 })), rate }), { nil: null }),
  recovery: fc.oneof(
    fc.record({ kind: fc.constant('fixed' as const), ms: fc.oneof(fc.constantFrom(0, 50, 100, 200), fc.integer({ min: 0, max: 400 })) }),
    fc.record({ kind: fc.constant('growing' as const), base: fc.integer({ min: 10, max: 100 }), cap: fc.integer({ min: 100, max: 500 }) }),
  ),
  maxProbes: fc.integer({ min: 1, max: 3 }),
  successThreshold: fc.integer({ min: 1, max: 3 }),
  probeTimeout: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.constantFrom(50, 100, 200), fc.integer({ min: 10, max: 300 })),
  listen: fc.boolean(),
});

const ends = fc.constantFrom<CallEnd>('success', 'success', 'success', 'failure', 'failure', 'bad-result', 'ignored');
const commandArb = fc.commands(
  [
    fc.oneof(
      { weight: 10, arbitrary: fc.constant(new StartCommand()) },
      { weight: 12, arbitrary: fc.tuple(fc.nat(), ends).map(([p, e]) => new FinishCommand(p, e)) },
      { weight: 6, arbitrary: fc.oneof(fc.constantFrom(0, 10, 25, 50, 100), fc.integer({ min: 0, max: 300 })).map((ms) => new AdvanceCommand(ms)) },
      { weight: 2, arbitrary: fc.constant(new StateCommand()) },
      { weight: 1, arbitrary: fc.constant(new StatsCommand()) },
      { weight: 1, arbitrary: fc.constant(new SnapshotCommand()) },
      { weight: 1, arbitrary: fc.constant(new IsolateCommand()) },
      { weight: 1, arbitrary: fc.constant(new ResetCommand()) },
    ),
  ],
  { maxCommands: 100, size: 'large' },
);

describe('circuit breaker vs reference model', () => {
  it('never disagrees on admit/reject, retryAfter, state or transition events; reads change nothing (1 000 runs)', async () => {
    // The driver's settle path is synchronous, so a run only awaits the clock's advance().
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(configArb, commandArb, async (cfg, cmds) => {
        const driver = new BreakerDriver(toOptions(cfg), new VirtualClock(), cfg.listen);
        const twin = new BreakerDriver(toOptions(cfg), new VirtualClock(), cfg.listen);
        await fc.asyncModelRun(
          () => ({ model: { model: new Model(cfg), inflight: [] }, real: { driver, twin, inflight: [], twinInflight: [] } }),
          cmds,
        );
        for (const t of driver.transitions()) seen.set(t, (seen.get(t) ?? 0) + 1);
        for (const e of driver.events) if (e.type === 'rejected') seen.set(`rejected:${e.state}`, (seen.get(`rejected:${e.state}`) ?? 0) + 1);
      }),
      { numRuns: 1000 },
    );
    // The generated runs do exercise every transition and every kind of rejection.
    for (const key of [
      'opened:failures:closed',
      'opened:failure-rate:closed',
      'opened:slow-call-rate:closed',
      'opened:probe-failed:half-open',
      'opened:isolated:closed',
      'opened:isolated:open',
      'opened:isolated:half-open',
      'half-opened',
      'closed:probes-succeeded:half-open',
      'closed:reset:open',
      'closed:reset:isolated',
      'rejected:open',
      'rejected:half-open',
      'rejected:isolated',
    ]) {
      expect(seen.get(key) ?? 0, key).toBeGreaterThan(10);
    }
    for (const [corner, n] of Object.entries(Model.corners)) expect(n, corner).toBeGreaterThan(10);
    // About 7 s on an idle two-core machine; it went past the default 20 s on a busy one.
  }, 60_000);
});
