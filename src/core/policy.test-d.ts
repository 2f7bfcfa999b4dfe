import { describe, expectTypeOf, it } from 'vitest';
import { TracePolicy, type TraceEvent } from '../../test/support/test-strategies';
import type { ExecutionContext } from './context';
import type { ExecutedEvent } from './events';
import { pipeline, type Pipeline, type Policy } from './policy';

describe('policy types', () => {
  it('execute infers the value type from sync and async functions', () => {
    const p = pipeline();
    expectTypeOf(p.execute(() => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(p.execute(async () => 'x')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(p.execute).parameter(0).parameter(0).toEqualTypeOf<ExecutionContext>();
  });

  it('wrap keeps the parameters and promises the result', () => {
    const f = pipeline().wrap((a: number, b: string) => `${a}${b}`);
    expectTypeOf(f).toEqualTypeOf<(a: number, b: string) => Promise<string>>();
  });

  it('a pipeline carries the union of its policies events', () => {
    const p = pipeline(new TracePolicy('a', []), pipeline());
    expectTypeOf(p).toMatchTypeOf<Pipeline<TraceEvent>>();
    p.on('exit', (e) => expectTypeOf(e).toEqualTypeOf<TraceEvent>());
    p.on('executed', (e) => expectTypeOf(e).toEqualTypeOf<ExecutedEvent>());
    // @ts-expect-error: no such event
    p.on('nope', () => {});
  });

  it('policies of any event type are policies', () => {
    expectTypeOf(new TracePolicy('a', [])).toMatchTypeOf<Policy>();
  });
});
