/**
 * The one-clock rule (core/clock-rule.ts) read directly: which clock a pipeline runs on, and
 * what the refusal says: the path of the first policy pinned to another clock, that policy
 * and its clock, and which clock it had to agree with (the pipeline's own, or the first
 * pinned policy's).
 */
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from './clock';
import { oneClock } from './clock-rule';
import { VirtualClock } from '../testing/virtual-clock';
import { refusal } from '../../test/support/refusal';

const RULE = 'a pipeline runs on one clock, so give the same `clock` to the pipeline and to every policy that keeps time across calls (circuitBreaker, chaos faults, a retry with a budget), or to none of them';

function policy(kind: string, name: string, pinned: Clock | undefined) {
  return { kind, name, clock: pinned ?? systemClock, pinnedClock: pinned };
}

describe('oneClock', () => {
  it('runs on the pipeline clock, or the first pinned one, or none when nobody gives one', () => {
    const clock = new VirtualClock();
    expect(oneClock(undefined, [])).toBeUndefined();
    expect(oneClock(undefined, [policy('retry', 'r', undefined), policy('timeout', 't', undefined)])).toBeUndefined();
    expect(oneClock(clock, [policy('retry', 'r', undefined)])).toBe(clock);
    expect(oneClock(undefined, [policy('retry', 'r', undefined), policy('circuit-breaker', 'b', clock), policy('circuit-breaker', 'c', clock)])).toBe(clock);
    expect(oneClock(clock, [policy('timeout', 't', undefined), policy('circuit-breaker', 'b', clock)])).toBe(clock);
  });

  it('names the policy on another clock than the pipeline’s, and the pipeline’s clock option as the one to match', () => {
    const clock = new VirtualClock();
    const e = refusal(() => oneClock(clock, [policy('retry', 'r', undefined), policy('circuit-breaker', 'gateway', systemClock)]));
    expect(e.issues).toEqual([
      {
        path: 'policies[1].clock',
        value: "circuit-breaker 'gateway' on the system clock",
        expected: `the clock of the pipeline (its \`clock\` option): ${RULE}`,
      },
    ]);
  });

  it('without a pipeline clock, names the first pinned policy as the one to match, and a virtual clock as another clock', () => {
    const first = new VirtualClock();
    const other = new VirtualClock();
    const e = refusal(() =>
      oneClock(undefined, [policy('timeout', 't', undefined), policy('circuit-breaker', 'a', first), policy('chaos', 'boom', other)]),
    );
    expect(e.issues).toEqual([
      {
        path: 'policies[2].clock',
        value: "chaos 'boom' on another clock",
        expected: `the clock of policies[1]: ${RULE}`,
      },
    ]);
  });
});
