import { describe, expectTypeOf, it } from 'vitest';
import { pipeline } from '../core/policy';
import { timeout as timeoutPolicy } from '../timeout/index';
import { policyOf, resilient, retry, timeout, type ResilientDecorator } from './index';

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
});
