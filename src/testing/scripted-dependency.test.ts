import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currentContext } from '../core/context';
import { pipeline } from '../core/policy';
import { ScriptedFailure, Step, scriptedDependency, type ScriptStep } from './scripted-dependency';
import { VirtualClock } from './virtual-clock';

const settle = <T>(p: Promise<T>): Promise<{ ok: boolean; value?: T; error?: unknown }> =>
  p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

describe('scriptedDependency', () => {
  it('follows steps by call number, then `otherwise`', async () => {
    const clock = new VirtualClock();
    const boom = new Error('boom');
    const dep = scriptedDependency<string>({ calls: [Step.ok('a'), Step.fail(boom), Step.fail()], otherwise: Step.ok('rest') }, clock);
    expect(await settle(dep())).toEqual({ ok: true, value: 'a' });
    expect(await settle(dep())).toEqual({ ok: false, error: boom });
    const third = await settle(dep());
    expect(third.error).toBeInstanceOf(ScriptedFailure);
    expect((third.error as ScriptedFailure).call).toBe(3);
    expect(await settle(dep())).toEqual({ ok: true, value: 'rest' });
    expect(dep.calls).toBe(4);
    expect(dep.log.map((r) => r.outcome)).toEqual(['ok', 'fail', 'fail', 'ok']);
  });

  it('an array is shorthand for { calls }, and `value` fills ok steps', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency<number>([Step.fail()], clock);
    expect((await settle(dep())).ok).toBe(false);
    expect(await settle(dep())).toEqual({ ok: true, value: undefined });
    const dep2 = scriptedDependency<number>({ value: 7 }, clock);
    expect(await dep2()).toBe(7);
  });

  it('slow steps answer after their delay on the clock', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency<string>([Step.slow(300, 'late'), Step.fail(new Error('x'), 50)], clock);
    const a = settle(dep());
    const b = settle(dep());
    expect(dep.active).toBe(2);
    expect(dep.maxActive).toBe(2);
    await clock.advance(49);
    expect(dep.log[1]?.outcome).toBe('pending');
    await clock.advance(1);
    expect(dep.log[1]).toMatchObject({ outcome: 'fail', start: 0, end: 50 });
    await clock.advance(250);
    expect(await a).toEqual({ ok: true, value: 'late' });
    expect((await b).ok).toBe(false);
    expect(dep.active).toBe(0);
    expect(dep.log[0]).toMatchObject({ outcome: 'ok', end: 300 });
  });

  it('hangs until the signal aborts, then rejects with its reason and clears its timer', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency([Step.hang(), Step.slow(1_000)], clock);
    const ac = new AbortController();
    const hung = settle(dep(ac.signal));
    const slow = settle(dep({ signal: ac.signal }));
    await clock.advance(10_000_000 - 1_000);
    expect(dep.active).toBe(1);
    const ac2 = new AbortController();
    const hung2 = settle(scriptedDependency([Step.hang()], clock)(ac2.signal));
    ac2.abort('stop');
    expect(await hung2).toEqual({ ok: false, error: 'stop' });
    ac.abort('bye');
    expect(await hung).toEqual({ ok: false, error: 'bye' });
    expect((await slow).ok).toBe(true);
    expect(dep.log[0]?.outcome).toBe('aborted');
    expect(clock.pending).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency([Step.slow(5)], clock);
    expect(await settle(dep(AbortSignal.abort('early')))).toEqual({ ok: false, error: 'early' });
    expect(clock.pending).toBe(0);
  });

  it('ignoreAbort makes a dependency that does not honour cancellation', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency({ calls: [Step.slow(100, 'done')], ignoreAbort: true }, clock);
    const ac = new AbortController();
    const r = settle(dep(ac.signal));
    ac.abort();
    await clock.advance(100);
    expect(await r).toEqual({ ok: true, value: 'done' });
  });

  it('follows a timeline relative to its creation', async () => {
    const clock = new VirtualClock(5_000);
    const dep = scriptedDependency<string>(
      {
        timeline: [
          { from: 2_000, step: Step.ok('recovered') },
          { from: 1_000, step: Step.fail() },
        ],
        otherwise: Step.ok('early'),
      },
      clock,
    );
    expect(await dep()).toBe('early');
    await clock.advance(1_000);
    expect((await settle(dep())).ok).toBe(false);
    await clock.advance(999);
    expect((await settle(dep())).ok).toBe(false);
    await clock.advance(1);
    expect(await dep()).toBe('recovered');
    dep.reset();
    expect(dep.calls).toBe(0);
    expect(await dep()).toBe('early');
  });

  it('takes a function of call number and elapsed time', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency<number>((n) => (n % 2 === 0 ? Step.fail() : Step.ok(n)), clock);
    expect(await dep()).toBe(1);
    expect((await settle(dep())).ok).toBe(false);
    expect(await dep()).toBe(3);
  });

  it('validates the script', () => {
    const clock = new VirtualClock();
    expect(() => scriptedDependency([{ kind: 'nope' } as unknown as ScriptStep], clock)).toThrow(/calls\[0\]/);
    expect(() => scriptedDependency([Step.slow(-1)], clock)).toThrow(/calls\[0\]/);
    expect(() => scriptedDependency({ timeline: [{ from: -1, step: Step.ok() }] }, clock)).toThrow(/timeline\[0\]/);
    expect(() => scriptedDependency({ otherwise: { kind: 'ok', delay: Number.NaN } }, clock)).toThrow(/otherwise/);
    expect(() => scriptedDependency([], undefined as unknown as VirtualClock)).toThrow(/clock/);
    const bad = scriptedDependency(() => ({ kind: 'x' }) as unknown as ScriptStep, clock);
    expect(() => bad()).toThrow(/call #1/);
  });

  it('records the breakwater context and attempt, and uses the context signal', async () => {
    const clock = new VirtualClock();
    const dep = scriptedDependency([Step.hang()], clock);
    const p = pipeline({ clock });
    const ac = new AbortController();
    const call = settle(p.execute(() => dep(), { signal: ac.signal, operation: 'pay' }));
    expect(dep.log[0]?.context?.operation).toBe('pay');
    expect(dep.log[0]?.attempt).toBe(1);
    expect(currentContext()).toBeUndefined();
    ac.abort('cancelled');
    expect(await call).toEqual({ ok: false, error: 'cancelled' });
    expect(dep.log[0]?.outcome).toBe('aborted');
  });

  it('property: every call follows the step its call number selects, at the right time', async () => {
    const stepArb: fc.Arbitrary<ScriptStep<number>> = fc.oneof(
      fc.record({ kind: fc.constant('ok' as const), value: fc.integer(), delay: fc.integer({ min: 0, max: 500 }) }),
      fc.record({ kind: fc.constant('fail' as const), delay: fc.integer({ min: 0, max: 500 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 10 }), async (steps) => {
        const clock = new VirtualClock();
        const dep = scriptedDependency<number>(steps, clock);
        const results = steps.map(() => settle(dep()));
        await clock.runAll();
        const got = await Promise.all(results);
        steps.forEach((s, i) => {
          expect(got[i]?.ok).toBe(s.kind === 'ok');
          if (s.kind === 'ok') expect(got[i]?.value).toBe(s.value);
          expect(dep.log[i]?.end).toBe(s.kind === 'hang' ? undefined : (s.delay ?? 0));
        });
        // All calls start at time 0; a zero-delay call settles at once, a delayed one stays in flight.
        let inFlight = 0;
        let peak = 0;
        for (const st of steps) {
          const delayed = st.kind !== 'hang' && (st.delay ?? 0) > 0;
          peak = Math.max(peak, inFlight + 1);
          if (delayed) inFlight++;
        }
        expect(dep.maxActive).toBe(peak);
      }),
      { numRuns: 100 },
    );
  });
});
