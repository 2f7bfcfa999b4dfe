/**
 * `breakwater/chaos`: in-process fault injection with safety guards, and a catalog of
 * ready-made scenarios. Faults are inert unless armed: `chaos.arm({ environment })` in
 * code **and** `BREAKWATER_CHAOS=1` in the environment.
 *
 * @packageDocumentation
 */
export { ChaosEvents, type ChaosEvent, type ChaosInjectedEvent, type FaultKind } from './events';
export { distributions, type LatencyDistribution, type LognormalOptions, type NormalOptions } from './distributions';
export { fnv1a32, isInCohort, type FaultCohort, type FaultTarget } from './targeting';
export {
  CHAOS_ENV_SWITCH,
  ChaosArmingError,
  ChaosController,
  armChaos,
  chaos,
  createChaosController,
  disarmChaos,
  haltChaos,
  isChaosArmingError,
  parseChaosPolicy,
  validateChaosPolicy,
  type ArmOptions,
  type ChaosControllerOptions,
  type ChaosDay,
  type ChaosPolicy,
  type ChaosStatus,
  type ChaosTimeWindow,
} from './guards';
export { type FaultOptions } from './options';
export { FaultPolicy, injectedBy, isInjectedFault } from './fault';
export {
  BehaviorInjectionPolicy,
  ExhaustionPolicy,
  FaultInjectionPolicy,
  FlappingPolicy,
  HangPolicy,
  LatencyInjectionPolicy,
  OutcomeInjectionPolicy,
  behaviorInjection,
  exhaustion,
  faultInjection,
  flapping,
  hang,
  latencyInjection,
  outcomeInjection,
  type BehaviorInjectionOptions,
  type ExhaustionOptions,
  type FaultError,
  type FaultInjectionOptions,
  type FlappingOptions,
  type HangOptions,
  type LatencyInjectionOptions,
  type OccupiableBulkhead,
  type OutcomeInjectionOptions,
} from './faults';
export {
  SimulatedHttpError,
  cdnEdgeFailure,
  cdnLoadFailure,
  cdnSlowDelivery,
  dataStoreFailure,
  databaseConnectionRefused,
  databaseSlowQueries,
  dependencyUnreachable,
  gameServerFailure,
  matchmakingFailure,
  networkPartition,
  paymentGatewayDown,
  paymentGatewayErrorSpike,
  paymentGatewaySlow,
  redisConnectionRefused,
  redisKeyExpiry,
  redisOutOfMemory,
  resourceExhaustion,
  scenarioCatalog,
  simulatedSystemError,
  socialLoginDown,
  socialLoginSyncFailure,
  socialLoginTokenExpired,
  type ConnectionRefusedOptions,
  type ErrorSpikeOptions,
  type KeyExpiryOptions,
  type ResourceExhaustionOptions,
  type ResponseOptions,
  type ScenarioInfo,
  type ScenarioOptions,
  type SimulatedResponse,
  type SimulatedSystemError,
  type SlowOptions,
} from './catalog';
