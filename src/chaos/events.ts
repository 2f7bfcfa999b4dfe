/**
 * Events of the chaos fault policies (kind `'chaos'`).
 *
 * @packageDocumentation
 */
import type { ResilienceEvent } from '../core/events';

/** What a fault injects. */
export type FaultKind = 'error' | 'latency' | 'outcome' | 'behavior' | 'hang' | 'exhaustion' | 'flapping';

/**
 * Emitted when a fault policy injects its fault into a call (before the fault acts).
 * The call's context is marked (`ctx.injected`), so the `executed` event and metrics
 * count the call apart from real failures.
 *
 * @example
 * ```ts
 * fault.on('injected', (e) => console.log(`${e.fault} (${e.faultKind}) hit ${e.operation}`));
 * ```
 */
export interface ChaosInjectedEvent extends ResilienceEvent {
  readonly kind: 'chaos';
  readonly type: 'injected';
  /** Name of the fault policy that injected (for a flapping fault: the flapping policy). */
  readonly fault: string;
  /** What was injected. A flapping fault reports `'flapping'` whatever it wraps. */
  readonly faultKind: FaultKind;
  /** Milliseconds of injected delay (latency) or of holding the permits (exhaustion), when there is one. */
  readonly delay?: number;
}

/** Every event a fault policy emits. */
export type ChaosEvent = ChaosInjectedEvent;

/** Names of the chaos events. */
export const ChaosEvents = {
  /** {@link ChaosInjectedEvent} */
  injected: 'injected',
} as const;
