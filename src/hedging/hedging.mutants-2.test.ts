/**
 * More rules of the hedging policy that mutation testing (issue #23) found unpinned: a budget
 * pins the clock even with a fixed delay, `inspectsResults` says whether `handleResult` may
 * flag a value, a custom `handle` starts the next attempt on the failures it handles but never
 * on an execution rejection, `describe()` names a delay function, and a delay function that
 * throws has its own error reported. Every timed test runs on the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { BulkheadRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { onCallbackError } from '../core/report';
import { bulkhead } from '../bulkhead/index';
import { retryBudget } from '../retry/index';
import { VirtualClock } from '../testing/virtual-clock';
import { fakeDependency } from '../../test/support/hedging-dependency';
import { refusal } from '../../test/support/refusal';
import { settleOn as settle } from '../../test/support/promises';
import { hedging } from './hedging';

class Transient extends Error {}
class Fatal extends Error {}


describe('hedging: the clock of a budget', () => {
  it('a budget pins the policy to its clock with a fixed delay too, so a pipeline on another clock refuses it', () => {
    const clock = new VirtualClock();
    const e = refusal(() => pipeline({ clock }, hedging({ name: 'reads', delay: 10, budget: retryBudget() })));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'policies[0].clock', value: "hedging 'reads' on the system clock" })]);
    expect(() => pipeline({ clock }, hedging({ delay: 10, budget: retryBudget({ clock }), clock }))).not.toThrow();
  });
});

describe('hedging: inspectsResults', () => {
  it('is true only when a handleResult may flag a value as a failure', () => {
    expect(hedging({ delay: 10 }).inspectsResults).toBe(false);
    expect(hedging({ delay: 10, handle: Transient }).inspectsResults).toBe(false);
    expect(hedging({ delay: 10, handleResult: () => false }).inspectsResults).toBe(true);
  });
});

describe('hedging: a custom handle', () => {
  it('a failure it handles starts the next attempt at once; one it does not handle is the answer', async () => {
    const clock = new VirtualClock();
    const policy = hedging({ delay: 100, handle: Transient, clock });
    const transient = new Transient('busy');
    const dep = fakeDependency(clock, (i) => (i === 0 ? { ms: 10, error: transient } : { ms: 20, value: 'second' }));
    expect(await settle(clock, policy.execute(dep.fn))).toEqual({ ok: true, value: 'second', at: 30 });
    expect(dep.calls.map((c) => c.startedAt)).toEqual([0, 10]);

    const fatal = new Fatal('no');
    const other = fakeDependency(clock, () => ({ ms: 10, error: fatal }));
    const start = clock.now();
    expect(await settle(clock, policy.execute(other.fn))).toEqual({ ok: false, value: fatal, at: start + 10 });
    expect(other.calls).toHaveLength(1);
  });

  it('an execution rejection is never a failure it handles, even when it handles every error: no attempt starts for it', async () => {
    const clock = new VirtualClock();
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
    const policy = hedging({ delay: Number.POSITIVE_INFINITY, handle: () => true, clock });
    const held = pipeline(slots).execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(1), 1_000)));
    const dep = fakeDependency(clock, () => ({ ms: 10, value: 'never' }));
    const r = await settle(clock, pipeline(policy, slots).execute(dep.fn));
    expect(r.ok).toBe(false);
    expect(r.value).toBeInstanceOf(BulkheadRejectedError);
    expect(r.at).toBe(0);
    expect(dep.calls).toEqual([]);
    await held;
  });
});

describe('hedging: describe() of a delay function', () => {
  it('names the function, or says it is anonymous', () => {
    function pickDelay(): number {
      return 5;
    }
    const anonymous = [(): number => 5][0] as () => number;
    expect(anonymous.name).toBe('');
    expect(hedging({ delay: pickDelay }).describe().options['delay']).toBe('function pickDelay');
    expect(hedging({ delay: anonymous }).describe().options['delay']).toBe('function (anonymous)');
  });
});

describe('hedging: a delay function that throws', () => {
  it('has its own error reported, and that hedge waits for a failure only', async () => {
    const clock = new VirtualClock();
    const boom = new Error('no delay today');
    const policy = hedging({
      name: 'reads',
      delay: () => {
        throw boom;
      },
      clock,
    });
    const seen: [unknown, string][] = [];
    const sub = onCallbackError((error, source) => seen.push([error, source]));
    try {
      const dep = fakeDependency(clock, (i) => (i === 0 ? { ms: 50, error: new Transient('busy') } : { ms: 10, value: 'second' }));
      expect(await settle(clock, policy.execute(dep.fn))).toEqual({ ok: true, value: 'second', at: 60 });
      expect(dep.calls.map((c) => c.startedAt)).toEqual([0, 50]);
    } finally {
      sub.dispose();
    }
    expect(seen).toEqual([[boom, 'hedging "reads" delay']]);
  });
});
