import * as api from '@opentelemetry/api';
import { describe, expectTypeOf, it } from 'vitest';
import type { Policy } from '../core/policy';
import { tracing, type OpenTelemetryApi, type TracingPolicy, type TracingSpan, type TracingTracer } from './index';

describe('tracing types', () => {
  it('the @opentelemetry/api module, its tracers and spans fit the structural types', () => {
    expectTypeOf<typeof api>().toMatchTypeOf<OpenTelemetryApi>();
    expectTypeOf<api.Tracer>().toMatchTypeOf<TracingTracer>();
    expectTypeOf<api.Span>().toMatchTypeOf<TracingSpan>();
    expectTypeOf(tracing({ api })).toEqualTypeOf<TracingPolicy>();
    expectTypeOf(tracing({ api })).toMatchTypeOf<Policy>();
  });

  it('the api is required and checked', () => {
    // @ts-expect-error api is required
    tracing({});
    // @ts-expect-error api.trace is not the api
    tracing({ api: api.trace });
    // @ts-expect-error unknown option
    tracing({ api, tracername: 'x' });
    // @ts-expect-error attribute values are strings, numbers or booleans
    tracing({ api, attributes: { a: { b: 1 } } });
  });
});
