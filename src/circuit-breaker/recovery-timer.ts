/**
 * @internal The circuit breaker's one timer: while the breaker is open and someone can hear
 * `half-opened`, it fires when the recovery timeout elapses. It is unref'd (a background
 * timer never keeps a process alive), and an error thrown by the clock or by what it runs
 * is reported through `reportInternalError`, never thrown into the clock.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';
import { reportInternalError } from '../core/report';
import { circuitBreakerDefaults, type RecoveryTimeout } from './options';
import type { ProbePermits } from './probe-permits';

/**
 * @internal The break of the `opens`-th consecutive open: the `recoveryTimeout` option, or
 * what its function returns. A function that throws (reported) or returns anything but a
 * finite number ≥ 0 counts as the default.
 */
export function recoveryTimeoutFor(r: RecoveryTimeout, opens: number, breaker: string): number {
  if (typeof r === 'number') return r;
  let v: unknown;
  try {
    v = r(opens);
  } catch (error) {
    reportInternalError(error, `circuit breaker "${breaker}" recoveryTimeout`);
  }
  return typeof v === 'number' && v >= 0 && Number.isFinite(v) ? v : circuitBreakerDefaults.recoveryTimeout;
}

/** Longest delay a platform timer takes (Node fires longer ones after 1 ms). */
const MAX_TIMER_DELAY = 2_147_483_647;

/** @internal A one-shot, unref'd, re-armable timer. */
export class RecoveryTimer {
  private handle: unknown = undefined;
  private isArmed = false;

  constructor(
    private readonly clock: Clock,
    /** Names the timer in reported errors, e.g. `circuit breaker "payments" recovery timer`. */
    private readonly label: string,
    private readonly onFire: () => void,
  ) {}

  /** True from {@link RecoveryTimer.arm} until it fires or is cleared. */
  get armed(): boolean {
    return this.isArmed;
  }

  /** Fires `onFire` in `delay` ms (negative counts as 0; capped at the longest platform delay). Call only when not armed. */
  arm(delay: number): void {
    let handle: unknown;
    try {
      handle = this.clock.setTimeout(() => this.fired(handle), Math.min(MAX_TIMER_DELAY, Math.max(0, delay)));
    } catch (error) {
      reportInternalError(error, this.label);
      return;
    }
    this.handle = handle;
    this.isArmed = true;
    unrefTimer(handle);
  }

  /** Cancels the armed timer. */
  clear(): void {
    const handle = this.handle;
    this.handle = undefined;
    this.isArmed = false;
    try {
      this.clock.clearTimeout(handle);
    } catch (error) {
      reportInternalError(error, this.label);
    }
  }

  private fired(handle: unknown): void {
    if (!this.isArmed || this.handle !== handle) return; // cleared (and maybe re-armed) meanwhile
    this.handle = undefined;
    this.isArmed = false;
    try {
      this.onFire();
    } catch (error) {
      reportInternalError(error, this.label);
    }
  }
}

/** @internal How `describe()` shows the recovery options: the timeout (a number, or the function's name) and the half-open settings. */
export function describeRecovery(r: RecoveryTimeout, p: Pick<ProbePermits, 'maxProbes' | 'successThreshold' | 'probeTimeout'>): Record<string, unknown> {
  return {
    recoveryTimeout: typeof r === 'number' ? r : `function ${r.name || '(anonymous)'}`,
    halfOpen: { maxProbes: p.maxProbes, successThreshold: p.successThreshold, probeTimeout: p.probeTimeout },
  };
}
