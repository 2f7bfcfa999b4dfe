/**
 * The fleet rate limit's Lua scripts and the defensive decoding of their replies.
 *
 * Both scripts take one key (so a decision is one atomic round trip, and in a Cluster the
 * key's slot decides the node), read the time with `redis.call('TIME')` (server time, so
 * every instance runs on one schedule whatever its own clock says) and answer the same
 * four integers:
 *
 * ```text
 * { allowed (0|1), granted (cost units taken), delayOrRetry (ms), remaining (units) }
 * ```
 *
 * - allowed, `delayOrRetry` is the delay of a reserved later slot (`0`: now);
 * - refused, it is `retryAfter` (ms), `-1` for "never" (the cost exceeds the burst).
 *
 * `granted` is the cost, or up to `want` units when the caller batches (`localBatch`): the
 * script takes `min(want, what is free now)` as long as that covers the cost.
 *
 * ## GCRA (one string key)
 *
 * The key holds the theoretical arrival time `TAT` (server ms, written with 17 significant
 * digits) with a `PX` TTL equal to its time to refill (`TAT − now`): an expired key is a
 * full bucket. With `T = per / rate` and `L = burst · T`, `free = ⌊(now + L − max(TAT, now)) / T⌋` units are
 * admissible now; the call takes `k = min(want, free)` if `k ≥ cost` (`TAT += k · T`),
 * reserves the slot `⌈wait⌉` ms ahead if within `maxWait`, or is refused with
 * `retryAfter = ⌈max(TAT, now) + cost · T − L − now⌉`. A stored value that is not a number,
 * or lies beyond anything this rule could have written (`now + L + maxWait`), is read as an
 * absent key (a full bucket) and overwritten by the next admission: a corrupt or hostile
 * value can never deny calls, and admits at most one burst.
 *
 * ## Sliding window (one sorted set)
 *
 * One member per admission, scored by its (server) time; the member is
 * `<cumulative cost, 15 digits>:<cost>`, so the cost in the window is the newest member's
 * cumulative minus the oldest's cumulative before it: O(log n) per decision, however many
 * admissions the window holds. Members older than `per` ms are removed first; a call that
 * does not fit waits for the oldest admissions to leave (reading only as many members as
 * it needs). The key's TTL is `per` past its newest member. A member that does not parse
 * makes the script drop the key (an empty window) rather than fail.
 *
 * @packageDocumentation
 */

/** @internal GCRA. KEYS[1]; ARGV: interval (ms), limit L (ms), cost, [want = cost], [maxWait = 0] (ms). */
export const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local T = tonumber(ARGV[1])
local L = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local want = tonumber(ARGV[4]) or cost
local maxWait = tonumber(ARGV[5]) or 0
local eps = 1e-6
local raw = redis.call('GET', KEYS[1])
local tat = nil
if raw then tat = tonumber(raw) end
if tat == nil or tat ~= tat or tat < now then tat = now end
if tat > now + L + maxWait + 1 then tat = now end
local free = math.floor((now + L - tat) / T + eps)
if free >= cost then
  local k = want
  if k > free then k = free end
  local newTat = tat + k * T
  redis.call('SET', KEYS[1], newTat, 'PX', math.max(1, math.ceil(newTat - now)))
  return {1, k, 0, free - k}
end
if free < 0 then free = 0 end
if cost * T > L + eps then return {0, 0, -1, free} end
local wait = tat + cost * T - L - now
local delay = math.ceil(wait - eps)
if delay <= maxWait + eps then
  local newTat = now + delay + L
  redis.call('SET', KEYS[1], newTat, 'PX', math.max(1, math.ceil(newTat - now)))
  return {1, cost, delay, 0}
end
return {0, 0, delay, free}
`;

/** @internal Sliding window. KEYS[1]; ARGV: per (ms), rate, cost, [want = cost], [maxWait = 0] (ms). */
export const SLIDING_WINDOW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local per = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local want = tonumber(ARGV[4]) or cost
local maxWait = tonumber(ARGV[5]) or 0
local eps = 1e-6
local key = KEYS[1]
local function parse(member)
  local c, k = string.match(member or '', '^(%d+):(%d+)$')
  if c == nil then return nil end
  return tonumber(c), tonumber(k)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.3f', now - per + eps))
local sum, cum, last = 0, 0, nil
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if #newest == 2 then
  local oldest = redis.call('ZRANGE', key, 0, 0)
  local nc = parse(newest[1])
  local oc, ok = parse(oldest[1])
  last = tonumber(newest[2])
  if nc == nil or oc == nil or last == nil or nc < oc or oc < ok then
    redis.call('DEL', key)
    last = nil
  else
    cum = nc
    sum = nc - (oc - ok)
  end
end
local function admit(at, k)
  cum = cum + k
  redis.call('ZADD', key, string.format('%.3f', at), string.format('%015d:%d', cum, k))
  redis.call('PEXPIRE', key, math.max(1, math.ceil(at + per - now)))
end
local free = rate - sum
if free < 0 then free = 0 end
if cost > rate then return {0, 0, -1, free} end
local s = now
if last ~= nil and last > s then s = last end
local excess = sum + cost - rate
if excess > 0 then
  local entries = redis.call('ZRANGE', key, 0, excess - 1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local _, k = parse(entries[i])
    excess = excess - (k or 1)
    local leaves = tonumber(entries[i + 1]) + per
    if leaves > s then s = leaves end
    if excess <= 0 then break end
  end
end
local wait = s - now
if wait <= eps then
  local k = want
  if k > free then k = free end
  admit(s, k)
  return {1, k, 0, free - k}
end
local delay = math.ceil(wait - eps)
if delay <= maxWait + eps then
  admit(now + delay, cost)
  return {1, cost, delay, 0}
end
return {0, 0, delay, free}
`;

/** @internal A script reply, decoded. */
export interface ScriptReply {
  readonly allowed: boolean;
  /** Units taken (≥ cost when allowed). */
  readonly granted: number;
  /** Allowed: delay of the reserved slot (ms). Refused: retryAfter (ms, Infinity for never). */
  readonly delayOrRetry: number;
  readonly remaining: number;
}

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : undefined;
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
};

/**
 * @internal Decodes a script reply defensively: `undefined` for anything but four integers
 * in range (a reply from another version of the script, a proxy's mangling…), which the
 * store treats like a failed call.
 */
export function decodeReply(reply: unknown, cost: number, want: number): ScriptReply | undefined {
  if (!Array.isArray(reply) || reply.length !== 4) return undefined;
  const allowed = int(reply[0]);
  const granted = int(reply[1]);
  const d = int(reply[2]);
  const remaining = int(reply[3]);
  if (allowed === undefined || granted === undefined || d === undefined || remaining === undefined || remaining < 0) return undefined;
  if (allowed === 1) {
    if (granted < cost || granted > want || d < 0) return undefined;
    return { allowed: true, granted, delayOrRetry: d, remaining };
  }
  if (allowed !== 0 || granted !== 0 || d < -1) return undefined;
  return { allowed: false, granted: 0, delayOrRetry: d === -1 ? Number.POSITIVE_INFINITY : d, remaining };
}
