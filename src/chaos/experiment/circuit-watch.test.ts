// The circuit watch on a VirtualClock: breakers with onEvent are followed through their
// events (state read once); others are polled as before.
import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../circuit-breaker/index';
import { VirtualClock } from '../../testing/virtual-clock';
import { CircuitWatch } from './circuit-watch';
import type { WatchedCircuit } from './experiment-options';

interface FakeEvent {
  readonly type: string;
  readonly time: number;
  readonly reason?: string;
  readonly retryAfter?: number;
}

/** A breaker stand-in that counts reads of `state` and emits the events we give it. */
function fakeBreaker(name: string, initial = 'closed') {
  let reads = 0;
  let state = initial;
  const listeners = new Set<(e: FakeEvent) => void>();
  const circuit: WatchedCircuit = {
    name,
    get state() {
      reads++;
      return state;
    },
    onEvent: (l) => {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
  };
  return {
    circuit,
    get reads() {
      return reads;
    },
    get listeners() {
      return listeners.size;
    },
    emit(e: FakeEvent, next?: string) {
      if (next !== undefined) state = next;
      for (const l of listeners) l(e);
    },
  };
}

describe('CircuitWatch: through events', () => {
  it('reads state once, records each transition at its event time, and detects openings once', () => {
    const clock = new VirtualClock(1_000);
    const b = fakeBreaker('gw');
    const opened: [number, string][] = [];
    const watch = new CircuitWatch([b.circuit], clock, (at, what) => opened.push([at, what]));
    watch.start(clock.now());
    expect(b.reads).toBe(1);
    b.emit({ type: 'success', time: 1_100 });
    b.emit({ type: 'opened', time: 1_200, reason: 'failures', retryAfter: 500 }, 'open');
    b.emit({ type: 'rejected', time: 1_300, retryAfter: 400 });
    watch.afterCall();
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'open' });
    b.emit({ type: 'half-opened', time: 1_700 }, 'half-open');
    b.emit({ type: 'opened', time: 1_720, reason: 'probe-failed', retryAfter: 500 }, 'open');
    b.emit({ type: 'half-opened', time: 2_220 }, 'half-open');
    b.emit({ type: 'closed', time: 2_240, reason: 'probes-succeeded' }, 'closed');
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'open' });
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'closed' });
    expect(b.reads).toBe(1); // never polled
    // Each opening from a non-open state detects: the first, and the reopening after half-open.
    expect(opened).toEqual([
      [200, 'circuit gw opened'],
      [720, 'circuit gw opened'],
    ]);
    expect(watch.closedAfter(1_000)).toBe(240); // closed at 2 240 on the clock = 1 240 since the start
    expect(watch.closedAfter(null)).toBeNull();
  });

  it('an open breaker counts as half-open at an evaluation once retryAfter has elapsed, before its half-opened event', async () => {
    const clock = new VirtualClock();
    const b = fakeBreaker('gw');
    const watch = new CircuitWatch([b.circuit], clock, () => undefined);
    watch.start(0);
    b.emit({ type: 'opened', time: 0, reason: 'failures', retryAfter: 500 }, 'open');
    await clock.advance(499);
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'open' });
    await clock.advance(1);
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'open' }); // the worst of the window that ends
    expect(watch.takeWindow()).toEqual({ gw: 'half-open' }); // the next window starts half-open
    expect(watch.closedAfter(0)).toBeNull();
  });

  it('an isolated breaker stays isolated (never due half-open) until it closes', async () => {
    const clock = new VirtualClock();
    const b = fakeBreaker('gw');
    const opened: number[] = [];
    const watch = new CircuitWatch([b.circuit], clock, (at) => opened.push(at));
    watch.start(0);
    b.emit({ type: 'opened', time: 100, reason: 'isolated', retryAfter: Number.POSITIVE_INFINITY }, 'isolated');
    await clock.advance(10_000);
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'isolated' });
    expect(watch.takeWindow()).toEqual({ gw: 'isolated' });
    b.emit({ type: 'closed', time: 10_050, reason: 'reset' }, 'closed');
    expect(watch.takeWindow()).toEqual({ gw: 'isolated' });
    expect(watch.takeWindow()).toEqual({ gw: 'closed' });
    expect(opened).toEqual([100]);
    expect(watch.closedAfter(5_000)).toBe(5_050);
  });

  it('stop() unsubscribes; later events change nothing', () => {
    const clock = new VirtualClock();
    const b = fakeBreaker('gw');
    const watch = new CircuitWatch([b.circuit], clock, () => undefined);
    watch.start(0);
    expect(b.listeners).toBe(1);
    watch.stop();
    expect(b.listeners).toBe(0);
    b.emit({ type: 'opened', time: 5, retryAfter: 10 }, 'open');
    expect(watch.takeWindow()).toEqual({ gw: 'closed' });
  });

  it('a CircuitBreakerPolicy is watched through onEvent: its state is not read after the start', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ name: 'gw', failureThreshold: 1, recoveryTimeout: 1_000, clock });
    let reads = 0;
    const spied = new Proxy(breaker, {
      get(target, key) {
        if (key === 'state') reads++;
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const opened: number[] = [];
    const watch = new CircuitWatch([spied], clock, (at) => opened.push(at));
    watch.start(0);
    await clock.advance(100);
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    watch.afterCall();
    expect(opened).toEqual([100]);
    await clock.advance(1_000); // the breaker's recovery timer emits half-opened at 1 100
    watch.beforeEvaluation();
    expect(watch.takeWindow()).toEqual({ gw: 'open' });
    expect(watch.takeWindow()).toEqual({ gw: 'half-open' });
    await breaker.execute(() => 'ok');
    watch.afterCall();
    expect(watch.closedAfter(0)).toBe(1_100);
    expect(reads).toBe(1);
    watch.stop();
    expect(clock.pending).toBe(0); // no listener left: the breaker's recovery timer is gone
  });
});

describe('CircuitWatch: polled', () => {
  it('an object { name, state } is read after every call and at every evaluation', () => {
    const clock = new VirtualClock();
    let state = 'closed';
    let reads = 0;
    const circuit: WatchedCircuit = {
      name: 'legacy',
      get state() {
        reads++;
        return state;
      },
    };
    const opened: number[] = [];
    const watch = new CircuitWatch([circuit], clock, (at) => opened.push(at));
    watch.start(0);
    state = 'open';
    watch.afterCall();
    watch.beforeEvaluation();
    expect(reads).toBe(3);
    expect(opened).toEqual([0]);
    expect(watch.takeWindow()).toEqual({ legacy: 'open' });
  });

  it('a state read that throws after a call is ignored; at an evaluation it throws', () => {
    const clock = new VirtualClock();
    let fail = false;
    const circuit: WatchedCircuit = {
      name: 'legacy',
      get state() {
        if (fail) throw new Error('unreachable');
        return 'closed';
      },
    };
    const watch = new CircuitWatch([circuit], clock, () => undefined);
    watch.start(0);
    fail = true;
    expect(() => watch.afterCall()).not.toThrow();
    expect(() => watch.beforeEvaluation()).toThrow('unreachable');
  });

  it('with on("opened") but no onEvent, openings get their event time and the state is still polled', async () => {
    const clock = new VirtualClock();
    let state = 'closed';
    let onOpened: ((e: { time: number }) => void) | undefined;
    const circuit: WatchedCircuit = {
      name: 'legacy',
      get state() {
        return state;
      },
      on: (_type, l) => {
        onOpened = l;
        return { dispose: () => (onOpened = undefined) };
      },
    };
    const opened: number[] = [];
    const watch = new CircuitWatch([circuit], clock, (at) => opened.push(at));
    watch.start(0);
    await clock.advance(300);
    state = 'open';
    onOpened?.({ time: 250 });
    watch.afterCall(); // sees no change
    expect(opened).toEqual([250]);
    state = 'closed';
    watch.afterCall();
    expect(watch.closedAfter(0)).toBe(300);
    watch.stop();
    expect(onOpened).toBeUndefined();
  });
});
