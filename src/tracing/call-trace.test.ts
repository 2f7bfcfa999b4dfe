/**
 * The tracing policy's edges: nesting, policies run alone, a tracer or context manager that
 * misbehaves, lazy thenables, unsampled calls and strategy bugs. The call always goes on, and
 * no span is left open or ended twice.
 */
import * as api from '@opentelemetry/api';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TapPolicy } from '../../test/support/test-strategies';
import { childrenOf, onlySpan, tracingSdk } from '../../test/support/tracing-sdk';
import { observing } from '../core/call-observer';
import { pipeline } from '../core/policy';
import { onCallbackError } from '../core/report';
import { retry } from '../retry/index';
import { TracingAttributes as A, tracing, type OpenTelemetryApi, type TracingSpan, type TracingTracer } from './index';

const sdk = tracingSdk();
const reported: string[] = [];
let subscription = onCallbackError((error, source) => reported.push(`${source}: ${error instanceof Error ? error.message : String(error)}`));

beforeEach(() => {
  sdk.reset();
  reported.length = 0;
  subscription.dispose();
  subscription = onCallbackError((error, source) => reported.push(`${source}: ${error instanceof Error ? error.message : String(error)}`));
});
afterEach(() => {
  expect(sdk.endedTwice()).toEqual([]);
  expect(observing()).toBe(false);
});

/** `api` whose tracer hands out spans with `method` throwing. */
function apiWithThrowing(method: keyof TracingSpan): OpenTelemetryApi {
  const tracer = api.trace.getTracer('breakwater');
  const broken: TracingTracer = {
    startSpan: (name, options, context) => {
      const span = tracer.startSpan(name, options as api.SpanOptions, context as api.Context);
      return new Proxy(span, {
        get(target, key) {
          if (key === method) {
            return () => {
              throw new Error(`${method} broke`);
            };
          }
          const v: unknown = Reflect.get(target, key);
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
  return { ...api, trace: { getTracer: () => broken, setSpan: (c, s) => api.trace.setSpan(c as api.Context, s as api.Span) } };
}

describe('tracing: composition', () => {
  it('a tracing policy inside a traced call adds nothing: the outer one traces it', async () => {
    const inner = pipeline({ name: 'inner' }, tracing({ api, name: 'inner-tracing' }), retry({ maxAttempts: 2, delay: 0, backoff: 'constant', jitter: 'none' }));
    const outer = pipeline({ name: 'outer' }, tracing({ api }), inner);
    let n = 0;
    await expect(outer.execute(() => (++n === 1 ? Promise.reject(new Error('x')) : 'ok'), { operation: 'nested' })).resolves.toBe('ok');
    const call = onlySpan(sdk, 'nested');
    expect(call.attributes[A.pipeline]).toBe('outer');
    expect(childrenOf(sdk, call)).toHaveLength(2);
    expect(sdk.exporter.getFinishedSpans()).toHaveLength(3);
  });

  it('alone, it traces the call with no pipeline attribute; static attributes go on every call span', async () => {
    const traced = tracing({ api, attributes: { 'peer.service': 'lobby-db', 'lobby.shard': 3 } });
    await expect(traced.execute(() => 7)).resolves.toBe(7);
    await expect(traced.execute(() => Promise.reject(new TypeError('bad lobby')), { operation: 'lobby.join' })).rejects.toThrow('bad lobby');
    const first = onlySpan(sdk, 'default');
    expect(first.attributes).toMatchObject({ 'peer.service': 'lobby-db', 'lobby.shard': 3, [A.operation]: 'default', [A.outcome]: 'success', [A.attempts]: 1 });
    expect(first.attributes[A.pipeline]).toBeUndefined();
    const second = onlySpan(sdk, 'lobby.join');
    expect(second.attributes).toMatchObject({ [A.outcome]: 'failure', [A.errorType]: 'TypeError' });
    expect(second.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'bad lobby' });
    expect(childrenOf(sdk, second).map((s) => s.attributes[A.outcome])).toEqual(['failure']);
    expect(sdk.openSpans()).toEqual([]);
  });

  it('recordExceptions: false keeps the status and error.type, without exception events', async () => {
    const traced = tracing({ api, recordExceptions: false });
    await expect(traced.execute(() => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })))).rejects.toThrow();
    const call = onlySpan(sdk, 'default');
    expect(call.attributes[A.errorType]).toBe('ECONNREFUSED');
    expect(call.events).toEqual([]);
    expect(childrenOf(sdk, call)[0]?.events).toEqual([]);
  });

  it("calls a lazy thenable's then exactly once", async () => {
    let thens = 0;
    const lazy: PromiseLike<string> = {
      then(onFulfilled, onRejected) {
        thens++;
        return Promise.resolve('rows').then(onFulfilled, onRejected);
      },
    };
    await expect(pipeline(tracing({ api }), retry({ maxAttempts: 2 })).execute(() => lazy)).resolves.toBe('rows');
    expect(thens).toBe(1);
    expect(childrenOf(sdk, onlySpan(sdk, 'default')).map((s) => s.attributes[A.outcome])).toEqual(['success']);
  });

  it('a synchronous throw of the function ends its attempt and reaches the caller unchanged', async () => {
    const boom = new RangeError('sync boom');
    await expect(
      pipeline(tracing({ api })).execute(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(childrenOf(sdk, onlySpan(sdk, 'default')).map((s) => [s.attributes[A.outcome], s.attributes[A.errorType]])).toEqual([['failure', 'RangeError']]);
    expect(sdk.openSpans()).toEqual([]);
  });

  it('an unsampled call records nothing, and the function still runs in its (unsampled) context', async () => {
    const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const unsampled: OpenTelemetryApi = { ...api, trace: { getTracer: (name) => provider.getTracer(name), setSpan: api.trace.setSpan } };
    const p = pipeline(tracing({ api: unsampled }), retry({ maxAttempts: 2, delay: 0, backoff: 'constant', jitter: 'none' }));
    const active: (string | undefined)[] = [];
    let n = 0;
    await p.execute(() => {
      const span = api.trace.getActiveSpan();
      active.push(span?.isRecording() === false ? span.spanContext().traceId : undefined);
      if (++n === 1) return Promise.reject(new Error('again'));
      return 'ok';
    });
    expect(active).toHaveLength(2);
    expect(active[0]).toBeDefined();
    expect(active[1]).toBe(active[0]);
    expect(sdk.exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('tracing: a misbehaving tracer or chain never breaks the call', () => {
  it('a tracer whose startSpan throws: the call runs untraced, the error is reported', async () => {
    const broken: OpenTelemetryApi = {
      ...api,
      trace: {
        getTracer: () => ({
          startSpan: () => {
            throw new Error('exporter misconfigured');
          },
        }),
        setSpan: api.trace.setSpan,
      },
    };
    await expect(pipeline(tracing({ api: broken })).execute(() => 'still works')).resolves.toBe('still works');
    expect(reported).toEqual(['the tracing policy (OpenTelemetry API): exporter misconfigured']);
  });

  for (const method of ['addEvent', 'setAttribute', 'setStatus', 'recordException'] as const) {
    it(`spans whose ${method} throws: the call's outcome is untouched, every span still ends`, async () => {
      const p = pipeline(tracing({ api: apiWithThrowing(method) }), retry({ maxAttempts: 2, delay: 0, backoff: 'constant', jitter: 'none' }));
      let n = 0;
      await expect(p.execute(() => (++n === 1 ? Promise.reject(new Error('first')) : 'second'))).resolves.toBe('second');
      await expect(p.execute(() => Promise.reject(new Error('always')))).rejects.toThrow('always');
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.every((r) => r === `the tracing policy (OpenTelemetry API): ${method} broke`)).toBe(true);
      expect(sdk.openSpans()).toEqual([]);
      expect(sdk.exporter.getFinishedSpans().filter((s) => s.name === 'default')).toHaveLength(2);
    });
  }

  it('spans whose end throws: reported once per span, never retried', async () => {
    await expect(pipeline(tracing({ api: apiWithThrowing('end') })).execute(() => 1)).resolves.toBe(1);
    expect(reported).toEqual(['the tracing policy (OpenTelemetry API): end broke', 'the tracing policy (OpenTelemetry API): end broke']);
  });

  it('a context manager whose with() never calls back: the function still runs, once', async () => {
    const lazy: OpenTelemetryApi = { ...api, context: { active: () => api.context.active(), with: () => undefined as never } };
    let runs = 0;
    await expect(pipeline(tracing({ api: lazy }), retry({ maxAttempts: 2 })).execute(() => ++runs)).resolves.toBe(1);
    expect(runs).toBe(1);
    expect(reported.length).toBeGreaterThan(0);
    expect(sdk.openSpans()).toEqual([]);
  });

  it('a strategy bug that settles the call through its containment still ends the trace', async () => {
    const bug = new TapPolicy(() => {
      throw new Error('strategy bug');
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      await expect(pipeline(tracing({ api }), bug).execute(() => Promise.resolve('value'))).rejects.toThrow('strategy bug');
    } finally {
      console.error = original;
    }
    const call = onlySpan(sdk, 'default');
    expect(call.attributes[A.outcome]).toBe('failure');
    expect(sdk.openSpans()).toEqual([]);
  });
});
