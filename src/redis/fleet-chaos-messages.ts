/**
 * Fleet chaos on Redis: the messages on the `<prefix>:chaos` channel, their defensive
 * payload decoders, and the Lua scripts of the halt flag.
 *
 * Every message is the coordinator's envelope (`codec.ts`); this module reads the `d`
 * payload of each kind. Bytes from Redis are untrusted: a decoder never throws, and a
 * payload it cannot read is ignored with an event — except a **halt**, which is never
 * refused for its payload (stopping chaos is the safe direction): a missing or unreadable
 * reason becomes a default one.
 *
 * | kind | payload `d` | effect on an instance |
 * | --- | --- | --- |
 * | `halt` | `{ "reason"?: string }` (or `null`) | halts every controller; stores the halt flag if none is set |
 * | `switch` | `{ "on": bool, "faults": [string], "experiment": string, "duration": ms }` | an armed controller switches the faults it offered |
 * | `state` | a member's row (`member`, `state`, `environment`, …) | updates the fleet view only |
 * | `left` | `{ "member": string }` | removes the row from the fleet view |
 * | `roll-call` | `null` | every member announces its state again |
 *
 * Any other kind (`arm`, `enable`, …) is ignored with a `message-ignored` event: there is
 * no message that arms.
 *
 * @packageDocumentation
 */
import type { ChaosFleetAnnouncement, ChaosFleetState } from '../chaos/fleet';

/** @internal The channel name (under the coordinator's prefix): `<prefix>:chaos`. */
export const CHAOS_CHANNEL = 'chaos';

/** @internal The message kinds of fleet chaos. */
export const ChaosMessageKinds = {
  halt: 'halt',
  switch: 'switch',
  state: 'state',
  left: 'left',
  rollCall: 'roll-call',
} as const;

/** @internal Longest reason kept from a message (characters); longer ones are cut. */
export const MAX_REASON_LENGTH = 200;
/** @internal Most faults one `switch` message may name. */
export const MAX_SWITCH_FAULTS = 64;
/** @internal Longest a `switch` may keep faults on: 24 h. */
export const MAX_SWITCH_DURATION = 86_400_000;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const onlyKeys = (o: Record<string, unknown>, allowed: readonly string[]): boolean => Object.keys(o).every((k) => allowed.includes(k));

const isName = (v: unknown, max = 128): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max && !HAS_CONTROL.test(v);

/** @internal A printable, bounded copy of untrusted text, or `undefined` when it is no usable string. */
export function cleanText(v: unknown, max = MAX_REASON_LENGTH): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.replace(CONTROL, ' ').trim();
  if (s === '') return undefined;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** @internal A decoded `halt`. */
export interface HaltMessage {
  readonly reason: string;
  /** The member that halted, when a breakwater instance sent it. */
  readonly member: string | undefined;
  /** The sending fleet object (to skip its own echo). */
  readonly origin: string | undefined;
}

/** @internal Reads a `halt` payload: never refuses one (see the module's documentation). */
export function decodeHalt(payload: unknown, from: string): HaltMessage {
  const o = isObject(payload) ? payload : {};
  return {
    reason: cleanText(o['reason']) ?? `halted through Redis by "${cleanText(from, 128) ?? '?'}"`,
    member: isName(o['member'], 160) ? o['member'] : undefined,
    origin: isName(o['origin'], 64) ? o['origin'] : undefined,
  };
}

/** @internal A decoded `switch`. */
export interface SwitchMessage {
  readonly on: boolean;
  readonly faults: readonly string[];
  readonly experiment: string;
  readonly duration: number;
  readonly member: string | undefined;
  readonly origin: string | undefined;
}

/** @internal Reads a `switch` payload strictly; `undefined` when it is not one. */
export function decodeSwitch(payload: unknown): SwitchMessage | undefined {
  if (!isObject(payload) || !onlyKeys(payload, ['on', 'faults', 'experiment', 'duration', 'member', 'origin'])) return undefined;
  const { on, faults, experiment, duration, member, origin } = payload;
  if (typeof on !== 'boolean') return undefined;
  if (!Array.isArray(faults) || faults.length > MAX_SWITCH_FAULTS || !faults.every((f) => isName(f))) return undefined;
  if (!isName(experiment, MAX_REASON_LENGTH)) return undefined;
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0 || duration > MAX_SWITCH_DURATION || (on && duration <= 0)) return undefined;
  if (member !== undefined && !isName(member, 160)) return undefined;
  if (origin !== undefined && !isName(origin, 64)) return undefined;
  return { on, faults: [...(faults as string[])], experiment, duration, member: member as string | undefined, origin: origin as string | undefined };
}

/** @internal A member's row as sent in a `state` message. */
export interface StateMessage extends ChaosFleetAnnouncement {
  /** The member's id: the instance id, `#n` for a second controller of one instance. */
  readonly member: string;
  readonly origin: string | undefined;
}

const STATES: readonly ChaosFleetState[] = ['armed', 'held', 'halted', 'off'];

const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_SWITCH_FAULTS && v.every((f) => isName(f));

/** @internal Reads a `state` payload strictly; `undefined` when it is not one. */
export function decodeState(payload: unknown): StateMessage | undefined {
  if (!isObject(payload) || !onlyKeys(payload, ['member', 'state', 'environment', 'reason', 'expiresIn', 'faults', 'switchedOn', 'origin'])) return undefined;
  const { member, state, environment, reason, expiresIn, faults, switchedOn, origin } = payload;
  if (!isName(member, 160) || !STATES.includes(state as ChaosFleetState) || !isName(environment)) return undefined;
  if (reason !== null && reason !== undefined && typeof reason !== 'string') return undefined;
  if (expiresIn !== null && expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0)) return undefined;
  if (!isNames(faults) || !isNames(switchedOn)) return undefined;
  if (origin !== undefined && !isName(origin, 64)) return undefined;
  return {
    member,
    state: state as ChaosFleetState,
    environment,
    reason: reason === null || reason === undefined ? undefined : cleanText(reason, 500),
    expiresIn: expiresIn === null || expiresIn === undefined ? undefined : (expiresIn as number),
    faults: [...faults],
    switchedOn: [...switchedOn],
    origin: origin as string | undefined,
  };
}

/** @internal Reads a `left` payload; `undefined` when it is not one. */
export function decodeLeft(payload: unknown): { readonly member: string; readonly origin: string | undefined } | undefined {
  if (!isObject(payload) || !onlyKeys(payload, ['member', 'origin']) || !isName(payload['member'], 160)) return undefined;
  const origin = payload['origin'];
  if (origin !== undefined && !isName(origin, 64)) return undefined;
  return { member: payload['member'], origin: origin as string | undefined };
}

/** @internal The origin of a `roll-call` (`null` payload from a person is fine). */
export function decodeRollCall(payload: unknown): { readonly origin: string | undefined } {
  const origin = isObject(payload) ? payload['origin'] : undefined;
  return { origin: isName(origin, 64) ? origin : undefined };
}

/**
 * What the halt flag says (see `RedisChaosFleet.haltFlag()`); its value is untrusted: any
 * value at all means halted.
 *
 * @example
 * ```ts
 * const flag: HaltFlag | undefined = await fleet.haltFlag();
 * if (flag) console.log(`halted by ${flag.by ?? 'someone'}: ${flag.reason}`);
 * ```
 */
export interface HaltFlag {
  /** Why (the `reason` it was stored with, or a default one for a value set by hand). */
  readonly reason: string;
  /** Who halted (member or instance id), when recorded. */
  readonly by: string | undefined;
  /** When (Redis server time, epoch ms), when recorded. */
  readonly at: number | undefined;
  /** The stored value as read (tells one halt from the next). */
  readonly raw: string;
}

/** @internal Reads the halt flag's value: `undefined` when there is none; anything else is a halt. */
export function decodeFlag(value: unknown): HaltFlag | undefined {
  if (value === null || value === undefined || value === false) return undefined;
  // A client returns a string; anything else (a hand-made reply, a future client) still means halted.
  const raw = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '(not a string)';
  let parsed: unknown;
  try {
    parsed = raw.length <= 4_096 ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  const o = isObject(parsed) ? parsed : {};
  const at = o['at'];
  return {
    reason: cleanText(o['reason']) ?? 'the fleet is halted (its halt flag is set)',
    by: cleanText(o['by'], 160),
    at: typeof at === 'number' && Number.isFinite(at) ? at : undefined,
    raw,
  };
}

/**
 * @internal Sets the halt flag and publishes the halt, atomically (one round trip): a late joiner that
 * subscribes and then reads the flag cannot miss it.
 * KEYS[1] flag; ARGV[1] reason, ARGV[2] by, ARGV[3] TTL ms (`0`: none), ARGV[4] channel,
 * ARGV[5] the encoded halt message. Returns the number of receivers.
 */
export const HALT_SCRIPT = `
local t = redis.call('TIME')
local v = cjson.encode({ reason = ARGV[1], by = ARGV[2], at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) })
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], v, 'PX', ARGV[3]) else redis.call('SET', KEYS[1], v) end
return redis.call('PUBLISH', ARGV[4], ARGV[5])
`;

/**
 * @internal Stores the halt flag unless one is set (a halt heard on the channel, e.g. from redis-cli,
 * so that instances joining later stay halted). KEYS[1] flag; ARGV[1] reason, ARGV[2] by,
 * ARGV[3] TTL ms (`0`: none).
 */
export const KEEP_FLAG_SCRIPT = `
local t = redis.call('TIME')
local v = cjson.encode({ reason = ARGV[1], by = ARGV[2], at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) })
if tonumber(ARGV[3]) > 0 then return redis.call('SET', KEYS[1], v, 'PX', ARGV[3], 'NX') end
return redis.call('SET', KEYS[1], v, 'NX')
`;

/** @internal Reads the halt flag. KEYS[1] flag. */
export const READ_FLAG_SCRIPT = `return redis.call('GET', KEYS[1])`;

/** @internal Deletes the halt flag; returns 1 when there was one. KEYS[1] flag. */
export const CLEAR_FLAG_SCRIPT = `return redis.call('DEL', KEYS[1])`;
