/**
 * A synchronous driver for the circuit breaker's tests: it runs the breaker's strategy
 * directly, captures the inner continuation of each admitted call and lets the test settle
 * it whenever it likes. A test helper (test/support/), never part of the package.
 */
import { ExecutionContext } from '../../src/core/context';
import type { Emitter, ResilienceEvent } from '../../src/core/events';
import type { Done, Outcome } from '../../src/core/outcome';
import { Link, type Strategy } from '../../src/core/policy';
import { VirtualClock } from '../../src/testing/virtual-clock';
import { circuitBreaker, type CircuitBreakerPolicy } from '../../src/circuit-breaker/circuit-breaker';
import type { CircuitBreakerEvent } from '../../src/circuit-breaker/events';
import type { CircuitBreakerOptions } from '../../src/circuit-breaker/options';

/** @internal An error the test breakers do not handle (verdict Ignored). */
export class NotHandledError extends Error {}

/** @internal What a test call can end with. */
export type CallEnd = 'success' | 'failure' | 'ignored' | 'bad-result';

/** @internal A call admitted by the breaker, waiting for the test to settle it. */
export interface PendingCall {
  readonly id: number;
  readonly settle: Done;
  /** The outcome the breaker passed out, once settled. */
  result: Outcome | undefined;
}

/** @internal */
export type StartResult = { admitted: true; call: PendingCall } | { admitted: false; error: unknown };

/** @internal */
export class BreakerDriver {
  readonly clock: VirtualClock;
  readonly breaker: CircuitBreakerPolicy;
  readonly events: CircuitBreakerEvent[] = [];
  private readonly head: Link;
  private captured: Done | undefined;
  private nextId = 1;

  constructor(options: Omit<CircuitBreakerOptions, 'clock' | 'handle' | 'handleResult'>, clock = new VirtualClock(), listen = true) {
    this.clock = clock;
    this.breaker = circuitBreaker({
      ...options,
      clock,
      handle: (e) => !(e instanceof NotHandledError),
      handleResult: (v) => v === 'bad',
    });
    const capture: Strategy = {
      kind: 'capture',
      name: 'capture',
      run: (_ctx, _link, done) => {
        this.captured = done;
      },
    };
    const entry = this.breaker.entries()[0];
    if (entry === undefined) throw new Error('breaker has no strategy');
    this.head = new Link(this.breaker, entry.emitters as readonly Emitter<ResilienceEvent>[], new Link(capture, [], undefined));
    if (listen) this.breaker.onEvent((e) => this.events.push(e as CircuitBreakerEvent));
  }

  /** Offers one call to the breaker. */
  start(): StartResult {
    const ctx = new ExecutionContext(this.clock, undefined, 'default', undefined);
    this.captured = undefined;
    let rejected: Outcome | undefined;
    let admitted = false;
    const call: PendingCall = { id: this.nextId++, settle: () => {}, result: undefined };
    this.breaker.run(ctx, this.head, (o) => {
      if (admitted) call.result = o;
      else rejected = o;
    });
    const inner = this.captured as Done | undefined;
    admitted = inner !== undefined;
    if (inner === undefined) {
      if (rejected === undefined || rejected.ok) throw new Error('breaker neither admitted nor rejected the call');
      return { admitted: false, error: rejected.error };
    }
    (call as { settle: Done }).settle = inner;
    this.captured = undefined;
    return { admitted: true, call };
  }

  /** Settles an admitted call. */
  finish(call: PendingCall, end: CallEnd): void {
    if (end === 'success') call.settle({ ok: true, value: 'ok' });
    else if (end === 'bad-result') call.settle({ ok: true, value: 'bad' });
    else if (end === 'failure') call.settle({ ok: false, error: new Error('boom') });
    else call.settle({ ok: false, error: new NotHandledError('not handled') });
    if (call.result === undefined) throw new Error('breaker did not pass the outcome on');
  }

  /** Transition events seen so far, as short strings. */
  transitions(): string[] {
    return this.events.flatMap((e) =>
      e.type === 'opened'
        ? [`opened:${e.reason}:${e.from}`]
        : e.type === 'half-opened'
          ? ['half-opened']
          : e.type === 'closed'
            ? [`closed:${e.reason}:${e.from}`]
            : [],
    );
  }
}
