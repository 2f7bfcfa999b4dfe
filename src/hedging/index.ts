/**
 * Hedging: hedged requests that cut the latency tail (a second attempt when the first is
 * slow, the first success wins), with fixed, per-call or adaptive (percentile) delays, a
 * fallback mode on failures and a budget on the extra load.
 *
 * @packageDocumentation
 */
export { hedging, hedgedActions, HedgingPolicy } from './hedging';
export {
  HedgingEvents,
  type HedgeBudgetExhaustedEvent,
  type HedgeLosersCancelledEvent,
  type HedgeStartedEvent,
  type HedgeTrigger,
  type HedgeWonEvent,
  type HedgingEvent,
} from './events';
export {
  hedgingDefaults,
  type AdaptiveHedgingDelay,
  type HedgingBudget,
  type HedgingDelay,
  type HedgingDelayFunction,
  type HedgingDelayInfo,
  type HedgingOptions,
} from './options';
