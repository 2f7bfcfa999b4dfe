/**
 * `breakwater/decorators`: method decorators that run class methods through policies.
 * They work with TC39 standard decorators and with legacy `experimentalDecorators`.
 *
 * @packageDocumentation
 */
export {
  policyOf,
  resilient,
  type AsyncMethod,
  type DecoratorOptions,
  type PolicyScope,
  type PolicySource,
  type ResilientDecorator,
  type ResilientDecoratorArgs,
  type ResilientOptions,
  type ScopeOption,
} from './resilient';
export { adaptiveConcurrency, bulkhead, circuitBreaker, fallback, hedging, rateLimit, retry, timeout } from './shorthand';
