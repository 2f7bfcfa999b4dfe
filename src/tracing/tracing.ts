/**
 * The tracing policy: one OpenTelemetry span per call, a child span per attempt, and span
 * events for what the call's policies did.
 *
 * @packageDocumentation
 */
import { observeCall } from '../core/call-observer';
import { systemClock } from '../core/clock';
import type { ExecutionContext } from '../core/context';
import type { Done, Outcome } from '../core/outcome';
import { StrategyPolicy, type Link } from '../core/policy';
import { reportInternalError } from '../core/report';
import { validateOptions } from '../core/validation';
import { CallTrace, TRACING_SOURCE, type TraceSettings } from './call-trace';
import { tracingDefaults, tracingSchema, type TracingOptions } from './options';

/**
 * Traces each call with OpenTelemetry. Build it with {@link tracing} and place it
 * outermost in the pipeline, so it sees the whole call.
 *
 * - **Call span**, named after the call's operation, child of the span active when
 *   `execute()` was called: `resilience.pipeline`, `resilience.operation`, the labels listed
 *   in `labelKeys`, and at the end `resilience.outcome`, `resilience.attempts`,
 *   `resilience.fallback` (and `resilience.fallback.tier`), `resilience.chaos.injected`.
 *   Its status is `ERROR` when the call failed; success and caller cancellation leave it unset.
 * - **Attempt spans** (`<operation> attempt`), children of the call span: one per retry
 *   attempt or hedge, with `resilience.attempt` and `resilience.outcome`. The function runs
 *   with its attempt span active, so the spans of its own HTTP, database and Redis calls nest
 *   under it. An injected chaos fault marks its attempt span (`resilience.chaos.injected`,
 *   `resilience.chaos.fault`, `resilience.chaos.fault_kind`).
 * - **Span events** for retry delays and give-ups, breaker transitions and rejections,
 *   bulkhead and rate-limit queueing and rejections, timeouts, fallback tiers, hedges and
 *   injected faults ({@link TracingEvents}).
 *
 * Every span ends exactly once, whatever the outcome. An attempt whose function is still
 * running when the call stops waiting for it (an aggressive timeout, a lost hedge) ends then,
 * marked `resilience.attempt.abandoned`. A tracing policy inside another one's call (nested
 * pipelines) adds nothing: the outer one traces the call.
 *
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * const lobbies = pipeline({ name: 'matchmaking' }, tracing({ api }), retry({ maxAttempts: 3 }), timeout(500));
 * await lobbies.execute((ctx) => db.findLobby(region, ctx.signal), { operation: 'lobby.find' });
 * ```
 */
export class TracingPolicy extends StrategyPolicy<never> {
  /** The tracer's name (its instrumentation scope). */
  readonly tracerName: string;
  private readonly settings: TraceSettings;
  private readonly tracerVersion: string | undefined;

  /** @internal Use {@link tracing}. */
  constructor(options: TracingOptions) {
    super({ kind: 'tracing', name: options.name ?? tracingDefaults.name, clock: systemClock });
    const api = options.api;
    this.tracerName = options.tracerName ?? tracingDefaults.tracerName;
    this.tracerVersion = options.tracerVersion;
    this.settings = {
      api,
      tracer: this.tracerVersion === undefined ? api.trace.getTracer(this.tracerName) : api.trace.getTracer(this.tracerName, this.tracerVersion),
      labelKeys: [...(options.labelKeys ?? [])],
      attributes: { ...options.attributes },
      recordExceptions: options.recordExceptions ?? tracingDefaults.recordExceptions,
    };
  }

  /** @internal */
  run(ctx: ExecutionContext, link: Link, done: Done): void {
    const trace = new CallTrace(this.settings, ctx);
    const stop = observeCall(ctx, trace);
    if (stop === undefined) {
      link.next(ctx, done); // an enclosing tracing policy traces this call
      return;
    }
    try {
      trace.start(this.settings.api.context.active());
    } catch (error) {
      reportInternalError(error, TRACING_SOURCE);
      stop();
      link.next(ctx, done);
      return;
    }
    let ended = false;
    const end = (o: Outcome): void => {
      if (ended) return;
      ended = true;
      stop();
      try {
        trace.finish(o);
      } catch (error) {
        reportInternalError(error, TRACING_SOURCE);
      }
    };
    // A strategy bug inside settles the caller's promise through `finish`, not through the
    // chain: end the trace then too, so no span stays open and the observation stops.
    const call = ctx.call;
    const settle = call.finish;
    if (settle !== undefined) {
      call.finish = (o) => {
        end(o);
        settle(o);
      };
    }
    try {
      trace.within(trace.context, () =>
        link.next(ctx, (o) => {
          end(o);
          done(o);
        }),
      );
    } catch (error) {
      end({ ok: false, error });
      throw error;
    }
  }

  /** @internal */
  protected describeOptions(): Record<string, unknown> {
    const { labelKeys, attributes, recordExceptions } = this.settings;
    return {
      tracerName: this.tracerName,
      ...(this.tracerVersion !== undefined ? { tracerVersion: this.tracerVersion } : {}),
      labelKeys,
      attributes,
      recordExceptions,
    };
  }
}

/**
 * Creates a {@link TracingPolicy}: OpenTelemetry spans for every call, through the
 * `@opentelemetry/api` object you pass (breakwater has no dependency on it). Place it first
 * (outermost) in the pipeline.
 *
 * @throws OptionsValidationError when an option is invalid (an `api` that does not look
 *   like `@opentelemetry/api`, an unknown key…), naming every bad field.
 *
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * const payments = pipeline(
 *   { name: 'payments' },
 *   tracing({ api, tracerName: 'shop', labelKeys: ['region'] }),
 *   fallback({ tiers: [queueForLater] }),
 *   retry({ maxAttempts: 3, delay: 200 }),
 *   circuitBreaker({ name: 'payment-gateway' }),
 *   timeout(2_000),
 * );
 * ```
 */
export function tracing(options: TracingOptions): TracingPolicy {
  const input: unknown = options === undefined ? {} : options;
  return new TracingPolicy(validateOptions<TracingOptions>('tracing', input, tracingSchema));
}
