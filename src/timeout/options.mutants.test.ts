/**
 * The option schema of the timeout policy, read from a fresh load of the module (issue #23):
 * the schema is built when `options.ts` loads, so these tests import the policy anew
 * (`vi.resetModules()`) and check each rule on that copy: which durations and strategies
 * are accepted, which are refused, and what the error says is expected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshModule, messageOf } from '../../test/support/fresh-module';
import type * as Timeouts from './timeout';

/** The timeout module, loaded again so that its option schema is built in this test. */
async function fresh(): Promise<typeof Timeouts> {
  return freshModule<typeof Timeouts>(() => import('./timeout'));
}

const MAX = 2 ** 31 - 1;
const DURATION_EXPECTED = `a duration in ms > 0 and ≤ ${MAX}`;

describe('timeout options (schema of a fresh load)', () => {
  it('accepts every documented option, both strategies included', async () => {
    const { timeout } = await fresh();
    const aggressive = timeout({ duration: 5, strategy: 'aggressive', name: 'db' });
    expect([aggressive.duration, aggressive.strategy, aggressive.name]).toEqual([5, 'aggressive', 'db']);
    const cooperative = timeout({ duration: MAX, strategy: 'cooperative' });
    expect([cooperative.duration, cooperative.strategy]).toEqual([MAX, 'cooperative']);
    expect(timeout(0.5).duration).toBe(0.5);
  });

  it('requires a duration and says what it expects', async () => {
    const { timeout } = await fresh();
    expect(messageOf(() => timeout({} as never))).toBe(
      `Invalid timeout options: expected \`duration\` to be ${DURATION_EXPECTED}, got undefined`,
    );
  });

  it('refuses a duration of 0 (it must be > 0) and says what it expects', async () => {
    const { timeout } = await fresh();
    expect(messageOf(() => timeout(0))).toBe(`Invalid timeout options: expected \`duration\` to be ${DURATION_EXPECTED}, got 0`);
  });

  it('refuses an unknown strategy and lists the two it accepts', async () => {
    const { timeout } = await fresh();
    expect(messageOf(() => timeout({ duration: 10, strategy: 'lazy' as never }))).toBe(
      'Invalid timeout options: expected `strategy` to be one of "aggressive", "cooperative", got "lazy"',
    );
  });

  it('property: a duration is accepted exactly when it is finite, > 0 and ≤ 2^31 - 1', async () => {
    const { timeout } = await fresh();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -1e10, max: 1e10, noNaN: true }),
          fc.constantFrom(0, -0, MAX, MAX + 1, Infinity, -Infinity, Number.MIN_VALUE),
        ),
        (d) => {
          const make = (): unknown => timeout(d);
          if (d > 0 && d <= MAX) expect(make).not.toThrow();
          else expect(make).toThrow(`expected \`duration\` to be ${DURATION_EXPECTED}`);
        },
      ),
    );
  });
});
