import { describe, expectTypeOf, it } from 'vitest';
import { pipeline } from '../core/policy';
import { timeout as timeoutPolicy } from '../timeout/index';
import type { ExecuteOptions } from '../core/context';
import { circuitBreaker, policyOf, resilient, retry, timeout, type ResilientDecorator, type ResilientOptions } from './index';

const p = pipeline(timeoutPolicy(1_000));

class Service {
  constructor(readonly prefix: string) {}

  @resilient(p)
  async greet(name: string, times = 1): Promise<string> {
    return `${this.prefix} ${name}`.repeat(times);
  }

  @retry({ maxAttempts: 2 })
  @timeout(100)
  async count(): Promise<number> {
    return 1;
  }
}

describe('decorator types', () => {
  it('keep the method signature', () => {
    expectTypeOf<Service['greet']>().toEqualTypeOf<(name: string, times?: number) => Promise<string>>();
    expectTypeOf<Service['count']>().toEqualTypeOf<() => Promise<number>>();
  });

  it('are ResilientDecorators', () => {
    expectTypeOf(resilient(p)).toEqualTypeOf<ResilientDecorator>();
    expectTypeOf(retry()).toEqualTypeOf<ResilientDecorator>();
    expectTypeOf(policyOf).returns.toEqualTypeOf<ReturnType<typeof policyOf>>();
  });

  it('refuse methods that do not return a promise', () => {
    class Bad {
      // @ts-expect-error a decorated method must return a promise
      @resilient(p)
      sync(): number {
        return 1;
      }
    }
    expectTypeOf<Bad>().not.toBeAny();
  });

  it('type-check instance factories against the class', () => {
    class WithFactory {
      readonly ms = 5;
      @resilient((self: WithFactory) => timeoutPolicy(self.ms), { scope: 'instance' })
      async run(): Promise<void> {}
    }
    expectTypeOf<WithFactory['run']>().toEqualTypeOf<() => Promise<void>>();
  });

  it('type callOptions with the method\'s own this and arguments', () => {
    class Matchmaking {
      readonly zone: string = 'eu';
      @resilient(p, {
        callOptions: (self, args) => {
          expectTypeOf(self).toEqualTypeOf<Matchmaking>();
          expectTypeOf(args).toEqualTypeOf<[region: string, signal?: AbortSignal]>();
          const [region, signal] = args;
          return { signal, labels: { region, zone: self.zone } };
        },
      })
      async find(region: string, signal?: AbortSignal): Promise<string> {
        return `${region}${String(signal)}`;
      }

      @resilient(p, {
        callOptions: (self, [count]) => {
          expectTypeOf(self).toEqualTypeOf<typeof Matchmaking>();
          expectTypeOf(count).toEqualTypeOf<number>();
          return { labels: { count: String(count) } };
        },
      })
      static async top(count: number): Promise<number> {
        return count;
      }
    }
    expectTypeOf<Matchmaking['find']>().toEqualTypeOf<(region: string, signal?: AbortSignal) => Promise<string>>();
  });

  it('refuse callOptions whose this or arguments do not fit the method', () => {
    class Other {
      readonly other = true;
    }
    const forOther = resilient(p, { callOptions: (self: Other, [n]: [number]) => ({ labels: { n: String(n), o: String(self.other) } }) });
    class Mismatched {
      // @ts-expect-error the method takes a string, callOptions reads a number
      @resilient(p, { callOptions: (_self, [n]: [number]) => ({ labels: { n: n.toFixed(0) } }) })
      async byString(s: string): Promise<string> {
        return s;
      }

      // @ts-expect-error callOptions expects `this` to be an Other
      @resilient(p, { callOptions: (self: Other) => ({ labels: { o: String(self.other) } }) })
      async wrongThis(): Promise<void> {}

      // @ts-expect-error a decorator made for Other's methods refuses Mismatched's
      @forOther
      async reused(n: number): Promise<number> {
        return n;
      }

      @resilient(p, {
        // @ts-expect-error the second argument is a string, not a number
        callOptions: (_self, [, times]) => ({ labels: { t: times.toFixed(0) } }),
      })
      async two(name: string, times: string): Promise<string> {
        return name + times;
      }
    }
    expectTypeOf<Mismatched>().not.toBeAny();
  });

  it('accept options declared apart: untyped ones fit any method, typed ones only their method', () => {
    const untyped: ResilientOptions = { operation: 'x', callOptions: (_self, args) => ({ labels: { n: String(args.length) } }) };
    const typed: ResilientOptions<unknown, [id: string]> = { callOptions: (_self, [id]) => ({ labels: { id } }) };
    class Declared {
      @resilient(p, untyped)
      async a(x: number, y: string): Promise<string> {
        return `${x}${y}`;
      }
      @resilient(p, typed)
      async b(id: string): Promise<string> {
        return id;
      }
      // @ts-expect-error typed for (id: string)
      @resilient(p, typed)
      async c(id: number): Promise<number> {
        return id;
      }
    }
    expectTypeOf(untyped.callOptions).toEqualTypeOf<((self: unknown, args: never[]) => ExecuteOptions) | undefined>();
    expectTypeOf<Declared['a']>().toEqualTypeOf<(x: number, y: string) => Promise<string>>();
  });

  it('shorthand decorators take name and operation next to the policy options', () => {
    class Named {
      @circuitBreaker({ name: 'profile-db', operation: 'profile.get', scope: 'instance' })
      @timeout({ duration: 100, operation: 'profile.get' })
      async get(id: string): Promise<string> {
        return id;
      }
    }
    expectTypeOf<Named['get']>().toEqualTypeOf<(id: string) => Promise<string>>();
    // @ts-expect-error operation is a string
    retry({ operation: 1 });
  });
});
