/**
 * Pins the rules of one breaker's statistics ({@link BreakerStats}): an opening counts even
 * from the same state, with `unknown` (or `isolated`) as the default reason; a transition
 * or a snapshot dated before the last known instant never moves time in state backwards;
 * the recovery rate is undefined until a half-open episode ended.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics } from './aggregator';
import { BreakerStats } from './breaker-stats';
import { events } from '../../test/support/metrics-fixtures';

const zero = { closed: 0, open: 0, 'half-open': 0, isolated: 0 };

describe('BreakerStats: openings', () => {
  it('counts a second opening while already open or isolated, without a new outage', () => {
    const b = new BreakerStats('gw', 'closed', 0);
    b.transition('open', 10, 'failures');
    b.transition('open', 20, 'probe-failed');
    b.transition('isolated', 30, 'isolated');
    b.transition('isolated', 35, 'isolated');
    const s = b.snapshot(50, undefined);
    expect(s.openings).toEqual({ failures: 1, 'probe-failed': 1, isolated: 2 });
    expect(s.outages).toBe(1);
    expect(s.state).toBe('isolated');
    expect(s.timeInState).toEqual({ ...zero, closed: 10, open: 20, isolated: 20 });
  });

  it('ignores a repeated closed or half-open transition', () => {
    const b = new BreakerStats('gw', 'closed', 0);
    b.transition('closed', 5, 'reset');
    b.transition('open', 10, 'failures');
    b.transition('half-open', 15, undefined);
    b.transition('half-open', 17, undefined);
    b.transition('closed', 20, undefined);
    b.transition('closed', 25, undefined);
    const s = b.snapshot(30, undefined);
    expect(s).toMatchObject({ outages: 1, mttr: 10, recoveries: 1, failedRecoveries: 0, recoveryRate: 1, openings: { failures: 1 } });
    expect(s.timeInState).toEqual({ ...zero, closed: 20, open: 5, 'half-open': 5 });
  });

  it('names an opening without a reason `unknown`, and an isolation without one `isolated`', () => {
    const b = new BreakerStats('gw', 'closed', 0);
    b.transition('open', 1, undefined);
    b.transition('closed', 2, undefined);
    b.transition('isolated', 3, undefined);
    b.transition('open', 4, undefined);
    expect(b.snapshot(5, undefined).openings).toEqual({ unknown: 2, isolated: 1 });
  });
});

describe('BreakerStats: time in state with out-of-order instants', () => {
  it('a late transition (dated before the last one) changes the state but moves no time backwards', () => {
    const b = new BreakerStats('gw', 'closed', 1_000);
    b.transition('open', 500, 'failures');
    const s = b.snapshot(2_000, undefined);
    expect(s.state).toBe('open');
    expect(s.timeInState).toEqual({ ...zero, open: 1_000 });
  });

  it('a snapshot dated before the last transition counts nothing for the current state', () => {
    const fresh = new BreakerStats('gw', 'open', 1_000);
    expect(fresh.snapshot(400, undefined).timeInState).toEqual(zero);
    const b = new BreakerStats('gw', 'closed', 0);
    b.transition('open', 1_000, 'failures');
    expect(b.snapshot(400, undefined).timeInState).toEqual({ ...zero, closed: 1_000 });
    expect(b.snapshot(1_000, undefined).timeInState).toEqual({ ...zero, closed: 1_000 });
    expect(b.snapshot(1_250, undefined).timeInState).toEqual({ ...zero, closed: 1_000, open: 250 });
  });

  it('through the aggregator: an opened event recorded late is counted, time in state stays non-negative', async () => {
    const clock = new VirtualClock();
    const m = createMetrics({ clock });
    const br = events(clock, { policy: 'gw' });
    m.record(br.of('circuit-breaker', 'opened', { reason: 'failures', from: 'closed', retryAfter: 1 }));
    const early = br.of('circuit-breaker', 'half-opened'); // dated t = 0
    await clock.advanceTo(3_000);
    m.record(br.of('circuit-breaker', 'closed', { reason: 'probes-succeeded', from: 'half-open' })); // t = 3 s
    m.record(early); // arrives after the close it preceded
    await clock.advanceTo(4_000);
    const b = m.snapshot().breakers[0];
    expect(b?.state).toBe('half-open');
    expect(b?.timeInState).toEqual({ ...zero, open: 3_000, 'half-open': 1_000 });
  });
});

describe('BreakerStats: recovery rate', () => {
  it('is undefined while no half-open episode ended, even after outages', () => {
    const b = new BreakerStats('gw', 'closed', 0);
    expect(b.snapshot(0, undefined).recoveryRate).toBeUndefined();
    b.transition('isolated', 10, 'isolated');
    b.transition('closed', 40, 'reset'); // closed without a probe: no recovery episode
    b.transition('open', 50, 'failures');
    const s = b.snapshot(60, undefined);
    expect(s).toMatchObject({ outages: 2, mttr: 30, mtbf: 40, recoveries: 0, failedRecoveries: 0 });
    expect(s.recoveryRate).toBeUndefined();
    b.transition('half-open', 70, undefined);
    expect(b.snapshot(71, undefined).recoveryRate).toBeUndefined(); // episode still running
    b.transition('open', 72, 'probe-failed');
    expect(b.snapshot(73, undefined).recoveryRate).toBe(0);
  });
});
