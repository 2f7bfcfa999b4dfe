/**
 * The timeout policy.
 *
 * @packageDocumentation
 */
export { timeout, TimeoutPolicy } from './timeout';
export { type TimeoutOptions, type TimeoutStrategy } from './options';
export { TimeoutEvents, type TimeoutEvent, type TimeoutExpiredEvent } from './events';
