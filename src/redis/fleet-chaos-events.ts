/**
 * Events of a `RedisChaosFleet`: what the fleet did here and what it heard — members
 * arming and halting anywhere, halts applied, faults switched by fleet experiments, holds
 * while Redis is unreachable, and messages it ignored.
 *
 * @packageDocumentation
 */
import type { ChaosFleetState } from '../chaos/fleet';
import type { MessageRejection } from './codec';

/** Fields of every fleet-chaos event. */
interface FleetChaosEventBase {
  readonly kind: 'redis-chaos-fleet';
  /** Clock time (ms) of the event. */
  readonly time: number;
}

/**
 * One member's row of the fleet view (see `RedisChaosFleet.members()`).
 *
 * @example
 * ```ts
 * const injecting = fleet.members().filter((m: ChaosFleetMemberView) => m.state === 'armed').map((m) => m.member);
 * ```
 */
export interface ChaosFleetMemberView {
  /** The member's id: its instance id (`#2`, `#3`… for further controllers of one instance). */
  readonly member: string;
  /** True for a controller of this process. */
  readonly local: boolean;
  /** Its state: `armed`, `held`, `halted` or `off`. */
  readonly state: ChaosFleetState;
  /** The environment it armed in. */
  readonly environment: string;
  /** Why it is not injecting, when it is not. */
  readonly reason: string | undefined;
  /** Milliseconds it had left before disarming by itself, when it announced (`undefined`: never). */
  readonly expiresIn: number | undefined;
  /** The faults it offered to fleet experiments. */
  readonly faults: readonly string[];
  /** Those a fleet experiment has switched on there. */
  readonly switchedOn: readonly string[];
  /** Clock time (ms, this process's clock) of its last announcement. */
  readonly seenAt: number;
}

/** A member announced a new state (here or anywhere in the fleet): arming and halting are visible fleet-wide. */
export interface FleetMemberEvent extends FleetChaosEventBase, Omit<ChaosFleetMemberView, 'seenAt'> {
  readonly type: 'member';
}

/** A member left the fleet (disarmed, re-armed elsewhere, or its fleet closed). */
export interface FleetMemberLeftEvent extends FleetChaosEventBase {
  readonly type: 'member-left';
  readonly member: string;
  readonly local: boolean;
}

/** A halt was applied to this process's controllers. */
export interface FleetHaltedEvent extends FleetChaosEventBase {
  readonly type: 'halted';
  /** `local`: a controller here halted; `fleet`: a halt message arrived; `flag`: the halt flag was found set (joining, reconnecting, polling). */
  readonly source: 'local' | 'fleet' | 'flag';
  readonly reason: string;
  /** Who halted: a member id, or the `i` of the message (e.g. `ops` for redis-cli); `undefined` when unknown. */
  readonly by: string | undefined;
  /** How many controllers of this process it reached. */
  readonly members: number;
}

/** A fleet experiment elsewhere switched faults here. */
export interface FleetSwitchedEvent extends FleetChaosEventBase {
  readonly type: 'switched';
  readonly on: boolean;
  readonly experiment: string;
  /** The faults it named. */
  readonly faults: readonly string[];
  /** Those switched here (an unarmed, held or halted controller switches nothing on). */
  readonly applied: readonly string[];
  /** Who asked (member id or instance id). */
  readonly by: string;
}

/** The fleet holds this process's controllers (Redis unreachable, or not yet confirmed) or released them. */
export interface FleetHoldEvent extends FleetChaosEventBase {
  readonly type: 'held' | 'released';
  /** Why held (`undefined` on release). */
  readonly reason: string | undefined;
}

/** A message on the chaos channel was ignored: rejected by the codec, of an unknown kind (`arm`…), or with a payload that is not one of its kind. */
export interface FleetMessageIgnoredEvent extends FleetChaosEventBase {
  readonly type: 'message-ignored';
  readonly reason: MessageRejection | 'unknown-kind' | 'bad-payload';
  /** The message's kind, when the envelope was readable. */
  readonly messageKind: string | undefined;
  /** The sender's instance id, when the envelope was readable. */
  readonly from: string | undefined;
}

/** A Redis operation of the fleet failed (it is retried: a halt at the next reconnection, the flag at the next poll). */
export interface FleetErrorEvent extends FleetChaosEventBase {
  readonly type: 'error';
  readonly operation: 'halt' | 'publish' | 'read-flag' | 'keep-flag' | 'subscribe';
  readonly error: unknown;
}

/**
 * Every event of a `RedisChaosFleet`.
 *
 * @example
 * ```ts
 * fleet.onEvent((e: FleetChaosEvent) => {
 *   if (e.type === 'member') dashboard.set(e.member, e.state);
 * });
 * ```
 */
export type FleetChaosEvent = FleetMemberEvent | FleetMemberLeftEvent | FleetHaltedEvent | FleetSwitchedEvent | FleetHoldEvent | FleetMessageIgnoredEvent | FleetErrorEvent;

/** @internal An event without the fields the fleet stamps. */
export type FleetChaosEventPayload = FleetChaosEvent extends infer E ? (E extends FleetChaosEvent ? Omit<E, 'kind' | 'time'> : never) : never;

/**
 * Names of the fleet-chaos events.
 *
 * @example
 * ```ts
 * fleet.on(FleetChaosEvents.halted, (e) => log.warn(`chaos halted (${e.source}) by ${e.by}: ${e.reason}`));
 * ```
 */
export const FleetChaosEvents = {
  /** {@link FleetMemberEvent} */
  member: 'member',
  /** {@link FleetMemberLeftEvent} */
  memberLeft: 'member-left',
  /** {@link FleetHaltedEvent} */
  halted: 'halted',
  /** {@link FleetSwitchedEvent} */
  switched: 'switched',
  /** {@link FleetHoldEvent} */
  held: 'held',
  /** {@link FleetHoldEvent} */
  released: 'released',
  /** {@link FleetMessageIgnoredEvent} */
  messageIgnored: 'message-ignored',
  /** {@link FleetErrorEvent} */
  error: 'error',
} as const;
