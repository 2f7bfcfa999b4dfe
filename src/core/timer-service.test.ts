import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../testing/virtual-clock';
import type { Clock } from './clock';
import { TimerService, timerServiceFor } from './timer-service';

describe('timer service', () => {
  it('is one per clock', () => {
    const c = new VirtualClock();
    expect(timerServiceFor(c)).toBe(timerServiceFor(c));
    expect(timerServiceFor(c)).not.toBe(timerServiceFor(new VirtualClock()));
  });

  it('property: entries fire in deadline order, at or after their deadline and within its millisecond; cancelled ones never; one host timer; none left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.double({ min: 0, max: 500, noNaN: true }), cancelAt: fc.option(fc.integer({ min: 0, max: 600 })) }), { maxLength: 40 }),
        async (specs) => {
          const clock = new VirtualClock();
          const service = new TimerService(clock);
          const fired: { i: number; at: number; time: number }[] = [];
          const entries = specs.map((s, i) => service.schedule(s.at, () => fired.push({ i, at: s.at, time: clock.now() })));
          specs.forEach((s, i) => {
            if (s.cancelAt !== null) clock.setTimeout(() => entries[i]?.cancel(), s.cancelAt);
          });
          expect(clock.pending).toBeLessThanOrEqual(1 + specs.filter((s) => s.cancelAt !== null).length);
          await clock.runAll();
          for (const f of fired) {
            expect(f.time).toBeGreaterThanOrEqual(f.at);
            expect(f.time).toBe(Math.ceil(f.at));
            const s = specs[f.i]!;
            // A cancel scheduled strictly before the firing time wins.
            if (s.cancelAt !== null) expect(s.cancelAt).toBeGreaterThanOrEqual(Math.ceil(f.at));
          }
          for (let k = 1; k < fired.length; k++) expect(fired[k]!.time).toBeGreaterThanOrEqual(fired[k - 1]!.time);
          const expected = specs.filter((s) => s.cancelAt === null || s.cancelAt >= Math.ceil(s.at)).length;
          // Ties at the same millisecond between a cancel and a firing are resolved by order; allow either.
          const ties = specs.filter((s) => s.cancelAt !== null && s.cancelAt === Math.ceil(s.at)).length;
          expect(fired.length).toBeGreaterThanOrEqual(expected - ties);
          expect(fired.length).toBeLessThanOrEqual(expected);
          expect(service.pending).toBe(0);
          expect(clock.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: schedules, cancels and time passing interleaved, on clocks with and without unref: every entry fires once, in its millisecond, unless cancelled first', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('schedule' as const), ahead: fc.double({ min: 0, max: 4, noNaN: true }) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(op, { maxLength: 60 }), async (unrefable, ops) => {
        const virtual = new VirtualClock();
        // With ref/unref handles the service keeps emptied buckets until the host timer passes
        // them (lazy); without, it drops them at once: both paths reuse a bucket across calls.
        const clock: Clock = unrefable
          ? {
              now: () => virtual.now(),
              setTimeout: (fn, ms) => ({ inner: virtual.setTimeout(fn, ms), ref() {}, unref() {} }),
              clearTimeout: (h) => virtual.clearTimeout((h as { inner: unknown }).inner),
            }
          : virtual;
        const service = new TimerService(clock);
        const tasks: { deadline: number; fired: number[]; cancelled: boolean; entry: { cancel(): void } }[] = [];
        const check = (): void => {
          for (const t of tasks) {
            const due = !t.cancelled && Math.ceil(t.deadline) <= virtual.now();
            expect(t.fired.length).toBeLessThanOrEqual(1);
            if (due) expect(t.fired).toEqual([Math.ceil(t.deadline)]);
            else if (!t.cancelled) expect(t.fired).toEqual([]);
          }
        };
        for (const o of ops) {
          if (o.kind === 'schedule') {
            const task = { deadline: virtual.now() + o.ahead, fired: [] as number[], cancelled: false, entry: { cancel() {} } };
            task.entry = service.schedule(task.deadline, () => task.fired.push(virtual.now()));
            tasks.push(task);
          } else if (o.kind === 'cancel') {
            const t = tasks[o.pick % Math.max(1, tasks.length)];
            if (t !== undefined && t.fired.length === 0) {
              t.entry.cancel();
              t.cancelled = true;
            }
          } else {
            await virtual.advance(o.ms); // runs the host timer when due: entries fire only then
            check();
          }
        }
        await virtual.runAll();
        for (const t of tasks) expect(t.fired.length).toBe(t.cancelled ? 0 : 1);
        expect(service.pending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('callbacks may schedule and cancel other entries', async () => {
    const clock = new VirtualClock();
    const s = new TimerService(clock);
    const log: string[] = [];
    const b = s.schedule(10, () => log.push('b'));
    s.schedule(10, () => {
      log.push('a');
      b.cancel();
      s.schedule(10, () => log.push('same-ms'));
      s.schedule(20, () => log.push('later'));
    });
    // "a" was scheduled after "b": b fires first, then a (b's cancel is then a no-op).
    await clock.runAll();
    expect(log).toEqual(['b', 'a', 'same-ms', 'later']);
    expect(s.pending).toBe(0);
  });

  it('a throwing callback is reported and does not stop the others', async () => {
    const clock = new VirtualClock();
    const s = new TimerService(clock);
    const errors: unknown[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => errors.push(a);
    try {
      const log: number[] = [];
      s.schedule(1, () => { throw new Error('x'); });
      s.schedule(1, () => log.push(1));
      await clock.runAll();
      expect(log).toEqual([1]);
      expect(errors).toHaveLength(1);
    } finally {
      console.error = orig;
    }
  });

  it('with ref/unref handles, idles by unref-ing the host timer (one turn of the event loop later) instead of clearing it', async () => {
    const calls: string[] = [];
    let t = 0;
    const clock: Clock = {
      now: () => t,
      setTimeout: () => {
        calls.push('set');
        return { ref: () => calls.push('ref'), unref: () => calls.push('unref') };
      },
      clearTimeout: () => calls.push('clear'),
    };
    const s = new TimerService(clock);
    const e1 = s.schedule(100, () => {});
    e1.cancel();
    const e2 = s.schedule(101, () => {});
    e2.cancel();
    t = 1;
    const e3 = s.schedule(50, () => {}); // earlier than the armed host: re-arm
    e3.cancel();
    // Entries that follow one another within a turn keep the host timer ref'd: no toggling.
    expect(calls).toEqual(['set', 'clear', 'set']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['set', 'clear', 'set', 'unref']);
    const e4 = s.schedule(60, () => {}); // the host is armed for 50: only a ref
    e4.cancel();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['set', 'clear', 'set', 'unref', 'ref', 'unref']);
  });
});
