/**
 * The fleet drill's policies on one game-server instance: the payment partner's quota held
 * by the whole fleet (one budget in Redis), the payment gateway's fleet-aware breaker, and
 * the fleet's chaos kill switch.
 * docs/fleet.md quotes this file; the drill's instances (instance.ts) run it.
 */
import { chaos, type ChaosController } from '../../../src/chaos/index';
import { circuitBreaker, type CircuitBreakerPolicy } from '../../../src/circuit-breaker/index';
import { pipeline } from '../../../src/index';
import { rateLimiter, type RateLimiterPolicy } from '../../../src/rate-limiter/index';
import { redisCoordinator, type RedisCoordinator, type RedisRateLimitStore } from '../../../src/redis/index';
import type { RedisClientLike } from '../../../src/redis/client';
import { redisBreakerFleet, type RedisBreakerFleet } from '../../../src/redis/fleet-breaker';
import { redisChaosFleet, type RedisChaosFleet } from '../../../src/redis/fleet-chaos';
import { timeout } from '../../../src/timeout/index';

/** What an instance is told by the drill. */
export interface FleetPolicyOptions {
  /** This instance's id in the fleet (`game-1`…). */
  readonly instanceId: string;
  /** Instances in the fleet: each decides with 1 / instances of the quota while Redis is away. */
  readonly instances: number;
  /** The partner's quota, fleet-wide (calls per second). */
  readonly partnerRate: number;
  /** Calls the quota admits at once after a quiet spell. */
  readonly partnerBurst: number;
  /** Reports of open that open every instance (1: any instance's view stops everyone). */
  readonly quorum: number;
  /** Ms an open gateway breaker waits before the fleet's one probe. */
  readonly recoveryTimeout: number;
}

/** The policies of one instance. */
export interface FleetPolicies {
  readonly coordinator: RedisCoordinator;
  readonly breakerFleet: RedisBreakerFleet;
  /** The partner quota's store (events `degraded` / `recovered`, `stats`). */
  readonly partnerStore: RedisRateLimitStore;
  /** The partner's quota, shared by the fleet. */
  readonly partnerQuota: RateLimiterPolicy;
  /** The same quota kept by this instance alone: what every instance would do without Redis. */
  readonly islandQuota: RateLimiterPolicy;
  /** The payment gateway's breaker, fleet-aware. */
  readonly gatewayBreaker: CircuitBreakerPolicy;
  /** Quota, then breaker, then a 1 s timeout around one gateway call. */
  charge<T>(call: (signal: AbortSignal) => Promise<T>, quota?: 'fleet' | 'island'): Promise<T>;
  /** Leaves the fleet and releases what the coordinator made (never the client). */
  close(): Promise<void>;
}

/** Builds the instance's policies over its Redis client. */
export function fleetPolicies(client: RedisClientLike, o: FleetPolicyOptions): FleetPolicies {
  // One coordinator per process; the id names this instance in the fleet's state.
  const coordinator = redisCoordinator({ client, prefix: 'game', instanceId: o.instanceId });

  // The partner's quota, held fleet-wide: every instance draws on one GCRA budget in Redis.
  // Redis down or slower than `storeTimeout`: each instance decides alone with its share of
  // the quota. (The drill shares two CPU cores with everything else; 50 ms, the default,
  // suits a production network.)
  const partnerStore = coordinator.rateLimitStore({
    name: 'payment-partner',
    onStoreError: 'local',
    storeTimeout: 250,
    localShare: 1 / o.instances,
  });
  const partnerQuota = rateLimiter({ name: 'payment-partner', rate: o.partnerRate, per: 1_000, burst: o.partnerBurst, store: partnerStore });

  // The payment gateway's breaker: each instance keeps its own, and the fleet shares what
  // they see. `quorum` instances reporting it open (first-hand) open it everywhere; one
  // instance at a time probes the gateway once the break is over.
  const breakerFleet = redisBreakerFleet(coordinator, { heartbeat: 250 });
  const gatewayBreaker = circuitBreaker({
    name: 'payment-gateway',
    coordinator: breakerFleet,
    quorum: o.quorum,
    failureThreshold: 5,
    recoveryTimeout: o.recoveryTimeout,
    halfOpen: { probeTimeout: 2_000 },
  });

  const islandQuota = rateLimiter({ name: 'payment-partner-island', rate: o.partnerRate, per: 1_000, burst: o.partnerBurst });
  const gatewayTimeout = timeout({ duration: 1_000 });
  const fleetPath = pipeline(partnerQuota, gatewayBreaker, gatewayTimeout);
  const islandPath = pipeline(islandQuota, gatewayBreaker, gatewayTimeout);

  return {
    coordinator,
    breakerFleet,
    partnerStore,
    partnerQuota,
    islandQuota,
    gatewayBreaker,
    charge: (call, quota = 'fleet') => (quota === 'fleet' ? fleetPath : islandPath).execute((ctx) => call(ctx.signal)),
    async close() {
      breakerFleet.close();
      await coordinator.close();
    },
  };
}

/** This instance's place in the fleet's chaos kill switch (see {@link joinFleetChaos}). */
export interface FleetChaos {
  readonly chaosFleet: RedisChaosFleet;
  /** Whether `arm()` armed this instance (its own environment switch decides). */
  readonly armed: boolean;
  /** Disarms this instance and leaves the fleet (the others carry on). */
  leave(): void;
}

/** Joins this instance's chaos controller to the fleet's kill switch. */
export function joinFleetChaos(coordinator: RedisCoordinator, controller: ChaosController = chaos): FleetChaos {
  // A halt on any instance, or a `redis-cli PUBLISH` of a halt, stops chaos on every instance.
  // Arming still takes this instance's own BREAKWATER_CHAOS=1 and this arm() call: Redis can
  // halt chaos everywhere, never arm it.
  const chaosFleet = redisChaosFleet(coordinator);
  const status = controller.arm({ environment: 'drill', coordinator: chaosFleet, maxDuration: 10 * 60_000 });
  return {
    chaosFleet,
    armed: status.armed,
    leave() {
      controller.disarm();
      chaosFleet.close();
    },
  };
}
