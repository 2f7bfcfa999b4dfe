/**
 * Pins the counter helpers: `str` falls back for anything but a non-empty string (so an
 * empty reason is counted under the default reason), `bump` adds, `toRecord` keeps
 * insertion order.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { bump, str, toRecord } from './counts';
import { events } from '../../test/support/metrics-fixtures';

describe('counts helpers', () => {
  it('str: a non-empty string, else the fallback', () => {
    expect(str('full', 'x')).toBe('full');
    expect(str('a', 'x')).toBe('a');
    expect(str('', 'x')).toBe('x');
    expect(str(undefined, 'x')).toBe('x');
    expect(str(3, 'x')).toBe('x');
  });

  it('bump and toRecord: sums per key, in the order first seen', () => {
    const m = new Map<string, number>();
    bump(m, 'b');
    bump(m, 'a', 3);
    bump(m, 'b');
    expect(Object.entries(toRecord(m))).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
  });

  it('an empty reason or fault is counted under its default name', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    m.record(events(clock, { policy: 'pool' }).of('bulkhead', 'rejected', { reason: '' }));
    m.record(events(clock, { policy: 'chaos' }).of('chaos', 'injected', { fault: '', faultKind: '' }));
    const snap = m.snapshot();
    expect(snap.rejections.map((r) => r.reasons)).toEqual([{ 'bulkhead-full': 1 }]);
    expect(snap.injections.map((i) => `${i.fault}/${i.faultKind}=${i.injections}`)).toEqual(['unknown/unknown=1']);
  });
});
