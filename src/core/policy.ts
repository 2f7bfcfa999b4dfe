/**
 * The policy interface and the pipeline.
 *
 * Every policy is `execute(fn, options)` and `wrap(fn)`. Internally each policy is one or
 * more *strategies*: objects with a `run(ctx, link, done)` method in continuation-passing
 * style. A pipeline flattens its policies' strategies into one chain of {@link Link}s at
 * construction; `execute()` then walks that chain with no per-call closure ladder and no
 * promise per layer: the only promises on the success path are the caller's and the
 * function's own.
 *
 * @packageDocumentation
 */
import { awaitFunction } from './alone';
import { compile, invoke, Link, type ChainEntry, type Strategy } from './chain';
import { isSystemClock, systemClock, type Clock } from './clock';
import { oneClock } from './clock-rule';
import { EMPTY_LABELS, ExecutionContext, type ExecuteOptions } from './context';
import { Emitter, type EventPayload, type ExecutedEvent, type Listener, type ResilienceEvent, type Subscription } from './events';
import type { Done, Outcome } from './outcome';
import { rules, validateOptions } from './validation';
import { OptionsValidationError } from './errors';

export { Link, type ChainEntry, type Strategy };
export type { EventOfType, PipelineOptions, PolicyDescription } from './policy-types';
import type { EventOfType, PipelineOptions, PolicyDescription } from './policy-types';

/** @internal Common construction options. */
export interface PolicyBaseOptions {
  readonly kind: string;
  readonly name: string;
  readonly clock: Clock;
  readonly operation?: string | undefined;
  /**
   * True for policies whose state lives across calls on their own clock (a breaker's open
   * time, a fault's schedule, a retry budget's window): such a policy pins its clock, even
   * the system clock, and a pipeline refuses to run it on another.
   */
  readonly keepsTime?: boolean | undefined;
  /** Default of {@link ExecuteOptions.abortOnSettle}. */
  readonly abortOnSettle?: boolean | undefined;
}

const POLICY_BRAND = Symbol.for('breakwater.policy');
declare const RESULT: unique symbol;

/** The event type of a policy. */
export type EventOf<P> = P extends Policy<infer E> ? E : never;

/**
 * The result type a policy binds its calls to: `unknown` for every policy but a typed
 * fallback, whose tiers produce a value of that type.
 */
export type ResultOf<P> = P extends {
  /** The bound result type (type-only). */
  readonly [RESULT]?: infer R;
}
  ? R
  : unknown;

/**
 * The result type every policy of the tuple `P` accepts: the intersection of their
 * {@link ResultOf}, `unknown` when none binds it.
 */
export type ResultBound<P extends readonly unknown[]> = P extends readonly [infer H, ...infer T] ? ResultOf<H> & ResultBound<T> : unknown;

/**
 * The value `execute()` resolves with: the function's own type `T` for untyped policies,
 * the bound `R` when a policy (a typed fallback) may answer in the function's place.
 */
export type Executed<T, R> = unknown extends R ? T : R;

/**
 * What every policy and pipeline offers: `execute`, `wrap`, events and a description.
 *
 * @typeParam E - the events this policy emits.
 *
 * @example
 * ```ts
 * const p = retry({ maxAttempts: 3 });
 * const value = await p.execute((ctx) => load(ctx.signal));
 * const sub = p.on('retry', (e) => console.log(`retry #${e.attempt} in ${e.delay} ms`));
 * sub.dispose();
 * ```
 */
export abstract class Policy<E extends ResilienceEvent = ResilienceEvent, R = unknown> {
  /** @internal Brand: recognizes policies across two copies of the package (ESM and CJS). */
  readonly [POLICY_BRAND] = true;
  /**
   * @internal Type-only: the result type this policy binds (see {@link ResultOf}). Never
   * set at run time.
   */
  declare readonly [RESULT]?: R;
  /** Policy kind, e.g. `'retry'` or `'pipeline'`. */
  readonly kind: string;
  /** The name given at construction (defaults to the kind). Used in events, metrics and errors. */
  readonly name: string;
  /** The clock this policy reads. */
  readonly clock: Clock;
  /** @internal Untyped on purpose: keeps `Policy<E>` covariant in `E`. */
  readonly events = new Emitter<ResilienceEvent>();
  /** @internal Default operation key. */
  protected readonly defaultOperation: string;
  /** @internal Default of {@link ExecuteOptions.abortOnSettle} for calls of this policy. */
  protected readonly abortOnSettle: boolean;
  /**
   * @internal The clock this policy insists on, or `undefined` when it follows whatever
   * clock the call runs on: a clock given explicitly, or any clock of a policy that keeps
   * time across calls ({@link PolicyBaseOptions.keepsTime}).
   */
  readonly pinnedClock: Clock | undefined;
  private head: Link | undefined | null = null;
  /** The pipelines that contain this policy, weakly held (see {@link Policy.attachPipeline}). */
  private enclosing: WeakRef<Policy>[] | undefined = undefined;

  protected constructor(base: PolicyBaseOptions) {
    this.kind = base.kind;
    this.name = base.name;
    this.clock = base.clock;
    this.pinnedClock = base.keepsTime === true || !isSystemClock(base.clock) ? base.clock : undefined;
    this.defaultOperation = base.operation ?? 'default';
    this.abortOnSettle = base.abortOnSettle === true;
    this.pipelineName = base.kind === 'pipeline' ? base.name : undefined;
  }

  /** @internal The strategies of this policy, outermost first. */
  abstract entries(): readonly ChainEntry[];

  /** @internal Name reported as `pipeline` in events of calls executed by this policy (a pipeline's own name). */
  private readonly pipelineName: string | undefined;

  /**
   * Runs `fn` through this policy. `fn` receives the {@link ExecutionContext}.
   * Resolves with `fn`'s value or rejects with its (last) error, or with the policy's own
   * error (`BrokenCircuitError`, `TimeoutError`…). A call whose signal is already aborted
   * rejects at once with the signal's reason, without running.
   *
   * When the policy contains a typed fallback (`fallback<string>(…)`), `fn` must produce
   * that type, since the fallback may answer in its place.
   */
  execute<T extends R>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<Executed<T, R>> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`execute() expects a function, got ${typeof fn}`));
    }
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    let head = this.head;
    if (head === null) head = this.head = compile(this.entries());
    const ctx = new ExecutionContext(this.clock, options, this.defaultOperation, this.pipelineName);
    ctx.fn = fn;
    if (options?.abortOnSettle ?? this.abortOnSettle) ctx.abortOnSettle = true;
    // The `executed` event is timed only when someone listens (decided at the start).
    const timed = this.events.size > 0;
    if (!timed) {
      // Nobody listens: a lone policy may run the call promise-natively (core/alone.ts).
      const alone = this.runAlone(ctx, head);
      if (alone !== undefined) return alone as Promise<Executed<T, R>>;
    }
    return this.runChain(ctx, head, timed) as Promise<Executed<T, R>>;
  }

  /**
   * Runs a call through the compiled chain (continuation-passing). Kept out of `execute()`
   * so that the promise-native path allocates none of the closures' shared state.
   */
  private runChain(ctx: ExecutionContext, head: Link | undefined, timed: boolean, start?: (done: Done) => void): Promise<unknown> {
    const startTime = timed ? this.clock.now() : 0;
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      let synchronous = true;
      const done = (o: Outcome): void => {
        if (settled) return;
        settled = true;
        ctx.dispose();
        if (timed) this.emitExecuted(ctx, startTime, o);
        if (o.ok) resolve(o.value);
        // A rejection decided before execute() returns (an open circuit, a full bulkhead) is
        // delivered one microtask later, once the caller's await has attached its handler:
        // rejecting a promise that has no handler yet costs V8 ~0.4 µs of bookkeeping.
        else if (synchronous) queueMicrotask(() => reject(o.error));
        else reject(o.error);
      };
      ctx.finish = done;
      if (start !== undefined) start(done);
      else if (head === undefined) invoke(ctx, done);
      else head.strategy.run(ctx, head, done);
      synchronous = false;
    });
  }

  /**
   * @internal For a promise-native path that goes on in the chain (a rate limiter's refusal):
   * `start(done)` runs the rest; the promise settles as `execute()`'s would.
   */
  protected finishInChain(ctx: ExecutionContext, start: (done: Done) => void): Promise<unknown> {
    return this.runChain(ctx, undefined, false, start);
  }

  /**
   * @internal The promise-native path of a call (see `core/alone.ts`), offered by a policy
   * that runs alone; `undefined` (the default) runs the call through the chain. Called only
   * when nobody listens to this policy's events. The promise it returns must settle exactly
   * once, with the call's value or error, and must dispose of `ctx` (`ctx.dispose()`) when
   * the call ends.
   */
  protected runAlone(_ctx: ExecutionContext, _head: Link | undefined): Promise<unknown> | undefined {
    return undefined;
  }

  private emitExecuted(ctx: ExecutionContext, start: number, o: Outcome): void {
    const time = this.clock.now();
    const event: ExecutedEvent = {
      kind: 'execution',
      type: 'executed',
      policy: this.name,
      pipeline: ctx.pipelineName,
      operation: ctx.operation,
      labels: ctx.labels,
      time,
      duration: time - start,
      ok: o.ok,
      error: o.ok ? undefined : o.error,
      attempts: ctx.attemptCount,
      fallback: ctx.usedFallback,
      injected: ctx.injected,
      cancelled: ctx.cancelledByCaller,
    };
    this.events.emit(event);
  }

  /**
   * @internal Emits an event that belongs to no call (a manual `isolate()`, a breaker's
   * recovery timer) to this policy's listeners and, exactly once each, to those of every
   * pipeline that contains it (nested pipelines included), like a call's events. It carries
   * no pipeline name, the policy's default operation and no labels.
   */
  protected emitDetached(payload: EventPayload<E>): void {
    const pipelines = this.enclosingPipelines();
    if (this.events.size === 0 && !pipelines.some((p) => p.events.size > 0)) return;
    const event = {
      kind: this.kind,
      policy: this.name,
      pipeline: undefined,
      operation: this.defaultOperation,
      labels: EMPTY_LABELS,
      time: this.clock.now(),
      ...payload,
    } as ResilienceEvent;
    this.events.emit(event);
    for (const p of pipelines) p.events.emit(event);
  }

  /** @internal True when a pipeline that contains this policy has listeners. */
  protected get pipelinesListening(): boolean {
    return this.enclosingPipelines().some((p) => p.events.size > 0);
  }

  /**
   * @internal Called by a pipeline that contains this policy: remembers it, weakly (a
   * pipeline built per request around a shared breaker must stay collectable), so events
   * that belong to no call reach its listeners.
   */
  attachPipeline(pipeline: Policy): void {
    const live = this.enclosingPipelines();
    if (live.includes(pipeline)) return;
    this.enclosing = [...live.map((p) => new WeakRef(p)), new WeakRef(pipeline)];
  }

  /**
   * @internal Called when the listeners of a pipeline that contains this policy change
   * (a breaker arms or clears its recovery timer). Does nothing by default.
   */
  enclosingListenersChanged(): void {}

  /**
   * @internal Called around every change of this policy's own listeners: with `0` just
   * before a listener of event `type` (`undefined`: every event) is added, so what became
   * due before it came is settled without it; with `1` once it is added; with `-1` when it
   * is disposed. Does nothing by default.
   */
  protected listenersChanged(_type: string | undefined, _delta: -1 | 0 | 1): void {}

  private enclosingPipelines(): Policy[] {
    const refs = this.enclosing;
    if (refs === undefined) return NO_POLICIES;
    const live: Policy[] = [];
    for (let i = 0; i < refs.length; i++) {
      const p = (refs[i] as WeakRef<Policy>).deref();
      if (p !== undefined) live.push(p);
    }
    if (live.length < refs.length) this.enclosing = live.length === 0 ? undefined : live.map((p) => new WeakRef(p));
    return live;
  }

  /**
   * Returns a function with `fn`'s parameters that runs `fn` through this policy. `this`
   * is passed through. Inside `fn`, {@link index!currentContext} gives the context.
   *
   * @example
   * ```ts
   * const getProfile = policy.wrap((id: string) => api.profile(id));
   * await getProfile('u1');
   * ```
   */
  wrap<A extends unknown[], T extends R>(
    fn: (...args: A) => T | PromiseLike<T>,
    options?: ExecuteOptions,
  ): (...args: A) => Promise<Executed<T, R>> {
    if (typeof fn !== 'function') throw new TypeError(`wrap() expects a function, got ${typeof fn}`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const policy = this;
    return function wrapped(this: unknown, ...args: A): Promise<Executed<T, R>> {
      return policy.execute<T>(() => fn.apply(this, args), options);
    };
  }

  /**
   * Listens to one event type. Returns a {@link Subscription}.
   *
   * @example
   * ```ts
   * breaker.on('opened', (e) => log.warn(`${e.policy} opened: ${e.reason}`));
   * ```
   */
  on<K extends (E | ExecutedEvent)['type']>(type: K, listener: Listener<EventOfType<E | ExecutedEvent, K>>): Subscription {
    return this.watched(type, () =>
      this.events.on((event) => {
        if (event.type === type) listener(event as unknown as EventOfType<E | ExecutedEvent, K>);
      }),
    );
  }

  /**
   * Listens to every event of this policy (for a pipeline: of all its policies), plus the
   * `executed` event of calls run by this object's own `execute()`.
   */
  onEvent(listener: Listener<E | ExecutedEvent>): Subscription {
    return this.watched(undefined, () => this.events.on(listener as Listener<ResilienceEvent>));
  }

  /** Subscribes, telling {@link Policy.listenersChanged} before, after, and on dispose. */
  private watched(type: string | undefined, subscribe: () => Subscription): Subscription {
    this.listenersChanged(type, 0);
    const sub = subscribe();
    this.listenersChanged(type, 1);
    let active = true;
    return {
      dispose: () => {
        if (!active) return;
        active = false;
        sub.dispose();
        this.listenersChanged(type, -1);
      },
    };
  }

  /** A plain description of this policy and its options. */
  abstract describe(): PolicyDescription;
}

/**
 * Base of single-strategy policies (retry, circuit breaker…): the policy object is its own
 * strategy. Subclasses implement `run`.
 * @internal
 */
export abstract class StrategyPolicy<E extends ResilienceEvent, R = unknown> extends Policy<E, R> implements Strategy {
  private readonly chain: readonly ChainEntry[];
  protected constructor(base: PolicyBaseOptions) {
    super(base);
    this.chain = [{ strategy: this, emitters: [this.events] }];
  }
  /** @internal */
  entries(): readonly ChainEntry[] {
    return this.chain;
  }
  /** @internal */
  abstract run(ctx: ExecutionContext, link: Link, done: Done): void;
  /** @internal The options shown by `describe()`. */
  protected abstract describeOptions(): Record<string, unknown>;
  describe(): PolicyDescription {
    return { kind: this.kind, name: this.name, options: this.describeOptions() };
  }
}

const pipelineSchema = {
  name: rules.string(),
  operation: rules.string(),
  clock: rules.clock(),
  abortOnSettle: rules.boolean(),
};

/**
 * Policies composed into one. The first policy is the outermost: a call enters it first
 * and its outcome leaves through it last. A pipeline is itself a policy and nests.
 *
 * @typeParam E - the union of its policies' events.
 */
export class Pipeline<E extends ResilienceEvent = ResilienceEvent, R = unknown> extends Policy<E, R> {
  /** The policies, outermost first. */
  readonly policies: readonly Policy[];
  private readonly chain: readonly ChainEntry[];
  /** The policies of this pipeline and of the pipelines nested in it, pipelines excepted. */
  private readonly leaves: readonly Policy[];

  /** @internal Use {@link pipeline}. */
  constructor(options: PipelineOptions, policies: readonly Policy[]) {
    const opts = validateOptions<PipelineOptions>('pipeline', options, pipelineSchema);
    const pinned = oneClock(opts.clock, policies);
    const clock = pinned ?? systemClock;
    super({
      kind: 'pipeline',
      name: opts.name ?? 'pipeline',
      clock,
      operation: opts.operation,
      keepsTime: pinned !== undefined,
      abortOnSettle: opts.abortOnSettle,
    });
    this.policies = policies;
    this.leaves = leavesOf(policies);
    for (const leaf of this.leaves) if (typeof leaf.attachPipeline === 'function') leaf.attachPipeline(this);
    const mine = this.events;
    this.chain = policies.flatMap((p) => p.entries().map((e) => ({ strategy: e.strategy, emitters: [...e.emitters, mine] })));
  }

  /** @internal */
  entries(): readonly ChainEntry[] {
    return this.chain;
  }

  /** @internal A pipeline of no policy runs the function promise-natively. */
  protected override runAlone(ctx: ExecutionContext, head: Link | undefined): Promise<unknown> | undefined {
    return head === undefined ? awaitFunction(ctx) : undefined;
  }

  protected override listenersChanged(): void {
    for (const leaf of this.leaves) if (typeof leaf.enclosingListenersChanged === 'function') leaf.enclosingListenersChanged();
  }

  describe(): PolicyDescription {
    return { kind: this.kind, name: this.name, options: {}, policies: this.policies.map((p) => p.describe()) };
  }
}

const NO_POLICIES: Policy[] = [];

/** The non-pipeline policies of `policies`, nested pipelines flattened (from either copy of the package). */
function leavesOf(policies: readonly Policy[]): Policy[] {
  const out: Policy[] = [];
  for (const p of policies) {
    const inner = (p as { readonly policies?: unknown }).policies;
    if (p.kind === 'pipeline' && Array.isArray(inner)) out.push(...leavesOf(inner as Policy[]));
    else if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** True for any policy or pipeline, from this or another copy of the package. */
export function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && (value as { [POLICY_BRAND]?: unknown })[POLICY_BRAND] === true;
}

/**
 * Composes policies into one; the first is the outermost. Optionally takes
 * {@link PipelineOptions} first.
 *
 * Recommended order: fallback › retry › circuit breaker › timeout › bulkhead › chaos.
 *
 * @example
 * ```ts
 * const payments = pipeline(
 *   { name: 'payments' },
 *   retry({ maxAttempts: 3 }),
 *   circuitBreaker({ name: 'payment-gateway' }),
 *   timeout(2_000),
 * );
 * await payments.execute((ctx) => gateway.charge(order, { signal: ctx.signal }));
 * ```
 */
export function pipeline<P extends readonly Policy<ResilienceEvent>[]>(...policies: P): Pipeline<EventOf<P[number]>, ResultBound<P>>;
export function pipeline<P extends readonly Policy<ResilienceEvent>[]>(
  options: PipelineOptions,
  ...policies: P
): Pipeline<EventOf<P[number]>, ResultBound<P>>;
export function pipeline(...args: unknown[]): Pipeline<ResilienceEvent> {
  let options: PipelineOptions = {};
  let rest = args;
  if (args.length > 0 && !isPolicy(args[0])) {
    options = args[0] as PipelineOptions;
    rest = args.slice(1);
  }
  const bad = rest.findIndex((p) => !isPolicy(p));
  if (bad >= 0) {
    throw new OptionsValidationError('pipeline', [
      { path: `policies[${bad}]`, value: rest[bad], expected: 'a policy (made by retry(), circuitBreaker(), pipeline()…)' },
    ]);
  }
  return new Pipeline(options, rest as Policy[]);
}

/** @internal Re-exported for strategies. */
export type { Done, Outcome };
