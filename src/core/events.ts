/**
 * Typed events with disposable listeners. With no listener attached, emitting costs one
 * length check: policies test `link.listening` before they build an event object.
 *
 * @packageDocumentation
 */
import type { Labels } from './context';
import { reportInternalError } from './report';

/** What `on()` returns: call `dispose()` to remove the listener. Idempotent. */
export interface Subscription {
  /** Removes the listener. Calling it again does nothing. */
  dispose(): void;
}

/**
 * Fields every event carries.
 *
 * `kind` names the policy type (`'retry'`, `'circuit-breaker'`…), `type` the event
 * (`'retry'`, `'opened'`…), `policy` the policy's name; `pipeline` is the name of the
 * pipeline whose `execute()` ran the call (`undefined` when the policy ran alone).
 */
export interface ResilienceEvent {
  /** Policy kind, e.g. `'circuit-breaker'`. */
  readonly kind: string;
  /** Event type within the kind, e.g. `'opened'`. */
  readonly type: string;
  /** Name of the policy that emitted it. */
  readonly policy: string;
  /** Name of the executing pipeline, if the call ran through one. */
  readonly pipeline: string | undefined;
  /** Operation key of the call (`'default'` when none was given). */
  readonly operation: string;
  /** Labels of the call. */
  readonly labels: Labels;
  /** Clock time (ms) when the event happened. */
  readonly time: number;
}

/** The fields a policy supplies; the pipeline adds the rest. @internal */
export type EventPayload<E extends ResilienceEvent> = E extends unknown
  ? Omit<E, 'kind' | 'policy' | 'pipeline' | 'operation' | 'labels' | 'time'>
  : never;

/**
 * Moves whenever a listener is added to or removed from any emitter, and whenever the first
 * call starts or the last call stops being observed (`core/call-observer.ts`). A chain link
 * remembers whether anyone listens to it and asks again only after it moved.
 */
let epoch = 0;

/** @internal The listener epoch: equal readings mean nobody started or stopped listening in between. */
export function listenerEpoch(): number {
  return epoch;
}

/** @internal Records that listening changed somewhere (a listener came or went, observation began or ended). */
export function listenersChanged(): void {
  epoch++;
}

/** A listener of events of type `E`. */
export type Listener<E> = (event: E) => void;

/**
 * A minimal typed emitter. Listeners that throw are contained: the error is reported with
 * `console.error` and the other listeners and the call go on.
 */
export class Emitter<E> {
  private listeners: Listener<E>[] = [];

  /** Number of listeners. */
  get size(): number {
    return this.listeners.length;
  }

  /** Adds a listener; returns a {@link Subscription}. */
  on(listener: Listener<E>): Subscription {
    // Copy-on-write so emit() can iterate without copying.
    this.listeners = [...this.listeners, listener];
    epoch++;
    let active = true;
    return {
      dispose: () => {
        if (!active) return;
        active = false;
        const i = this.listeners.indexOf(listener);
        if (i >= 0) this.listeners = [...this.listeners.slice(0, i), ...this.listeners.slice(i + 1)];
        epoch++;
      },
    };
  }

  /** Calls every listener with `event`. */
  emit(event: E): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        (ls[i] as Listener<E>)(event);
      } catch (error) {
        reportInternalError(error, 'an event listener');
      }
    }
  }
}

/**
 * Emitted by the policy or pipeline whose `execute()` ran a call, when the call settles
 * (only while someone listens: the start time is read only then).
 */
export interface ExecutedEvent extends ResilienceEvent {
  readonly kind: 'execution';
  readonly type: 'executed';
  /** Milliseconds from `execute()` to settlement. */
  readonly duration: number;
  /** Whether the call resolved. */
  readonly ok: boolean;
  /** The rejection, when `ok` is false. */
  readonly error: unknown;
  /** The call's last attempt number (1 without retries). */
  readonly attempts: number;
  /** True when a fallback tier produced the result. */
  readonly fallback: boolean;
  /** True when a chaos fault was injected into the call. */
  readonly injected: boolean;
  /** True when the caller's own signal cancelled the call. */
  readonly cancelled: boolean;
}

/** Names of the core events. */
export const ExecutionEvents = {
  /** {@link ExecutedEvent} */
  executed: 'executed',
} as const;
