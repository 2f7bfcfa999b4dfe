/**
 * The decorators are compiled from the same fixture source under TC39 standard decorators
 * and under legacy `experimentalDecorators`, type-checked under both, and must behave
 * identically.
 */
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import * as core from '../index';
import { createMetrics } from '../metrics/index';
import { Pipeline, type Policy } from '../core/policy';
import { TracePolicy } from '../../test/support/test-strategies';
import { VirtualClock } from '../testing/virtual-clock';
import { flattenPipeline } from '../testing/describe';
import { Step, scriptedDependency } from '../testing/scripted-dependency';
import * as decorators from './index';

type DecoratorMode = 'tc39' | 'legacy';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

function compilerOptions(mode: DecoratorMode): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    experimentalDecorators: mode === 'legacy',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    // No @types/node: only the fixtures' own diagnostics are reported, and skipping the
    // Node typings halves the time of this check.
    types: [],
    lib: ['lib.es2022.d.ts'],
    baseUrl: root,
    paths: {
      breakwater: ['src/index.ts'],
      'breakwater/decorators': ['src/decorators/index.ts'],
    },
  };
}

const checked = new Map<DecoratorMode, Map<string, string[]>>();

/**
 * Type-checks every fixture (as files in src/decorators) in one program per mode, and
 * returns the diagnostics of `source` itself.
 */
function typeCheck(source: string, mode: DecoratorMode): string[] {
  let results = checked.get(mode);
  if (results === undefined) {
    results = new Map();
    const sources = FIXTURES;
    const files = sources.map((_, i) => resolve(root, `src/decorators/__fixture${i}__.ts`));
    const options = compilerOptions(mode);
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, onError, create) => {
      const i = files.indexOf(resolve(name));
      return i >= 0 ? ts.createSourceFile(name, sources[i] as string, lang) : getSourceFile(name, lang, onError, create);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => files.includes(resolve(name)) || fileExists(name);
    const program = ts.createProgram(files, options, host);
    files.forEach((f, i) => {
      const sf = program.getSourceFile(f);
      const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
        const pos = d.start !== undefined && sf !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        return `line ${pos}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      (results as Map<string, string[]>).set(sources[i] as string, diags);
    });
    checked.set(mode, results);
  }
  const r = results.get(source);
  if (r === undefined) throw new Error('typeCheck(): add the fixture to FIXTURES');
  return r;
}

/** Transpiles `source` for `mode` and evaluates it; `modules` maps import specifiers to module objects. */
function compileAndLoad(source: string, mode: DecoratorMode, modules: Record<string, unknown>): Record<string, unknown> {
  const out = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      experimentalDecorators: mode === 'legacy',
      useDefineForClassFields: true,
    },
    reportDiagnostics: true,
  });
  if ((out.diagnostics ?? []).length > 0) throw new Error(`fixture does not transpile: ${ts.flattenDiagnosticMessageText(out.diagnostics?.[0]?.messageText, '\n')}`);
  const mod = { exports: {} as Record<string, unknown> };
  const req = (id: string): unknown => {
    if (!(id in modules)) throw new Error(`fixture imports unknown module ${id}`);
    return modules[id];
  };
  new Function('require', 'module', 'exports', out.outputText)(req, mod, mod.exports);
  return mod.exports;
}

/** The emitted JavaScript (to assert which decorator form was used). */
function transpiled(source: string, mode: DecoratorMode): string {
  return ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: mode === 'legacy' },
  }).outputText;
}

const MODES: readonly DecoratorMode[] = ['tc39', 'legacy'];
const modules = { breakwater: core, 'breakwater/decorators': decorators };

// ---------------------------------------------------------------------------------------
// @resilient

const resilientFixture = `
import { resilient } from 'breakwater/decorators';
import { currentContext, type Policy } from 'breakwater';

export interface Deps {
  readonly outer: Policy;
  readonly inner: Policy;
  readonly make: () => Policy;
  readonly log: string[];
}

export function build(deps: Deps) {
  class Shop {
    constructor(readonly name: string) {}

    @resilient(deps.outer)
    @resilient(deps.inner)
    async charge(amount: number, currency = 'EUR'): Promise<string> {
      const ctx = currentContext();
      deps.log.push(\`charge \${this.name} \${amount} \${currency} op=\${ctx?.operation} attempt=\${ctx?.attempt}\`);
      if (amount < 0) throw new RangeError('negative');
      return \`\${this.name}:\${amount}\`;
    }

    @resilient(() => deps.make(), { scope: 'instance', operation: 'shop.refund' })
    async refund(): Promise<string> {
      return \`\${this.name}:\${currentContext()?.operation}\`;
    }

    @resilient(() => deps.make())
    async sharedFactory(): Promise<number> {
      return 1;
    }

    @resilient(deps.outer, { callOptions: (_self, args) => ({ labels: { tenant: String(args[0]) } }) })
    async labelled(tenant: string): Promise<string> {
      return currentContext()?.labels['tenant'] ?? 'none';
    }

    @resilient(
      (self: Shop) => {
        deps.log.push(\`factory for \${self.name}\`);
        return deps.outer;
      },
      { scope: 'instance' },
    )
    async own(): Promise<string> {
      return this.name;
    }

    @resilient(deps.inner)
    static async twice(x: number): Promise<number> {
      return x * 2;
    }
  }
  return Shop;
}
`;

interface ShopInstance {
  readonly name: string;
  charge(amount: number, currency?: string): Promise<string>;
  refund(): Promise<string>;
  sharedFactory(): Promise<number>;
  labelled(tenant: string): Promise<string>;
  own(): Promise<string>;
}
interface ShopClass {
  new (name: string): ShopInstance;
  twice(x: number): Promise<number>;
  readonly prototype: ShopInstance;
}

async function resilientTranscript(mode: DecoratorMode): Promise<unknown[]> {
  const log: string[] = [];
  const outer = new TracePolicy('outer', log);
  const inner = new TracePolicy('inner', log);
  const made: Policy[] = [];
  const make = (): Policy => {
    const p = new TracePolicy(`made${made.length + 1}`, log);
    made.push(p);
    return p;
  };
  const { build } = compileAndLoad(resilientFixture, mode, modules) as { build: (d: unknown) => ShopClass };
  const Shop = build({ outer, inner, make, log });
  const a = new Shop('a');
  const b = new Shop('b');
  const out: unknown[] = [];
  out.push(await a.charge(5));
  out.push(await b.charge(7, 'USD'));
  out.push(await a.charge(-1).catch((e: unknown) => `rejected ${(e as Error).name}`));
  out.push(await a.refund(), await b.refund(), await a.refund());
  out.push(`made after refunds: ${made.length}`);
  out.push(await a.sharedFactory(), await b.sharedFactory());
  out.push(`made after sharedFactory: ${made.length}`);
  out.push(await a.labelled('t-9'));
  out.push(await Shop.twice(21));
  out.push(await a.own(), await a.own(), await b.own());
  const chargePolicy = decorators.policyOf(a, 'charge');
  out.push(chargePolicy instanceof Pipeline ? (chargePolicy.policies as readonly Policy[]).map((p) => p.name) : 'not a pipeline');
  out.push(decorators.policyOf(a, 'charge') === decorators.policyOf(b, 'charge'));
  out.push(decorators.policyOf(a, 'refund') === decorators.policyOf(b, 'refund'));
  out.push(decorators.policyOf(a, 'refund') === decorators.policyOf(a, 'refund'));
  out.push(decorators.policyOf(a, 'name'), decorators.policyOf(a, 'nope'));
  const proto = Shop.prototype;
  out.push(`${proto.charge.name}/${proto.charge.length}`);
  const detached = proto.refund;
  out.push(await detached.call(undefined).catch((e: unknown) => `rejected ${(e as Error).name}`));
  out.push(log);
  return out;
}

const syncMethodFixture = `
import { resilient } from 'breakwater/decorators';
import type { Policy } from 'breakwater';
declare const p: Policy;
export class S {
  @resilient(p)
  sync(): number {
    return 1;
  }
}
`;

describe('@resilient under TC39 and legacy decorators', () => {
  it('the fixture type-checks under both settings, and a non-async method is a type error under both', () => {
    for (const mode of MODES) expect(typeCheck(resilientFixture, mode), mode).toEqual([]);
    for (const mode of MODES) expect(typeCheck(syncMethodFixture, mode).join('\n'), mode).toMatch(/sync|Promise/);
  });

  it('compiles to the two decorator forms', () => {
    expect(transpiled(resilientFixture, 'tc39')).toContain('__esDecorate');
    expect(transpiled(resilientFixture, 'legacy')).toContain('__decorate(');
    expect(transpiled(resilientFixture, 'legacy')).not.toContain('__esDecorate');
  });

  it('behaves identically under both, with the expected behaviour', async () => {
    const [tc39, legacy] = await Promise.all(MODES.map((m) => resilientTranscript(m)));
    expect(legacy).toEqual(tc39);
    expect(tc39).toEqual([
      'a:5',
      'b:7',
      'rejected RangeError',
      'a:shop.refund',
      'b:shop.refund',
      'a:shop.refund',
      'made after refunds: 2',
      1,
      1,
      'made after sharedFactory: 3',
      't-9',
      42,
      'a',
      'a',
      'b',
      ['outer', 'inner'],
      true,
      false,
      true,
      undefined,
      undefined,
      'charge/1',
      'rejected TypeError',
      [
        'enter outer',
        'enter inner',
        'charge a 5 EUR op=Shop.charge attempt=1',
        'exit inner',
        'exit outer',
        'enter outer',
        'enter inner',
        'charge b 7 USD op=Shop.charge attempt=1',
        'exit inner',
        'exit outer',
        'enter outer',
        'enter inner',
        'charge a -1 EUR op=Shop.charge attempt=1',
        'exit inner',
        'exit outer',
        'enter made1',
        'exit made1',
        'enter made2',
        'exit made2',
        'enter made1',
        'exit made1',
        'enter made3',
        'exit made3',
        'enter made3',
        'exit made3',
        'enter outer',
        'exit outer',
        'enter inner',
        'exit inner',
        'factory for a',
        'enter outer',
        'exit outer',
        'enter outer',
        'exit outer',
        'factory for b',
        'enter outer',
        'exit outer',
      ],
    ]);
  });
});

describe('@resilient on TC39-only targets', () => {
  it('decorates #private methods (TC39 only: legacy decorators do not allow them)', async () => {
    const source = `
      import { resilient } from 'breakwater/decorators';
      import { currentContext, type Policy } from 'breakwater';
      export function build(p: Policy) {
        return class Vault {
          @resilient(p, { operation: 'vault.secret' })
          async #secret(): Promise<string> {
            return currentContext()?.operation ?? 'none';
          }
          open(): Promise<string> {
            return this.#secret();
          }
        };
      }
    `;
    const log: string[] = [];
    const { build } = compileAndLoad(source, 'tc39', modules) as { build: (p: Policy) => new () => { open(): Promise<string> } };
    const Vault = build(new TracePolicy('p', log));
    expect(await new Vault().open()).toBe('vault.secret');
    expect(log).toEqual(['enter p', 'exit p']);
  });
});

describe('@resilient validation and misuse', () => {
  const p = new TracePolicy('p', []);

  it('validates its options', () => {
    expect(() => decorators.resilient(p, { scope: 'everywhere' as never })).toThrow(core.OptionsValidationError);
    expect(() => decorators.resilient(p, { scope: 'instance' })).toThrow(/scope.*factory/s);
    expect(() => decorators.resilient(p, { nope: 1 } as never)).toThrow(/nope/);
    expect(() => decorators.resilient(42 as never)).toThrow(TypeError);
  });

  it('refuses fields, getters and odd call shapes in both forms', () => {
    const d = decorators.resilient(p) as unknown as (...args: unknown[]) => unknown;
    expect(() => d(undefined, { kind: 'field', name: 'x' })).toThrow(/only decorate methods, not a field/);
    expect(() => d(() => 1, { kind: 'getter', name: 'x' })).toThrow(/not a getter/);
    expect(() => d({}, 'x', { get: () => 1 })).toThrow(/accessor/);
    expect(() => d({}, 'x')).toThrow(/class methods/);
  });

  it('one decorator object applied to two methods: one policy per method, unless it is a policy object', () => {
    type Legacy = (t: object, k: string, d: PropertyDescriptor) => PropertyDescriptor;
    const apply = (dec: unknown, target: object, key: string): void => {
      const d = Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor;
      Object.defineProperty(target, key, (dec as Legacy)(target, key, d));
    };
    class S {
      async a(): Promise<number> {
        return 1;
      }
      async b(): Promise<number> {
        return 2;
      }
      async c(): Promise<number> {
        return 3;
      }
      async d(): Promise<number> {
        return 4;
      }
    }
    const short = decorators.retry({ maxAttempts: 2 });
    apply(short, S.prototype, 'a');
    apply(short, S.prototype, 'b');
    const obj = decorators.resilient(p);
    apply(obj, S.prototype, 'c');
    apply(obj, S.prototype, 'd');
    const s = new S();
    expect(decorators.policyOf(s, 'a')).not.toBe(decorators.policyOf(s, 'b'));
    expect(decorators.policyOf(s, 'a')?.kind).toBe('retry');
    expect(decorators.policyOf(s, 'c')).toBe(p);
    expect(decorators.policyOf(s, 'd')).toBe(p);
  });

  it('a factory that returns no policy rejects the call', async () => {
    class S {
      async m(): Promise<number> {
        return 1;
      }
    }
    const d = decorators.resilient(() => 'nope' as never) as unknown as (t: object, k: string, d: PropertyDescriptor) => PropertyDescriptor;
    Object.defineProperty(S.prototype, 'm', d(S.prototype, 'm', Object.getOwnPropertyDescriptor(S.prototype, 'm') as PropertyDescriptor));
    await expect(new S().m()).rejects.toThrow(/factory returned string/);
  });

  it('reads the VirtualClock through the pipeline of a decorated method', async () => {
    const clock = new VirtualClock(100);
    const pl = core.pipeline({ clock });
    class S {
      @decorators.resilient(pl)
      async now(): Promise<number> {
        return currentClockNow();
      }
    }
    const currentClockNow = (): number => core.currentContext()?.clock.now() ?? -1;
    expect(await new S().now()).toBe(100);
  });
});

// ---------------------------------------------------------------------------------------
// Shorthand decorators

const shorthandFixture = `
import { bulkhead, circuitBreaker, fallback, retry, timeout } from 'breakwater/decorators';
import { currentContext, type Clock } from 'breakwater';

export function build(clock: Clock, gateway: () => Promise<string>, log: string[]) {
  class Payments {
    @fallback({ tiers: [(_ctx, failure) => \`fallback:\${(failure as Error).name}\`] })
    @retry({ maxAttempts: 3, delay: 100, jitter: 'none', clock })
    @circuitBreaker({ failureThreshold: 5, recoveryTimeout: 1_000, clock })
    @timeout({ duration: 500, clock })
    @bulkhead({ maxConcurrent: 1, maxQueue: 10, clock })
    async charge(amount: number): Promise<string> {
      const ctx = currentContext();
      log.push(\`charge \${amount} attempt \${ctx?.attempt} at \${clock.now()}\`);
      return gateway();
    }

    @retry({ maxAttempts: 2, delay: 10, jitter: 'none', clock, scope: 'instance' })
    @circuitBreaker({ failureThreshold: 1, recoveryTimeout: 10_000, clock, scope: 'instance' })
    @timeout(50)
    async perInstance(fail: boolean): Promise<string> {
      if (fail) throw new Error('down');
      return 'up';
    }
  }
  return Payments;
}
`;

interface PaymentsInstance {
  charge(amount: number): Promise<string>;
  perInstance(fail: boolean): Promise<string>;
}

async function shorthandTranscript(mode: DecoratorMode): Promise<unknown[]> {
  const clock = new VirtualClock();
  const log: string[] = [];
  const gateway = scriptedDependency<string>({ calls: [Step.fail(), Step.hang(), Step.ok('paid')], otherwise: Step.fail() }, clock);
  const { build } = compileAndLoad(shorthandFixture, mode, modules) as {
    build: (c: unknown, g: unknown, l: string[]) => new () => PaymentsInstance;
  };
  const Payments = build(clock, gateway, log);
  const a = new Payments();
  const b = new Payments();
  const out: unknown[] = [];
  const settle = (p: Promise<string>): Promise<string> => p.catch((e: unknown) => `rejected ${(e as Error).name}`);
  const first = settle(a.charge(10));
  await clock.runAll();
  out.push(await first, clock.now());
  const second = settle(b.charge(20));
  await clock.runAll();
  out.push(await second, clock.now());
  out.push(flattenPipeline(decorators.policyOf(a, 'charge') as Policy).map((p) => p.kind));
  out.push(decorators.policyOf(a, 'charge') === decorators.policyOf(b, 'charge'));
  out.push(flattenPipeline(decorators.policyOf(a, 'perInstance') as Policy).map((p) => p.kind));
  out.push(decorators.policyOf(a, 'perInstance') === decorators.policyOf(b, 'perInstance'));
  const down = settle(a.perInstance(true));
  await clock.runAll();
  out.push(await down);
  out.push(await settle(a.perInstance(false)), await settle(b.perInstance(false)));
  out.push(log);
  return out;
}

describe('shorthand decorators under TC39 and legacy decorators', () => {
  it('the fixture type-checks under both settings', () => {
    for (const mode of MODES) expect(typeCheck(shorthandFixture, mode), mode).toEqual([]);
  });

  it('compose top-to-bottom as outermost-to-innermost, share one context, and behave identically', async () => {
    const [tc39, legacy] = await Promise.all(MODES.map((m) => shorthandTranscript(m)));
    expect(legacy).toEqual(tc39);
    expect(tc39).toEqual([
      // attempt 1 fails at 0, retry after 100; attempt 2 hangs, times out at 600; retry after 200; attempt 3 pays at 800
      'paid',
      800,
      // b: three scripted failures (otherwise: fail), retried at +100 and +200, then the fallback tier
      'fallback:ScriptedFailure',
      1_100,
      ['fallback', 'retry', 'circuit-breaker', 'timeout', 'bulkhead'],
      true,
      ['retry', 'circuit-breaker', 'timeout'],
      false,
      // a's own breaker opened on the first failure; the retry does not retry its rejection
      'rejected BrokenCircuitError',
      'rejected BrokenCircuitError',
      'up',
      [
        'charge 10 attempt 1 at 0',
        'charge 10 attempt 2 at 100',
        'charge 10 attempt 3 at 800',
        'charge 20 attempt 1 at 800',
        'charge 20 attempt 2 at 900',
        'charge 20 attempt 3 at 1100',
      ],
    ]);
  });

  it('validate their options when the class is defined', () => {
    expect(() => decorators.retry({ maxAttempts: 0 })).toThrow(core.OptionsValidationError);
    expect(() => decorators.retry({ scope: 'everywhere' as never })).toThrow(/scope/);
    expect(() => decorators.timeout(-1)).toThrow(core.OptionsValidationError);
    expect(() => decorators.bulkhead({ maxConcurrent: 0 })).toThrow(core.OptionsValidationError);
    expect(() => decorators.circuitBreaker({ failureThreshold: -1, scope: 'instance' })).toThrow(core.OptionsValidationError);
    expect(() => decorators.fallback({ tiers: [] })).toThrow(core.OptionsValidationError);
    expect(() => decorators.timeout({ duration: 10, operation: 7 as never })).toThrow(/`operation` to be a non-empty string, got 7/);
    // The decorator's own fields and the policy's, reported together.
    expect(() => decorators.retry({ maxAttempts: 0, operation: '' as never, scope: 'everywhere' as never })).toThrow(/scope.*maxAttempts/s);
  });
});


// ---------------------------------------------------------------------------------------
// Default names: 'Class.method'

const namesFixture = `
import { circuitBreaker, fallback, resilient, retry, timeout } from 'breakwater/decorators';
import { currentContext, type Policy } from 'breakwater';

export const lookup = Symbol('lookup');

export function build(p: Policy) {
  const op = (): string => currentContext()?.operation ?? 'none';
  class ProfileDb {
    @circuitBreaker({ failureThreshold: 2 })
    async get(id: string): Promise<string> {
      return \`\${op()} \${id}\`;
    }

    @retry({ maxAttempts: 2 })
    @timeout(1_000)
    async list(): Promise<string> {
      return op();
    }

    @resilient(p)
    static async count(): Promise<string> {
      return op();
    }

    @circuitBreaker({ name: 'profile-breaker', operation: 'profile.put' })
    @fallback({ tiers: ['cached'], operation: 'ignored: the top decorator wins' })
    async put(): Promise<string> {
      return op();
    }

    @resilient(p)
    async [lookup](): Promise<string> {
      return op();
    }
  }
  class Inventory {
    @circuitBreaker({ failureThreshold: 2 })
    async get(id: string): Promise<string> {
      return \`\${op()} \${id}\`;
    }
  }
  class CachedProfileDb extends ProfileDb {}
  class Bound {
    constructor() {
      this.get = this.get.bind(this);
    }
    @resilient(p)
    async get(): Promise<string> {
      return op();
    }
  }
  return { ProfileDb, Inventory, CachedProfileDb, Bound };
}
`;

interface Named {
  get(id: string): Promise<string>;
}
interface NamesModule {
  readonly lookup: symbol;
  build(p: Policy): {
    ProfileDb: (new () => Named & { list(): Promise<string>; put(): Promise<string> } & Record<symbol, () => Promise<string>>) & {
      count(): Promise<string>;
    };
    Inventory: new () => Named;
    CachedProfileDb: new () => Named;
    Bound: new () => { get(): Promise<string> };
  };
}

async function namesTranscript(mode: DecoratorMode): Promise<unknown[]> {
  const mod = compileAndLoad(namesFixture, mode, modules) as unknown as NamesModule;
  const { ProfileDb, Inventory, CachedProfileDb, Bound } = mod.build(new TracePolicy('p', []));
  const metrics = createMetrics();
  const out: unknown[] = [];
  // A subclass instance calls first: the name is still the declaring class's.
  const cached = new CachedProfileDb();
  const inventory = new Inventory();
  metrics.observe(decorators.policyOf(cached, 'get') as Policy);
  metrics.observe(decorators.policyOf(inventory, 'get') as Policy);
  out.push(await cached.get('p1'), await new ProfileDb().get('p2'), await inventory.get('i1'));
  // Detached first calls (no \`this\`): the name was fixed before, when the class was
  // defined (legacy; TC39 static) or its first instance constructed (TC39).
  const list = new ProfileDb().list;
  const count = ProfileDb.count;
  out.push(await list(), await count(), await new ProfileDb().put());
  out.push(await new ProfileDb()[mod.lookup]?.());
  const bound = new Bound();
  const detached = bound.get;
  out.push(await detached());
  const db = new ProfileDb();
  out.push(
    ['get', 'list', 'put'].map((m) => flattenPipeline(decorators.policyOf(db, m) as Policy).map((p) => `${p.kind}=${p.name}`)),
    decorators.policyOf(db, 'list')?.name,
    decorators.policyOf(inventory, 'get')?.name,
    decorators.policyOf(db, 'get') === decorators.policyOf(inventory, 'get'),
  );
  const snap = metrics.snapshot();
  out.push(
    snap.calls.map((c) => `${c.policy} ${c.operation} ${c.total}`).sort(),
    snap.breakers.map((b) => b.name).sort(),
  );
  return out;
}

describe('default names under TC39 and legacy decorators', () => {
  it('the fixture type-checks under both settings', () => {
    for (const mode of MODES) expect(typeCheck(namesFixture, mode), mode).toEqual([]);
  });

  it("name operations, fused pipelines and shorthand policies 'Class.method', so two classes' methods stay apart", async () => {
    const [tc39, legacy] = await Promise.all(MODES.map((m) => namesTranscript(m)));
    expect(legacy).toEqual(tc39);
    expect(tc39).toEqual([
      'ProfileDb.get p1',
      'ProfileDb.get p2',
      'Inventory.get i1',
      'ProfileDb.list',
      'ProfileDb.count',
      'profile.put',
      'ProfileDb.lookup',
      'Bound.get',
      [
        ['circuit-breaker=ProfileDb.get'],
        ['retry=ProfileDb.list', 'timeout=ProfileDb.list'],
        ['circuit-breaker=profile-breaker', 'fallback=ProfileDb.put'],
      ],
      'ProfileDb.list',
      'Inventory.get',
      false,
      // One series and one breaker per class: metrics keep the two `get` methods apart.
      ['Inventory.get Inventory.get 1', 'ProfileDb.get ProfileDb.get 2'],
      ['Inventory.get', 'ProfileDb.get'],
    ]);
  });

  it('name a TC39 #private method after the class of its first instance', async () => {
    const source = `
      import { retry } from 'breakwater/decorators';
      import { currentContext } from 'breakwater';
      export function build() {
        return class Vault {
          @retry({ maxAttempts: 1 })
          async #secret(): Promise<string> {
            return currentContext()?.operation ?? 'none';
          }
          open(): Promise<string> {
            return this.#secret();
          }
        };
      }
    `;
    const { build } = compileAndLoad(source, 'tc39', modules) as { build: () => new () => { open(): Promise<string> } };
    const Vault = build();
    expect(await new Vault().open()).toBe('Vault.#secret');
  });
});

// ---------------------------------------------------------------------------------------
// callOptions typed with the method's `this` and arguments

const callOptionsFixture = `
import { resilient } from 'breakwater/decorators';
import type { Policy } from 'breakwater';

declare const p: Policy;

export class Matchmaking {
  readonly zone: string = 'eu';

  @resilient(p, { callOptions: (self, [region, limit]) => ({ labels: { region, zone: self.zone, limit: limit?.toFixed(0) ?? 'none' } }) })
  async find(region: string, limit?: number): Promise<string> {
    return region + String(limit);
  }

  @resilient(p, { callOptions: (self, [n]) => ({ labels: { n: n.toFixed(0), cls: self.name } }) })
  static async top(n: number): Promise<number> {
    return n;
  }

  // @ts-expect-error callOptions reads a number, the method takes a string
  @resilient(p, { callOptions: (_self, [n]: [number]) => ({ labels: { n: n.toFixed(0) } }) })
  async wrongArgs(s: string): Promise<string> {
    return s;
  }

  @resilient(p, {
    // @ts-expect-error self is a Matchmaking, which has no \\\`region\\\`
    callOptions: (self) => ({ labels: { region: self.region } }),
  })
  async wrongSelf(): Promise<void> {}
}
`;

describe('callOptions types under TC39 and legacy decorators', () => {
  it("are inferred from the method's this and parameters, and mismatches are type errors, under both settings", () => {
    for (const mode of MODES) expect(typeCheck(callOptionsFixture, mode), mode).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Policies from another copy of the package

describe('policies from another copy of the package (ESM and CJS builds in one process)', () => {
  async function otherCopy(): Promise<typeof core> {
    vi.resetModules();
    const copy = (await import('../index')) as typeof core;
    expect(copy.Pipeline).not.toBe(core.Pipeline);
    return copy;
  }

  it('are policies to @resilient: as an object, from a factory, and fused with local decorators', async () => {
    const copy = await otherCopy();
    const clock = new VirtualClock();
    const foreign = copy.retry({ maxAttempts: 3, delay: 10, jitter: 'none', clock });
    expect(foreign instanceof core.Policy).toBe(false);
    expect(core.isPolicy(foreign)).toBe(true);
    let calls = 0;
    const seen: string[] = [];
    const flaky = async (): Promise<string> => {
      const ctx = core.currentContext(); // this copy's, as a decorated method imports it
      seen.push(`${ctx?.operation} attempt ${ctx?.attempt}`);
      calls++;
      if (calls % 3 !== 0) throw new Error('flaky');
      return `ok after ${calls}`;
    };
    type Legacy = (t: object, k: string, d: PropertyDescriptor) => PropertyDescriptor;
    const apply = (dec: unknown, target: object, key: string): void => {
      const d = Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor;
      Object.defineProperty(target, key, (dec as Legacy)(target, key, d));
    };
    class Profiles {
      async direct(): Promise<string> {
        return flaky();
      }
      async made(): Promise<string> {
        return flaky();
      }
      async fused(): Promise<string> {
        return flaky();
      }
    }
    apply(decorators.resilient(foreign), Profiles.prototype, 'direct');
    apply(decorators.resilient(() => copy.retry({ maxAttempts: 3, delay: 10, jitter: 'none', clock })), Profiles.prototype, 'made');
    apply(decorators.timeout({ duration: 1_000, clock }), Profiles.prototype, 'fused');
    apply(decorators.resilient(foreign), Profiles.prototype, 'fused');
    const profiles = new Profiles();
    for (const m of ['direct', 'made', 'fused'] as const) {
      const result = profiles[m]();
      await clock.runAll();
      expect(await result, m).toBe(`ok after ${calls}`);
    }
    expect(calls).toBe(9);
    // The method's currentContext() sees the call, whichever copy made the policy.
    expect(seen).toEqual(
      ['direct', 'made', 'fused'].flatMap((m) => [1, 2, 3].map((a) => `Profiles.${m} attempt ${a}`)),
    );
    expect(flattenPipeline(decorators.policyOf(profiles, 'fused') as Policy).map((p) => p.kind)).toEqual(['retry', 'timeout']);
    expect(() => decorators.resilient(foreign, { scope: 'instance' })).toThrow(/scope.*factory/s);
  });
});

// Every fixture that typeCheck() sees (one program per mode checks them all).
const FIXTURES: readonly string[] = [resilientFixture, syncMethodFixture, shorthandFixture, namesFixture, callOptionsFixture];
