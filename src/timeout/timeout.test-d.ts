import { describe, expectTypeOf, it } from 'vitest';
import { pipeline } from '../core/policy';
import type { TimeoutEvent } from './events';
import { timeout, type TimeoutPolicy } from './timeout';

describe('timeout types', () => {
  it('takes a number or options and keeps execute generic', () => {
    expectTypeOf(timeout(5)).toEqualTypeOf<TimeoutPolicy>();
    expectTypeOf(timeout({ duration: 5, strategy: 'cooperative' }).execute(async () => 'x')).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error: unknown strategy
    timeout({ duration: 5, strategy: 'eager' });
    // @ts-expect-error: duration is required
    timeout({ strategy: 'aggressive' });
  });

  it('types its events', () => {
    pipeline(timeout(5)).on('timeout', (e) => {
      expectTypeOf(e).toEqualTypeOf<TimeoutEvent>();
      expectTypeOf(e.effective).toEqualTypeOf<number>();
    });
  });
});
