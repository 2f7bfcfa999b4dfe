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
import { callWithContext, type ExecuteOptions, type ExecutionContext } from '../core/context';
import { Policy, isPolicy, pipeline } from '../core/policy';
import { rules, validateOptions } from '../core/validation';

/** Where a decorated method's policy lives. */
export type PolicyScope = 'shared' | 'instance';

/**
 * A policy, or a function making one (required for `scope: 'instance'`). With
 * `scope: 'instance'` the function receives the instance, so a policy can use the
 * instance's configuration (its clock, say); with `'shared'` it receives `undefined`.
 */
export type PolicySource = Policy | ((self: never) => Policy);

/**
 * Options of {@link resilient}.
 *
 * @typeParam This - the class instance type of the decorated method (`this` inside it);
 * inferred from the method when the options are written inline in the decorator.
 * @typeParam A - the decorated method's parameter types, inferred the same way.
 *
 * @example
 * ```ts
 * class Matchmaking {
 *   @resilient(payments, {
 *     operation: 'matchmaking.find',
 *     callOptions: (self, [region, signal]) => ({ signal, labels: { region, zone: self.zone } }),
 *   })
 *   async find(region: string, signal?: AbortSignal): Promise<Match> { … }
 * }
 * ```
 */
export interface ResilientOptions<This = unknown, A extends unknown[] = never[]> {
  /**
   * `'shared'`: one policy per decorated method, shared by every instance (a service
   * singleton's breaker). `'instance'`: one per instance (made by calling the factory the
   * first time the method runs on that instance; kept in a `WeakMap`).
   * @defaultValue `'shared'`
   */
  readonly scope?: PolicyScope | undefined;
  /**
   * Operation key of the calls (metrics, chaos targeting, `lastKnownGood`).
   * @defaultValue `'Class.method'`: the name of the class that declares the method, a dot
   * and the method's name, e.g. `'ProfileDb.get'` (see {@link resilient} for the rule)
   */
  readonly operation?: string | undefined;
  /**
   * Per-call execute options computed from `this` and the arguments, e.g. to pass the
   * caller's signal or labels: `(self, [order, signal]) => ({ signal })`. Written inline
   * in the decorator, `self` is typed as the class instance and `args` as the method's
   * parameters; options declared apart from the decorator type them with the type
   * parameters: `ResilientOptions<Matchmaking, [region: string, signal?: AbortSignal]>`.
   * An `operation` returned here overrides the decorator's.
   * @defaultValue none
   */
  readonly callOptions?: ((self: This, args: A) => ExecuteOptions) | undefined;
}

/** Scope option accepted by the shorthand decorators next to the policy's own options. */
export interface ScopeOption {
  /** See {@link ResilientOptions.scope}. @defaultValue `'shared'` */
  readonly scope?: PolicyScope | undefined;
}

/**
 * Options every shorthand decorator (`@retry`, `@circuitBreaker`, `@timeout`,
 * `@bulkhead`, `@fallback`) accepts next to the policy's own options (whose `name`
 * defaults, for a decorator, to `'Class.method'` instead of the policy kind).
 *
 * @example
 * ```ts
 * class ProfileDb {
 *   @circuitBreaker({ name: 'profile-db', operation: 'profile.get', failureThreshold: 5 })
 *   async get(id: string): Promise<Profile> { return db.profile(id); }
 * }
 * ```
 */
export interface DecoratorOptions extends ScopeOption {
  /**
   * Operation key of the calls (metrics, chaos targeting, `lastKnownGood`); the topmost
   * decorator of a stack that sets it wins.
   * @defaultValue `'Class.method'`, e.g. `'ProfileDb.get'`
   */
  readonly operation?: string | undefined;
}

/** A method that returns a promise: what the decorators accept. */
export type AsyncMethod<This = unknown, A extends unknown[] = never[], R = unknown> = (this: This, ...args: A) => Promise<R>;

/**
 * The arguments a method decorator receives: `(value, context)` from TC39 standard
 * decorators, `(target, propertyKey, descriptor)` from legacy `experimentalDecorators`.
 *
 * @typeParam This - the class instance type (`this` inside the method).
 * @typeParam A - the method's parameter types.
 * @typeParam R - the type the method's promise resolves to.
 * @example
 * ```ts
 * // What `@resilient(p)` receives on `async get(id: string): Promise<Profile>` of ProfileDb:
 * type Args = ResilientDecoratorArgs<ProfileDb, [id: string], Profile>;
 * ```
 */
export type ResilientDecoratorArgs<This, A extends unknown[], R> =
  | [value: (this: This, ...args: A) => Promise<R>, context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>]
  | [target: This, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<(...args: A) => Promise<R>>];

/**
 * A method decorator usable with TC39 standard decorators and with legacy
 * `experimentalDecorators`. It accepts methods that return a promise (and, when made
 * with typed `callOptions`, whose `this` and parameters match them); the decorated method
 * keeps its parameters, `this` and return type.
 *
 * One call signature serves both decorator forms, so that TypeScript can infer `This`
 * and `A` of {@link resilient}'s options from the decorated method in either mode.
 *
 * @typeParam This - the class instance type the decorator accepts.
 * @typeParam A - the parameter types the decorator accepts.
 * @example
 * ```ts
 * const guarded: ResilientDecorator = resilient(gatewayPolicy);
 * class Shop {
 *   @guarded
 *   async charge(orderId: string): Promise<Receipt> { return gateway.charge(orderId); }
 * }
 * ```
 */
export interface ResilientDecorator<This = unknown, A extends unknown[] = never[]> {
  /** @typeParam R - the type the method's promise resolves to. */
  <R>(...args: ResilientDecoratorArgs<This, A, R>): void;
}

/**
 * @internal Makes one layer's policy: receives the instance (`undefined` for a shared
 * policy) and the method's default name (`'Class.method'`).
 */
export type PolicyMaker = (self: unknown, defaultName: string) => Policy;

/** @internal The settings a decorator contributes besides its policy. */
interface LayerOptions {
  readonly operation?: string | undefined;
  readonly callOptions?: ((self: unknown, args: unknown[]) => ExecuteOptions) | undefined;
}

/** @internal One decorator's contribution to a method's pipeline. */
interface Layer {
  readonly scope: PolicyScope;
  readonly make: PolicyMaker;
  readonly what: string;
  readonly options: LayerOptions;
  shared: Policy | undefined;
}

/** @internal Where a decorated method is declared. */
interface Site {
  /** The method's name (a symbol's description; `#name` for a TC39 private method). */
  readonly method: string;
  /** The property key, to find the class on the prototype chain; `undefined` for a `#private` method. */
  readonly key: string | symbol | undefined;
  /** The declaring class's name when the decorator saw the class (legacy decorators). */
  readonly className: string | undefined;
}

/** @internal Stored on decorated wrappers, so stacked decorators fuse and policyOf() works. */
interface Meta {
  readonly original: (...args: unknown[]) => unknown;
  readonly layers: readonly Layer[];
  resolve(self: unknown): Policy;
  /** The method's default name (`'Class.method'`), fixed the first time it is asked for. */
  named(self: unknown): string;
}

const META: unique symbol = Symbol.for('breakwater.decorated');

type Wrapper = ((this: unknown, ...args: unknown[]) => Promise<unknown>) & { [META]?: Meta };

const schema = {
  scope: rules.oneOf(['shared', 'instance']),
  operation: rules.string(),
  callOptions: rules.func('a function (self, args) => execute options'),
};

function keyName(key: string | symbol): string {
  return typeof key === 'string' ? key : (key.description ?? 'symbol');
}

function isObjectLike(v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

/** The name of the class `holder` stands for: a class itself, or a prototype or instance of it. */
function classNameOf(holder: object): string | undefined {
  const c: unknown = typeof holder === 'function' ? holder : (holder as { constructor?: unknown }).constructor;
  const name = typeof c === 'function' ? c.name : undefined;
  return name === '' ? undefined : name;
}

/**
 * The class that declares `wrapper` under `key`, seen from `self` (an instance, a
 * prototype, or a class for static methods): the holder of the wrapper on `self`'s
 * prototype chain, so a subclass instance still names the declaring class. Failing that
 * (a foreign decorator on top, a `#private` method), the first holder of the key, else
 * the class of `self`.
 */
function findClassName(self: unknown, key: string | symbol | undefined, wrapper: unknown): string | undefined {
  try {
    if (key !== undefined) {
      let first: object | undefined;
      for (let o: unknown = self; isObjectLike(o); o = Object.getPrototypeOf(o) as unknown) {
        const d = Object.getOwnPropertyDescriptor(o, key);
        if (d === undefined) continue;
        if (d.value === wrapper) return classNameOf(o);
        first ??= o;
      }
      if (first !== undefined) return classNameOf(first);
    }
    return isObjectLike(self) ? classNameOf(self) : undefined;
  } catch {
    // A proxy or a getter that throws: the method's name alone will do.
    return undefined;
  }
}

/** True for a policy made by this copy of the package (false for one from another copy). */
function isLocal(policy: Policy): boolean {
  return policy instanceof Policy;
}

function made(layer: Layer, self: unknown, name: string): Policy {
  const p: unknown = layer.make(self, name);
  if (!isPolicy(p)) {
    throw new TypeError(`${layer.what} on ${name}: the policy factory returned ${p === null ? 'null' : typeof p}, not a policy`);
  }
  return p;
}

/** Builds the wrapper of `original` running through `layers` (outermost first). */
function wrap(original: (...args: unknown[]) => unknown, layers: readonly Layer[], site: Site): Wrapper {
  const setting = <K extends keyof LayerOptions>(k: K): LayerOptions[K] => {
    for (const l of layers) if (l.options[k] !== undefined) return l.options[k];
    return undefined;
  };
  const callOptions = setting('callOptions');
  const perInstance = layers.some((l) => l.scope === 'instance');
  // Fixed on first need (legacy decorators saw the class; TC39 ones find it from the first
  // instance, the class itself for static methods, or the first call).
  let name: string | undefined;
  let operation = '';
  let baseOptions: ExecuteOptions = {};
  const named = (self: unknown): string => {
    if (name !== undefined) return name;
    const className = site.className ?? findClassName(self, site.key, wrapper);
    name = className === undefined ? site.method : `${className}.${site.method}`;
    operation = setting('operation') ?? name;
    baseOptions = { operation };
    return name;
  };
  const compose = (self: unknown): Policy => {
    const n = named(self);
    const policies = layers.map((l) => {
      if (l.scope === 'instance') return made(l, self, n);
      return (l.shared ??= made(l, undefined, n));
    });
    return policies.length === 1 ? (policies[0] as Policy) : pipeline({ name: n, operation }, ...policies);
  };
  let shared: Policy | undefined;
  const instances = new WeakMap<object, Policy>();
  const resolve = (self: unknown): Policy => {
    if (!perInstance) return (shared ??= compose(self));
    if (!isObjectLike(self)) {
      const what = layers.find((l) => l.scope === 'instance')?.what ?? '@resilient';
      throw new TypeError(`${what} on ${named(self)}: an instance-scoped method was called without an object as \`this\` (got ${String(self)})`);
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
    let options: ExecuteOptions;
    try {
      policy = resolve(this);
      options = callOptions === undefined ? baseOptions : { operation, ...callOptions(this, args) };
    } catch (error) {
      return Promise.reject(error);
    }
    // A policy from another copy of the package sets that copy's currentContext(): set ours
    // too, so the method's currentContext() sees the call (its signal, its attempt).
    if (!isLocal(policy)) {
      return policy.execute((ctx: ExecutionContext) => callWithContext(ctx, () => original.apply(this, args)), options);
    }
    return policy.execute(() => original.apply(this, args), options);
  };
  Object.defineProperty(wrapper, 'name', { value: site.method, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  Object.defineProperty(wrapper, META, { value: { original, layers, resolve, named } satisfies Meta });
  return wrapper;
}

/** Applies `layer` on top of `method` (fusing with a breakwater wrapper beneath). */
function decorate(method: unknown, layer: Layer, site: Site): Wrapper {
  if (typeof method !== 'function') throw new TypeError(`${layer.what} can only decorate methods, got ${typeof method}`);
  const meta = (method as Wrapper)[META];
  if (meta !== undefined) return wrap(meta.original, [layer, ...meta.layers], site);
  return wrap(method as (...args: unknown[]) => unknown, [layer], site);
}

interface DecoratorContextLike {
  readonly kind: string;
  readonly name: string | symbol;
  readonly private?: boolean;
  readonly addInitializer?: (initializer: (this: unknown) => void) => void;
}

/**
 * @internal Makes a decorator that works in both TC39 and legacy modes. `make` makes the
 * policy of one decorated method (or of one method and instance).
 */
export function makeDecorator<This = unknown, A extends unknown[] = never[]>(
  make: PolicyMaker,
  options: ResilientOptions<unknown, unknown[]> & DecoratorOptions,
  what: string,
): ResilientDecorator<This, A> {
  const scope = options.scope ?? 'shared';
  const layerOptions: LayerOptions = { operation: options.operation, callOptions: options.callOptions };
  function decorator(...args: unknown[]): unknown {
    // A fresh layer per decorated method: a factory makes one policy per method (shared
    // scope) or per method and instance (instance scope).
    const layer: Layer = { scope, make, what, options: layerOptions, shared: undefined };
    const [a, b, c] = args;
    if (args.length === 2 && isObjectLike(b) && typeof (b as DecoratorContextLike).kind === 'string') {
      const ctx = b as DecoratorContextLike;
      if (ctx.kind !== 'method') throw new TypeError(`${what} can only decorate methods, not a ${ctx.kind}`);
      const key = ctx.private === true ? undefined : ctx.name;
      const wrapper = decorate(a, layer, { method: keyName(ctx.name), key, className: undefined });
      // The class is not known yet: name the method from the first instance (or, for a
      // static method, from the class once it is defined), before any call can run.
      ctx.addInitializer?.(function (this: unknown) {
        wrapper[META]?.named(this);
      });
      return wrapper;
    }
    if (args.length === 3 && isObjectLike(a) && (typeof b === 'string' || typeof b === 'symbol') && isObjectLike(c)) {
      const descriptor = c as PropertyDescriptor;
      if (typeof descriptor.value !== 'function') throw new TypeError(`${what} can only decorate methods, not an accessor or field`);
      const site: Site = { method: keyName(b), key: b, className: classNameOf(a) };
      return { ...descriptor, value: decorate(descriptor.value, layer, site) };
    }
    throw new TypeError(`${what} can only decorate class methods (got ${args.length} decorator arguments)`);
  }
  return decorator as ResilientDecorator<This, A>;
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
 * - Default names: a method's calls run under the operation `'Class.method'` (the class
 *   that declares the method, a dot and the method's name, e.g. `'ProfileDb.get'`; a
 *   subclass instance still names the declaring class), and a fused pipeline is named the
 *   same. So two classes' `get` methods stay apart in metrics and chaos targeting.
 * - `options.callOptions` is typed with the method's own `this` and parameters.
 * - Any breakwater policy works, also one made by another copy of the package (the ESM
 *   and the CommonJS builds in one process): policies are recognised by their brand, and
 *   the method's `currentContext()` sees the call whichever copy runs it.
 *
 * @typeParam This - the class instance type, inferred from the decorated method.
 * @typeParam A - the method's parameter types, inferred from the decorated method.
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
export function resilient<This = unknown, A extends unknown[] = never[]>(
  policy: PolicySource,
  options?: ResilientOptions<This, A>,
): ResilientDecorator<This, A> {
  const opts = validateOptions<ResilientOptions<unknown, unknown[]>>('resilient', options, schema, (o, issues) => {
    if (o.scope === 'instance' && isPolicy(policy)) {
      issues.push({ path: 'scope', value: 'instance', expected: "used with a policy factory (() => policy), not a policy object, so each instance can get its own" });
    }
  });
  if (!isPolicy(policy) && typeof policy !== 'function') {
    throw new TypeError(`@resilient expects a policy or a function returning one, got ${policy === null ? 'null' : typeof policy}`);
  }
  const make: PolicyMaker = isPolicy(policy) ? () => policy : (self) => (policy as (self: unknown) => Policy)(self);
  return makeDecorator<This, A>(make, opts, '@resilient');
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
