/**
 * The decoders of what the fleet-aware breaker reads from Redis (sync replies, report
 * messages), fuzzed: they never throw, and whatever they let through passes the breaker's
 * own check of a report.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBreakerFleetReport, type BreakerFleetState } from '../circuit-breaker/fleet';
import { decodeReportPayload, decodeSyncReply, encodeStoredState, MAX_FLEET_INSTANCES, reportPayload } from './fleet-breaker-scripts';

const states: fc.Arbitrary<BreakerFleetState> = fc.oneof(
  fc.record({ open: fc.constant(true), retryAfter: fc.integer({ min: 0, max: 10_000_000 }), generation: fc.nat(), probe: fc.constantFrom(undefined, 'failed' as const) }),
  fc.record({ open: fc.constant(false), retryAfter: fc.constant(0), generation: fc.nat(), probe: fc.constantFrom(undefined, 'succeeded' as const) }),
);

describe('report messages', () => {
  it('round-trip through JSON: what is sent is what is decoded', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), states, (name, state) => {
        const sent = JSON.parse(JSON.stringify(reportPayload(name, state, state.retryAfter))) as unknown;
        const d = decodeReportPayload(sent, 'peer-1');
        expect(d?.breaker).toBe(name);
        expect(d?.report).toEqual({ instance: 'peer-1', open: state.open, retryAfter: state.retryAfter, generation: state.generation, ...(state.probe === undefined ? {} : { probe: state.probe }) });
        expect(isBreakerFleetReport(d?.report)).toBe(true);
      }),
    );
  });

  it('never throw on anything, and let through only reports the breaker accepts', () => {
    const nearMiss = fc.record(
      {
        breaker: fc.oneof(fc.string(), fc.integer(), fc.constant('')),
        open: fc.oneof(fc.boolean(), fc.constant(1)),
        retryAfter: fc.oneof(fc.double(), fc.integer(), fc.constant('5')),
        generation: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.constant(2 ** 60)),
        probe: fc.constantFrom('succeeded', 'failed', 'nope', 7),
        x: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), nearMiss), (payload) => {
        const d = decodeReportPayload(payload, 'peer');
        if (d !== undefined) expect(isBreakerFleetReport(d.report)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('sync replies', () => {
  it('subtract the time a report spent stored from its break, and leave out this instance', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,12}$/), states, fc.integer({ min: 0, max: 100_000 })), { maxLength: 20 }),
        fc.integer({ min: 1_000_000, max: 2_000_000_000 }),
        (entries, now) => {
          const unique = [...new Map(entries.map((e) => [e[0], e])).values()];
          const ids = unique.map(([id]) => id);
          const values = unique.map(([, s, age]) => `${now - age}:${encodeStoredState(s, s.retryAfter)}`);
          const self = ids[0];
          const out = decodeSyncReply([now, ids, values], self ?? 'nobody');
          expect(out).toBeDefined();
          const expected = unique
            .filter(([id]) => id !== self)
            .map(([id, s, age]) => ({ instance: id, open: s.open, retryAfter: s.open ? Math.max(0, s.retryAfter - age) : 0, generation: s.generation }));
          expect(out).toEqual(expected);
          for (const r of out ?? []) expect(isBreakerFleetReport(r)).toBe(true);
        },
      ),
    );
  });

  it('never throw on anything; entries that are not well formed are left out', () => {
    const entry = fc.oneof(fc.string(), fc.constant('1:1:5:0'), fc.constant('9:2:5:0'), fc.constant('9:0:5:0'), fc.constant(null), fc.integer(), fc.stringMatching(/^\d{1,18}:[01]:\d{1,18}:\d{1,18}$/));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.tuple(fc.oneof(fc.integer(), fc.double(), fc.string()), fc.array(fc.oneof(fc.string(), fc.integer())), fc.array(entry)),
          fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.array(fc.string(), { minLength: n, maxLength: n }), fc.array(entry, { minLength: n, maxLength: n }))),
        ),
        (reply) => {
          const out = decodeSyncReply(reply, 'me');
          for (const r of out ?? []) {
            expect(isBreakerFleetReport(r)).toBe(true);
            expect(r.instance).not.toBe('me');
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('refuse a reply longer than the bound the script applies', () => {
    const ids = Array.from({ length: MAX_FLEET_INSTANCES + 1 }, (_, i) => `i${i}`);
    expect(decodeSyncReply([5, ids, ids.map(() => '1:0:0:0')], 'me')).toBeUndefined();
    expect(decodeSyncReply([5, ['a'], ['1:0:0:0', '1:0:0:0']], 'me')).toBeUndefined();
  });
});
