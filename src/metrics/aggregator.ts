/**
 * The metrics aggregator: listens to the events of policies and pipelines and keeps, with
 * fixed memory per series, the numbers an on-call team watches: calls by outcome, call
 * duration percentiles, retries and give-ups, circuit state, time in each state, MTTR,
 * MTBF and recovery rate of each breaker, bulkhead occupancy, rate limiter admissions and
 * queues, hedges, adaptive concurrency limits, chaos injections and availability over a
 * sliding window.
 *
 * Nothing runs in the background: counters move when events arrive, time-based values
 * (time in state, the availability window) are computed from the clock when read.
 *
 * The parts: metric names in `names.ts`, snapshot types in `snapshot.ts`, the counters of
 * a series in `series.ts`, breaker statistics in `breaker-stats.ts`, the availability
 * window in `availability-window.ts`, live gauges in `live-views.ts`, hedging and adaptive
 * concurrency counts in `latency-counts.ts`, and the pure step
 * snapshot → metric families in `families.ts`. This file dispatches events and reads.
 *
 * @packageDocumentation
 */
import type { AdaptiveConcurrencyEvent } from '../adaptive-concurrency/events';
import type { BulkheadEvent } from '../bulkhead/events';
import type { HedgingEvent } from '../hedging/events';
import type { RateLimiterEvent } from '../rate-limiter/events';
import type { ChaosEvent } from '../chaos/events';
import type { CircuitBreakerEvent } from '../circuit-breaker/events';
import { systemClock, type Clock } from '../core/clock';
import { Emitter, type ExecutedEvent, type Listener, type ResilienceEvent, type Subscription } from '../core/events';
import type { FallbackEvent } from '../fallback/events';
import type { RetryEvent } from '../retry/events';
import type { TimeoutEvent } from '../timeout/events';
import { AvailabilityWindow } from './availability-window';
import { BreakerStats } from './breaker-stats';
import { callOutcome, rejectionReason } from './call-outcome';
import { bump, str, toRecord } from './counts';
import { toMetricFamilies, type ExportedDurations } from './families';
import { LogHistogram, type HistogramOptions } from './histogram';
import {
  findLiveParts,
  isObservable,
  readConcurrency,
  readQueued,
  readState,
  readStats,
  type LiveBreaker,
  type LiveBulkhead,
  type LiveConcurrencyLimit,
  type LiveRateLimiter,
  type Observable,
} from './live-views';
import { isCircuitState, type CircuitState } from '../core/circuit-states';
import { CallOutcomes, type CallOutcome } from './names';
import { validateMetricsOptions, type MetricsOptions } from './options';
import { renderPrometheus } from './prometheus';
import { countAdaptive, countHedging, hedgingOf, limitChangesOf } from './latency-counts';
import { SeriesTable, type Series } from './series';
import type {
  AdmissionSeriesSnapshot,
  BreakerSnapshot,
  BulkheadSnapshot,
  CallRecord,
  CallSeriesSnapshot,
  ConcurrencyLimitSnapshot,
  FallbackSeriesSnapshot,
  HedgingSeriesSnapshot,
  InjectionSeriesSnapshot,
  LimitChangeSeriesSnapshot,
  MetricFamily,
  MetricsSnapshot,
  RateLimiterSnapshot,
  RejectionSeriesSnapshot,
  RetrySeriesSnapshot,
  TimeoutSeriesSnapshot,
} from './snapshot';

/**
 * The events metrics counts, by policy kind. Events of other kinds (a rate limiter, a
 * policy of your own) count only when their `type` is `rejected`.
 */
type CountedEvent = ExecutedEvent | CircuitBreakerEvent | RetryEvent | TimeoutEvent | FallbackEvent | ChaosEvent | BulkheadEvent | RateLimiterEvent | HedgingEvent | AdaptiveConcurrencyEvent;

/** A live source read by name (one per name: two series with the same labels would be invalid). */
interface LiveEntry<T> {
  readonly source: T;
  refs: number;
}

/**
 * An event aggregator. Create it with {@link createMetrics}.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * const sub = metrics.observe(payments);
 * // …
 * console.log(metrics.snapshot().breakers[0]?.mttr);
 * sub.dispose();
 * ```
 */
export class Metrics {
  /** The clock used for time-based values. */
  readonly clock: Clock;
  /** The call labels that become metric labels. */
  readonly labelKeys: readonly string[];
  private readonly windowWidth: number;
  private readonly windowSize: number;
  private readonly histogramOptions: HistogramOptions;
  private readonly series: SeriesTable;
  private readonly breakers = new Map<string, BreakerStats>();
  private readonly liveBreakers = new Map<string, LiveBreaker>();
  private readonly bulkheads = new Map<string, LiveEntry<LiveBulkhead>>();
  private readonly rateLimiters = new Map<string, LiveEntry<LiveRateLimiter>>();
  private readonly concurrencyLimits = new Map<string, LiveEntry<LiveConcurrencyLimit>>();
  private readonly calls = new Emitter<CallRecord>();
  /** How many observed targets each policy or pipeline belongs to. */
  private readonly observed = new Map<object, number>();
  /** Policies and pipelines in two or more observed targets: their events may come twice. */
  private overlaps = 0;
  /** Events counted while observed targets overlap (see {@link Metrics.deliver}). */
  private counted: WeakSet<ResilienceEvent> | undefined = undefined;
  private readonly listener: (event: ResilienceEvent) => void;

  /** @internal Use {@link createMetrics}. */
  constructor(options: MetricsOptions = {}) {
    const o = validateMetricsOptions(options);
    this.clock = o.clock ?? systemClock;
    const window = o.availabilityWindow ?? 300_000;
    this.windowSize = o.availabilityBuckets ?? 10;
    this.windowWidth = window / this.windowSize;
    this.labelKeys = [...(o.labelKeys ?? [])];
    this.series = new SeriesTable(this.labelKeys, o.maxOperations ?? 100, o.maxLabelSets ?? 100);
    this.histogramOptions = o.histogram ?? {};
    // Validate the histogram bounds now rather than on the first call.
    new LogHistogram(this.histogramOptions);
    this.listener = (event) => this.deliver(event);
  }

  /**
   * Subscribes to every event of `target` (a policy or a pipeline) and registers the
   * breakers, bulkheads, rate limiters and adaptive limits found in it (walking `policies` recursively) for
   * live gauges.
   * Returns a {@link Subscription}: `dispose()` removes the listener and the live gauges;
   * the numbers counted so far stay.
   *
   * Observing a pipeline is enough: it hears every event of its policies, those of calls
   * and those that belong to no call (a breaker's `isolate()`, `reset()` or recovery
   * timer), each once. Observing the same events through two targets (a pipeline and one
   * of its policies) still counts each event once. A breaker shared with pipelines you do
   * not observe changes state in their calls too: observe it as well.
   *
   * @example
   * ```ts
   * const sub = metrics.observe(payments); // its breakers, bulkheads, rate limiters, nested pipelines
   * metrics.observe(sharedBreaker); // also used by pipelines not observed: counted once
   * sub.dispose();
   * ```
   */
  observe(target: Observable): Subscription {
    if (!isObservable(target)) {
      throw new TypeError('metrics.observe() expects a policy or pipeline (an object with onEvent)');
    }
    const { nodes, breakers, bulkheads, rateLimiters, concurrencyLimits } = findLiveParts(target);
    for (const n of nodes) {
      const refs = (this.observed.get(n) ?? 0) + 1;
      this.observed.set(n, refs);
      if (refs === 2) this.overlaps++;
    }
    const now = this.clock.now();
    for (const b of breakers) {
      if (!this.breakers.has(b.name)) this.breakers.set(b.name, new BreakerStats(b.name, readState(b) ?? 'closed', now));
      this.liveBreakers.set(b.name, b);
    }
    for (const b of bulkheads) addLive(this.bulkheads, b);
    for (const r of rateLimiters) addLive(this.rateLimiters, r);
    for (const c of concurrencyLimits) addLive(this.concurrencyLimits, c);
    const sub = target.onEvent(this.listener);
    let active = true;
    return {
      dispose: () => {
        if (!active) return;
        active = false;
        sub.dispose();
        for (const n of nodes) {
          const refs = (this.observed.get(n) ?? 1) - 1;
          if (refs === 0) this.observed.delete(n);
          else this.observed.set(n, refs);
          if (refs === 1) this.overlaps--;
        }
        if (this.overlaps === 0) this.counted = undefined;
        for (const b of breakers) if (this.liveBreakers.get(b.name) === b) this.liveBreakers.delete(b.name);
        for (const b of bulkheads) removeLive(this.bulkheads, b);
        for (const r of rateLimiters) removeLive(this.rateLimiters, r);
        for (const c of concurrencyLimits) removeLive(this.concurrencyLimits, c);
      },
    };
  }

  /**
   * Feeds one event in by hand (what `observe()` does for each event). Useful for events
   * that reach you some other way, and in tests. Each call counts the event it is given.
   *
   * @example
   * ```ts
   * otherCopy.onEvent((e) => metrics.record(e));
   * ```
   */
  record(event: ResilienceEvent): void {
    this.count(event);
  }

  /**
   * Listens to every call counted in `resilience_calls_total` (used by the OpenTelemetry
   * adapter to record its duration histogram).
   */
  onCall(listener: Listener<CallRecord>): Subscription {
    return this.calls.on(listener);
  }

  /**
   * An event from an observed target. The core delivers each event once to the policy
   * that emitted it and once to each pipeline that contains it, so targets that share no
   * policy never hear the same event: it is counted at once. Only while two observed
   * targets overlap (a pipeline and one of its policies) can one event arrive twice; it is
   * then counted the first time.
   */
  private deliver(event: ResilienceEvent): void {
    if (this.overlaps > 0) {
      const counted = (this.counted ??= new WeakSet());
      if (counted.has(event)) return;
      counted.add(event);
    }
    this.count(event);
  }

  /** Counts one event, dispatching on its kind and type. */
  private count(event: ResilienceEvent): void {
    const e = event as CountedEvent;
    switch (e.kind) {
      case 'execution':
        if (e.type === 'executed') this.onExecuted(e);
        break;
      case 'circuit-breaker':
        this.onBreaker(e);
        break;
      case 'bulkhead':
        if (e.type === 'rejected') this.onRejected(e, `bulkhead-${str(e.reason, 'full')}`);
        break;
      case 'rate-limiter':
        if (e.type === 'limited') this.onRejected(e, `rate-limited-${str(e.reason, 'rate')}`);
        else if (e.type === 'admitted') this.series.of(e).admitted++;
        break;
      case 'retry': {
        const s = this.series.of(e);
        s.retrySeen = true;
        if (e.type === 'retry') s.retries++;
        else if (e.type === 'give-up') bump(s.giveUps, str(e.reason, 'unknown'));
        else if (e.type === 'budget-exhausted') s.budgetExhausted++;
        break;
      }
      case 'timeout':
        if (e.type === 'timeout') this.series.of(e).timeouts++;
        break;
      case 'fallback': {
        const s = this.series.of(e);
        s.fallbackSeen = true;
        if (e.type === 'fallback') bump(s.tiers, String(e.tier ?? 0));
        else if (e.type === 'exhausted') s.fallbackExhausted++;
        break;
      }
      case 'hedging':
        countHedging(this.series.of(e), e);
        break;
      case 'adaptive-concurrency': {
        const reason = countAdaptive(() => this.series.of(e), e);
        if (reason !== undefined) this.onRejected(e, reason);
        break;
      }
      case 'chaos':
        if (e.type === 'injected') bump(this.series.of(e).injections, `${str(e.fault, 'unknown')}\u0000${str(e.faultKind, 'unknown')}`);
        break;
      default:
        // Any other policy that refuses calls (one of your own): its reason, else its kind.
        if (event.type === 'rejected') this.onRejected(event, str((event as { reason?: unknown }).reason, str(event.kind, 'other')));
        break;
    }
  }

  /**
   * A policy refused a call. Counted here, from the refusing policy's own event, and not
   * from the `executed` event: a call a fallback answered has no rejection as its final
   * error, and a call that ended rejected was counted here already.
   */
  private onRejected(e: ResilienceEvent, reason: string): void {
    bump(this.series.of(e).rejected, reason);
  }

  private onExecuted(e: ExecutedEvent): void {
    const s = this.series.of(e);
    const outcome = callOutcome(e);
    const reason = outcome === 'rejected' ? rejectionReason(e.error) : undefined;
    s.executed = true;
    const i = CallOutcomes.indexOf(outcome);
    s.outcomes[i] = (s.outcomes[i] as number) + 1;
    if (reason !== undefined) bump(s.rejections, reason);
    (s.duration ??= new LogHistogram(this.histogramOptions)).record(e.duration);
    if (outcome !== 'cancelled') {
      (s.window ??= new AvailabilityWindow(this.windowWidth, this.windowSize)).record(e.time, outcome === 'success' || outcome === 'fallback');
    }
    if (this.calls.size > 0) {
      this.calls.emit({ ...s.key, outcome, reason, duration: e.duration, time: e.time });
    }
  }

  private onBreaker(e: CircuitBreakerEvent): void {
    let to: CircuitState;
    let reason: string | undefined;
    let from: unknown;
    switch (e.type) {
      case 'rejected':
        this.onRejected(e, `circuit-${str(e.state, 'open')}`);
        return;
      case 'opened':
        reason = str(e.reason, 'unknown');
        to = reason === 'isolated' ? 'isolated' : 'open';
        from = e.from;
        break;
      case 'half-opened':
        to = 'half-open';
        break;
      case 'closed':
        to = 'closed';
        from = e.from;
        break;
      default:
        return;
    }
    let b = this.breakers.get(e.policy);
    if (b === undefined) {
      b = new BreakerStats(e.policy, isCircuitState(from) ? from : 'closed', e.time);
      this.breakers.set(e.policy, b);
    }
    b.transition(to, e.time, reason);
  }

  /** Everything counted so far, as plain data. Durations in ms. */
  snapshot(): MetricsSnapshot {
    return this.read(undefined);
  }

  /** The snapshot; with `durations`, also fills it with the histogram of each call series. */
  private read(durations: ExportedDurations[] | undefined): MetricsSnapshot {
    const now = this.clock.now();
    const calls: CallSeriesSnapshot[] = [];
    const rejections: RejectionSeriesSnapshot[] = [];
    const admissions: AdmissionSeriesSnapshot[] = [];
    const retries: RetrySeriesSnapshot[] = [];
    const timeouts: TimeoutSeriesSnapshot[] = [];
    const fallbacks: FallbackSeriesSnapshot[] = [];
    const injections: InjectionSeriesSnapshot[] = [];
    const hedging: HedgingSeriesSnapshot[] = [];
    const limitChanges: LimitChangeSeriesSnapshot[] = [];
    for (const s of this.series.values()) {
      const k = s.key;
      if (s.executed) {
        calls.push(callsOf(s, now));
        durations?.push(exportedDurations(s.duration as LogHistogram));
      }
      if (s.rejected.size > 0) {
        let total = 0;
        for (const n of s.rejected.values()) total += n;
        rejections.push({ ...k, reasons: toRecord(s.rejected), total });
      }
      if (s.admitted > 0) admissions.push({ ...k, admitted: s.admitted });
      if (s.retrySeen) retries.push({ ...k, retries: s.retries, giveUps: toRecord(s.giveUps), budgetExhausted: s.budgetExhausted });
      if (s.timeouts > 0) timeouts.push({ ...k, timeouts: s.timeouts });
      if (s.fallbackSeen) fallbacks.push({ ...k, tiers: toRecord(s.tiers), exhausted: s.fallbackExhausted });
      for (const [fk, n] of s.injections) {
        const [fault, faultKind] = fk.split('\u0000') as [string, string];
        injections.push({ ...k, fault, faultKind, injections: n });
      }
      const h = hedgingOf(s);
      if (h !== undefined) hedging.push(h);
      const c = limitChangesOf(s);
      if (c !== undefined) limitChanges.push(c);
    }
    const breakers: BreakerSnapshot[] = [];
    for (const b of this.breakers.values()) {
      const live = this.liveBreakers.get(b.name);
      breakers.push(b.snapshot(now, live === undefined ? undefined : readState(live)));
    }
    const bulkheads: BulkheadSnapshot[] = [];
    for (const [name, entry] of this.bulkheads) {
      const stats = readStats(entry.source);
      if (stats !== undefined) bulkheads.push({ name, ...stats });
    }
    const rateLimiters: RateLimiterSnapshot[] = [];
    for (const [name, entry] of this.rateLimiters) {
      const queued = readQueued(entry.source);
      if (queued !== undefined) rateLimiters.push({ name, queued });
    }
    const concurrencyLimits: ConcurrencyLimitSnapshot[] = [];
    for (const [name, entry] of this.concurrencyLimits) {
      const live = readConcurrency(entry.source);
      if (live !== undefined) concurrencyLimits.push({ name, ...live });
    }
    return {
      time: now,
      calls,
      rejections,
      admissions,
      retries,
      timeouts,
      fallbacks,
      injections,
      breakers,
      bulkheads,
      rateLimiters,
      hedging,
      limitChanges,
      concurrencyLimits,
      dropped: { operations: this.series.droppedOperations, labelSets: this.series.droppedLabelSets },
    };
  }

  /** Upper bounds (seconds) of the exported call-duration histogram buckets, without `+Inf`. */
  durationBuckets(): number[] {
    return new LogHistogram(this.histogramOptions).exportedBuckets().map((b) => b.le / 1000);
  }

  /**
   * The metrics in the Prometheus text exposition format (version 0.0.4), valid for
   * `promtool check metrics`. Serve it with `createMetricsHandler(metrics)`.
   */
  toPrometheus(): string {
    return renderPrometheus(this.collect());
  }

  /**
   * Every metric as families of samples in base units (seconds, ratios), named as in
   * {@link MetricNames}: what the Prometheus, prom-client and OpenTelemetry exporters
   * render. Families without samples are included (empty).
   */
  collect(): MetricFamily[] {
    const durations: ExportedDurations[] = [];
    return toMetricFamilies(this.read(durations), durations);
  }
}

/** Registers a live source under its name; a second source with a taken name is not read. */
function addLive<T extends { readonly name: string }>(map: Map<string, LiveEntry<T>>, source: T): void {
  const entry = map.get(source.name);
  if (entry === undefined) map.set(source.name, { source, refs: 1 });
  else if (entry.source === source) entry.refs++;
}

/** Undoes one {@link addLive}. */
function removeLive<T extends { readonly name: string }>(map: Map<string, LiveEntry<T>>, source: T): void {
  const entry = map.get(source.name);
  if (entry !== undefined && entry.source === source && --entry.refs === 0) map.delete(source.name);
}

/** The calls of one series at `now`. */
function callsOf(s: Series, now: number): CallSeriesSnapshot {
  const outcomes = {} as Record<CallOutcome, number>;
  let total = 0;
  CallOutcomes.forEach((o, i) => {
    outcomes[o] = s.outcomes[i] as number;
    total += s.outcomes[i] as number;
  });
  const window = s.window?.read(now) ?? { good: 0, total: 0 };
  return {
    ...s.key,
    outcomes,
    total,
    rejections: toRecord(s.rejections),
    duration: (s.duration as LogHistogram).snapshot(),
    availability: window.total > 0 ? window.good / window.total : undefined,
    window,
  };
}

function exportedDurations(h: LogHistogram): ExportedDurations {
  return { buckets: h.exportedBuckets(), sum: h.sum, count: h.count };
}

/**
 * Creates a metrics aggregator. Observe policies or pipelines with `observe()`, then read
 * `snapshot()`, `toPrometheus()` (from `breakwater/metrics`) or attach an adapter.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ availabilityWindow: 60_000, labelKeys: ['region'] });
 * metrics.observe(payments);
 * const { calls, breakers } = metrics.snapshot();
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new Metrics(options);
}
