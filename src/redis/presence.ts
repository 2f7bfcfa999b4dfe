/**
 * Fleet presence: how many instances use this prefix now. Each tracking coordinator writes a
 * heartbeat (its instance id, scored by Redis server time) into one sorted set every
 * `interval` ms and reads back how many heartbeats are younger than `3 · interval`. The
 * fleet rate limit divides its limit by that count while Redis is unreachable; a fleet
 * feature that needs "a fraction of the fleet" may read it too.
 *
 * Key: `<prefix>:{fleet}:instances` (one sorted set, TTL `6 · interval`). The heartbeat
 * timer is `unref`'d: it never keeps a process alive.
 *
 * @packageDocumentation
 */
import { unrefTimer, type Clock } from '../core/clock';

/** @internal ZADD the heartbeat, drop the stale ones, answer the count. KEYS[1]; ARGV: instance id, max age (ms). */
export const PRESENCE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local age = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - age)
redis.call('PEXPIRE', KEYS[1], age * 2)
return redis.call('ZCARD', KEYS[1])
`;

/** @internal Leaves the set. KEYS[1]; ARGV: instance id. */
export const LEAVE_SCRIPT = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

/** @internal What presence needs from the coordinator. */
export interface PresenceHost {
  readonly instanceId: string;
  eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** @internal The heartbeat of one coordinator. */
export class FleetPresence {
  private count = 1;
  private timer: unknown = undefined;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly host: PresenceHost,
    private readonly key: string,
    private readonly clock: Clock,
    private readonly interval: number,
  ) {}

  /** Instances seen in the last `3 · interval` ms (this one included); `1` until Redis first answers. */
  get size(): number {
    return this.count;
  }

  start(): void {
    this.beat();
  }

  private beat(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.beat(), this.interval);
    unrefTimer(this.timer);
    if (this.inFlight) return; // Redis is slow: one heartbeat at a time
    this.inFlight = true;
    this.host.eval(PRESENCE_SCRIPT, [this.key], [this.host.instanceId, this.interval * 3]).then(
      (n) => {
        this.inFlight = false;
        // Untrusted reply: only a sane positive integer counts.
        if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= 1_000_000) this.count = n;
      },
      () => {
        this.inFlight = false; // keep the last known count
      },
    );
  }

  /** Stops the heartbeat and leaves the set (best effort). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.host.eval(LEAVE_SCRIPT, [this.key], [this.host.instanceId]).catch(() => undefined);
  }
}
