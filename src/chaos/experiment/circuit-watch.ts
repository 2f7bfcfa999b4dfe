/**
 * Watching the experiment's circuit breakers: the state of each over time (the worst
 * state per window, for the charts), openings (for time to detect), and when each closed
 * again (for `circuitsClosedAfter`).
 *
 * A breaker with `onEvent` (a `CircuitBreakerPolicy`) is watched through its events:
 * `opened`, `half-opened` and `closed` arrive at their exact time, and its `state` is read
 * once, at the start. An open breaker is due half-open `retryAfter` ms after it opened
 * (the breaker's own rule), so an evaluation at that instant sees it half-open whichever
 * timer runs first. Any other object `{ name, state }` is polled after every call and at
 * every evaluation, with its `on('opened')` (if any) giving openings their exact time.
 *
 * @packageDocumentation
 */
import { isCircuitState, type CircuitState } from '../../core/circuit-states';
import type { Clock } from '../../core/clock';
import { safely } from './user-callbacks';
import type { WatchedCircuit } from './experiment-options';
import { round } from './window-stats';

/** Worse states rank higher: a window's chart shows the worst state seen in it. */
const STATE_RANK: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };
const rank = (s: string): number => (isCircuitState(s) ? STATE_RANK[s] : 1);

/** What the watch knows of one breaker (breakers of one name share it). */
interface Track {
  /** The state last seen. */
  last: string;
  /** The worst state seen in the current window. */
  worst: string;
  /** When it last became closed (ms since the start; absent while it is not closed). */
  closedAt: number | undefined;
  /** Event-watched and open: clock time when it is due half-open. */
  halfOpenDue: number;
}

interface WatchedEvent {
  readonly type: string;
  readonly time: number;
  readonly reason?: string | undefined;
  readonly retryAfter?: number | undefined;
}

/** The watch over an experiment's breakers, from {@link CircuitWatch.start} to {@link CircuitWatch.stop}. */
export class CircuitWatch {
  private readonly tracks = new Map<string, Track>();
  /** Breakers without `onEvent`: read after every call and at every evaluation. */
  private readonly polled: WatchedCircuit[] = [];
  private readonly subscriptions: { dispose(): void }[] = [];
  private stopped = false;
  private t0 = 0;

  /**
   * @param circuits - the breakers to watch
   * @param clock - the experiment's clock
   * @param opened - told of every opening (`at`: ms since the start)
   */
  constructor(
    private readonly circuits: readonly WatchedCircuit[],
    private readonly clock: Clock,
    private readonly opened: (at: number, what: string) => void,
  ) {}

  /** Whether some breaker is read after each call ({@link CircuitWatch.afterCall} does something). */
  get polls(): boolean {
    return this.polled.length > 0;
  }

  /** Reads each breaker's state once and subscribes (`t0`: the experiment's start on the clock). */
  start(t0: number): void {
    this.t0 = t0;
    for (const c of this.circuits) {
      const s = c.state;
      this.tracks.set(c.name, { last: s, worst: s, closedAt: undefined, halfOpenDue: Number.POSITIVE_INFINITY });
      if (typeof c.onEvent === 'function') {
        this.subscriptions.push(c.onEvent((e) => this.onEvent(c.name, e)));
        continue;
      }
      this.polled.push(c);
      if (typeof c.on === 'function') {
        this.subscriptions.push(
          c.on('opened', (e) => {
            if (!this.stopped) this.note(c.name, 'open', typeof e.time === 'number' ? round(e.time - t0) : this.now());
          }),
        );
      }
    }
  }

  /** After a call completed: reads the polled breakers (a failing read is ignored). */
  afterCall(): void {
    if (this.polled.length > 0) safely(() => this.poll());
  }

  /** Before an evaluation: brings every breaker's state up to now (a failing read throws). */
  beforeEvaluation(): void {
    this.poll();
    const now = this.clock.now();
    for (const [name, t] of this.tracks) {
      if (t.last === 'open' && now >= t.halfOpenDue) this.note(name, 'half-open', this.now());
    }
  }

  /** The worst state of each breaker in the window that ends; the next window starts from the current states. */
  takeWindow(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, t] of this.tracks) {
      out[name] = t.worst;
      t.worst = t.last;
    }
    return out;
  }

  /**
   * From `faultsOffAt` until every breaker was closed again (see
   * `ExperimentJournal.circuitsClosedAfter`); `null` when one is not closed, none is
   * watched, or faults never went off.
   */
  closedAfter(faultsOffAt: number | null): number | null {
    if (faultsOffAt === null || this.tracks.size === 0) return null;
    let latest = faultsOffAt;
    for (const t of this.tracks.values()) {
      if (t.last !== 'closed') return null;
      if (t.closedAt !== undefined && t.closedAt > latest) latest = t.closedAt;
    }
    return round(latest - faultsOffAt);
  }

  /** Unsubscribes; later events and reads change nothing. */
  stop(): void {
    this.stopped = true;
    for (const s of this.subscriptions) safely(() => s.dispose());
  }

  private now(): number {
    return round(this.clock.now() - this.t0);
  }

  private poll(): void {
    for (const c of this.polled) this.note(c.name, c.state, this.now());
  }

  private onEvent(name: string, e: WatchedEvent): void {
    if (this.stopped) return;
    const at = typeof e.time === 'number' ? round(e.time - this.t0) : this.now();
    const track = this.tracks.get(name) as Track;
    if (e.type === 'opened') {
      const isolated = e.reason === 'isolated';
      const retryAfter = typeof e.retryAfter === 'number' && !isolated ? e.retryAfter : Number.POSITIVE_INFINITY;
      this.note(name, isolated ? 'isolated' : 'open', at);
      track.halfOpenDue = (typeof e.time === 'number' ? e.time : this.clock.now()) + retryAfter;
    } else if (e.type === 'half-opened') this.note(name, 'half-open', at);
    else if (e.type === 'closed') this.note(name, 'closed', at);
  }

  private note(name: string, state: string, at: number): void {
    const t = this.tracks.get(name) as Track;
    const prev = t.last;
    t.last = state;
    if (state !== 'closed') t.closedAt = undefined;
    else if (prev !== 'closed') t.closedAt = at;
    if (rank(state) > rank(t.worst)) t.worst = state;
    // An opening seen by an event and then by a read counts once (the read sees no change).
    if ((state === 'open' || state === 'isolated') && prev !== 'open' && prev !== 'isolated') this.opened(at, `circuit ${name} opened`);
  }
}
