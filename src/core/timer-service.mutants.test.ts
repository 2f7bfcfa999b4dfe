/**
 * The bucket bookkeeping of core/timer-service.ts on a clock whose timer handles cannot be
 * unref'd (a browser's numeric ids; here the virtual clock's): an emptied bucket leaves the
 * map at once, the `add()` shortcut never points at a bucket that left it, and once nothing
 * is pending no bucket or key is kept. Memory is the point, so the counts are read from the
 * service's fields.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { TimerService } from './timer-service';

interface Insides {
  buckets: Map<number, unknown>;
  keys: { size: number };
}
const insides = (s: TimerService): Insides => s as unknown as Insides;

describe('timer service on a clock without unref', () => {
  it('drops the bucket of a cancelled entry at once', () => {
    const clock = new VirtualClock();
    const service = new TimerService(clock);
    const keep = service.schedule(1_000, () => {});
    const entry = service.schedule(10, () => {});
    expect(insides(service).buckets.size).toBe(2);
    entry.cancel();
    expect(insides(service).buckets.size).toBe(1);
    keep.cancel();
  });

  it('fires an entry scheduled in the millisecond of one just cancelled', async () => {
    const clock = new VirtualClock();
    const service = new TimerService(clock);
    const keep = service.schedule(1_000, () => {});
    service.schedule(10, () => {}).cancel();
    const fired: number[] = [];
    service.schedule(10, () => fired.push(clock.now()));
    await clock.advance(10);
    expect(fired).toEqual([10]);
    keep.cancel();
  });

  it('keeps no bucket and no key once nothing is pending', () => {
    const clock = new VirtualClock();
    const service = new TimerService(clock);
    const entries = [5, 6, 7].map((at) => service.schedule(at, () => {}));
    for (const e of entries) e.cancel();
    expect(service.pending).toBe(0);
    expect(insides(service).buckets.size).toBe(0);
    expect(insides(service).keys.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
