/**
 * The code of docs/tracing.md (its ts blocks are copied from here; test/docs.test.ts checks
 * it), run against the real SDK: the in-memory exporter and the async-hooks context manager.
 */
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../circuit-breaker/index';
import { pipeline } from '../core/policy';
import { retry } from '../retry/index';
import { timeout } from '../timeout/index';
import { TracingAttributes, tracing } from './index';

interface Lobby {
  readonly id: string;
  readonly region: string;
}
/** The lobby database's client, as the page assumes one. */
const lobbyDb = {
  find: (region: string, signal: AbortSignal): Promise<Lobby> =>
    signal.aborted ? Promise.reject(signal.reason) : Promise.resolve({ id: `${region}-7`, region }),
};

api.trace.disable();
api.context.disable();

// --8<-- [start:sdk]
const exporter = new InMemorySpanExporter();
api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
// --8<-- [end:sdk]

// --8<-- [start:pipeline]
const tracer = api.trace.getTracer('matchmaking');

const lobbies = pipeline(
  { name: 'matchmaking' },
  tracing({ api, labelKeys: ['region'] }), // outermost: it sees the whole call
  retry({ maxAttempts: 3, delay: 100 }),
  circuitBreaker({ name: 'lobby-db', failureThreshold: 5 }),
  timeout(500),
);

function findLobby(region: string): Promise<Lobby> {
  return lobbies.execute(
    (ctx) =>
      // The function runs with its attempt's span active: this span nests under it.
      tracer.startActiveSpan('db.query', { kind: api.SpanKind.CLIENT }, async (span) => {
        try {
          return await lobbyDb.find(region, ctx.signal);
        } finally {
          span.end();
        }
      }),
    { operation: 'lobby.find', labels: { region } },
  );
}
// --8<-- [end:pipeline]

// --8<-- [start:assert]
await findLobby('eu');
const spans = exporter.getFinishedSpans();
const call = spans.find((s) => s.attributes[TracingAttributes.operation] === 'lobby.find');
const attempts = spans.filter((s) => s.parentSpanContext?.spanId === call?.spanContext().spanId);
const queries = spans.filter((s) => s.parentSpanContext?.spanId === attempts[0]?.spanContext().spanId);
// call: outcome 'success', 1 attempt; attempts[0]: attempt 1; queries: the one 'db.query'
// --8<-- [end:assert]

describe('docs/tracing.md', () => {
  it('the page\'s pipeline traces a call: call span, attempt span, the function\'s span under it', () => {
    expect(call?.name).toBe('lobby.find');
    expect(call?.attributes).toMatchObject({
      [TracingAttributes.pipeline]: 'matchmaking',
      [TracingAttributes.outcome]: 'success',
      [TracingAttributes.attempts]: 1,
      [`${TracingAttributes.labelPrefix}region`]: 'eu',
    });
    expect(attempts.map((a) => [a.name, a.attributes[TracingAttributes.attempt]])).toEqual([['lobby.find attempt', 1]]);
    expect(queries.map((q) => q.name)).toEqual(['db.query']);
  });
});
