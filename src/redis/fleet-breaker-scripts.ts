/**
 * What the fleet-aware breaker keeps in Redis and sends on pub/sub, and the defensive
 * decoders of both. Every key of one breaker shares the hash tag `{cb:<name>}`, so each
 * script touches one Cluster slot.
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `<prefix>:{cb:<name>}:live` | sorted set | instance id → Redis time (ms) at which its heartbeat expires |
 * | `<prefix>:{cb:<name>}:reports` | hash | instance id → `<written at>:<open 0/1>:<retryAfter ms>:<generation>` |
 * | `<prefix>:{cb:<name>}:lease` | string | the instance holding the probe lease (`SET NX PX`) |
 *
 * Both the set and the hash expire `2 · ttl` after the last heartbeat of any instance; the
 * lease after its own TTL. Transitions are also published on `<prefix>:breaker` as messages
 * of kind `cb.report` with the payload `{ breaker, open, retryAfter, generation, probe? }`.
 *
 * @packageDocumentation
 */
import type { BreakerFleetReport, BreakerFleetState } from '../circuit-breaker/fleet';
import { isInstanceId } from './codec';

/** @internal The pub/sub channel (under the prefix) of every breaker's reports. */
export const BREAKER_CHANNEL = 'breaker';
/** @internal The message kind of a report. */
export const BREAKER_REPORT_KIND = 'cb.report';
/** @internal Most live instances a sync reads (the script's LIMIT): a bound on what one reply may hold. */
export const MAX_FLEET_INSTANCES = 1_000;
/** A break longer than a year is no break anyone configured (the breaker's own check uses the same bound). */
const MAX_RETRY_AFTER = 365 * 24 * 3_600_000;

/**
 * @internal Heartbeat and report of one instance, and the picture of the live ones. KEYS:
 * live set, reports hash. ARGV: instance id, its report (`open:retryAfter:generation`),
 * heartbeat TTL (ms). Writes the report stamped with the server's time, drops the instances
 * whose heartbeat expired, and answers `{ now, ids, values }` for the live instances.
 */
export const SYNC_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now .. ':' .. ARGV[2])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
for i = 1, #dead do redis.call('HDEL', KEYS[2], dead[i]) end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now) end
redis.call('PEXPIRE', KEYS[1], ttl * 2)
redis.call('PEXPIRE', KEYS[2], ttl * 2)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf', 'LIMIT', 0, ${MAX_FLEET_INSTANCES})
local values = {}
if #ids > 0 then values = redis.call('HMGET', KEYS[2], unpack(ids)) end
return {now, ids, values}
`;

/**
 * @internal Takes or extends the probe lease. KEYS: lease. ARGV: instance id, TTL (ms).
 * 1 when this instance holds it for TTL ms from now, 0 when another does.
 */
export const LEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`;

/** @internal Gives the lease back if this instance holds it. KEYS: lease. ARGV: instance id. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** @internal Leaves: heartbeat, report and (if held) lease. KEYS: live, reports, lease. ARGV: instance id. */
export const LEAVE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1
`;

/** @internal A report as the scripts store it: `open:retryAfter:generation` (the script adds the time). */
export function encodeStoredState(state: BreakerFleetState, retryAfter: number): string {
  return `${state.open ? 1 : 0}:${state.open ? Math.max(0, Math.ceil(retryAfter)) : 0}:${state.generation}`;
}

const STORED = /^(\d{1,16}):([01]):(\d{1,16}):(\d{1,16})$/;

/**
 * @internal Decodes the reply of {@link SYNC_SCRIPT} into the reports of the live instances other
 * than `self`, each `retryAfter` reduced by the time it spent stored. Untrusted: a reply of
 * the wrong shape is `undefined`; an entry that is not a valid id and a well-formed value
 * (a hand edit, another version) is left out.
 */
export function decodeSyncReply(reply: unknown, self: string): BreakerFleetReport[] | undefined {
  if (!Array.isArray(reply) || reply.length !== 3) return undefined;
  const [now, ids, values] = reply as [unknown, unknown, unknown];
  if (typeof now !== 'number' || !Number.isSafeInteger(now) || !Array.isArray(ids) || !Array.isArray(values)) return undefined;
  if (ids.length !== values.length || ids.length > MAX_FLEET_INSTANCES) return undefined;
  const out: BreakerFleetReport[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    const raw: unknown = values[i];
    if (!isInstanceId(id) || id === self || typeof raw !== 'string') continue;
    const m = STORED.exec(raw);
    if (m === null) continue;
    const at = Number(m[1]);
    const open = m[2] === '1';
    const retryAfter = Number(m[3]);
    const generation = Number(m[4]);
    if (!Number.isSafeInteger(generation) || retryAfter > MAX_RETRY_AFTER || (!open && retryAfter !== 0)) continue;
    out.push({ instance: id, open, retryAfter: open ? Math.max(0, retryAfter - Math.max(0, now - at)) : 0, generation });
  }
  return out;
}

/** @internal The payload of a `cb.report` message. */
export interface BreakerReportPayload {
  /** The breaker's name. */
  readonly breaker: string;
  readonly open: boolean;
  readonly retryAfter: number;
  readonly generation: number;
  readonly probe?: 'succeeded' | 'failed';
}

/** @internal The payload of a report of `state` of breaker `breaker`, with `retryAfter` rounded up to whole ms. */
export function reportPayload(breaker: string, state: BreakerFleetState, retryAfter: number): BreakerReportPayload {
  return {
    breaker,
    open: state.open,
    retryAfter: state.open ? Math.max(0, Math.ceil(retryAfter)) : 0,
    generation: state.generation,
    ...(state.probe === undefined ? {} : { probe: state.probe }),
  };
}

const PAYLOAD_KEYS = new Set(['breaker', 'open', 'retryAfter', 'generation', 'probe']);

/**
 * @internal Decodes the payload of a `cb.report` message from `instance`: the breaker it is about and
 * the report, or `undefined` unless the payload is exactly that shape with values in range
 * (the rules of the breaker's `isBreakerFleetReport`, which checks it again).
 */
export function decodeReportPayload(payload: unknown, instance: string): { breaker: string; report: BreakerFleetReport } | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!PAYLOAD_KEYS.has(key)) return undefined;
  const { breaker, open, retryAfter, generation, probe } = p;
  if (typeof breaker !== 'string' || breaker.length === 0 || breaker.length > 1_024) return undefined;
  if (typeof open !== 'boolean' || typeof retryAfter !== 'number' || !(retryAfter >= 0 && retryAfter <= MAX_RETRY_AFTER)) return undefined;
  if (!open && retryAfter !== 0) return undefined;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) return undefined;
  if (probe !== undefined && !((probe === 'succeeded' && !open) || (probe === 'failed' && open))) return undefined;
  const report: BreakerFleetReport = { instance, open, retryAfter, generation, ...(probe === undefined ? {} : { probe }) };
  return { breaker, report };
}
