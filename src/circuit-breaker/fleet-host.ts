/**
 * @internal The fleet's transitions on one breaker: the {@link FleetHost} that a breaker's
 * `FleetLink` calls when the fleet's reports arrive. It holds the rules (which state
 * each fleet transition applies from); the breaker lends it the few operations it needs
 * ({@link BreakerPort}). Nothing here runs on a call's path: only the fleet's reports and
 * publishes reach it.
 *
 * @packageDocumentation
 */
import type { Clock } from '../core/clock';
import type { CircuitState } from './events';
import type { FleetHost } from './fleet-link';

/** @internal What a breaker lends its fleet host: reads of its state and the transitions the fleet may apply. */
export interface BreakerPort {
  /** The state as last applied: an open breaker whose break has elapsed still reads `open` until it is refreshed. */
  applied(): CircuitState;
  /** The state at `now`, without applying anything (a due OPEN → HALF_OPEN counts as done). */
  stateAt(now: number): CircuitState;
  /** Applies a due OPEN → HALF_OPEN (emitting `half-opened`, whose listeners may move the breaker on) and returns the state then. */
  refreshed(): CircuitState;
  /** Clock time at which the current break ends (meaningful while `applied()` is `open`). */
  breakUntil(): number;
  /** Opens with reason `fleet` for `retryAfter` ms. */
  open(retryAfter: number): void;
  /** Moves the end of the current break to `until` (later than it was) and tells the fleet. */
  extendBreak(until: number): void;
  /** Closes with reason `fleet`. */
  close(): void;
  /** Emits an event that belongs to no call. */
  emit: FleetHost['emitFleet'];
}

/** @internal The {@link FleetHost} of a breaker, on top of its {@link BreakerPort}. */
export class BreakerFleetHost implements FleetHost {
  constructor(
    readonly name: string,
    readonly clock: Clock,
    private readonly breaker: BreakerPort,
  ) {}

  stateAt(now: number): CircuitState {
    return this.breaker.stateAt(now);
  }

  breakLeft(now: number): number {
    const b = this.breaker;
    // Stryker disable next-line ConditionalExpression: the link asks only while its evidence holds (open or half-open), and a half-open breaker's break ended at or before now, so the max() gives 0 there too
    return b.applied() === 'open' ? Math.max(0, b.breakUntil() - now) : 0;
  }

  openByFleet(retryAfter: number): void {
    const st = this.breaker.refreshed();
    // From closed (the quorum) or half-open (a fleet probe failed); not when a `half-opened` listener isolated it meanwhile.
    if (st === 'closed' || st === 'half-open') this.breaker.open(retryAfter);
  }

  holdOpenUntil(until: number): void {
    const b = this.breaker;
    // Stryker disable next-line ConditionalExpression: the link calls it only when stateAt(now) reads open (applied open, its break not over), and nothing runs in between
    if (b.applied() !== 'open') return;
    if (until <= b.breakUntil()) return; // never shortens the break
    b.extendBreak(until);
  }

  closeByFleet(): void {
    const st = this.breaker.refreshed();
    // From open or half-open (a fleet probe succeeded); not when a `half-opened` listener isolated it meanwhile.
    if (st === 'open' || st === 'half-open') this.breaker.close();
  }

  emitFleet(payload: Parameters<FleetHost['emitFleet']>[0]): void {
    this.breaker.emit(payload);
  }
}
