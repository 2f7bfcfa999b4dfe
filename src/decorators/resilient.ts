/**
 * Method decorators that run a method through a policy. One implementation serves both
 * TC39 standard decorators (`(value, context)`, TypeScript ≥ 5 default) and legacy
 * `experimentalDecorators` (`(target, key, descriptor)`): the form is detected from the
 * arguments at run time.
 *
 * Stacked breakwater decorators fuse into one pipeline (one `execute`, one execution
 * context) whose order is the written order: the decorator written first (on top) is the
 * outermost policy, as in `pipeline(first, second, …)`.
 *
 * @packageDocumentation
 */
import type { ExecuteOptions } from '../core/context';
import { Policy, pipeline } from '../core/policy';
import { rules, validateOptions } from '../core/validation';

/** Where a decorated method's policy lives. */
export type PolicyScope = 'shared' | 'instance';

/**
 * A policy, or a function making one (required for `scope: 'instance'`). With
 * `scope: 'instance'` the function receives the instance, so a policy can use the
 * instance's configuration (its clock, say); with `'shared'` it receives `undefined`.
 */
export type PolicySource = Policy | ((self: never) => Policy);

/** Options of {@link resilient}. */
export interface ResilientOptions {
  /**
   * `'shared'`: one policy per decorated method, shared by every instance (a service
   * singleton's breaker). `'instance'`: one per instance (made by calling the factory the
   * first time the method runs on that instance; kept in a `WeakMap`).
   * @defaultValue `'shared'`
   */
  readonly scope?: PolicyScope | undefined;
  /**
   * Operation key of the calls (metrics, chaos targeting, `lastKnownGood`).
   * @defaultValue the method's name
   */
  readonly operation?: string | undefined;
  /**
   * Per-call execute options computed from `this` and the arguments, e.g. to pass the
   * caller's signal or labels: `(self, [order, signal]) => ({ signal })`.
   * @defaultValue none
   */
  readonly callOptions?: ((self: unknown, args: readonly unknown[]) => ExecuteOptions) | undefined;
}

/** Scope option accepted by the shorthand decorators next to the policy's own options. */
export interface ScopeOption {
  /** See {@link ResilientOptions.scope}. @defaultValue `'shared'` */
  readonly scope?: PolicyScope | undefined;
}

/** A method that returns a promise: what the decorators accept. */
export type AsyncMethod<This = unknown, A extends unknown[] = never[], R = unknown> = (this: This, ...args: A) => Promise<R>;

/**
 * A method decorator usable with TC39 standard decorators and with legacy
 * `experimentalDecorators`. It accepts methods that return a promise; the decorated
 * method keeps its parameters, `this` and return type.
 */
export interface ResilientDecorator {
  /**
   * TC39 standard decorator form.
   *
   * @typeParam This - the class instance type (`this` inside the method).
   * @typeParam A - the method's parameter types.
   * @typeParam R - the type the method's promise resolves to.
   */
  <This, A extends unknown[], R>(
    value: (this: This, ...args: A) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): (this: This, ...args: A) => Promise<R>;
  /**
   * Legacy `experimentalDecorators` form.
   *
   * @typeParam T - the decorated method's type (a function returning a promise).
   */
  <T extends (...args: never[]) => Promise<unknown>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T>;
}

/** @internal One decorator's contribution to a method's pipeline. */
interface Layer {
  readonly scope: PolicyScope;
  readonly source: PolicySource;
  readonly options: ResilientOptions;
  shared: Policy | undefined;
}

/** @internal Stored on decorated wrappers, so stacked decorators fuse and policyOf() works. */
interface Meta {
  readonly original: (...args: unknown[]) => unknown;
  readonly layers: readonly Layer[];
  resolve(self: unknown): Policy;
}

const META: unique symbol = Symbol.for('breakwater.decorated');

type Wrapper = ((this: unknown, ...args: unknown[]) => Promise<unknown>) & { [META]?: Meta };

const schema = {
  scope: rules.oneOf(['shared', 'instance']),
  operation: rules.string(),
  callOptions: rules.func('a function (self, args) => execute options'),
};

function isPolicy(v: unknown): v is Policy {
  return v instanceof Policy;
}

function made(source: PolicySource, what: string, self: unknown): Policy {
  if (isPolicy(source)) return source;
  const p: unknown = (source as (self: unknown) => unknown)(self);
  if (!isPolicy(p)) throw new TypeError(`${what}: the policy factory returned ${p === null ? 'null' : typeof p}, not a policy`);
  return p;
}

function keyName(key: string | symbol): string {
  return typeof key === 'string' ? key : (key.description ?? 'symbol');
}

function isObjectLike(v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

/** Builds the wrapper of `original` running through `layers` (outermost first). */
function wrap(original: (...args: unknown[]) => unknown, layers: readonly Layer[], name: string): Wrapper {
  const what = `@${name}`;
  const setting = <K extends keyof ResilientOptions>(k: K): ResilientOptions[K] => {
    for (const l of layers) if (l.options[k] !== undefined) return l.options[k];
    return undefined;
  };
  const operation = setting('operation') ?? name;
  const callOptions = setting('callOptions');
  const baseOptions: ExecuteOptions = { operation };
  const perInstance = layers.some((l) => l.scope === 'instance');
  const compose = (self: unknown): Policy => {
    const policies = layers.map((l) => {
      if (l.scope === 'instance') return made(l.source, what, self);
      return (l.shared ??= made(l.source, what, undefined));
    });
    return policies.length === 1 ? (policies[0] as Policy) : pipeline({ name, operation }, ...policies);
  };
  let shared: Policy | undefined;
  const instances = new WeakMap<object, Policy>();
  const resolve = (self: unknown): Policy => {
    if (!perInstance) return (shared ??= compose(undefined));
    if (!isObjectLike(self)) {
      throw new TypeError(`${what}: an instance-scoped method was called without an object as \`this\` (got ${String(self)})`);
    }
    let p = instances.get(self);
    if (p === undefined) {
      p = compose(self);
      instances.set(self, p);
    }
    return p;
  };
  const wrapper: Wrapper = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    let policy: Policy;
    let options: ExecuteOptions = baseOptions;
    try {
      policy = resolve(this);
      if (callOptions !== undefined) options = { operation, ...callOptions(this, args) };
    } catch (error) {
      return Promise.reject(error);
    }
    return policy.execute(() => original.apply(this, args), options);
  };
  Object.defineProperty(wrapper, 'name', { value: name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  Object.defineProperty(wrapper, META, { value: { original, layers, resolve } satisfies Meta });
  return wrapper;
}

/** Applies `layer` on top of `method` (fusing with a breakwater wrapper beneath). */
function decorate(method: unknown, layer: Layer, name: string, what: string): Wrapper {
  if (typeof method !== 'function') throw new TypeError(`${what} can only decorate methods, got ${typeof method}`);
  const meta = (method as Wrapper)[META];
  if (meta !== undefined) return wrap(meta.original, [layer, ...meta.layers], name);
  return wrap(method as (...args: unknown[]) => unknown, [layer], name);
}

interface DecoratorContextLike {
  readonly kind: string;
  readonly name: string | symbol;
}

/** @internal Makes a decorator that works in both TC39 and legacy modes. */
export function makeDecorator(source: PolicySource, options: ResilientOptions, what: string): ResilientDecorator {
  const scope = options.scope ?? 'shared';
  function decorator(...args: unknown[]): unknown {
    // A fresh layer per decorated method: a factory makes one policy per method (shared
    // scope) or per method and instance (instance scope).
    const layer: Layer = { scope, source, options, shared: undefined };
    const [a, b, c] = args;
    if (args.length === 2 && isObjectLike(b) && typeof (b as DecoratorContextLike).kind === 'string') {
      const ctx = b as DecoratorContextLike;
      if (ctx.kind !== 'method') throw new TypeError(`${what} can only decorate methods, not a ${ctx.kind}`);
      return decorate(a, layer, keyName(ctx.name), what);
    }
    if (args.length === 3 && isObjectLike(a) && (typeof b === 'string' || typeof b === 'symbol') && isObjectLike(c)) {
      const descriptor = c as PropertyDescriptor;
      if (typeof descriptor.value !== 'function') throw new TypeError(`${what} can only decorate methods, not an accessor or field`);
      return { ...descriptor, value: decorate(descriptor.value, layer, keyName(b), what) };
    }
    throw new TypeError(`${what} can only decorate class methods (got ${args.length} decorator arguments)`);
  }
  return decorator as ResilientDecorator;
}

/**
 * Runs the decorated method through `policy` (a policy or a pipeline, or a function that
 * makes one). Works with TC39 standard decorators and legacy `experimentalDecorators`.
 *
 * - By default one policy per decorated method serves every instance (a factory is
 *   called once per method); with `scope: 'instance'` pass a factory
 *   `(instance) => policy` and each instance gets its own (made on its first call). A
 *   policy object is that same object wherever the decorator is applied.
 * - The method's parameters, `this` and return type are kept; it must return a promise.
 * - Inside the method, `currentContext()` (from `breakwater`) gives the call's
 *   `ExecutionContext` (signal, attempt, deadline) during its synchronous start: read it
 *   before the first `await`.
 * - Stacked breakwater decorators fuse into one pipeline, top decorator outermost.
 *
 * @param policy - the policy, or a factory of policies.
 * @param options - {@link ResilientOptions}.
 * @example
 * ```ts
 * const gatewayPolicy = pipeline(retry({ maxAttempts: 3 }), timeout(2_000));
 * class Shop {
 *   @resilient(gatewayPolicy)
 *   async charge(orderId: string): Promise<Receipt> {
 *     const ctx = currentContext();
 *     return gateway.charge(orderId, { signal: ctx?.signal });
 *   }
 * }
 * ```
 */
export function resilient(policy: PolicySource, options?: ResilientOptions): ResilientDecorator {
  const opts = validateOptions<ResilientOptions>('resilient', options, schema, (o, issues) => {
    if (o.scope === 'instance' && isPolicy(policy)) {
      issues.push({ path: 'scope', value: 'instance', expected: "used with a policy factory (() => policy), not a policy object, so each instance can get its own" });
    }
  });
  if (!isPolicy(policy) && typeof policy !== 'function') {
    throw new TypeError(`@resilient expects a policy or a function returning one, got ${policy === null ? 'null' : typeof policy}`);
  }
  return makeDecorator(policy, opts, '@resilient');
}

/**
 * The policy a decorated method of `target` runs through (creating it if it does not exist
 * yet), e.g. to listen to its events or read a breaker's state. For instance-scoped
 * methods pass the instance; for shared ones the instance or the prototype.
 *
 * @example
 * ```ts
 * policyOf(shop, 'charge')?.onEvent((e) => console.log(e.type));
 * ```
 */
export function policyOf(target: object, method: string | symbol): Policy | undefined {
  const fn = (target as Record<string | symbol, unknown>)[method];
  if (typeof fn !== 'function') return undefined;
  const meta = (fn as Wrapper)[META];
  return meta?.resolve(target);
}
