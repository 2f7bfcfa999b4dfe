/**
 * The one-clock rule's refusal (core/clock-rule.ts) is a pipeline's options error: its
 * message says so before it names the policy on another clock.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from './clock';
import { oneClock } from './clock-rule';
import { VirtualClock } from '../testing/virtual-clock';
import { refusal } from '../../test/support/refusal';

describe('oneClock', () => {
  it('refuses with an "Invalid pipeline options" message naming the policy on another clock', () => {
    const e = refusal(() =>
      oneClock(new VirtualClock(), [{ kind: 'circuit-breaker', name: 'gateway', clock: systemClock, pinnedClock: systemClock }]),
    );
    expect(e.message).toMatch(/^Invalid pipeline options: expected `policies\[0\]\.clock` to be the clock of the pipeline /);
    expect(e.message).toContain("circuit-breaker 'gateway' on the system clock");
  });
});
