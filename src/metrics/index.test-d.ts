import type { Meter } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import type { CircuitBreakerPolicy } from '../circuit-breaker/index';
import type { Pipeline } from '../core/policy';
import type { Subscription } from '../core/events';
import {
  createMetrics,
  createMetricsHandler,
  registerOpenTelemetry,
  registerPromClient,
  type CallOutcome,
  type Metrics,
  type MetricsOptions,
  type MetricsRequest,
  type MetricsResponse,
  type Observable,
  type OpenTelemetryMeter,
  type PromClientRegistry,
} from './index';
import type { IncomingMessage, ServerResponse } from 'node:http';

describe('breakwater/metrics types', () => {
  it('observes any policy or pipeline', () => {
    expectTypeOf<Pipeline>().toMatchTypeOf<Observable>();
    expectTypeOf<CircuitBreakerPolicy>().toMatchTypeOf<Observable>();
    expectTypeOf<Metrics['observe']>().returns.toEqualTypeOf<Subscription>();
  });

  it('takes the real prom-client Registry and OpenTelemetry Meter without importing them', () => {
    expectTypeOf<Registry>().toMatchTypeOf<PromClientRegistry>();
    expectTypeOf<Meter>().toMatchTypeOf<OpenTelemetryMeter>();
    expectTypeOf(registerPromClient).returns.toEqualTypeOf<Subscription>();
    expectTypeOf(registerOpenTelemetry).returns.toEqualTypeOf<Subscription>();
  });

  it('serves node:http requests', () => {
    expectTypeOf<IncomingMessage>().toMatchTypeOf<MetricsRequest>();
    expectTypeOf<ServerResponse>().toMatchTypeOf<MetricsResponse>();
    expectTypeOf(createMetricsHandler).returns.parameters.toEqualTypeOf<[MetricsRequest, MetricsResponse]>();
  });

  it('has typed options and snapshot', () => {
    expectTypeOf(createMetrics).parameter(0).toEqualTypeOf<MetricsOptions | undefined>();
    expectTypeOf<ReturnType<Metrics['snapshot']>['calls'][number]['outcomes']>().toEqualTypeOf<Readonly<Record<CallOutcome, number>>>();
    expectTypeOf<ReturnType<Metrics['snapshot']>['breakers'][number]['mttr']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error unknown outcome
    expectTypeOf<CallOutcome>().toEqualTypeOf<'success' | 'nope'>();
  });
});
