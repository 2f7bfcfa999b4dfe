/**
 * Pins the series keys with several label keys: label sets whose values only differ in
 * where one value ends are distinct series, and past `maxLabelSets` the overflow series is
 * the same series as a real label set whose values are all `_other`.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { OVERFLOW_VALUE } from './names';
import { events } from '../../test/support/metrics-fixtures';

describe('series keys with several label keys', () => {
  it('keeps label sets apart whose concatenated values are equal', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, labelKeys: ['a', 'b'] });
    m.record(events(clock, { labels: { a: 'x', b: 'yz' } }).executed());
    m.record(events(clock, { labels: { a: 'xy', b: 'z' } }).executed());
    m.record(events(clock, { labels: { a: 'xy', b: 'z' } }).executed());
    const snap = m.snapshot();
    expect(snap.calls.map((c) => ({ labels: c.labels, total: c.total }))).toEqual([
      { labels: { a: 'x', b: 'yz' }, total: 1 },
      { labels: { a: 'xy', b: 'z' }, total: 2 },
    ]);
    expect(snap.dropped.labelSets).toBe(0);
  });

  it('counts overflowing label sets in the one series whose values are all _other', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, maxLabelSets: 2, labelKeys: ['a', 'b'] });
    m.record(events(clock, { labels: { a: OVERFLOW_VALUE, b: OVERFLOW_VALUE } }).executed());
    m.record(events(clock, { labels: { a: 'x', b: 'y' } }).executed());
    m.record(events(clock, { labels: { a: 'p', b: 'q' } }).executed());
    m.record(events(clock, { labels: { a: 'r', b: 's' } }).executed());
    const snap = m.snapshot();
    expect(snap.calls.map((c) => ({ labels: c.labels, total: c.total }))).toEqual([
      { labels: { a: OVERFLOW_VALUE, b: OVERFLOW_VALUE }, total: 3 },
      { labels: { a: 'x', b: 'y' }, total: 1 },
    ]);
    expect(snap.dropped.labelSets).toBe(2);
  });

  it('without a real _other set, the overflowing sets still share one series', () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock, maxLabelSets: 1, labelKeys: ['a', 'b'] });
    for (const [a, b] of [['x', 'y'], ['p', 'q'], ['r', 's']] as const) m.record(events(clock, { labels: { a, b } }).executed());
    expect(m.snapshot().calls.map((c) => ({ labels: c.labels, total: c.total }))).toEqual([
      { labels: { a: 'x', b: 'y' }, total: 1 },
      { labels: { a: OVERFLOW_VALUE, b: OVERFLOW_VALUE }, total: 2 },
    ]);
  });
});
